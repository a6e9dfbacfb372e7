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
	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// CustomDataKey is the customData key under which every event carries the
// Crossplane details of its cluster, so consumers that merge customData of
// several tools can tell ours apart.
const CustomDataKey = "crossplane"

// CustomData is the customData of every event the provider sends. It is a
// struct, not a map, so that its JSON is the same on every delivery and
// holds only allowlisted, non-secret details; consumers can decode it with
// GetCustomDataAs.
type CustomData struct {
	// Crossplane holds the details of the cluster and the transition.
	Crossplane ClusterData `json:"crossplane"`
	// Links relate the event to other events of the cluster, in the
	// shape cdviz builds its graph from (customData.links).
	Links []Link `json:"links,omitempty"`
}

// Link kinds.
const (
	// LinkFollows: the event follows the linked one in the cluster's life.
	LinkFollows = "follows"
	// LinkCausedBy: the incident was opened by the linked environment event.
	LinkCausedBy = "causedBy"
)

// A Link relates an event to an event of a subject: cdviz draws an edge to
// the subject, and the context id names the event itself.
type Link struct {
	// LinkKind says how the event relates to the linked one.
	LinkKind string `json:"linkkind"`
	// Subject is the linked event's subject.
	Subject LinkSubject `json:"subject"`
	// ContextID is the linked event's context.id.
	ContextID string `json:"contextId"`
}

// LinkSubject names a CDEvents subject.
type LinkSubject struct {
	// ID is the subject's id.
	ID string `json:"id"`
	// Type is the subject's type, such as environment.
	Type string `json:"type"`
}

// environmentLink links to an event of the cluster's environment.
func environmentLink(kind, environmentID, contextID string) []Link {
	if contextID == "" {
		return nil
	}
	return []Link{{LinkKind: kind, Subject: LinkSubject{ID: environmentID, Type: "environment"}, ContextID: contextID}}
}

// ClusterData tells a consumer what CDEvents has no field for: which
// Crossplane object the environment is, what happened to it and the facts
// a dashboard shows. It never holds spec fields or anything read from a
// Secret.
type ClusterData struct {
	// Lifecycle is the transition, finer than the CDEvents predicate
	// (environment.modified covers ready, upgraded, degraded and more).
	Lifecycle v1alpha1.Lifecycle `json:"lifecycle"`
	// APIVersion of the watched object.
	APIVersion string `json:"apiVersion"`
	// Kind of the watched object.
	Kind string `json:"kind"`
	// Namespace of the watched object, for namespaced kinds only.
	Namespace string `json:"namespace,omitempty"`
	// Name of the watched object.
	Name string `json:"name"`
	// UID tells one incarnation of a name from another.
	UID string `json:"uid"`
	// Provider is the provider family, such as aws, gcp or azure.
	Provider string `json:"provider,omitempty"`
	// ExternalName is the cluster's name in the cloud.
	ExternalName string `json:"externalName,omitempty"`
	// CloudID is the cloud's identifier of the cluster, such as an ARN.
	CloudID string `json:"cloudId,omitempty"`
	// Region or location of the cluster.
	Region string `json:"region,omitempty"`
	// KubernetesVersion of the control plane when the transition happened.
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// PreviousVersion is the Kubernetes version before an upgrade.
	PreviousVersion string `json:"previousVersion,omitempty"`
	// Endpoint is the cluster's API server address as the cloud reports
	// it, which may not be a URI.
	Endpoint string `json:"endpoint,omitempty"`
	// Conditions are the object's Ready and Synced conditions when the
	// transition happened.
	Conditions *Conditions `json:"conditions,omitempty"`
	// Reason is the condition reason behind the transition.
	Reason string `json:"reason,omitempty"`
	// Message is the condition message behind the transition.
	Message string `json:"message,omitempty"`
	// Replayed marks an event sent late: the cluster already existed when
	// the provider first saw it, or vanished while it was down.
	Replayed bool `json:"replayed,omitempty"`
	// OutOfSyncAfter is, on outOfSync and inSync, the sink's threshold: how
	// long Synced had been False when outOfSync was reported.
	OutOfSyncAfter string `json:"outOfSyncAfter,omitempty"`
	// Flapping is, on flapping and stable, the sink's flap damping and how
	// many degraded and recovered transitions the episode counts.
	Flapping *Flapping `json:"flapping,omitempty"`
}

// Flapping describes a flapping episode.
type Flapping struct {
	// Transitions and Window are the damping: more than Transitions
	// within Window is flapping.
	Transitions int32  `json:"transitions"`
	Window      string `json:"window"`
	// Count is how many degraded and recovered transitions the episode
	// counts: within the window when it began, in all when it ends.
	Count int32 `json:"count"`
}

// Conditions summarise the Crossplane conditions of the watched object,
// each as "<status>/<reason>".
type Conditions struct {
	// Ready is the Ready condition.
	Ready string `json:"ready,omitempty"`
	// Synced is the Synced condition.
	Synced string `json:"synced,omitempty"`
}

// newCustomData picks the allowlisted details of one transition. Field by
// field, so that nothing added to the ledger types later leaks by accident.
func newCustomData(s Subject, e v1alpha1.LedgerEvent) CustomData {
	d := ClusterData{
		Lifecycle:         e.Lifecycle,
		APIVersion:        s.Ref.APIVersion,
		Kind:              s.Ref.Kind,
		Namespace:         s.Ref.Namespace,
		Name:              s.Ref.Name,
		UID:               string(s.Ref.UID),
		Provider:          s.Provider,
		ExternalName:      s.Facts.ExternalName,
		CloudID:           s.Facts.CloudID,
		Region:            s.Facts.Region,
		KubernetesVersion: e.KubernetesVersion,
		PreviousVersion:   e.PreviousVersion,
		Endpoint:          s.Facts.Endpoint,
		Reason:            e.Reason,
		Message:           e.Message,
		Replayed:          e.Replayed,
	}
	if e.OutOfSyncAfter != nil {
		d.OutOfSyncAfter = e.OutOfSyncAfter.Duration.String()
	}
	if f := e.Flapping; f != nil {
		d.Flapping = &Flapping{Transitions: f.Transitions, Window: f.Window.Duration.String(), Count: f.Count}
	}
	if d.KubernetesVersion == "" {
		d.KubernetesVersion = s.Facts.KubernetesVersion
	}
	if e.Ready != "" || e.Synced != "" {
		d.Conditions = &Conditions{Ready: e.Ready, Synced: e.Synced}
	}
	return CustomData{Crossplane: d}
}
