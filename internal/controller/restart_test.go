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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

func fastRetry(s *v1alpha1.ProviderConfigSpec) {
	s.Delivery = &v1alpha1.Delivery{
		BackoffDelay: &metav1.Duration{Duration: 50 * time.Millisecond},
		MaxBackoff:   &metav1.Duration{Duration: 500 * time.Millisecond},
	}
}

func selectLabel(v string) func(*v1alpha1.ProviderConfigSpec) {
	return func(s *v1alpha1.ProviderConfigSpec) {
		if s.Selector == nil {
			s.Selector = &v1alpha1.Selector{}
		}
		s.Selector.MatchLabels = map[string]string{"test": v}
	}
}

// ids lists the event ids received for one cluster, per lifecycle.
func ids(s *testkit.Sink, name string) map[string][]string {
	out := map[string][]string{}
	for _, r := range s.Received() {
		if r.Summary.Name == name {
			out[string(r.Summary.Lifecycle)] = append(out[string(r.Summary.Lifecycle)], r.Event.ID())
		}
	}
	return out
}

// TestRestartCatchesUp stops the provider, changes and deletes clusters
// while it is down, and starts a new one: every missing transition is
// delivered, deletions included, and nothing is sent twice unless with the
// same id.
func TestRestartCatchesUp(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	kube := kubeClient(t)
	first := startProvider(t)

	pc := clusterProviderConfig("restart", sink.URL(), selectLabel("restart"), fastRetry)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	names := []string{"restart-a", "restart-b", "restart-c"}
	for _, n := range names {
		if _, err := eks.Create(ctx, n, map[string]any{"region": "eu-west-1"}, map[string]string{"test": "restart"}); err != nil {
			t.Fatal(err)
		}
		l := fleetsim.Lifecycle{C: eks, Name: n}
		if err := l.CreateRequested(ctx, t0); err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx, t0.Add(10*time.Minute), "1.30"); err != nil {
			t.Fatal(err)
		}
	}
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) == 6 }) {
		var got []string
		for _, n := range names {
			got = append(got, describeReceived(sink, n)...)
		}
		t.Fatalf("before restart: got %d events, want 6 (errors %v): %v", len(sink.Received()), sink.Errors(), got)
	}
	before := map[string]map[string][]string{}
	for _, n := range names {
		before[n] = ids(sink, n)
	}
	a, err := eks.Get(ctx, "restart-a")
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := ledgerOfObject(ctx, t, a.GetUID())
	if err != nil {
		t.Fatal(err)
	}
	if recorded.Status.LatestObjectTime == nil {
		t.Fatalf("the ledger of restart-a does not hold the object's newest time")
	}
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// The clock moves past every time the objects carry: nothing the
	// restarted provider sends may depend on it.
	time.Sleep(1100 * time.Millisecond)

	// While the provider is down: a is deleted outright, b degrades, c
	// is untouched.
	if err := (fleetsim.Lifecycle{C: eks, Name: "restart-a"}).Gone(ctx); err != nil {
		t.Fatal(err)
	}
	if err := (fleetsim.Lifecycle{C: eks, Name: "restart-b"}).CloudState(ctx, "FAILED", ""); err != nil {
		t.Fatal(err)
	}

	startProvider(t)
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 8 }) {
		t.Fatalf("after restart: got %v", sink.Received())
	}
	// Give a duplicate, if any, time to show up.
	time.Sleep(2 * time.Second)

	want := map[string][]string{
		"restart-a": {"created", "ready", "deleted"},
		"restart-b": {"created", "ready", "degraded"},
		"restart-c": {"created", "ready"},
	}
	for n, w := range want {
		if diff := cmp.Diff(w, dedupe(sink.Lifecycles(n))); diff != "" {
			t.Errorf("%s: lifecycles: -want, +got:\n%s", n, diff)
		}
		after := ids(sink, n)
		for lc, got := range after {
			for _, id := range got {
				if id != got[0] {
					t.Errorf("%s: %s delivered with two ids %v", n, lc, got)
				}
			}
			if prev, ok := before[n][lc]; ok && prev[0] != got[0] {
				t.Errorf("%s: %s id changed across restart: %s then %s", n, lc, prev[0], got[0])
			}
		}
	}
	for _, r := range sink.Received() {
		if r.Summary.Name == "restart-a" && r.Summary.Lifecycle == v1alpha1.LifecycleDeleted {
			if !r.Summary.Replayed {
				t.Errorf("the deletion that happened while the provider was down is not marked replayed")
			}
			// Found after a restart, the deletion has the time the ledger
			// recorded, as it would have had seen live.
			if !r.Event.Time().Equal(recorded.Status.LatestObjectTime.Time) {
				t.Errorf("deleted time: want the newest object time the ledger recorded %v, got %v", recorded.Status.LatestObjectTime.Time, r.Event.Time())
			}
		}
	}
}

