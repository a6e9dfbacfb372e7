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
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// validatorFn adapts a function to an EventValidator.
type validatorFn func(cloudevents.Event) error

func (fn validatorFn) Validate(ce cloudevents.Event) error { return fn(ce) }

// built is a real CDEvent, as the provider sends it, of one transition of
// cluster prod-1.
func built(t *testing.T, l v1alpha1.Lifecycle, seq int64, replayed bool) cloudevents.Event {
	t.Helper()
	b, err := cdevent.NewBuilder()
	if err != nil {
		t.Fatalf("cdevent.NewBuilder(): %v", err)
	}
	s := cdevent.Subject{
		Environment: v1alpha1.Environment{ID: "/test/eks.aws.upbound.io/Cluster/prod-1", Name: "prod-1"},
		Ref:         v1alpha1.ResourceRef{APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster", Name: "prod-1", UID: "8d5e7c1a-6b0f-4c1e-9d3a-2f4b6a8c0e1d"},
		Provider:    "aws",
	}
	e := v1alpha1.LedgerEvent{
		Seq: seq, ID: "0b7f3c52-9a1d-5e8f-b6c4-" + strings.Repeat("0", 11) + string(rune('0'+seq)), Lifecycle: l,
		Type: "environment.modified", Time: metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)), Replayed: replayed,
	}
	evs, err := b.Build(s, e, cdevent.Options{Source: "/crossplane/test"})
	if err != nil {
		t.Fatalf("Build(...): %v", err)
	}
	return evs[0]
}

// request encodes an event as an HTTP request, in binary mode or, with
// structured, in structured mode.
func request(t *testing.T, ev cloudevents.Event, structured bool) *http.Request {
	t.Helper()
	ctx := context.Background()
	if structured {
		ctx = binding.WithForceStructured(ctx)
	}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	if err := cehttp.WriteRequest(ctx, binding.ToMessage(&ev), req); err != nil {
		t.Fatalf("cehttp.WriteRequest(...): %v", err)
	}
	return req
}

