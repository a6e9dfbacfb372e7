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
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/provider"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// Settings of every benchmark. Only the replay fleet's size and the length
// of the timed phases may be changed, through the environment.
const (
	// envReplayClusters sets the replay fleet's size.
	envReplayClusters     = "BENCH_REPLAY_CLUSTERS"
	defaultReplayClusters = 10000
	// envDebug, set to anything, sends the provider's logs, debug
	// included, to stderr instead of counting its warnings.
	envDebug = "BENCH_DEBUG"
	// envProfileDir names a directory to write pprof profiles to: the
	// provider's heap once it recorded the replay fleet, and the CPU of
	// each replay, from adding the sink until progress is persisted.
	envProfileDir = "BENCH_PROFILE_DIR"
	// envSeconds sets the length of the steady and max-rate phases.
	envSeconds     = "BENCH_SECONDS"
	defaultSeconds = 20

	// fleetWriters is how many concurrent writers create a fleet.
	fleetWriters = 8
	// flushInterval is cmd/provider's default --cursor-flush-interval.
	flushInterval = controller.DefaultCursorFlushInterval
	// defaultMaxReconcileRate is cmd/provider's default
	// --max-reconcile-rate; its API client is limited to five times as
	// many requests per second.
	defaultMaxReconcileRate = 10
	// validateEvery is how often the sink validates an event in full.
	validateEvery = 10
)

// labelKey marks each benchmark's clusters, and selects them in its
// ClusterProviderConfig.
const labelKey = "bench"

// envInt reads a positive integer from the environment.
func envInt(b *testing.B, name string, def int) int {
	b.Helper()
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		b.Fatalf("%s=%q: want a positive integer", name, v)
	}
	return n
}

// progress prints a line on stderr while a long setup runs, so a
// benchmark that takes minutes does not look stuck.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// reportf logs a benchmark's figure, and prints it on stderr as well:
// benchmark logs are cut after ten lines.
func reportf(b *testing.B, format string, args ...any) {
	b.Helper()
	b.Logf(format, args...)
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// dynClient is an unthrottled dynamic client: the writers must be limited
// by the API server, not by client-side rate limiting.
func dynClient(b *testing.B) dynamic.Interface {
	b.Helper()
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	c.WarningHandler = rest.NoWarnings{}
	d, err := dynamic.NewForConfig(c)
	if err != nil {
		b.Fatalf("dynamic.NewForConfig: %v", err)
	}
	return d
}

func kubeClient(b *testing.B) client.Client {
	b.Helper()
	c, err := testkit.Client(cfg)
	if err != nil {
		b.Fatalf("testkit.Client: %v", err)
	}
	return c
}

func validator(b *testing.B) *cdevent.Validator {
	b.Helper()
	v, err := cdevent.NewValidator()
	if err != nil {
		b.Fatalf("cdevent.NewValidator: %v", err)
	}
	return v
}

// clientLimit is how the provider's API client is throttled.
type clientLimit int

const (
	// limitTestenv is the control plane's admin config: 1000 requests/s,
	// in effect unthrottled.
	limitTestenv clientLimit = iota
	// limitDefault is what cmd/provider runs with by default.
	limitDefault
)

func (l clientLimit) String() string {
	if l == limitDefault {
		return fmt.Sprintf("manager client limited to %d req/s, ledger client unthrottled (cmd/provider defaults, --max-reconcile-rate=%d)", 5*defaultMaxReconcileRate, defaultMaxReconcileRate)
	}
	return "client unthrottled (1000 req/s)"
}

// running is a provider under test with its instruments.
type running struct {
	*testkit.Provider
	reqs  *Requests
	warns *Warnings
}

// startProvider runs the real provider in-process with cmd/provider's
// defaults, counting its API requests and warnings, and waits until it has
// listed the fleet's kind.
func startProvider(limit clientLimit) (*running, error) {
	reqs, warns := NewRequests(), NewWarnings()
	c := rest.CopyConfig(cfg)
	c.Wrap(reqs.Wrap)
	// As in cmd/provider, the manager's client is limited to five times
	// --max-reconcile-rate and the ledger's is not; 200 lets the manager
	// make 1000 requests/s, the control plane's admin config.
	rate := 200
	if limit == limitDefault {
		rate = defaultMaxReconcileRate
	}
	log := warns.Logger()
	if os.Getenv(envDebug) != "" {
		log = logging.NewLogrLogger(zap.New(zap.UseDevMode(true), zap.WriteTo(os.Stderr)))
	}
	p, err := testkit.StartProvider(c, testkit.WithFlushInterval(flushInterval), testkit.WithLogger(log), testkit.WithMaxReconcileRate(rate),
		testkit.WithOptions(func(o *provider.Options) { o.StatusFiguresInterval = controller.DefaultStatusFiguresInterval }))
	if err != nil {
		return nil, err
	}
	err = testkit.Eventually(2*time.Minute, func() error {
		pl := p.Pipeline
		if !pl.Ledger.Loaded() || !pl.Discovery.Synced() || !pl.Discovery.IsWatching(fleetsim.FlavorEKS.GroupKind()) {
			return errors.New("provider has not listed the fleet's kind yet")
		}
		return nil
	})
	if err != nil {
		_ = p.Stop()
		return nil, err
	}
	return &running{Provider: p, reqs: reqs, warns: warns}, nil
}

func mustStartProvider(b *testing.B, limit clientLimit) *running {
	b.Helper()
	p, err := startProvider(limit)
	if err != nil {
		b.Fatalf("start provider: %v", err)
	}
	b.Cleanup(func() { _ = p.Stop() })
	return p
}

// reportWarnings fails on warnings that mean lost events, and logs the
// others.
func reportWarnings(b *testing.B, w *Warnings) {
	b.Helper()
	for _, s := range w.Summary() {
		if strings.Contains(s, "dropping") {
			b.Errorf("provider dropped transitions: %s", s)
			continue
		}
		b.Logf("provider warning: %s", s)
	}
	w.Reset()
}

// createConfig adds a ClusterProviderConfig that sends the clusters
// labelled bench=<label> to url, with the default replay policy, Current.
func createConfig(ctx context.Context, kube client.Client, name, url, label string) error {
	pc := &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.ProviderConfigSpec{
			Sink:     v1alpha1.Sink{URL: url},
			Selector: &v1alpha1.Selector{MatchLabels: map[string]string{labelKey: label}},
			Replay:   v1alpha1.ReplayCurrent,
		},
	}
	return kube.Create(ctx, pc)
}

