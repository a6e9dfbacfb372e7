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
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
)

// The comparison with a stateless watcher. Its size and length can be
// changed through the environment; the defaults are those the targets name.
const (
	envCompareClusters     = "BENCH_COMPARE_CLUSTERS"
	defaultCompareClusters = 2000
	envCompareRate         = "BENCH_COMPARE_RATE"
	defaultCompareRate     = 100
	envCompareSeconds      = "BENCH_COMPARE_SECONDS"
	defaultCompareSeconds  = 40
	envCompareRounds       = "BENCH_COMPARE_ROUNDS"
	defaultCompareRounds   = 2

	// cdeventsGroup is the API group whose writes are counted.
	cdeventsGroup = "cdevents.crossplane.io"
	// mib is a mebibyte.
	mebibyte = 1 << 20
)

// Targets of the comparison, as ratios to the stateless watcher.
const (
	targetWritesPerTransition = 1.0
	goalWritesPerTransition   = 0.5
	targetControlPlaneRatio   = 1.3
	targetOthersP99Ratio      = 1.5
	targetSinkP99Ratio        = 2.0
	targetCPUPerEventRatio    = 1.0
	targetRSSAbove            = 20 * mebibyte
)

// flipper moves clusters between ACTIVE and FAILED, remembering each
// cluster's state across phases, and records every status write: what it
// should cause, when the API server confirmed it, and how long it took.
type flipper struct {
	fleet *fleetsim.Fleet

	mu     sync.Mutex
	failed map[string]bool
	writes map[string][]Write
	took   []time.Duration
	errs   []error
}

func newFlipper(f *fleetsim.Fleet) *flipper {
	return &flipper{fleet: f, failed: map[string]bool{}}
}

// begin starts a new phase: its writes are recorded apart.
func (f *flipper) begin() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes, f.took, f.errs = map[string][]Write{}, nil, nil
}

func (f *flipper) flip(ctx context.Context, name string) {
	f.mu.Lock()
	fail := !f.failed[name]
	f.mu.Unlock()
	state, lc := fleetsim.StateActive, v1alpha1.LifecycleRecovered
	if fail {
		state, lc = fleetsim.StateFailed, v1alpha1.LifecycleDegraded
	}
	begin := time.Now()
	err := f.fleet.SetCloudState(ctx, name, state)
	done := time.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if err != nil {
		f.errs = append(f.errs, err)
		return
	}
	f.failed[name] = fail
	f.took = append(f.took, done.Sub(begin))
	f.writes[name] = append(f.writes[name], Write{Lifecycle: lc, Done: done})
}

// run writes rate transitions a second for secs seconds, round robin over
// names, with steadyWorkers writers (each cluster always by the same one).
func (f *flipper) run(ctx context.Context, names []string, rate, secs int) int {
	paced(names, rate, secs, func(name string) { f.flip(ctx, name) })
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.took)
}

// phaseResult is what one phase of the comparison measured.
type phaseResult struct {
	name        string
	transitions int
	delivered   int
	// writes are the API server's writes to cdevents.crossplane.io.
	writes int64
	// controlPlane is kube-apiserver's and etcd's CPU; process this
	// process's (the sink, and the watcher or the provider); driver the
	// load driver's.
	controlPlane, process, driver time.Duration
	// others are the load driver's status writes; sink is from a write's
	// confirmation to the sink's receipt of its event. The samples are
	// kept, so that rounds can be pooled.
	others, sink             Latencies
	othersSample, sinkSample []time.Duration
	rssPeak                  uint64
	took                     time.Duration
	lost                     int
	load                     string
	// detail says how the provider's own writes split.
	detail string
	// rounds is how many phases the result pools.
	rounds int
}

