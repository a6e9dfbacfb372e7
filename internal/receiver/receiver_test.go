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

package receiver

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// source is the CDEvents source of every test event.
const source = "/crossplane/test"

// t0 is when the test clusters' stories begin.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// subject is an upjet EKS cluster as a ledger stores it.
func subject(name string) cdevent.Subject {
	return cdevent.Subject{
		Environment: v1alpha1.Environment{
			ID:   "/crossplane/eks.aws.upbound.io/Cluster/" + name,
			Name: name,
			URI:  "https://" + name + ".eks.amazonaws.com",
		},
		Ref: v1alpha1.ResourceRef{
			APIVersion: "eks.aws.upbound.io/v1beta2",
			Kind:       "Cluster",
			Name:       name,
			UID:        types.UID("uid-" + name),
		},
		Provider: "aws",
		Facts: v1alpha1.Facts{
			Region:            "us-east-1",
			KubernetesVersion: "1.31",
		},
	}
}

// built is a test event: the CloudEvents the provider would send about
// one transition, and what the receiver should keep of the first.
type built struct {
	ces  []cloudevents.Event
	want Event
}

// build makes the CloudEvents of one transition with the provider's own
// builder, so the receiver is tested against what the provider sends.
func build(t *testing.T, name string, l v1alpha1.Lifecycle, minute int, o cdevent.Options) built {
	t.Helper()
	b, err := cdevent.NewBuilder()
	if err != nil {
		t.Fatalf("cdevent.NewBuilder(): %v", err)
	}
	s := subject(name)
	at := t0.Add(time.Duration(minute) * time.Minute)
	le := v1alpha1.LedgerEvent{
		ID:                uuid.NewSHA1(uuid.NameSpaceURL, []byte(name+"/"+string(l))).String(),
		Lifecycle:         l,
		Time:              metav1.NewTime(at),
		KubernetesVersion: "1.31",
		Reason:            "Available",
	}
	if o.Source == "" {
		o.Source = source
	}
	ces, err := b.Build(s, le, o)
	if err != nil {
		t.Fatalf("Build(%s): %v", l, err)
	}
	typ := "dev.cdevents.environment.modified.0.3.0"
	switch l { //nolint:exhaustive // Only these differ.
	case v1alpha1.LifecycleCreated:
		typ = "dev.cdevents.environment.created.0.3.0"
	case v1alpha1.LifecycleDeleted:
		typ = "dev.cdevents.environment.deleted.0.3.0"
	}
	return built{ces: ces, want: Event{
		ID:          le.ID,
		Source:      o.Source,
		Type:        typ,
		SpecVersion: "0.5.1",
		Timestamp:   at,
		SubjectID:   s.Environment.ID,
		Timeline:    s.Environment.ID,
		Lifecycle:   string(l),
		Crossplane: &cdevent.ClusterData{
			Lifecycle:         l,
			APIVersion:        s.Ref.APIVersion,
			Kind:              s.Ref.Kind,
			Name:              s.Ref.Name,
			UID:               string(s.Ref.UID),
			Provider:          s.Provider,
			Region:            s.Facts.Region,
			KubernetesVersion: "1.31",
			Reason:            le.Reason,
		},
	}}
}

// with returns the expected event as the store numbers it.
func (b built) with(seq int64, encoding string) Event {
	e := b.want
	e.Seq = seq
	e.Encoding = encoding
	return e
}

