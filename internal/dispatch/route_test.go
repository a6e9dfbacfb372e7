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

package dispatch

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/filter"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

func view(ns string, labels map[string]string) ledger.View {
	return ledger.View{
		GroupKind: schema.GroupKind{Group: "eks.aws.m.upbound.io", Kind: "Cluster"},
		Ref:       v1alpha1.ResourceRef{Namespace: ns, Name: "c"},
		Provider:  "aws",
		Labels:    labels,
	}
}

func TestRoutesMatches(t *testing.T) {
	cases := map[string]struct {
		reason string
		routes Routes
		view   ledger.View
		want   bool
	}{
		"EmptySelector": {
			reason: "A cluster-scoped config with no selector receives everything.",
			view:   view("team-a", nil),
			want:   true,
		},
		"OwnNamespace": {
			reason: "A namespaced config receives its own namespace's clusters.",
			routes: Routes{Namespace: "team-a"},
			view:   view("team-a", nil),
			want:   true,
		},
		"OtherNamespace": {
			reason: "A namespaced config never receives another namespace's clusters.",
			routes: Routes{Namespace: "team-a"},
			view:   view("team-b", nil),
		},
		"ClusterScopedObject": {
			reason: "A namespaced config never receives cluster-scoped clusters.",
			routes: Routes{Namespace: "team-a"},
			view:   view("", nil),
		},
		"Provider": {
			reason: "Providers must include the cluster's provider.",
			routes: Routes{Selector: &v1alpha1.Selector{Providers: []string{"gcp", "azure"}}},
			view:   view("", nil),
		},
		"Kind": {
			reason: "Kinds match on group and kind.",
			routes: Routes{Selector: &v1alpha1.Selector{Kinds: []v1alpha1.GroupKind{{Group: "eks.aws.upbound.io", Kind: "Cluster"}}}},
			view:   view("team-a", nil),
		},
		"Labels": {
			reason: "Every matchLabels entry must match.",
			routes: Routes{Selector: &v1alpha1.Selector{MatchLabels: map[string]string{"env": "prod", "tier": "1"}}},
			view:   view("", map[string]string{"env": "prod", "tier": "1", "x": "y"}),
			want:   true,
		},
		"LabelsMismatch": {
			reason: "A missing or different label does not match.",
			routes: Routes{Selector: &v1alpha1.Selector{MatchLabels: map[string]string{"env": "prod"}}},
			view:   view("", map[string]string{"env": "dev"}),
		},
		"Namespaces": {
			reason: "A cluster-scoped config may select namespaces.",
			routes: Routes{Selector: &v1alpha1.Selector{Namespaces: []string{"team-a"}}},
			view:   view("team-a", nil),
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.routes.Matches(tc.view); got != tc.want {
				t.Errorf("\n%s\nMatches(...): want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}

func TestReplayPlan(t *testing.T) {
	log := []v1alpha1.LedgerEvent{
		{Seq: 1, Lifecycle: v1alpha1.LifecycleCreated},
		{Seq: 2, Lifecycle: v1alpha1.LifecycleReady},
		{Seq: 3, Lifecycle: v1alpha1.LifecycleDegraded},
		{Seq: 4, Lifecycle: v1alpha1.LifecycleRecovered},
	}
	cases := map[string]struct {
		reason string
		policy v1alpha1.ReplayPolicy
		events []v1alpha1.LedgerEvent
		phase  v1alpha1.Phase
		want   []int64
	}{
		"None": {
			reason: "None replays nothing.",
			policy: v1alpha1.ReplayNone, events: log, phase: v1alpha1.PhaseReady,
		},
		"All": {
			reason: "All replays the whole log.",
			policy: v1alpha1.ReplayAll, events: log, phase: v1alpha1.PhaseReady,
			want: []int64{1, 2, 3, 4},
		},
		"CurrentReady": {
			reason: "Current replays created and the event that made the cluster ready.",
			policy: v1alpha1.ReplayCurrent, events: log, phase: v1alpha1.PhaseReady,
			want: []int64{1, 4},
		},
		"CurrentDegraded": {
			reason: "A degraded cluster replays created and its degradation.",
			policy: v1alpha1.ReplayCurrent, events: log[:3], phase: v1alpha1.PhaseDegraded,
			want: []int64{1, 3},
		},
		"CurrentProvisioning": {
			reason: "A cluster still being created replays created once.",
			policy: v1alpha1.ReplayCurrent, events: log[:1], phase: v1alpha1.PhaseProvisioning,
			want: []int64{1},
		},
		"CurrentOpenSignals": {
			reason: "Current also replays the signals still open: a pause, each outOfSync without its inSync, each flapping without its stable, in log order; closed ones are history.",
			policy: v1alpha1.ReplayCurrent, phase: v1alpha1.PhaseReady,
			events: []v1alpha1.LedgerEvent{
				{Seq: 1, Lifecycle: v1alpha1.LifecycleCreated},
				{Seq: 2, Lifecycle: v1alpha1.LifecycleReady},
				{Seq: 3, Lifecycle: v1alpha1.LifecyclePaused},
				{Seq: 4, Lifecycle: v1alpha1.LifecycleResumed},
				{Seq: 5, Lifecycle: v1alpha1.LifecycleOutOfSync, OutOfSyncAfter: &metav1.Duration{Duration: 5 * time.Minute}},
				{Seq: 6, Lifecycle: v1alpha1.LifecycleOutOfSync, OutOfSyncAfter: &metav1.Duration{Duration: 10 * time.Minute}},
				{Seq: 7, Lifecycle: v1alpha1.LifecycleInSync, OutOfSyncAfter: &metav1.Duration{Duration: 5 * time.Minute}},
				{Seq: 8, Lifecycle: v1alpha1.LifecyclePaused},
				{Seq: 9, Lifecycle: v1alpha1.LifecycleFlapping, Flapping: &v1alpha1.FlapRecord{Transitions: 3, Window: metav1.Duration{Duration: time.Minute}}},
				{Seq: 10, Lifecycle: v1alpha1.LifecycleFlapping, Flapping: &v1alpha1.FlapRecord{Transitions: 5, Window: metav1.Duration{Duration: time.Minute}}},
				{Seq: 11, Lifecycle: v1alpha1.LifecycleStable, Flapping: &v1alpha1.FlapRecord{Transitions: 3, Window: metav1.Duration{Duration: time.Minute}}},
			},
			want: []int64{1, 2, 6, 8, 10},
		},
		"CurrentDeleted": {
			reason: "A deleted cluster does not exist today: nothing to replay.",
			policy: v1alpha1.ReplayCurrent, events: append(log, v1alpha1.LedgerEvent{Seq: 5, Lifecycle: v1alpha1.LifecycleDeleted}), phase: v1alpha1.PhaseDeleted,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ReplayPlan(tc.policy, tc.events, tc.phase)); diff != "" {
				t.Errorf("\n%s\nReplayPlan(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRoutesWants(t *testing.T) {
	r := Routes{Selector: &v1alpha1.Selector{Lifecycles: []v1alpha1.Lifecycle{v1alpha1.LifecycleCreated, v1alpha1.LifecycleDeleted}}}
	if !r.Wants(v1alpha1.LifecycleDeleted) || r.Wants(v1alpha1.LifecycleReady) {
		t.Errorf("Wants: lifecycle selector not applied")
	}
	if !(Routes{}).Wants(v1alpha1.LifecycleReady) {
		t.Errorf("Wants: an empty selector must want everything")
	}
}

func mustCompile(t *testing.T, src string) *filter.Expression {
	t.Helper()
	x, err := filter.Compile(src)
	if err != nil {
		t.Fatalf("filter.Compile(%q): %v", src, err)
	}
	return x
}

func TestRoutesAccepts(t *testing.T) {
	prod := view("team-a", map[string]string{"env": "prod"})
	prod.Phase = v1alpha1.PhaseDegraded
	prod.Facts.Region = "eu-west-1"
	type args struct {
		routes Routes
		v      ledger.View
		e      v1alpha1.LedgerEvent
		prev   v1alpha1.Lifecycle
	}
	type want struct {
		accepts bool
		err     bool
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"NoExpression": {
			reason: "Without an expression every wanted lifecycle is accepted.",
			args:   args{routes: Routes{}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleReady}},
			want:   want{accepts: true},
		},
		"LifecycleListFirst": {
			reason: "The lifecycle list still applies when an expression is set: both must say yes.",
			args: args{routes: Routes{
				Selector:   &v1alpha1.Selector{Lifecycles: []v1alpha1.Lifecycle{v1alpha1.LifecycleCreated}},
				Expression: mustCompile(t, "true"),
			}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleDegraded}},
			want: want{accepts: false},
		},
		"ExpressionOnEvent": {
			reason: "The expression sees the event's lifecycle, reason, version and the previous lifecycle.",
			args: args{routes: Routes{Expression: mustCompile(t,
				"lifecycle == 'recovered' && previousLifecycle == 'degraded' && reason == 'Available' && kubernetesVersion == '1.32' && region == 'eu-west-1' && clusterNamespace == 'team-a'")},
				v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleRecovered, Reason: "Available", KubernetesVersion: "1.32"}, prev: v1alpha1.LifecycleDegraded},
			want: want{accepts: true},
		},
		"ExpressionSaysNo": {
			reason: "An expression that is false refuses the event.",
			args:   args{routes: Routes{Expression: mustCompile(t, "labels['env'] == 'dev'")}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleReady}},
			want:   want{accepts: false},
		},
		"OutOfSyncDefaultThreshold": {
			reason: "A sink without a threshold receives the outOfSync recorded for the default one.",
			args: args{routes: Routes{}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleOutOfSync,
				OutOfSyncAfter: &metav1.Duration{Duration: v1alpha1.DefaultOutOfSyncAfter}}},
			want: want{accepts: true},
		},
		"OutOfSyncOtherThreshold": {
			reason: "A sink does not receive the outOfSync recorded for another sink's threshold.",
			args: args{routes: Routes{OutOfSyncAfter: 5 * time.Minute}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleOutOfSync,
				OutOfSyncAfter: &metav1.Duration{Duration: v1alpha1.DefaultOutOfSyncAfter}}},
			want: want{accepts: false},
		},
		"InSyncOwnThreshold": {
			reason: "A sink receives the inSync recorded for its threshold.",
			args: args{routes: Routes{OutOfSyncAfter: 5 * time.Minute}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleInSync,
				OutOfSyncAfter: &metav1.Duration{Duration: 5 * time.Minute}}},
			want: want{accepts: true},
		},
		"OutOfSyncWithoutThreshold": {
			reason: "An outOfSync that names no threshold is for no sink.",
			args:   args{routes: Routes{}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleOutOfSync}},
			want:   want{accepts: false},
		},
		"FlappingOwnDamping": {
			reason: "A sink that damps flaps receives flapping recorded for its damping.",
			args: args{routes: Routes{Flapping: &normalize.Damping{Transitions: 3, Window: 10 * time.Minute}}, v: prod,
				e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleFlapping, Flapping: &v1alpha1.FlapRecord{Transitions: 3, Window: metav1.Duration{Duration: 10 * time.Minute}}}},
			want: want{accepts: true},
		},
		"StableOtherDamping": {
			reason: "A sink does not receive stable recorded for another damping.",
			args: args{routes: Routes{Flapping: &normalize.Damping{Transitions: 5, Window: 10 * time.Minute}}, v: prod,
				e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleStable, Flapping: &v1alpha1.FlapRecord{Transitions: 3, Window: metav1.Duration{Duration: 10 * time.Minute}}}},
			want: want{accepts: false},
		},
		"FlappingUndamped": {
			reason: "A sink that damps nothing receives no flapping.",
			args: args{routes: Routes{}, v: prod,
				e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleFlapping, Flapping: &v1alpha1.FlapRecord{Transitions: 3, Window: metav1.Duration{Duration: 10 * time.Minute}}}},
			want: want{accepts: false},
		},
		"HeldBack": {
			reason: "A degradation during a flapping episode of the sink's damping is held back from it.",
			args: args{routes: Routes{Flapping: &normalize.Damping{Transitions: 3, Window: 10 * time.Minute}}, v: prod,
				e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleDegraded, HeldFor: []string{"3/10m0s"}}},
			want: want{accepts: false},
		},
		"NotHeldForOthers": {
			reason: "A sink that damps nothing, or otherwise, still receives it.",
			args: args{routes: Routes{Flapping: &normalize.Damping{Transitions: 5, Window: 10 * time.Minute}}, v: prod,
				e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleRecovered, HeldFor: []string{"3/10m0s"}}},
			want: want{accepts: true},
		},
		"ExpressionFails": {
			reason: "An expression that fails refuses the event and says why.",
			args:   args{routes: Routes{Expression: mustCompile(t, "labels['team'] == 'a'")}, v: prod, e: v1alpha1.LedgerEvent{Lifecycle: v1alpha1.LifecycleReady}},
			want:   want{accepts: false, err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tc.args.routes.Accepts(tc.args.v, tc.args.e, tc.args.prev)
			if (err != nil) != tc.want.err {
				t.Fatalf("\n%s\nAccepts(...): want error %t, got %v", tc.reason, tc.want.err, err)
			}
			if got != tc.want.accepts {
				t.Errorf("\n%s\nAccepts(...): want %t, got %t", tc.reason, tc.want.accepts, got)
			}
		})
	}
}