// poolRounds adds up phases of the same kind from alternating rounds: counts and
// CPU are summed, latency samples pooled, the RSS peak is the highest.
func poolRounds(rs []phaseResult) phaseResult {
	out := phaseResult{name: rs[0].name}
	var loads, details []string
	for _, r := range rs {
		out.transitions += r.transitions
		out.delivered += r.delivered
		out.writes += r.writes
		out.controlPlane += r.controlPlane
		out.process += r.process
		out.driver += r.driver
		out.othersSample = append(out.othersSample, r.othersSample...)
		out.sinkSample = append(out.sinkSample, r.sinkSample...)
		out.rssPeak = max(out.rssPeak, r.rssPeak)
		out.took += r.took
		out.lost += r.lost
		out.rounds += r.rounds
		loads = append(loads, r.load)
		if r.detail != "" {
			details = append(details, r.detail)
		}
	}
	out.others, out.sink = Summarize(out.othersSample), Summarize(out.sinkSample)
	out.load, out.detail = strings.Join(loads, "; "), strings.Join(details, "; ")
	return out
}

// comparePhase runs the load once with whatever watches the fleet, and
// measures it until the sink has every event (sink nil: nothing watches)
// and a settling period has passed, the same for every phase, long enough
// for the provider's delivery progress to be persisted.
func comparePhase(b *testing.B, name string, fl *loadDriver, names []string, rate, secs int, sink *Sink, p *running) phaseResult {
	b.Helper()
	ctx := context.Background()
	progress("comparison: %s, %d transitions/s for %ds over %d clusters", name, rate, secs, len(names))
	base := 0
	if sink != nil {
		base = sink.Tally().Distinct
	}
	w0, err := APIWrites(ctx, cfg, cdeventsGroup)
	if err != nil {
		b.Fatalf("%v", err)
	}
	cp0, pr0, dr0 := ChildrenCPU(), ProcessCPU(), ChildCPU(fl.pid())
	var u0 usage
	if p != nil {
		u0 = p.usage()
	}
	rss := PeakRSS()
	fl.begin()
	start := time.Now()
	total := fl.run(names, rate, secs)
	r := phaseResult{name: name, transitions: total, load: LoadAvg(), rounds: 1}
	if len(fl.errs) > 0 {
		b.Fatalf("%s: %d status writes failed, first: %v", name, len(fl.errs), fl.errs[0])
	}
	if sink != nil {
		if err := sink.WaitDistinct(base+total, stallLimit, lossWindow); err != nil {
			b.Errorf("%s: events of the transitions written never arrived: %v", name, err)
		}
	}
	time.Sleep(flushInterval + 2*time.Second)
	r.took = time.Since(start)
	r.rssPeak = rss()
	r.controlPlane, r.process, r.driver = ChildrenCPU()-cp0, ProcessCPU()-pr0, ChildCPU(fl.pid())-dr0
	w1, err := APIWrites(ctx, cfg, cdeventsGroup)
	if err != nil {
		b.Fatalf("%v", err)
	}
	r.writes = w1 - w0
	r.othersSample = fl.took
	r.others = Summarize(fl.took)
	if p != nil {
		r.detail = p.since(u0).writes(total)
	}
	if sink != nil {
		var events []Event
		for _, e := range sink.Events() {
			if !e.At.Before(start) {
				events = append(events, e)
			}
		}
		lat, errs := Match(fl.writes, ByCluster(events))
		r.lost = len(errs)
		for i, err := range errs {
			if i == 5 {
				b.Errorf("... and %d more clusters", len(errs)-5)
				break
			}
			b.Errorf("%s: %v", name, err)
		}
		r.sinkSample = lat
		r.sink = Summarize(lat)
		r.delivered = len(lat)
	}
	return r
}

