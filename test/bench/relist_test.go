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
	"fmt"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/discovery"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

const (
	// envRelistClusters sets the size of the relist fleet.
	envRelistClusters     = "BENCH_RELIST_CLUSTERS"
	defaultRelistClusters = 10000
)

// peakHeap samples the heap while fn runs and returns the highest heap in
// use, with the collector made eager (GOGC=10) so that garbage does not
// hide what fn keeps.
func peakHeap(fn func()) uint64 {
	old := debug.SetGCPercent(10)
	defer debug.SetGCPercent(old)
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	var wg sync.WaitGroup
	done := make(chan struct{})
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			peak = max(peak, s[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	fn()
	close(done)
	wg.Wait()
	return peak
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// BenchmarkRelist10k measures the heap discovery needs to list a kind of
// 10,000 realistic clusters (about 6.5 KiB each as the API server sends
// them) that the ledger already holds, as after a 410 Gone or a restart of
// the watch: the list is read in pages, each trimmed before the next, so
// the peak is a page of whole objects plus the trimmed fleet, not the
// whole fleet. For scale it also measures one unpaged list of the same
// objects, which is what a reflector holds before it hands a list over
// when it is not paged and trimmed (as with a streaming list).
func BenchmarkRelist10k(b *testing.B) {
	ctx := context.Background()
	n := envInt(b, envRelistClusters, defaultRelistClusters)
	reset(b)
	progress("creating %d realistic ready clusters for the relist fleet (%s to change; setup is not measured)", n, envRelistClusters)
	start := time.Now()
	fleet := fleetsim.NewFleet(dynClient(b), map[string]string{labelKey: "relist"}, fleetsim.WithoutCache(), fleetsim.WithSize(fleetsim.Realistic))
	step := max(n/10, 1)
	if err := fleet.CreateReady(ctx, fleetsim.Names("relist", n), fleetWriters, time.Now().Add(-time.Hour).Truncate(time.Second), func(done int) {
		if done%step == 0 {
			progress("  %d/%d clusters written after %s", done, n, time.Since(start).Round(time.Second))
		}
	}); err != nil {
		b.Fatalf("create fleet: %v", err)
	}

	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	c.WarningHandler = rest.NoWarnings{}
	lg := ledger.New(kubeClient(b), kubeClient(b))
	// list runs one discovery engine until it has listed the fleet.
	list := func(pageSize int64) {
		e, err := discovery.New(c, catalog.New(), lg, discovery.WithLogger(logging.NewNopLogger()), discovery.WithListPageSize(pageSize))
		if err != nil {
			b.Fatalf("discovery.New: %v", err)
		}
		ectx, cancel := context.WithCancel(ctx)
		stopped := make(chan error, 1)
		go func() { stopped <- e.Start(ectx) }()
		err = testkit.Eventually(10*time.Minute, func() error {
			if !e.IsWatching(fleetsim.FlavorEKS.GroupKind()) || !e.Synced() {
				return fmt.Errorf("the fleet is not listed yet")
			}
			return nil
		})
		cancel()
		if serr := <-stopped; serr != nil {
			b.Fatalf("discovery: %v", serr)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	// The first list records the fleet in the ledger.
	list(discovery.DefaultListPageSize)
	if got := len(lg.Routings("")) + lg.Queued(); got == 0 {
		b.Fatalf("the ledger holds no cluster after the first list")
	}

	// relist measures one relist with a page size.
	relist := func(pageSize int64) (peak, base, after uint64, took time.Duration) {
		base = LiveHeap()
		start := time.Now()
		peak = peakHeap(func() { list(pageSize) })
		took = time.Since(start)
		return peak - min(peak, base), base, LiveHeap(), took
	}

	for b.Loop() {
		peak, base, after, took := relist(discovery.DefaultListPageSize)
		small, _, _, tookSmall := relist(100)

		baseWhole := LiveHeap()
		var whole int
		peakWhole := peakHeap(func() {
			l, err := dynClient(b).Resource(fleetsim.UpjetEKS).List(ctx, metav1.ListOptions{})
			if err != nil {
				b.Fatalf("list: %v", err)
			}
			whole = len(l.Items)
			runtime.KeepAlive(l)
		})
		peakWhole -= min(peakWhole, baseWhole)

		b.ReportMetric(mib(peak), "relist-peak-MiB")
		b.ReportMetric(mib(small), "relist-peak-page100-MiB")
		b.ReportMetric(mib(peakWhole), "unpaged-list-peak-MiB")
		b.ReportMetric(float64(n), "clusters")
		b.Logf("relist of %d realistic clusters the ledger holds, in pages of %d each reduced to observations before the next: peak heap %.1f MiB above the %.1f MiB before (live heap after: %.1f MiB), in %s",
			n, discovery.DefaultListPageSize, mib(peak), mib(base), mib(after), took.Round(time.Millisecond))
		b.Logf("  the same in pages of 100: peak heap %.1f MiB above what was live before, in %s: the peak follows the page, not the fleet",
			mib(small), tookSmall.Round(time.Millisecond))
		b.Logf("  for scale, one unpaged list of the same %d objects, as a reflector holds it before handing it over: peak heap %.1f MiB above the %.1f MiB before",
			whole, mib(peakWhole), mib(baseWhole))
		b.Logf("  (heap sampled every millisecond with GOGC=10, so that garbage does not hide what is held; times are slower than at the default GOGC)")
	}
}
