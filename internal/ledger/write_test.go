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

package ledger

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// TestWriteRetriesAfterFailure: a ledger write the API server refuses once
// is written on the next attempt, with the same transitions.
func TestWriteRetriesAfterFailure(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	var patches []string
	failures := 1
	kube := fake.NewClientBuilder().WithScheme(s).WithInterceptorFuncs(interceptor.Funcs{
		SubResourcePatch: func(_ context.Context, _ client.Client, _ string, _ client.Object, p client.Patch, _ ...client.SubResourcePatchOption) error {
			if failures > 0 {
				failures--
				return kerrors.NewServiceUnavailable("etcd is busy")
			}
			b, _ := p.Data(nil)
			patches = append(patches, string(b))
			return nil
		},
	}).Build()
	lg := New(kube, kube)
	uid := types.UID("uid-1")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lg.records[uid] = &Record{
		uid: uid, kind: kindOf(schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}, "", ""), objName: "prod",
		detected:   packState(normalize.State{Phase: v1alpha1.PhaseProvisioning, Created: true}),
		unrecorded: []pending{{Transition: normalize.Transition{Lifecycle: v1alpha1.LifecycleCreated, Time: t0}}},
		dirty:      true,
	}

	if err := lg.write(context.Background(), uid); err == nil {
		t.Fatalf("write(...): want the API server's error, got none")
	}
	if err := lg.write(context.Background(), uid); err != nil {
		t.Fatalf("write(...) after the failure: %v", err)
	}
	if len(patches) != 1 {
		t.Fatalf("want one status write after the retry, got %d", len(patches))
	}
	r := lg.records[uid]
	if diff := cmp.Diff([]int64{1, 1, 0}, []int64{r.firstSeq, r.lastSeq, int64(len(r.unrecorded))}); diff != "" {
		t.Errorf("record after the retried write (firstSeq, lastSeq, unrecorded): -want, +got:\n%s", diff)
	}
}

// TestWriteLedgerWithoutStatus: a writer that died between creating a
// ledger and writing its status leaves a ledger with no status at all. The
// next writer adopts it and records its transitions there, rather than
// failing for ever on the missing status.
func TestWriteLedgerWithoutStatus(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	uid := types.UID("uid-1")
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := &Record{
		uid: uid, kind: kindOf(schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}, "", ""), objName: "prod",
		detected:   packState(normalize.State{Phase: v1alpha1.PhaseProvisioning, Created: true}),
		unrecorded: []pending{{Transition: normalize.Transition{Lifecycle: v1alpha1.LifecycleCreated, Time: t0}}},
		dirty:      true,
	}
	bare := &v1alpha1.ObservedCluster{}
	bare.SetName(r.ledgerName())
	kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&v1alpha1.ObservedCluster{}).WithObjects(bare).Build()
	lg := New(kube, kube)
	lg.records[uid] = r

	if err := lg.write(context.Background(), uid); err != nil {
		t.Fatalf("write(...): %v", err)
	}
	got := &v1alpha1.ObservedCluster{}
	if err := kube.Get(context.Background(), types.NamespacedName{Name: r.ledgerName()}, got); err != nil {
		t.Fatal(err)
	}
	var lifecycles []v1alpha1.Lifecycle
	for _, e := range got.Status.Events {
		lifecycles = append(lifecycles, e.Lifecycle)
	}
	if diff := cmp.Diff([]v1alpha1.Lifecycle{v1alpha1.LifecycleCreated}, lifecycles); diff != "" {
		t.Errorf("ledger's events: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]any{int64(1), uid}, []any{got.Status.LastSeq, got.Status.ResourceRef.UID}); diff != "" {
		t.Errorf("ledger's (lastSeq, resourceRef.uid): -want, +got:\n%s", diff)
	}
}

