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
	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// MaxIncidents is how many of a cluster's newest incidents are kept. A
// ledger's log holds a few dozen events at most, so a provider that reads
// the logs again after a restart knows about as many.
const MaxIncidents = 32

// Track folds a cluster's ledger events, oldest first, into its incidents,
// as the ledger itself tracks its open outage: degraded or failed opens
// one when none is open; recovered, ready or deleted ends the open one.
// An ending whose opening event is no longer in the log (pruned) names
// the incident it ends by its start and opening event, so it is recovered
// from that. Only the newest MaxIncidents are kept.
func Track(incidents []Incident, cluster string, events []v1alpha1.LedgerEvent) []Incident {
	for _, e := range events {
		n := len(incidents)
		open := n > 0 && incidents[n-1].Open()
		switch e.Lifecycle { //nolint:exhaustive // Only these open or end an outage.
		case v1alpha1.LifecycleDegraded, v1alpha1.LifecycleFailed:
			if !open {
				incidents = append(incidents, Incident{Cluster: cluster, Start: e.Time.UTC(), StartID: e.ID})
			}
		case v1alpha1.LifecycleRecovered, v1alpha1.LifecycleReady, v1alpha1.LifecycleDeleted:
			switch {
			case open:
				incidents[n-1].End, incidents[n-1].EndID = e.Time.UTC(), e.ID
			case e.IncidentStart != nil && e.IncidentEvent != "" && !known(incidents, e.IncidentEvent):
				incidents = append(incidents, Incident{Cluster: cluster, Start: e.IncidentStart.UTC(), StartID: e.IncidentEvent, End: e.Time.UTC(), EndID: e.ID})
			}
		}
	}
	if over := len(incidents) - MaxIncidents; over > 0 {
		incidents = append([]Incident(nil), incidents[over:]...)
	}
	return incidents
}

// Reopen adds the outage a ledger says is open (status.openIncident) when
// its log no longer holds the event that began it.
func Reopen(incidents []Incident, cluster string, oi *v1alpha1.OpenIncident) []Incident {
	if oi == nil || oi.Event == "" || known(incidents, oi.Event) {
		return incidents
	}
	if n := len(incidents); n > 0 && incidents[n-1].Open() {
		return incidents
	}
	return append(incidents, Incident{Cluster: cluster, Start: oi.Start.UTC(), StartID: oi.Event})
}

func known(incidents []Incident, startID string) bool {
	for _, i := range incidents {
		if i.StartID == startID {
			return true
		}
	}
	return false
}
