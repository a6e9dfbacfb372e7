//go:build fault

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

package fault

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// Environment variables that size and select the scenarios.
const (
	// envScenarios lists the scenarios to run, comma separated; all by
	// default.
	envScenarios = "FAULT_SCENARIOS"
	// envKnownFailing lists scenarios whose exactness failures are
	// reported but do not fail the run. CI never sets it.
	envKnownFailing = "FAULT_KNOWN_FAILING"
	// envScale multiplies every scenario's number of clusters.
	envScale = "FAULT_SCALE"
	// envKills is the number of SIGKILLs of the kill scenario.
	envKills = "FAULT_KILLS"
	// envLeaderKills is the number of leader kills.
	envLeaderKills = "FAULT_LEADER_KILLS"
	// envCRDCycles is the number of CRD add/remove cycles.
	envCRDCycles = "FAULT_CRD_CYCLES"
	// envLogDir keeps the providers' logs; a temporary directory by
	// default, kept when a scenario fails.
	envLogDir = "FAULT_LOG_DIR"
	// envReport names a file the table is also written to.
	envReport = "FAULT_REPORT"
)

const (
	controlPlaneName = "fault"
	tenantNamespace  = "fault-team"
	leaseNamespace   = "fault-le"
	// stepTimeout is longer than the provider's Lease (60s), so that a
	// leader handover never counts as a stall.
	stepTimeout  = 90 * time.Second
	drainTimeout = 120 * time.Second
	// quiet is how long the sinks are watched after every transition
	// arrived, for late duplicates and inventions.
	quiet = 4 * time.Second
)

// suite is what every scenario shares: one control plane, the provider
// binary, clients straight to the API server.
type suite struct {
	cp      *ControlPlane
	dyn     dynamic.Interface
	bin     string
	logDir  string
	ledgers *LedgerWatch
	// kinds are the cluster kinds the load is made of.
	kinds []Kind

	mu   sync.Mutex
	rows []Row
	// current are the provider processes of the running scenario.
	current []*Provider
}

func TestFault(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	begin := time.Now()

	ctrllog.SetLogger(logr.Discard())
	s := &suite{}
	work := t.TempDir()
	s.logDir = os.Getenv(envLogDir)
	if s.logDir == "" {
		s.logDir = filepath.Join(work, "logs")
	}
	if err := os.MkdirAll(s.logDir, 0o750); err != nil {
		t.Fatal(err)
	}
	var err error
	if s.bin, err = BuildProvider(ctx, work); err != nil {
		t.Fatal(err)
	}
	all, err := fixtures.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	// The kinds of the CRD churn scenario come and go; every other one
	// stays installed.
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, c := range all {
		if !churnGroup(c.Spec.Group) {
			crds = append(crds, c)
		}
	}
	certs := filepath.Join(work, "apiserver")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		t.Fatal(err)
	}
	s.cp, err = StartControlPlane(certs, []string{filepath.Join(RepoRoot(), "package", "crds")}, crds)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		// Stop watching first; kube-apiserver then gets a short grace.
		cancel()
		if err := s.cp.StopAPIServer(10 * time.Second); err != nil {
			t.Errorf("stopping kube-apiserver: %v", err)
		}
		if err := s.cp.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	}()
	// The driver's finalizer is the managed reconciler's, which the API
	// server warns about on every write.
	cfg := rest.CopyConfig(s.cp.Cfg)
	cfg.WarningHandler = rest.NoWarnings{}
	cfg.QPS, cfg.Burst = 200, 400
	if s.dyn, err = dynamic.NewForConfig(cfg); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{tenantNamespace, leaseNamespace} {
		if err := CreateNamespace(ctx, s.dyn, ns); err != nil {
			t.Fatal(err)
		}
	}
	if s.ledgers, err = WatchLedgers(ctx, s.dyn); err != nil {
		t.Fatal(err)
	}
	s.kinds = []Kind{UpjetEKS(""), UpjetGKE(), UpjetEKS(tenantNamespace)}

	scenarios := []struct {
		name string
		run  func(t *testing.T, ctx context.Context)
	}{
		{"api-faults", s.apiFaults},
		{"kill", s.kill},
		{"leader", s.leader},
		{"apiserver-restart", s.apiserverRestart},
		{"crd-churn", s.crdChurn},
		{"sink", s.sinkFaults},
		{"flapping", s.flapping},
		{"cascade", s.cascade},
		{"history", s.history},
		{"watermark", s.watermark},
	}
	want := selected()
	for _, sc := range scenarios {
		if want != nil && !want[sc.name] {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			began := time.Now()
			s.current = nil
			sc.run(t, ctx)
			for _, p := range s.current {
				if n, last := p.Crashes(); n > 0 {
					report := t.Errorf
					if knownFailing(sc.name) {
						report = t.Logf
					}
					report("%s: the provider exited on its own %d times and was restarted; last error: %s (log: %s)", sc.name, n, last, p.LogPath())
				}
			}
			t.Logf("%s took %s", sc.name, time.Since(began).Round(time.Second))
		})
	}

	table := Table(s.rows)
	fmt.Printf("\nFault-injection suite (%s, load average %s):\n\n%s\n", time.Since(begin).Round(time.Second), loadAvg(), table)
	if p := os.Getenv(envReport); p != "" {
		if err := os.WriteFile(p, []byte(table), 0o600); err != nil {
			t.Errorf("writing the report: %v", err)
		}
	}
	if t.Failed() {
		t.Logf("provider logs are in %s", s.logDir)
		if os.Getenv(envLogDir) == "" {
			// Keep them: t.TempDir is removed at the end.
			keep, err := os.MkdirTemp("", "fault-logs-")
			if err == nil {
				_ = os.CopyFS(keep, os.DirFS(s.logDir))
				t.Logf("copied to %s", keep)
			}
		}
	}
}

func churnGroup(g string) bool {
	return g == "containerservice.azure.upbound.io" || g == "kubernetes.digitalocean.crossplane.io"
}

