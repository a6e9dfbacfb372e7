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
	"sync"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
)

// Each benchmark makes one fixed-size run, whatever b.N is: they are meant
// for -benchtime 1x (make bench). They run in the order of this file; the
// last two share the replay fleet.

// Targets.
const (
	targetP99         = 30 * time.Millisecond
	targetReplayRate  = 2000.0
	targetHeapPerItem = 1024.0
)

// Fleet sizes and rates.
const (
	steadyClusters = 200
	steadyRate     = 100
	steadyWorkers  = 16
	maxClusters    = 400
	maxWriters     = 8
	// drainWindow is how long delivery may take after the writes stop
	// before the delivered ratio is taken; lossWindow how much longer the
	// benchmark waits before calling missing events lost.
	drainWindow = 60 * time.Second
	lossWindow  = 3 * time.Minute
	// stallLimit is how long delivery may make no progress at all before
	// a benchmark calls it stuck.
	stallLimit = time.Minute
)

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// BenchmarkSteadyLatency measures how soon a transition reaches the sink
// under a steady load: 100 transitions/s on a fleet of 200 ready upjet EKS
// clusters (cloud state ACTIVE and FAILED in turn, so degraded and
// recovered), each one status write, timed from the write's confirmation
// by the API server to the sink's receipt of its CDEvent.
//
// Its runs: compact objects with the provider's API client unthrottled
// (the headline); the same with the client limited as cmd/provider limits
// it by default; realistic objects, whose writes cost the API server
// several times more; and 25 transitions/s, below the API server's ceiling
// on a small machine, to show the provider's own latency.
func BenchmarkSteadyLatency(b *testing.B) {
	b.Run("Rate100/Compact/Unthrottled", func(b *testing.B) { steady(b, steadyRate, fleetsim.Compact, limitTestenv) })
	b.Run("Rate100/Compact/DefaultClientLimit", func(b *testing.B) { steady(b, steadyRate, fleetsim.Compact, limitDefault) })
	b.Run("Rate100/Realistic/Unthrottled", func(b *testing.B) { steady(b, steadyRate, fleetsim.Realistic, limitTestenv) })
	b.Run("Rate25/Compact/Unthrottled", func(b *testing.B) { steady(b, steadyRate/4, fleetsim.Compact, limitTestenv) })
}

func steady(b *testing.B, rate int, size fleetsim.Size, limit clientLimit) {
	reset(b)
	ctx := context.Background()
	secs := envInt(b, envSeconds, defaultSeconds)
	sink, p, fleet, names := readyFleet(b, size, limit, "steady", steadyClusters)
	base := 2 * len(names)

	tr := newTransitions()
	u0 := p.usage()
	start := time.Now()
	total := paced(names, rate, secs, func(name string) { tr.flip(ctx, fleet, name) })
	during := p.since(u0)
	end := time.Now()
	tr.check(b)

	dr := drain(b, sink, base, total, end)
	if _, err := waitQuiet(p, 2*time.Second, time.Minute); err != nil {
		b.Logf("%v", err)
	}
	all := p.since(u0)
	lat, errs := Match(tr.writes, ByCluster(sink.Events()))
	for i, err := range errs {
		if i == 5 {
			b.Errorf("... and %d more clusters", len(errs)-5)
			break
		}
		b.Error(err)
	}
	checkSink(b, sink)
	reportWarnings(b, p.warns)

	s := Summarize(lat)
	achieved := float64(total) / end.Sub(start).Seconds()
	b.ReportMetric(ms(s.P50), "p50-ms")
	b.ReportMetric(ms(s.P99), "p99-ms")
	b.ReportMetric(ms(s.Max), "max-ms")
	b.ReportMetric(achieved, "writes/s")
	b.ReportMetric(float64(all.ledger+all.cursor)/float64(total), "provider-writes/transition")
	b.Logf("steady %d/s for %ds on %d %s clusters, %s: p50 %s p90 %s p99 %s max %s over %d transitions (target p99 < %s: %s)",
		rate, secs, len(names), size, limit, Ms(s.P50), Ms(s.P90), Ms(s.P99), Ms(s.Max), s.N, Ms(targetP99), verdict(s.N == total && s.P99 < targetP99))
	b.Logf("  writes achieved %.0f/s; %s", achieved, dr)
	b.Logf("  %s", all.writes(total))
	b.Logf("  CPU while writing: control plane %.0f%%, this process %.0f%% of one core; load %s",
		during.cores(during.controlPlane), during.cores(during.cpu), LoadAvg())
}

