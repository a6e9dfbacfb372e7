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
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// ledgers returns the ObservedClusters of the named objects, by name.
func ledgers(ctx context.Context, t *testing.T, names []string) (map[string]*v1alpha1.ObservedCluster, error) {
	t.Helper()
	l := &v1alpha1.ObservedClusterList{}
	if err := kubeClient(t).List(ctx, l); err != nil {
		return nil, err
	}
	out := map[string]*v1alpha1.ObservedCluster{}
	for i := range l.Items {
		if slices.Contains(names, l.Items[i].Status.ResourceRef.Name) {
			out[l.Items[i].Status.ResourceRef.Name] = &l.Items[i]
		}
	}
	return out, nil
}

// lifecycles lists a ledger's events as "<lifecycle>" or
// "<lifecycle> replayed".
func lifecycles(oc *v1alpha1.ObservedCluster) []string {
	if oc == nil {
		return nil
	}
	out := make([]string, 0, len(oc.Status.Events))
	for _, e := range oc.Status.Events {
		s := string(e.Lifecycle)
		if e.Replayed {
			s += " replayed"
		}
		out = append(out, s)
	}
	return out
}

// waitEvents waits until every named ledger holds at least its wanted number
// of events.
func waitEvents(ctx context.Context, t *testing.T, want map[string]int, timeout time.Duration) {
	t.Helper()
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	if err := testkit.Eventually(timeout, func() error {
		got, err := ledgers(ctx, t, names)
		if err != nil {
			return err
		}
		var behind []string
		for n, w := range want {
			if have := len(lifecycles(got[n])); have < w {
				behind = append(behind, fmt.Sprintf("%s has %d of %d events %v", n, have, w, lifecycles(got[n])))
			}
		}
		if len(behind) > 0 {
			return fmt.Errorf("ledgers behind: %s", strings.Join(behind, "; "))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestDiscoveryKeepsKindsWhoseCRDCannotBeRead restarts the provider while
// reads of a cluster kind's CRD fail: its clusters must not be reported
// deleted, the failure must be reported, and the kind must be watched once
// a read succeeds.
func TestDiscoveryKeepsKindsWhoseCRDCannotBeRead(t *testing.T) {
	ctx := context.Background()
	gk := schema.GroupKind{Group: "kubernetes.digitalocean.crossplane.io", Kind: "Cluster"}
	crd := installCRD(t, gk.Group, gk.Kind)
	t.Cleanup(func() { uninstallCRD(t, crd) })
	do := fleetsim.NewClusters(dynClient(t), schema.GroupVersionResource{Group: gk.Group, Version: "v1alpha1", Resource: "clusters"}, "Cluster", "")

	p := startProvider(t)
	if _, err := do.Create(ctx, "unreadable-crd", map[string]any{"region": "ams3"}, nil); err != nil {
		t.Fatal(err)
	}
	ltt := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := do.Status(ctx, "unreadable-crd", func(u *unstructured.Unstructured) {
		fleetsim.SetCondition(u, "Ready", "True", "Available", ltt)
		fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", ltt)
	}); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, "unreadable-crd", v1alpha1.PhaseReady)
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}

	// The restarted provider cannot read the CRD at first, as during an
	// API server rollout.
	faults := newFaultyAPI(gk.Group)
	faults.set(func(f *faultyAPI) { f.crdFailures[crd.GetName()] = 4 })
	p = startProvider(t, testkit.WithLedgerConfig(faults.config(cfg)))
	if err := testkit.Eventually(waitLong, func() error {
		if !slices.Contains(p.Pipeline.Discovery.Unwatchable(), crd.GetName()) {
			return fmt.Errorf("unwatchable: %v, want %s while its CRD cannot be read", p.Pipeline.Discovery.Unwatchable(), crd.GetName())
		}
		if v := metricValue(t, p, "cdevents_cluster_kind_crds_unreadable"); v != 1 {
			return fmt.Errorf("cdevents_cluster_kind_crds_unreadable %v, want 1", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Eventually(waitLong, func() error {
		if !p.Pipeline.Discovery.IsWatching(gk) || !p.Pipeline.Discovery.Synced() {
			return fmt.Errorf("not watching %s once its CRD can be read", gk)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if v := metricValue(t, p, "cdevents_cluster_kind_crd_read_failures_total"); v != 4 {
		t.Errorf("cdevents_cluster_kind_crd_read_failures_total %v, want 4", v)
	}
	if v := metricValue(t, p, "cdevents_cluster_kind_crds_unreadable"); v != 0 {
		t.Errorf("cdevents_cluster_kind_crds_unreadable %v once readable, want 0", v)
	}
	if u := p.Pipeline.Discovery.Unwatchable(); len(u) != 0 {
		t.Errorf("unwatchable %v once the CRD can be read, want none", u)
	}

	// A wrong deletion would have been recorded at the first list; give
	// its write time to land.
	time.Sleep(2 * time.Second)
	oc, err := ledgerOf(ctx, t, "unreadable-crd")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"created", "ready"}, lifecycles(oc)); diff != "" || oc.Status.Phase != v1alpha1.PhaseReady {
		t.Errorf("a cluster whose CRD could not be read for a while: phase %s, events -want, +got:\n%s", oc.Status.Phase, diff)
	}

	// The watch works.
	if err := do.Status(ctx, "unreadable-crd", func(u *unstructured.Unstructured) {
		fleetsim.SetCondition(u, "Ready", "False", "Unavailable", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, "unreadable-crd", v1alpha1.PhaseDegraded)
}

// step is one round of the fault suite: what is written to every cluster of
// the round, and the lifecycle it must produce.
type step struct {
	write func(ctx context.Context, l fleetsim.Lifecycle) error
	want  string
}

// TestDiscoveryUnderAPIFaults drives clusters through their whole lifecycle
// while the API server fails reads, answers watches with 410 Gone and cuts
// watch streams, and clusters are created and deleted during a blackout:
// every ledger must hold exactly the transitions that were driven.
func TestDiscoveryUnderAPIFaults(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, fleetsim.UpjetEKS.Group, "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	t.Cleanup(func() {
		// Let the CRD go even if the test stopped half way.
		l, err := dynClient(t).Resource(fleetsim.UpjetEKS).List(ctx, metav1.ListOptions{})
		if err != nil {
			return
		}
		for _, u := range l.Items {
			_ = eks.Update(ctx, u.GetName(), func(u *unstructured.Unstructured) { u.SetFinalizers(nil) })
		}
	})

	faults := newFaultyAPI(fleetsim.UpjetEKS.Group)
	faults.set(func(f *faultyAPI) {
		f.cutAfter = time.Second
		f.crdFailures[crd.GetName()] = 2
	})
	p := startProvider(t, testkit.WithLedgerConfig(faults.config(cfg)))
	gk := schema.GroupKind{Group: fleetsim.UpjetEKS.Group, Kind: "Cluster"}
	if err := testkit.Eventually(waitLong, func() error {
		if !p.Pipeline.Discovery.IsWatching(gk) {
			return fmt.Errorf("not watching %s", gk)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	steps := []step{
		{want: "created", write: func(ctx context.Context, l fleetsim.Lifecycle) error {
			if _, err := l.C.Create(ctx, l.Name, map[string]any{"region": "us-east-1"}, map[string]string{"test": "faults"}); err != nil {
				return err
			}
			return l.CreateRequested(ctx, t0)
		}},
		{want: "ready", write: func(ctx context.Context, l fleetsim.Lifecycle) error {
			return l.Ready(ctx, t0.Add(time.Minute), "1.31")
		}},
		{want: "degraded", write: func(ctx context.Context, l fleetsim.Lifecycle) error {
			return l.CloudState(ctx, "FAILED", "")
		}},
		{want: "recovered", write: func(ctx context.Context, l fleetsim.Lifecycle) error {
			return l.CloudState(ctx, "ACTIVE", "")
		}},
		{want: "upgraded", write: func(ctx context.Context, l fleetsim.Lifecycle) error {
			return l.CloudState(ctx, "ACTIVE", "1.32")
		}},
		{want: "deleting", write: func(ctx context.Context, l fleetsim.Lifecycle) error {
			return l.DeleteRequested(ctx, time.Now())
		}},
		{want: "deleted", write: func(ctx context.Context, l fleetsim.Lifecycle) error {
			return l.Gone(ctx)
		}},
	}
	const n = 6
	var driven []string
	for i := range n {
		driven = append(driven, fmt.Sprintf("faults-%d", i))
	}
	// Clusters deleted, and clusters created, while the API server answers
	// nothing but 410 Gone: only a list after the outage can tell.
	var lostDuring, bornDuring []string
	for i := range 3 {
		lostDuring = append(lostDuring, fmt.Sprintf("faults-lost-%d", i))
		bornDuring = append(bornDuring, fmt.Sprintf("faults-born-%d", i))
	}

	want := map[string][]string{}
	counts := map[string]int{}
	for si, s := range steps {
		for _, name := range driven {
			if err := s.write(ctx, fleetsim.Lifecycle{C: eks, Name: name}); err != nil {
				t.Fatalf("step %s of %s: %v", s.want, name, err)
			}
			want[name] = append(want[name], s.want)
			counts[name]++
		}
		if si < 2 {
			// The clusters lost in the outage exist and are ready before it.
			for _, name := range lostDuring {
				if err := s.write(ctx, fleetsim.Lifecycle{C: eks, Name: name}); err != nil {
					t.Fatalf("step %s of %s: %v", s.want, name, err)
				}
				want[name] = append(want[name], s.want)
				counts[name]++
			}
		}
		waitEvents(ctx, t, counts, 4*waitLong)
		t.Logf("step %s: %+v", s.want, faults.counts())
		// Each fault that makes client-go list again doubles its backoff
		// (800ms to 30s, with up to 100% jitter), so they are rationed;
		// clean cuts happen all the time.
		switch s.want {
		case "created":
			// A watch ended by a 410 ERROR event, as for a compacted
			// resource version.
			faults.set(func(f *faultyAPI) { f.goneWatches = 1 })
		case "ready":
			// A watch answered 410 Gone, then a list failing with 500.
			faults.set(func(f *faultyAPI) { f.goneWatches, f.failLists = 1, 1 })
		}
		time.Sleep(2 * time.Second)

		if si == 3 {
			// The outage.
			faults.set(func(f *faultyAPI) { f.blackout = true })
			faults.cutAll()
			for _, name := range lostDuring {
				if err := eks.Delete(ctx, name); err != nil {
					t.Fatal(err)
				}
				want[name] = append(want[name], "deleted")
				counts[name]++
			}
			for _, name := range bornDuring {
				for _, s := range steps[:2] {
					if err := s.write(ctx, fleetsim.Lifecycle{C: eks, Name: name}); err != nil {
						t.Fatal(err)
					}
					want[name] = append(want[name], s.want)
					counts[name]++
				}
			}
			// The outage lasts until the provider ran into it.
			before := faults.counts().gone
			if err := testkit.Eventually(2*waitLong, func() error {
				if faults.counts().gone <= before {
					return fmt.Errorf("the provider did not try to list during the outage")
				}
				return nil
			}); err != nil {
				t.Error(err)
			}
			faults.set(func(f *faultyAPI) { f.blackout = false })
			waitEvents(ctx, t, counts, 4*waitLong)
			t.Logf("after the outage: %+v", faults.counts())
		}
	}

	// Relists of unchanged clusters must add nothing: let a few happen.
	time.Sleep(5 * time.Second)
	all := slices.Concat(driven, lostDuring, bornDuring)
	got, err := ledgers(ctx, t, all)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range all {
		g := lifecycles(got[name])
		if slices.Contains(lostDuring, name) || slices.Contains(bornDuring, name) {
			t.Logf("%s, changed during the outage: %v", name, g)
		}
		if slices.Contains(lostDuring, name) && len(g) > 0 {
			// Whether the deletion is seen in a list (replayed) or in the
			// events of a resumed watch depends on timing; both are exact.
			g[len(g)-1] = strings.TrimSuffix(g[len(g)-1], " replayed")
		}
		if diff := cmp.Diff(want[name], g); diff != "" {
			t.Errorf("%s: events -want, +got:\n%s", name, diff)
		}
		if oc := got[name]; oc != nil {
			ids := map[string]bool{}
			for _, e := range oc.Status.Events {
				if ids[e.ID] {
					t.Errorf("%s: event id %s twice", name, e.ID)
				}
				ids[e.ID] = true
			}
		}
	}

	c := faults.counts()
	t.Logf("faults: %+v", c)
	if c.failed < 3 || c.gone < 3 || c.cut == 0 || c.cutHard == 0 || c.relists < 4 {
		t.Errorf("the faults did not all happen: %+v", c)
	}
	if c.unpaged > 0 || c.streamed > 0 {
		t.Errorf("%d lists without a page size and %d streaming lists of the cluster kind; the provider must list in pages", c.unpaged, c.streamed)
	}
}

// TestDiscoveryReleasesStoppedWatches installs and removes a cluster kind's
// CRD 20 times: the goroutines and memory of each watch must be released.
func TestDiscoveryReleasesStoppedWatches(t *testing.T) {
	gk := schema.GroupKind{Group: "kubernetes.digitalocean.crossplane.io", Kind: "Cluster"}
	p := startProvider(t)
	cycle := func() {
		crd := installCRD(t, gk.Group, gk.Kind)
		if err := testkit.Eventually(waitLong, func() error {
			if !p.Pipeline.Discovery.IsWatching(gk) {
				return fmt.Errorf("not watching %s", gk)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		uninstallCRD(t, crd)
		if err := testkit.Eventually(waitLong, func() error {
			if p.Pipeline.Discovery.IsWatching(gk) {
				return fmt.Errorf("still watching %s", gk)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	settle := func() (int, uint64) {
		var ms runtime.MemStats
		time.Sleep(time.Second)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		return runtime.NumGoroutine(), ms.HeapAlloc
	}
	// The first cycle starts what lives on (connections, the CRD's
	// informers in the API client).
	cycle()
	g0, h0 := settle()
	const cycles = 20
	for range cycles {
		cycle()
	}
	var g1 int
	var h1 uint64
	// Goroutines of a stopped watch end once its requests return.
	_ = testkit.Eventually(30*time.Second, func() error {
		g1, h1 = settle()
		if g1 > g0+5 {
			return fmt.Errorf("%d goroutines", g1)
		}
		return nil
	})
	t.Logf("after %d CRD add/remove cycles: goroutines %d -> %d, heap %d -> %d B", cycles, g0, g1, h0, h1)
	if g1 > g0+5 {
		t.Errorf("goroutines grew from %d to %d over %d CRD add/remove cycles", g0, g1, cycles)
	}
}