func selected() map[string]bool {
	v := os.Getenv(envScenarios)
	if v == "" {
		return nil
	}
	out := map[string]bool{}
	for _, s := range strings.Split(v, ",") {
		out[strings.TrimSpace(s)] = true
	}
	return out
}

func knownFailing(scenario string) bool {
	for _, s := range strings.Split(os.Getenv(envKnownFailing), ",") {
		if s = strings.TrimSpace(s); s != "" && (s == scenario || strings.HasPrefix(scenario, s+"/")) {
			return true
		}
	}
	return false
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// clusters scales a scenario's number of clusters by FAULT_SCALE (a
// float, 1 by default).
func clusters(n int) int {
	if f, err := strconv.ParseFloat(os.Getenv(envScale), 64); err == nil && f > 0 {
		n = int(float64(n) * f)
	}
	return max(n, 1)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(b))[0]
}

func (s *suite) driver(scenario string, opts ...func(*DriverConfig)) *Driver {
	c := DriverConfig{
		ControlPlane: controlPlaneName,
		Scenario:     scenario,
		StepTimeout:  stepTimeout,
		MinStep:      1100 * time.Millisecond,
		MaxPause:     700 * time.Millisecond,
		OpTimeout:    2 * time.Minute,
	}
	for _, o := range opts {
		o(&c)
	}
	return NewDriver(s.dyn, s.ledgers, c)
}

// withoutPauses drives each cluster as fast as the rules allow.
func withoutPauses(c *DriverConfig) { c.MaxPause = 0 }

// provider prepares one provider process behind proxy.
func (s *suite) provider(t *testing.T, proxy *APIProxy, name string, extra ...string) *Provider {
	t.Helper()
	dir := t.TempDir()
	kc, err := proxy.WriteKubeconfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewProvider(ProviderOptions{
		Bin:        s.bin,
		Kubeconfig: kc,
		Name:       name,
		LogDir:     s.logDir,
		Args:       providerArgs(extra...),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Stop(10 * time.Second) })
	s.current = append(s.current, p)
	return p
}

// providerArgs are the flags of a scenario's provider: progress flushed
// every second, unless extra names its own flush interval.
func providerArgs(extra ...string) []string {
	args := []string{"--control-plane-name=" + controlPlaneName}
	if !slices.ContainsFunc(extra, func(a string) bool { return strings.HasPrefix(a, "--cursor-flush-interval=") }) {
		args = append(args, "--cursor-flush-interval=1s")
	}
	return append(args, extra...)
}

// begin sets a scenario up: its sink, a ClusterProviderConfig that points
// the provider at it (deleted once the scenario's providers stopped), and
// an API proxy for the providers to go through.
func (s *suite) begin(t *testing.T, ctx context.Context, scenario string) (*Sink, *APIProxy) {
	t.Helper()
	sink := s.sink(t)
	if err := ApplyConfig(ctx, s.dyn, scenario, SinkSpec{URL: sink.URL()}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = DeleteConfig(context.WithoutCancel(ctx), s.dyn, scenario) })
	return sink, s.proxy(t)
}

func (s *suite) proxy(t *testing.T) *APIProxy {
	t.Helper()
	p, err := NewAPIProxy(s.cp.Cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func (s *suite) sink(t *testing.T) *Sink {
	t.Helper()
	k, err := NewSink()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	return k
}

// check waits until every transition the driver caused arrived at the
// sinks (or drainTimeout passed), watches them a little longer, and
// records the scenario's row. It fails the test on any loss, invention or
// bad duplicate, unless the scenario is listed in FAULT_KNOWN_FAILING.
func (s *suite) check(t *testing.T, scenario string, faults func() string, d *Driver, sinks ...*Sink) Result {
	t.Helper()
	return s.checkFor(t, scenario, DefaultSignals(), faults, d, sinks...)
}

// checkFor is check for sinks with the signals sig: what they must receive
// is the driver's history as ForSink turns it.
func (s *suite) checkFor(t *testing.T, scenario string, sig Signals, faults func() string, d *Driver, sinks ...*Sink) Result {
	t.Helper()
	expected := func() []Expected { return ForSink(d.History(), sig) }
	got := func() []Got {
		var out []Got
		for _, k := range sinks {
			out = append(out, k.Received()...)
		}
		return out
	}
	deadline := time.Now().Add(drainTimeout)
	for time.Now().Before(deadline) && Check(expected(), got()).Lost > 0 {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(quiet)
	r := Check(expected(), got())
	f := faults()
	exits := 0
	for _, p := range s.current {
		n, _ := p.Crashes()
		exits += n
	}
	if exits > 0 {
		f += fmt.Sprintf("; the provider exited on its own ×%d", exits)
	}
	s.mu.Lock()
	s.rows = append(s.rows, Row{Scenario: scenario, Faults: f, Result: r})
	s.mu.Unlock()
	t.Logf("%s: %d transitions, %d events received, %d lost, %d invented, %d duplicates (same id+ts), %d bad duplicates",
		scenario, r.Transitions, r.Received, r.Lost, r.Invented, r.Duplicates, r.BadDuplicates)
	med, longest := d.Recorded()
	t.Logf("%s: the provider recorded each step in a median %s, at most %s", scenario, med.Round(time.Millisecond), longest.Round(time.Millisecond))
	for _, st := range d.Stalls() {
		t.Logf("%s: stall: %s", scenario, st)
	}
	for _, k := range sinks {
		for _, e := range k.Errors() {
			t.Errorf("%s: the sink received an invalid event: %s", scenario, e)
		}
		if n := k.EarlyRetries(); n > 0 {
			t.Errorf("%s: %d retries came sooner than the Retry-After the sink asked for", scenario, n)
		}
	}
	for _, err := range d.Errors() {
		t.Errorf("%s: driver: %v", scenario, err)
	}
	if r.Transitions == 0 {
		t.Errorf("%s: the driver caused no transition", scenario)
	}
	if r.Failed() {
		report := t.Errorf
		if knownFailing(scenario) {
			report = t.Logf
			t.Logf("%s is listed in %s: its exactness failures are reported, not failed", scenario, envKnownFailing)
		}
		const maxShown = 40
		for i, p := range r.Problems {
			if i == maxShown {
				t.Logf("%s: ... and %d more", scenario, len(r.Problems)-maxShown)
				break
			}
			t.Logf("%s: %s", scenario, p)
		}
		report("%s: not exact: %d lost, %d invented, %d bad duplicates (reproduce: FAULT_SCENARIOS=%s make test.fault)",
			scenario, r.Lost, r.Invented, r.BadDuplicates, strings.SplitN(scenario, "/", 2)[0])
	}
	return r
}

// killUntil SIGKILLs the provider and starts it again at random intervals
// between least and most until done is closed, and returns how many times
// it did.
func killUntil(t *testing.T, p *Provider, done <-chan struct{}, least, most time.Duration) int {
	t.Helper()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(least)))
	kills := 0
	for {
		select {
		case <-done:
			return kills
		case <-time.After(least + time.Duration(rnd.Int64N(int64(most-least)))):
			p.Kill()
			kills++
			startOrFail(t, p)
		}
	}
}

func describe(counts map[string]int) string {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%s×%d", k, counts[k]))
		}
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, " ")
}