// reset empties the control plane of everything a benchmark leaves:
// cluster objects, ledgers and configs. No provider may run meanwhile, or
// it would record the deletions.
func reset(b *testing.B) {
	b.Helper()
	stopShared()
	ctx := context.Background()
	dyn := dynClient(b)
	for _, gvr := range []schema.GroupVersionResource{
		fleetsim.UpjetEKS,
		v1alpha1.SchemeGroupVersion.WithResource("observedclusters"),
		v1alpha1.SchemeGroupVersion.WithResource("clusterproviderconfigs"),
	} {
		if err := fleetsim.DeleteAll(ctx, dyn, gvr, 5*time.Minute); err != nil {
			b.Fatalf("reset: %v", err)
		}
	}
}

// waitRecorded waits until n clusters have at least minSeq events in
// their ledgers and no ledger write is queued.
func waitRecorded(p *running, n int, minSeq int64, timeout time.Duration, report func(done int)) error {
	last := time.Now()
	return testkit.Eventually(timeout, func() error {
		got := 0
		for _, rt := range p.Pipeline.Ledger.Routings("") {
			if rt.LastSeq >= minSeq {
				got++
			}
		}
		if report != nil && time.Since(last) > 15*time.Second {
			last = time.Now()
			report(got)
		}
		if q := p.Pipeline.Ledger.Queued(); got < n || q > 0 {
			return errors.Errorf("%d of %d ledgers recorded, %d writes queued", got, n, q)
		}
		return nil
	})
}

// waitQuiet waits until the provider has made no ledger write for quiet,
// so delivery progress is persisted, and returns when it made its last
// one.
func waitQuiet(p *running, quiet, timeout time.Duration) (time.Time, error) {
	writes := func() int64 { return p.reqs.Count(LedgerWrites) + p.reqs.Count(CursorWrites) }
	lastCount, lastChange := writes(), time.Now()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if c := writes(); c != lastCount {
			lastCount, lastChange = c, time.Now()
			continue
		}
		if time.Since(lastChange) >= quiet {
			return lastChange, nil
		}
	}
	return lastChange, errors.Errorf("ledger writes still going after %s", timeout)
}

// usage is a reading of what the provider and the control plane have
// used so far.
type usage struct {
	at                    time.Time
	ledger, cursor, reads int64
	ledgerDone            int
	cursorDone            int
	cpu, controlPlane     time.Duration
}