// BenchmarkMaxWriteRate writes transitions as fast as the API server
// accepts them, from several concurrent writers on a fleet of 400 ready
// clusters, and reports the writes achieved, the share of their events
// delivered after a drain period, and how long draining took.
func BenchmarkMaxWriteRate(b *testing.B) {
	reset(b)
	ctx := context.Background()
	secs := envInt(b, envSeconds, defaultSeconds)
	sink, p, fleet, names := readyFleet(b, fleetsim.Realistic, limitTestenv, "maxrate", maxClusters)
	base := 2 * len(names)

	tr := newTransitions()
	u0 := p.usage()
	start := u0.at
	flipAll(ctx, tr, fleet, names, start.Add(time.Duration(secs)*time.Second))
	during := p.since(u0)
	end := time.Now()
	tr.check(b)
	total := tr.count()

	dr := drain(b, sink, base, total, end)
	if _, err := waitQuiet(p, 2*time.Second, 2*time.Minute); err != nil {
		b.Logf("%v", err)
	}
	all := p.since(u0)
	lat, errs := Match(tr.writes, ByCluster(sink.Events()))
	for i, err := range errs {
		if i == 5 {
			b.Errorf("... and %d more clusters", len(errs)-5)
			break
		}
		b.Error(err)
	}
	checkSink(b, sink)
	reportWarnings(b, p.warns)

	s := Summarize(lat)
	rate := float64(total) / end.Sub(start).Seconds()

	// The same writes with no provider running: the API server's own
	// ceiling for these objects on this machine.
	if err := p.Stop(); err != nil {
		b.Fatalf("stop provider: %v", err)
	}
	raw := newTransitions()
	rawSecs := min(secs, 10)
	rawStart := time.Now()
	flipAll(ctx, raw, fleet, names, rawStart.Add(time.Duration(rawSecs)*time.Second))
	raw.check(b)
	rawRate := float64(raw.count()) / time.Since(rawStart).Seconds()

	b.ReportMetric(rate, "writes/s")
	b.ReportMetric(rawRate, "writes/s-no-provider")
	b.ReportMetric(dr.ratio, "delivered/written")
	b.ReportMetric(dr.drain.Seconds(), "drain-s")
	b.ReportMetric(ms(s.P99), "p99-ms")
	b.ReportMetric(float64(all.ledger+all.cursor)/float64(total), "provider-writes/transition")
	b.Logf("max write rate with %d writers on %d %s clusters for %ds: %.0f writes/s accepted with the provider running (%.0f/s with no provider, for %ds); %s",
		maxWriters, len(names), fleetsim.Realistic, secs, rate, rawRate, rawSecs, dr)
	b.Logf("  latency under that load p50 %s p99 %s max %s; %s",
		Ms(s.P50), Ms(s.P99), Ms(s.Max), all.writes(total))
	b.Logf("  CPU while writing: control plane %.0f%%, this process %.0f%% of one core; load %s",
		during.cores(during.controlPlane), during.cores(during.cpu), LoadAvg())
}

// BenchmarkReplay10k adds a sink with replay Current to a fleet of 10,000
// recorded clusters and measures how fast their 20,000 created and ready
// events are delivered. Building the fleet is not measured: the API server
// accepts only a few hundred writes a second.
func BenchmarkReplay10k(b *testing.B) {
	f := replayFixture(b)
	r := replay(b, f, "replay")
	rate := float64(r.events) / r.elapsed.Seconds()
	flowing := float64(r.events-1) / (r.elapsed - r.firstAfter).Seconds()
	b.ReportMetric(rate, "events/s")
	b.ReportMetric(ms(r.firstAfter), "first-event-ms")
	b.ReportMetric(float64(f.n), "clusters")
	note := ""
	if f.n != defaultReplayClusters {
		note = fmt.Sprintf(" [%s=%d: not the %d clusters the target names]", envReplayClusters, f.n, defaultReplayClusters)
	}
	b.Logf("replay Current of %d clusters (%d events) to a new sink: %.0f events/s from config creation to last event (target >= %.0f/s: %s)%s",
		f.n, r.events, rate, targetReplayRate, verdict(rate >= targetReplayRate && f.n >= defaultReplayClusters), note)
	b.Logf("  first event after %s, last after %s (%.0f events/s once flowing); %d redelivered; load %s",
		r.firstAfter.Round(time.Millisecond), r.elapsed.Round(time.Millisecond), flowing, r.redelivered, r.load)
	b.Logf("  progress persisted after %s, with %d progress updates and %d other ledger writes; the provider made %d reads (a bulk list of the ledgers is one read per 500)",
		r.persisted.Round(time.Millisecond), r.cursorWrites, r.ledgerWrites, r.reads)
	b.Logf("  fleet setup (not measured): %d clusters created and recorded in %s", f.n, f.setup.Round(time.Second))
}

