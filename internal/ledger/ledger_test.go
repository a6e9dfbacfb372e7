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
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// t0 is when the test clusters' stories begin.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// at returns t0 plus m minutes.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

// newTestLedger returns a ledger over a fake API server holding objs.
func newTestLedger(t *testing.T, objs ...client.Object) *Ledger {
	t.Helper()
	s := runtime.NewScheme()
	if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	kube := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).WithStatusSubresource(&v1alpha1.ObservedCluster{}).Build()
	return New(kube, kube, WithControlPlaneName("test"))
}

func eksProfile(t *testing.T) *catalog.Profile {
	t.Helper()
	p, ok := catalog.New().Lookup(eks)
	if !ok {
		t.Fatal("no built-in profile for upjet EKS")
	}
	return p
}

// readyObs is an upjet EKS cluster that is ready since ready, carrying
// latest as its newest time.
func readyObs(uid types.UID, name string, ready, latest time.Time) normalize.Observation {
	return normalize.Observation{
		UID: uid, Name: name, APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster",
		CreationTimestamp: t0,
		Ready:             normalize.Condition{Status: normalize.StatusTrue, Reason: normalize.ReasonAvailable, LastTransitionTime: ready},
		Facts:             v1alpha1.Facts{CloudState: "ACTIVE", KubernetesVersion: "1.31"},
		Latest:            latest,
	}
}

func deletingObs(uid types.UID, name string, deleting, latest time.Time) normalize.Observation {
	o := readyObs(uid, name, at(10), latest)
	o.DeletionTimestamp = deleting
	return o
}

// lastTransition is the newest transition a record holds unrecorded.
func lastTransition(t *testing.T, lg *Ledger, uid types.UID) normalize.Transition {
	t.Helper()
	lg.mu.Lock()
	defer lg.mu.Unlock()
	r, ok := lg.records[uid]
	if !ok || len(r.unrecorded) == 0 {
		t.Fatalf("record %s has no unrecorded transition", uid)
	}
	return r.unrecorded[len(r.unrecorded)-1].Transition
}

