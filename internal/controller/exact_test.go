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

package controller_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// runLedger runs a ledger's writers until the returned stop is called.
func runLedger(t *testing.T, lg *ledger.Ledger) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- lg.Run(ctx, time.Hour) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// TestLedgerAdoptsAnotherWritersLedger: a writer that finds the ledger it is
// about to create already written by another (a leader handover) adopts it
// and adds to it under a guard; it never overwrites what the other recorded.
func TestLedgerAdoptsAnotherWritersLedger(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	gk := schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}
	p, ok := catalog.New().Lookup(gk)
	if !ok {
		t.Fatal("no built-in profile for upjet EKS")
	}
	uid := types.UID(fmt.Sprintf("adopt-%d", time.Now().UnixNano()))
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	obs := func(region, cloud string, ready bool) normalize.Observation {
		o := normalize.Observation{
			UID: uid, Name: "adopted", APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster",
			CreationTimestamp: t0, CreateSucceeded: t0.Add(time.Minute),
			Ready:  normalize.Condition{Status: normalize.StatusFalse, Reason: normalize.ReasonCreating, LastTransitionTime: t0.Add(time.Minute)},
			Synced: normalize.Condition{Status: normalize.StatusTrue, Reason: normalize.ReasonReconcileSuccess, LastTransitionTime: t0.Add(time.Minute)},
			Facts:  v1alpha1.Facts{Region: region, CloudState: cloud, KubernetesVersion: "1.31"},
			Latest: t0.Add(time.Minute),
		}
		if ready {
			o.Ready = normalize.Condition{Status: normalize.StatusTrue, Reason: normalize.ReasonAvailable, LastTransitionTime: t0.Add(10 * time.Minute)}
			o.Latest = t0.Add(20 * time.Minute)
		}
		return o
	}
	name := ledger.NameFor(gk, "", "adopted", uid)

	// This writer has read the (still missing) ledgers and detected the
	// cluster being created, but not written yet.
	late := ledger.New(kube, kube, ledger.WithControlPlaneName("test"))
	if err := late.Load(ctx); err != nil {
		t.Fatal(err)
	}
	late.Observe(p, gk, obs("eu-west-1", "CREATING", false), false)

	// Meanwhile another writer records created, ready and degraded.
	other := ledger.New(kube, kube, ledger.WithControlPlaneName("test"))
	if err := other.Load(ctx); err != nil {
		t.Fatal(err)
	}
	other.Observe(p, gk, obs("eu-west-1", "ACTIVE", true), false)
	other.Observe(p, gk, obs("eu-west-1", "FAILED", true), false)
	stopOther := runLedger(t, other)
	var recorded *v1alpha1.ObservedCluster
	if err := testkit.Eventually(waitLong, func() error {
		oc := &v1alpha1.ObservedCluster{}
		if err := kube.Get(ctx, types.NamespacedName{Name: name}, oc); err != nil {
			return err
		}
		if oc.Status.LastSeq != 3 {
			return fmt.Errorf("the other writer's ledger has lastSeq %d", oc.Status.LastSeq)
		}
		recorded = oc
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	stopOther()
	t.Cleanup(func() { _ = kube.Delete(context.Background(), recorded) })

	// Now the late writer writes: its ledger exists already.
	runLedger(t, late)
	got := &v1alpha1.ObservedCluster{}
	if err := testkit.Eventually(waitLong, func() error {
		if err := kube.Get(ctx, types.NamespacedName{Name: name}, got); err != nil {
			return err
		}
		if got.Status.Facts.CloudState != "CREATING" {
			return fmt.Errorf("the late writer has not written yet: cloud state %q", got.Status.Facts.CloudState)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type event struct {
		Seq       int64
		ID        string
		Lifecycle v1alpha1.Lifecycle
	}
	events := func(oc *v1alpha1.ObservedCluster) []event {
		var out []event
		for _, e := range oc.Status.Events {
			out = append(out, event{Seq: e.Seq, ID: e.ID, Lifecycle: e.Lifecycle})
		}
		return out
	}
	if diff := cmp.Diff(events(recorded), events(got)); diff != "" {
		t.Errorf("\nThe events another writer recorded are kept, and nothing it recorded is recorded again.\nevents: -want, +got:\n%s", diff)
	}
	if got.Status.LastSeq != 3 || got.Status.Phase != v1alpha1.PhaseDegraded {
		t.Errorf("ledger after adoption: lastSeq %d phase %s, want 3 and Degraded", got.Status.LastSeq, got.Status.Phase)
	}
}

// seriesValue reads one series of a metric family in the provider's
// registry, by its labels.
func seriesValue(t *testing.T, p *testkit.Provider, name string, labels map[string]string) float64 {
	t.Helper()
	mfs, err := p.Registry.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestRefusedEventsGiveUpVisibly: an event the sink refuses on every
// attempt, with no dead-letter sink or one that refuses it too, is given up
// after its retries, in the config's status, a metric and a Kubernetes
// event, and the cluster's later events flow on.
func TestRefusedEventsGiveUpVisibly(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	p := startProvider(t)

	cases := map[string]struct {
		reason     string
		deadLetter int
		want       string
	}{
		"NoDeadLetterSink": {
			reason: "Refused with nowhere else to go, the event is given up as rejected.",
			want:   deliver.DropRejected,
		},
		"DeadLetterSinkRefusesToo": {
			reason:     "Refused by the sink and the dead-letter sink, the event is given up as dead_letter_failed.",
			deadLetter: http.StatusBadRequest,
			want:       deliver.DropDeadLetterFailed,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			label := unique("drop-" + strings.ToLower(name))
			sink := startSink(t)
			// The sink refuses every created event, for good.
			sink.RespondToRequest(func(r *http.Request, _ int, _ http.Header) int {
				if strings.Contains(r.Header.Get("Ce-Type"), ".environment.created.") {
					return http.StatusRequestEntityTooLarge
				}
				return http.StatusOK
			})
			var dlq *testkit.Sink
			if tc.deadLetter != 0 {
				dlq = startSink(t)
				dlq.Respond(func(int, http.Header) int { return tc.deadLetter })
			}
			createConfig(ctx, t, clusterProviderConfig(label, sink.URL(), selectLabel(label), fastRetry, func(s *v1alpha1.ProviderConfigSpec) {
				s.Delivery.Retry = ptr(int32(2))
				if dlq != nil {
					s.Delivery.DeadLetterSink = &v1alpha1.Sink{URL: dlq.URL()}
				}
			}))
			eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
			names := readyClusters(ctx, t, eks, label, label, 1)

			if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sink.Lifecycles(names[0])) >= 1 }) {
				t.Fatalf("%s\nthe event after the refused one never arrived; sink got %v", tc.reason, sink.Lifecycles(names[0]))
			}
			if diff := cmp.Diff([]string{"ready"}, sink.Lifecycles(names[0])); diff != "" {
				t.Errorf("\n%s\nlifecycles at the sink: -want, +got:\n%s", tc.reason, diff)
			}
			if err := testkit.Eventually(waitLong, func() error {
				got := &v1alpha1.ClusterProviderConfig{}
				if err := kube.Get(ctx, types.NamespacedName{Name: label}, got); err != nil {
					return err
				}
				if got.Status.Dropped != 1 || got.Status.Pending != 0 {
					return fmt.Errorf("status dropped %d pending %d, want 1 and 0", got.Status.Dropped, got.Status.Pending)
				}
				return nil
			}); err != nil {
				t.Errorf("%s\n%v", tc.reason, err)
			}
			if got := seriesValue(t, p, "cdevents_events_dropped_total", map[string]string{"sink": "ClusterProviderConfig/" + label, "reason": tc.want}); got != 1 {
				t.Errorf("%s\ncdevents_events_dropped_total{reason=%q}: want 1, got %v", tc.reason, tc.want, got)
			}
			if err := testkit.Eventually(waitLong, func() error {
				l := &corev1.EventList{}
				if err := kube.List(ctx, l); err != nil {
					return err
				}
				for _, e := range l.Items {
					if e.InvolvedObject.Name == label && e.Reason == "DroppedCDEvents" && strings.Contains(e.Message, tc.want) {
						return nil
					}
				}
				return fmt.Errorf("no DroppedCDEvents event on %s", label)
			}); err != nil {
				t.Errorf("%s\n%v", tc.reason, err)
			}
		})
	}
}

// TestRecreatedClusterOrder deletes a cluster and creates it again under the
// same name while the sink refuses deleted events: the new object's events
// wait, so the sink sees the old object's deleted before the new one's
// created.
func TestRecreatedClusterOrder(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	startProvider(t)
	label := unique("phoenix")
	createConfig(ctx, t, clusterProviderConfig(label, sink.URL(), selectLabel(label), fastRetry))
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	name := readyClusters(ctx, t, eks, label, label, 1)[0]
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sink.Lifecycles(name)) >= 2 }) {
		t.Fatalf("first incarnation: sink got %v", sink.Lifecycles(name))
	}

	var refuse atomic.Bool
	refuse.Store(true)
	sink.RespondToRequest(func(r *http.Request, _ int, _ http.Header) int {
		if refuse.Load() && strings.Contains(r.Header.Get("Ce-Type"), ".environment.deleted.") {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	l := fleetsim.Lifecycle{C: eks, Name: name}
	if err := l.DeleteRequested(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := l.Gone(ctx); err != nil {
		t.Fatal(err)
	}
	readyClusters(ctx, t, eks, label, label, 1)
	u, err := eks.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	// Wait until the new incarnation's created and ready are recorded,
	// and give them time to go out if they were not held back.
	if err := testkit.Eventually(waitLong, func() error {
		l := &v1alpha1.ObservedClusterList{}
		if err := kubeClient(t).List(ctx, l); err != nil {
			return err
		}
		for _, oc := range l.Items {
			if oc.Status.ResourceRef.UID == u.GetUID() && oc.Status.LastSeq >= 2 {
				return nil
			}
		}
		return fmt.Errorf("the new incarnation has not recorded created and ready yet")
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	refuse.Store(false)

	want := []string{"created", "ready", "deleting", "deleted", "created", "ready"}
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(dedupe(sink.Lifecycles(name))) >= len(want) }) {
		t.Fatalf("sink got %v", sink.Lifecycles(name))
	}
	if diff := cmp.Diff(want, dedupe(sink.Lifecycles(name))); diff != "" {
		t.Errorf("\nThe old incarnation's deleted reaches the sink before the new one's created.\nlifecycles: -want, +got:\n%s", diff)
	}
}

// TestReplicasAgree runs two replicas without leader election: they detect
// every transition, including those the object records no time for
// (upgraded, a cloud state turning FAILED), with the same id and timestamp,
// so the ledger records each once and the sink gets one id per transition.
// The upgrade is stamped with the time of the write that changed the
// version.
func TestReplicasAgree(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	startProvider(t)
	startProvider(t)
	label := unique("replicas")
	createConfig(ctx, t, clusterProviderConfig(label, sink.URL(), selectLabel(label), fastRetry))
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	name := readyClusters(ctx, t, eks, label, label, 1)[0]
	l := fleetsim.Lifecycle{C: eks, Name: name}
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(dedupe(sink.Lifecycles(name))) >= 2 }) {
		t.Fatalf("sink got %v", sink.Lifecycles(name))
	}
	// Apart by more than a second, so the object's times tell them apart.
	time.Sleep(1100 * time.Millisecond)
	if err := l.CloudState(ctx, "ACTIVE", "1.32"); err != nil {
		t.Fatal(err)
	}
	u, err := eks.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	upgradedAt := newestManagedFieldsTime(u.GetManagedFields())
	time.Sleep(1100 * time.Millisecond)
	if err := l.CloudState(ctx, "FAILED", ""); err != nil {
		t.Fatal(err)
	}

	want := []string{"created", "ready", "upgraded", "degraded"}
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(dedupe(sink.Lifecycles(name))) >= len(want) }) {
		t.Fatalf("sink got %v", sink.Lifecycles(name))
	}
	time.Sleep(2 * time.Second) // Let both replicas deliver everything they have.
	type sent struct {
		IDs        map[string]bool
		Timestamps map[time.Time]bool
	}
	got := map[string]sent{}
	for _, r := range sink.Received() {
		if r.Summary.Name != name {
			continue
		}
		s, ok := got[string(r.Summary.Lifecycle)]
		if !ok {
			s = sent{IDs: map[string]bool{}, Timestamps: map[time.Time]bool{}}
		}
		s.IDs[r.Event.ID()] = true
		s.Timestamps[r.Summary.Timestamp.UTC()] = true
		got[string(r.Summary.Lifecycle)] = s
	}
	for _, lc := range want {
		if len(got[lc].IDs) != 1 || len(got[lc].Timestamps) != 1 {
			t.Errorf("%s reached the sink with %d ids and %d timestamps, want one of each: %v", lc, len(got[lc].IDs), len(got[lc].Timestamps), got[lc])
		}
	}
	for ts := range got["upgraded"].Timestamps {
		if !ts.Equal(upgradedAt) {
			t.Errorf("upgraded at %v, want %v, the time the object records for the write that changed the version", ts, upgradedAt)
		}
	}
	oc, err := ledgerOfObject(ctx, t, u.GetUID())
	if err != nil {
		t.Fatal(err)
	}
	var recorded []string
	for _, e := range oc.Status.Events {
		recorded = append(recorded, string(e.Lifecycle))
	}
	if diff := cmp.Diff(want, recorded); diff != "" {
		t.Errorf("\nTwo replicas record each transition once.\nledger events: -want, +got:\n%s", diff)
	}
}

// ledgerOfObject finds the ObservedCluster of one incarnation of a watched
// object.
func ledgerOfObject(ctx context.Context, t *testing.T, uid types.UID) (*v1alpha1.ObservedCluster, error) {
	t.Helper()
	l := &v1alpha1.ObservedClusterList{}
	if err := kubeClient(t).List(ctx, l, client.MatchingFields{"status.resourceRef.uid": string(uid)}); err != nil {
		return nil, err
	}
	if len(l.Items) == 0 {
		return nil, fmt.Errorf("no ledger for uid %s", uid)
	}
	return &l.Items[0], nil
}

func newestManagedFieldsTime(mfs []metav1.ManagedFieldsEntry) time.Time {
	var out time.Time
	for _, mf := range mfs {
		if mf.Time != nil && mf.Time.After(out) {
			out = mf.Time.UTC()
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

// unique suffixes a name so that a test run again (-count) does not meet
// the clusters, ledgers and configs of its earlier runs.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%x", prefix, time.Now().UnixNano()&0xffffff)
}