// BenchmarkMemoryPerCluster reports the provider's live heap per watched
// cluster and its CPU time per delivered event, on the replay fleet.
//
// Heap: the benchmark process's live heap after a full collection, with
// the provider running, before any cluster exists and once it has observed
// and recorded every cluster of the fleet (no sink configured), divided by
// the fleet's size; the benchmark keeps nothing per cluster but its name,
// allocated before the first reading. It is read again after a replay, with
// every configured sink up to date.
//
// CPU: this process's user and system time (provider, sink and the API
// client side) from adding a sink until its replay of every cluster
// arrived, and until delivery progress was persisted, divided by the events
// delivered; kube-apiserver's and etcd's CPU is reported apart.
func BenchmarkMemoryPerCluster(b *testing.B) {
	f := replayFixture(b)
	perCluster := float64(int64(f.heapObserved)-int64(f.heapIdle)) / float64(f.n)
	r := replay(b, f, "memory")
	after := LiveHeap()
	withSinks := float64(int64(after)-int64(f.heapIdle)) / float64(f.n)
	sinks := &v1alpha1.ClusterProviderConfigList{}
	if err := kubeClient(b).List(context.Background(), sinks); err != nil {
		b.Fatalf("list ClusterProviderConfigs: %v", err)
	}
	us := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(r.events) }

	b.ReportMetric(perCluster, "heap-B/cluster")
	b.ReportMetric(withSinks, "heap-B/cluster-with-sinks")
	b.ReportMetric(us(r.cpu), "cpu-us/event")
	b.ReportMetric(us(r.cpuPersisted), "cpu-us/event-persisted")
	b.ReportMetric(us(r.controlPlaneCPU), "controlplane-cpu-us/event")
	b.Logf("heap per watched cluster: %.0f B (target <= %.0f B: %s), live heap %d -> %d B for %d clusters observed and recorded, no sink",
		perCluster, targetHeapPerItem, verdict(perCluster <= targetHeapPerItem), f.heapIdle, f.heapObserved, f.n)
	b.Logf("  after replaying to a new sink, with %d sink(s) up to date: %.0f B per cluster", len(sinks.Items), withSinks)
	b.Logf("  CPU per delivered event (%d events): %.0f us in this process until delivered, %.0f us until progress persisted (provider + loopback sink + API client side); kube-apiserver and etcd %.0f us; load %s",
		r.events, us(r.cpu), us(r.cpuPersisted), us(r.controlPlaneCPU), r.load)
}

// readyFleet starts a sink, a provider and a ClusterProviderConfig for a
// new fleet of n ready clusters, and waits until their created and ready
// events arrived and progress is persisted.
func readyFleet(b *testing.B, size fleetsim.Size, limit clientLimit, label string, n int) (*Sink, *running, *fleetsim.Fleet, []string) {
	b.Helper()
	ctx := context.Background()
	sink := NewSink(WithValidator(validator(b), validateEvery))
	sink.Start()
	b.Cleanup(sink.Close)
	p := mustStartProvider(b, limit)
	kube := kubeClient(b)
	if err := createConfig(ctx, kube, label, sink.URL(), label); err != nil {
		b.Fatalf("create ClusterProviderConfig: %v", err)
	}
	if err := waitConfigured(ctx, kube, label); err != nil {
		b.Fatalf("ClusterProviderConfig %s: %v", label, err)
	}
	fleet := fleetsim.NewFleet(dynClient(b), map[string]string{labelKey: label}, fleetsim.WithSize(size))
	names := fleetsim.Names(label, n)
	if err := fleet.CreateReady(ctx, names, fleetWriters, time.Now().Add(-time.Hour).Truncate(time.Second), nil); err != nil {
		b.Fatalf("create fleet: %v", err)
	}
	if err := sink.WaitDistinct(2*n, stallLimit, 5*time.Minute); err != nil {
		reportWarnings(b, p.warns)
		dumpGoroutines(b)
		b.Fatalf("fleet of %d, created and ready events: %v", n, err)
	}
	if _, err := waitQuiet(p, 2*time.Second, 2*time.Minute); err != nil {
		b.Fatalf("fleet of %d: %v", n, err)
	}
	return sink, p, fleet, names
}