func (p *running) usage() usage {
	return usage{
		at:     time.Now(),
		ledger: p.reqs.Count(LedgerWrites), cursor: p.reqs.Count(CursorWrites), reads: p.reqs.Count(Reads),
		ledgerDone: p.reqs.Finished(LedgerWrites), cursorDone: p.reqs.Finished(CursorWrites),
		cpu: ProcessCPU(), controlPlane: ChildrenCPU(),
	}
}

// spent is what was used between two readings.
type spent struct {
	took                  time.Duration
	ledger, cursor, reads int64
	ledgerLat, cursorLat  Latencies
	cpu, controlPlane     time.Duration
}

func (p *running) since(u usage) spent {
	now := p.usage()
	return spent{
		took:   now.at.Sub(u.at),
		ledger: now.ledger - u.ledger, cursor: now.cursor - u.cursor, reads: now.reads - u.reads,
		ledgerLat: Summarize(p.reqs.Latencies(LedgerWrites, u.ledgerDone)),
		cursorLat: Summarize(p.reqs.Latencies(CursorWrites, u.cursorDone)),
		cpu:       now.cpu - u.cpu, controlPlane: now.controlPlane - u.controlPlane,
	}
}

// cores is CPU time as a share of one core over the span measured.
func (s spent) cores(d time.Duration) float64 { return 100 * d.Seconds() / s.took.Seconds() }

// writes describes the provider's ledger writes per transition.
func (s spent) writes(transitions int) string {
	n := float64(transitions)
	return fmt.Sprintf("provider wrote %.2f ledger updates (p50 %s, p99 %s) and %.2f progress updates (p50 %s, p99 %s) per transition",
		float64(s.ledger)/n, Ms(s.ledgerLat.P50), Ms(s.ledgerLat.P99), float64(s.cursor)/n, Ms(s.cursorLat.P50), Ms(s.cursorLat.P99))
}

// checkSink fails the benchmark on events the sink refused as invalid.
func checkSink(b *testing.B, s *Sink) {
	b.Helper()
	if errs := s.Tally().Errors; len(errs) > 0 {
		b.Errorf("sink refused %d invalid events, first: %s", len(errs), errs[0])
	}
}

// replayFleet is the large fleet BenchmarkReplay10k and
// BenchmarkMemoryPerCluster share: building it takes minutes, so it is
// built once, by whichever runs first, with the heap measured around it.
type replayFleet struct {
	n        int
	names    []string
	provider *running
	setup    time.Duration
	// heapIdle is the live heap with the provider running and no cluster;
	// heapObserved once it has observed and recorded every cluster.
	heapIdle     uint64
	heapObserved uint64
}

// shared holds the replay fleet between benchmarks, with its provider
// running; stopShared stops it.
var shared struct { //nolint:gochecknoglobals // Benchmarks run one after the other and share one costly fleet.
	mu    sync.Mutex
	fleet *replayFleet
}

func stopShared() {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if shared.fleet != nil {
		_ = shared.fleet.provider.Stop()
		shared.fleet = nil
	}
}

// replayFixture returns the shared replay fleet, building it first if
// needed.
func replayFixture(b *testing.B) *replayFleet {
	b.Helper()
	shared.mu.Lock()
	f := shared.fleet
	shared.mu.Unlock()
	if f != nil {
		return f
	}
	reset(b)
	f, err := buildReplayFleet(b)
	if err != nil {
		b.Fatalf("replay fleet: %v", err)
	}
	shared.mu.Lock()
	shared.fleet = f
	shared.mu.Unlock()
	return f
}

