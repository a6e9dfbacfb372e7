//go:build e2e

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

package e2e

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// received is one CloudEvent as the sink got it.
type received struct {
	summary cdevent.Summary
	// invalid says why the event broke the CDEvents spec or binding.
	invalid error
}

// name is the event's CDEvents predicate and the provider's lifecycle,
// such as "environment.modified/ready".
func (r received) name() string {
	// dev.cdevents.environment.created.0.3.0 -> environment.created
	parts := strings.SplitN(strings.TrimPrefix(r.summary.Type, "dev.cdevents."), ".", 3)
	return strings.Join(parts[:min(2, len(parts))], ".") + "/" + string(r.summary.Lifecycle)
}

// sink is a CloudEvents HTTP receiver in the test process, standing in for
// cdviz or a Knative Broker. It checks every event against the CDEvents
// schemas as it arrives.
type sink struct {
	srv *httptest.Server
	v   *cdevent.Validator

	mu  sync.Mutex
	got []received
}

// newSink starts a sink on 127.0.0.1 that stops when t ends.
func newSink(t *testing.T) *sink {
	t.Helper()
	v, err := cdevent.NewValidator()
	if err != nil {
		t.Fatalf("cdevent.NewValidator(): %v", err)
	}
	s := &sink{v: v}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sink) serve(w http.ResponseWriter, r *http.Request) {
	ce, err := cloudevents.NewEventFromHTTPRequest(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec := received{invalid: s.v.Validate(*ce)}
	if ev, err := cdevent.Parse(*ce); err == nil {
		rec.summary = cdevent.Summarize(ev)
	} else if rec.invalid == nil {
		rec.invalid = err
	}
	s.mu.Lock()
	s.got = append(s.got, rec)
	s.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

// about returns the events about one cluster object, in arrival order,
// once each: a re-sent event has the same id.
func (s *sink) about(name string) []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	var out []received
	for _, r := range s.got {
		if r.summary.Name != name || seen[r.summary.ID] {
			continue
		}
		seen[r.summary.ID] = true
		out = append(out, r)
	}
	return out
}

// invalid returns every event that broke the CDEvents spec or binding,
// whatever it was about.
func (s *sink) invalid() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []error
	for _, r := range s.got {
		if r.invalid != nil {
			out = append(out, r.invalid)
		}
	}
	return out
}

// names lists the names of events.
func names(rs []received) []string {
	out := make([]string, 0, len(rs))
	for _, r := range rs {
		out = append(out, r.name())
	}
	return out
}