// request encodes one CloudEvent as an HTTP request in the given encoding.
func request(t *testing.T, url string, ce cloudevents.Event, encoding string) *http.Request {
	t.Helper()
	ctx := binding.WithForceBinary(context.Background())
	if encoding == EncodingStructured {
		ctx = binding.WithForceStructured(context.Background())
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := cehttp.WriteRequest(ctx, binding.ToMessage(&ce), req); err != nil {
		t.Fatalf("WriteRequest(): %v", err)
	}
	return req
}

// batchRequest encodes CloudEvents as one batch request.
func batchRequest(t *testing.T, url string, ces ...cloudevents.Event) *http.Request {
	t.Helper()
	req, err := cehttp.NewHTTPRequestFromEvents(context.Background(), url, ces)
	if err != nil {
		t.Fatalf("NewHTTPRequestFromEvents(): %v", err)
	}
	return req
}

// tampered returns a copy of ce whose CloudEvents id no longer matches
// the CDEvent it carries.
func tampered(ce cloudevents.Event) cloudevents.Event {
	c := ce.Clone()
	c.SetID("not-the-cdevent-id")
	return c
}

// notCDEvent is a valid CloudEvent that carries no CDEvent.
func notCDEvent(t *testing.T) cloudevents.Event {
	t.Helper()
	ce := cloudevents.NewEvent()
	ce.SetID("1")
	ce.SetSource("/somewhere")
	ce.SetType("com.example.thing.happened")
	if err := ce.SetData(cloudevents.ApplicationJSON, map[string]string{"hello": "world"}); err != nil {
		t.Fatal(err)
	}
	return ce
}

func TestReceive(t *testing.T) {
	created := build(t, "prod-1", v1alpha1.LifecycleCreated, 1, cdevent.Options{})
	ready := build(t, "prod-1", v1alpha1.LifecycleReady, 2, cdevent.Options{})
	other := build(t, "dev-1", v1alpha1.LifecycleDeleted, 3, cdevent.Options{})
	degraded := build(t, "prod-1", v1alpha1.LifecycleDegraded, 4, cdevent.Options{Incidents: true})
	if len(degraded.ces) != 2 {
		t.Fatalf("want an environment and an incident event, got %d events", len(degraded.ces))
	}

	incident := degraded.with(1, EncodingBinary)
	incident.ID = degraded.ces[1].ID()
	incident.Type = degraded.ces[1].Type()
	incident.SubjectID = degraded.ces[1].Subject()

	type args struct {
		opts     []Option
		requests func(url string) []*http.Request
	}
	type want struct {
		statuses []int
		events   []Event
		stats    Stats
		lines    []string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Binary": {
			reason: "An event in binary encoding (ce-* headers) is accepted, stored and printed.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{request(t, url, created.ces[0], EncodingBinary)}
			}},
			want: want{
				statuses: []int{http.StatusAccepted},
				events:   []Event{created.with(1, EncodingBinary)},
				stats:    Stats{Stored: 1, Received: 1, LastSeq: 1},
				lines:    []string{created.want.Line()},
			},
		},
		"Structured": {
			reason: "An event in structured encoding (application/cloudevents+json) is accepted and stored.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{request(t, url, ready.ces[0], EncodingStructured)}
			}},
			want: want{
				statuses: []int{http.StatusAccepted},
				events:   []Event{ready.with(1, EncodingStructured)},
				stats:    Stats{Stored: 1, Received: 1, LastSeq: 1},
				lines:    []string{ready.want.Line()},
			},
		},
		"Batch": {
			reason: "A batch is accepted whole, in order.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{batchRequest(t, url, created.ces[0], other.ces[0])}
			}},
			want: want{
				statuses: []int{http.StatusAccepted},
				events:   []Event{created.with(1, EncodingBatch), other.with(2, EncodingBatch)},
				stats:    Stats{Stored: 2, Received: 2, LastSeq: 2},
				lines:    []string{created.want.Line(), other.want.Line()},
			},
		},
		"IncidentJoinsItsEnvironment": {
			reason: "An incident event has its own subject but is kept on the timeline of the environment it names.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{request(t, url, degraded.ces[1], EncodingBinary)}
			}},
			want: want{
				statuses: []int{http.StatusAccepted},
				events:   []Event{incident},
				stats:    Stats{Stored: 1, Received: 1, LastSeq: 1},
				lines:    []string{incident.Line()},
			},
		},
		"Redelivered": {
			reason: "An event sent again with the same source and id is acknowledged but kept and printed once.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{
					request(t, url, created.ces[0], EncodingBinary),
					request(t, url, created.ces[0], EncodingStructured),
				}
			}},
			want: want{
				statuses: []int{http.StatusAccepted, http.StatusAccepted},
				events:   []Event{created.with(1, EncodingBinary)},
				stats:    Stats{Stored: 1, Received: 1, Duplicates: 1, LastSeq: 1},
				lines:    []string{created.want.Line()},
			},
		},
		"NotACloudEvent": {
			reason: "A plain JSON POST is not a CloudEvent: 400, nothing stored.",
			args: args{requests: func(url string) []*http.Request {
				req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, url, strings.NewReader(`{"hello":"world"}`))
				req.Header.Set("Content-Type", "application/json")
				return []*http.Request{req}
			}},
			want: want{statuses: []int{http.StatusBadRequest}},
		},
		"NotACDEvent": {
			reason: "A valid CloudEvent that carries no CDEvent is rejected with 400 and not stored.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{request(t, url, notCDEvent(t), EncodingBinary)}
			}},
			want: want{statuses: []int{http.StatusBadRequest}},
		},
		"Tampered": {
			reason: "A CloudEvent whose id is not its CDEvent's is rejected with 400 and not stored.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{request(t, url, tampered(created.ces[0]), EncodingStructured)}
			}},
			want: want{statuses: []int{http.StatusBadRequest}},
		},
		"BatchWithAnInvalidEvent": {
			reason: "One invalid event rejects the whole batch: nothing of it is stored.",
			args: args{requests: func(url string) []*http.Request {
				return []*http.Request{batchRequest(t, url, created.ces[0], notCDEvent(t))}
			}},
			want: want{statuses: []int{http.StatusBadRequest}},
		},
		"TooLarge": {
			reason: "A request over the size limit is rejected with 413.",
			args: args{
				opts: []Option{WithMaxBodyBytes(64)},
				requests: func(url string) []*http.Request {
					return []*http.Request{request(t, url, created.ces[0], EncodingStructured)}
				},
			},
			want: want{statuses: []int{http.StatusRequestEntityTooLarge}},
		},
		"MissingToken": {
			reason: "With a bearer token configured, a request without it is refused with 401.",
			args: args{
				opts: []Option{WithBearerToken("s3cret")},
				requests: func(url string) []*http.Request {
					return []*http.Request{request(t, url, created.ces[0], EncodingBinary)}
				},
			},
			want: want{statuses: []int{http.StatusUnauthorized}},
		},
		"WrongToken": {
			reason: "With a bearer token configured, a request with another token is refused with 401.",
			args: args{
				opts: []Option{WithBearerToken("s3cret")},
				requests: func(url string) []*http.Request {
					req := request(t, url, created.ces[0], EncodingBinary)
					req.Header.Set("Authorization", "Bearer guess")
					return []*http.Request{req}
				},
			},
			want: want{statuses: []int{http.StatusUnauthorized}},
		},
		"RightToken": {
			reason: "With a bearer token configured, a request that carries it is accepted.",
			args: args{
				opts: []Option{WithBearerToken("s3cret")},
				requests: func(url string) []*http.Request {
					req := request(t, url, created.ces[0], EncodingBinary)
					req.Header.Set("Authorization", "Bearer s3cret")
					return []*http.Request{req}
				},
			},
			want: want{
				statuses: []int{http.StatusAccepted},
				events:   []Event{created.with(1, EncodingBinary)},
				stats:    Stats{Stored: 1, Received: 1, LastSeq: 1},
				lines:    []string{created.want.Line()},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out := &bytes.Buffer{}
			r, err := New(append([]Option{WithPrinter(out)}, tc.args.opts...)...)
			if err != nil {
				t.Fatalf("New(): %v", err)
			}
			srv := httptest.NewServer(r.Handler())
			defer srv.Close()

			var statuses []int
			for _, req := range tc.args.requests(srv.URL + "/") {
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("POST: %v", err)
				}
				_ = resp.Body.Close()
				statuses = append(statuses, resp.StatusCode)
			}
			if diff := cmp.Diff(tc.want.statuses, statuses); diff != "" {
				t.Errorf("\n%s\nPOST: -want status, +got status:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.events, r.Store().Since(0), cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Event{}, "ReceivedAt")); diff != "" {
				t.Errorf("\n%s\nStore().Since(0): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.stats, r.Store().Stats()); diff != "" {
				t.Errorf("\n%s\nStore().Stats(): -want, +got:\n%s", tc.reason, diff)
			}
			var lines []string
			if s := strings.TrimSpace(out.String()); s != "" {
				lines = strings.Split(s, "\n")
			}
			if diff := cmp.Diff(tc.want.lines, lines, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\nprinted lines: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLine(t *testing.T) {
	cases := map[string]struct {
		reason string
		event  Event
		want   string
	}{
		"Upgrade": {
			reason: "An upgrade shows the transition time, lifecycle, short type, kind and name, and both versions.",
			event: Event{
				Type:      "dev.cdevents.environment.modified.0.3.0",
				Timestamp: t0,
				Lifecycle: "upgraded",
				Crossplane: &cdevent.ClusterData{
					APIVersion: "eks.aws.m.upbound.io/v1beta1", Kind: "Cluster",
					Namespace: "team-a", Name: "demo-eks-staging",
					KubernetesVersion: "1.31", PreviousVersion: "1.30",
				},
			},
			want: "2026-03-01T10:00:00Z  upgraded   environment.modified   eks.aws.m.upbound.io/Cluster team-a/demo-eks-staging  k8s=1.31 (was 1.30)",
		},
		"OtherProducer": {
			reason: "An event without the provider's customData shows its subject.",
			event: Event{
				Type:      "dev.cdevents.service.deployed.0.2.0",
				Timestamp: t0,
				Timeline:  "/prod/checkout",
			},
			want: "2026-03-01T10:00:00Z  -          service.deployed       /prod/checkout",
		},
		"Replayed": {
			reason: "A replayed event says so.",
			event: Event{
				Type:       "dev.cdevents.environment.created.0.3.0",
				Timestamp:  t0,
				Lifecycle:  "created",
				Crossplane: &cdevent.ClusterData{APIVersion: "v1", Kind: "Cluster", Name: "x", Replayed: true},
			},
			want: "2026-03-01T10:00:00Z  created    environment.created    v1/Cluster x  replayed",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.event.Line()); diff != "" {
				t.Errorf("\n%s\nLine(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestEventJSON pins the JSON field names the page reads.
func TestEventJSON(t *testing.T) {
	e := build(t, "prod-1", v1alpha1.LifecycleReady, 2, cdevent.Options{}).with(7, EncodingBinary)
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k)
	}
	want := []string{"crossplane", "encoding", "id", "lifecycle", "receivedAt", "seq", "source", "specVersion", "subjectId", "timeline", "timestamp", "type"}
	if diff := cmp.Diff(want, keys, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("\njson.Marshal(Event): -want keys, +got keys:\n%s", diff)
	}
}
