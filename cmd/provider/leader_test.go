/*
Copyright 2026 The Crossplane Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package main

import (
	"testing"

	"github.com/alecthomas/kingpin/v2"
	"github.com/google/go-cmp/cmp"
)

func TestLeaderElection(t *testing.T) {
	type args struct {
		argv      []string
		env       string
		inCluster bool
	}
	type want struct {
		enabled bool
		err     bool
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"InCluster": {
			reason: "Installed in a cluster, where Crossplane sets nothing, leader election is on.",
			args:   args{inCluster: true},
			want:   want{enabled: true},
		},
		"Local": {
			reason: "Run against a kubeconfig (make run, the demo) it is off.",
			args:   args{},
			want:   want{enabled: false},
		},
		"FlagOnLocally": {
			reason: "--leader-election turns it on anywhere.",
			args:   args{argv: []string{"--leader-election"}},
			want:   want{enabled: true},
		},
		"ShortFlag": {
			reason: "-l is --leader-election.",
			args:   args{argv: []string{"-l"}},
			want:   want{enabled: true},
		},
		"FlagOffInCluster": {
			reason: "--no-leader-election turns it off, even in a cluster.",
			args:   args{argv: []string{"--no-leader-election"}, inCluster: true},
			want:   want{enabled: false},
		},
		"EnvOffInCluster": {
			reason: "LEADER_ELECTION=false is honoured in a cluster.",
			args:   args{env: "false", inCluster: true},
			want:   want{enabled: false},
		},
		"EnvOnLocally": {
			reason: "LEADER_ELECTION=true is honoured outside a cluster.",
			args:   args{env: "true"},
			want:   want{enabled: true},
		},
		"FlagBeatsEnv": {
			reason: "A flag on the command line wins over the environment.",
			args:   args{argv: []string{"--no-leader-election"}, env: "true", inCluster: true},
			want:   want{enabled: false},
		},
		"BadEnv": {
			reason: "A value that is not a boolean is an error, not a guess.",
			args:   args{env: "sometimes"},
			want:   want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("LEADER_ELECTION", tc.args.env)
			app := kingpin.New("provider", "").DefaultEnvars()
			b := leaderElectionFlag(app)
			_, err := app.Parse(tc.args.argv)
			got := want{enabled: b.Or(tc.args.inCluster), err: err != nil}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nleader election (args %v, LEADER_ELECTION=%q, in cluster %t): -want, +got:\n%s", tc.reason, tc.args.argv, tc.args.env, tc.args.inCluster, diff)
			}
		})
	}
}