func startOrFail(t *testing.T, p *Provider) {
	t.Helper()
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
}

// (a) API faults under load: 500 and 429 with Retry-After on reads,
// reads held then dropped, watches cut every few seconds, 410 Gone on
// watches, and the API fully unreachable for a while.
func (s *suite) apiFaults(t *testing.T, ctx context.Context) {
	const scenario = "api-faults"
	sink, proxy := s.begin(t, ctx, scenario)
	proxy.SetFaults(APIFaults{ReadErrorRate: 0.2, ReadTimeoutRate: 0.05, TimeoutHold: 3 * time.Second, WatchCutAfter: 8 * time.Second, WatchGoneRate: 0.15})
	p := s.provider(t, proxy, scenario)
	startOrFail(t, p)

	d := s.driver(scenario)
	plans := Plans("a", s.kinds, clusters(36), MixedPrograms)
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, 30*time.Second); close(done) }()
	// The API goes fully down twice while transitions flow.
	for _, at := range []time.Duration{12 * time.Second, 15 * time.Second} {
		select {
		case <-time.After(at):
		case <-done:
		}
		proxy.Down()
		time.Sleep(8 * time.Second)
		if err := proxy.Up(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
	counts := proxy.Counts()
	proxy.SetFaults(APIFaults{})
	s.check(t, scenario, func() string { return describe(counts) }, d, sink)
}

// (b) SIGKILL of the provider at random points under load, restarted at
// once each time.
func (s *suite) kill(t *testing.T, ctx context.Context) {
	const scenario = "kill"
	sink, proxy := s.begin(t, ctx, scenario)
	p := s.provider(t, proxy, scenario)
	startOrFail(t, p)

	kills := envInt(envKills, 20)
	d := s.driver(scenario)
	plans := Plans("b", s.kinds, clusters(36), MixedPrograms)
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, time.Duration(kills)*3*time.Second); close(done) }()
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	for range kills {
		// Random points: during start-up, the restart diff, ledger
		// writes, deliveries and cursor flushes.
		time.Sleep(1500*time.Millisecond + time.Duration(rnd.Int64N(int64(5*time.Second))))
		p.Kill()
		startOrFail(t, p)
	}
	<-done
	s.check(t, scenario, func() string { return fmt.Sprintf("SIGKILL×%d", kills) }, d, sink)
}

// (c) Two replicas with leader election; the leader is killed while
// transitions flow, and comes back as a standby.
func (s *suite) leader(t *testing.T, ctx context.Context) {
	const scenario = "leader"
	sink, proxy := s.begin(t, ctx, scenario)
	le := []string{"--leader-election", "--leader-election-namespace=" + leaseNamespace}
	replicas := []*Provider{s.provider(t, proxy, scenario+"-0", le...), s.provider(t, proxy, scenario+"-1", le...)}
	for _, p := range replicas {
		startOrFail(t, p)
	}
	kills := envInt(envLeaderKills, 1)
	d := s.driver(scenario)
	plans := Plans("c", s.kinds, clusters(30), MixedPrograms)
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, time.Duration(kills)*45*time.Second); close(done) }()
	killed := 0
	for killed < kills {
		leader := s.waitLeader(ctx, replicas, 3*time.Minute)
		if leader == nil {
			t.Errorf("%s: no replica became leader within 3 minutes", scenario)
			break
		}
		time.Sleep(8 * time.Second)
		leader.Kill()
		killed++
		startOrFail(t, leader)
	}
	<-done
	s.check(t, scenario, func() string { return fmt.Sprintf("leader SIGKILL×%d (2 replicas)", killed) }, d, sink)
}

func (s *suite) waitLeader(ctx context.Context, ps []*Provider, timeout time.Duration) *Provider {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for _, p := range ps {
			if p.Running() && p.IsLeader(ctx) {
				return p
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	return nil
}

// (d) kube-apiserver restarted on the same etcd while transitions flow.
func (s *suite) apiserverRestart(t *testing.T, ctx context.Context) {
	const scenario = "apiserver-restart"
	sink, proxy := s.begin(t, ctx, scenario)
	p := s.provider(t, proxy, scenario)
	startOrFail(t, p)

	d := s.driver(scenario)
	plans := Plans("d", s.kinds, clusters(30), MixedPrograms)
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, 30*time.Second); close(done) }()
	restarts := 0
	for _, at := range []time.Duration{8 * time.Second, 12 * time.Second} {
		time.Sleep(at)
		if err := s.cp.StopAPIServer(10 * time.Second); err != nil {
			t.Error(err)
		}
		time.Sleep(3 * time.Second)
		if err := s.cp.StartAPIServer(); err != nil {
			t.Fatal(err)
		}
		restarts++
	}
	<-done
	s.check(t, scenario, func() string { return fmt.Sprintf("kube-apiserver restart×%d", restarts) }, d, sink)
}

