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

// Package cascade finds cascades: clusters that share a cause (a provider
// and region, or a ProviderConfig) and turn degraded or failed together.
// It is a pure function of the incidents the ledgers record, each named by
// the time and id of the event that opened it and, once it ended, of the
// event that ended it. Those never change once recorded, so every replica,
// and a provider restarted in the middle of a cascade, finds the same
// cascades with the same ids and times.
package cascade

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// An Incident is one outage of one cluster: from the degraded or failed
// event that began it to the event (recovered, ready or deleted) that ended
// it.
type Incident struct {
	// Cluster identifies the cluster, such as its object's uid.
	Cluster string
	// Start is the time of the event that began the incident, and StartID
	// its id.
	Start   time.Time
	StartID string
	// End is the time of the event that ended it, and EndID its id; zero
	// while it is open.
	End   time.Time
	EndID string
}

// Open says whether the incident has not ended.
func (i Incident) Open() bool { return i.EndID == "" }

// An Episode is one cascade of a group.
type Episode struct {
	// ID derives from the group and the detection time, so it names the
	// cascade whichever incidents join it later. Ledger times have whole
	// seconds, and incidents that begin in one second may be recorded in
	// any order: the detection time is the same whichever of them is seen
	// first, where the ids of the first members would not be.
	ID string
	// Group is the key of the group.
	Group string
	// Detected is the start of the incident that made the group's
	// incidents minClusters within the window, and DetectedBy its opening
	// event's id.
	Detected   time.Time
	DetectedBy string
	// Members are the cascade's incidents, by start.
	Members []Incident
	// Resolved is when the last member ended, and ResolvedBy the id of
	// the event that ended it; zero while any member is open.
	Resolved   time.Time
	ResolvedBy string
}

// Open says whether the episode has not been resolved.
func (e Episode) Open() bool { return e.ResolvedBy == "" }

// Clusters lists the episode's clusters, each once, in the order they
// joined it.
func (e Episode) Clusters() []string {
	out := make([]string, 0, len(e.Members))
	for _, m := range e.Members {
		if !slices.Contains(out, m.Cluster) {
			out = append(out, m.Cluster)
		}
	}
	return out
}

// Episodes finds the cascades of one group in its clusters' incidents.
//
// Incidents are taken in order of their start. A cascade opens at the
// start of the first incident that makes at least minClusters distinct
// clusters whose incidents began within window of it (and belong to no
// earlier cascade). Every incident that begins while the cascade is open
// joins it, however late: the cause is still at work. The cascade is
// resolved when every member has ended, at the time of the last ending.
// A cluster counts once however many of its incidents are members.
func Episodes(group string, incidents []Incident, minClusters int, window time.Duration) []Episode {
	if minClusters < 1 || len(incidents) == 0 {
		return nil
	}
	sorted := slices.Clone(incidents)
	slices.SortFunc(sorted, func(a, b Incident) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.StartID, b.StartID)
	})
	used := make([]bool, len(sorted))
	var (
		out []Episode
		cur *Episode
	)
	for i, inc := range sorted {
		if cur != nil && openAt(cur.Members, inc.Start) {
			cur.Members = append(cur.Members, inc)
			used[i] = true
			continue
		}
		if cur != nil {
			out = append(out, finish(*cur))
			cur = nil
		}
		var (
			members  []Incident
			idx      []int
			clusters []string
		)
		for j := 0; j <= i; j++ {
			c := sorted[j]
			if used[j] || inc.Start.Sub(c.Start) > window {
				continue
			}
			members, idx = append(members, c), append(idx, j)
			if !slices.Contains(clusters, c.Cluster) {
				clusters = append(clusters, c.Cluster)
			}
		}
		if len(clusters) < minClusters {
			continue
		}
		for _, j := range idx {
			used[j] = true
		}
		cur = &Episode{
			ID:         episodeID(group, inc.Start),
			Group:      group,
			Detected:   inc.Start,
			DetectedBy: inc.StartID,
			Members:    members,
		}
	}
	if cur != nil {
		out = append(out, finish(*cur))
	}
	return out
}

// openAt says whether any of the incidents is still open at t: not ended,
// or ended after t.
func openAt(members []Incident, t time.Time) bool {
	for _, m := range members {
		if m.Open() || m.End.After(t) {
			return true
		}
	}
	return false
}

// finish sets when an episode whose members have all ended was resolved:
// at the latest ending, ties broken by event id so the choice is stable.
func finish(e Episode) Episode {
	for _, m := range e.Members {
		if m.Open() {
			return e
		}
	}
	last := e.Members[0]
	for _, m := range e.Members[1:] {
		if c := m.End.Compare(last.End); c > 0 || (c == 0 && m.EndID > last.EndID) {
			last = m
		}
	}
	e.Resolved, e.ResolvedBy = last.End, last.EndID
	return e
}

// episodeID names an episode after its group and when it was detected. Two
// episodes of a group never share a detection time: the next begins only
// after the previous one is resolved. It is the same whichever sink,
// replica or restart computes it.
func episodeID(group string, detected time.Time) string {
	h := sha256.New()
	h.Write([]byte(group))
	h.Write([]byte{0})
	h.Write([]byte(strconv.FormatInt(detected.Unix(), 10)))
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Group is the key of the group a cluster belongs to under a grouping,
// and false when it belongs to none: a cluster that reports no region, or
// names no ProviderConfig, shares no known cause with others. Keys hold
// only names the cluster's ledger shows to anyone who may read it.
func Group(by v1alpha1.CascadeGrouping, provider, namespace string, f v1alpha1.Facts) (string, bool) {
	if provider == "" {
		return "", false
	}
	switch by {
	case v1alpha1.CascadeByProviderConfig:
		if f.ProviderConfig == "" {
			return "", false
		}
		// A namespaced ProviderConfig is one per namespace; a
		// cluster-scoped one (or a classic provider's) is one for all.
		if namespace != "" && !strings.HasPrefix(f.ProviderConfig, "ClusterProviderConfig/") && strings.Contains(f.ProviderConfig, "/") {
			return provider + "/" + namespace + "/" + f.ProviderConfig, true
		}
		return provider + "/" + f.ProviderConfig, true
	case v1alpha1.CascadeByProviderRegion:
	}
	if f.Region == "" {
		return "", false
	}
	return provider + "/" + f.Region, true
}
