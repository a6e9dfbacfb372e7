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
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// backend stands in for the API server: it answers 200, and streams
// watches until the client goes.
func backend(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"kind":"List"}`)
		if !isWatch(r) {
			return
		}
		f, _ := w.(http.Flusher)
		for {
			f.Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(50 * time.Millisecond):
				_, _ = io.WriteString(w, "\n")
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func do(t *testing.T, method, url string) (int, http.Header, []byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// A GET carries no body, as client-go's reads and watches do: a body the
	// proxy has not yet forwarded when it answers is closed under the
	// transport (net/http closes an unread request body once the answer's
	// headers are written), and the backend connection with it.
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b, err
}

func TestAPIProxyFaults(t *testing.T) {
	type want struct {
		status int
		reason metav1.StatusReason
		count  string
	}
	cases := map[string]struct {
		reason string
		faults APIFaults
		method string
		path   string
		want   want
	}{
		"Forward": {
			reason: "Without faults every request reaches the API server.",
			method: http.MethodGet, path: "/api/v1/namespaces",
			want: want{status: http.StatusOK},
		},
		"Gone": {
			reason: "A watch may be answered 410 Gone with reason Expired, as after a compaction.",
			faults: APIFaults{WatchGoneRate: 1},
			method: http.MethodGet, path: "/api/v1/namespaces?watch=true&resourceVersion=1",
			want: want{status: http.StatusGone, reason: metav1.StatusReasonExpired, count: FaultWatchGone},
		},
		"ReadError": {
			reason: "A read may be answered 500 or 429.",
			faults: APIFaults{ReadErrorRate: 1},
			method: http.MethodGet, path: "/api/v1/namespaces",
			want: want{status: -1},
		},
		"WritesPass": {
			reason: "Writes are never faulted.",
			faults: APIFaults{ReadErrorRate: 1, WatchGoneRate: 1},
			method: http.MethodPost, path: "/api/v1/namespaces",
			want: want{status: http.StatusOK},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := NewAPIProxy(&rest.Config{Host: backend(t).URL})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.SetFaults(tc.faults)
			code, h, body, err := do(t, tc.method, p.URL()+tc.path)
			if err != nil {
				t.Fatalf("%s\n%s %s: %v", tc.reason, tc.method, tc.path, err)
			}
			if tc.want.status == -1 {
				if code != http.StatusInternalServerError && (code != http.StatusTooManyRequests || h.Get("Retry-After") == "") {
					t.Errorf("%s\nstatus %d (Retry-After %q), want 500, or 429 with Retry-After", tc.reason, code, h.Get("Retry-After"))
				}
				return
			}
			if code != tc.want.status {
				t.Errorf("%s\nstatus: got %d, want %d", tc.reason, code, tc.want.status)
			}
			if tc.want.reason != "" {
				st := metav1.Status{}
				if err := json.Unmarshal(body, &st); err != nil {
					t.Fatalf("%s\nnot a Status: %v", tc.reason, err)
				}
				if diff := cmp.Diff(tc.want.reason, st.Reason); diff != "" {
					t.Errorf("%s\nreason: -want, +got:\n%s", tc.reason, diff)
				}
			}
			if tc.want.count != "" && p.Counts()[tc.want.count] != 1 {
				t.Errorf("%s\ncounts: %v, want one %s", tc.reason, p.Counts(), tc.want.count)
			}
		})
	}
}

func TestAPIProxyWatchCut(t *testing.T) {
	p, err := NewAPIProxy(&rest.Config{Host: backend(t).URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetFaults(APIFaults{WatchCutAfter: 300 * time.Millisecond})
	begin := time.Now()
	code, _, body, err := do(t, http.MethodGet, p.URL()+"/api/v1/namespaces?watch=1")
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("the watch ran %s, want it cut within 300ms", took)
	}
	if p.Counts()[FaultWatchCut] != 1 {
		t.Errorf("counts: %v, want one %s (answer %d %q, error %v)", p.Counts(), FaultWatchCut, code, body, err)
	}
}

func TestAPIProxyDownUp(t *testing.T) {
	p, err := NewAPIProxy(&rest.Config{Host: backend(t).URL})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Down()
	if _, _, _, err := do(t, http.MethodGet, p.URL()+"/api"); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("while down: got %v, want connection refused", err)
	}
	if err := p.Up(); err != nil {
		t.Fatal(err)
	}
	if code, _, _, err := do(t, http.MethodGet, p.URL()+"/api"); err != nil || code != http.StatusOK {
		t.Errorf("after Up: got %d, %v, want 200", code, err)
	}
}

func TestSinkFaults(t *testing.T) {
	s, err := NewSink()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Respond(func(_ string, n int) Answer {
		if n == 1 {
			return Answer{Status: http.StatusServiceUnavailable, RetryAfter: "2"}
		}
		return Answer{Status: http.StatusRequestEntityTooLarge}
	})
	code, h, _, err := do(t, http.MethodPost, s.URL())
	if err != nil || code != http.StatusServiceUnavailable || h.Get("Retry-After") != "2" {
		t.Errorf("first attempt: got %d (Retry-After %q), %v, want 503 with Retry-After 2", code, h.Get("Retry-After"), err)
	}
	if code, _, _, _ := do(t, http.MethodPost, s.URL()); code != http.StatusRequestEntityTooLarge {
		t.Errorf("second attempt: got %d, want 413", code)
	}
	if got := s.EarlyRetries(); got != 1 {
		t.Errorf("EarlyRetries(): got %d, want 1 (the second attempt came at once after Retry-After: 2)", got)
	}
	s.Respond(nil)
	// Accepted requests are validated: this one is no CloudEvent.
	if code, _, _, _ := do(t, http.MethodPost, s.URL()); code != http.StatusBadRequest || len(s.Errors()) != 1 {
		t.Errorf("invalid event: got %d and errors %v, want 400 and one error", code, s.Errors())
	}
	s.Down()
	if _, _, _, err := do(t, http.MethodPost, s.URL()); err == nil {
		t.Errorf("while down: the sink answered")
	}
	if err := s.Up(); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := do(t, http.MethodPost, s.URL()); err != nil {
		t.Errorf("after Up: %v", err)
	}
	if got, want := s.FaultsString(), "413×1 503×1 down×1"; got != want {
		t.Errorf("FaultsString(): got %q, want %q", got, want)
	}
}
