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
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// inflightLedger holds one record whose log ends at seq 2 and whose degraded
// transition, seq 3, is on its way to the ledger.
func inflightLedger(t *testing.T) (*Ledger, types.UID, time.Time) {
	t.Helper()
	uid := types.UID("uid-1")
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lg := New(nil, nil)
	lg.records[uid] = &Record{
		uid: uid, kind: kindOf(schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}, "", ""), objName: "prod",
		created: 1, firstSeq: 1, lastSeq: 2,
		unrecorded: []pending{{Transition: normalize.Transition{Lifecycle: v1alpha1.LifecycleDegraded, Time: at}}},
		dirty:      true,
	}
	return lg, uid, at
}

// TestInflightEvents: a transition is sent while its ledger write is in
// flight, with the seq, id and time the write records.
func TestInflightEvents(t *testing.T) {
	lg, uid, at := inflightLedger(t)
	v, ok := lg.View(uid)
	if diff := cmp.Diff([]int64{3, 2}, []int64{v.LastSeq, v.RecordedSeq}); diff != "" || !ok {
		t.Errorf("View(...) (LastSeq, RecordedSeq): -want, +got:\n%s", diff)
	}
	e, ok, err := lg.Event(context.Background(), uid, 3)
	if err != nil || !ok {
		t.Fatalf("Event(..., 3): ok %t, error %v", ok, err)
	}
	want := v1alpha1.LedgerEvent{Seq: 3, ID: EventID(uid, v1alpha1.LifecycleDegraded, at, ""), Lifecycle: v1alpha1.LifecycleDegraded, Type: "environment.modified"}
	if diff := cmp.Diff([]any{want.Seq, want.ID, want.Lifecycle, want.Type, at}, []any{e.Seq, e.ID, e.Lifecycle, e.Type, e.Time.Time}); diff != "" {
		t.Errorf("Event(..., 3) (seq, id, lifecycle, type, time): -want, +got:\n%s", diff)
	}
	s, ok := lg.snapshot(uid)
	if !ok || len(s.events) != 1 || s.events[0].ID != e.ID || s.events[0].Seq != 3 {
		t.Errorf("snapshot(...): want the write to record the event sent (seq 3, id %s), got %+v", e.ID, s.events)
	}
}

// TestProgressOnInflightEvents: progress on an event not yet written is
// kept in memory, but persisted only up to the written log; progress
// recorded against an event that is no longer at its seq is ignored.
func TestProgressOnInflightEvents(t *testing.T) {
	const sink = "ClusterProviderConfig/platform"
	type want struct {
		delivered int64
		persisted int64
	}
	cases := map[string]struct {
		reason string
		cursor func(id string) Cursor
		want   want
	}{
		"Delivered": {
			reason: "A sink that took the event in flight is ahead of the ledger; only the written log's end is persisted.",
			cursor: func(id string) Cursor { return Cursor{Delivered: 3, Endpoint: "e", ID: id} },
			want:   want{delivered: 3, persisted: 2},
		},
		"OtherEvent": {
			reason: "Progress made on an event that is no longer at that seq (numbered anew by another writer) is not recorded.",
			cursor: func(string) Cursor { return Cursor{Delivered: 3, Endpoint: "e", ID: "another"} },
			want:   want{},
		},
		"PastTheLog": {
			reason: "Progress past every event the record knows is not recorded.",
			cursor: func(id string) Cursor { return Cursor{Delivered: 4, Endpoint: "e", ID: id} },
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg, uid, at := inflightLedger(t)
			lg.SetCursor(uid, sink, tc.cursor(EventID(uid, v1alpha1.LifecycleDegraded, at, "")))
			got := want{}
			if c, ok := lg.Cursor(uid, sink); ok {
				got.delivered = c.Delivered
			}
			if cs := lg.records[uid].sinkCursors(lg.records[uid].lastSeq); len(cs) > 0 {
				got.persisted = cs[0].DeliveredSeq
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\n(delivered in memory, persisted): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// routeAll sends every record to one sink.
type routeAll string

func (r routeAll) SinksFor(View) []string { return []string{string(r)} }

func (routeAll) SignalsFor(View) Signals { return Signals{} }

// TestWriteWaitsForDelivery: a record's write waits for its sinks, and goes
// as soon as every sink has its events, carrying their progress.
func TestWriteWaitsForDelivery(t *testing.T) {
	const sink = "ClusterProviderConfig/platform"
	lg, uid, at := inflightLedger(t)
	lg.SetRouter(routeAll(sink))
	lg.coalesce = time.Hour
	lg.mu.Lock()
	lg.scheduleWrite(lg.records[uid])
	lg.mu.Unlock()
	if n := lg.queue.Len(); n != 0 {
		t.Fatalf("queue before delivery: want the write held back, got %d queued", n)
	}
	lg.SetCursor(uid, sink, Cursor{Delivered: 3, Endpoint: "e", ID: EventID(uid, v1alpha1.LifecycleDegraded, at, "")})
	if n := lg.queue.Len(); n != 1 {
		t.Fatalf("queue after delivery: want the write queued, got %d queued", n)
	}
	s, ok := lg.snapshot(uid)
	if !ok {
		t.Fatal("snapshot(...): nothing to write")
	}
	want := []v1alpha1.SinkCursor{{Sink: SinkKey(sink), Endpoint: "e", DeliveredSeq: 3}}
	if diff := cmp.Diff(want, s.sinks); diff != "" || len(s.events) != 1 {
		t.Errorf("the write records %d events; its progress: -want, +got:\n%s", len(s.events), diff)
	}
}

// TestRecordBeforeSend: with transitions sent only once written, delivery
// sees nothing of a transition on its way to the ledger.
func TestRecordBeforeSend(t *testing.T) {
	lg, uid, _ := inflightLedger(t)
	lg.early = false
	v, ok := lg.View(uid)
	if diff := cmp.Diff([]int64{2, 2}, []int64{v.LastSeq, v.RecordedSeq}); diff != "" || !ok {
		t.Errorf("View(...) (LastSeq, RecordedSeq): -want, +got:\n%s", diff)
	}
	if _, ok, err := lg.Event(context.Background(), uid, 3); ok || err != nil {
		t.Errorf("Event(..., 3): want nothing before the write lands, got ok %t, error %v", ok, err)
	}
}
