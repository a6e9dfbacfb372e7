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
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const wmSink = "ClusterProviderConfig/platform"

// wmRecord is a written record for watermark tests: its ledger was last
// written at rv and ends at lastSeq; delivered < 0 means the sink has no
// progress on it.
type wmRecord struct {
	rv, lastSeq, delivered int64
	endpoint               string
	unwritten              bool
}

func wmLedger(recs map[string]wmRecord, floors ...int64) *Ledger {
	lg := New(nil, nil)
	lg.SetRouter(routeAll(wmSink))
	for name, w := range recs {
		r := &Record{uid: types.UID(name), kind: kindOf(schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}, "", ""), objName: name, rv: w.rv, lastSeq: w.lastSeq, firstSeq: 1}
		if !w.unwritten {
			r.created = 1
		}
		if w.delivered >= 0 {
			r.cursors = []cursor{{sink: SinkKey(wmSink), endpoint: w.endpoint, delivered: w.delivered}}
		}
		lg.records[r.uid] = r
		lg.maxRV = max(lg.maxRV, w.rv)
	}
	for i, f := range floors {
		lg.floors[uint64(i+1)] = f
	}
	return lg
}

func TestDeliveredThrough(t *testing.T) {
	type want struct {
		through string
		ok      bool
	}
	all := func(View) bool { return true }
	cases := map[string]struct {
		reason string
		recs   map[string]wmRecord
		floors []int64
		routed func(View) bool
		want   want
	}{
		"AllDelivered": {
			reason: "With every ledger delivered the watermark is the newest resourceVersion seen.",
			recs:   map[string]wmRecord{"a": {rv: 10, lastSeq: 2, delivered: 2, endpoint: "e"}, "b": {rv: 30, lastSeq: 1, delivered: 1, endpoint: "e"}},
			routed: all,
			want:   want{through: "30", ok: true},
		},
		"OneBehind": {
			reason: "A ledger with an event the sink has not accepted holds the watermark below its resourceVersion.",
			recs:   map[string]wmRecord{"a": {rv: 10, lastSeq: 2, delivered: 2, endpoint: "e"}, "b": {rv: 20, lastSeq: 2, delivered: 1, endpoint: "e"}, "c": {rv: 30, lastSeq: 1, delivered: 1, endpoint: "e"}},
			routed: all,
			want:   want{through: "19", ok: true},
		},
		"NoProgress": {
			reason: "A ledger the sink has not begun holds the watermark.",
			recs:   map[string]wmRecord{"a": {rv: 10, lastSeq: 2, delivered: -1}, "c": {rv: 30, lastSeq: 1, delivered: 1, endpoint: "e"}},
			routed: all,
			want:   want{through: "9", ok: true},
		},
		"OtherEndpoint": {
			reason: "Progress made with another endpoint does not count.",
			recs:   map[string]wmRecord{"a": {rv: 10, lastSeq: 2, delivered: 2, endpoint: "old"}, "c": {rv: 30, lastSeq: 1, delivered: 1, endpoint: "e"}},
			routed: all,
			want:   want{through: "9", ok: true},
		},
		"WriteInFlight": {
			reason: "A write in flight lands above the newest resourceVersion known when it began: the watermark stays there.",
			recs:   map[string]wmRecord{"a": {rv: 10, lastSeq: 2, delivered: 2, endpoint: "e"}, "c": {rv: 30, lastSeq: 1, delivered: 1, endpoint: "e"}},
			floors: []int64{25},
			routed: all,
			want:   want{through: "25", ok: true},
		},
		"NotRouted": {
			reason: "Ledgers the sink does not receive do not hold its watermark.",
			recs:   map[string]wmRecord{"a": {rv: 10, lastSeq: 2, delivered: -1}, "c": {rv: 30, lastSeq: 1, delivered: 1, endpoint: "e"}},
			routed: func(v View) bool { return v.UID != "a" },
			want:   want{through: "30", ok: true},
		},
		"Unwritten": {
			reason: "A record whose ledger does not exist yet is not covered: its write lands above.",
			recs:   map[string]wmRecord{"a": {lastSeq: 0, delivered: -1, unwritten: true}, "c": {rv: 30, lastSeq: 1, delivered: 1, endpoint: "e"}},
			routed: all,
			want:   want{through: "30", ok: true},
		},
		"NothingWritten": {
			reason: "Before any ledger is written or read there is no watermark.",
			recs:   map[string]wmRecord{},
			routed: all,
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg := wmLedger(tc.recs, tc.floors...)
			got := want{}
			got.through, got.ok = lg.DeliveredThrough(wmSink, "e", tc.routed)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nDeliveredThrough(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPersistedRaisesCovered(t *testing.T) {
	lg := wmLedger(map[string]wmRecord{
		"covered":       {rv: 10, lastSeq: 3, delivered: 1, endpoint: "e"},
		"writtenAfter":  {rv: 25, lastSeq: 3, delivered: 1, endpoint: "e"},
		"otherEndpoint": {rv: 10, lastSeq: 3, delivered: 1, endpoint: "old"},
		"noProgress":    {rv: 10, lastSeq: 3, delivered: -1},
	})
	lg.Persisted(wmSink, "e", "20")
	got := map[string]string{}
	for _, name := range []string{"covered", "writtenAfter", "otherEndpoint", "noProgress"} {
		c, ok := lg.Cursor(types.UID(name), wmSink)
		got[name] = fmt.Sprintf("%t %s %d", ok, c.Endpoint, c.Delivered)
	}
	want := map[string]string{
		// Every event of a ledger written at or below the watermark was
		// accepted.
		"covered": "true e 3",
		// Written after it: its own last write tells.
		"writtenAfter": "true e 1",
		// The watermark says nothing of another endpoint.
		"otherEndpoint": "true old 1",
		// The sink never began it: the replay policy decides.
		"noProgress": "false  0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("progress after Persisted(..., 20): -want, +got:\n%s", diff)
	}
}

// TestWatermarkAcrossRestart: progress made after a ledger's last write is
// not written per ledger, yet a restart that reads the sink's watermark
// back does not send those events again.
func TestWatermarkAcrossRestart(t *testing.T) {
	ctx := context.Background()
	uid := types.UID("uid-restart")
	first := newTestLedger(t)
	first.SetRouter(routeAll(wmSink))
	if err := first.Load(ctx); err != nil {
		t.Fatal(err)
	}
	first.Observe(eksProfile(t), eks, readyObs(uid, "prod", at(5), at(5)), false)
	// Delivery begins before the write lands, as it does for transitions
	// sent while their write is in flight.
	first.SetCursor(uid, wmSink, Cursor{Delivered: 0, Endpoint: "e"})
	if err := first.write(ctx, uid); err != nil {
		t.Fatalf("write: %v", err)
	}
	v, _ := first.View(uid)
	first.SetCursor(uid, wmSink, Cursor{Delivered: v.LastSeq, Endpoint: "e"})
	through, ok := first.DeliveredThrough(wmSink, "e", func(View) bool { return true })
	if !ok {
		t.Fatal("DeliveredThrough: no watermark after a write")
	}
	first.Persisted(wmSink, "e", through)
	rv := func() string {
		oc := &v1alpha1.ObservedCluster{}
		if err := first.reader.Get(ctx, types.NamespacedName{Name: v.LedgerName}, oc); err != nil {
			t.Fatal(err)
		}
		return oc.GetResourceVersion()
	}
	before := rv()
	first.Flush(ctx)
	if after := rv(); after != before {
		t.Errorf("Flush wrote the progress of a ledger the persisted watermark covers (resourceVersion %s -> %s)", before, after)
	}

	for name, persisted := range map[string]bool{"WithWatermark": true, "WithoutWatermark": false} {
		t.Run(name, func(t *testing.T) {
			second := New(first.kube, first.reader, WithControlPlaneName("test"))
			second.SetRouter(routeAll(wmSink))
			if persisted {
				// Configs are read before or after the ledgers; both
				// orders must raise the progress.
				second.Persisted(wmSink, "e", through)
			}
			if err := second.Load(ctx); err != nil {
				t.Fatal(err)
			}
			want := v.LastSeq
			if !persisted {
				want = 0
			}
			c, _ := second.Cursor(uid, wmSink)
			if c.Delivered != want {
				t.Errorf("progress after restart: want %d, got %d", want, c.Delivered)
			}
		})
	}
}

// TestFlushSkipsEmptyLog: progress on a ledger with no events is not
// written: there is none to persist, and the write would move the
// resourceVersion that guards the ledger's next write.
func TestFlushSkipsEmptyLog(t *testing.T) {
	ctx := context.Background()
	uid := types.UID("uid-empty")
	lg := newTestLedger(t, ledgerOf(uid, "prod", nil))
	lg.SetRouter(routeAll(wmSink))
	if err := lg.Load(ctx); err != nil {
		t.Fatal(err)
	}
	lg.SetCursor(uid, wmSink, Cursor{Delivered: 0, Endpoint: "e"})
	name := NameFor(eks, "", "prod", uid)
	rv := func() string {
		oc := &v1alpha1.ObservedCluster{}
		if err := lg.reader.Get(ctx, types.NamespacedName{Name: name}, oc); err != nil {
			t.Fatal(err)
		}
		return oc.GetResourceVersion()
	}
	before := rv()
	lg.Flush(ctx)
	if after := rv(); after != before {
		t.Errorf("Flush wrote progress on an empty log (resourceVersion %s -> %s)", before, after)
	}
}

// TestAdoptKeepsProgress: a ledger write that finds the ledger changed
// reads it back; progress on events sent while the write was in flight is
// kept where the ledger read back numbers them as the record did, and
// dropped where another writer numbered them otherwise.
func TestAdoptKeepsProgress(t *testing.T) {
	ctx := context.Background()
	uid := types.UID("uid-adopt")
	cases := map[string]struct {
		reason string
		found  []v1alpha1.LedgerEvent // the ledger the write finds
		want   int64                  // progress after the write
	}{
		"AnswerLost": {
			reason: "An empty ledger (our own create whose answer was lost): nothing of the cluster is sent before its first write lands, so no sink has progress on it, and adopting the ledger invents none.",
			want:   0,
		},
		"AnotherWritersLog": {
			reason: "Another writer recorded another transition at seq 1: the events were renumbered, progress on them is dropped.",
			found:  []v1alpha1.LedgerEvent{{Seq: 1, ID: "another", Lifecycle: v1alpha1.LifecycleCreated}},
			want:   0,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg := newTestLedger(t)
			lg.SetRouter(routeAll(wmSink))
			if err := lg.Load(ctx); err != nil {
				t.Fatal(err)
			}
			lg.Observe(eksProfile(t), eks, readyObs(uid, "prod", at(5), at(5)), false)
			lg.mu.Lock()
			known := lg.records[uid].knownIDs()
			lg.mu.Unlock()
			lg.SetCursor(uid, wmSink, Cursor{Delivered: 2, Endpoint: "e", ID: known[2]})

			// The ledger appears before the write: created by another
			// writer, or by an earlier attempt whose answer was lost.
			oc := ledgerOf(uid, "prod", nil, tc.found...)
			status := oc.Status
			oc.SetCreationTimestamp(metav1.Time{})
			if err := lg.kube.Create(ctx, oc); err != nil {
				t.Fatal(err)
			}
			oc.Status = status
			if err := lg.kube.Status().Update(ctx, oc); err != nil {
				t.Fatal(err)
			}
			if err := lg.write(ctx, uid); err != nil {
				t.Fatalf("write: %v", err)
			}
			c, _ := lg.Cursor(uid, wmSink)
			if c.Delivered != tc.want {
				t.Errorf("\n%s\nprogress after the write: want %d, got %d", tc.reason, tc.want, c.Delivered)
			}
		})
	}
}

// routeTo sends every record to the same sinks.
type routeTo []string

func (r routeTo) SinksFor(View) []string { return r }

func (routeTo) SignalsFor(View) Signals { return Signals{} }

func TestWatermarksWorthWriting(t *testing.T) {
	sinks := routeTo{"ClusterProviderConfig/a", "ClusterProviderConfig/b", "ClusterProviderConfig/c"}
	type rec struct {
		// delivered is every sink's progress; the ledger ends at seq 2
		// and was last written at rv 10.
		delivered int64
		clean     bool
		newCursor bool
	}
	type args struct {
		sinks     routeTo
		recs      []rec
		persisted bool
	}
	cases := map[string]struct {
		reason string
		args   args
		want   bool
	}{
		"BusySink": {
			reason: "One sink's watermark that covers three ledgers' unpersisted progress spares three progress writes for one status write.",
			args:   args{sinks: sinks[:1], recs: []rec{{delivered: 2}, {delivered: 2}, {delivered: 2}}},
			want:   true,
		},
		"QuietFleetManySinks": {
			reason: "One ledger's progress on three sinks is one progress write, not three status writes.",
			args:   args{sinks: sinks, recs: []rec{{delivered: 2}}},
			want:   false,
		},
		"AsManyLedgersAsSinks": {
			reason: "Three progress writes against three status writes: the ledgers' own writes persist it.",
			args:   args{sinks: sinks, recs: []rec{{delivered: 2}, {delivered: 2}, {delivered: 2}}},
			want:   false,
		},
		"MoreLedgersThanSinks": {
			reason: "Four progress writes against three status writes.",
			args:   args{sinks: sinks, recs: []rec{{delivered: 2}, {delivered: 2}, {delivered: 2}, {delivered: 2}}},
			want:   true,
		},
		"AlreadyPersisted": {
			reason: "Progress a persisted watermark covers needs no write at all.",
			args:   args{sinks: sinks[:1], recs: []rec{{delivered: 2}, {delivered: 2}, {delivered: 2}}, persisted: true},
			want:   false,
		},
		"NotAccepted": {
			reason: "A watermark covers no ledger the sink lacks an event of.",
			args:   args{sinks: sinks[:1], recs: []rec{{delivered: 1}, {delivered: 1}, {delivered: 1}}},
			want:   false,
		},
		"NothingToPersist": {
			reason: "Progress already written with the ledgers waits for nothing.",
			args:   args{sinks: sinks[:1], recs: []rec{{delivered: 2, clean: true}, {delivered: 2, clean: true}}},
			want:   false,
		},
		"NewProgress": {
			reason: "A watermark raises only progress some write carried: a sink's first progress on a ledger is written per ledger.",
			args:   args{sinks: sinks[:1], recs: []rec{{delivered: 2, newCursor: true}, {delivered: 2, newCursor: true}}},
			want:   false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg := New(nil, nil)
			lg.SetRouter(tc.args.sinks)
			for i, w := range tc.args.recs {
				r := &Record{uid: types.UID(fmt.Sprint(i)), kind: kindOf(schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}, "", ""), objName: fmt.Sprint(i),
					rv: 10, lastSeq: 2, firstSeq: 1, created: 1, cursorsDirty: !w.clean, cursorsNew: w.newCursor}
				for _, s := range tc.args.sinks {
					r.cursors = append(r.cursors, cursor{sink: SinkKey(s), endpoint: "e", delivered: w.delivered})
				}
				lg.records[r.uid] = r
			}
			lg.maxRV = 12
			if tc.args.persisted {
				for _, s := range tc.args.sinks {
					lg.persisted[SinkKey(s)] = watermark{endpoint: "e", rv: 10}
				}
			}
			lg.mu.Lock()
			through, ceiling, _ := lg.deliveredThrough()
			got := lg.watermarksWorthWriting(through, ceiling)
			lg.mu.Unlock()
			var want map[string]int64
			if tc.want {
				want = map[string]int64{}
				for _, s := range tc.args.sinks {
					want[SinkKey(s)] = 10
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("\n%s\nwatermarksWorthWriting(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestWatermarkWantedUntilPersisted: a watermark a flush left progress to
// is wanted until a status write persists one that covers that progress.
func TestWatermarkWantedUntilPersisted(t *testing.T) {
	lg := New(nil, nil)
	lg.wanted = map[string]int64{SinkKey(wmSink): 20}
	steps := []struct {
		persist string
		want    bool
	}{
		{want: true},
		// A status write with an older watermark (one made for another
		// reason) does not persist the progress left to it.
		{persist: "15", want: true},
		{persist: "20", want: false},
	}
	for i, s := range steps {
		if s.persist != "" {
			lg.Persisted(wmSink, "e", s.persist)
		}
		if got := lg.WatermarkWanted(wmSink); got != s.want {
			t.Errorf("step %d (persisted %q): WatermarkWanted: want %t, got %t", i, s.persist, s.want, got)
		}
	}
}
