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

package controller_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"

// faultyAPI sits between the provider and the API server and misbehaves
// the way an API server does during a rollout, under priority and
// fairness, or behind a flaky load balancer: it answers some reads of one
// API group and of CRDs with 500 or 429, answers some watches with 410
// Gone, and cuts the others after a few seconds. Writes pass untouched.
type faultyAPI struct {
	group string // API group whose reads are disturbed

	mu sync.Mutex
	// failLists answers the next n lists with 500 or 429.
	failLists int
	// goneWatches answers the next n watches with 410 Gone.
	goneWatches int
	// cutAfter is the shortest life of a watch; it is cut cleanly, as a
	// load balancer ends a long request, up to twice as late. 0 never cuts.
	cutAfter time.Duration
	// crdFailures answers the next n gets of a CRD with 500 or 429.
	crdFailures map[string]int
	// blackout answers every list of the group with 410 Expired and every
	// watch with 410 Gone, as after etcd compaction during an outage.
	blackout bool
	streams  map[*cutBody]bool

	reads, watches int
	// What happened, for the test to check that faults did occur.
	failed, gone, cut, cutHard, relists int
	// Requests of the group made in a way the provider must not use: a
	// list without a page size, or a streaming list.
	unpaged, streamed int
}

func newFaultyAPI(group string) *faultyAPI {
	return &faultyAPI{group: group, crdFailures: map[string]int{}, streams: map[*cutBody]bool{}}
}

// config returns cfg with requests going through f.
func (f *faultyAPI) config(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
		return roundTripperFn(func(r *http.Request) (*http.Response, error) { return f.roundTrip(rt, r) })
	}
	return c
}

type roundTripperFn func(*http.Request) (*http.Response, error)

func (fn roundTripperFn) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }

func (f *faultyAPI) set(fn func(f *faultyAPI)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// counts returns a copy of f's counters.
func (f *faultyAPI) counts() faultCounts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return faultCounts{watches: f.watches, reads: f.reads, failed: f.failed, gone: f.gone, cut: f.cut, cutHard: f.cutHard, relists: f.relists, unpaged: f.unpaged, streamed: f.streamed}
}

type faultCounts struct {
	watches, reads                                         int
	failed, gone, cut, cutHard, relists, unpaged, streamed int
}

// cutAll breaks every open watch of the group now, as if the API server
// restarted.
func (f *faultyAPI) cutAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for b := range f.streams {
		f.cutHard++
		b.cutNow(true)
	}
}

func (f *faultyAPI) roundTrip(rt http.RoundTripper, r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet {
		return rt.RoundTrip(r)
	}
	q := r.URL.Query()
	isWatch := q.Get("watch") == "true" || q.Get("watch") == "1"
	ofGroup := strings.HasPrefix(r.URL.Path, "/apis/"+f.group+"/")
	crdName, isCRDGet := strings.CutPrefix(r.URL.Path, crdPath+"/")
	if !ofGroup && !isCRDGet {
		return rt.RoundTrip(r)
	}

	f.mu.Lock()
	switch {
	case isCRDGet && f.crdFailures[crdName] > 0:
		f.crdFailures[crdName]--
		f.failed++
		n := f.crdFailures[crdName]
		f.mu.Unlock()
		return failure(r, n), nil
	case isCRDGet:
		f.mu.Unlock()
		return rt.RoundTrip(r)
	case isWatch:
		f.watches++
		if q.Get("sendInitialEvents") == "true" {
			f.streamed++
		}
		if f.blackout || f.goneWatches > 0 {
			f.goneWatches = max(f.goneWatches-1, 0)
			f.gone++
			n := f.gone
			f.mu.Unlock()
			return goneWatch(r, n%2 == 1), nil
		}
		cutAfter := f.cutAfter
		f.mu.Unlock()
		resp, err := rt.RoundTrip(r)
		if err != nil || resp.StatusCode != http.StatusOK || cutAfter == 0 {
			return resp, err
		}
		return f.cutting(resp, cutAfter), nil
	default:
		f.reads++
		if q.Get("limit") == "" && q.Get("continue") == "" {
			f.unpaged++
		}
		if q.Get("continue") == "" {
			f.relists++
		}
		if f.blackout {
			f.gone++
			f.mu.Unlock()
			return status(r, http.StatusGone, metav1.StatusReasonExpired, "The provided continue parameter is too old to display a consistent list result."), nil
		}
		if f.failLists > 0 {
			f.failLists--
			f.failed++
			n := f.failed
			f.mu.Unlock()
			return failure(r, n), nil
		}
		f.mu.Unlock()
		return rt.RoundTrip(r)
	}
}

