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
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// recordedFleet observes n ready upjet EKS clusters the way discovery hands
// them over, and brings each ledger up to date as a successful write does
// (without an API server: the write's snapshot is committed as written).
func recordedFleet(b *testing.B, lg *Ledger, p *catalog.Profile, n int) {
	b.Helper()
	created := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	ready := created.Add(12 * time.Minute)
	labels := map[string]string{"cdevents.crossplane.io/bench": "memory"}
	for i := range n {
		name := fmt.Sprintf("replay-%05d", i)
		obs := normalize.Observation{
			UID:               types.UID(uuid.NewString()),
			Name:              name,
			APIVersion:        "eks.aws.upbound.io/v1beta2",
			Kind:              "Cluster",
			Labels:            labels,
			CreationTimestamp: created,
			Generation:        1,
			Ready:             normalize.Condition{Status: normalize.StatusTrue, Reason: normalize.ReasonAvailable, LastTransitionTime: ready},
			Synced:            normalize.Condition{Status: normalize.StatusTrue, Reason: "ReconcileSuccess", LastTransitionTime: ready},
			Facts: v1alpha1.Facts{
				ExternalName:      fmt.Sprintf("replay-%05d", i),
				CloudID:           fmt.Sprintf("arn:aws:eks:us-east-1:123456789012:cluster/%s", name),
				Endpoint:          fmt.Sprintf("https://%016X%016X.gr7.us-east-1.eks.amazonaws.com", i, i+1),
				Region:            "us-east-1",
				KubernetesVersion: fmt.Sprint("1.3", i%3),
				CloudState:        "ACTIVE",
			},
			Latest: ready,
		}
		lg.Observe(p, eks, obs, false)
		s, ok := lg.snapshot(obs.UID)
		if !ok {
			b.Fatalf("cluster %s: nothing to write after its first observation", name)
		}
		lg.commit(obs.UID, s, "1")
	}
	for lg.queue.Len() > 0 {
		uid, _ := lg.queue.Get()
		lg.queue.Done(uid)
		lg.queue.Forget(uid)
	}
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// BenchmarkRecordHeap reports the ledger's live heap per watched cluster,
// after a full collection, for a fleet of ready clusters whose created and
// ready events are recorded and that no sink receives: the ledger's part of
// the provider's heap per cluster (see BenchmarkMemoryPerCluster in
// test/bench for the whole process's). It also reports the size of a
// Record itself, so that a field added to it shows at once.
func BenchmarkRecordHeap(b *testing.B) {
	const clusters = 10000
	p, ok := catalog.New().Lookup(eks)
	if !ok {
		b.Fatal("no built-in profile for upjet EKS")
	}
	var perRecord float64
	for range b.N {
		before := liveHeap()
		lg := New(nil, nil)
		recordedFleet(b, lg, p, clusters)
		after := liveHeap()
		perRecord = (float64(after) - float64(before)) / clusters
		lg.mu.Lock()
		if len(lg.records) != clusters {
			b.Fatalf("%d records for %d clusters", len(lg.records), clusters)
		}
		lg.mu.Unlock()
		runtime.KeepAlive(lg)
	}
	b.ReportMetric(perRecord, "heap-B/record")
	b.ReportMetric(float64(unsafe.Sizeof(Record{})), "inline-B/record")
	b.Logf("ledger heap per recorded cluster: %.0f B (Record itself %d B) over %d clusters", perRecord, unsafe.Sizeof(Record{}), clusters)
}

// TestPackState proves that a record gives back exactly the state it was
// given, and holds the signals' parts only for states that have them.
func TestPackState(t *testing.T) {
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	local := time.Date(2026, 3, 1, 11, 0, 0, 0, time.FixedZone("CET", 3600))
	type want struct {
		Signals bool
	}
	cases := map[string]struct {
		reason string
		s      normalize.State
		want   want
	}{
		"Zero": {
			reason: "A cluster never seen has the zero state.",
			s:      normalize.State{},
		},
		"Core": {
			reason: "A ready cluster without signals holds no signals part.",
			s:      normalize.State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.31", Paused: true},
		},
		"EmptyNotNil": {
			reason: "An empty list is not a missing one: it is kept as it is.",
			s:      normalize.State{Phase: v1alpha1.PhaseReady, Recent: []time.Time{}},
			want:   want{Signals: true},
		},
		"SyncLostElsewhere": {
			reason: "A time equal to another in another zone is kept with its zone.",
			s:      normalize.State{Phase: v1alpha1.PhaseReady, SyncLost: local},
			want:   want{Signals: true},
		},
		"Signals": {
			reason: "Every signal part is kept.",
			s: normalize.State{
				Phase: v1alpha1.PhaseDegraded, Created: true, KubernetesVersion: "1.30",
				OutOfSync:  []normalize.OutOfSync{{After: time.Minute, Since: at}},
				SyncLost:   at,
				SyncReason: "ReconcileError", SyncMessage: "cannot observe",
				Recent: []time.Time{at, at.Add(time.Minute)},
				Flaps:  []normalize.FlapEpisode{{Damping: normalize.Damping{Transitions: 4, Window: time.Hour}, Since: at, Last: at, Count: 4}},
			},
			want: want{Signals: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := packState(tc.s)
			if diff := cmp.Diff(tc.s, p.state()); diff != "" {
				t.Errorf("\n%s\npackState(...).state(): -want, +got:\n%s", tc.reason, diff)
			}
			if got := p.state(); got.SyncLost != tc.s.SyncLost {
				t.Errorf("\n%s\npackState(...).state().SyncLost: want %#v, got %#v", tc.reason, tc.s.SyncLost, got.SyncLost)
			}
			if diff := cmp.Diff(tc.want, want{Signals: p.signals != nil}); diff != "" {
				t.Errorf("\n%s\npackState(...) holds signals: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestLinks proves that a record gives back exactly the links it was given,
// and holds an id in its compact form only when that form gives it back.
func TestLinks(t *testing.T) {
	start := metav1.NewTime(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC))
	id := EventID("uid-1", v1alpha1.LifecycleReady, start.Time, "")
	type args struct {
		Incident   *metav1.Time
		IncidentID string
		LastID     string
	}
	type want struct {
		Links args
		Rare  bool
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"None": {
			reason: "A ledger without events links nothing.",
		},
		"Last": {
			reason: "An id the ledger made is held compactly.",
			args:   args{LastID: id},
			want:   want{Links: args{LastID: id}},
		},
		"Incident": {
			reason: "An open outage is kept with the newest id.",
			args:   args{Incident: &start, IncidentID: id, LastID: id},
			want:   want{Links: args{Incident: &start, IncidentID: id, LastID: id}, Rare: true},
		},
		"UpperCase": {
			reason: "An id not in canonical form is kept as it is.",
			args:   args{LastID: strings.ToUpper(id)},
			want:   want{Links: args{LastID: strings.ToUpper(id)}, Rare: true},
		},
		"NotUUID": {
			reason: "An id that is no UUID is kept as it is.",
			args:   args{LastID: "event-1"},
			want:   want{Links: args{LastID: "event-1"}, Rare: true},
		},
		"Nil": {
			reason: "The nil UUID is kept as it is, not taken for no id.",
			args:   args{LastID: "00000000-0000-0000-0000-000000000000"},
			want:   want{Links: args{LastID: "00000000-0000-0000-0000-000000000000"}, Rare: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &Record{}
			// A record's links are replaced as a whole.
			r.setLinks(&start, "earlier", "earlier")
			r.setLinks(tc.args.Incident, tc.args.IncidentID, tc.args.LastID)
			var got want
			got.Links.Incident, got.Links.IncidentID, got.Links.LastID = r.links()
			got.Rare = r.rare != nil
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nsetLinks(...) then links(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// BenchmarkRoutings reports what a walk over every record costs, with the
// ledger's lock held: what a sink's delivery figures take at each status
// refresh and each metrics scrape, here for a sink with progress on every
// cluster.
func BenchmarkRoutings(b *testing.B) {
	const clusters = 10000
	const sink = "ClusterProviderConfig/platform"
	p, ok := catalog.New().Lookup(eks)
	if !ok {
		b.Fatal("no built-in profile for upjet EKS")
	}
	lg := New(nil, nil)
	recordedFleet(b, lg, p, clusters)
	lg.mu.Lock()
	uids := make([]types.UID, 0, clusters)
	for uid := range lg.records {
		uids = append(uids, uid)
	}
	lg.mu.Unlock()
	for _, uid := range uids {
		lg.SetCursor(uid, sink, Cursor{Delivered: 2, Endpoint: "http://sink"})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		progressed := 0
		for _, rt := range lg.Routings(sink) {
			if rt.HasCursor && rt.Cursor.Delivered == 2 {
				progressed++
			}
		}
		if progressed != clusters {
			b.Fatalf("%d of %d clusters with the sink's progress", progressed, clusters)
		}
	}
}