// ledgerOf is what a provider that recorded a cluster up to deleting
// left behind.
func ledgerOf(uid types.UID, name string, latest *metav1.Time, events ...v1alpha1.LedgerEvent) *v1alpha1.ObservedCluster {
	oc := &v1alpha1.ObservedCluster{}
	oc.SetName(NameFor(eks, "", name, uid))
	oc.SetCreationTimestamp(metav1.NewTime(t0))
	oc.Status = v1alpha1.ObservedClusterStatus{
		ResourceRef:      v1alpha1.ResourceRef{APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster", Name: name, UID: uid},
		Group:            eks.Group,
		Phase:            v1alpha1.PhaseDeleting,
		Created:          true,
		Facts:            v1alpha1.Facts{KubernetesVersion: "1.31"},
		Events:           events,
		LatestObjectTime: latest,
	}
	if len(events) > 0 {
		oc.Status.LastSeq = events[len(events)-1].Seq
	}
	return oc
}

func TestDeletedTime(t *testing.T) {
	const uid = types.UID("uid-1")
	deleting := v1alpha1.LedgerEvent{Seq: 3, ID: "d", Lifecycle: v1alpha1.LifecycleDeleting, Time: metav1.NewTime(at(200))}
	type want struct {
		at       time.Time
		replayed bool
	}
	cases := map[string]struct {
		reason string
		run    func(t *testing.T) *Ledger
		want   want
	}{
		"SeenLive": {
			reason: "A deletion seen live is stamped with the newest time the object carried when the ledger last changed, not with a later write that changed nothing recorded, nor the clock.",
			run: func(t *testing.T) *Ledger {
				t.Helper()
				lg := newTestLedger(t)
				p := eksProfile(t)
				lg.Observe(p, eks, readyObs(uid, "prod", at(10), at(10)), false)
				lg.Observe(p, eks, deletingObs(uid, "prod", at(200), at(201)), false)
				// The finalizer goes: a write with a newer time that the
				// ledger records nothing of.
				lg.Observe(p, eks, deletingObs(uid, "prod", at(200), at(260)), false)
				lg.Gone(uid, false)
				return lg
			},
			want: want{at: at(201)},
		},
		"FoundAfterRestart": {
			reason: "A deletion found after a restart gets the time the ledger recorded, the same as if it had been seen live.",
			run: func(t *testing.T) *Ledger {
				t.Helper()
				lg := newTestLedger(t, ledgerOf(uid, "prod", &metav1.Time{Time: at(201)}, deleting))
				if err := lg.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
				lg.Resync(eks, nil)
				return lg
			},
			want: want{at: at(201), replayed: true},
		},
		"LedgerOfAnEarlierRelease": {
			reason: "A ledger that does not hold the object's newest time stamps the deletion with its newest event.",
			run: func(t *testing.T) *Ledger {
				t.Helper()
				lg := newTestLedger(t, ledgerOf(uid, "prod", nil, deleting))
				if err := lg.Load(context.Background()); err != nil {
					t.Fatal(err)
				}
				lg.Resync(eks, nil)
				return lg
			},
			want: want{at: at(200), replayed: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg := tc.run(t)
			tr := lastTransition(t, lg, uid)
			got := want{at: tr.Time, replayed: tr.Replayed}
			if tr.Lifecycle != v1alpha1.LifecycleDeleted {
				t.Fatalf("last transition: want deleted, got %s", tr.Lifecycle)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\ndeleted transition: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLatestObjectTimeWritten(t *testing.T) {
	const uid = types.UID("uid-1")
	lg := newTestLedger(t)
	p := eksProfile(t)
	lg.Observe(p, eks, readyObs(uid, "prod", at(10), at(12)), false)
	lg.Observe(p, eks, readyObs(uid, "prod", at(10), at(15)), false)
	s, ok := lg.snapshot(uid)
	if !ok {
		t.Fatal("snapshot(...): nothing to write")
	}
	want := &metav1.Time{Time: at(12)}
	if diff := cmp.Diff(want, s.status.LatestObjectTime); diff != "" {
		t.Errorf("\nThe ledger records the object's newest time as of the last observation it records something of.\nstatus.latestObjectTime: -want, +got:\n%s", diff)
	}
}

func TestUnrecordedOverflow(t *testing.T) {
	type want struct {
		unrecorded int
		dropped    int64
		metric     float64
		first      time.Time
	}
	cases := map[string]struct {
		reason string
		n      int
		want   want
	}{
		"WithinLimit": {
			reason: "Up to 64 unrecorded transitions are all kept.",
			n:      64,
			want:   want{unrecorded: 64, first: at(0)},
		},
		"BeyondLimit": {
			reason: "Beyond 64 the oldest are dropped, and counted in the ledger and the metric.",
			n:      70,
			want:   want{unrecorded: 64, dropped: 6, metric: 6, first: at(6)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := NewMetrics(reg)
			if err != nil {
				t.Fatal(err)
			}
			lg := newTestLedger(t)
			lg.metrics = m
			r := &Record{uid: "uid-1", kind: kindOf(eks, "", ""), objName: "prod", detected: packState(normalize.State{Phase: v1alpha1.PhaseReady, Created: true})}
			lg.records[r.uid] = r
			ts := make([]normalize.Transition, 0, tc.n)
			for i := range tc.n {
				l := v1alpha1.LifecycleDegraded
				if i%2 == 1 {
					l = v1alpha1.LifecycleRecovered
				}
				ts = append(ts, normalize.Transition{Lifecycle: l, Time: at(i)})
			}
			lg.mu.Lock()
			lg.add(r, ts)
			r.dirty = true
			lg.mu.Unlock()
			s, ok := lg.snapshot(r.uid)
			if !ok {
				t.Fatal("snapshot(...): nothing to write")
			}
			got := want{unrecorded: len(r.unrecorded), dropped: s.status.DroppedTransitions, metric: counterValue(t, reg, "cdevents_ledger_transitions_dropped_total"), first: r.unrecorded[0].Time}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\n(unrecorded, status.droppedTransitions, metric, oldest kept): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// counterValue reads one unlabelled counter from a registry.
func counterValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather(): %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no counter %s", name)
	return 0
}

func TestIncarnations(t *testing.T) {
	ns := schema.GroupKind{Group: "eks.aws.m.upbound.io", Kind: "Cluster"}
	obs := func(uid types.UID, namespace, name string) normalize.Observation {
		o := readyObs(uid, name, at(10), at(10))
		o.Namespace = namespace
		return o
	}
	type want struct {
		pred, succ types.UID
		oldGone    bool
	}
	cases := map[string]struct {
		reason string
		run    func(lg *Ledger, p *catalog.Profile)
		want   want
	}{
		"DeletedThenRecreated": {
			reason: "A cluster deleted and created again under the same name is linked to its previous incarnation.",
			run: func(lg *Ledger, p *catalog.Profile) {
				lg.Observe(p, eks, obs("old", "", "prod"), false)
				lg.Gone("old", false)
				lg.Observe(p, eks, obs("new", "", "prod"), false)
			},
			want: want{pred: "old", succ: "new", oldGone: true},
		},
		"ReplacedWhileUnwatched": {
			reason: "A new object under the name of one never seen gone proves the old one gone: it is recorded deleted, and linked.",
			run: func(lg *Ledger, p *catalog.Profile) {
				lg.Observe(p, eks, obs("old", "", "prod"), false)
				lg.Observe(p, eks, obs("new", "", "prod"), true)
			},
			want: want{pred: "old", succ: "new", oldGone: true},
		},
		"OtherName": {
			reason: "Another name is another cluster.",
			run: func(lg *Ledger, p *catalog.Profile) {
				lg.Observe(p, eks, obs("old", "", "prod"), false)
				lg.Observe(p, eks, obs("new", "", "staging"), false)
			},
			want: want{},
		},
		"OtherNamespace": {
			reason: "The same name in another namespace is another cluster.",
			run: func(lg *Ledger, p *catalog.Profile) {
				lg.Observe(p, ns, obs("old", "team-a", "prod"), false)
				lg.Observe(p, ns, obs("new", "team-b", "prod"), false)
			},
			want: want{},
		},
		"OtherKind": {
			reason: "The same name of another kind is another cluster.",
			run: func(lg *Ledger, p *catalog.Profile) {
				lg.Observe(p, eks, obs("old", "", "prod"), false)
				lg.Observe(p, ns, obs("new", "", "prod"), false)
			},
			want: want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg := newTestLedger(t)
			tc.run(lg, eksProfile(t))
			pred, _ := lg.Predecessor("new")
			succ, _ := lg.Successor("old")
			got := want{pred: pred, succ: succ, oldGone: lg.records["old"].gone}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\n(Predecessor(new), Successor(old), old gone): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestIncarnationsLoaded(t *testing.T) {
	older := ledgerOf("old", "prod", &metav1.Time{Time: at(201)}, v1alpha1.LedgerEvent{Seq: 1, ID: "x", Lifecycle: v1alpha1.LifecycleDeleted, Time: metav1.NewTime(at(201))})
	older.Status.Phase = v1alpha1.PhaseDeleted
	newer := ledgerOf("new", "prod", &metav1.Time{Time: at(300)}, v1alpha1.LedgerEvent{Seq: 1, ID: "y", Lifecycle: v1alpha1.LifecycleCreated, Time: metav1.NewTime(at(300))})
	newer.Status.Phase = v1alpha1.PhaseReady
	lg := newTestLedger(t, newer, older)
	if err := lg.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	pred, _ := lg.Predecessor("new")
	if diff := cmp.Diff(types.UID("old"), pred); diff != "" {
		t.Errorf("\nLedgers of two incarnations read at start are linked, the deleted one first.\nPredecessor(new): -want, +got:\n%s", diff)
	}

	// Once the old ledger is removed the link goes with it.
	lg.mu.Lock()
	lg.remove("old")
	lg.mu.Unlock()
	if _, ok := lg.Predecessor("new"); ok {
		t.Errorf("Predecessor(new) after the predecessor's ledger was removed: want none")
	}
}

func TestAdoptSkipsRecorded(t *testing.T) {
	const uid = types.UID("uid-1")
	created := normalize.Transition{Lifecycle: v1alpha1.LifecycleCreated, Time: at(2)}
	ready := normalize.Transition{Lifecycle: v1alpha1.LifecycleReady, Time: at(10)}
	upgraded := normalize.Transition{Lifecycle: v1alpha1.LifecycleUpgraded, Time: at(50), Value: "1.32"}
	event := func(seq int64, tr normalize.Transition) v1alpha1.LedgerEvent {
		return v1alpha1.LedgerEvent{Seq: seq, ID: EventID(uid, tr.Lifecycle, tr.Time, tr.Value), Lifecycle: tr.Lifecycle, Time: metav1.NewTime(tr.Time)}
	}
	type want struct {
		unrecorded []v1alpha1.Lifecycle
		detected   v1alpha1.Phase
	}
	cases := map[string]struct {
		reason     string
		unrecorded []normalize.Transition
		want       want
	}{
		"AllRecorded": {
			reason:     "Transitions another writer already recorded are not recorded again, and the ledger's state is taken.",
			unrecorded: []normalize.Transition{created, ready},
			want:       want{detected: v1alpha1.PhaseReady},
		},
		"SomeNew": {
			reason:     "Only transitions the ledger does not hold remain to be recorded.",
			unrecorded: []normalize.Transition{created, ready, upgraded},
			want:       want{unrecorded: []v1alpha1.Lifecycle{v1alpha1.LifecycleUpgraded}, detected: v1alpha1.PhaseReady},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg := newTestLedger(t)
			r := &Record{uid: uid, kind: kindOf(eks, "", ""), objName: "prod", detected: packState(normalize.State{Phase: v1alpha1.PhaseReady, Created: true})}
			for _, tr := range tc.unrecorded {
				r.unrecorded = append(r.unrecorded, pending{Transition: tr})
			}
			oc := ledgerOf(uid, "prod", nil, event(1, created), event(2, ready))
			oc.Status.Phase = v1alpha1.PhaseReady
			lg.mu.Lock()
			lg.records[uid] = r
			lg.adopt(r, oc)
			lg.mu.Unlock()
			got := want{detected: r.detected.phase}
			for _, p := range r.unrecorded {
				got.unrecorded = append(got.unrecorded, p.Lifecycle)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nafter adopt: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// countingReader counts the reads of ledgers.
type countingReader struct {
	client.Reader
	gets int
}

func (c *countingReader) Get(ctx context.Context, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
	c.gets++
	return c.Reader.Get(ctx, key, obj, opts...)
}

// TestEventsReadsOnce: events no longer held in memory are read back with
// one read of the ledger, however many are asked for.
func TestEventsReadsOnce(t *testing.T) {
	ctx := context.Background()
	uid := types.UID("uid-events")
	var logged []v1alpha1.LedgerEvent
	for seq := int64(1); seq <= 3; seq++ {
		logged = append(logged, v1alpha1.LedgerEvent{Seq: seq, ID: fmt.Sprintf("e%d", seq), Lifecycle: v1alpha1.LifecycleReady})
	}
	lg := newTestLedger(t, ledgerOf(uid, "prod", nil, logged...))
	if err := lg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	reads := &countingReader{Reader: lg.reader}
	lg.reader = reads
	cases := map[string]struct {
		reason   string
		from, to int64
		want     []string
	}{
		"All":      {reason: "Every event asked for comes back, in order.", from: 1, to: 3, want: []string{"e1", "e2", "e3"}},
		"PastLast": {reason: "Seqs past the recorded log are not there yet.", from: 2, to: 9, want: []string{"e2", "e3"}},
		"None":     {reason: "Nothing asked for, nothing read.", from: 4, to: 9},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			before := reads.gets
			evs, err := lg.Events(ctx, uid, tc.from, tc.to)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				got = append(got, e.ID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nEvents(..., %d, %d): -want, +got:\n%s", tc.reason, tc.from, tc.to, diff)
			}
			if n := reads.gets - before; n > 1 {
				t.Errorf("\n%s\nEvents(..., %d, %d) read the ledger %d times, want at most once", tc.reason, tc.from, tc.to, n)
			}
		})
	}
}
