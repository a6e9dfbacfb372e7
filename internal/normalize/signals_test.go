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

package normalize

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// A tick is one thing that happens to a cluster over time: an observation
// of its object (obj), or only time passing (obj nil), at now.
type tick struct {
	obj  *unstructured.Unstructured
	now  time.Time
	late bool
	// restart drops what the provider keeps only in memory before this
	// tick, as a restart does: the state is what the ledger persisted.
	restart bool
}

// persisted is what the ledger writes of a state and reads back at start.
func persisted(s State) State {
	return State{Phase: s.Phase, Created: s.Created, KubernetesVersion: s.KubernetesVersion, Paused: s.Paused, OutOfSync: s.OutOfSync,
		Recent: s.Recent, Flaps: s.Flaps}
}

// live feeds ticks to Next and Elapse with the thresholds of the sinks, and
// returns every transition and the final state. Each tick is repeated,
// which must emit nothing; Due must say when the next outOfSync is due.
func live(t *testing.T, thresholds []time.Duration, ticks []tick) ([]Transition, State) {
	t.Helper()
	return liveWith(t, Context{OutOfSyncAfter: thresholds}, ticks)
}

// liveWith is live with the sinks' settings in c.
func liveWith(t *testing.T, sinks Context, ticks []tick) ([]Transition, State) {
	t.Helper()
	thresholds := sinks.OutOfSyncAfter
	p := profile(t, "eks.aws.upbound.io", "Cluster")
	var all []Transition
	var s State
	for i, tk := range ticks {
		if tk.restart {
			s = persisted(s)
		}
		c := Context{Late: tk.late, Now: tk.now, OutOfSyncAfter: thresholds, Flapping: sinks.Flapping}
		var ts []Transition
		if tk.obj == nil {
			s, ts = Elapse(s, c)
		} else {
			s, ts = Next(p, s, Observe(p, tk.obj), c)
		}
		all = append(all, ts...)
		if s2, again := Elapse(s, c); len(again) > 0 || !s2.Equal(s) {
			t.Errorf("tick %d: elapsing again at the same time must emit nothing; got %v", i, again)
		}
		if due, ok := Due(s, thresholds); ok && !due.After(tk.now) {
			t.Errorf("tick %d: Due says %v, not after now %v", i, due, tk.now)
		}
	}
	return all, s
}