// BenchmarkVersusStatelessWatcher runs the same load on one fleet of
// realistic upjet EKS clusters, 100 transitions/s for 40 s over 2,000
// clusters: once with nothing watching, then in alternating rounds with a
// stateless watcher (see Watcher: an informer that posts a CloudEvent for
// every update to the same kind of loopback sink and writes nothing) and
// with the provider (cmd/provider's defaults, one ClusterProviderConfig;
// stopped after each of its phases and started again, on its ledgers,
// before the next). On a saturated machine one phase can be slower than
// the next for reasons of its own; alternating and pooling the rounds
// keeps such drift from deciding a ratio. It prints, side by side, what
// each costs the API server and the other writers, how soon events
// arrive, and the process's CPU and memory, with the targets, pooled and
// per round.
func BenchmarkVersusStatelessWatcher(b *testing.B) {
	reset(b)
	ctx := context.Background()
	n := envInt(b, envCompareClusters, defaultCompareClusters)
	rate := envInt(b, envCompareRate, defaultCompareRate)
	secs := envInt(b, envCompareSeconds, defaultCompareSeconds)
	rounds := max(envInt(b, envCompareRounds, defaultCompareRounds), 1)
	const label = "compare"
	labels := map[string]string{labelKey: label}
	fleet := fleetsim.NewFleet(dynClient(b), labels, fleetsim.WithSize(fleetsim.Realistic), fleetsim.WithoutCache())
	names := fleetsim.Names(label, n)
	progress("comparison: creating %d realistic ready clusters (%s to change; not measured)", n, envCompareClusters)
	if err := fleet.CreateReady(ctx, names, fleetWriters, time.Now().Add(-time.Hour).Truncate(time.Second), nil); err != nil {
		b.Fatalf("create fleet: %v", err)
	}
	fl, err := startLoadDriver(cfg, labels)
	if err != nil {
		b.Fatalf("load driver: %v", err)
	}
	defer fl.stop()

	idle := comparePhase(b, "nothing watching", fl, names, rate, secs, nil, nil)

	ws := NewSink()
	ws.Start()
	defer ws.Close()
	ps := NewSink(WithValidator(validator(b), validateEvery))
	ps.Start()
	defer ps.Close()
	kube := kubeClient(b)

	var bases, provs []phaseResult
	var caughtUp time.Duration
	for round := range rounds {
		progress("comparison: round %d of %d (%s to change)", round+1, rounds, envCompareRounds)
		w := NewWatcher(ws.URL())
		if err := w.Start(dynClient(b)); err != nil {
			b.Fatalf("baseline watcher: %v", err)
		}
		waitAPIServerProfile := func() {}
		if round == 0 {
			waitAPIServerProfile = startAPIServerProfile(b, "cpu-compare-apiserver-watcher.pprof", secs)
		}
		bases = append(bases, comparePhase(b, "stateless watcher", fl, names, rate, secs, ws, nil))
		waitAPIServerProfile()
		w.Stop()

		startedAt := time.Now()
		p, err := startProvider(limitDefault)
		if err != nil {
			b.Fatalf("start provider: %v", err)
		}
		if round == 0 {
			if err := createConfig(ctx, kube, label, ps.URL(), label); err != nil {
				b.Fatalf("create ClusterProviderConfig: %v", err)
			}
			if err := waitConfigured(ctx, kube, label); err != nil {
				b.Fatalf("ClusterProviderConfig %s: %v", label, err)
			}
			if err := ps.WaitDistinct(2*n, stallLimit, 10*time.Minute); err != nil {
				b.Fatalf("provider start-up on %d clusters: %v", n, err)
			}
			caughtUp = time.Since(startedAt)
		}
		// The replay's progress, or a restart's, is persisted by the next
		// flush: wait for it, so that the run measures the steady state
		// only.
		if _, err := waitQuiet(p, flushInterval+2*time.Second, 3*time.Minute); err != nil {
			b.Logf("%v", err)
		}
		stopProfile := func() {}
		if round == 0 {
			stopProfile = startCPUProfile(b, "cpu-compare-provider.pprof")
			waitAPIServerProfile = startAPIServerProfile(b, "cpu-compare-apiserver.pprof", secs)
		}
		provs = append(provs, comparePhase(b, "provider-cdevents", fl, names, rate, secs, ps, p))
		stopProfile()
		waitAPIServerProfile()
		reportWarnings(b, p.warns)
		if err := p.Stop(); err != nil {
			b.Errorf("stop provider: %v", err)
		}
	}
	checkSink(b, ps)

	base, prov := poolRounds(bases), poolRounds(provs)
	printComparison(b, idle, base, prov)
	for i := range rounds {
		printRound(b, i+1, idle, bases[i], provs[i])
	}
	msg := fmt.Sprintf("  provider start-up on the existing %d clusters, to every created and ready event delivered: %s; redelivered (same id) during the run, restarts included: %d",
		n, caughtUp.Round(time.Millisecond), ps.Tally().Accepted-ps.Tally().Distinct)
	b.Log(msg)
	fmt.Fprintln(os.Stderr, msg)
	b.ReportMetric(float64(prov.writes)/float64(prov.transitions), "writes/transition")
	b.ReportMetric(ms(prov.sink.P99), "p99-ms")
	b.ReportMetric(ms(base.sink.P99), "baseline-p99-ms")
}

