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

// Package bench measures provider-cdevents end to end on a real API server:
// how soon a cluster's transition reaches a sink, whether delivery keeps up
// with the fastest writes the API server accepts, how fast a new sink of a
// large fleet is brought up to date, and what each watched cluster costs in
// memory and each event in CPU. Its benchmarks print their figures next to
// the targets; they fail only when events are lost, duplicated under
// another id or invalid, never because a figure misses its target.
//
// The helpers here write upjet cluster objects at fleet scale, receive
// events on a cheap loopback sink, and read the process's CPU and memory.
//
// Run them with `make bench`. BenchmarkVersusStatelessWatcher runs the same
// load with nothing watching, with a stateless watcher (Watcher) and with
// the provider, and prints their figures side by side;
// BENCH_COMPARE_CLUSTERS, BENCH_COMPARE_RATE and BENCH_COMPARE_SECONDS size
// it. BENCH_SCALE=restart,burst,startup,kinds (or all) adds the scale runs,
// sized by BENCH_SCALE_CLUSTERS, and for kinds by BENCH_SCALE_KINDS and
// BENCH_SCALE_KIND_OBJECTS. The environment tunes the others:
// BENCH_REPLAY_CLUSTERS sets the replay fleet's size (default 10000),
// BENCH_SECONDS the length of the timed write phases (default 20),
// BENCH_PROFILE_DIR a directory for pprof profiles of the replay fleet's
// heap and of each replay's CPU, and BENCH_DEBUG (any value) sends the
// provider's logs to stderr.
package bench

import (
	"fmt"
	"slices"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// Latencies summarises a set of durations.
type Latencies struct {
	N   int
	P50 time.Duration
	P90 time.Duration
	P99 time.Duration
	Max time.Duration
}

// Summarize computes nearest-rank percentiles of ds; it does not modify ds.
func Summarize(ds []time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return Latencies{N: len(s), P50: Percentile(s, 50), P90: Percentile(s, 90), P99: Percentile(s, 99), Max: s[len(s)-1]}
}

// Percentile is the nearest-rank p-th percentile of sorted, a sorted
// non-empty slice.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p/100*float64(len(sorted)) + 0.999999)
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// Ms renders a duration in milliseconds with one decimal.
func Ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// Write is one status write the benchmark made: which transition it
// should cause, and when the API server confirmed it.
type Write struct {
	Lifecycle v1alpha1.Lifecycle
	Done      time.Time
}

// Error strings of Match.
const (
	errFmtMissing   = "cluster %s: %d transitions written, %d events received"
	errFmtLifecycle = "cluster %s: transition %d should be %s, event %s is %s"
)

// Match pairs every write with the event it caused, in order per cluster:
// the k-th event of a cluster with one of the written lifecycles answers
// its k-th write. It returns the latencies, from the write's confirmation
// to the event's receipt, and an error per cluster whose events do not
// answer its writes one for one. events must hold each id once (see
// ByCluster).
func Match(writes map[string][]Write, events map[string][]Event) ([]time.Duration, []error) {
	var lat []time.Duration
	var errs []error
	names := make([]string, 0, len(writes))
	for n := range writes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		ws := writes[name]
		kinds := map[v1alpha1.Lifecycle]bool{}
		for _, w := range ws {
			kinds[w.Lifecycle] = true
		}
		var es []Event
		for _, e := range events[name] {
			if kinds[e.Lifecycle] {
				es = append(es, e)
			}
		}
		if len(es) != len(ws) {
			errs = append(errs, errors.Errorf(errFmtMissing, name, len(ws), len(es)))
		}
		for k := range min(len(es), len(ws)) {
			if es[k].Lifecycle != ws[k].Lifecycle {
				errs = append(errs, errors.Errorf(errFmtLifecycle, name, k, ws[k].Lifecycle, es[k].ID, es[k].Lifecycle))
				break
			}
			lat = append(lat, es[k].At.Sub(ws[k].Done))
		}
	}
	return lat, errs
}
