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
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

var eks = schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}

func TestNameFor(t *testing.T) {
	type args struct {
		gk        schema.GroupKind
		namespace string
		name      string
		uid       types.UID
	}
	cases := map[string]struct {
		reason string
		args   args
		prefix string
	}{
		"ClusterScoped": {
			reason: "The first label of the group and the name, then a hash of the uid.",
			args:   args{gk: eks, name: "prod-1", uid: "u1"},
			prefix: "eks-prod-1-",
		},
		"Namespaced": {
			reason: "Namespaced objects include their namespace.",
			args:   args{gk: schema.GroupKind{Group: "eks.aws.m.upbound.io", Kind: "Cluster"}, namespace: "team-a", name: "prod-1", uid: "u1"},
			prefix: "eks-team-a-prod-1-",
		},
		"Long": {
			reason: "Long names are truncated to stay a valid object name.",
			args:   args{gk: eks, namespace: strings.Repeat("n", 63), name: strings.Repeat("x", 253), uid: "u1"},
			prefix: "eks-" + strings.Repeat("n", 63) + "-",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := NameFor(tc.args.gk, tc.args.namespace, tc.args.name, tc.args.uid)
			if !strings.HasPrefix(got, tc.prefix) {
				t.Errorf("\n%s\nNameFor(...) = %q, want prefix %q", tc.reason, got, tc.prefix)
			}
			if errs := validation.IsDNS1123Subdomain(got); len(errs) > 0 {
				t.Errorf("\n%s\nNameFor(...) = %q is not a valid name: %v", tc.reason, got, errs)
			}
			if other := NameFor(tc.args.gk, tc.args.namespace, tc.args.name, "u2"); other == got {
				t.Errorf("\n%s\nNameFor(...): two incarnations share the name %q", tc.reason, got)
			}
		})
	}
}

