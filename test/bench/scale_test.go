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

package bench

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// The scale runs take many minutes and run only when asked for:
// BENCH_SCALE=restart,burst,startup,kinds (or all) selects them,
// BENCH_SCALE_CLUSTERS sizes their fleets (default 10000); the kinds run
// has its own sizes (see scalekinds_test.go).
const (
	envScale               = "BENCH_SCALE"
	envScaleClusters       = "BENCH_SCALE_CLUSTERS"
	defaultScaleClusters   = 10000
	targetCaughtUp         = 20 * time.Second
	targetBurstP99         = 5 * time.Second
	burstWindow            = 60 * time.Second
	scaleRestart           = "restart"
	scaleBurst             = "burst"
	errFmtScaleNotSelected = "%s=%q does not select %q; set it to %q or all"
)

// scaleSelected skips a scale run the environment does not ask for.
func scaleSelected(b *testing.B, name string) {
	b.Helper()
	v := os.Getenv(envScale)
	for _, s := range strings.Split(v, ",") {
		if s == name || s == "all" {
			return
		}
	}
	b.Skipf(errFmtScaleNotSelected, envScale, v, name, name)
}

// BenchmarkScaleRestart measures a restart on a large recorded fleet: from
// the provider's start to caught up, every existing cluster's ledger read
// and every cluster listed, with nothing sent again (the sink must get no
// event: everything was delivered and its progress persisted before the
// restart).
func BenchmarkScaleRestart(b *testing.B) {
	scaleSelected(b, scaleRestart)
	reset(b)
	n := envInt(b, envScaleClusters, defaultScaleClusters)
	sink, p, _, _ := readyFleetCompact(b, "restart", n)
	if _, err := waitQuiet(p, flushInterval+2*time.Second, 5*time.Minute); err != nil {
		b.Fatalf("%v", err)
	}
	if err := p.Stop(); err != nil {
		b.Fatalf("stop provider: %v", err)
	}
	before := sink.Tally().Accepted

	start := time.Now()
	q, err := startProvider(limitDefault)
	if err != nil {
		b.Fatalf("restart provider: %v", err)
	}
	b.Cleanup(func() { _ = q.Stop() })
	err = testkit.Eventually(5*time.Minute, func() error {
		st, ok := q.Pipeline.Dispatcher.Stats("ClusterProviderConfig/restart")
		if !ok {
			return errors.New("the sink is not configured yet")
		}
		if got := len(q.Pipeline.Ledger.Routings("")); got < n || st.Pending > 0 || q.Pipeline.Ledger.Queued() > 0 {
			return errors.Errorf("%d of %d clusters known, %d events pending", got, n, st.Pending)
		}
		return nil
	})
	caughtUp := time.Since(start)
	if err != nil {
		b.Fatalf("restart on %d clusters: %v", n, err)
	}
	time.Sleep(flushInterval)
	resent := sink.Tally().Accepted - before
	writes := q.reqs.Count(LedgerWrites) + q.reqs.Count(CursorWrites)
	b.ReportMetric(caughtUp.Seconds(), "caught-up-s")
	b.ReportMetric(float64(resent), "resent")
	b.Logf("restart on %d recorded clusters: caught up (every ledger read, every cluster listed, nothing pending) after %s (target <= %s: %s); events sent again: %d; ledger writes: %d; load %s",
		n, caughtUp.Round(time.Millisecond), targetCaughtUp, verdict(caughtUp <= targetCaughtUp && resent == 0), resent, writes, LoadAvg())
	if resent > 0 {
		b.Logf("  events sent again after a clean restart carry the ids and times they had")
	}
}