// dedupe drops consecutive repeats: at-least-once delivery may repeat an
// event (with its id, checked separately).
func dedupe(in []string) []string {
	var out []string
	for _, s := range in {
		if len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// TestSinkOutage has the sink answer 503 for a while, then recover: every
// event arrives, once accepted, with the id of its first attempt.
func TestSinkOutage(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	sink.Respond(func(int, http.Header) int { return http.StatusServiceUnavailable })
	kube := kubeClient(t)
	p := startProvider(t)

	pc := clusterProviderConfig("outage", sink.URL(), selectLabel("outage"), fastRetry)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	for i := range 5 {
		n := fmt.Sprintf("outage-%d", i)
		if _, err := eks.Create(ctx, n, map[string]any{"region": "us-west-2"}, map[string]string{"test": "outage"}); err != nil {
			t.Fatal(err)
		}
		l := fleetsim.Lifecycle{C: eks, Name: n}
		if err := l.CreateRequested(ctx, t0); err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx, t0.Add(time.Minute), "1.31"); err != nil {
			t.Fatal(err)
		}
	}

	// While the sink is down, the config says so and counts pending events.
	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ClusterProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Name: "outage"}, got); err != nil {
			return err
		}
		c := got.GetCondition(v1alpha1.TypeSinkReachable)
		if c.Status != "False" || got.Status.Pending != 10 {
			return fmt.Errorf("SinkReachable %s (%s), pending %d", c.Status, c.Message, got.Status.Pending)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if sink.Requests() < 10 {
		t.Fatalf("the provider retried only %d times during the outage", sink.Requests())
	}
	if len(sink.Received()) != 0 {
		t.Fatalf("events accepted during the outage")
	}
	if ev := metricValue(t, p, "cdevents_retries_total"); ev == 0 {
		t.Errorf("cdevents_retries_total is 0 after an outage")
	}

	during := sink.Attempted()
	sink.Respond(nil)
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 10 }) {
		t.Fatalf("after the outage: got %d events", len(sink.Received()))
	}
	for i := range 5 {
		n := fmt.Sprintf("outage-%d", i)
		if diff := cmp.Diff([]string{"created", "ready"}, dedupe(sink.Lifecycles(n))); diff != "" {
			t.Errorf("%s: -want, +got:\n%s", n, diff)
		}
	}
	// Every event accepted after the outage was already attempted, with the
	// same id, during it: ids never change across retries.
	for _, r := range sink.Received() {
		if r.Summary.Lifecycle == v1alpha1.LifecycleCreated && during[r.Event.ID()] == 0 {
			t.Errorf("%s (%s) was accepted with an id never attempted during the outage", r.Summary.Name, r.Event.ID())
		}
	}
	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ClusterProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Name: "outage"}, got); err != nil {
			return err
		}
		c := got.GetCondition(v1alpha1.TypeSinkReachable)
		if c.Status != "True" || got.Status.Pending != 0 || got.Status.Delivered < 10 || got.Status.Clusters != 5 {
			return fmt.Errorf("SinkReachable %s, pending %d, delivered %d, clusters %d", c.Status, got.Status.Pending, got.Status.Delivered, got.Status.Clusters)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
