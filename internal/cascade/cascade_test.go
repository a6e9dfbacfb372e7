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

package cascade

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

var t0 = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC) //nolint:gochecknoglobals // A fixed time for the tables.

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// open is an incident of cluster c that began at minute start.
func open(c string, start int) Incident {
	return Incident{Cluster: c, Start: at(start), StartID: c + "-d" + time.Duration(start).String()}
}

// closed is an incident of cluster c from minute start to minute end.
func closed(c string, start, end int) Incident {
	i := open(c, start)
	i.End, i.EndID = at(end), c+"-r"+time.Duration(end).String()
	return i
}

// summary is what a table checks of an episode.
type summary struct {
	Detected   time.Time
	DetectedBy string
	Clusters   []string
	Resolved   time.Time
	ResolvedBy string
}

func summarize(es []Episode) []summary {
	var out []summary
	for _, e := range es {
		out = append(out, summary{Detected: e.Detected, DetectedBy: e.DetectedBy, Clusters: e.Clusters(), Resolved: e.Resolved, ResolvedBy: e.ResolvedBy})
	}
	return out
}

func TestEpisodes(t *testing.T) {
	type args struct {
		incidents   []Incident
		minClusters int
		window      time.Duration
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []summary
	}{
		"NoIncidents": {
			reason: "No incident is no cascade.",
			args:   args{minClusters: 2, window: 5 * time.Minute},
		},
		"BelowMinClusters": {
			reason: "Two clusters degraded together are not a cascade when three are needed.",
			args:   args{incidents: []Incident{open("a", 0), open("b", 1)}, minClusters: 3, window: 5 * time.Minute},
		},
		"Detected": {
			reason: "The third cluster of three within the window opens the cascade at its incident's start.",
			args:   args{incidents: []Incident{open("a", 0), open("b", 1), open("c", 3)}, minClusters: 3, window: 5 * time.Minute},
			want:   []summary{{Detected: at(3), DetectedBy: open("c", 3).StartID, Clusters: []string{"a", "b", "c"}}},
		},
		"OrderOfInputIrrelevant": {
			reason: "Incidents are taken in order of their start, whatever order they are given in.",
			args:   args{incidents: []Incident{open("c", 3), open("a", 0), open("b", 1)}, minClusters: 3, window: 5 * time.Minute},
			want:   []summary{{Detected: at(3), DetectedBy: open("c", 3).StartID, Clusters: []string{"a", "b", "c"}}},
		},
		"OutsideWindow": {
			reason: "Incidents further apart than the window are not one cascade.",
			args:   args{incidents: []Incident{open("a", 0), open("b", 6), open("c", 12)}, minClusters: 2, window: 5 * time.Minute},
		},
		"SlidingWindow": {
			reason: "The window slides: the first incident is too early, the next two are close enough.",
			args:   args{incidents: []Incident{open("a", 0), open("b", 10), open("c", 12)}, minClusters: 2, window: 5 * time.Minute},
			want:   []summary{{Detected: at(12), DetectedBy: open("c", 12).StartID, Clusters: []string{"b", "c"}}},
		},
		"OneClusterCountsOnce": {
			reason: "A cluster that degrades twice within the window counts once.",
			args:   args{incidents: []Incident{closed("a", 0, 1), open("a", 2), open("b", 3)}, minClusters: 3, window: 5 * time.Minute},
		},
		"RecoveredMembersCount": {
			reason: "Clusters that turned degraded within the window count even if one recovered already.",
			args:   args{incidents: []Incident{closed("a", 0, 1), open("b", 2), open("c", 3)}, minClusters: 3, window: 5 * time.Minute},
			want:   []summary{{Detected: at(3), DetectedBy: open("c", 3).StartID, Clusters: []string{"a", "b", "c"}}},
		},
		"LateJoiner": {
			reason: "An incident that begins while the cascade is open joins it, even after the window.",
			args:   args{incidents: []Incident{open("a", 0), open("b", 1), open("c", 30)}, minClusters: 2, window: 5 * time.Minute},
			want:   []summary{{Detected: at(1), DetectedBy: open("b", 1).StartID, Clusters: []string{"a", "b", "c"}}},
		},
		"ResolvedByLastRecovery": {
			reason: "The cascade is resolved when its last member recovers, at that recovery's time and event.",
			args:   args{incidents: []Incident{closed("a", 0, 20), closed("b", 1, 40), closed("c", 2, 30)}, minClusters: 3, window: 5 * time.Minute},
			want:   []summary{{Detected: at(2), DetectedBy: open("c", 2).StartID, Clusters: []string{"a", "b", "c"}, Resolved: at(40), ResolvedBy: closed("b", 1, 40).EndID}},
		},
		"OpenWhileOneMemberOpen": {
			reason: "A cascade with one member still open is not resolved.",
			args:   args{incidents: []Incident{closed("a", 0, 20), open("b", 1), closed("c", 2, 30)}, minClusters: 3, window: 5 * time.Minute},
			want:   []summary{{Detected: at(2), DetectedBy: open("c", 2).StartID, Clusters: []string{"a", "b", "c"}}},
		},
		"JoinerKeepsItOpen": {
			reason: "A member that joined late and is still open keeps the cascade open.",
			args:   args{incidents: []Incident{closed("a", 0, 20), closed("b", 1, 20), open("c", 10)}, minClusters: 2, window: 5 * time.Minute},
			want:   []summary{{Detected: at(1), DetectedBy: open("b", 1).StartID, Clusters: []string{"a", "b", "c"}}},
		},
		"TwoEpisodes": {
			reason: "After a cascade is resolved, a new one needs minClusters new incidents; the first cascade's incidents are not counted again.",
			args: args{incidents: []Incident{
				closed("a", 0, 10), closed("b", 1, 10),
				closed("c", 12, 20),
				closed("a", 30, 40), closed("b", 31, 41),
			}, minClusters: 2, window: 5 * time.Minute},
			want: []summary{
				{Detected: at(1), DetectedBy: open("b", 1).StartID, Clusters: []string{"a", "b"}, Resolved: at(10), ResolvedBy: closed("b", 1, 10).EndID},
				{Detected: at(31), DetectedBy: open("b", 31).StartID, Clusters: []string{"a", "b"}, Resolved: at(41), ResolvedBy: closed("b", 31, 41).EndID},
			},
		},
		"EndAtJoinTime": {
			reason: "An incident that begins the moment the last member ends does not join: the cascade was resolved.",
			args:   args{incidents: []Incident{closed("a", 0, 10), closed("b", 1, 10), open("c", 10)}, minClusters: 2, window: 5 * time.Minute},
			want:   []summary{{Detected: at(1), DetectedBy: open("b", 1).StartID, Clusters: []string{"a", "b"}, Resolved: at(10), ResolvedBy: closed("b", 1, 10).EndID}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := summarize(Episodes("aws/us-east-1", tc.args.incidents, tc.args.minClusters, tc.args.window))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nEpisodes(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestEpisodeIDStable checks that an episode keeps its id as members join
// and end, and that another group's episode has another.
func TestEpisodeIDStable(t *testing.T) {
	window := 5 * time.Minute
	first := Episodes("aws/us-east-1", []Incident{open("a", 0), open("b", 1)}, 2, window)
	later := Episodes("aws/us-east-1", []Incident{closed("a", 0, 9), closed("b", 1, 8), closed("c", 4, 7)}, 2, window)
	other := Episodes("aws/eu-west-1", []Incident{open("a", 0), open("b", 1)}, 2, window)
	if len(first) != 1 || len(later) != 1 || len(other) != 1 {
		t.Fatalf("want one episode each, got %d, %d, %d", len(first), len(later), len(other))
	}
	if first[0].ID != later[0].ID {
		t.Errorf("the episode's id changed as it went on: %s, then %s", first[0].ID, later[0].ID)
	}
	if first[0].ID == other[0].ID {
		t.Errorf("two groups' episodes have one id %s", first[0].ID)
	}
}

func TestGroup(t *testing.T) {
	type args struct {
		by        v1alpha1.CascadeGrouping
		provider  string
		namespace string
		facts     v1alpha1.Facts
	}
	type want struct {
		key string
		ok  bool
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"ProviderRegion": {
			reason: "Clusters of one provider in one region share a group.",
			args:   args{by: v1alpha1.CascadeByProviderRegion, provider: "aws", facts: v1alpha1.Facts{Region: "us-east-1"}},
			want:   want{key: "aws/us-east-1", ok: true},
		},
		"NoRegion": {
			reason: "A cluster that reports no region is in no group.",
			args:   args{by: v1alpha1.CascadeByProviderRegion, provider: "aws"},
		},
		"DefaultIsRegion": {
			reason: "An empty grouping is ProviderRegion.",
			args:   args{provider: "gcp", facts: v1alpha1.Facts{Region: "europe-west1", ProviderConfig: "default"}},
			want:   want{key: "gcp/europe-west1", ok: true},
		},
		"ProviderConfig": {
			reason: "Clusters whose managed resources use one cluster-wide ProviderConfig share a group.",
			args:   args{by: v1alpha1.CascadeByProviderConfig, provider: "aws", facts: v1alpha1.Facts{Region: "us-east-1", ProviderConfig: "prod"}},
			want:   want{key: "aws/prod", ok: true},
		},
		"NamespacedProviderConfig": {
			reason: "A namespaced ProviderConfig is its namespace's own.",
			args:   args{by: v1alpha1.CascadeByProviderConfig, provider: "aws", namespace: "team-a", facts: v1alpha1.Facts{ProviderConfig: "ProviderConfig/default"}},
			want:   want{key: "aws/team-a/ProviderConfig/default", ok: true},
		},
		"ClusterProviderConfigFromNamespace": {
			reason: "A ClusterProviderConfig is shared by every namespace.",
			args:   args{by: v1alpha1.CascadeByProviderConfig, provider: "aws", namespace: "team-a", facts: v1alpha1.Facts{ProviderConfig: "ClusterProviderConfig/default"}},
			want:   want{key: "aws/ClusterProviderConfig/default", ok: true},
		},
		"NoProviderConfig": {
			reason: "A cluster that names no ProviderConfig is in no group.",
			args:   args{by: v1alpha1.CascadeByProviderConfig, provider: "aws", facts: v1alpha1.Facts{Region: "us-east-1"}},
		},
		"NoProvider": {
			reason: "A cluster of no known provider is in no group.",
			args:   args{by: v1alpha1.CascadeByProviderRegion, facts: v1alpha1.Facts{Region: "us-east-1"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			key, ok := Group(tc.args.by, tc.args.provider, tc.args.namespace, tc.args.facts)
			if diff := cmp.Diff(tc.want, want{key: key, ok: ok}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nGroup(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTrack(t *testing.T) {
	ev := func(id string, l v1alpha1.Lifecycle, min int) v1alpha1.LedgerEvent {
		return v1alpha1.LedgerEvent{ID: id, Lifecycle: l, Time: metav1.NewTime(at(min))}
	}
	ending := ev("r", v1alpha1.LifecycleRecovered, 9)
	ending.IncidentStart, ending.IncidentEvent = &metav1.Time{Time: at(2)}, "d-pruned"
	type args struct {
		incidents []Incident
		events    []v1alpha1.LedgerEvent
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []Incident
	}{
		"Degraded": {
			reason: "A degraded event opens an incident.",
			args:   args{events: []v1alpha1.LedgerEvent{ev("c", v1alpha1.LifecycleCreated, 0), ev("d", v1alpha1.LifecycleDegraded, 1)}},
			want:   []Incident{{Cluster: "x", Start: at(1), StartID: "d"}},
		},
		"FailedWhileDegraded": {
			reason: "A failed event while an incident is open does not open another.",
			args:   args{events: []v1alpha1.LedgerEvent{ev("d", v1alpha1.LifecycleDegraded, 1), ev("f", v1alpha1.LifecycleFailed, 2)}},
			want:   []Incident{{Cluster: "x", Start: at(1), StartID: "d"}},
		},
		"Recovered": {
			reason: "A recovered event ends the open incident, in a later batch too.",
			args:   args{incidents: []Incident{{Cluster: "x", Start: at(1), StartID: "d"}}, events: []v1alpha1.LedgerEvent{ev("r", v1alpha1.LifecycleRecovered, 5)}},
			want:   []Incident{{Cluster: "x", Start: at(1), StartID: "d", End: at(5), EndID: "r"}},
		},
		"Deleted": {
			reason: "A deleted cluster's incident ends with its deletion.",
			args:   args{events: []v1alpha1.LedgerEvent{ev("d", v1alpha1.LifecycleDegraded, 1), ev("x", v1alpha1.LifecycleDeleted, 3)}},
			want:   []Incident{{Cluster: "x", Start: at(1), StartID: "d", End: at(3), EndID: "x"}},
		},
		"ReadyWithoutIncident": {
			reason: "A ready event with nothing open ends nothing.",
			args:   args{events: []v1alpha1.LedgerEvent{ev("r", v1alpha1.LifecycleReady, 1)}},
		},
		"PrunedOpening": {
			reason: "An ending whose opening event was pruned names the incident by its start and opening event.",
			args:   args{events: []v1alpha1.LedgerEvent{ending}},
			want:   []Incident{{Cluster: "x", Start: at(2), StartID: "d-pruned", End: at(9), EndID: "r"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Track(tc.args.incidents, "x", tc.args.events)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nTrack(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestReopen(t *testing.T) {
	oi := &v1alpha1.OpenIncident{Start: metav1.NewTime(at(1)), Event: "d"}
	cases := map[string]struct {
		reason    string
		incidents []Incident
		want      []Incident
	}{
		"Pruned": {
			reason: "An open outage whose opening event is no longer in the log is added.",
			want:   []Incident{{Cluster: "x", Start: at(1), StartID: "d"}},
		},
		"Known": {
			reason:    "An open outage the log holds is not added twice.",
			incidents: []Incident{{Cluster: "x", Start: at(1), StartID: "d"}},
			want:      []Incident{{Cluster: "x", Start: at(1), StartID: "d"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Reopen(tc.incidents, "x", oi)); diff != "" {
				t.Errorf("\n%s\nReopen(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
