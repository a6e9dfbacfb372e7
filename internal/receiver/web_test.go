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
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// newServer returns a receiver holding the given events, served by an
// httptest server.
func newServer(t *testing.T, events ...Event) (*Receiver, *httptest.Server) {
	t.Helper()
	r, err := New(WithHeartbeat(20 * time.Millisecond))
	if err != nil {
		t.Fatalf("New(): %v", err)
	}
	for _, e := range events {
		r.Store().Add(e)
	}
	srv := httptest.NewServer(r.Handler())
	t.Cleanup(srv.Close)
	return r, srv
}

func get(t *testing.T, url string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp
}

func TestEventsAPI(t *testing.T) {
	created := build(t, "prod-1", v1alpha1.LifecycleCreated, 1, cdevent.Options{}).want
	ready := build(t, "prod-1", v1alpha1.LifecycleReady, 2, cdevent.Options{}).want

	cases := map[string]struct {
		reason string
		query  string
		want   EventsResponse
	}{
		"All": {
			reason: "GET /api/events returns every held event and the counters.",
			want: EventsResponse{
				Events: []Event{withSeq(created, 1), withSeq(ready, 2)},
				Stats:  Stats{Stored: 2, Received: 2, LastSeq: 2},
			},
		},
		"Since": {
			reason: "?since= returns only newer events, so pollers fetch what they lack.",
			query:  "?since=1",
			want: EventsResponse{
				Events: []Event{withSeq(ready, 2)},
				Stats:  Stats{Stored: 2, Received: 2, LastSeq: 2},
			},
		},
		"NothingNew": {
			reason: "An up-to-date poller gets an empty list, not null.",
			query:  "?since=2",
			want: EventsResponse{
				Events: []Event{},
				Stats:  Stats{Stored: 2, Received: 2, LastSeq: 2},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, srv := newServer(t, created, ready)
			resp := get(t, srv.URL+"/api/events"+tc.query, nil)
			defer resp.Body.Close()
			if diff := cmp.Diff("application/json", resp.Header.Get("Content-Type")); diff != "" {
				t.Errorf("\n%s\nContent-Type: -want, +got:\n%s", tc.reason, diff)
			}
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(raw), `"events":[`) {
				t.Errorf("\n%s\nbody: want an events array, got %s", tc.reason, raw)
			}
			got := EventsResponse{}
			if err := json.Unmarshal(raw, &got); err != nil {
				t.Fatalf("decoding %s: %v", raw, err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(Event{}, "ReceivedAt")); diff != "" {
				t.Errorf("\n%s\nGET /api/events: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func withSeq(e Event, seq int64) Event {
	e.Seq = seq
	return e
}

// sseMessage is one Server-Sent Events message.
type sseMessage struct {
	ID    string
	Event string
	Data  Event
}

// readSSE reads messages from a stream until it has n of them, skipping
// comments and the retry field.
func readSSE(t *testing.T, r *bufio.Reader, n int) []sseMessage {
	t.Helper()
	var out []sseMessage
	cur := sseMessage{}
	hasData := false
	for len(out) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the event stream after %d messages: %v", len(out), err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if hasData {
				out = append(out, cur)
			}
			cur, hasData = sseMessage{}, false
		case strings.HasPrefix(line, "id: "):
			cur.ID = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.Event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &cur.Data); err != nil {
				t.Fatalf("decoding %q: %v", line, err)
			}
			hasData = true
		}
	}
	return out
}

func TestStream(t *testing.T) {
	created := build(t, "prod-1", v1alpha1.LifecycleCreated, 1, cdevent.Options{}).want
	ready := build(t, "prod-1", v1alpha1.LifecycleReady, 2, cdevent.Options{}).want
	deleted := build(t, "prod-1", v1alpha1.LifecycleDeleted, 3, cdevent.Options{})

	cases := map[string]struct {
		reason string
		header http.Header
		query  string
		want   []sseMessage
	}{
		"Backlog": {
			reason: "A new stream starts with every held event, then carries new ones live.",
			want: []sseMessage{
				{ID: "1", Event: "cdevent", Data: withSeq(created, 1)},
				{ID: "2", Event: "cdevent", Data: withSeq(ready, 2)},
				{ID: "3", Event: "cdevent", Data: deleted.with(3, EncodingBinary)},
			},
		},
		"ResumeFromLastEventID": {
			reason: "A reconnecting EventSource sends Last-Event-ID and gets only what it missed, then new events.",
			header: http.Header{"Last-Event-Id": []string{"1"}},
			want: []sseMessage{
				{ID: "2", Event: "cdevent", Data: withSeq(ready, 2)},
				{ID: "3", Event: "cdevent", Data: deleted.with(3, EncodingBinary)},
			},
		},
		"ResumeFromQuery": {
			reason: "?since= resumes like Last-Event-ID, for a page that loaded the backlog by JSON first.",
			query:  "?since=2",
			want: []sseMessage{
				{ID: "3", Event: "cdevent", Data: deleted.with(3, EncodingBinary)},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, srv := newServer(t, created, ready)
			ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+"/api/stream"+tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tc.header
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatalf("GET /api/stream: %v", err)
			}
			defer resp.Body.Close()
			if diff := cmp.Diff("text/event-stream", resp.Header.Get("Content-Type")); diff != "" {
				t.Errorf("\n%s\nContent-Type: -want, +got:\n%s", tc.reason, diff)
			}
			body := bufio.NewReader(resp.Body)
			got := readSSE(t, body, len(tc.want)-1)

			// A new event arrives while the stream is open, through the
			// receiver's front door.
			post, err := http.DefaultClient.Do(request(t, srv.URL+"/", deleted.ces[0], EncodingBinary))
			if err != nil {
				t.Fatalf("POST: %v", err)
			}
			_ = post.Body.Close()
			got = append(got, readSSE(t, body, 1)...)

			if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreFields(Event{}, "ReceivedAt")); diff != "" {
				t.Errorf("\n%s\nGET /api/stream: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPages(t *testing.T) {
	cases := map[string]struct {
		reason      string
		path        string
		status      int
		contentType string
		contains    string
	}{
		"Page": {
			reason:      "GET / serves the timeline page.",
			path:        "/",
			status:      http.StatusOK,
			contentType: "text/html; charset=utf-8",
			contains:    `<main id="timelines">`,
		},
		"Script": {
			reason:      "The page's script is embedded and served.",
			path:        "/static/app.js",
			status:      http.StatusOK,
			contentType: "text/javascript; charset=utf-8",
			contains:    `new EventSource("/api/stream?since="`,
		},
		"Style": {
			reason:      "The page's style sheet is embedded and served.",
			path:        "/static/style.css",
			status:      http.StatusOK,
			contentType: "text/css; charset=utf-8",
			contains:    ".lc-degraded",
		},
		"Healthz": {
			reason:      "GET /healthz answers ok.",
			path:        "/healthz",
			status:      http.StatusOK,
			contentType: "text/plain; charset=utf-8",
			contains:    "ok",
		},
		"NoSuchPage": {
			reason:      "Other GETs are not pages: only POST is served there.",
			path:        "/nope",
			status:      http.StatusMethodNotAllowed,
			contentType: "text/plain; charset=utf-8",
			contains:    "Method Not Allowed",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, srv := newServer(t)
			resp := get(t, srv.URL+tc.path, nil)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if diff := cmp.Diff(tc.status, resp.StatusCode); diff != "" {
				t.Errorf("\n%s\nGET %s status: -want, +got:\n%s", tc.reason, tc.path, diff)
			}
			if diff := cmp.Diff(tc.contentType, resp.Header.Get("Content-Type")); diff != "" {
				t.Errorf("\n%s\nGET %s Content-Type: -want, +got:\n%s", tc.reason, tc.path, diff)
			}
			if !strings.Contains(string(b), tc.contains) {
				t.Errorf("\n%s\nGET %s: body does not contain %q", tc.reason, tc.path, tc.contains)
			}
		})
	}
}

func TestSplitHandlers(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatalf("New(): %v", err)
	}
	created := build(t, "prod-1", v1alpha1.LifecycleCreated, 1, cdevent.Options{})
	ingest := httptest.NewServer(r.IngestHandler())
	defer ingest.Close()
	ui := httptest.NewServer(r.UIHandler())
	defer ui.Close()

	cases := map[string]struct {
		reason string
		req    func() *http.Request
		want   int
	}{
		"IngestAcceptsEvents": {
			reason: "The ingest port accepts events.",
			req:    func() *http.Request { return request(t, ingest.URL+"/", created.ces[0], EncodingBinary) },
			want:   http.StatusAccepted,
		},
		"IngestServesNoPage": {
			reason: "The ingest port does not serve the page.",
			req: func() *http.Request {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ingest.URL+"/", nil)
				return req
			},
			want: http.StatusMethodNotAllowed,
		},
		"IngestHealthz": {
			reason: "The ingest port answers health probes.",
			req: func() *http.Request {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ingest.URL+"/healthz", nil)
				return req
			},
			want: http.StatusOK,
		},
		"UIServesThePage": {
			reason: "The UI port serves the page.",
			req: func() *http.Request {
				req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, ui.URL+"/", nil)
				return req
			},
			want: http.StatusOK,
		},
		"UIRefusesEvents": {
			reason: "The UI port does not accept events.",
			req:    func() *http.Request { return request(t, ui.URL+"/", created.ces[0], EncodingBinary) },
			want:   http.StatusMethodNotAllowed,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			resp, err := http.DefaultClient.Do(tc.req())
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if diff := cmp.Diff(tc.want, resp.StatusCode); diff != "" {
				t.Errorf("\n%s\nstatus: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
