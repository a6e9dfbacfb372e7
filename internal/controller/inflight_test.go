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
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// refuseLedgerWrites is a REST config whose writes to ObservedClusters the
// API server never receives: they fail as a write lost in a crash would.
func refuseLedgerWrites(refused *atomic.Int64) *rest.Config {
	return refuseLedgerWritesWhile(func() bool { return true }, refused)
}

// refuseLedgerWritesWhile is refuseLedgerWrites while refuse says so;
// refused, when set, counts the writes refused.
func refuseLedgerWritesWhile(refuse func() bool, refused *atomic.Int64) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFn(func(r *http.Request) (*http.Response, error) {
			if refuse() && r.Method != http.MethodGet && strings.Contains(r.URL.Path, "/observedclusters") {
				if refused != nil {
					refused.Add(1)
				}
				return unavailable(r), nil
			}
			return rt.RoundTrip(r)
		})
	})
	return c
}

// unavailable is the API server's answer to a request it cannot serve now.
func unavailable(r *http.Request) *http.Response {
	return &http.Response{StatusCode: http.StatusServiceUnavailable, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"ServiceUnavailable","code":503}`)), Request: r}
}

type roundTripFn func(*http.Request) (*http.Response, error)

func (fn roundTripFn) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }

// sent is what identifies an event to a receiver that deduplicates.
type sent struct{ ID, Time string }

func sentFor(s *testkit.Sink, name string) map[string][]sent {
	out := map[string][]sent{}
	for _, r := range s.Received() {
		if r.Summary.Name == name && strings.HasPrefix(r.Summary.Type, "dev.cdevents.environment.") {
			l := string(r.Summary.Lifecycle)
			out[l] = append(out[l], sent{ID: r.Event.ID(), Time: r.Event.Time().UTC().Format(time.RFC3339Nano)})
		}
	}
	return out
}

// TestSentBeforeRecorded: once a cluster has a ledger, transitions whose
// time the object records are sent while their ledger write is in flight,
// so they arrive even when no ledger write lands; so are those timed by the
// newest time the object carries (a cloud state). A provider that then dies
// with nothing recorded loses none of what the objects still show: its
// successor detects the transitions again, sends them with the ids and
// times the sink already has, and records them. A cluster's first events
// wait for its ledger's first write: while none lands, nothing of the
// cluster is sent.
func TestSentBeforeRecorded(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	kube := kubeClient(t)
	var refused atomic.Int64
	first := startProvider(t, testkit.WithLedgerConfig(refuseLedgerWrites(&refused)))

	pc := clusterProviderConfig("inflight", sink.URL(), selectLabel("inflight"), fastRetry)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	const name = "inflight-a"
	if _, err := eks.Create(ctx, name, map[string]any{"region": "eu-west-1"}, map[string]string{"test": "inflight"}); err != nil {
		t.Fatal(err)
	}
	l := fleetsim.Lifecycle{C: eks, Name: name}
	if err := l.CreateRequested(ctx, t0); err != nil {
		t.Fatal(err)
	}
	// The cluster has no ledger yet: its created event waits for the
	// ledger's first write, which is refused, retried and refused again.
	if err := testkit.Eventually(waitLong, func() error {
		if n := refused.Load(); n < 3 {
			return errorf("%d ledger writes refused, want 3", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if got := sentFor(sink, name); len(got) != 0 {
		t.Fatalf("with the cluster's first ledger write refused: got %v, want nothing sent", got)
	}
	a, err := eks.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ledgerOfObject(ctx, t, a.GetUID()); err == nil {
		t.Fatalf("a ledger exists although every write was refused")
	}
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	second := startProvider(t)
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sentFor(sink, name)["created"]) == 1 }) {
		t.Fatalf("with ledger writes landing: got %v, want created", sentFor(sink, name))
	}
	if err := second.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// Ready, once the cluster has a ledger: its time is in the object, so
	// it is sent while its write is in flight.
	third := startProvider(t, testkit.WithLedgerConfig(refuseLedgerWrites(&refused)))
	if err := l.Ready(ctx, t0.Add(10*time.Minute), "1.30"); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sentFor(sink, name)["ready"]) == 1 }) {
		t.Fatalf("with every ledger write refused: got %v, want ready sent while its write is refused (errors %v)", sentFor(sink, name), sink.Errors())
	}
	before := sentFor(sink, name)
	if err := third.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	fourth := startProvider(t)
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sentFor(sink, name)["ready"]) == 2 }) {
		t.Fatalf("after the restart: got %v, want ready sent again", sentFor(sink, name))
	}
	after := sentFor(sink, name)
	// A provider stopped right after the sink took created may not have
	// persisted that progress, nor can one whose ledger writes are
	// refused: created may arrive again, but only ever as it was sent.
	for _, c := range after["created"][1:] {
		if c != after["created"][0] {
			t.Errorf("created: want every send to carry the id and time of the first, got %v", after["created"])
			break
		}
	}
	if len(after["ready"]) != 2 {
		t.Errorf("ready: want it sent once before and once after the restart, got %v", after["ready"])
	} else if diff := cmp.Diff(before["ready"][0], after["ready"][1]); diff != "" {
		t.Errorf("ready sent again after the restart: want the id and time sent before, -before, +after:\n%s", diff)
	}
	err = testkit.Eventually(waitLong, func() error {
		oc, err := ledgerOfObject(ctx, t, a.GetUID())
		if err != nil {
			return err
		}
		if len(oc.Status.Events) != 2 {
			return errorf("ledger holds %d events, want 2", len(oc.Status.Events))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after the restart: %v", err)
	}

	// The cloud reports the cluster FAILED while Ready stays True: the
	// object records no time for that, so the degraded transition takes
	// the newest time the object carries. It is sent while its write is
	// in flight too, and found again after a crash with the same time
	// and id as long as the object was not written again in between.
	if err := fourth.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	fifth := startProvider(t, testkit.WithLedgerConfig(refuseLedgerWrites(&refused)))
	if err := l.CloudState(ctx, fleetsim.StateFailed, ""); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sentFor(sink, name)["degraded"]) == 1 }) {
		t.Fatalf("with every ledger write refused: got %v, want degraded sent", sentFor(sink, name))
	}
	degraded := sentFor(sink, name)["degraded"][0]
	if err := fifth.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	startProvider(t)
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sentFor(sink, name)["degraded"]) == 2 }) {
		t.Fatalf("with ledger writes landing again: got %v, want degraded sent again", sentFor(sink, name))
	}
	if diff := cmp.Diff(degraded, sentFor(sink, name)["degraded"][1]); diff != "" {
		t.Errorf("degraded sent again after the restart: want the id and time sent before, -before, +after:\n%s", diff)
	}
	err = testkit.Eventually(waitLong, func() error {
		oc, err := ledgerOfObject(ctx, t, a.GetUID())
		if err != nil {
			return err
		}
		if n := len(oc.Status.Events); n != 3 || oc.Status.Events[2].Lifecycle != "degraded" {
			return errorf("ledger holds %d events, want 3, the last degraded", n)
		}
		return nil
	})
	if err != nil {
		t.Errorf("with ledger writes landing again: %v", err)
	}
}

// TestLedgerLeftWithoutStatus: a ledger is created, then its status
// written. When the status write fails right after the create (an API
// error, or a crash between the two), the ledger exists with no status at
// all; the provider must still record the cluster there.
func TestLedgerLeftWithoutStatus(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	kube := kubeClient(t)

	// Refuse the first status write after each ledger's create.
	var mu sync.Mutex
	created := map[string]bool{}
	var refused atomic.Int64
	c := rest.CopyConfig(cfg)
	c.QPS, c.Burst = -1, 0
	c.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return roundTripFn(func(r *http.Request) (*http.Response, error) {
			p := r.URL.Path
			if !strings.Contains(p, "/observedclusters") {
				return rt.RoundTrip(r)
			}
			if r.Method == http.MethodPatch && strings.HasSuffix(p, "/status") {
				parts := strings.Split(p, "/")
				name := parts[len(parts)-2]
				mu.Lock()
				first := created[name]
				delete(created, name)
				mu.Unlock()
				if first {
					refused.Add(1)
					return unavailable(r), nil
				}
			}
			resp, err := rt.RoundTrip(r)
			if err == nil && r.Method == http.MethodPost && resp.StatusCode == http.StatusCreated {
				oc := &v1alpha1.ObservedCluster{}
				body, _ := io.ReadAll(resp.Body)
				resp.Body = io.NopCloser(bytes.NewReader(body))
				if json.Unmarshal(body, oc) == nil {
					mu.Lock()
					created[oc.GetName()] = true
					mu.Unlock()
				}
			}
			return resp, err
		})
	})
	startProvider(t, testkit.WithLedgerConfig(c))

	pc := clusterProviderConfig("nostatus", sink.URL(), selectLabel("nostatus"), fastRetry)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	const name = "nostatus-a"
	a, err := eks.Create(ctx, name, map[string]any{"region": "eu-west-1"}, map[string]string{"test": "nostatus"})
	if err != nil {
		t.Fatal(err)
	}
	l := fleetsim.Lifecycle{C: eks, Name: name}
	if err := l.CreateRequested(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(ctx, t0.Add(10*time.Minute), "1.30"); err != nil {
		t.Fatal(err)
	}
	err = testkit.Eventually(waitLong, func() error {
		oc, err := ledgerOfObject(ctx, t, a.GetUID())
		if err != nil {
			return err
		}
		var got []v1alpha1.Lifecycle
		for _, e := range oc.Status.Events {
			got = append(got, e.Lifecycle)
		}
		if len(got) != 2 {
			return errorf("ledger holds %v, want created and ready", got)
		}
		return nil
	})
	if refused.Load() == 0 {
		t.Fatalf("no status write after a create was refused")
	}
	if err != nil {
		t.Fatalf("after the status write following the ledger's create was refused: %v", err)
	}
}