// cutting wraps a watch stream so that it ends cleanly after d to 2d;
// client-go resumes it from the last resource version it saw.
func (f *faultyAPI) cutting(resp *http.Response, d time.Duration) *http.Response {
	b := &cutBody{rc: resp.Body, f: f}
	f.mu.Lock()
	f.streams[b] = true
	f.mu.Unlock()
	b.timer = time.AfterFunc(d+time.Duration(rand.Int64N(int64(d))), func() {
		f.mu.Lock()
		f.cut++
		f.mu.Unlock()
		b.cutNow(false)
	})
	resp.Body = b
	return resp
}

// cutBody is a watch stream the test can cut: cleanly (end of stream) or
// broken (an error, after which client-go lists again).
type cutBody struct {
	rc    io.ReadCloser
	f     *faultyAPI
	timer *time.Timer
	cut   atomic.Int32 // 1 clean, 2 broken
	once  sync.Once
}

func (b *cutBody) cutNow(hard bool) {
	b.once.Do(func() {
		if hard {
			b.cut.Store(2)
		} else {
			b.cut.Store(1)
		}
		_ = b.rc.Close()
	})
}

var errCut = errors.New("stream cut")

func (b *cutBody) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	switch b.cut.Load() {
	case 1:
		return 0, io.EOF
	case 2:
		return 0, errCut
	}
	return n, err
}

func (b *cutBody) Close() error {
	b.timer.Stop()
	b.f.mu.Lock()
	delete(b.f.streams, b)
	b.f.mu.Unlock()
	return b.rc.Close()
}

// failure is a 500 or, every other time, a 429 without Retry-After (so
// client-go does not retry it itself).
func failure(r *http.Request, n int) *http.Response {
	if n%2 == 0 {
		return status(r, http.StatusTooManyRequests, metav1.StatusReasonTooManyRequests, "Too many requests, please try again later.")
	}
	return status(r, http.StatusInternalServerError, metav1.StatusReasonInternalError, "Internal error occurred: injected")
}

// goneWatch answers a watch with 410 Gone: as the HTTP status, or, as the
// API server does for a watch from a compacted resource version, as an
// ERROR event of a stream that then ends.
func goneWatch(r *http.Request, asEvent bool) *http.Response {
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: http.StatusGone, Reason: metav1.StatusReasonExpired,
		Message: "too old resource version: 1 (2)",
	}
	if !asEvent {
		return status(r, http.StatusGone, metav1.StatusReasonExpired, st.Message)
	}
	obj, _ := json.Marshal(st)
	ev, _ := json.Marshal(map[string]any{"type": "ERROR", "object": json.RawMessage(obj)})
	return &http.Response{
		StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": []string{"application/json"}},
		Body:    io.NopCloser(bytes.NewReader(append(ev, '\n'))),
		Request: r,
	}
}

func status(r *http.Request, code int, reason metav1.StatusReason, msg string) *http.Response {
	b, _ := json.Marshal(metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure, Code: int32(code), Reason: reason, Message: msg,
	})
	return &http.Response{
		StatusCode: code, Status: http.StatusText(code), Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:  http.Header{"Content-Type": []string{"application/json"}},
		Body:    io.NopCloser(bytes.NewReader(b)),
		Request: r,
	}
}