// printComparison prints the comparison table.
func printComparison(b *testing.B, idle, base, prov phaseResult) {
	b.Helper()
	per := func(d time.Duration, n int) float64 {
		if n == 0 {
			return 0
		}
		return ms(d) / float64(n)
	}
	ratio := func(a, c float64) string {
		if c == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f", a/c)
	}
	// The process's CPU (the sink and the watcher or the provider; the
	// load driver runs in a process of its own) less what the same
	// period cost it with nothing watching.
	net := func(r phaseResult) float64 {
		return per(max(r.process-time.Duration(r.rounds)*idle.process, 0), r.delivered)
	}
	wpt := func(r phaseResult) float64 { return float64(r.writes) / float64(max(r.transitions, 1)) }
	cpB, cpP := per(base.controlPlane, base.transitions), per(prov.controlPlane, prov.transitions)
	rows := [][]string{
		{"figure", "provider-cdevents", "stateless watcher", "ratio", "target", "verdict"},
		{"writes to the API server per transition (" + cdeventsGroup + ")", fmt.Sprintf("%.2f", wpt(prov)), fmt.Sprintf("%.2f", wpt(base)), "-",
			fmt.Sprintf("<= %.1f (goal %.1f)", targetWritesPerTransition, goalWritesPerTransition), verdict(wpt(prov) <= targetWritesPerTransition)},
		{"kube-apiserver + etcd CPU per transition", fmt.Sprintf("%.1f ms", cpP), fmt.Sprintf("%.1f ms", cpB), ratio(cpP, cpB),
			fmt.Sprintf("<= %.1fx", targetControlPlaneRatio), verdict(cpP <= targetControlPlaneRatio*cpB)},
		{"others' status-write latency p50 / p99", fmt.Sprintf("%s / %s", Ms(prov.others.P50), Ms(prov.others.P99)), fmt.Sprintf("%s / %s", Ms(base.others.P50), Ms(base.others.P99)),
			ratio(float64(prov.others.P50), float64(base.others.P50)) + " / " + ratio(float64(prov.others.P99), float64(base.others.P99)),
			fmt.Sprintf("p99 <= %.1fx", targetOthersP99Ratio), verdict(float64(prov.others.P99) <= targetOthersP99Ratio*float64(base.others.P99))},
		{"status write -> sink p50 / p99", fmt.Sprintf("%s / %s", Ms(prov.sink.P50), Ms(prov.sink.P99)), fmt.Sprintf("%s / %s", Ms(base.sink.P50), Ms(base.sink.P99)),
			ratio(float64(prov.sink.P50), float64(base.sink.P50)) + " / " + ratio(float64(prov.sink.P99), float64(base.sink.P99)),
			fmt.Sprintf("p99 <= %.1fx", targetSinkP99Ratio), verdict(float64(prov.sink.P99) <= targetSinkP99Ratio*float64(base.sink.P99))},
		{"CPU per delivered event (this process, less its CPU with nothing watching)", fmt.Sprintf("%.2f ms", net(prov)), fmt.Sprintf("%.2f ms", net(base)), ratio(net(prov), net(base)),
			fmt.Sprintf("<= %.1fx", targetCPUPerEventRatio), verdict(net(prov) <= targetCPUPerEventRatio*net(base))},
		{"RSS peak (this process)", fmt.Sprintf("%.0f MiB", float64(prov.rssPeak)/mebibyte), fmt.Sprintf("%.0f MiB", float64(base.rssPeak)/mebibyte), ratio(float64(prov.rssPeak), float64(base.rssPeak)),
			"<= baseline + 20 MiB", verdict(prov.rssPeak <= base.rssPeak+targetRSSAbove)},
	}
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	var sb strings.Builder
	for k, r := range rows {
		sb.WriteString("| ")
		for i, c := range r {
			fmt.Fprintf(&sb, "%-*s | ", widths[i], c)
		}
		sb.WriteString("\n")
		if k == 0 {
			sb.WriteString("|")
			for _, w := range widths {
				sb.WriteString(strings.Repeat("-", w+2) + "|")
			}
			sb.WriteString("\n")
		}
	}
	report := func(format string, args ...any) { reportf(b, format, args...) }
	report("provider-cdevents against a stateless watcher, %d transitions in %s each (%d alternating rounds pooled), same fleet, same loopback sink:\n%s", prov.transitions, prov.took.Round(time.Second), prov.rounds, sb.String())
	for _, r := range []phaseResult{idle, base, prov} {
		report("  %-18s transitions %d, delivered %d, clusters with missing events %d; writes to %s %d; control plane CPU %s, this process %s, load driver %s, RSS peak %.0f MiB over %s; load %s",
			r.name, r.transitions, r.delivered, r.lost, cdeventsGroup, r.writes, r.controlPlane.Round(time.Millisecond), r.process.Round(time.Millisecond),
			r.driver.Round(time.Millisecond), float64(r.rssPeak)/mebibyte, r.took.Round(time.Second), r.load)
	}
	report("  provider-cdevents: %s", prov.detail)
	report("  (the status write -> sink ratio is taken at p99 only: a watcher may see a write before its writer has the answer, so p50 can be below zero)")
}

