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
	"fmt"
	"time"

	"github.com/cdevents/sdk-go/pkg/api"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	errNoCascadeID      = "a cascade needs an id"
	errNoCascadeMembers = "a cascade needs at least one cluster"
)

// A Cascade is an incident of several clusters that share a cause: the
// provider and region, or the ProviderConfig, of their managed resources.
type Cascade struct {
	// ID names the cascade; its events' ids and chain derive from it.
	ID string
	// SubjectID is the incident's subject id, the same on its detected
	// and resolved events.
	SubjectID string
	// Group is the key of the clusters' group, such as aws/us-east-1, and
	// By the grouping it was found with.
	Group string
	By    v1alpha1.CascadeGrouping
	// MinClusters and Window are the sink's setting it was found with.
	MinClusters int
	Window      time.Duration
	// Detected is when it began; Resolved when its last cluster
	// recovered, zero while it is open.
	Detected time.Time
	Resolved time.Time
	// Members are its clusters' incidents, the first to begin first.
	Members []CascadeMember
}

// A CascadeMember is one cluster's incident in a cascade.
type CascadeMember struct {
	// Environment is the cluster as a CDEvents environment.
	Environment v1alpha1.Environment
	// Ref identifies the watched object.
	Ref v1alpha1.ResourceRef
	// Start is when the cluster's incident began, and StartEvent the id
	// of the environment event that began it.
	Start      time.Time
	StartEvent string
	// End is when it ended, zero while it is open.
	End time.Time
}

// CascadeData is the customData of a cascade's incident events, under the
// same key as every other event's, with a link to the event that opened
// each cluster's incident.
type CascadeData struct {
	// Crossplane holds the cascade.
	Crossplane CascadeDetails `json:"crossplane"`
	// Links relate the incident to the environment events that began it.
	Links []Link `json:"links,omitempty"`
}

// CascadeDetails tell a consumer which environments a cascade affects and
// why they are grouped.
type CascadeDetails struct {
	// Cascade describes the cascade.
	Cascade CascadeInfo `json:"cascade"`
}

// CascadeInfo describes a cascade.
type CascadeInfo struct {
	// ID of the cascade.
	ID string `json:"id"`
	// Group the clusters share, and By how they are grouped
	// (ProviderRegion or ProviderConfig).
	Group string `json:"group"`
	By    string `json:"by"`
	// MinClusters and Window are the setting that found it.
	MinClusters int    `json:"minClusters"`
	Window      string `json:"window"`
	// Detected and Resolved are when it began and ended (RFC 3339).
	Detected string `json:"detected"`
	Resolved string `json:"resolved,omitempty"`
	// Environments are the affected clusters.
	Environments []CascadeEnvironment `json:"environments"`
}

// CascadeEnvironment is one affected cluster.
type CascadeEnvironment struct {
	// ID and Name of the environment, as its own events give them.
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// APIVersion, Kind, Namespace and Name of the Crossplane object.
	APIVersion string `json:"apiVersion,omitempty"`
	Kind       string `json:"kind,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
	Object     string `json:"object,omitempty"`
	// IncidentStart is when its incident began and Recovered when it
	// ended, if it has.
	IncidentStart string `json:"incidentStart"`
	Recovered     string `json:"recovered,omitempty"`
}

// cascadeChainSpace prefixes the names cascade chains derive from, apart
// from the chains of clusters.
const cascadeChainSpace = "cascade/"

// BuildCascade returns the incident.detected of a cascade, or, when
// resolved is set, its incident.resolved. Both are named by the cascade's
// subject id and chain, and carry its environments in customData: the
// detected event those it began with (whose incidents began by its
// detection), the resolved event every one that joined. Building the same
// cascade again gives the same event, id and time included.
func (b *Builder) BuildCascade(c Cascade, resolved bool, o Options) (cloudevents.Event, error) {
	sp, err := b.spec(o.SpecVersion)
	if err != nil {
		return cloudevents.Event{}, err
	}
	if err := checkSource(o.Source); err != nil {
		return cloudevents.Event{}, err
	}
	switch {
	case c.ID == "":
		return cloudevents.Event{}, errors.New(errNoCascadeID)
	case len(c.Members) == 0:
		return cloudevents.Event{}, errors.New(errNoCascadeMembers)
	case c.Detected.IsZero() || (resolved && c.Resolved.IsZero()):
		return cloudevents.Event{}, errors.New(errNoEventTime)
	}
	k, t := kindIncidentDetected, transitionTime(c.Detected)
	if resolved {
		k, t = kindIncidentResolved, transitionTime(c.Resolved)
	}
	info := CascadeInfo{
		ID: c.ID, Group: c.Group, By: string(c.By), MinClusters: c.MinClusters, Window: c.Window.String(),
		Detected: transitionTime(c.Detected).Format(time.RFC3339),
	}
	if resolved {
		info.Resolved = t.Format(time.RFC3339)
	}
	var links []Link
	for _, m := range c.Members {
		if !resolved && m.Start.After(c.Detected) {
			continue
		}
		env := CascadeEnvironment{
			ID: m.Environment.ID, Name: m.Environment.Name,
			APIVersion: m.Ref.APIVersion, Kind: m.Ref.Kind, Namespace: m.Ref.Namespace, Object: m.Ref.Name,
			IncidentStart: transitionTime(m.Start).Format(time.RFC3339),
		}
		if resolved && !m.End.IsZero() {
			env.Recovered = transitionTime(m.End).Format(time.RFC3339)
		}
		info.Environments = append(info.Environments, env)
		links = append(links, environmentLink(LinkCausedBy, m.Environment.ID, m.StartEvent)...)
	}
	desc := fmt.Sprintf("Cascade: %d clusters of %s turned degraded or failed within %s", len(info.Environments), c.Group, c.Window)
	if resolved {
		desc = fmt.Sprintf("Cascade resolved: the last of %d clusters of %s recovered", len(info.Environments), c.Group)
	}
	envRef := &api.Reference{Id: c.Members[0].Environment.ID}
	return b.build(draft{
		template:  sp.events[k],
		id:        incidentEventID(k, cascadeChainSpace+c.ID),
		source:    o.Source,
		time:      t,
		subjectID: c.SubjectID,
		chainID:   uuid.NewSHA1(chainIDSpace, []byte(cascadeChainSpace+c.ID)).String(),
		data:      CascadeData{Crossplane: CascadeDetails{Cascade: info}, Links: links},
		content: func(ev api.CDEvent) {
			if is, ok := ev.(incidentSetter); ok {
				is.SetSubjectEnvironment(envRef)
				is.SetSubjectDescription(desc)
			}
		},
	})
}
