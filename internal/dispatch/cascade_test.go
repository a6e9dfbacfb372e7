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

package dispatch

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cascade"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
)

// TestFindCascades checks which cascades a sink finds, and what it keeps
// of them, as clusters' incidents begin and end.
func TestFindCascades(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return now.Add(time.Duration(min) * time.Minute) }
	cluster := func(uid, ns, region string, incidents ...cascade.Incident) *cascadeCluster {
		for i := range incidents {
			incidents[i].Cluster = uid
		}
		return &cascadeCluster{incidents: incidents, view: ledger.View{
			UID: types.UID(uid), Provider: "aws", Facts: v1alpha1.Facts{Region: region},
			Ref: v1alpha1.ResourceRef{Namespace: ns, Name: uid, UID: types.UID(uid)},
		}}
	}
	down := func(id string, start int) cascade.Incident {
		return cascade.Incident{Start: at(start), StartID: id}
	}
	downUp := func(id string, start, end int) cascade.Incident {
		return cascade.Incident{Start: at(start), StartID: id, End: at(end), EndID: id + "-up"}
	}
	detectedAt := func(min int) metav1.Time { return metav1.NewTime(at(min)) }
	resolvedAt := func(min int) *metav1.Time { t := metav1.NewTime(at(min)); return &t }
	idOf := func(group string, detected int) string {
		eps := cascade.Episodes(group, []cascade.Incident{down("x", detected), {Cluster: "y", Start: at(detected), StartID: "y"}}, 2, time.Minute)
		return eps[0].ID
	}

	type args struct {
		namespace string
		since     time.Time
		seeded    []v1alpha1.CascadeRecord
		clusters  map[types.UID]*cascadeCluster
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []v1alpha1.CascadeRecord
	}{
		"Detected": {
			reason: "Two clusters of one region down within the window are a cascade the sink has not received yet.",
			args: args{since: at(-60), clusters: map[types.UID]*cascadeCluster{
				"a": cluster("a", "", "us-east-1", down("a1", 0)),
				"b": cluster("b", "", "us-east-1", down("b1", 2)),
				"c": cluster("c", "", "eu-west-1", down("c1", 1)),
			}},
			want: []v1alpha1.CascadeRecord{{ID: idOf("aws/us-east-1", 2), Group: "aws/us-east-1", Detected: detectedAt(2), Clusters: 2}},
		},
		"TenantSeesItsNamespace": {
			reason: "A namespaced ProviderConfig counts only its own namespace's clusters: one of its own and one of another tenant are no cascade.",
			args: args{namespace: "team-a", since: at(-60), clusters: map[types.UID]*cascadeCluster{
				"a": cluster("a", "team-a", "us-east-1", down("a1", 0)),
				"b": cluster("b", "team-b", "us-east-1", down("b1", 1)),
				"c": cluster("c", "team-b", "us-east-1", down("c1", 2)),
			}},
		},
		"TenantOwnCascade": {
			reason: "Its own clusters make a cascade that names only them.",
			args: args{namespace: "team-b", since: at(-60), clusters: map[types.UID]*cascadeCluster{
				"a": cluster("a", "team-a", "us-east-1", down("a1", 0)),
				"b": cluster("b", "team-b", "us-east-1", down("b1", 1)),
				"c": cluster("c", "team-b", "us-east-1", down("c1", 2)),
			}},
			want: []v1alpha1.CascadeRecord{{ID: idOf("aws/us-east-1", 2), Group: "aws/us-east-1", Detected: detectedAt(2), Clusters: 2}},
		},
		"ResolvedBeforeSink": {
			reason: "A cascade resolved before the sink's URL was first seen is history, not sent.",
			args: args{since: at(30), clusters: map[types.UID]*cascadeCluster{
				"a": cluster("a", "", "us-east-1", downUp("a1", 0, 10)),
				"b": cluster("b", "", "us-east-1", downUp("b1", 1, 12)),
			}},
		},
		"OpenBeforeSink": {
			reason: "A cascade still open when the sink is added is sent: it is the present.",
			args: args{since: at(30), clusters: map[types.UID]*cascadeCluster{
				"a": cluster("a", "", "us-east-1", downUp("a1", 0, 10)),
				"b": cluster("b", "", "us-east-1", down("b1", 1)),
			}},
			want: []v1alpha1.CascadeRecord{{ID: idOf("aws/us-east-1", 1), Group: "aws/us-east-1", Detected: detectedAt(1), Clusters: 2}},
		},
		"ResolvedWhileDown": {
			reason: "A cascade whose detected event the sink had before a restart is resolved from the ledgers, and keeps what status said was sent.",
			args: args{since: at(30), seeded: []v1alpha1.CascadeRecord{{ID: idOf("aws/us-east-1", 1), Group: "aws/us-east-1", Detected: detectedAt(1), Clusters: 2, Sent: v1alpha1.CascadeDetected}},
				clusters: map[types.UID]*cascadeCluster{
					"a": cluster("a", "", "us-east-1", downUp("a1", 0, 10)),
					"b": cluster("b", "", "us-east-1", downUp("b1", 1, 12)),
				}},
			want: []v1alpha1.CascadeRecord{{ID: idOf("aws/us-east-1", 1), Group: "aws/us-east-1", Detected: detectedAt(1), Resolved: resolvedAt(12), Clusters: 2, Sent: v1alpha1.CascadeDetected}},
		},
		"NotFoundKept": {
			reason: "A cascade status says was detected, that the ledgers do not show (yet), is kept as it is: its resolution is never invented.",
			args:   args{since: at(30), seeded: []v1alpha1.CascadeRecord{{ID: "gone", Group: "aws/us-east-1", Detected: detectedAt(1), Clusters: 2, Sent: v1alpha1.CascadeDetected}}},
			want:   []v1alpha1.CascadeRecord{{ID: "gone", Group: "aws/us-east-1", Detected: detectedAt(1), Clusters: 2, Sent: v1alpha1.CascadeDetected}},
		},
		"OldForgotten": {
			reason: "A cascade the sink received, resolved more than a day ago, is forgotten.",
			args:   args{since: at(-3000), seeded: []v1alpha1.CascadeRecord{{ID: "old", Group: "aws/us-east-1", Detected: detectedAt(-2000), Resolved: resolvedAt(-1900), Clusters: 2, Sent: v1alpha1.CascadeResolved}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := &Dispatcher{now: func() time.Time { return now.Add(time.Hour) }}
			s := &sink{d: d, cascades: map[string]*cascadeState{}, settings: Settings{
				ID: "sink", Since: tc.args.since, Routes: Routes{Namespace: tc.args.namespace},
				Cascade: &v1alpha1.CascadeSignal{MinClusters: 2, Window: &metav1.Duration{Duration: 5 * time.Minute}},
			}}
			s.outbox = deliver.NewOutbox(nil, s)
			s.seedCascades(tc.args.seeded)
			s.findCascades(tc.args.clusters, nil)
			s.mu.Lock()
			got := s.cascadeRecordsLocked()
			s.mu.Unlock()
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(func(a, b metav1.Time) bool { return a.Equal(&b) })); diff != "" {
				t.Errorf("\n%s\nfindCascades(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
