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
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// serve runs Serve on a loopback port until the test ends.
func serve(t *testing.T, h http.Handler, opts ...ServeOption) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, l, h, opts...) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Log(err)
		}
	})
	return l.Addr().String()
}

// TestServeDropsSlowClients: a client that opens a connection and never
// finishes its request headers is disconnected.
func TestServeDropsSlowClients(t *testing.T) {
	r, err := New()
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, r.Handler(), WithReadTimeouts(200*time.Millisecond, time.Second))
	c, err := (&net.Dialer{}).DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\n"); err != nil {
		t.Fatal(err)
	}
	// Generous: the server closes after 200ms; a server without a timeout
	// keeps the connection for the whole 10s.
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err = io.ReadAll(c)
	if ne := (net.Error)(nil); errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("a client that never finished its headers was kept connected: %v", err)
	}
}

// TestStreamOutlivesReadTimeout: an event stream stays open, and carries
// new events, long after the server's read timeout.
func TestStreamOutlivesReadTimeout(t *testing.T) {
	r, err := New(WithHeartbeat(50 * time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, r.Handler(), WithReadTimeouts(100*time.Millisecond, 200*time.Millisecond))
	resp := get(t, "http://"+addr+"/api/stream", nil)
	defer resp.Body.Close()
	time.Sleep(600 * time.Millisecond)
	e := build(t, "prod-1", v1alpha1.LifecycleCreated, 1, cdevent.Options{})
	post, err := http.DefaultClient.Do(request(t, "http://"+addr+"/", e.ces[0], EncodingBinary))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	_ = post.Body.Close()
	got := readSSE(t, bufio.NewReader(resp.Body), 1)
	if diff := cmp.Diff("1", got[0].ID); diff != "" {
		t.Errorf("the stream after the read timeout: -want id, +got id:\n%s", diff)
	}
}

// TestStreamSubscriberCap: streams beyond the cap are refused with 503
// and a Retry-After, and a closed stream frees its place.
func TestStreamSubscriberCap(t *testing.T) {
	r, err := New(WithMaxSubscribers(2), WithHeartbeat(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, r.Handler())
	url := "http://" + addr + "/api/stream"
	first, second := get(t, url, nil), get(t, url, nil)
	defer second.Body.Close()
	third := get(t, url, nil)
	_ = third.Body.Close()
	if diff := cmp.Diff([]int{200, 200, 503}, []int{first.StatusCode, second.StatusCode, third.StatusCode}); diff != "" {
		t.Errorf("three streams with a cap of two: -want, +got:\n%s", diff)
	}
	if third.Header.Get("Retry-After") == "" {
		t.Errorf("a refused stream has no Retry-After")
	}
	_ = first.Body.Close()
	var code int
	for range 100 {
		again := get(t, url, nil)
		code = again.StatusCode
		_ = again.Body.Close()
		if code == http.StatusOK {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code != http.StatusOK {
		t.Errorf("a stream after one closed: HTTP %d", code)
	}
}
