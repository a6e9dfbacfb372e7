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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func TestSummarize(t *testing.T) {
	ms := func(n ...int) []time.Duration {
		out := make([]time.Duration, 0, len(n))
		for _, v := range n {
			out = append(out, time.Duration(v)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	cases := map[string]struct {
		reason string
		ds     []time.Duration
		want   Latencies
	}{
		"Empty": {
			reason: "No durations summarise to zero.",
			want:   Latencies{},
		},
		"One": {
			reason: "Every percentile of one duration is that duration.",
			ds:     ms(7),
			want:   Latencies{N: 1, P50: 7 * time.Millisecond, P90: 7 * time.Millisecond, P99: 7 * time.Millisecond, Max: 7 * time.Millisecond},
		},
		"Hundred": {
			reason: "Nearest rank: of 1..100ms in any order, p50 is 50ms, p90 90ms, p99 99ms.",
			ds:     ms(hundred...),
			want:   Latencies{N: 100, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond},
		},
		"Unsorted": {
			reason: "Input order does not matter; p50 of four is the second smallest.",
			ds:     ms(40, 10, 30, 20),
			want:   Latencies{N: 4, P50: 20 * time.Millisecond, P90: 40 * time.Millisecond, P99: 40 * time.Millisecond, Max: 40 * time.Millisecond},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := append([]time.Duration(nil), tc.ds...)
			got := Summarize(tc.ds)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nSummarize(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(in, tc.ds); diff != "" {
				t.Errorf("\n%s\nSummarize(...) modified its input: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	deg, rec := v1alpha1.LifecycleDegraded, v1alpha1.LifecycleRecovered
	type want struct {
		lat  []time.Duration
		errs []error
	}
	cases := map[string]struct {
		reason string
		writes map[string][]Write
		events map[string][]Event
		want   want
	}{
		"Paired": {
			reason: "Each write is paired with the event of its cluster in order; events of other lifecycles are ignored.",
			writes: map[string][]Write{
				"a": {{Lifecycle: deg, Done: at(0)}, {Lifecycle: rec, Done: at(100)}},
				"b": {{Lifecycle: deg, Done: at(50)}},
			},
			events: map[string][]Event{
				"a": {{ID: "1", Lifecycle: v1alpha1.LifecycleReady, At: at(-10)}, {ID: "2", Lifecycle: deg, At: at(5)}, {ID: "3", Lifecycle: rec, At: at(112)}},
				"b": {{ID: "4", Lifecycle: deg, At: at(80)}},
			},
			want: want{lat: []time.Duration{5 * time.Millisecond, 12 * time.Millisecond, 30 * time.Millisecond}},
		},
		"Missing": {
			reason: "A cluster with fewer events than writes is reported, and its events still count.",
			writes: map[string][]Write{"a": {{Lifecycle: deg, Done: at(0)}, {Lifecycle: rec, Done: at(100)}}},
			events: map[string][]Event{"a": {{ID: "1", Lifecycle: deg, At: at(3)}}},
			want: want{
				lat:  []time.Duration{3 * time.Millisecond},
				errs: []error{errors.Errorf(errFmtMissing, "a", 2, 1)},
			},
		},
		"OutOfOrder": {
			reason: "An event whose lifecycle is not the one its write caused means lost or reordered events.",
			writes: map[string][]Write{"a": {{Lifecycle: deg, Done: at(0)}, {Lifecycle: rec, Done: at(100)}}},
			events: map[string][]Event{"a": {{ID: "2", Lifecycle: rec, At: at(3)}, {ID: "1", Lifecycle: deg, At: at(4)}}},
			want: want{
				errs: []error{errors.Errorf(errFmtLifecycle, "a", 0, deg, "2", rec)},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lat, errs := Match(tc.writes, tc.events)
			if diff := cmp.Diff(tc.want.lat, lat); diff != "" {
				t.Errorf("\n%s\nMatch(...): latencies -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.errs, errs, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nMatch(...): errors -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