// TestPrunePins: a write that prunes delivered history reads the ledger
// and moves the events a Current replay needs out of the log into
// pinnedEvents; one that finds the log moved by another writer fails as a
// conflict and writes nothing.
func TestPrunePins(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	stored := func(lastSeq int64) *v1alpha1.ObservedCluster {
		oc := &v1alpha1.ObservedCluster{}
		oc.SetName("eks-prod-history")
		oc.Status.LastSeq = lastSeq
		for seq := int64(1); seq <= lastSeq; seq++ {
			l := v1alpha1.LifecycleUpgraded
			switch seq {
			case 1:
				l = v1alpha1.LifecycleCreated
			case 2:
				l = v1alpha1.LifecycleReady
			}
			oc.Status.Events = append(oc.Status.Events, v1alpha1.LedgerEvent{Seq: seq, Lifecycle: l})
		}
		return oc
	}
	type want struct {
		err    bool
		pinned []int64
		// removes is how many events the patch drops from the log.
		removes int
	}
	cases := map[string]struct {
		reason string
		stored *v1alpha1.ObservedCluster
		want   want
	}{
		"Pins": {
			reason: "Sixteen delivered events prune to the newest eight; created goes to pinnedEvents, the latest upgrade sets the phase and stays in the log.",
			stored: stored(15),
			want:   want{pinned: []int64{1}, removes: 8},
		},
		"Moved": {
			reason: "A ledger another writer moved on is a conflict: read back, never overwritten.",
			stored: stored(17),
			want:   want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			var ops []patchOp
			kube := fake.NewClientBuilder().WithScheme(s).WithObjects(tc.stored).WithInterceptorFuncs(interceptor.Funcs{
				SubResourcePatch: func(_ context.Context, _ client.Client, _ string, _ client.Object, p client.Patch, _ ...client.SubResourcePatchOption) error {
					b, _ := p.Data(nil)
					return json.Unmarshal(b, &ops)
				},
			}).Build()
			lg := New(kube, kube)
			uid := types.UID("uid-1")
			lg.records[uid] = &Record{
				uid: uid, kind: kindOf(schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}, "", ""), objName: "prod",
				firstSeq: 1, lastSeq: 15, created: 1, storedPhase: v1alpha1.PhaseReady,
				detected:   packState(normalize.State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.40"}),
				unrecorded: []pending{{Transition: normalize.Transition{Lifecycle: v1alpha1.LifecycleUpgraded, Time: t0, KubernetesVersion: "1.40", Value: "1.40"}}},
				dirty:      true,
			}
			lg.records[uid].fields().nameOverride = "eks-prod-history"

			err := lg.write(context.Background(), uid)
			if tc.want.err {
				if !kerrors.IsConflict(err) {
					t.Errorf("\n%s\nwrite(...): want a conflict, got %v", tc.reason, err)
				}
				if ops != nil {
					t.Errorf("\n%s\nwrite(...) patched the ledger: %v", tc.reason, ops)
				}
				return
			}
			if err != nil {
				t.Fatalf("write(...): %v", err)
			}
			var pinned []int64
			removes := 0
			for _, op := range ops {
				switch {
				case op.Op == "remove" && op.Path == "/status/events/0":
					removes++
				case op.Path == "/status/pinnedEvents":
					b, _ := json.Marshal(op.Value)
					var events []v1alpha1.LedgerEvent
					if err := json.Unmarshal(b, &events); err != nil {
						t.Fatal(err)
					}
					for _, e := range events {
						pinned = append(pinned, e.Seq)
					}
				}
			}
			if diff := cmp.Diff(tc.want, want{pinned: pinned, removes: removes}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nwrite(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestRESTMapper proves that the ledger's mapper names the ObservedCluster
// resource the API server serves, and only it.
func TestRESTMapper(t *testing.T) {
	m := RESTMapper()
	got, err := m.RESTMapping(v1alpha1.ObservedClusterGroupVersionKind.GroupKind(), v1alpha1.ObservedClusterGroupVersionKind.Version)
	if err != nil {
		t.Fatalf("RESTMapping(ObservedCluster): %v", err)
	}
	want := v1alpha1.SchemeGroupVersion.WithResource("observedclusters")
	if diff := cmp.Diff(want, got.Resource); diff != "" {
		t.Errorf("resource: -want, +got:\n%s", diff)
	}
	if got.Scope.Name() != "root" {
		t.Errorf("scope: got %s, want root (cluster-scoped)", got.Scope.Name())
	}
	if _, err := m.RESTMapping(v1alpha1.ClusterProviderConfigGroupVersionKind.GroupKind()); err == nil {
		t.Errorf("RESTMapping(ClusterProviderConfig): got a mapping, want none: the ledger's client touches no other kind")
	}
}