func TestSubjectIDAndShortKind(t *testing.T) {
	cases := map[string]struct {
		reason    string
		gk        schema.GroupKind
		namespace string
		subject   string
		short     string
	}{
		"ClusterScoped": {
			reason:  "Subject ids are hierarchical paths under the control plane.",
			gk:      eks,
			subject: "/cp/eks.aws.upbound.io/Cluster/prod",
			short:   "eks.aws/Cluster",
		},
		"Namespaced": {
			reason:    "The namespace sits between kind and name.",
			gk:        schema.GroupKind{Group: "container.gcp.m.upbound.io", Kind: "Cluster"},
			namespace: "team-a",
			subject:   "/cp/container.gcp.m.upbound.io/Cluster/team-a/prod",
			short:     "container.gcp.m/Cluster",
		},
		"Classic": {
			reason:  "crossplane.io groups are shortened too.",
			gk:      schema.GroupKind{Group: "compute.azure.crossplane.io", Kind: "AKSCluster"},
			subject: "/cp/compute.azure.crossplane.io/AKSCluster/prod",
			short:   "compute.azure/AKSCluster",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.subject, SubjectID("cp", tc.gk, tc.namespace, "prod")); diff != "" {
				t.Errorf("\n%s\nSubjectID(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.short, ShortKind(tc.gk)); diff != "" {
				t.Errorf("\n%s\nShortKind(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestEventID(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	base := EventID("u1", v1alpha1.LifecycleReady, t0, "")
	upgrade := EventID("u1", v1alpha1.LifecycleUpgraded, t0, "1.31")
	cases := map[string]struct {
		reason string
		id     string
		base   string
		same   bool
	}{
		"SameInputs": {
			reason: "The same transition always has the same id.",
			id:     EventID("u1", v1alpha1.LifecycleReady, t0.In(time.FixedZone("x", 3600)), ""),
			base:   base,
			same:   true,
		},
		"EarlierReleases": {
			reason: "A transition the object records the time of keeps the id earlier releases gave it.",
			id:     "bdf324e7-7810-57a2-8b50-d4649dbfee89",
			base:   base,
			same:   true,
		},
		"OtherLifecycle": {
			reason: "Another lifecycle at the same time is another event.",
			id:     EventID("u1", v1alpha1.LifecycleDegraded, t0, ""),
			base:   base,
		},
		"OtherTime": {
			reason: "The same lifecycle later is another event.",
			id:     EventID("u1", v1alpha1.LifecycleReady, t0.Add(time.Second), ""),
			base:   base,
		},
		"OtherObject": {
			reason: "Another object is another event.",
			id:     EventID("u2", v1alpha1.LifecycleReady, t0, ""),
			base:   base,
		},
		"SameUpgrade": {
			reason: "The same upgrade, seen again, has the same id.",
			id:     EventID("u1", v1alpha1.LifecycleUpgraded, t0, "1.31"),
			base:   upgrade,
			same:   true,
		},
		"OtherValue": {
			reason: "Two upgrades stamped with the same object time are told apart by the version they reached.",
			id:     EventID("u1", v1alpha1.LifecycleUpgraded, t0, "1.32"),
			base:   upgrade,
		},
		"ValueOrNot": {
			reason: "A transition with an observed value is another event than one without.",
			id:     EventID("u1", v1alpha1.LifecycleUpgraded, t0, ""),
			base:   upgrade,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.id == tc.base; got != tc.same {
				t.Errorf("\n%s\nEventID(...) == base: got %t, want %t", tc.reason, got, tc.same)
			}
		})
	}
}

func TestTrackIncident(t *testing.T) {
	t1 := metav1.NewTime(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	t2 := metav1.NewTime(t1.Add(time.Hour))
	ev := func(l v1alpha1.Lifecycle, at metav1.Time) v1alpha1.LedgerEvent {
		return v1alpha1.LedgerEvent{Lifecycle: l, Time: at}
	}
	cases := map[string]struct {
		reason    string
		log       []v1alpha1.LedgerEvent
		stamped   []*metav1.Time
		stillOpen *metav1.Time
	}{
		"DegradedThenRecovered": {
			reason:  "Recovered names the degraded event that began the outage.",
			log:     []v1alpha1.LedgerEvent{ev(v1alpha1.LifecycleReady, t1), ev(v1alpha1.LifecycleDegraded, t1), ev(v1alpha1.LifecycleRecovered, t2)},
			stamped: []*metav1.Time{nil, nil, &t1},
		},
		"FailedThenReady": {
			reason:  "Ready after a failed create ends the failure's incident.",
			log:     []v1alpha1.LedgerEvent{ev(v1alpha1.LifecycleCreated, t1), ev(v1alpha1.LifecycleFailed, t1), ev(v1alpha1.LifecycleReady, t2)},
			stamped: []*metav1.Time{nil, nil, &t1},
		},
		"StillDegraded": {
			reason:    "A second degradation does not move the start of the open outage.",
			log:       []v1alpha1.LedgerEvent{ev(v1alpha1.LifecycleDegraded, t1), ev(v1alpha1.LifecycleDegraded, t2)},
			stamped:   []*metav1.Time{nil, nil},
			stillOpen: &t1,
		},
		"DeletedCloses": {
			reason:  "A deleted cluster has no open outage, and deleted resolves nothing.",
			log:     []v1alpha1.LedgerEvent{ev(v1alpha1.LifecycleDegraded, t1), ev(v1alpha1.LifecycleDeleted, t2)},
			stamped: []*metav1.Time{nil, nil},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var open *metav1.Time
			var stamped []*metav1.Time
			for i := range tc.log {
				e := tc.log[i]
				open = trackIncident(open, &e)
				stamped = append(stamped, e.IncidentStart)
			}
			if diff := cmp.Diff(tc.stamped, stamped); diff != "" {
				t.Errorf("\n%s\ntrackIncident(...): IncidentStart per event: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.stillOpen, open); diff != "" {
				t.Errorf("\n%s\ntrackIncident(...): open outage: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPruneCount(t *testing.T) {
	lg := &Ledger{maxEvents: 100, keepEvents: 8}
	type args struct{ first, last, low int64 }
	cases := map[string]struct {
		reason string
		args   args
		want   int
	}{
		"Short": {
			reason: "A log of fewer than twice the kept history is left alone, so that each prune, which reads the ledger, covers many writes.",
			args:   args{first: 1, last: 15, low: 15},
		},
		"DeliveredHistory": {
			reason: "Once twice the kept history has gathered, delivered events beyond it are pruned.",
			args:   args{first: 1, last: 16, low: 16},
			want:   8,
		},
		"OnlyDelivered": {
			reason: "Events some sink still needs are kept, even beyond the history.",
			args:   args{first: 1, last: 30, low: 10},
			want:   10,
		},
		"SmallBatch": {
			reason: "Fewer delivered events than the kept history wait until more are delivered.",
			args:   args{first: 1, last: 30, low: 2},
		},
		"NothingDelivered": {
			reason: "A sink that has nothing yet keeps everything below the hard bound.",
			args:   args{first: 1, last: 90, low: 0},
		},
		"HardBound": {
			reason: "Beyond the hard bound the oldest go, delivered or not.",
			args:   args{first: 1, last: 110, low: 0},
			want:   10,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := lg.pruneCount(tc.args.first, tc.args.last, tc.args.low); got != tc.want {
				t.Errorf("\n%s\npruneCount(...) = %d, want %d", tc.reason, got, tc.want)
			}
		})
	}
}

func TestExposed(t *testing.T) {
	at := func(l v1alpha1.Lifecycle, value string) pending {
		return pending{Transition: normalize.Transition{Lifecycle: l, Value: value}}
	}
	cases := map[string]struct {
		reason     string
		recorded   int64 // the ledger's last seq; 0 before its first write
		unrecorded []pending
		want       int
	}{
		"Nothing": {
			reason:   "Nothing on its way, nothing to send early.",
			recorded: 2,
			want:     0,
		},
		"NothingRecordedYet": {
			reason:     "A cluster's first events wait for its ledger's first write, even those the object records the time of.",
			unrecorded: []pending{at(v1alpha1.LifecycleCreated, ""), at(v1alpha1.LifecycleReady, "")},
			want:       0,
		},
		"AllTimedByTheObject": {
			reason:     "Transitions the object records the time of are all sent while their write is in flight.",
			recorded:   2,
			unrecorded: []pending{at(v1alpha1.LifecycleReady, ""), at(v1alpha1.LifecycleDeleting, "")},
			want:       2,
		},
		"HeldBehindOneRecordedFirst": {
			reason:     "deleted is recorded before it is sent, and holds back what follows it, so the cluster's events stay in order.",
			recorded:   2,
			unrecorded: []pending{at(v1alpha1.LifecycleReady, ""), at(v1alpha1.LifecycleDeleted, ""), at(v1alpha1.LifecycleCreated, "")},
			want:       1,
		},
		"CloudStateAndUpgradeSentEarly": {
			reason:     "A degradation told by the cloud state and an upgrade are found again from the object, so they are sent while their write is in flight.",
			recorded:   2,
			unrecorded: []pending{at(v1alpha1.LifecycleDegraded, "FAILED"), at(v1alpha1.LifecycleUpgraded, "1.31")},
			want:       2,
		},
		"FlappingFirst": {
			reason:     "flapping is worked out from recorded history and recorded first.",
			recorded:   2,
			unrecorded: []pending{at(v1alpha1.LifecycleFlapping, "3/1m0s"), at(v1alpha1.LifecycleDegraded, "")},
			want:       0,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &Record{lastSeq: tc.recorded, unrecorded: tc.unrecorded}
			if diff := cmp.Diff(tc.want, r.exposed()); diff != "" {
				t.Errorf("\n%s\nexposed(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestPinned(t *testing.T) {
	ev := func(seq int64, l v1alpha1.Lifecycle) v1alpha1.LedgerEvent {
		return v1alpha1.LedgerEvent{Seq: seq, Lifecycle: l}
	}
	upgrades := func(from, to int64) []v1alpha1.LedgerEvent {
		var out []v1alpha1.LedgerEvent
		for seq := from; seq <= to; seq++ {
			out = append(out, ev(seq, v1alpha1.LifecycleUpgraded))
		}
		return out
	}
	after := 5 * time.Minute
	type args struct {
		events []v1alpha1.LedgerEvent
		first  int64
		phase  v1alpha1.Phase
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []int64
	}{
		"CreatedOutlivesTheLog": {
			reason: "Created, and the event that set the phase when it is pruned too, outlive a prune.",
			args: args{
				events: append([]v1alpha1.LedgerEvent{ev(1, v1alpha1.LifecycleCreated), ev(2, v1alpha1.LifecycleReady), ev(3, v1alpha1.LifecycleDegraded)}, upgrades(4, 20)...),
				first:  13,
				phase:  v1alpha1.PhaseDegraded,
			},
			want: []int64{1, 3},
		},
		"PhaseSetterInTheLog": {
			reason: "An event the log keeps is not pinned: only what the prune removes is.",
			args: args{
				events: append([]v1alpha1.LedgerEvent{ev(1, v1alpha1.LifecycleCreated), ev(2, v1alpha1.LifecycleReady)}, upgrades(3, 20)...),
				first:  13,
				phase:  v1alpha1.PhaseReady,
			},
			want: []int64{1},
		},
		"SupersededPinsGo": {
			reason: "An event pinned earlier that no replay needs any more goes with the next prune: the ready of a cluster degraded since.",
			args: args{
				events: append([]v1alpha1.LedgerEvent{ev(1, v1alpha1.LifecycleCreated), ev(2, v1alpha1.LifecycleReady), ev(10, v1alpha1.LifecycleDegraded)}, upgrades(11, 30)...),
				first:  23,
				phase:  v1alpha1.PhaseDegraded,
			},
			want: []int64{1, 10},
		},
		"OpenSignals": {
			reason: "Signals still open are pinned; closed ones are not.",
			args: args{
				events: append([]v1alpha1.LedgerEvent{
					ev(1, v1alpha1.LifecycleCreated), ev(2, v1alpha1.LifecycleReady), ev(3, v1alpha1.LifecyclePaused),
					{Seq: 4, Lifecycle: v1alpha1.LifecycleOutOfSync, OutOfSyncAfter: &metav1.Duration{Duration: after}},
					{Seq: 5, Lifecycle: v1alpha1.LifecycleOutOfSync, OutOfSyncAfter: &metav1.Duration{Duration: time.Minute}},
					{Seq: 6, Lifecycle: v1alpha1.LifecycleInSync, OutOfSyncAfter: &metav1.Duration{Duration: time.Minute}},
				}, upgrades(7, 20)...),
				first: 13,
				phase: v1alpha1.PhaseReady,
			},
			want: []int64{1, 3, 4},
		},
		"Deleted": {
			reason: "A deleted cluster is never replayed: nothing is pinned.",
			args: args{
				events: append(append([]v1alpha1.LedgerEvent{ev(1, v1alpha1.LifecycleCreated)}, upgrades(2, 20)...), ev(21, v1alpha1.LifecycleDeleted)),
				first:  14,
				phase:  v1alpha1.PhaseDeleted,
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []int64
			for _, e := range pinned(tc.args.events, tc.args.first, tc.args.phase) {
				got = append(got, e.Seq)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\npinned(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
