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
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
)

// BenchmarkLedgerWriteBySize reports what one ledger write costs the API
// server (kube-apiserver and etcd CPU) by how many events the ledger holds:
// 200 ledgers each of 16, 12, 8, 4 and 1 events, written 2,000 times in turn
// the way the provider writes a transition (a JSON patch that tests the
// last seq, appends an event and drops the oldest). It tells how much of
// the control plane's cost per transition is the ledger's history. Ledgers
// of 4 events are measured twice more, alternately with and without
// managed fields (created with labels, as the provider once created them,
// and with nothing but a name, as it does now), since their upkeep is a
// cost of every write that grows with what the ledger holds. Last, what
// reading a ledger of 16 events costs, as a prune of its history does.
func BenchmarkLedgerWriteBySize(b *testing.B) {
	ctx := context.Background()
	const writes = 2000
	type run struct {
		size    int
		managed bool
	}
	runs := []run{{16, false}, {12, false}, {8, false}, {4, false}, {1, false}, {4, true}, {4, false}, {4, true}, {4, false}}
	for _, r := range runs {
		ms := ledgerWriteCost(ctx, b, r.size, r.managed, writes)
		what, metric := "without managed fields", fmt.Sprintf("controlplane-ms/write-%d-events", r.size)
		if r.managed {
			what, metric = "with managed fields", metric+"-managed-fields"
		}
		b.ReportMetric(ms, metric)
		reportf(b, "ledger of %2d events, %s: kube-apiserver and etcd CPU per write %.2f ms (%d writes); load %s", r.size, what, ms, writes, LoadAvg())
	}
	// A prune reads the ledger first (to keep what replays need), once
	// per pruning of a long-lived ledger's history.
	for _, cached := range []bool{false, true, false, true} {
		ms, idle := ledgerReadCost(ctx, b, 16, 5*writes, cached)
		what, metric := "from etcd", "controlplane-ms/read-16-events"
		if cached {
			what, metric = "from the watch cache", metric+"-cached"
		}
		b.ReportMetric(ms, metric)
		reportf(b, "ledger of 16 events, read %s: kube-apiserver and etcd CPU per read %.2f ms (%d reads, less the %.0f%% of a core they use idle); load %s", what, ms, 5*writes, idle, LoadAvg())
	}
}

// ledgerReadCost reads 200 ledgers of size events n times in turn, as a
// prune does (with cached set, from the API server's watch cache), and
// returns the control plane's CPU per read, in milliseconds, less what it
// uses idle over as long (measured just before, as a share of one core,
// also returned): a read costs little enough that the idle share would
// count.
func ledgerReadCost(ctx context.Context, b *testing.B, size, n int, cached bool) (float64, float64) {
	b.Helper()
	kube := kubeClient(b)
	names := sizedLedgers(ctx, b, kube, "read", size, false)
	time.Sleep(5 * time.Second)
	const idleFor = 5 * time.Second
	cp0 := ChildrenCPU()
	time.Sleep(idleFor)
	idle := float64(ChildrenCPU()-cp0) / float64(idleFor)
	cp0, t0 := ChildrenCPU(), time.Now()
	for r := range n {
		oc := &v1alpha1.ObservedCluster{}
		var opts []client.GetOption
		if cached {
			opts = append(opts, &client.GetOptions{Raw: &metav1.GetOptions{ResourceVersion: "0"}})
		}
		if err := kube.Get(ctx, types.NamespacedName{Name: names[r%len(names)]}, oc, opts...); err != nil {
			b.Fatal(err)
		}
	}
	spent := float64(ChildrenCPU()-cp0) - idle*float64(time.Since(t0))
	return max(spent, 0) / float64(time.Millisecond) / float64(n), 100 * idle
}