// (e) CRDs of cluster kinds added and removed, with clusters of them going
// through their lifecycle each time; the provider's goroutines and heap
// stay flat.
func (s *suite) crdChurn(t *testing.T, ctx context.Context) {
	const scenario = "crd-churn"
	sink, proxy := s.begin(t, ctx, scenario)
	p := s.provider(t, proxy, scenario)
	startOrFail(t, p)

	var churn []*apiextensionsv1.CustomResourceDefinition
	all, err := fixtures.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range all {
		if churnGroup(c.Spec.Group) {
			churn = append(churn, c)
		}
	}
	kinds := []Kind{UpjetAKS(), DigitalOcean()}
	cycles := envInt(envCRDCycles, 20)
	d := s.driver(scenario, withoutPauses)
	var warm, end sample
	for i := range cycles {
		for _, c := range churn {
			if err := InstallCRD(ctx, s.dyn, c); err != nil {
				t.Fatal(err)
			}
		}
		// The full short life on the first and every fifth cycle; created,
		// deleting and deleted otherwise, which proves the kind is watched
		// again, in less time.
		prog := Program{"created", "deleting", "deleted"}
		if i%5 == 0 {
			prog = Short
		}
		d.Run(ctx, Plans(fmt.Sprintf("e%02d", i), kinds, 2, func(int) []Program { return []Program{prog} }), 0)
		for _, c := range churn {
			if err := RemoveCRD(ctx, s.dyn, c.Name); err != nil {
				t.Fatal(err)
			}
		}
		if i == 1 {
			warm = s.settle(ctx, t, p)
		}
	}
	end = s.settle(ctx, t, p)
	t.Logf("%s: after cycle 2: %d goroutines, %.1f MiB heap in use; after cycle %d: %d goroutines, %.1f MiB heap in use",
		scenario, warm.goroutines, warm.heapMiB(), cycles, end.goroutines, end.heapMiB())
	// A watch left behind per cycle costs several goroutines; allow the
	// noise of idle connections and workers.
	if end.goroutines > warm.goroutines+15 {
		t.Errorf("%s: goroutines grew from %d to %d over %d CRD cycles", scenario, warm.goroutines, end.goroutines, cycles-2)
	}
	if end.heap > warm.heap*3/2+8<<20 {
		t.Errorf("%s: heap in use grew from %.1f to %.1f MiB over %d CRD cycles", scenario, warm.heapMiB(), end.heapMiB(), cycles-2)
	}
	s.check(t, scenario, func() string {
		return fmt.Sprintf("CRD add/remove×%d (goroutines %d→%d, heap in use %.0f→%.0f MiB)", cycles, warm.goroutines, end.goroutines, warm.heapMiB(), end.heapMiB())
	}, d, sink)
}

type sample struct {
	goroutines int
	heap       uint64
}

func (s sample) heapMiB() float64 { return float64(s.heap) / (1 << 20) }

