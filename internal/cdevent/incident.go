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

package cdevent

import (
	"strconv"
	"time"

	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// incidentIDPrefix namespaces the names incident event ids derive from, so
// they cannot collide with ids derived elsewhere from the same ledger id.
const incidentIDPrefix = "https://cdevents.crossplane.io/"

// chainIDSpace is the UUIDv5 namespace of chain ids. Changing it would
// change the chain of every cluster: never do that.
var chainIDSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte(incidentIDPrefix+"chain")) //nolint:gochecknoglobals // A constant UUID.

// ChainID is the CDEvents context.chainId of every event of one cluster
// object (one incarnation, by its uid): a UUIDv5, so every replica and
// every restart puts the cluster's events in the same chain.
func ChainID(uid types.UID) string {
	if uid == "" {
		return ""
	}
	return uuid.NewSHA1(chainIDSpace, []byte(uid)).String()
}

// incidentEventID is the context.id of the incident event that goes with
// the environment event eventID: a UUIDv5, the same on every retry.
func incidentEventID(k kind, eventID string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte(incidentIDPrefix+k.String()+"/"+eventID)).String()
}

// An incidentClass tells apart the incidents of one cluster that may be
// open at once: an outage (degraded, failed) and a loss of sync.
type incidentClass string

// Incident classes.
const (
	incidentOutage    incidentClass = ""
	incidentOutOfSync incidentClass = "out-of-sync"
	incidentFlapping  incidentClass = "flapping"
)

// incidentSubjectID names the incident of a class that began at start, as
// <environment id>/incidents/<unix seconds> for an outage and
// <environment id>/incidents/out-of-sync/<unix seconds> for a loss of sync.
// Both the detected and the resolved event of one incident derive it from
// the same start, so consumers can pair them.
func incidentSubjectID(environmentID string, class incidentClass, start time.Time) string {
	id := environmentID + "/incidents/"
	if class != incidentOutage {
		id += string(class) + "/"
	}
	return id + strconv.FormatInt(start.Unix(), 10)
}

// description says why an incident opened or closed, from the condition
// behind the transition.
func description(e v1alpha1.LedgerEvent) string {
	switch {
	case e.Reason != "" && e.Message != "":
		return e.Reason + ": " + e.Message
	case e.Message != "":
		return e.Message
	case e.Reason != "":
		return e.Reason
	}
	return "Cluster " + string(e.Lifecycle)
}

// IncidentStart returns when the outage that the recovered event seq ends
// began: the time of the earliest degraded or failed event in the unbroken
// run of them just before seq in events (a ledger's log, oldest first). It
// is what Options.IncidentStart wants. It returns false when the log holds
// no such event, for example because it was pruned.
func IncidentStart(events []v1alpha1.LedgerEvent, seq int64) (time.Time, bool) {
	var (
		start time.Time
		found bool
	)
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		if e.Seq >= seq {
			continue
		}
		if e.Lifecycle != v1alpha1.LifecycleDegraded && e.Lifecycle != v1alpha1.LifecycleFailed {
			break
		}
		start, found = e.Time.Time, true
	}
	return start, found
}