// transitions records the status writes a benchmark makes, per cluster.
type transitions struct {
	mu     sync.Mutex
	writes map[string][]Write
	errs   []error
}

func newTransitions() *transitions {
	return &transitions{writes: map[string][]Write{}}
}

// flip turns a ready cluster's cloud state FAILED, or a failed one's
// ACTIVE again, with one status write, and records when the API server
// confirmed it. Only one goroutine may flip a given cluster.
func (t *transitions) flip(ctx context.Context, f *fleetsim.Fleet, name string) {
	t.mu.Lock()
	k := len(t.writes[name])
	t.mu.Unlock()
	state, lc := fleetsim.StateFailed, v1alpha1.LifecycleDegraded
	if k%2 == 1 {
		state, lc = fleetsim.StateActive, v1alpha1.LifecycleRecovered
	}
	err := f.SetCloudState(ctx, name, state)
	done := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if err != nil {
		t.errs = append(t.errs, err)
		return
	}
	t.writes[name] = append(t.writes[name], Write{Lifecycle: lc, Done: done})
}

func (t *transitions) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, w := range t.writes {
		n += len(w)
	}
	return n
}

// check fails the benchmark on writes the API server refused: the fleet
// is then not in the state the benchmark expects.
func (t *transitions) check(b *testing.B) {
	b.Helper()
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.errs) > 0 {
		b.Fatalf("%d status writes failed, first: %v", len(t.errs), t.errs[0])
	}
}

// flipAll flips the clusters' cloud state as fast as the API server
// accepts, with maxWriters writers, until deadline. Writer w owns the
// clusters whose index is w modulo the writers, so no cluster is written
// by two at once.
func flipAll(ctx context.Context, tr *transitions, fleet *fleetsim.Fleet, names []string, deadline time.Time) {
	var wg sync.WaitGroup
	for w := range maxWriters {
		wg.Go(func() {
			for i := w; time.Now().Before(deadline); i += maxWriters {
				tr.flip(ctx, fleet, names[i%len(names)])
			}
		})
	}
	wg.Wait()
}

// drained is how delivery caught up after the writes stopped.
type drained struct {
	written   int
	delivered int
	ratio     float64
	// drain is from the end of the writes to the last event's arrival.
	drain    time.Duration
	complete bool
	// late is set when the events arrived only after the drain window.
	late bool
}

func (d drained) String() string {
	switch {
	case d.complete && !d.late:
		return fmt.Sprintf("delivered %d/%d (ratio %.3f), drained %s after the writes stopped", d.delivered, d.written, d.ratio, d.drain.Round(time.Millisecond))
	case d.complete:
		return fmt.Sprintf("delivered %d/%d (ratio %.3f) within %s of the writes stopping; all only after %s", d.delivered, d.written, d.ratio, drainWindow, d.drain.Round(time.Millisecond))
	default:
		return fmt.Sprintf("delivered %d/%d (ratio %.3f) within %s of the writes stopping; the rest never arrived", d.delivered, d.written, d.ratio, drainWindow)
	}
}

// drain waits for the events of written transitions, on top of base
// events already received. It takes the delivered ratio at the end of the
// drain window, then waits up to the loss window for the rest; events
// still missing then are lost, which fails the benchmark.
func drain(b *testing.B, sink *Sink, base, written int, end time.Time) drained {
	b.Helper()
	want := base + written
	d := drained{written: written}
	d.complete = sink.WaitDistinct(want, drainWindow, time.Until(end.Add(drainWindow))) == nil
	t := sink.Tally()
	d.delivered = min(t.Distinct-base, written)
	d.ratio = float64(d.delivered) / float64(written)
	if !d.complete {
		err := sink.WaitDistinct(want, stallLimit, lossWindow)
		d.late = err == nil
		d.complete = d.late
		t = sink.Tally()
		if err != nil {
			dumpGoroutines(b)
			b.Errorf("events of the transitions written never arrived: %v", err)
		}
	}
	d.drain = max(t.Last.Sub(end), 0)
	if t.Distinct > want {
		b.Errorf("%d events more than transitions written", t.Distinct-want)
	}
	return d
}
