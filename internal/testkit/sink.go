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

package testkit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// Received is one event a sink accepted, with what the test needs to check.
type Received struct {
	Event   cloudevents.Event
	Summary cdevent.Summary
	Header  http.Header
	At      time.Time
}

// A Responder decides the HTTP status of the n-th request (from 1). It may
// set headers, such as Retry-After.
type Responder func(n int, h http.Header) int

// A RequestResponder decides the HTTP status of the n-th request (from 1)
// from the request's headers, such as its Ce-Type or Ce-Id. It must not
// read the body.
type RequestResponder func(r *http.Request, n int, h http.Header) int

// Sink is a real CloudEvents receiver on an httptest server. Every request
// it accepts is validated against the CDEvents schemas; an invalid event is
// answered with 400 and recorded as an error.
type Sink struct {
	Server *httptest.Server

	validator *cdevent.Validator
	mu        sync.Mutex
	respond   Responder
	byRequest RequestResponder
	requests  int
	received  []Received
	attempted map[string]int
	errs      []string
	changed   chan struct{}
}

// NewSink starts a plain HTTP sink.
func NewSink() (*Sink, error) {
	s, err := newSink()
	if err != nil {
		return nil, err
	}
	s.Server = httptest.NewServer(s)
	return s, nil
}

func newSink() (*Sink, error) {
	v, err := cdevent.NewValidator()
	if err != nil {
		return nil, err
	}
	return &Sink{validator: v, changed: make(chan struct{}), attempted: map[string]int{}}, nil
}

// URL of the sink.
func (s *Sink) URL() string { return s.Server.URL }

// Close stops the sink.
func (s *Sink) Close() { s.Server.Close() }

// Respond sets how the sink answers from now on; nil accepts everything.
// It replaces any RequestResponder.
func (s *Sink) Respond(r Responder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond, s.byRequest = r, nil
}

// RespondToRequest sets how the sink answers from now on, request by
// request; nil accepts everything. It replaces any Responder.
func (s *Sink) RespondToRequest(r RequestResponder) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond, s.byRequest = nil, r
}

// ServeHTTP accepts one CloudEvent.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	if id := r.Header.Get("Ce-Id"); id != "" {
		s.attempted[id]++
	}
	n, respond, byRequest := s.requests, s.respond, s.byRequest
	s.mu.Unlock()
	code := statusOK
	switch {
	case respond != nil:
		code = respond(n, w.Header())
	case byRequest != nil:
		code = byRequest(r, n, w.Header())
	}
	if code != statusOK {
		w.WriteHeader(code)
		return
	}
	ev, err := cloudevents.NewEventFromHTTPRequest(r)
	if err != nil {
		s.fail(w, fmt.Sprintf("not a CloudEvent: %v", err))
		return
	}
	if err := s.validator.Validate(*ev); err != nil {
		s.fail(w, fmt.Sprintf("invalid CDEvent %s: %v", ev.ID(), err))
		return
	}
	parsed, err := cdevent.Parse(*ev)
	if err != nil {
		s.fail(w, fmt.Sprintf("cannot parse CDEvent %s: %v", ev.ID(), err))
		return
	}
	s.mu.Lock()
	s.received = append(s.received, Received{Event: *ev, Summary: cdevent.Summarize(parsed), Header: r.Header.Clone(), At: time.Now()})
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (s *Sink) fail(w http.ResponseWriter, msg string) {
	s.mu.Lock()
	s.errs = append(s.errs, msg)
	s.mu.Unlock()
	http.Error(w, msg, http.StatusBadRequest)
}

// Received returns the events accepted so far, in arrival order.
func (s *Sink) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Requests counts every request, accepted or not.
func (s *Sink) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Attempted counts requests per CloudEvents id (binary encoding), accepted
// or not: retries must carry the id of the first attempt.
func (s *Sink) Attempted() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.attempted))
	for k, v := range s.attempted {
		out[k] = v
	}
	return out
}

// Errors returns every invalid request's description.
func (s *Sink) Errors() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.errs...)
}

// Lifecycles lists, in arrival order, the lifecycles received for one
// cluster name (the object's name or external name).
func (s *Sink) Lifecycles(name string) []string {
	var out []string
	for _, r := range s.Received() {
		if r.Summary.Name == name && strings.HasPrefix(r.Summary.Type, "dev.cdevents.environment.") {
			out = append(out, string(r.Summary.Lifecycle))
		}
	}
	return out
}

// WaitFor waits until cond holds for the received events, or the timeout
// passes, and says whether it held.
func (s *Sink) WaitFor(timeout time.Duration, cond func([]Received) bool) bool {
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		got, ch := append([]Received(nil), s.received...), s.changed
		s.mu.Unlock()
		if cond(got) {
			return true
		}
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			return false
		}
	}
}