// settle reads the provider's goroutines and heap in use a few times over
// a few seconds and keeps the lowest of each: what the provider holds, not
// what it has yet to collect.
func (s *suite) settle(ctx context.Context, t *testing.T, p *Provider) sample {
	t.Helper()
	out := sample{goroutines: 1 << 30, heap: 1 << 62}
	for range 6 {
		time.Sleep(time.Second)
		m, err := p.Metrics(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g, ok1 := m["go_goroutines"]
		h, ok2 := m["go_memstats_heap_inuse_bytes"]
		if !ok1 || !ok2 {
			t.Fatalf("the provider's metrics lack go_goroutines or go_memstats_heap_inuse_bytes")
		}
		out.goroutines = min(out.goroutines, int(g))
		out.heap = min(out.heap, uint64(h))
	}
	return out
}

// idHash spreads CloudEvent ids over fault patterns.
func idHash(id string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return h.Sum32()
}

// sinkCase is one sink fault of reliability-perf.md R1-R5 and R17, run
// against its own sink and ClusterProviderConfig, concurrently with the
// others on one provider.
type sinkCase struct {
	name string
	// setup returns the config to start with, and the sinks whose
	// receipts count.
	setup func(t *testing.T) (SinkSpec, []*Sink)
	// script injects faults over time, then lets the sink recover.
	// It returns what to say about the faults once all were injected.
	script func(ctx context.Context, t *testing.T, apply func(SinkSpec)) func() string
}

// (f) Sink faults: down then back, Retry-After, 5xx and 4xx patterns,
// non-retriable answers with and without a dead-letter sink, a slow sink,
// and misconfiguration fixed mid-flight.
func (s *suite) sinkFaults(t *testing.T, ctx context.Context) {
	proxy := s.proxy(t)
	p := s.provider(t, proxy, "sink")
	startOrFail(t, p)
	n := clusters(8)
	phase := 15 * time.Second

	var down, retryAfter, patterns, reject, rejectDLQ, dlq, slow, dnsOK, tlsBad, tlsOK, changedA, changedB *Sink
	cases := []sinkCase{
		{name: "sink/down-then-back", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			down = s.sink(t)
			down.Down()
			return SinkSpec{URL: down.URL()}, []*Sink{down}
		}, script: func(ctx context.Context, t *testing.T, _ func(SinkSpec)) func() string {
			time.Sleep(phase)
			down.Respond(func(string, int) Answer { return Answer{Status: 503} })
			if err := down.Up(); err != nil {
				t.Error(err)
			}
			time.Sleep(phase)
			down.Respond(nil)
			return func() string { return "connection refused " + phase.String() + ", then " + down.FaultsString() }
		}},
		{name: "sink/retry-after", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			retryAfter = s.sink(t)
			retryAfter.Respond(func(id string, n int) Answer {
				if n > 3 {
					return Answer{}
				}
				if idHash(id)%2 == 0 {
					return Answer{Status: 429, RetryAfter: "1"}
				}
				return Answer{Status: 503, RetryAfter: "1"}
			})
			return SinkSpec{URL: retryAfter.URL()}, []*Sink{retryAfter}
		}, script: func(context.Context, *testing.T, func(SinkSpec)) func() string {
			return func() string {
				return "first 3 attempts of every event: " + retryAfter.FaultsString() + " (Retry-After: 1)"
			}
		}},
		{name: "sink/5xx-4xx-patterns", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			patterns = s.sink(t)
			fib := map[int]bool{1: true, 2: true, 3: true, 5: true, 8: true}
			patterns.Respond(func(id string, n int) Answer {
				switch idHash(id) % 4 {
				case 0:
					if n <= 2 {
						return Answer{Status: []int{500, 502}[n-1]}
					}
				case 1:
					if n == 1 {
						return Answer{Status: 404}
					}
				case 2:
					if n <= 3 {
						return Answer{Status: []int{408, 409, 504}[n-1]}
					}
				default:
					if fib[n] {
						return Answer{Status: 503}
					}
				}
				return Answer{}
			})
			return SinkSpec{URL: patterns.URL()}, []*Sink{patterns}
		}, script: func(context.Context, *testing.T, func(SinkSpec)) func() string {
			return func() string { return "sequences and Fibonacci drops: " + patterns.FaultsString() }
		}},
		{name: "sink/400-413-no-dead-letter", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			reject = s.sink(t)
			reject.Respond(refuseSome)
			return SinkSpec{URL: reject.URL()}, []*Sink{reject}
		}, script: func(ctx context.Context, t *testing.T, _ func(SinkSpec)) func() string {
			time.Sleep(2 * phase)
			reject.Respond(nil)
			return func() string {
				return "400/413 to a third each for " + (2 * phase).String() + ": " + reject.FaultsString()
			}
		}},
		{name: "sink/400-413-dead-letter", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			rejectDLQ, dlq = s.sink(t), s.sink(t)
			rejectDLQ.Respond(refuseSome)
			// A refused event is retried delivery.retry times before it
			// goes to the dead-letter sink: a few, so it gets there within
			// the scenario.
			return SinkSpec{URL: rejectDLQ.URL(), DeadLetterURL: dlq.URL(), Retry: 3}, []*Sink{rejectDLQ, dlq}
		}, script: func(context.Context, *testing.T, func(SinkSpec)) func() string {
			return func() string {
				return "400/413 to a third each, for good: " + rejectDLQ.FaultsString() + fmt.Sprintf("; %d events dead-lettered", len(dlq.Received()))
			}
		}},
		{name: "sink/slow", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			slow = s.sink(t)
			slow.Respond(func(_ string, n int) Answer {
				if n <= 2 {
					return Answer{Delay: 2500 * time.Millisecond}
				}
				return Answer{}
			})
			return SinkSpec{URL: slow.URL(), Timeout: time.Second}, []*Sink{slow}
		}, script: func(context.Context, *testing.T, func(SinkSpec)) func() string {
			return func() string { return "first 2 attempts of every event answered after 2.5s, timeout 1s" }
		}},
		{name: "sink/dns-failure", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			dnsOK = s.sink(t)
			return SinkSpec{URL: "http://sink.fault.invalid:8080/"}, []*Sink{dnsOK}
		}, script: func(ctx context.Context, t *testing.T, apply func(SinkSpec)) func() string {
			time.Sleep(phase)
			apply(SinkSpec{URL: dnsOK.URL()})
			return func() string { return "unresolvable host for " + phase.String() + ", then fixed" }
		}},
		{name: "sink/bad-tls", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			var err error
			if tlsBad, err = NewTLSSink(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(tlsBad.Close)
			tlsOK = s.sink(t)
			return SinkSpec{URL: tlsBad.URL()}, []*Sink{tlsBad, tlsOK}
		}, script: func(ctx context.Context, t *testing.T, apply func(SinkSpec)) func() string {
			time.Sleep(phase)
			apply(SinkSpec{URL: tlsOK.URL()})
			return func() string { return "untrusted certificate for " + phase.String() + ", then fixed" }
		}},
		{name: "sink/changed-mid-flight", setup: func(t *testing.T) (SinkSpec, []*Sink) {
			changedA, changedB = s.sink(t), s.sink(t)
			changedA.Respond(func(string, int) Answer { return Answer{Delay: 300 * time.Millisecond} })
			return SinkSpec{URL: changedA.URL()}, []*Sink{changedA, changedB}
		}, script: func(ctx context.Context, t *testing.T, apply func(SinkSpec)) func() string {
			time.Sleep(phase)
			apply(SinkSpec{URL: changedB.URL()})
			return func() string { return "URL changed to another sink after " + phase.String() }
		}},
	}

	s.mu.Lock()
	first := len(s.rows)
	s.mu.Unlock()
	var wg sync.WaitGroup
	for i, c := range cases {
		scenario := c.name
		label := strings.ReplaceAll(strings.TrimPrefix(scenario, "sink/"), "/", "-")
		spec, sinks := c.setup(t)
		if err := ApplyConfig(ctx, s.dyn, label, spec); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = DeleteConfig(ctx, s.dyn, label) }()
		apply := func(sp SinkSpec) {
			if err := ApplyConfig(ctx, s.dyn, label, sp); err != nil {
				t.Errorf("%s: %v", scenario, err)
			}
		}
		wg.Go(func() {
			d := s.driver(label)
			done := make(chan struct{})
			go func() {
				d.Run(ctx, Plans(fmt.Sprintf("f%d", i), s.kinds, n, MixedPrograms), 2*phase)
				close(done)
			}()
			faults := c.script(ctx, t, apply)
			<-done
			s.check(t, scenario, faults, d, sinks...)
		})
	}
	wg.Wait()
	// The cases end in any order; the table lists them as declared.
	order := map[string]int{}
	for i, c := range cases {
		order[c.name] = i
	}
	s.mu.Lock()
	mine := s.rows[first:]
	sort.SliceStable(mine, func(i, j int) bool { return order[mine[i].Scenario] < order[mine[j].Scenario] })
	s.mu.Unlock()
}

// refuseSome refuses a third of the events with 400 and a third with 413.
func refuseSome(id string, _ int) Answer {
	switch idHash(id) % 3 {
	case 0:
		return Answer{Status: 400}
	case 1:
		return Answer{Status: 413}
	}
	return Answer{}
}

