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
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// Event is what the benchmark sink keeps of one accepted request: enough
// to match it with the write that caused it.
type Event struct {
	// ID is the CloudEvents id.
	ID string
	// Name of the cluster object, from the event's customData.
	Name string
	// Lifecycle of the transition, from the event's customData.
	Lifecycle v1alpha1.Lifecycle
	// Replayed is set on events sent late.
	Replayed bool
	// At is when the sink received the event.
	At time.Time
}

// An EventValidator checks a whole CloudEvent, as a strict consumer would.
type EventValidator interface {
	Validate(ce cloudevents.Event) error
}

// Sink is a loopback CloudEvents receiver for benchmarks. It runs in the
// same process as the provider, so it is kept cheap: it reads the id from
// the CloudEvents headers and only the customData it needs from the body,
// and validates every n-th event in full against the CDEvents schemas, so
// that correctness is still checked without the sink's own CPU dominating
// what is measured.
type Sink struct {
	server        *httptest.Server
	validator     EventValidator
	validateEvery int

	mu       sync.Mutex
	requests int
	events   []Event
	seen     map[string]int
	first    time.Time
	lastNew  time.Time
	errs     []string
}

// SinkOption tunes a Sink.
type SinkOption func(*Sink)

// WithValidator validates every n-th request in full with v; n below 1
// validates every request.
func WithValidator(v EventValidator, n int) SinkOption {
	return func(s *Sink) {
		s.validator = v
		s.validateEvery = max(n, 1)
	}
}

// NewSink returns a sink that is not listening yet; Start starts it.
func NewSink(opts ...SinkOption) *Sink {
	s := &Sink{seen: map[string]int{}}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Start listens on a loopback port.
func (s *Sink) Start() {
	s.server = httptest.NewServer(s)
}

// URL of the sink.
func (s *Sink) URL() string { return s.server.URL }

// Close stops the sink.
func (s *Sink) Close() { s.server.Close() }

// envelope is the part of a structured-mode CloudEvent the sink reads.
type envelope struct {
	ID   string          `json:"id"`
	Data json.RawMessage `json:"data"`
}

// body is the part of a CDEvent the sink reads.
type body struct {
	CustomData cdevent.CustomData `json:"customData"`
}

// ServeHTTP accepts one CloudEvent in binary or structured mode.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, fmt.Sprintf("cannot read request: %v", err))
		return
	}
	at := time.Now()
	id, data := r.Header.Get("Ce-Id"), raw
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == cloudevents.ApplicationCloudEventsJSON {
		env := envelope{}
		if err := json.Unmarshal(raw, &env); err != nil {
			s.fail(w, fmt.Sprintf("not a structured CloudEvent: %v", err))
			return
		}
		id, data = env.ID, env.Data
	}
	if id == "" {
		s.fail(w, "no CloudEvents id")
		return
	}
	b := body{}
	if err := json.Unmarshal(data, &b); err != nil {
		s.fail(w, fmt.Sprintf("event %s: not a CDEvent: %v", id, err))
		return
	}

	s.mu.Lock()
	s.requests++
	check := s.validator != nil && s.requests%s.validateEvery == 1%s.validateEvery
	s.mu.Unlock()
	if check {
		if err := s.validate(r, raw); err != nil {
			s.fail(w, fmt.Sprintf("event %s: %v", id, err))
			return
		}
	}

	c := b.CustomData.Crossplane
	s.mu.Lock()
	s.events = append(s.events, Event{ID: id, Name: c.Name, Lifecycle: c.Lifecycle, Replayed: c.Replayed, At: at})
	if s.seen[id] == 0 {
		if s.first.IsZero() {
			s.first = at
		}
		s.lastNew = at
	}
	s.seen[id]++
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (s *Sink) validate(r *http.Request, raw []byte) error {
	req := r.Clone(r.Context())
	req.Body = io.NopCloser(bytes.NewReader(raw))
	ce, err := cloudevents.NewEventFromHTTPRequest(req)
	if err != nil {
		return fmt.Errorf("not a CloudEvent: %w", err)
	}
	return s.validator.Validate(*ce)
}

func (s *Sink) fail(w http.ResponseWriter, msg string) {
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
	http.Error(w, msg, http.StatusBadRequest)
}

// Tally is what a sink received so far.
type Tally struct {
	// Requests counts accepted and refused requests.
	Requests int
	// Accepted counts accepted requests, redeliveries included.
	Accepted int
	// Distinct counts distinct event ids.
	Distinct int
	// First and Last are when the first and the latest new id arrived.
	First, Last time.Time
	// Errors describes refused requests.
	Errors []string
}

// Tally returns what the sink received so far.
func (s *Sink) Tally() Tally {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Tally{
		Requests: s.requests + len(s.errs),
		Accepted: len(s.events),
		Distinct: len(s.seen),
		First:    s.first,
		Last:     s.lastNew,
		Errors:   append([]string(nil), s.errs...),
	}
}

// Events returns every accepted event in arrival order, redeliveries
// included.
func (s *Sink) Events() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.events...)
}

// Error strings of WaitDistinct.
const (
	errFmtStalled = "%d of %d events arrived, then none for %s"
	errFmtTimeout = "%d of %d events arrived within %s"
)

// WaitDistinct waits until n distinct ids arrived. It gives up when no new
// id arrived for stall, or when timeout passed, and says so.
func (s *Sink) WaitDistinct(n int, stall, timeout time.Duration) error {
	begin := time.Now()
	deadline := begin.Add(timeout)
	for {
		s.mu.Lock()
		got, last := len(s.seen), s.lastNew
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		now := time.Now()
		if last.Before(begin) {
			last = begin
		}
		if now.Sub(last) > stall {
			return errors.Errorf(errFmtStalled, got, n, stall)
		}
		if now.After(deadline) {
			return errors.Errorf(errFmtTimeout, got, n, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ByCluster groups events by cluster name, in arrival order, keeping the
// first delivery of each id only: a redelivery carries the same id and
// says nothing new.
func ByCluster(events []Event) map[string][]Event {
	out := map[string][]Event{}
	seen := map[string]bool{}
	for _, e := range events {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		out[e.Name] = append(out[e.Name], e)
	}
	return out
}