func TestSinkServeHTTP(t *testing.T) {
	reject := validatorFn(func(cloudevents.Event) error { return errors.New("invalid") })
	type want struct {
		codes    []int
		events   []Event
		distinct int
		errors   int
	}
	cases := map[string]struct {
		reason string
		opts   []SinkOption
		reqs   func(t *testing.T) []*http.Request
		want   want
	}{
		"Binary": {
			reason: "A binary-mode CDEvent is accepted and its cluster, lifecycle and replayed mark are recorded.",
			reqs: func(t *testing.T) []*http.Request {
				t.Helper()
				return []*http.Request{request(t, built(t, v1alpha1.LifecycleReady, 2, true), false)}
			},
			want: want{
				codes:    []int{http.StatusAccepted},
				events:   []Event{{ID: built(t, v1alpha1.LifecycleReady, 2, true).ID(), Name: "prod-1", Lifecycle: v1alpha1.LifecycleReady, Replayed: true}},
				distinct: 1,
			},
		},
		"Structured": {
			reason: "A structured-mode CDEvent is read from its envelope.",
			reqs: func(t *testing.T) []*http.Request {
				t.Helper()
				return []*http.Request{request(t, built(t, v1alpha1.LifecycleDegraded, 3, false), true)}
			},
			want: want{
				codes:    []int{http.StatusAccepted},
				events:   []Event{{ID: built(t, v1alpha1.LifecycleDegraded, 3, false).ID(), Name: "prod-1", Lifecycle: v1alpha1.LifecycleDegraded}},
				distinct: 1,
			},
		},
		"Redelivery": {
			reason: "An event sent twice is recorded twice but counts once as distinct.",
			reqs: func(t *testing.T) []*http.Request {
				t.Helper()
				ev := built(t, v1alpha1.LifecycleCreated, 1, false)
				return []*http.Request{request(t, ev, false), request(t, ev, false)}
			},
			want: want{
				codes: []int{http.StatusAccepted, http.StatusAccepted},
				events: []Event{
					{ID: built(t, v1alpha1.LifecycleCreated, 1, false).ID(), Name: "prod-1", Lifecycle: v1alpha1.LifecycleCreated},
					{ID: built(t, v1alpha1.LifecycleCreated, 1, false).ID(), Name: "prod-1", Lifecycle: v1alpha1.LifecycleCreated},
				},
				distinct: 1,
			},
		},
		"NoID": {
			reason: "A request without a CloudEvents id is refused and reported.",
			reqs: func(t *testing.T) []*http.Request {
				t.Helper()
				r := request(t, built(t, v1alpha1.LifecycleReady, 2, false), false)
				r.Header.Del("Ce-Id")
				return []*http.Request{r}
			},
			want: want{codes: []int{http.StatusBadRequest}, errors: 1},
		},
		"SampledValidation": {
			reason: "With validation of every second event, the first is validated (and here refused), the second is not.",
			opts:   []SinkOption{WithValidator(reject, 2)},
			reqs: func(t *testing.T) []*http.Request {
				t.Helper()
				return []*http.Request{
					request(t, built(t, v1alpha1.LifecycleCreated, 1, false), false),
					request(t, built(t, v1alpha1.LifecycleReady, 2, false), false),
				}
			},
			want: want{
				codes:    []int{http.StatusBadRequest, http.StatusAccepted},
				events:   []Event{{ID: built(t, v1alpha1.LifecycleReady, 2, false).ID(), Name: "prod-1", Lifecycle: v1alpha1.LifecycleReady}},
				distinct: 1,
				errors:   1,
			},
		},
		"RealValidator": {
			reason: "A real event passes the CDEvents schema validation the sink runs.",
			opts: func() []SinkOption {
				v, err := cdevent.NewValidator()
				if err != nil {
					t.Fatalf("cdevent.NewValidator(): %v", err)
				}
				return []SinkOption{WithValidator(v, 1)}
			}(),
			reqs: func(t *testing.T) []*http.Request {
				t.Helper()
				return []*http.Request{request(t, built(t, v1alpha1.LifecycleRecovered, 4, false), false)}
			},
			want: want{
				codes:    []int{http.StatusAccepted},
				events:   []Event{{ID: built(t, v1alpha1.LifecycleRecovered, 4, false).ID(), Name: "prod-1", Lifecycle: v1alpha1.LifecycleRecovered}},
				distinct: 1,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewSink(tc.opts...)
			got := want{}
			for _, r := range tc.reqs(t) {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, r)
				got.codes = append(got.codes, w.Code)
			}
			got.events = s.Events()
			tally := s.Tally()
			got.distinct, got.errors = tally.Distinct, len(tally.Errors)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{}), cmpopts.IgnoreFields(Event{}, "At"), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\ns.ServeHTTP(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestByCluster(t *testing.T) {
	cases := map[string]struct {
		reason string
		events []Event
		want   map[string][]Event
	}{
		"GroupsInOrderWithoutRedeliveries": {
			reason: "Events are grouped per cluster in arrival order, and a redelivered id counts once.",
			events: []Event{
				{ID: "1", Name: "a", Lifecycle: v1alpha1.LifecycleCreated},
				{ID: "2", Name: "b", Lifecycle: v1alpha1.LifecycleCreated},
				{ID: "1", Name: "a", Lifecycle: v1alpha1.LifecycleCreated},
				{ID: "3", Name: "a", Lifecycle: v1alpha1.LifecycleReady},
			},
			want: map[string][]Event{
				"a": {{ID: "1", Name: "a", Lifecycle: v1alpha1.LifecycleCreated}, {ID: "3", Name: "a", Lifecycle: v1alpha1.LifecycleReady}},
				"b": {{ID: "2", Name: "b", Lifecycle: v1alpha1.LifecycleCreated}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ByCluster(tc.events)); diff != "" {
				t.Errorf("\n%s\nByCluster(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