// (g) Flap damping and outOfSync across SIGKILLs. One sink damps flaps
// (more than 3 degraded and recovered within 1m is flapping) and gets
// outOfSync after 1m; another, on the same clusters, sets no signals.
// Clusters flap six times and settle, flap five times and settle degraded,
// flap and are deleted mid-episode, flap in two episodes, or lose Synced
// for longer than the threshold; the provider is killed every few seconds
// throughout, so restarts fall within episodes, between flapping and
// stable, and while outOfSync is due. The damped sink must receive the
// first three flaps, one flapping, none of the flaps held back and one
// stable per episode, each exactly once; the plain sink every flap.
func (s *suite) flapping(t *testing.T, ctx context.Context) {
	const scenario = "flapping"
	damped := Signals{Flapping: &Damping{Transitions: 3, Window: time.Minute}, OutOfSyncAfter: time.Minute}
	dampedSink, plainSink := s.sink(t), s.sink(t)
	configs := map[string]SinkSpec{
		scenario + "-damped": {URL: dampedSink.URL(), Selects: scenario, Signals: &damped},
		scenario + "-plain":  {URL: plainSink.URL(), Selects: scenario},
	}
	for name, spec := range configs {
		if err := ApplyConfig(ctx, s.dyn, name, spec); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = DeleteConfig(ctx, s.dyn, name) }()
	}
	proxy := s.proxy(t)
	p := s.provider(t, proxy, scenario)
	startOrFail(t, p)

	// Settle is well past the window and the threshold: the episode's
	// stable, or the outOfSync, is due long before the next step.
	d := s.driver(scenario, func(c *DriverConfig) { c.Settle = time.Minute + 15*time.Second })
	programs := []Program{FlapSettle, FlapSettleDegraded, FlapDeleted, FlapTwice, OutOfSync, Flapping}
	plans := Plans("g", s.kinds, clusters(18), func(i int) []Program {
		// Every program on every kind.
		return []Program{programs[(i/len(s.kinds))%len(programs)]}
	})
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, 20*time.Second); close(done) }()
	kills := killUntil(t, p, done, 4*time.Second, 10*time.Second)
	expected := map[string]int{}
	for _, e := range ForSink(d.History(), damped) {
		if e.Held {
			expected["held back"]++
		}
		switch l := v1alpha1.Lifecycle(e.Lifecycle); l { //nolint:exhaustive // Only the signals.
		case v1alpha1.LifecycleFlapping, v1alpha1.LifecycleStable, v1alpha1.LifecycleOutOfSync, v1alpha1.LifecycleInSync:
			expected[e.Lifecycle]++
		}
	}
	t.Logf("%s: the damped sink expects %s", scenario, describe(expected))
	s.checkFor(t, scenario+"/damped", damped, func() string {
		return fmt.Sprintf("SIGKILL×%d within episodes; flapping 3 in 1m, outOfSyncAfter 1m", kills)
	}, d, dampedSink)
	s.checkFor(t, scenario+"/plain", DefaultSignals(), func() string {
		return fmt.Sprintf("SIGKILL×%d within episodes; no signals set", kills)
	}, d, plainSink)
}

// (h) A cascade across SIGKILLs. Six clusters of one region degrade within
// seconds of each other, stay degraded for a minute and recover; a sink
// asks for cascades of at least three clusters within five minutes. The provider is
// killed every few seconds throughout, so restarts fall before the cascade
// is detected, while it is open, and around its resolution. The sink must
// receive one detected and one resolved incident, each always with the
// same id and timestamp, besides every cluster's own transitions.
func (s *suite) cascade(t *testing.T, ctx context.Context) {
	const scenario = "cascade"
	sig := DefaultSignals()
	sig.Cascade = &Cascade{MinClusters: 3, Window: 5 * time.Minute}
	sink := s.sink(t)
	sink.CascadesApart()
	if err := ApplyConfig(ctx, s.dyn, scenario, SinkSpec{URL: sink.URL(), Signals: &sig}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = DeleteConfig(ctx, s.dyn, scenario) }()
	proxy := s.proxy(t)
	p := s.provider(t, proxy, scenario)
	startOrFail(t, p)

	// Every cluster stays degraded long enough for the last to degrade
	// before the first recovers, however the kills delay them: one
	// cascade.
	d := s.driver(scenario, func(c *DriverConfig) { c.Settle = time.Minute })
	plans := Plans("h", []Kind{UpjetEKS("")}, 6, func(int) []Program { return []Program{Outage} })
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, 3*time.Second); close(done) }()
	kills := killUntil(t, p, done, 3*time.Second, 8*time.Second)
	faults := func() string {
		return fmt.Sprintf("SIGKILL×%d during a cascade of 6 clusters (3 within 5m make one)", kills)
	}
	s.check(t, scenario+"/clusters", faults, d, sink)

	// The cascade's incidents are checked apart: they come after the
	// clusters' own events, so wait for those first.
	deadline := time.Now().Add(drainTimeout)
	for time.Now().Before(deadline) && CheckCascades(sink.Cascades(), 1).Lost > 0 {
		time.Sleep(500 * time.Millisecond)
	}
	r := CheckCascades(sink.Cascades(), 1)
	s.mu.Lock()
	s.rows = append(s.rows, Row{Scenario: scenario + "/incidents", Faults: faults(), Result: r})
	s.mu.Unlock()
	t.Logf("%s/incidents: %d incidents received, %d lost, %d invented, %d duplicates (same id+ts), %d bad duplicates",
		scenario, r.Received, r.Lost, r.Invented, r.Duplicates, r.BadDuplicates)
	for _, pr := range r.Problems {
		t.Logf("%s/incidents: %s", scenario, pr)
	}
	if r.Failed() {
		t.Errorf("%s/incidents: not exact: %d lost, %d invented, %d bad duplicates (reproduce: FAULT_SCENARIOS=%s make test.fault)", scenario, r.Lost, r.Invented, r.BadDuplicates, scenario)
	}
}