func TestRoutesSelects(t *testing.T) {
	degraded := view("", map[string]string{"env": "prod"})
	degraded.Phase = v1alpha1.PhaseDegraded
	pending := degraded
	pending.Phase = v1alpha1.PhasePending
	cases := map[string]struct {
		reason string
		routes Routes
		v      ledger.View
		want   bool
	}{
		"CurrentLifecycle": {
			reason: "A cluster is matched on the lifecycle that put it in its phase.",
			routes: Routes{Expression: mustCompile(t, "lifecycle == 'degraded' && labels['env'] == 'prod'")},
			v:      degraded,
			want:   true,
		},
		"OtherLifecycle": {
			reason: "A ready-only expression does not match a degraded cluster now.",
			routes: Routes{Expression: mustCompile(t, "lifecycle == 'ready'")},
			v:      degraded,
			want:   false,
		},
		"NotCreatedYet": {
			reason: "A cluster that has no lifecycle yet matches no selector with an expression or lifecycle list.",
			routes: Routes{Expression: mustCompile(t, "true")},
			v:      pending,
			want:   false,
		},
		"ScopeFirst": {
			reason: "The selector's other parts still apply.",
			routes: Routes{Selector: &v1alpha1.Selector{Providers: []string{"gcp"}}, Expression: mustCompile(t, "true")},
			v:      degraded,
			want:   false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, _ := tc.routes.Selects(tc.v)
			if got != tc.want {
				t.Errorf("\n%s\nSelects(...): want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}

func TestSettingsEqualComparesExpressionSource(t *testing.T) {
	a := Settings{ID: "x", Routes: Routes{Expression: mustCompile(t, "lifecycle == 'ready'")}}
	b := Settings{ID: "x", Routes: Routes{Expression: mustCompile(t, "lifecycle == 'ready'")}}
	c := Settings{ID: "x", Routes: Routes{Expression: mustCompile(t, "lifecycle == 'failed'")}}
	if !a.Equal(b) {
		t.Errorf("settings compiled twice from the same expression should be equal")
	}
	if a.Equal(c) || a.Equal(Settings{ID: "x"}) {
		t.Errorf("settings with different expressions should differ")
	}
}
