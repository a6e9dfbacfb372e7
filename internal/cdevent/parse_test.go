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

package cdevent

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cdevents/sdk-go/pkg/api"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// sink is a CloudEvents HTTP receiver that records what it gets, and the
// headers it got them with.
type sink struct {
	mu      sync.Mutex
	events  []cloudevents.Event
	headers []http.Header
}

func newSink(t *testing.T) (*sink, *httptest.Server) {
	t.Helper()
	s := &sink{}
	p, err := cloudevents.NewHTTP()
	if err != nil {
		t.Fatalf("cloudevents.NewHTTP(): %v", err)
	}
	h, err := cloudevents.NewHTTPReceiveHandler(t.Context(), p, func(_ context.Context, e cloudevents.Event) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.events = append(s.events, e)
	})
	if err != nil {
		t.Fatalf("cloudevents.NewHTTPReceiveHandler(): %v", err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.headers = append(s.headers, r.Header.Clone())
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return s, srv
}

func TestRoundTrip(t *testing.T) {
	recovered := ledgerEvent(v1alpha1.LifecycleRecovered)
	recovered.Replayed = true
	recovered.KubernetesVersion = "1.32"

	type args struct {
		e v1alpha1.LedgerEvent
		o Options
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []Summary
	}{
		"Spec05WithIncident": {
			reason: "A 0.5 environment event and its incident should arrive as they were built.",
			args:   args{e: recovered, o: Options{Source: source, Incidents: true, IncidentStart: transition.Add(-time.Hour)}},
			want: []Summary{
				{
					Type: "dev.cdevents.environment.modified.0.3.0", SpecVersion: "0.5.1", ID: eventID, Source: source,
					SubjectID: envID, Timestamp: transition, Lifecycle: v1alpha1.LifecycleRecovered,
					Namespace: "team-a", Name: "prod-1", KubernetesVersion: "1.32", Replayed: true,
				},
				{
					Type: "dev.cdevents.incident.resolved.0.3.0", SpecVersion: "0.5.1", ID: incidentEventID(kindIncidentResolved, eventID),
					Source: source, SubjectID: envID + "/incidents/1772597167", Timestamp: transition,
					Lifecycle: v1alpha1.LifecycleRecovered, Namespace: "team-a", Name: "prod-1", KubernetesVersion: "1.32", Replayed: true,
				},
			},
		},
		"Spec04": {
			reason: "A 0.4 event should be read back with the 0.4 package.",
			args:   args{e: ledgerEvent(v1alpha1.LifecycleCreated), o: Options{SpecVersion: v1alpha1.SpecVersion04, Source: source}},
			want: []Summary{{
				Type: "dev.cdevents.environment.created.0.2.0", SpecVersion: "0.4.1", ID: eventID, Source: source,
				SubjectID: envID, Timestamp: transition, Lifecycle: v1alpha1.LifecycleCreated,
				Namespace: "team-a", Name: "prod-1", KubernetesVersion: "1.31",
			}},
		},
		"Spec03": {
			reason: "A 0.3 event should be read back with the 0.3 package.",
			args:   args{e: ledgerEvent(v1alpha1.LifecycleDeleted), o: Options{SpecVersion: v1alpha1.SpecVersion03, Source: source}},
			want: []Summary{{
				Type: "dev.cdevents.environment.deleted.0.1.1", SpecVersion: "0.3.0", ID: eventID, Source: source,
				SubjectID: envID, Timestamp: transition, Lifecycle: v1alpha1.LifecycleDeleted,
				Namespace: "team-a", Name: "prod-1", KubernetesVersion: "1.31",
			}},
		},
	}
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	v, err := NewValidator()
	if err != nil {
		t.Fatalf("NewValidator(): %v", err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			evs, err := b.Build(subject(), tc.args.e, tc.args.o)
			if err != nil {
				t.Fatalf("b.Build(...): %v", err)
			}
			s, srv := newSink(t)
			c, err := cloudevents.NewClientHTTP(cloudevents.WithTarget(srv.URL))
			if err != nil {
				t.Fatalf("cloudevents.NewClientHTTP(): %v", err)
			}
			for _, ce := range evs {
				if res := c.Send(cloudevents.WithEncodingBinary(t.Context()), ce); !cloudevents.IsACK(res) {
					t.Fatalf("c.Send(...): %v", res)
				}
			}

			got := make([]Summary, 0, len(s.events))
			for i, ce := range s.events {
				if ct := s.headers[i].Get("Content-Type"); ct != cloudevents.ApplicationJSON {
					t.Errorf("binary mode should send the CDEvent as application/json, got Content-Type %q", ct)
				}
				if err := v.Validate(ce); err != nil {
					t.Errorf("v.Validate(received): %v", err)
				}
				ev, err := Parse(ce)
				if err != nil {
					t.Fatalf("Parse(received): %v", err)
				}
				got = append(got, Summarize(ev))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nSummarize(Parse(received)): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	type want struct {
		summary Summary
		err     string
	}
	cases := map[string]struct {
		reason string
		ce     func(t *testing.T) cloudevents.Event
		want   want
	}{
		"Parsed": {
			reason: "A built event parses back into its CDEvent.",
			ce:     func(t *testing.T) cloudevents.Event { return built(t, v1alpha1.SpecVersion05) },
			want: want{summary: Summary{
				Type: "dev.cdevents.environment.modified.0.3.0", SpecVersion: "0.5.1", ID: eventID, Source: source,
				SubjectID: envID, Timestamp: transition, Lifecycle: v1alpha1.LifecycleReady,
				Namespace: "team-a", Name: "prod-1", KubernetesVersion: "1.31",
			}},
		},
		"UnknownSpecVersion": {
			reason: "A spec version without an SDK package cannot be read.",
			ce: func(t *testing.T) cloudevents.Event {
				return withData(t, built(t, v1alpha1.SpecVersion05), func(doc map[string]any) {
					doc["context"].(map[string]any)["specversion"] = "0.9.0"
				})
			},
			want: want{err: `cannot parse CDEvents spec version "0.9.0"`},
		},
		"IDMismatch": {
			reason: "A CloudEvent whose id is not its CDEvent's was altered on the way.",
			ce: func(t *testing.T) cloudevents.Event {
				ce := built(t, v1alpha1.SpecVersion04)
				ce.SetID("other")
				return ce
			},
			want: want{err: `CloudEvent id "other" does not match the CDEvent's "` + eventID + `"`},
		},
		"TypeMismatch": {
			reason: "A CloudEvent whose type is not its CDEvent's was altered on the way.",
			ce: func(t *testing.T) cloudevents.Event {
				ce := built(t, v1alpha1.SpecVersion03)
				ce.SetType("dev.cdevents.environment.created.0.1.1")
				return ce
			},
			want: want{err: `CloudEvent type "dev.cdevents.environment.created.0.1.1" does not match the CDEvent's "dev.cdevents.environment.modified.0.1.1"`},
		},
		"NotJSON": {
			reason: "CDEvents are application/json.",
			ce: func(t *testing.T) cloudevents.Event {
				ce := built(t, v1alpha1.SpecVersion05)
				ce.SetDataContentType("application/xml")
				return ce
			},
			want: want{err: `cannot parse data of content type "application/xml"`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ev, err := Parse(tc.ce(t))
			got := want{err: errHead(err)}
			if ev != nil {
				got.summary = Summarize(ev)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nParse(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	// An event from another producer: no customData of ours.
	foreign, err := api.NewEnvironmentModifiedEventV0_3_0("0.5.1")
	if err != nil {
		t.Fatal(err)
	}
	foreign.SetId("f-1")
	foreign.SetSource("/monitoring")
	foreign.SetSubjectId("cluster-9")
	foreign.SetTimestamp(transition)
	if err := foreign.SetCustomData(cloudevents.ApplicationJSON, map[string]string{"team": "x"}); err != nil {
		t.Fatal(err)
	}
	// A custom event, whose type the SDK gets wrong.
	custom, err := api.NewCustomTypeEventV0_5_1("0.5.1")
	if err != nil {
		t.Fatal(err)
	}
	custom.SetEventType(api.CDEventType{Subject: "cluster", Predicate: "ready", Version: "0.1.0", Custom: "crossplane"})
	custom.SetId("c-1")
	custom.SetSource("/crossplane")
	custom.SetSubjectId("cluster-1")
	custom.SetTimestamp(transition)

	cases := map[string]struct {
		reason string
		ev     api.CDEventReader
		want   Summary
	}{
		"Foreign": {
			reason: "Events without our customData have only the CDEvents fields.",
			ev:     foreign,
			want: Summary{
				Type: "dev.cdevents.environment.modified.0.3.0", SpecVersion: "0.5.1", ID: "f-1", Source: "/monitoring",
				SubjectID: "cluster-9", Timestamp: transition,
			},
		},
		"CustomType": {
			reason: "Custom events should be summarised with their real type, not the SDK's placeholder.",
			ev:     custom,
			want: Summary{
				Type: "dev.cdeventsx.crossplane-cluster.ready.0.1.0", SpecVersion: "0.5.1", ID: "c-1", Source: "/crossplane",
				SubjectID: "cluster-1", Timestamp: transition,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Summarize(tc.ev)); diff != "" {
				t.Errorf("\n%s\nSummarize(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSummaryString(t *testing.T) {
	cases := map[string]struct {
		reason string
		s      Summary
		want   string
	}{
		"Ours": {
			reason: "One line with what a reader scans for: when, what, which cluster.",
			s: Summary{
				Type: "dev.cdevents.environment.modified.0.3.0", ID: "id-1", SubjectID: envID,
				Timestamp: transition.In(time.FixedZone("CET", 3600)), Lifecycle: v1alpha1.LifecycleUpgraded,
				Namespace: "team-a", Name: "prod-1", KubernetesVersion: "1.32", Replayed: true,
			},
			want: "2026-03-04T05:06:07Z dev.cdevents.environment.modified.0.3.0 " + envID +
				" lifecycle=upgraded cluster=team-a/prod-1 version=1.32 replayed id=id-1",
		},
		"Foreign": {
			reason: "Without our customData only the CDEvents fields are printed.",
			s:      Summary{Type: "dev.cdevents.incident.detected.0.3.0", ID: "x", SubjectID: "inc-1", Timestamp: transition},
			want:   "2026-03-04T05:06:07Z dev.cdevents.incident.detected.0.3.0 inc-1 id=x",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.s.String()); diff != "" {
				t.Errorf("\n%s\ns.String(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