// (i) Long histories across SIGKILLs. Clusters make more transitions than a
// ledger keeps of delivered history, so their ledgers prune (and pin what a
// Current replay needs) while the provider is killed every few seconds.
// Then a sink is added for the same clusters, and the provider killed once
// more during its replay: the new sink must be brought to each cluster's
// present state, its created event and the latest event that set its
// phase, nothing older, each with the id and timestamp the first sink got.
func (s *suite) history(t *testing.T, ctx context.Context) {
	const scenario = "history"
	sink, proxy := s.begin(t, ctx, scenario)
	// A second sink selects by the lifecycle of the event before each
	// one, which delivery trims from memory and each restart reads back.
	afterUpgrade := s.sink(t)
	if err := ApplyConfig(ctx, s.dyn, scenario+"-previous", SinkSpec{URL: afterUpgrade.URL(), Selects: scenario, Expression: "previousLifecycle == 'upgraded'"}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = DeleteConfig(context.WithoutCancel(ctx), s.dyn, scenario+"-previous") }()
	// A fourth answers 503 while the histories are made, so it falls
	// behind on every cluster by more than a record keeps in memory.
	behind := s.sink(t)
	behind.Respond(func(string, int) Answer { return Answer{Status: 503} })
	if err := ApplyConfig(ctx, s.dyn, scenario+"-behind", SinkSpec{URL: behind.URL(), Selects: scenario}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = DeleteConfig(context.WithoutCancel(ctx), s.dyn, scenario+"-behind") }()
	p := s.provider(t, proxy, scenario)
	startOrFail(t, p)

	d := s.driver(scenario, withoutPauses)
	plans := Plans("i", s.kinds, clusters(12), func(i int) []Program {
		if i%2 == 1 {
			return []Program{LongHistoryDegraded}
		}
		return []Program{LongHistory}
	})
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, 10*time.Second); close(done) }()
	// The fourth sink takes events again once the clusters made 12
	// transitions each on average, so that the ledgers still prune on the
	// transitions after it caught up.
	var refused string
	caughtUp := make(chan struct{})
	go func() {
		defer close(caughtUp)
		defer func() { refused = behind.FaultsString(); behind.Respond(nil) }()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for len(d.History()) < 12*len(plans) {
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	kills := killUntil(t, p, done, 3*time.Second, 8*time.Second)
	<-caughtUp
	s.check(t, scenario, func() string {
		return fmt.Sprintf("SIGKILL×%d while %d clusters make %d-%d transitions each", kills, len(plans), len(LongHistory), len(LongHistoryDegraded))
	}, d, sink)
	s.checkAgainst(t, scenario+"/previous-lifecycle", fmt.Sprintf("SIGKILL×%d; the sink selects previousLifecycle == 'upgraded'", kills),
		following(d.History(), "upgraded"), afterUpgrade)
	s.checkAgainst(t, scenario+"/sink-behind", fmt.Sprintf("SIGKILL×%d; the sink answers %s until 12 transitions per cluster are made, then accepts", kills, refused),
		ForSink(d.History(), DefaultSignals()), behind, sentAsTo(sink, "sent"))
	pruned := s.prunedLedgers(ctx, t, d.History())
	t.Logf("%s: %d of %d ledgers pruned, their created event pinned", scenario, pruned, len(plans))
	if pruned == 0 {
		t.Errorf("%s: no ledger pruned its history: the scenario tests nothing", scenario)
	}

	late := s.sink(t)
	if err := ApplyConfig(ctx, s.dyn, scenario+"-late", SinkSpec{URL: late.URL(), Selects: scenario}); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = DeleteConfig(context.WithoutCancel(ctx), s.dyn, scenario+"-late") }()
	time.Sleep(time.Duration(rand.Int64N(int64(2 * time.Second))))
	p.Kill()
	startOrFail(t, p)

	// The replay must carry the ids and times the first sink got.
	s.checkAgainst(t, scenario+"/late-sink", fmt.Sprintf("sink added after the histories, SIGKILL×1 during its replay (%d ledgers pruned)", pruned),
		presentState(d.History()), late, sentAsTo(sink, "replayed"))
}

// sentAsTo checks that an event came with an id and time first received
// too: another sink of the same clusters must get each transition as the
// first did, never restamped. verb says how the event came, for the
// problem reported.
func sentAsTo(first *Sink, verb string) func(Got) (string, bool) {
	got := map[pair]bool{}
	for _, g := range first.Received() {
		got[pair{g.ID, g.Timestamp.UTC()}] = true
	}
	return func(g Got) (string, bool) {
		if got[pair{g.ID, g.Timestamp.UTC()}] {
			return "", true
		}
		return fmt.Sprintf("bad: %s %s of %s (uid %s) as id %s at %s, which the first sink never got", verb, g.Lifecycle, g.SubjectID, g.UID, g.ID, stamp(g.Timestamp)), false
	}
}