// printRound prints one round's figures, provider against watcher, so
// that a reader sees how far the rounds agree.
func printRound(b *testing.B, round int, idle, base, prov phaseResult) {
	b.Helper()
	div := func(a, c float64) float64 {
		if c == 0 {
			return 0
		}
		return a / c
	}
	cp := func(r phaseResult) float64 { return div(ms(r.controlPlane), float64(r.transitions)) }
	net := func(r phaseResult) float64 { return div(ms(max(r.process-idle.process, 0)), float64(r.delivered)) }
	line := fmt.Sprintf("  round %d, provider / watcher: control plane CPU per transition %.1f / %.1f ms (%.2f); others' p99 %s / %s (%.2f); write -> sink p99 %s / %s (%.2f); CPU per event %.2f / %.2f ms (%.2f); loads %s / %s",
		round, cp(prov), cp(base), div(cp(prov), cp(base)),
		Ms(prov.others.P99), Ms(base.others.P99), div(float64(prov.others.P99), float64(base.others.P99)),
		Ms(prov.sink.P99), Ms(base.sink.P99), div(float64(prov.sink.P99), float64(base.sink.P99)),
		net(prov), net(base), div(net(prov), net(base)), prov.load, base.load)
	b.Log(line)
	fmt.Fprintln(os.Stderr, line)
}

// paced calls flip rate times a second for secs seconds, round robin over
// names, from steadyWorkers goroutines (each name always from the same
// one), and returns once every call has; it returns how many it made.
func paced(names []string, rate, secs int, flip func(name string)) int {
	chans := make([]chan string, steadyWorkers)
	var wg sync.WaitGroup
	for w := range chans {
		chans[w] = make(chan string, rate*secs)
		wg.Go(func() {
			for name := range chans[w] {
				flip(name)
			}
		})
	}
	total := rate * secs
	interval := time.Second / time.Duration(rate)
	start := time.Now()
	for i := range total {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		idx := i % len(names)
		chans[idx%steadyWorkers] <- names[idx]
	}
	for _, c := range chans {
		close(c)
	}
	wg.Wait()
	return total
}
