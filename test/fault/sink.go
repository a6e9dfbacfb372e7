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

package fault

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// An Answer is how the sink answers one request: Status 0 accepts the event
// (it is validated and recorded), any other status refuses it. Delay holds
// the answer first, as a slow sink does; RetryAfter, when set, is sent as
// the Retry-After header.
type Answer struct {
	Status     int
	Delay      time.Duration
	RetryAfter string
}

// A Responder decides the answer to the attempt-th request (from 1) that
// carries the CloudEvent id.
type Responder func(id string, attempt int) Answer

// Accept accepts everything.
func Accept(string, int) Answer { return Answer{} }

// Sink is a real CloudEvents sink in the test process: every event it
// accepts is validated against the CDEvents schema and recorded. In front
// of the recorder it injects faults: refused or slow answers, and going
// fully down (connection refused) and coming back on the same address.
type Sink struct {
	rec  *testkit.Sink
	tls  *httptest.Server
	addr string

	mu       sync.Mutex
	srv      *http.Server
	ln       net.Listener
	respond  Responder
	attempts map[string]int
	injected map[int]int
	downs    int
	// notBefore is when each id may be retried after a Retry-After.
	notBefore map[string]time.Time
	early     int
	// cascadesApart keeps cascade incidents out of Received: the sink
	// asks for them, and CheckCascades checks them.
	cascadesApart bool
}

// CascadesApart says the sink asks for cascades: Received leaves their
// incidents out, Cascades returns them.
func (s *Sink) CascadesApart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cascadesApart = true
}

// Cascades returns every accepted cascade incident.
func (s *Sink) Cascades() []Got {
	var out []Got
	for _, g := range s.received() {
		if IsCascade(g) {
			out = append(out, g)
		}
	}
	return out
}

// NewSink starts a plain HTTP sink on a free loopback port.
func NewSink() (*Sink, error) {
	s, err := newSink()
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Wrap(err, "cannot listen for the sink")
	}
	s.addr = l.Addr().String()
	s.serve(l)
	return s, nil
}

// NewTLSSink starts an HTTPS sink whose certificate no system root
// trusts.
func NewTLSSink() (*Sink, error) {
	s, err := newSink()
	if err != nil {
		return nil, err
	}
	s.tls = httptest.NewUnstartedServer(s)
	s.tls.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.tls.StartTLS()
	return s, nil
}

func newSink() (*Sink, error) {
	rec, err := testkit.NewSink()
	if err != nil {
		return nil, err
	}
	// Only its handler is used: it validates and records.
	rec.Close()
	return &Sink{rec: rec, respond: Accept, attempts: map[string]int{}, injected: map[int]int{}, notBefore: map[string]time.Time{}}, nil
}

// URL of the sink.
func (s *Sink) URL() string {
	if s.tls != nil {
		return s.tls.URL
	}
	return "http://" + s.addr + "/"
}

// Respond sets how the sink answers from now on; nil accepts everything.
func (s *Sink) Respond(r Responder) {
	if r == nil {
		r = Accept
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.respond = r
}

// Down stops listening: the provider gets connection refused until Up.
func (s *Sink) Down() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	if srv != nil {
		s.downs++
	}
	s.mu.Unlock()
	if srv != nil {
		// Close the listener first: Serve may not have taken it yet.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// Up listens again on the same address.
func (s *Sink) Up() error {
	var l net.Listener
	var err error
	for range 50 {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return errors.Wrapf(err, "cannot listen again on %s", s.addr)
	}
	s.serve(l)
	return nil
}

// Close stops the sink.
func (s *Sink) Close() {
	if s.tls != nil {
		s.tls.Close()
		return
	}
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv != nil {
		_ = ln.Close()
		_ = srv.Close()
	}
}

func (s *Sink) serve(l net.Listener) {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	s.mu.Lock()
	s.srv, s.ln = srv, l
	s.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// ServeHTTP answers one delivery attempt.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get("Ce-Id")
	s.mu.Lock()
	now := time.Now()
	if nb, ok := s.notBefore[id]; ok && now.Before(nb.Add(-earlySlack)) {
		s.early++
	}
	delete(s.notBefore, id)
	s.attempts[id]++
	a := s.respond(id, s.attempts[id])
	if a.Status != 0 {
		s.injected[a.Status]++
	}
	if secs, err := strconv.Atoi(a.RetryAfter); err == nil && a.Status != 0 {
		s.notBefore[id] = now.Add(a.Delay + time.Duration(secs)*time.Second)
	}
	s.mu.Unlock()
	if a.Delay > 0 {
		select {
		case <-time.After(a.Delay):
		case <-r.Context().Done():
			// The sender gave up; a slow sink still processes what it
			// read, as real ones do.
		}
	}
	if a.Status != 0 {
		if a.RetryAfter != "" {
			w.Header().Set("Retry-After", a.RetryAfter)
		}
		http.Error(w, "refused by the fault sink", a.Status)
		return
	}
	s.rec.ServeHTTP(w, r)
}

// Injected describes the faults the sink injected so far: refusals by
// status, and how often it went down.
func (s *Sink) Injected() (byStatus map[int]int, downs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int]int, len(s.injected))
	for k, v := range s.injected {
		out[k] = v
	}
	return out, s.downs
}

// earlySlack forgives clock and scheduling noise in EarlyRetries.
const earlySlack = 50 * time.Millisecond

// EarlyRetries counts retries that came sooner than the Retry-After the
// sink asked for.
func (s *Sink) EarlyRetries() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.early
}

// Errors returns every event that failed schema validation or parsing.
func (s *Sink) Errors() []string { return s.rec.Errors() }

// Received returns every accepted event as the checker reads it, but
// cascade incidents when the sink keeps them apart.
func (s *Sink) Received() []Got {
	s.mu.Lock()
	apart := s.cascadesApart
	s.mu.Unlock()
	all := s.received()
	if !apart {
		return all
	}
	out := all[:0]
	for _, g := range all {
		if !IsCascade(g) {
			out = append(out, g)
		}
	}
	return out
}

// received returns every accepted event as the checker reads it.
func (s *Sink) received() []Got {
	rs := s.rec.Received()
	out := make([]Got, 0, len(rs))
	for _, r := range rs {
		g := Got{
			ID:        r.Summary.ID,
			Type:      r.Summary.Type,
			SubjectID: r.Summary.SubjectID,
			Lifecycle: string(r.Summary.Lifecycle),
			Timestamp: r.Summary.Timestamp,
			Time:      r.Event.Time(),
			CEID:      r.Event.ID(),
		}
		cd := struct {
			CustomData struct {
				Crossplane struct {
					UID string `json:"uid"`
				} `json:"crossplane"`
			} `json:"customData"`
		}{}
		if err := json.Unmarshal(r.Event.Data(), &cd); err == nil {
			g.UID = cd.CustomData.Crossplane.UID
		}
		out = append(out, g)
	}
	return out
}

// FaultsString describes the injected faults for the table.
func (s *Sink) FaultsString() string {
	by, downs := s.Injected()
	out := ""
	for _, code := range []int{400, 404, 408, 409, 413, 429, 500, 502, 503} {
		if n := by[code]; n > 0 {
			out = joinFault(out, strconv.Itoa(code)+"×"+strconv.Itoa(n))
		}
	}
	if downs > 0 {
		out = joinFault(out, "down×"+strconv.Itoa(downs))
	}
	return out
}

func joinFault(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}