// checkAgainst waits until sink has every event of want (or drainTimeout
// passed), watches it a little longer, and records the row of a sink whose
// expected events are worked out from the driver's history rather than
// being the history itself. Each check says whether an event received is
// right besides being expected; one that is not counts as a bad duplicate
// with the problem it gives.
func (s *suite) checkAgainst(t *testing.T, row, faults string, want []Expected, sink *Sink, checks ...func(Got) (string, bool)) {
	t.Helper()
	deadline := time.Now().Add(drainTimeout)
	for time.Now().Before(deadline) && Check(want, sink.Received()).Lost > 0 {
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(quiet)
	got := sink.Received()
	r := Check(want, got)
	for _, g := range got {
		for _, check := range checks {
			if problem, ok := check(g); !ok {
				r.BadDuplicates++
				r.Problems = append(r.Problems, problem)
			}
		}
	}
	s.mu.Lock()
	s.rows = append(s.rows, Row{Scenario: row, Faults: faults, Result: r})
	s.mu.Unlock()
	t.Logf("%s: %d transitions, %d events received, %d lost, %d invented, %d duplicates (same id+ts), %d bad duplicates",
		row, r.Transitions, r.Received, r.Lost, r.Invented, r.Duplicates, r.BadDuplicates)
	if r.Failed() {
		for _, problem := range r.Problems {
			t.Logf("%s: %s", row, problem)
		}
		t.Errorf("%s: not exact: %d lost, %d invented, %d bad duplicates (reproduce: FAULT_SCENARIOS=%s make test.fault)",
			row, r.Lost, r.Invented, r.BadDuplicates, strings.SplitN(row, "/", 2)[0])
	}
}

// following is what of history a sink selecting previousLifecycle == prev
// must receive: each transition whose cluster's transition before it was
// prev.
func following(history []Expected, prev string) []Expected {
	uids, byUID := byIncarnation(history)
	var out []Expected
	for _, uid := range uids {
		es := byUID[uid]
		for i := 1; i < len(es); i++ {
			if es[i-1].Lifecycle == prev {
				out = append(out, es[i])
			}
		}
	}
	return out
}

// presentState is what a sink added after history must receive of each
// cluster still there (a Current replay): its created event and the latest
// event that set the phase it is in.
func presentState(history []Expected) []Expected {
	setters := map[v1alpha1.Phase][]string{
		v1alpha1.PhaseReady:    {"ready", "recovered", "upgraded"},
		v1alpha1.PhaseDegraded: {"degraded"},
	}
	uids, byUID := byIncarnation(history)
	var out []Expected
	for _, uid := range uids {
		es := byUID[uid]
		last := es[len(es)-1]
		phase := phaseAfter(v1alpha1.Lifecycle(last.Lifecycle))
		if phase == v1alpha1.PhaseDeleted {
			continue
		}
		out = append(out, es[0])
		for i := len(es) - 1; i > 0; i-- {
			if slices.Contains(setters[phase], es[i].Lifecycle) {
				out = append(out, es[i])
				break
			}
		}
	}
	return out
}

// prunedLedgers counts the ledgers of the incarnations in history whose log
// no longer begins with their created event, which they pin instead.
func (s *suite) prunedLedgers(ctx context.Context, t *testing.T, history []Expected) int {
	t.Helper()
	uids := map[string]bool{}
	for _, e := range history {
		uids[e.UID] = true
	}
	list, err := s.dyn.Resource(ObservedClusters).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, oc := range list.Items {
		var st v1alpha1.ObservedClusterStatus
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(oc.Object["status"].(map[string]any), &st); err != nil {
			continue
		}
		if !uids[string(st.ResourceRef.UID)] || len(st.Events) == 0 || st.Events[0].Seq == 1 {
			continue
		}
		if len(st.PinnedEvents) == 0 || st.PinnedEvents[0].Lifecycle != v1alpha1.LifecycleCreated {
			t.Errorf("history: the ledger %s pruned its log (now from seq %d) without pinning its created event: %v", oc.GetName(), st.Events[0].Seq, st.PinnedEvents)
			continue
		}
		n++
	}
	return n
}

// (j) The delivery watermark across restarts. Progress on transitions
// timed by the newest time the object carries (upgraded, and degraded and
// recovered from the cloud state), and on deleted, rides no ledger write
// of its own: a flush leaves it to the sink's watermark, which the next
// status refresh of the config persists, when that costs fewer writes than
// writing each ledger. Elsewhere the provider flushes every second and
// never defers; here it flushes every 12 s, as a flush of a minute would
// (deferral needs one of at least the refresh's 10 s), and is SIGKILLed
// every 8-20 s: before its first flush, between a flush and the refresh it
// left progress to, and after. The scenario must have left some ledgers'
// progress to the persisted watermark alone, or it tests nothing.
func (s *suite) watermark(t *testing.T, ctx context.Context) {
	const scenario = "watermark"
	sink, proxy := s.begin(t, ctx, scenario)
	p := s.provider(t, proxy, scenario, "--cursor-flush-interval=12s")
	startOrFail(t, p)

	d := s.driver(scenario)
	plans := Plans("j", s.kinds, clusters(24), func(int) []Program { return []Program{Flapping} })
	done := make(chan struct{})
	go func() { d.Run(ctx, plans, time.Minute); close(done) }()
	kills := killUntil(t, p, done, 8*time.Second, 20*time.Second)
	s.check(t, scenario, func() string {
		return fmt.Sprintf("SIGKILL×%d every 8-20 s, progress flushed every 12 s", kills)
	}, d, sink)

	var covered int
	err := testkit.Eventually(45*time.Second, func() error {
		var err error
		covered, err = s.coveredByWatermark(ctx, scenario, d.History())
		return err
	})
	if err != nil {
		t.Errorf("%s: %v: the scenario tests nothing", scenario, err)
		return
	}
	t.Logf("%s: %d ledgers hold less progress than their last event, which the config's persisted watermark covers", scenario, covered)
}

// coveredByWatermark counts the scenario's ledgers whose stored progress
// falls short of their last event while the persisted watermark of the
// scenario's config covers them: progress that the watermark alone holds.
// It fails while there are none.
func (s *suite) coveredByWatermark(ctx context.Context, scenario string, history []Expected) (int, error) {
	pc, err := s.dyn.Resource(ClusterProviderConfigs).Get(ctx, "fault-"+scenario, metav1.GetOptions{})
	if err != nil {
		return 0, err
	}
	through, _, _ := unstructured.NestedString(pc.Object, "status", "deliveredThrough")
	w, err := strconv.ParseInt(through, 10, 64)
	if err != nil {
		return 0, errors.Errorf("no delivery watermark persisted yet (status.deliveredThrough %q)", through)
	}
	uids := map[string]bool{}
	for _, e := range history {
		uids[e.UID] = true
	}
	list, err := s.dyn.Resource(ObservedClusters).List(ctx, metav1.ListOptions{})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, oc := range list.Items {
		var st v1alpha1.ObservedClusterStatus
		raw, _ := oc.Object["status"].(map[string]any)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &st); err != nil || !uids[string(st.ResourceRef.UID)] {
			continue
		}
		rv, err := strconv.ParseInt(oc.GetResourceVersion(), 10, 64)
		if err != nil || rv > w {
			continue
		}
		for _, c := range st.Sinks {
			if c.DeliveredSeq < st.LastSeq {
				n++
				break
			}
		}
	}
	if n == 0 {
		return 0, errors.Errorf("no ledger's progress is held by the watermark %d alone", w)
	}
	return n, nil
}
