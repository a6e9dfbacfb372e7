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
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// TestWatermarkSparesProgressWrites: transitions recorded before they are
// sent (here cloud-state degradations) leave the sink's progress on them
// out of every ledger write. No ledger is written again for it: the sink's
// delivery watermark in its config's status covers it, and a provider that
// starts after the first one lost its final writes sends nothing again.
func TestWatermarkSparesProgressWrites(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	kube := kubeClient(t)
	var cut atomic.Bool
	// No periodic progress flush within the test: only the watermark may
	// persist what the ledger writes did not carry.
	first := startProvider(t, testkit.WithLedgerConfig(refuseLedgerWritesWhile(cut.Load, nil)), testkit.WithFlushInterval(time.Hour))

	pc := clusterProviderConfig("watermark", sink.URL(), selectLabel("watermark"), fastRetry)
	createConfig(ctx, t, pc)
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	names := readyClusters(ctx, t, eks, "watermark", "watermark", 3)
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 6 }) {
		t.Fatalf("created and ready: got %d events, want 6", len(sink.Received()))
	}
	for _, n := range names {
		if err := (fleetsim.Lifecycle{C: eks, Name: n}).CloudState(ctx, "FAILED", ""); err != nil {
			t.Fatal(err)
		}
	}
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 9 }) {
		t.Fatalf("degraded: got %d events, want 9", len(sink.Received()))
	}

	// The config's status refresh persists a watermark that covers every
	// ledger as last written, though no ledger holds the progress on its
	// last event.
	rv := func(s string) int64 {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("resourceVersion %q: %v", s, err)
		}
		return v
	}
	var ledgers map[string]*v1alpha1.ObservedCluster
	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ClusterProviderConfig{}
		if err := kube.Get(ctx, client.ObjectKey{Name: pc.GetName()}, got); err != nil {
			return err
		}
		through := got.Status.DeliveredThrough
		if through == "" {
			return fmt.Errorf("no status.deliveredThrough yet")
		}
		ledgers = map[string]*v1alpha1.ObservedCluster{}
		for _, n := range names {
			o, err := eks.Get(ctx, n)
			if err != nil {
				return err
			}
			oc, err := ledgerOfObject(ctx, t, o.GetUID())
			if err != nil {
				return err
			}
			if rv(oc.GetResourceVersion()) > rv(through) {
				return fmt.Errorf("status.deliveredThrough %s does not cover ledger %s at %s", through, oc.GetName(), oc.GetResourceVersion())
			}
			ledgers[n] = oc
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	behind := 0
	for _, oc := range ledgers {
		for _, c := range oc.Status.Sinks {
			if c.DeliveredSeq < oc.Status.LastSeq {
				behind++
			}
		}
	}
	if behind == 0 {
		t.Errorf("every ledger holds its sink's progress on its last event: the test shows nothing about the watermark (ledgers %v)", ledgers)
	}

	// A crash: nothing more reaches the ledgers, the final writes included.
	cut.Store(true)
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	startProvider(t)
	// Events of one cluster go out in order: once the next one of the
	// first cluster arrives, any resend of its degraded would have come.
	if err := (fleetsim.Lifecycle{C: eks, Name: names[0]}).CloudState(ctx, "ACTIVE", ""); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 10 }) {
		t.Fatalf("recovered after restart: got %d events, want 10", len(sink.Received()))
	}
	time.Sleep(2 * time.Second)
	if got := sink.Received(); len(got) != 10 {
		var resent []string
		for _, r := range got[9:] {
			resent = append(resent, fmt.Sprintf("%s %s", r.Summary.Name, r.Summary.Lifecycle))
		}
		t.Errorf("after the restart the sink got %d events, want 10 (the recovered only): %v", len(got), resent)
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("sink saw invalid events: %v", errs)
	}
}