func buildReplayFleet(b *testing.B) (*replayFleet, error) {
	b.Helper()
	ctx := context.Background()
	n := envInt(b, envReplayClusters, defaultReplayClusters)
	// Everything the benchmark itself keeps per cluster exists before the
	// first heap reading.
	f := &replayFleet{n: n, names: fleetsim.Names("replay", n)}
	fleet := fleetsim.NewFleet(dynClient(b), map[string]string{labelKey: "replay"}, fleetsim.WithoutCache(), fleetsim.WithSize(fleetsim.Compact))
	if os.Getenv(envProfileDir) != "" {
		// Sample finely enough to see what each cluster costs.
		runtime.MemProfileRate = 4096
	}
	p, err := startProvider(limitTestenv)
	if err != nil {
		return nil, err
	}
	f.provider = p
	time.Sleep(time.Second)
	p.reqs.ForgetLatencies()
	f.heapIdle = LiveHeap()

	progress("creating %d ready clusters for the replay fleet (%s to change; setup is not measured)", n, envReplayClusters)
	start := time.Now()
	step := max(n/10, 1)
	if err := fleet.CreateReady(ctx, f.names, fleetWriters, time.Now().Add(-time.Hour).Truncate(time.Second), func(done int) {
		if done%step == 0 {
			progress("  %d/%d clusters written after %s", done, n, time.Since(start).Round(time.Second))
		}
	}); err != nil {
		_ = p.Stop()
		return nil, err
	}
	if err := waitRecorded(p, n, 2, 15*time.Minute, func(done int) {
		progress("  %d/%d ledgers recorded after %s", done, n, time.Since(start).Round(time.Second))
	}); err != nil {
		_ = p.Stop()
		return nil, err
	}
	f.setup = time.Since(start)
	progress("replay fleet ready: %d clusters recorded in %s", n, f.setup.Round(time.Second))
	if _, err := waitQuiet(p, 2*time.Second, time.Minute); err != nil {
		_ = p.Stop()
		return nil, err
	}
	p.reqs.ForgetLatencies()
	f.heapObserved = LiveHeap()
	writeProfile(b, "heap-observed.pprof", func(w io.Writer) error { return pprof.Lookup("heap").WriteTo(w, 0) })
	return f, nil
}

// replayResult is what one replay to a new sink measured.
type replayResult struct {
	events int
	// firstAfter is when the first event arrived, counted from the
	// config's creation; elapsed when the last one did.
	firstAfter, elapsed time.Duration
	// persisted is when the provider's last write of delivery progress
	// completed, counted from the config's creation.
	persisted time.Duration
	// cpu is this process's CPU time until the last event arrived;
	// cpuPersisted until delivery progress was persisted as well.
	cpu, cpuPersisted time.Duration
	// controlPlaneCPU is kube-apiserver's and etcd's over the same span
	// as cpuPersisted.
	controlPlaneCPU time.Duration
	// cursorWrites persisted delivery progress; ledgerWrites anything
	// else of a ledger; reads are every read the provider made.
	cursorWrites int64
	ledgerWrites int64
	reads        int64
	redelivered  int
	load         string
}

// replay adds a ClusterProviderConfig with replay Current, pointing at a
// new sink, and measures until every cluster's created and ready events
// arrived, checking that each arrived exactly once by id, in order, marked
// replayed.
func replay(b *testing.B, f *replayFleet, name string) replayResult {
	b.Helper()
	ctx := context.Background()
	sink := NewSink(WithValidator(validator(b), 100))
	sink.Start()
	defer sink.Close()
	p := f.provider
	want := 2 * f.n

	stopProfile := startCPUProfile(b, "cpu-replay-"+name+".pprof")
	u0 := p.usage()
	t0 := u0.at
	if err := createConfig(ctx, kubeClient(b), name, sink.URL(), "replay"); err != nil {
		b.Fatalf("create ClusterProviderConfig: %v", err)
	}
	if err := sink.WaitDistinct(want, stallLimit, 10*time.Minute); err != nil {
		reportWarnings(b, p.warns)
		dumpGoroutines(b)
		b.Fatalf("replay to %s: %v", name, err)
	}
	delivered := p.since(u0)
	last, err := waitQuiet(p, 3*time.Second, 5*time.Minute)
	if err != nil {
		b.Errorf("replay to %s: %v", name, err)
	}
	persisted := p.since(u0)
	stopProfile()
	t := sink.Tally()
	r := replayResult{
		events:          t.Distinct,
		firstAfter:      t.First.Sub(t0),
		elapsed:         t.Last.Sub(t0),
		persisted:       last.Sub(t0),
		cpu:             delivered.cpu,
		cpuPersisted:    persisted.cpu,
		controlPlaneCPU: persisted.controlPlane,
		cursorWrites:    persisted.cursor,
		ledgerWrites:    persisted.ledger,
		reads:           persisted.reads,
		redelivered:     t.Accepted - t.Distinct,
		load:            LoadAvg(),
	}
	checkSink(b, sink)
	if t.Distinct != want {
		b.Errorf("replay to %s: want exactly %d distinct events, got %d", name, want, t.Distinct)
	}
	checkReplayed(b, f.names, ByCluster(sink.Events()))
	reportWarnings(b, p.warns)
	return r
}

