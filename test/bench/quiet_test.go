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
	"strings"
	"testing"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
)

// A quiet fleet: few transitions, several sinks for each of them.
const (
	quietClusters = 40
	quietSinks    = 4
	// quietEvery is how often one of its clusters changes.
	quietEvery = 5 * time.Second
	// quietFor is how long the fleet is measured changing; the provider's
	// periodic writes (status refreshes, progress flushes) all fall
	// within it several times.
	quietFor = 150 * time.Second
)

// BenchmarkQuietFleetWrites counts what a quiet fleet costs the API server
// in writes: 40 realistic upjet EKS clusters, one of which changes its
// cloud state every 5 s for 150 s (30 transitions), each delivered to four
// sinks (four ClusterProviderConfigs selecting the same clusters, as
// tenants' configs on a shared fleet). A busy fleet amortizes whatever the
// provider writes per sink or per interval over many transitions; here it
// is paid by few. It prints ledger writes, progress writes and config
// status writes per transition, counted from the start of the changes
// until a cursor flush interval after the last of them, and checks that
// every sink got every transition.
func BenchmarkQuietFleetWrites(b *testing.B) {
	reset(b)
	ctx := context.Background()
	const label = "quiet"
	kube := kubeClient(b)
	p := mustStartProvider(b, limitTestenv)
	sinks := make([]*Sink, quietSinks)
	for i := range sinks {
		sinks[i] = NewSink(WithValidator(validator(b), validateEvery))
		sinks[i].Start()
		b.Cleanup(sinks[i].Close)
		name := fmt.Sprintf("%s-%d", label, i)
		if err := createConfig(ctx, kube, name, sinks[i].URL(), label); err != nil {
			b.Fatalf("create ClusterProviderConfig: %v", err)
		}
		if err := waitConfigured(ctx, kube, name); err != nil {
			b.Fatalf("ClusterProviderConfig %s: %v", name, err)
		}
	}
	fleet := fleetsim.NewFleet(dynClient(b), map[string]string{labelKey: label}, fleetsim.WithSize(fleetsim.Realistic))
	names := fleetsim.Names(label, quietClusters)
	if err := fleet.CreateReady(ctx, names, fleetWriters, time.Now().Add(-time.Hour).Truncate(time.Second), nil); err != nil {
		b.Fatalf("create fleet: %v", err)
	}
	base := 2 * len(names)
	for i, s := range sinks {
		if err := s.WaitDistinct(base, stallLimit, 5*time.Minute); err != nil {
			b.Fatalf("sink %d, created and ready events: %v", i, err)
		}
	}
	// Let the start-up's writes (ledger creation, the first status
	// refreshes, progress) settle before counting.
	if _, err := waitQuiet(p, 2*time.Second, 2*time.Minute); err != nil {
		b.Fatalf("%v", err)
	}
	time.Sleep(flushInterval + 5*time.Second)

	progress("quiet fleet: one transition every %s for %s over %d clusters, %d sinks", quietEvery, quietFor, len(names), len(sinks))
	u0, others0 := p.usage(), configStatusWrites(p)
	tr := newTransitions()
	start := time.Now()
	total := int(quietFor / quietEvery)
	for i := range total {
		time.Sleep(time.Until(start.Add(time.Duration(i) * quietEvery)))
		tr.flip(ctx, fleet, names[i%len(names)])
	}
	tr.check(b)
	for i, s := range sinks {
		if err := s.WaitDistinct(base+total, stallLimit, lossWindow); err != nil {
			b.Errorf("sink %d: events of the transitions written never arrived: %v", i, err)
		}
		lat, errs := Match(tr.writes, ByCluster(s.Events()))
		for _, err := range errs {
			b.Errorf("sink %d: %v", i, err)
		}
		if len(lat) != total {
			b.Errorf("sink %d: %d of %d transitions delivered", i, len(lat), total)
		}
		checkSink(b, s)
	}
	time.Sleep(flushInterval + 5*time.Second)
	took := time.Since(start)
	used := p.since(u0)
	configs := configStatusWrites(p) - others0
	reportWarnings(b, p.warns)

	n := float64(total)
	all := float64(used.ledger+used.cursor+configs) / n
	b.ReportMetric(float64(used.ledger)/n, "ledger-writes/transition")
	b.ReportMetric(float64(used.cursor)/n, "progress-writes/transition")
	b.ReportMetric(float64(configs)/n, "config-writes/transition")
	b.ReportMetric(all, "writes/transition")
	reportf(b, "quiet fleet, %d transitions over %s to %d sinks each, counted for %s: %.2f writes per transition (target <= 1.0: %s): %.2f ledger, %.2f progress, %.2f config status (%d)",
		total, quietFor, len(sinks), took.Round(time.Second), all, verdict(all <= 1.0), float64(used.ledger)/n, float64(used.cursor)/n, float64(configs)/n, configs)
}

// configStatusWrites counts the provider's writes of its configs' status
// so far.
func configStatusWrites(p *running) int64 {
	var n int64
	for what, c := range p.reqs.Others() {
		if strings.Contains(what, "providerconfigs/") && strings.HasSuffix(what, "/status") {
			n += c
		}
	}
	return n
}
