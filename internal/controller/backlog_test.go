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
	"k8s.io/client-go/rest"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// countLedgerReads is a REST config that counts the reads of single
// ObservedClusters its client makes.
func countLedgerReads(reads *atomic.Int64) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFn(func(r *http.Request) (*http.Response, error) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/observedclusters/") {
				reads.Add(1)
			}
			return rt.RoundTrip(r)
		})
	})
	return c
}

// TestBacklogReadOnce: a sink that was down while a cluster changed more
// often than a record keeps event bodies in memory gets every event, in
// order and not marked replayed, once it is back; the events memory no
// longer held are read back from the ledger together, once, not once per
// event and per attempt.
func TestBacklogReadOnce(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	var reads atomic.Int64
	startProvider(t, testkit.WithLedgerConfig(countLedgerReads(&reads)))
	sink := startSink(t)
	createConfig(ctx, t, clusterProviderConfig("backlog", sink.URL(), selectLabel("backlog"), fastRetry))

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	name := readyClusters(ctx, t, eks, "backlog", "backlog", 1)[0]
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 2 }) {
		t.Fatalf("the sink did not get created and ready: %v", sink.Lifecycles(name))
	}

	before := reads.Load()
	sink.Respond(func(int, http.Header) int { return http.StatusServiceUnavailable })
	const flips = 12
	want := []string{"created", "ready"}
	l := fleetsim.Lifecycle{C: eks, Name: name}
	for i := range flips {
		state, lifecycle, phase := "FAILED", "degraded", v1alpha1.PhaseDegraded
		if i%2 == 1 {
			state, lifecycle, phase = "ACTIVE", "recovered", v1alpha1.PhaseReady
		}
		// Times in objects have second precision.
		time.Sleep(1100 * time.Millisecond)
		if err := l.CloudState(ctx, state, ""); err != nil {
			t.Fatal(err)
		}
		seq := int64(3 + i)
		waitLedger(ctx, t, name, func(oc *v1alpha1.ObservedCluster) error {
			if oc.Status.LastSeq != seq || oc.Status.Phase != phase {
				return fmt.Errorf("last seq %d in phase %s, want %d in %s", oc.Status.LastSeq, oc.Status.Phase, seq, phase)
			}
			return nil
		})
		want = append(want, lifecycle)
	}

	sink.Respond(nil)
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= len(want) }) {
		t.Fatalf("after the sink came back: got %v, want %v", sink.Lifecycles(name), want)
	}
	time.Sleep(time.Second)
	if diff := cmp.Diff(want, sink.Lifecycles(name)); diff != "" {
		t.Errorf("events of the cluster, in order: -want, +got:\n%s", diff)
	}
	for _, r := range sink.Received() {
		if r.Summary.Replayed {
			t.Errorf("an event the sink fell behind on was sent marked replayed: %s", r.Summary.Lifecycle)
		}
	}
	// Memory keeps the newest eight of the twelve; the sink asks for the
	// oldest again and again while it is down.
	if n := reads.Load() - before; n > 1 {
		t.Errorf("the outage and the catching up read the ledger %d times, want at most once", n)
	}
	t.Logf("the outage and catching up on %d events read the ledger %d times", flips, reads.Load()-before)
}