// ledgerWriteCost writes n transitions the provider's way to 200 ledgers of
// size events, and returns the control plane's CPU per write, in
// milliseconds. With managed set the ledgers carry managed fields.
func ledgerWriteCost(ctx context.Context, b *testing.B, size int, managed bool, n int) float64 {
	b.Helper()
	kube := kubeClient(b)
	names := sizedLedgers(ctx, b, kube, "size", size, managed)
	ledgers := len(names)
	time.Sleep(2 * time.Second)
	cp0 := ChildrenCPU()
	for w := range n {
		seq := int64(size + 1 + w/ledgers)
		ops := []map[string]any{
			{"op": "test", "path": "/status/lastSeq", "value": seq - 1},
			{"op": "add", "path": "/status/events/-", "value": sizedEvent(seq)},
			{"op": "remove", "path": "/status/events/0"},
			{"op": "add", "path": "/status/lastSeq", "value": seq},
			{"op": "add", "path": "/status/phase", "value": "Ready"},
		}
		if err := patchLedger(ctx, kube, names[w%ledgers], types.JSONPatchType, ops); err != nil {
			b.Fatal(err)
		}
	}
	return float64((ChildrenCPU() - cp0).Microseconds()) / 1000 / float64(n)
}

// sizedLedgers creates 200 ledgers of size events (see sizedLedger), named
// after prefix, and returns their names.
func sizedLedgers(ctx context.Context, b *testing.B, kube client.Client, prefix string, size int, managed bool) []string {
	b.Helper()
	names := make([]string, 200)
	for i := range names {
		names[i] = fmt.Sprintf("%s-%d-%d-%d", prefix, size, i, time.Now().UnixNano())
		if err := sizedLedger(ctx, kube, names[i], size, managed); err != nil {
			b.Fatal(err)
		}
	}
	return names
}

// sizedLedger creates a ledger of size events. With managed set it is
// created with labels, so that the API server tracks its managed fields
// from then on, as it did for the ledgers of earlier releases.
func sizedLedger(ctx context.Context, kube client.Client, name string, size int, managed bool) error {
	oc := &v1alpha1.ObservedCluster{}
	oc.SetName(name)
	if managed {
		oc.SetLabels(map[string]string{
			"cdevents.crossplane.io/group": "eks.aws.upbound.io", "cdevents.crossplane.io/kind": "Cluster",
			"cdevents.crossplane.io/name": name, "cdevents.crossplane.io/uid": name,
		})
	}
	if err := kube.Create(ctx, oc); err != nil {
		return err
	}
	events := make([]v1alpha1.LedgerEvent, 0, size)
	for seq := 1; seq <= size; seq++ {
		events = append(events, sizedEvent(int64(seq)))
	}
	return patchLedger(ctx, kube, name, types.MergePatchType, map[string]any{"status": map[string]any{
		"events": events, "lastSeq": size, "phase": "Ready",
		"resourceRef": v1alpha1.ResourceRef{APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster", Name: name, UID: types.UID(name)},
		"environment": v1alpha1.Environment{ID: "/crossplane/eks.aws.upbound.io/Cluster/" + name, Name: name},
		"sinks":       []v1alpha1.SinkCursor{{Sink: ledger.SinkKey("ClusterProviderConfig/bench"), Endpoint: "0123456789abcdef", DeliveredSeq: int64(size)}},
		"group":       "eks.aws.upbound.io", "shortKind": "eks.aws/Cluster", "provider": "aws", "created": true,
		"ready": "True/Available", "synced": "True/ReconcileSuccess",
		"facts": v1alpha1.Facts{
			ExternalName: name, CloudID: "arn:aws:eks:eu-west-1:123456789012:cluster/" + name, Region: "eu-west-1",
			Endpoint: "https://4C5AF12594B57CC8F350A14959DCBAD7.gr7.eu-west-1.eks.amazonaws.com", KubernetesVersion: "1.31", CloudState: "ACTIVE",
		},
	}})
}

func patchLedger(ctx context.Context, kube client.Client, name string, pt types.PatchType, patch any) error {
	b, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(v1alpha1.ObservedClusterGroupVersionKind)
	m.SetName(name)
	return kube.Status().Patch(ctx, m, client.RawPatch(pt, b))
}

// sizedEvent is a degraded event as the provider records a cloud-state
// failure.
func sizedEvent(seq int64) v1alpha1.LedgerEvent {
	at := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, int(seq), 0, time.UTC))
	return v1alpha1.LedgerEvent{
		Seq: seq, ID: ledger.EventID("bench", v1alpha1.LifecycleDegraded, at.Time, ""), Lifecycle: v1alpha1.LifecycleDegraded,
		Type: ledger.EventType(v1alpha1.LifecycleDegraded), Time: at, Reason: "CloudState", Message: "cloud state FAILED",
		KubernetesVersion: "1.31", Ready: "True", Synced: "True",
	}
}
