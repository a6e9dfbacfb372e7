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

package ledger

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// thresholds is a Router of sinks that all route every cluster.
type thresholds []time.Duration

func (thresholds) SinksFor(View) []string    { return nil }
func (t thresholds) SignalsFor(View) Signals { return Signals{OutOfSyncAfter: t} }

// TestOutOfSyncAcrossRestart records outOfSync when its threshold passes
// with no change of the object, persists it, and after a restart neither
// records it again nor forgets to record inSync, which names it.
func TestOutOfSyncAcrossRestart(t *testing.T) {
	const uid = types.UID("uid-1")
	s := runtime.NewScheme()
	if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&v1alpha1.ObservedCluster{}).Build()
	now := at(20)
	clock := func() time.Time { return now }
	p := eksProfile(t)
	obs := func(synced normalize.Condition) normalize.Observation {
		o := readyObs(uid, "prod", at(10), at(20))
		o.Synced = synced
		return o
	}
	lost := normalize.Condition{Status: normalize.StatusFalse, Reason: "ReconcileError", Message: "ExpiredToken", LastTransitionTime: at(20)}
	write := func(lg *Ledger) {
		t.Helper()
		if err := lg.write(context.Background(), uid); err != nil {
			t.Fatalf("write(...): %v", err)
		}
	}
	events := func(lg *Ledger) []v1alpha1.LedgerEvent {
		t.Helper()
		es, err := lg.Log(context.Background(), NameFor(eks, "", "prod", uid))
		if err != nil {
			t.Fatalf("Log(...): %v", err)
		}
		return es
	}

	lg := New(kube, kube, WithClock(clock))
	lg.SetRouter(thresholds{10 * time.Minute})
	lg.Observe(p, eks, obs(lost), false)
	write(lg)
	now = at(29)
	lg.elapse(uid)
	if lg.records[uid].dirty {
		t.Fatalf("elapse(...) before the threshold recorded something")
	}
	now = at(31)
	lg.elapse(uid)
	write(lg)
	es := events(lg)
	if len(es) != 3 || es[2].Lifecycle != v1alpha1.LifecycleOutOfSync {
		t.Fatalf("want created, ready, outOfSync; got %v", es)
	}
	want := v1alpha1.LedgerEvent{
		Seq: 3, ID: EventID(uid, v1alpha1.LifecycleOutOfSync, at(30), "10m0s"), Lifecycle: v1alpha1.LifecycleOutOfSync,
		Type: "environment.modified", Time: metav1.NewTime(at(30)), Reason: "ReconcileError", Message: "ExpiredToken",
		KubernetesVersion: "1.31", Ready: "True/Available", Synced: "False/ReconcileError",
		OutOfSyncAfter: &metav1.Duration{Duration: 10 * time.Minute},
		Previous:       es[1].ID,
	}
	if diff := cmp.Diff(want, es[2]); diff != "" {
		t.Errorf("\nThe outOfSync event carries Synced's time plus the threshold.\n-want, +got:\n%s", diff)
	}

	// A restart: a new ledger reads what the first one wrote, and sees
	// the object, still out of sync, late.
	now = at(40)
	lg = New(kube, kube, WithClock(clock))
	lg.SetRouter(thresholds{10 * time.Minute})
	if err := lg.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	lg.Observe(p, eks, obs(lost), true)
	lg.elapse(uid)
	if r := lg.records[uid]; len(r.unrecorded) > 0 {
		t.Fatalf("after a restart, recorded again: %v", r.unrecorded)
	}
	lg.Observe(p, eks, obs(normalize.Condition{Status: normalize.StatusTrue, Reason: normalize.ReasonReconcileSuccess, LastTransitionTime: at(45)}), false)
	write(lg)
	es = events(lg)
	if len(es) != 4 || es[3].Lifecycle != v1alpha1.LifecycleInSync {
		t.Fatalf("want created, ready, outOfSync, inSync; got %v", es)
	}
	if diff := cmp.Diff([]any{&metav1.Time{Time: at(30)}, es[2].ID, es[2].ID}, []any{es[3].IncidentStart, es[3].IncidentEvent, es[3].Previous}); diff != "" {
		t.Errorf("\ninSync names the outOfSync it ends, by its time and its id, and follows it.\n-want, +got:\n%s", diff)
	}
	oc := &v1alpha1.ObservedCluster{}
	if err := kube.Get(context.Background(), types.NamespacedName{Name: NameFor(eks, "", "prod", uid)}, oc); err != nil {
		t.Fatal(err)
	}
	if len(oc.Status.OutOfSync) != 0 {
		t.Errorf("status.outOfSync after inSync: %v", oc.Status.OutOfSync)
	}
}