func TestSignals(t *testing.T) {
	base := []mod{
		createSucceeded(at(2)), lastAsync(StatusTrue, "Success", at(20)), ready(StatusTrue, ReasonAvailable, at(20)),
		synced(StatusTrue, ReasonReconcileSuccess, at(20)),
		field("status.atProvider.status", "ACTIVE"), field("status.atProvider.version", "1.30"),
	}
	eks := func(more ...mod) *unstructured.Unstructured {
		return object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", with(base, more...)...)
	}
	syncErr := synced(StatusFalse, "ReconcileError", at(30), "cannot observe: ExpiredToken")
	ten, five := 10*time.Minute, 5*time.Minute
	upTo := func(ts ...Transition) []Transition {
		return append([]Transition{
			tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, "1.30"),
			tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30"),
		}, ts...)
	}
	outOfSync := func(d time.Duration, when time.Time, fns ...func(*Transition)) Transition {
		return tr(v1alpha1.LifecycleOutOfSync, when, "ReconcileError", "1.30", append([]func(*Transition){
			msg("cannot observe: ExpiredToken"), value(d.String()), func(t *Transition) { t.After = d },
		}, fns...)...)
	}
	inSync := func(d time.Duration, when, since time.Time) Transition {
		return tr(v1alpha1.LifecycleInSync, when, ReasonReconcileSuccess, "1.30", value(d.String()), func(t *Transition) {
			t.After, t.IncidentStart = d, since
		})
	}
	type want struct {
		ts    []Transition
		state State
	}
	cases := map[string]struct {
		reason     string
		thresholds []time.Duration
		ticks      []tick
		want       want
	}{
		"BriefSyncError": {
			reason:     "Synced=False that recovers before the threshold emits nothing.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(syncErr), now: at(30)},
				{now: at(35)},
				{obj: eks(synced(StatusTrue, ReasonReconcileSuccess, at(36))), now: at(36)},
				{now: at(60)},
			},
			want: want{ts: upTo(), state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"}},
		},
		"OutOfSyncByTimer": {
			reason:     "Synced=False past the threshold, with no change of the object, emits outOfSync at Synced's time plus the threshold; Synced=True emits inSync at its time, naming the outOfSync it ends.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(syncErr), now: at(30)},
				{now: at(39)},
				{now: at(41)},
				{obj: eks(synced(StatusTrue, ReasonReconcileSuccess, at(55))), now: at(55)},
			},
			want: want{
				ts:    upTo(outOfSync(ten, at(40)), inSync(ten, at(55), at(40))),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"TwoThresholds": {
			reason:     "Each threshold gets its own outOfSync and inSync, told apart by their value.",
			thresholds: []time.Duration{five, ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(syncErr), now: at(30)},
				{now: at(36)},
				{now: at(45)},
				{obj: eks(synced(StatusTrue, ReasonReconcileSuccess, at(50))), now: at(50)},
			},
			want: want{
				ts: upTo(outOfSync(five, at(35)), outOfSync(ten, at(40)),
					inSync(five, at(50), at(35)), inSync(ten, at(50), at(40))),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"ReadyLater": {
			reason:     "A cluster that turns Ready after Synced turned False is measured from when it turned Ready.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", createSucceeded(at(2)), ready(StatusFalse, ReasonCreating, at(2)),
					synced(StatusFalse, "ReconcileError", at(5), "cannot observe: ExpiredToken")), now: at(5)},
				{obj: eks(synced(StatusFalse, "ReconcileError", at(5), "cannot observe: ExpiredToken")), now: at(21)},
				{now: at(31)},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30"),
					outOfSync(ten, at(30)),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					OutOfSync: []OutOfSync{{After: ten, Since: at(30)}}, SyncLost: at(20),
					SyncReason: "ReconcileError", SyncMessage: "cannot observe: ExpiredToken"},
			},
		},
		"FirstSightLongOutOfSync": {
			reason:     "A cluster first seen long out of sync emits outOfSync at once, replayed, with the same time it would have had live.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(syncErr), now: at(90), late: true},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, "1.30", replayed()),
					tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30", replayed()),
					outOfSync(ten, at(40), replayed()),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					OutOfSync: []OutOfSync{{After: ten, Since: at(40)}}, SyncLost: at(30),
					SyncReason: "ReconcileError", SyncMessage: "cannot observe: ExpiredToken"},
			},
		},
		"RestartWhileOutOfSync": {
			reason:     "After a restart the persisted outOfSync is not emitted again, and inSync still follows.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(syncErr), now: at(30)},
				{now: at(41)},
				{obj: eks(syncErr), now: at(50), late: true, restart: true},
				{obj: eks(synced(StatusTrue, ReasonReconcileSuccess, at(55))), now: at(55)},
			},
			want: want{
				ts:    upTo(outOfSync(ten, at(40)), inSync(ten, at(55), at(40))),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"RestartBeforeDue": {
			reason:     "A restart before the threshold passes loses nothing: the first observation finds when Synced turned False.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(syncErr), now: at(30)},
				{obj: eks(syncErr), now: at(35), late: true, restart: true},
				{now: at(40)},
			},
			want: want{
				ts: upTo(outOfSync(ten, at(40))),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					OutOfSync: []OutOfSync{{After: ten, Since: at(40)}}, SyncLost: at(30),
					SyncReason: "ReconcileError", SyncMessage: "cannot observe: ExpiredToken"},
			},
		},
		"NotWhileNotReady": {
			reason:     "Synced=False while Ready=False is a degraded cluster, not an out-of-sync one.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(syncErr, ready(StatusFalse, ReasonUnavailable, at(30)), field("status.atProvider.status", "FAILED")), now: at(30)},
				{now: at(60)},
			},
			want: want{
				ts:    upTo(tr(v1alpha1.LifecycleDegraded, at(30), "FAILED", "1.30", msg("cloud state is FAILED"))),
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"NotWhilePaused": {
			reason:     "A paused cluster is Synced=False on purpose: paused and resumed, never outOfSync.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(annotation(AnnotationPaused, "true"), touched(at(30))), now: at(30)},
				{obj: eks(annotation(AnnotationPaused, "true"), synced(StatusFalse, ReasonReconcilePaused, at(31), "Reconciliation is paused via the pause annotation")), now: at(31)},
				{now: at(60)},
				{obj: eks(synced(StatusFalse, ReasonReconcilePaused, at(31), "Reconciliation is paused via the pause annotation"), touched(at(61))), now: at(61)},
				{obj: eks(synced(StatusTrue, ReasonReconcileSuccess, at(62))), now: at(62)},
			},
			want: want{
				ts: upTo(
					tr(v1alpha1.LifecyclePaused, at(30), ReasonReconcilePaused, "1.30", msg("reconciliation is paused"), value("paused")),
					tr(v1alpha1.LifecycleResumed, at(62), ReasonReconcileSuccess, "1.30"),
				),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"PausedFirstSeen": {
			reason:     "A cluster first seen paused emits paused at Synced's time, after created and ready.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(annotation(AnnotationPaused, "true"), synced(StatusFalse, ReasonReconcilePaused, at(31))), now: at(40), late: true},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, "1.30", replayed()),
					tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30", replayed()),
					tr(v1alpha1.LifecyclePaused, at(31), ReasonReconcilePaused, "1.30", replayed()),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30", Paused: true},
			},
		},
		"PausedBeforeCreate": {
			reason:     "A cluster paused before it was created says nothing of a pause until it exists.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", annotation(AnnotationPaused, "true"),
					synced(StatusFalse, ReasonReconcilePaused, at(1))), now: at(1)},
			},
			want: want{state: State{Phase: v1alpha1.PhasePending}},
		},
		"DeletingClosesNothing": {
			reason:     "A deletion while out of sync emits deleting only; time passing then emits nothing.",
			thresholds: []time.Duration{ten},
			ticks: []tick{
				{obj: eks(), now: at(21)},
				{obj: eks(syncErr), now: at(30)},
				{obj: eks(syncErr, deleting(at(35))), now: at(35)},
				{now: at(60)},
			},
			want: want{
				ts:    upTo(tr(v1alpha1.LifecycleDeleting, at(35), "", "1.30")),
				state: State{Phase: v1alpha1.PhaseDeleting, Created: true, KubernetesVersion: "1.30"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ts, s := live(t, tc.thresholds, tc.ticks)
			if diff := cmp.Diff(tc.want, want{ts: ts, state: s}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nNext and Elapse: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPausedSurvivesTrim(t *testing.T) {
	p := profile(t, "eks.aws.upbound.io", "Cluster")
	cases := map[string]struct {
		reason string
		obj    *unstructured.Unstructured
		want   bool
	}{
		"Paused": {
			reason: "The informer keeps trimmed objects: the pause annotation must survive trimming.",
			obj:    object("eks.aws.upbound.io/v1beta2", "Cluster", "c", annotation(AnnotationPaused, "true"), annotation("team", "a")),
			want:   true,
		},
		"NotTrue": {
			reason: "Only \"true\" pauses, as in Crossplane.",
			obj:    object("eks.aws.upbound.io/v1beta2", "Cluster", "c", annotation(AnnotationPaused, "false")),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			trimmed := &unstructured.Unstructured{Object: p.Trim(tc.obj.Object)}
			if got := Observe(p, trimmed).Paused; got != tc.want {
				t.Errorf("\n%s\nObserve(p, Trim(...)).Paused: want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}
