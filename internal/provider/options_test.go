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

package provider

import (
	"net/netip"
	"testing"
	"time"

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
			o := DefaultOptions()
			o.AddFlags(app)
			_, err := app.Parse(tc.args.argv)
			got := want{enabled: o.leaderElection(tc.args.inCluster), err: err != nil}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nleader election (args %v, LEADER_ELECTION=%q, in cluster %t): -want, +got:\n%s", tc.reason, tc.args.argv, tc.args.env, tc.args.inCluster, diff)
			}
		})
	}
}

func TestSinkPolicyFlags(t *testing.T) {
	type want struct {
		deny, allow, cluster []netip.Prefix
		err                  bool
	}
	cases := map[string]struct {
		reason string
		argv   []string
		want   want
	}{
		"Empty": {
			reason: "No flags: only the built-in denials, which New adds.",
			want:   want{},
		},
		"All": {
			reason: "Each flag is read into its own list.",
			argv:   []string{"--tenant-egress-deny=10.0.0.0/8", "--tenant-egress-allow=127.0.0.0/8,::1", "--cluster-egress-deny=169.254.0.0/16"},
			want: want{
				deny:    []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")},
				allow:   []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")},
				cluster: []netip.Prefix{netip.MustParsePrefix("169.254.0.0/16")},
			},
		},
		"Invalid": {
			reason: "A bad entry is an error, never a policy that silently allows.",
			argv:   []string{"--tenant-egress-allow=127.0.0.0/8,localhost"},
			want:   want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			app := kingpin.New("provider", "")
			o := DefaultOptions()
			o.AddFlags(app)
			_, err := app.Parse(tc.argv)
			sp := o.sinkPolicy()
			got := want{deny: sp.TenantEgressDeny, allow: sp.TenantEgressAllow, cluster: sp.ClusterEgressDeny, err: err != nil}
			if err != nil {
				got = want{err: true}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}), cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("\n%s\nParse(%v): -want, +got:\n%s", tc.reason, tc.argv, diff)
			}
		})
	}
}

func TestFlagDefaults(t *testing.T) {
	cases := map[string]struct {
		reason string
		tune   func(o *Options)
		argv   []string
		want   func(o *Options)
	}{
		"ProviderDefaults": {
			reason: "Without flags, the options are the provider's defaults.",
			want:   func(*Options) {},
		},
		"CallerDefaults": {
			reason: "A program may change a default before adding the flags; the flag then defaults to it.",
			tune: func(o *Options) {
				o.ControlPlaneName = "demo"
				o.CursorFlushInterval = time.Second
			},
			want: func(o *Options) {
				o.ControlPlaneName = "demo"
				o.CursorFlushInterval = time.Second
			},
		},
		"Flags": {
			reason: "Flags override the defaults.",
			argv:   []string{"--control-plane-name=prod", "--sync=5m", "--delivery-workers=4", "--tenant-allow-insecure-tls", "--metrics-bind-address=0", "--status-figures-interval=5m"},
			want: func(o *Options) {
				o.StatusFiguresInterval = 5 * time.Minute
				o.ControlPlaneName = "prod"
				o.SyncInterval = 5 * time.Minute
				o.DeliveryWorkers = 4
				o.TenantAllowInsecureTLS = true
				o.MetricsBindAddress = "0"
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions()
			if tc.tune != nil {
				tc.tune(&o)
			}
			app := kingpin.New("provider", "")
			o.AddFlags(app)
			if _, err := app.Parse(tc.argv); err != nil {
				t.Fatalf("\n%s\nParse(%v): %v", tc.reason, tc.argv, err)
			}
			want := DefaultOptions()
			tc.want(&want)
			if diff := cmp.Diff(want, o); diff != "" {
				t.Errorf("\n%s\nParse(%v): -want, +got:\n%s", tc.reason, tc.argv, diff)
			}
		})
	}
}
