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

package deliver

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
)

// series flattens a registry into "name{label=value,...}" -> value, with
// histograms as their sample count.
func series(t *testing.T, g prometheus.Gatherer) map[string]float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("Gather(): %v", err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			labels := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			sort.Strings(labels)
			name := mf.GetName() + "{" + strings.Join(labels, ",") + "}"
			switch {
			case m.GetCounter() != nil:
				out[name] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[name] = m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				out[name] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatalf("NewMetrics(...): %v", err)
	}
	if _, err := NewMetrics(reg); err == nil {
		t.Errorf("NewMetrics(...) twice on one registry: want an error, got none")
	}

	// a-1-0 is accepted on its third attempt; a-2-0 is refused, and the
	// dead-letter sink takes it on its second attempt; a-3-0 is refused
	// by both and given up.
	sink := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, previous int) int {
		switch {
		case r.Header.Get("Ce-Id") != "a-1-0":
			return http.StatusBadRequest
		case previous < 2:
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	dlq := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, previous int) int {
		switch {
		case r.Header.Get("Ce-Id") == "a-3-0":
			return http.StatusForbidden
		case previous < 1:
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	keys := map[string][]Pending{"a": transitions("a", 3, 1)}
	src := newMemSource(keys)
	o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src,
		WithName("ClusterProviderConfig/default"), WithMetrics(m),
		WithRetryPolicy(RetryPolicy{Retry: 2, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond}), WithJitter(fixedJitter(0)),
		WithDeadLetter(newTestSender(t, SinkConfig{URL: dlq.URL})))
	// Another sink's series must survive the first one being forgotten.
	other := NewOutbox(nil, newMemSource(nil), WithName("ProviderConfig/team-a/other"), WithMetrics(m))
	other.Notify("x")

	startOutbox(t, o)
	notifyAll(o, keys)
	waitFor(t, 10*time.Second, "every transition to be done", func() bool { return src.doneCount() == src.total })
	waitFor(t, 5*time.Second, "the key to be up to date", func() bool { return o.Waiting() == 0 })

	const s = "sink=ClusterProviderConfig/default"
	const ty = "type=" + testEventType
	want := map[string]float64{
		"cdevents_delivery_attempts_total{result=delivered," + s + "," + ty + "}":     1,
		"cdevents_delivery_attempts_total{result=retried," + s + "," + ty + "}":       3,
		"cdevents_delivery_attempts_total{result=rejected," + s + "," + ty + "}":      9,
		"cdevents_delivery_attempts_total{result=dead_lettered," + s + "," + ty + "}": 1,
		"cdevents_delivery_attempts_total{result=dropped," + s + "," + ty + "}":       1,
		"cdevents_events_dropped_total{reason=dead_letter_failed," + s + "}":          1,
		"cdevents_retries_total{" + s + "}":                                           9,
		"cdevents_delivery_duration_seconds{" + s + "}":                               1,
		"cdevents_outbox_keys{" + s + "}":                                             0,
		"cdevents_outbox_keys{sink=ProviderConfig/team-a/other}":                      1,
	}
	if diff := cmp.Diff(want, series(t, reg)); diff != "" {
		t.Errorf("\nEvery attempt is counted by result, every event given up by reason; retries, accepted durations and waiting keys per sink.\nseries: -want, +got:\n%s", diff)
	}

	m.Forget("ClusterProviderConfig/default")
	want = map[string]float64{"cdevents_outbox_keys{sink=ProviderConfig/team-a/other}": 1}
	if diff := cmp.Diff(want, series(t, reg)); diff != "" {
		t.Errorf("\nForget deletes every series of one sink and only those.\nseries: -want, +got:\n%s", diff)
	}

	var none *Metrics
	none.Forget("x")
	none.event("x", "t", ResultDelivered)
}
