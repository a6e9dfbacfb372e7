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

package filter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCompile(t *testing.T) {
	type want struct {
		// errContains is part of the error; empty means no error.
		errContains string
		uses        []string
	}
	cases := map[string]struct {
		reason string
		src    string
		want   want
	}{
		"Lifecycle": {
			reason: "A comparison of a variable with a string is a bool expression.",
			src:    "lifecycle == 'degraded'",
			want:   want{uses: []string{VarLifecycle}},
		},
		"LabelsAndLifecycle": {
			reason: "The documented example compiles and reads both variables.",
			src:    "lifecycle == 'degraded' && labels['env'] == 'prod'",
			want:   want{uses: []string{VarLabels, VarLifecycle}},
		},
		"OptionalLabel": {
			reason: "A label that may be missing can be read with the optional syntax.",
			src:    "labels[?'env'].orValue('') == 'prod'",
			want:   want{uses: []string{VarLabels}},
		},
		"PreviousLifecycle": {
			reason: "The previous lifecycle is a variable too.",
			src:    "previousLifecycle == 'degraded' && lifecycle == 'recovered'",
			want:   want{uses: []string{VarLifecycle, VarPreviousLifecycle}},
		},
		"Syntax": {
			reason: "A syntax error is reported with the compiler's message.",
			src:    "lifecycle == ",
			want:   want{errContains: "Syntax error"},
		},
		"UnknownVariable": {
			reason: "A variable that does not exist is refused at compile time, not at the first event.",
			src:    "colour == 'red'",
			want:   want{errContains: "undeclared reference to 'colour'"},
		},
		"NotBool": {
			reason: "An expression must say yes or no.",
			src:    "name + region",
			want:   want{errContains: "must be a bool"},
		},
		"TypeMismatch": {
			reason: "Comparing a string with a number is a type error.",
			src:    "kubernetesVersion > 1",
			want:   want{errContains: "no matching overload"},
		},
		"Empty": {
			reason: "An empty expression selects nothing meaningful and is refused.",
			src:    "   ",
			want:   want{errContains: "empty expression"},
		},
		"ReservedNamespace": {
			reason: "namespace is a reserved word in CEL; the variable is clusterNamespace.",
			src:    "namespace == 'team-a'",
			want:   want{errContains: "reserved identifier: namespace"},
		},
		"TooLong": {
			reason: "Expressions are bounded in size.",
			src:    "name == '" + strings.Repeat("a", MaxLength) + "'",
			want:   want{errContains: "at most 4096"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := Compile(tc.src)
			if tc.want.errContains != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.errContains) {
					t.Fatalf("\n%s\nCompile(%q): want error containing %q, got %v", tc.reason, tc.src, tc.want.errContains, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("\n%s\nCompile(%q): %v", tc.reason, tc.src, err)
			}
			var uses []string
			for _, v := range []string{VarGroup, VarKind, VarKubernetesVersion, VarLabels, VarLifecycle, VarName, VarNamespace, VarPreviousLifecycle, VarProvider, VarReason, VarRegion} {
				if e.Uses(v) {
					uses = append(uses, v)
				}
			}
			if diff := cmp.Diff(tc.want.uses, uses); diff != "" {
				t.Errorf("\n%s\nCompile(%q).Uses(...): -want, +got:\n%s", tc.reason, tc.src, diff)
			}
		})
	}
}

func TestMatches(t *testing.T) {
	prod := Transition{
		Lifecycle: "degraded", PreviousLifecycle: "ready", Group: "eks.aws.upbound.io", Kind: "Cluster",
		Namespace: "team-a", Name: "prod-1", Labels: map[string]string{"env": "prod"},
		Provider: "aws", Region: "us-east-1", KubernetesVersion: "1.31", Reason: "Unavailable",
	}
	dev := prod
	dev.Labels = nil
	dev.Lifecycle = "ready"
	type want struct {
		match bool
		err   bool
	}
	cases := map[string]struct {
		reason string
		src    string
		t      Transition
		want   want
	}{
		"DegradedProd": {
			reason: "The documented example matches a degraded production cluster.",
			src:    "lifecycle == 'degraded' && labels['env'] == 'prod'",
			t:      prod,
			want:   want{match: true},
		},
		"MissingLabelIsAnError": {
			reason: "Indexing a missing label fails the evaluation: it is reported, never a silent match.",
			src:    "labels['env'] == 'prod'",
			t:      dev,
			want:   want{err: true},
		},
		"MissingLabelShortCircuit": {
			reason: "A false left side short-circuits before the missing label is read.",
			src:    "lifecycle == 'degraded' && labels['env'] == 'prod'",
			t:      dev,
			want:   want{match: false},
		},
		"OptionalMissingLabel": {
			reason: "The optional syntax reads a missing label as a default.",
			src:    "labels[?'env'].orValue('dev') == 'dev'",
			t:      dev,
			want:   want{match: true},
		},
		"Facts": {
			reason: "Facts and identity of the cluster are variables.",
			src:    "provider == 'aws' && region.startsWith('us-') && kubernetesVersion == '1.31' && group.endsWith('upbound.io') && kind == 'Cluster' && clusterNamespace == 'team-a' && name.matches('^prod-')",
			t:      prod,
			want:   want{match: true},
		},
		"Transition": {
			reason: "Previous lifecycle and reason describe the transition itself.",
			src:    "previousLifecycle == 'ready' && reason == 'Unavailable'",
			t:      prod,
			want:   want{match: true},
		},
		"NoMatch": {
			reason: "An expression that is false does not match.",
			src:    "lifecycle in ['failed', 'deleted']",
			t:      prod,
			want:   want{match: false},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e, err := Compile(tc.src)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.src, err)
			}
			got, err := e.Matches(tc.t)
			if (err != nil) != tc.want.err {
				t.Fatalf("\n%s\nMatches(...): want error %t, got %v", tc.reason, tc.want.err, err)
			}
			if got != tc.want.match {
				t.Errorf("\n%s\nMatches(...): want %t, got %t", tc.reason, tc.want.match, got)
			}
		})
	}
}

// TestCostLimit checks that an expression whose work grows with the input
// is stopped at the limit instead of stalling delivery.
func TestCostLimit(t *testing.T) {
	labels := map[string]string{}
	for i := range 300 {
		labels[fmt.Sprintf("k%03d", i)] = "v"
	}
	e, err := Compile("labels.all(a, labels.all(b, labels.exists(c, a + b != c)))")
	if err != nil {
		t.Fatalf("Compile(...): %v", err)
	}
	_, err = e.Matches(Transition{Labels: labels})
	if err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Errorf("Matches(...) over 300 labels cubed: want a cost limit error, got %v", err)
	}

	small, err := Compile("labels.all(a, labels.all(b, labels.exists(c, a + b != c)))")
	if err != nil {
		t.Fatalf("Compile(...): %v", err)
	}
	if _, err := small.Matches(Transition{Labels: map[string]string{"a": "1", "b": "2"}}); err != nil {
		t.Errorf("Matches(...) over two labels: want no error, got %v", err)
	}
}