func TestLinkEvent(t *testing.T) {
	ev := func(id string, l v1alpha1.Lifecycle, m int) v1alpha1.LedgerEvent {
		return v1alpha1.LedgerEvent{ID: id, Lifecycle: l, Time: metav1.NewTime(at(m))}
	}
	type link struct {
		Previous, IncidentEvent string
		IncidentStart           *metav1.Time
	}
	cases := map[string]struct {
		reason string
		log    []v1alpha1.LedgerEvent
		want   []link
	}{
		"Outage": {
			reason: "Each event follows the one before; the recovery names the degradation that began its outage, not a later one.",
			log: []v1alpha1.LedgerEvent{
				ev("c", v1alpha1.LifecycleCreated, 1), ev("r", v1alpha1.LifecycleReady, 2), ev("d1", v1alpha1.LifecycleDegraded, 3),
				ev("d2", v1alpha1.LifecycleDegraded, 4), ev("rec", v1alpha1.LifecycleRecovered, 5), ev("up", v1alpha1.LifecycleUpgraded, 6),
			},
			want: []link{
				{}, {Previous: "c"}, {Previous: "r"}, {Previous: "d1"},
				{Previous: "d2", IncidentEvent: "d1", IncidentStart: &metav1.Time{Time: at(3)}}, {Previous: "rec"},
			},
		},
		"FailedCreate": {
			reason: "Ready after a failed create ends the incident the failure opened.",
			log:    []v1alpha1.LedgerEvent{ev("c", v1alpha1.LifecycleCreated, 1), ev("f", v1alpha1.LifecycleFailed, 2), ev("r", v1alpha1.LifecycleReady, 3)},
			want:   []link{{}, {Previous: "c"}, {Previous: "f", IncidentEvent: "f", IncidentStart: &metav1.Time{Time: at(2)}}},
		},
		"DeletedEndsNothing": {
			reason: "A deletion during an outage resolves no incident.",
			log:    []v1alpha1.LedgerEvent{ev("d", v1alpha1.LifecycleDegraded, 1), ev("x", v1alpha1.LifecycleDeleted, 2)},
			want:   []link{{}, {Previous: "d"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var (
				open           *metav1.Time
				openID, lastID string
				got            []link
			)
			for _, e := range tc.log {
				open, openID, lastID = linkEvent(&e, open, openID, lastID)
				got = append(got, link{Previous: e.Previous, IncidentEvent: e.IncidentEvent, IncidentStart: e.IncidentStart})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nlinkEvent(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestOpenIncidentSurvivesPruning: a cluster degraded long enough that the
// log no longer holds its degraded event still names the incident, and
// links to the event that began it, when it recovers after a restart.
func TestOpenIncidentSurvivesPruning(t *testing.T) {
	const uid = types.UID("uid-1")
	cases := map[string]struct {
		reason string
		open   *v1alpha1.OpenIncident
		want   []any
	}{
		"Recorded": {
			reason: "The ledger's openIncident names the outage the recovery ends.",
			open:   &v1alpha1.OpenIncident{Start: metav1.NewTime(at(30)), Event: "degraded-id"},
			want:   []any{&metav1.Time{Time: at(30)}, "degraded-id"},
		},
		"LedgerOfAnEarlierRelease": {
			reason: "Without openIncident, and without the degraded event, there is no incident to name.",
			want:   []any{(*metav1.Time)(nil), ""},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// The log holds only events after the degradation.
			oc := ledgerOf(uid, "prod", &metav1.Time{Time: at(40)},
				v1alpha1.LedgerEvent{Seq: 20, ID: "paused-id", Lifecycle: v1alpha1.LifecyclePaused, Time: metav1.NewTime(at(40))})
			oc.Status.Phase, oc.Status.OpenIncident = v1alpha1.PhaseDegraded, tc.open
			lg := newTestLedger(t, oc)
			if err := lg.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			p := eksProfile(t)
			o := readyObs(uid, "prod", at(50), at(50))
			lg.Observe(p, eks, o, true)
			s, ok := lg.snapshot(uid)
			if !ok || len(s.events) == 0 {
				t.Fatal("snapshot(...): nothing recorded")
			}
			e := s.events[len(s.events)-1]
			if e.Lifecycle != v1alpha1.LifecycleRecovered {
				t.Fatalf("want recovered, got %v", s.events)
			}
			if diff := cmp.Diff(tc.want, []any{e.IncidentStart, e.IncidentEvent}); diff != "" {
				t.Errorf("\n%s\nrecovered (incidentStart, incidentEvent): -want, +got:\n%s", tc.reason, diff)
			}
			if s.status.OpenIncident != nil {
				t.Errorf("status.openIncident after recovered: %v", s.status.OpenIncident)
			}
		})
	}
}

// damping is a Router of sinks that all route every cluster and damp flaps.
type damping normalize.Damping

func (damping) SinksFor(View) []string { return nil }
func (d damping) SignalsFor(View) Signals {
	return Signals{Flapping: []normalize.Damping{normalize.Damping(d)}}
}

// TestFlappingAcrossRestart records a flapping episode that a restart
// interrupts: flapping names the outage its trigger ended, the transitions
// after it are held back, the restarted ledger repeats nothing, and stable,
// a window after the last transition, ends the episode and hands back the
// outage still open.
func TestFlappingAcrossRestart(t *testing.T) {
	const uid = types.UID("uid-1")
	s := runtime.NewScheme()
	if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&v1alpha1.ObservedCluster{}).Build()
	now := at(20)
	clock := func() time.Time { return now }
	p := eksProfile(t)
	d := damping{Transitions: 3, Window: 10 * time.Minute}
	obs := func(state string, m int) normalize.Observation {
		o := readyObs(uid, "prod", at(10), at(m))
		o.Facts.CloudState = state
		return o
	}
	newLedger := func() *Ledger {
		lg := New(kube, kube, WithClock(clock))
		lg.SetRouter(d)
		if err := lg.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
		return lg
	}
	write := func(lg *Ledger) {
		t.Helper()
		if err := lg.write(context.Background(), uid); err != nil {
			t.Fatalf("write(...): %v", err)
		}
	}

	lg := newLedger()
	lg.Observe(p, eks, obs("ACTIVE", 10), false)
	for i, st := range []string{"FAILED", "ACTIVE", "FAILED", "ACTIVE"} {
		now = at(30 + i)
		lg.Observe(p, eks, obs(st, 30+i), false)
		write(lg)
	}
	// A restart during the episode; the cluster degrades once more.
	lg = newLedger()
	now = at(40)
	lg.Observe(p, eks, obs("ACTIVE", 33), true)
	now = at(41)
	lg.Observe(p, eks, obs("FAILED", 41), false)
	write(lg)
	now = at(50)
	lg.elapse(uid)
	if len(lg.records[uid].unrecorded) > 0 {
		t.Fatalf("stable recorded before the window passed: %v", lg.records[uid].unrecorded)
	}
	now = at(51)
	lg.elapse(uid)
	write(lg)

	es, err := lg.Log(context.Background(), NameFor(eks, "", "prod", uid))
	if err != nil {
		t.Fatal(err)
	}
	type got struct {
		Lifecycle     v1alpha1.Lifecycle
		Minute        int
		HeldFor       []string
		IncidentStart int
		IncidentEvent string
		OpenIncident  int
		OpenEvent     string
	}
	minute := func(m *metav1.Time) int {
		if m == nil {
			return 0
		}
		return int(m.Sub(t0) / time.Minute)
	}
	ids := map[v1alpha1.Lifecycle][]string{}
	var all []got
	for _, e := range es {
		ids[e.Lifecycle] = append(ids[e.Lifecycle], e.ID)
		g := got{Lifecycle: e.Lifecycle, Minute: minute(&e.Time), HeldFor: e.HeldFor, IncidentStart: minute(e.IncidentStart), IncidentEvent: e.IncidentEvent}
		if e.OpenIncident != nil {
			g.OpenIncident, g.OpenEvent = minute(&e.OpenIncident.Start), e.OpenIncident.Event
		}
		all = append(all, g)
	}
	degraded := ids[v1alpha1.LifecycleDegraded]
	if len(degraded) != 3 || len(ids[v1alpha1.LifecycleFlapping]) != 1 {
		t.Fatalf("want 3 degraded and 1 flapping, got %v", all)
	}
	want := []got{
		{Lifecycle: v1alpha1.LifecycleCreated, Minute: 0},
		{Lifecycle: v1alpha1.LifecycleReady, Minute: 10},
		{Lifecycle: v1alpha1.LifecycleDegraded, Minute: 30},
		{Lifecycle: v1alpha1.LifecycleRecovered, Minute: 31, IncidentStart: 30, IncidentEvent: degraded[0]},
		{Lifecycle: v1alpha1.LifecycleDegraded, Minute: 32},
		{Lifecycle: v1alpha1.LifecycleRecovered, Minute: 33, HeldFor: []string{"3/10m0s"}, IncidentStart: 32, IncidentEvent: degraded[1]},
		{Lifecycle: v1alpha1.LifecycleFlapping, Minute: 33, IncidentStart: 32, IncidentEvent: degraded[1]},
		{Lifecycle: v1alpha1.LifecycleDegraded, Minute: 41, HeldFor: []string{"3/10m0s"}},
		{Lifecycle: v1alpha1.LifecycleStable, Minute: 51, IncidentStart: 33, IncidentEvent: ids[v1alpha1.LifecycleFlapping][0], OpenIncident: 41, OpenEvent: degraded[2]},
	}
	if diff := cmp.Diff(want, all); diff != "" {
		t.Errorf("\nledger events: -want, +got:\n%s", diff)
	}
	oc := &v1alpha1.ObservedCluster{}
	if err := kube.Get(context.Background(), types.NamespacedName{Name: NameFor(eks, "", "prod", uid)}, oc); err != nil {
		t.Fatal(err)
	}
	if len(oc.Status.Flapping) != 0 {
		t.Errorf("status.flapping after stable: %v", oc.Status.Flapping)
	}
}