// BenchmarkScaleBurst creates a large fleet of clusters that are not ready
// yet, then turns every one Ready within a minute, and measures how soon
// each ready event arrives.
func BenchmarkScaleBurst(b *testing.B) {
	scaleSelected(b, scaleBurst)
	reset(b)
	ctx := context.Background()
	n := envInt(b, envScaleClusters, defaultScaleClusters)
	const label = "burst"
	sink := NewSink(WithValidator(validator(b), 100))
	sink.Start()
	b.Cleanup(sink.Close)
	p := mustStartProvider(b, limitDefault)
	kube := kubeClient(b)
	if err := createConfig(ctx, kube, label, sink.URL(), label); err != nil {
		b.Fatalf("create ClusterProviderConfig: %v", err)
	}
	if err := waitConfigured(ctx, kube, label); err != nil {
		b.Fatalf("ClusterProviderConfig %s: %v", label, err)
	}
	created := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	clusters := fleetsim.NewClusters(dynClient(b), fleetsim.UpjetEKS, fleetsim.FlavorEKS.GroupKind().Kind, "")
	names := fleetsim.Names(label, n)
	progress("burst: creating %d clusters that are not ready yet (%s to change; not measured)", n, envScaleClusters)
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range fleetWriters {
		wg.Go(func() {
			for i := range work {
				// Created as the managed reconciler leaves a cluster
				// whose async create call succeeded: not ready yet.
				u := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": fleetsim.UpjetEKS.GroupVersion().String(),
					"kind":       fleetsim.FlavorEKS.GroupKind().Kind,
					"metadata":   map[string]any{"name": names[i]},
					"spec":       map[string]any{"forProvider": map[string]any{"region": "us-east-1"}},
				}}
				u.SetLabels(map[string]string{labelKey: label})
				fleetsim.Annotate(u, fleetsim.AnnotationExternalName, names[i])
				fleetsim.Annotate(u, fleetsim.AnnotationCreatePending, created)
				fleetsim.Annotate(u, fleetsim.AnnotationCreateSucceeded, created)
				err := clusters.CreateObject(ctx, u)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range names {
		work <- i
	}
	close(work)
	wg.Wait()
	if len(errs) > 0 {
		b.Fatalf("create: %v", errs[0])
	}
	if err := sink.WaitDistinct(n, stallLimit, 15*time.Minute); err != nil {
		b.Fatalf("created events: %v", err)
	}
	if _, err := waitQuiet(p, 2*time.Second, 5*time.Minute); err != nil {
		b.Logf("%v", err)
	}

	progress("burst: %d clusters turn Ready within %s", n, burstWindow)
	tr := newTransitions()
	base := sink.Tally().Distinct
	u0 := p.usage()
	start := time.Now()
	work = make(chan int, n)
	interval := burstWindow / time.Duration(n)
	for range fleetWriters {
		wg.Go(func() {
			for i := range work {
				l := fleetsim.Lifecycle{C: clusters, Name: names[i], Size: fleetsim.Compact}
				err := l.Ready(ctx, time.Now().Truncate(time.Second), "1.31")
				done := time.Now()
				tr.mu.Lock()
				if err != nil {
					tr.errs = append(tr.errs, err)
				} else {
					tr.writes[names[i]] = append(tr.writes[names[i]], Write{Lifecycle: v1alpha1.LifecycleReady, Done: done})
				}
				tr.mu.Unlock()
			}
		})
	}
	for i := range names {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		work <- i
	}
	close(work)
	wg.Wait()
	end := time.Now()
	tr.check(b)
	total := tr.count()
	dr := drain(b, sink, base, total, end)
	all := p.since(u0)
	lat, lerrs := Match(tr.writes, ByCluster(sink.Events()))
	for i, err := range lerrs {
		if i == 5 {
			b.Errorf("... and %d more clusters", len(lerrs)-5)
			break
		}
		b.Error(err)
	}
	checkSink(b, sink)
	reportWarnings(b, p.warns)
	s := Summarize(lat)
	b.ReportMetric(ms(s.P99), "p99-ms")
	b.ReportMetric(dr.ratio, "delivered/written")
	b.Logf("burst: %d clusters turned Ready in %s: %s; status write to sink p50 %s p99 %s max %s (target p99 <= %s: %s)",
		total, end.Sub(start).Round(time.Millisecond), dr, Ms(s.P50), Ms(s.P99), Ms(s.Max), targetBurstP99, verdict(s.N == total && s.P99 <= targetBurstP99))
	b.Logf("  %s; load %s", all.writes(total), LoadAvg())
}

// readyFleetCompact is readyFleet for fleets too large to keep in the
// benchmark's memory: compact objects, not cached.
func readyFleetCompact(b *testing.B, label string, n int) (*Sink, *running, *fleetsim.Fleet, []string) {
	b.Helper()
	ctx := context.Background()
	sink := NewSink(WithValidator(validator(b), 100))
	sink.Start()
	b.Cleanup(sink.Close)
	p := mustStartProvider(b, limitDefault)
	kube := kubeClient(b)
	if err := createConfig(ctx, kube, label, sink.URL(), label); err != nil {
		b.Fatalf("create ClusterProviderConfig: %v", err)
	}
	if err := waitConfigured(ctx, kube, label); err != nil {
		b.Fatalf("ClusterProviderConfig %s: %v", label, err)
	}
	fleet := fleetsim.NewFleet(dynClient(b), map[string]string{labelKey: label}, fleetsim.WithSize(fleetsim.Compact), fleetsim.WithoutCache())
	names := fleetsim.Names(label, n)
	progress("%s: creating %d ready clusters (%s to change; not measured)", label, n, envScaleClusters)
	if err := fleet.CreateReady(ctx, names, fleetWriters, time.Now().Add(-time.Hour).Truncate(time.Second), nil); err != nil {
		b.Fatalf("create fleet: %v", err)
	}
	if err := sink.WaitDistinct(2*n, stallLimit, 15*time.Minute); err != nil {
		b.Fatalf("fleet of %d, created and ready events: %v", n, err)
	}
	return sink, p, fleet, names
}