// checkReplayed checks that every cluster got created then ready, both
// marked replayed.
func checkReplayed(b *testing.B, names []string, got map[string][]Event) {
	b.Helper()
	bad := 0
	for _, n := range names {
		es := got[n]
		ok := len(es) == 2 && es[0].Lifecycle == v1alpha1.LifecycleCreated && es[1].Lifecycle == v1alpha1.LifecycleReady &&
			es[0].Replayed && es[1].Replayed
		if ok {
			continue
		}
		if bad < 5 {
			var ls []string
			for _, e := range es {
				ls = append(ls, fmt.Sprintf("%s(replayed=%t)", e.Lifecycle, e.Replayed))
			}
			b.Errorf("cluster %s: want created, ready, both replayed; got %v", n, ls)
		}
		bad++
	}
	if bad > 5 {
		b.Errorf("... and %d more clusters without exactly created and ready", bad-5)
	}
}

// waitConfigured waits until a ClusterProviderConfig's sink is configured
// and has settled: its first status write makes the config controller
// apply it once more.
func waitConfigured(ctx context.Context, kube client.Client, name string) error {
	err := testkit.Eventually(time.Minute, func() error {
		pc := &v1alpha1.ClusterProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Name: name}, pc); err != nil {
			return err
		}
		if c := pc.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue || pc.Status.SinkSince == nil {
			return errors.Errorf("not configured yet: Ready %s %q", c.Status, c.Message)
		}
		return nil
	})
	time.Sleep(time.Second)
	return err
}

// dumpGoroutines writes every goroutine's stack to a file outside the
// repository when delivery got stuck, so the cause can be found.
func dumpGoroutines(b *testing.B) {
	b.Helper()
	f, err := os.CreateTemp("", "bench-goroutines-*.txt")
	if err != nil {
		b.Logf("cannot dump goroutines: %v", err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("goroutine").WriteTo(f, 2); err != nil {
		b.Logf("cannot dump goroutines: %v", err)
		return
	}
	b.Logf("delivery made no progress; goroutines of the provider and the benchmark written to %s", f.Name())
}

// writeProfile writes one profile into the directory BENCH_PROFILE_DIR
// names, if any.
func writeProfile(b *testing.B, name string, write func(io.Writer) error) {
	b.Helper()
	dir := os.Getenv(envProfileDir)
	if dir == "" {
		return
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		b.Logf("cannot write profile: %v", err)
		return
	}
	defer f.Close()
	if err := write(f); err != nil {
		b.Logf("cannot write profile %s: %v", path, err)
		return
	}
	b.Logf("profile written to %s", path)
}

// startCPUProfile profiles this process's CPU into the directory
// BENCH_PROFILE_DIR names, if any, until the returned function is called.
func startCPUProfile(b *testing.B, name string) func() {
	b.Helper()
	dir := os.Getenv(envProfileDir)
	if dir == "" {
		return func() {}
	}
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		b.Logf("cannot write profile: %v", err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		// go test -cpuprofile may already be profiling.
		b.Logf("cannot profile CPU: %v", err)
		_ = f.Close()
		return func() {}
	}
	// What the process allocated is cumulative: a snapshot at each end
	// lets pprof -diff_base tell the phase's allocations from the rest.
	allocs := func(suffix string) {
		p := strings.TrimSuffix(path, ".pprof") + "-allocs-" + suffix + ".pprof"
		a, err := os.Create(p)
		if err != nil {
			b.Logf("cannot write profile: %v", err)
			return
		}
		defer func() { _ = a.Close() }()
		if err := pprof.Lookup("allocs").WriteTo(a, 0); err != nil {
			b.Logf("cannot write profile: %v", err)
		}
	}
	allocs("start")
	return func() {
		pprof.StopCPUProfile()
		_ = f.Close()
		allocs("end")
		b.Logf("profiles written to %s and its -allocs-start/-allocs-end (go tool pprof -diff_base)", path)
	}
}

// startAPIServerProfile profiles kube-apiserver's CPU for the next secs
// seconds into the directory BENCH_PROFILE_DIR names, if any, through its
// /debug/pprof endpoint; the returned function waits for the profile.
func startAPIServerProfile(b *testing.B, name string, secs int) func() {
	b.Helper()
	if os.Getenv(envProfileDir) == "" {
		return func() {}
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		b.Logf("cannot profile kube-apiserver: %v", err)
		return func() {}
	}
	url := fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", strings.TrimSuffix(cfg.Host, "/"), secs)
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(secs+60)*time.Second)
		defer cancel()
		writeProfile(b, name, func(w io.Writer) error {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			resp, err := hc.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return errors.Errorf("kube-apiserver answered %s", resp.Status)
			}
			_, err = io.Copy(w, resp.Body)
			return err
		})
	}()
	return func() { <-done }
}
