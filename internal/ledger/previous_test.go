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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// TestPreviousLifecycle: a sink's selector reads the lifecycle of the event
// before each one it sends. It comes from memory for a sink that sends a
// cluster's events in order, however far delivery trimmed the record's
// events, and a ledger read is left for an older event.
func TestPreviousLifecycle(t *testing.T) {
	const sink = "ClusterProviderConfig/platform"
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	recorded := []v1alpha1.Lifecycle{v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady, v1alpha1.LifecycleDegraded}

	type args struct {
		// delivered is how far the sink got through the three recorded
		// events before the question.
		delivered int64
		// adopted reads the record back from its ledger first, as a
		// restart does.
		adopted bool
		// inflight is a transition detected after the three, sent
		// while its write is in flight.
		inflight v1alpha1.Lifecycle
		seq      int64
	}
	type want struct {
		lifecycle v1alpha1.Lifecycle
		ok        bool
		reads     int
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"InflightAfterAllDelivered": {
			reason: "The event before one in flight was delivered and trimmed from memory; its lifecycle is still known.",
			args:   args{delivered: 3, inflight: v1alpha1.LifecycleRecovered, seq: 4},
			want:   want{lifecycle: v1alpha1.LifecycleDegraded, ok: true},
		},
		"NextOfSlowSink": {
			reason: "A sink that got the first event asks about the second: the first was trimmed, its lifecycle kept.",
			args:   args{delivered: 1, seq: 2},
			want:   want{lifecycle: v1alpha1.LifecycleCreated, ok: true},
		},
		"HeldInMemory": {
			reason: "An event still held for a sink answers from memory.",
			args:   args{delivered: 1, seq: 3},
			want:   want{lifecycle: v1alpha1.LifecycleReady, ok: true},
		},
		"InflightBeforeInflight": {
			reason: "The event before a second one in flight is the first in flight.",
			args:   args{delivered: 3, inflight: v1alpha1.LifecycleRecovered, seq: 5},
			want:   want{lifecycle: v1alpha1.LifecycleRecovered, ok: true},
		},
		"Adopted": {
			reason: "A record read back from its ledger knows the lifecycle of the newest event its sinks all have.",
			args:   args{delivered: 3, adopted: true, inflight: v1alpha1.LifecycleRecovered, seq: 4},
			want:   want{lifecycle: v1alpha1.LifecycleDegraded, ok: true},
		},
		"OlderIsRead": {
			reason: "An event older than the newest one trimmed is read back from the ledger, once.",
			args:   args{delivered: 3, seq: 2},
			want:   want{lifecycle: v1alpha1.LifecycleCreated, ok: true, reads: 1},
		},
		"First": {
			reason: "The first event has no previous one.",
			args:   args{delivered: 3, seq: 1},
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := runtime.NewScheme()
			if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
				t.Fatal(err)
			}
			reads := 0
			kube := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&v1alpha1.ObservedCluster{}).WithInterceptorFuncs(interceptor.Funcs{
				Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
					reads++
					return c.Get(ctx, key, obj, opts...)
				},
			}).Build()
			lg := New(kube, kube)
			lg.SetRouter(routeAll(sink))
			uid := types.UID("uid-1")
			r := &Record{
				uid: uid, kind: kindOf(schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}, "", ""), objName: "prod",
				detected: packState(normalize.State{Phase: v1alpha1.PhaseDegraded, Created: true}),
				dirty:    true,
			}
			for i, l := range recorded {
				r.unrecorded = append(r.unrecorded, pending{Transition: normalize.Transition{Lifecycle: l, Time: t0.Add(time.Duration(i) * time.Minute)}})
			}
			lg.records[uid] = r
			if err := lg.write(context.Background(), uid); err != nil {
				t.Fatalf("write(...): %v", err)
			}
			for seq := int64(1); seq <= tc.args.delivered; seq++ {
				lg.SetCursor(uid, sink, Cursor{Delivered: seq, Endpoint: "e"})
			}
			if tc.args.adopted {
				r.dirty = true
				if err := lg.write(context.Background(), uid); err != nil {
					t.Fatalf("write(...) of the progress: %v", err)
				}
				lg.reload(context.Background(), uid)
			}
			if tc.args.inflight != "" {
				r.unrecorded = append(r.unrecorded,
					pending{Transition: normalize.Transition{Lifecycle: tc.args.inflight, Time: t0.Add(time.Hour)}},
					pending{Transition: normalize.Transition{Lifecycle: v1alpha1.LifecycleDegraded, Time: t0.Add(2 * time.Hour)}})
			}
			reads = 0

			l, ok, err := lg.PreviousLifecycle(context.Background(), uid, tc.args.seq)
			if err != nil {
				t.Fatalf("PreviousLifecycle(...): %v", err)
			}
			got := want{lifecycle: l, ok: ok, reads: reads}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nPreviousLifecycle(..., %d) (lifecycle, ok, ledger reads): -want, +got:\n%s", tc.reason, tc.args.seq, diff)
			}
		})
	}
}
