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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Lifecycle is a normalized transition of a cluster, the same for every
// provider family.
// +kubebuilder:validation:Enum=created;ready;upgraded;degraded;recovered;failed;deleting;deleted;outOfSync;inSync;paused;resumed;flapping;stable
type Lifecycle string

// Lifecycles, in the order a cluster usually goes through them.
const (
	LifecycleCreated   Lifecycle = "created"
	LifecycleReady     Lifecycle = "ready"
	LifecycleUpgraded  Lifecycle = "upgraded"
	LifecycleDegraded  Lifecycle = "degraded"
	LifecycleRecovered Lifecycle = "recovered"
	LifecycleFailed    Lifecycle = "failed"
	LifecycleDeleting  Lifecycle = "deleting"
	LifecycleDeleted   Lifecycle = "deleted"

	// LifecycleOutOfSync: the cluster serves (Ready=True) but its provider
	// has not been able to reconcile it (Synced=False) for longer than a
	// sink's threshold: expired credentials, drift it cannot correct.
	LifecycleOutOfSync Lifecycle = "outOfSync"
	// LifecycleInSync: Synced=True again after outOfSync.
	LifecycleInSync Lifecycle = "inSync"
	// LifecyclePaused: reconciliation of the cluster was paused, with the
	// crossplane.io/paused annotation or as Synced=False/ReconcilePaused
	// says.
	LifecyclePaused Lifecycle = "paused"
	// LifecycleResumed: reconciliation runs again after paused.
	LifecycleResumed Lifecycle = "resumed"
	// LifecycleFlapping: the cluster went degraded and recovered more
	// often within a window than a sink's flap damping allows; its
	// degraded and recovered events are held back from that sink until it
	// is stable.
	LifecycleFlapping Lifecycle = "flapping"
	// LifecycleStable: no degraded or recovered for a whole window after
	// flapping; it closes the episode.
	LifecycleStable Lifecycle = "stable"
)

// Phase is where a cluster is in its lifecycle right now.
// +kubebuilder:validation:Enum=Pending;Provisioning;Ready;Degraded;Failed;Deleting;Deleted
type Phase string

// Phases.
const (
	// PhasePending: the object exists but no create was observed yet.
	PhasePending Phase = "Pending"
	// PhaseProvisioning: the cloud is creating the cluster.
	PhaseProvisioning Phase = "Provisioning"
	// PhaseReady: the cluster is available and, where the kind reports a
	// cloud state, healthy.
	PhaseReady Phase = "Ready"
	// PhaseDegraded: the cluster was ready and is not anymore.
	PhaseDegraded Phase = "Degraded"
	// PhaseFailed: the cluster could not be created.
	PhaseFailed Phase = "Failed"
	// PhaseDeleting: deletion was requested.
	PhaseDeleting Phase = "Deleting"
	// PhaseDeleted: the object is gone.
	PhaseDeleted Phase = "Deleted"
)

// ResourceRef identifies the watched cluster object. The uid tells one
// incarnation from another of the same name.
type ResourceRef struct {
	// APIVersion of the watched object.
	APIVersion string `json:"apiVersion"`
	// Kind of the watched object.
	Kind string `json:"kind"`
	// Namespace of the watched object; empty for cluster-scoped kinds.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name of the watched object.
	Name string `json:"name"`
	// UID of the watched object.
	UID types.UID `json:"uid"`
}

// Environment is how the cluster appears in CDEvents: an environment.
type Environment struct {
	// ID is the CDEvents subject id, stable for the life of the object.
	ID string `json:"id"`
	// Name is the CDEvents content.name: the external name, or the
	// object's name.
	// +optional
	Name string `json:"name,omitempty"`
	// URI is the cluster's API endpoint as an absolute https URI, when
	// known.
	// +optional
	URI string `json:"uri,omitempty"`
}

// Facts are the allowlisted, non-secret details read from the watched
// object's metadata and status.
type Facts struct {
	// ExternalName is the crossplane.io/external-name annotation.
	// +optional
	ExternalName string `json:"externalName,omitempty"`
	// CloudID is the cloud's identifier, such as an ARN, OCID or ARM id.
	// +optional
	CloudID string `json:"cloudId,omitempty"`
	// Endpoint is the cluster's API server address as reported.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// KubernetesVersion is the observed control plane version.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// Region or location of the cluster.
	// +optional
	Region string `json:"region,omitempty"`
	// CloudState is the cloud's own status value, where the kind has one.
	// +optional
	CloudState string `json:"cloudState,omitempty"`
	// ProviderConfig is the ProviderConfig the managed resource names
	// (spec.providerConfigRef: kind and name), which cascades may group
	// clusters by.
	// +optional
	ProviderConfig string `json:"providerConfig,omitempty"`
}

// LedgerEvent is one recorded lifecycle transition. Its id and time never
// change once recorded, so every delivery of it, retried, replayed or sent
// after a restart, carries the same CDEvents context.id and timestamp.
type LedgerEvent struct {
	// Seq numbers the events of this ledger from 1, without gaps.
	Seq int64 `json:"seq"`
	// ID is the deterministic CDEvents context.id.
	ID string `json:"id"`
	// Lifecycle is the normalized transition.
	Lifecycle Lifecycle `json:"lifecycle"`
	// Type is the CDEvents event kind, such as environment.created.
	Type string `json:"type"`
	// Time of the transition in the watched object (a condition's
	// lastTransitionTime, an annotation, the deletionTimestamp). A
	// transition the object records no time for (upgraded, or one driven
	// by a cloud state) has the newest time the object carried, and a
	// deleted event the newest time the ledger holds of the final object
	// (status.latestObjectTime). Never the time the provider looked.
	Time metav1.Time `json:"time"`
	// Replayed marks events recorded late: the cluster already existed
	// when first observed, or vanished while the provider was down.
	// +optional
	Replayed bool `json:"replayed,omitempty"`
	// Reason is the condition reason behind the transition, if any.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message is the condition message behind the transition, if any.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Message string `json:"message,omitempty"`
	// KubernetesVersion observed when the event was recorded.
	// +optional
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	// PreviousVersion is the Kubernetes version before an upgrade.
	// +optional
	PreviousVersion string `json:"previousVersion,omitempty"`
	// Ready is the watched object's Ready condition when the event was
	// recorded, as "<status>/<reason>".
	// +optional
	Ready string `json:"ready,omitempty"`
	// Synced is the watched object's Synced condition when the event was
	// recorded, as "<status>/<reason>".
	// +optional
	Synced string `json:"synced,omitempty"`
	// IncidentStart is set on the event that ends an outage (recovered, or
	// ready after a failed create; inSync): the time of the degraded,
	// failed or outOfSync event that began it, which identifies the
	// incident it resolves.
	// +optional
	IncidentStart *metav1.Time `json:"incidentStart,omitempty"`
	// OutOfSyncAfter is the threshold an outOfSync or inSync event was
	// recorded for: only sinks whose spec.signals.outOfSyncAfter is this
	// receive it.
	// +optional
	OutOfSyncAfter *metav1.Duration `json:"outOfSyncAfter,omitempty"`
	// Previous is the ID of the cluster's event before this one, which the
	// event links to; empty on the first.
	// +optional
	Previous string `json:"previous,omitempty"`
	// IncidentEvent is, on the event that ends an incident, the ID of the
	// event that opened it, which the incident.resolved event links to.
	// +optional
	IncidentEvent string `json:"incidentEvent,omitempty"`
	// Flapping is, on flapping and stable events, the flap damping they
	// were recorded for (only sinks with it receive them) and how many
	// degraded and recovered transitions the episode counts so far.
	// +optional
	Flapping *FlapRecord `json:"flapping,omitempty"`
	// HeldFor lists, on degraded and recovered events during a flapping
	// episode, the flap dampings (as <transitions>/<window>) whose sinks
	// do not receive the event.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	HeldFor []string `json:"heldFor,omitempty"`
	// OpenIncident is, on a stable event, the outage still open when the
	// episode ends: sinks that did not receive its degraded event get its
	// incident.detected with the stable event.
	// +optional
	OpenIncident *OpenIncident `json:"openIncident,omitempty"`
}

// FlapRecord is a flap damping and a flapping episode's count.
type FlapRecord struct {
	// Transitions and Window are the damping: more than Transitions
	// degraded and recovered within Window is flapping.
	Transitions int32           `json:"transitions"`
	Window      metav1.Duration `json:"window"`
	// Count is how many degraded and recovered transitions the episode
	// counts: within the window when it began, and in all when it ends.
	Count int32 `json:"count"`
}

// FlapEpisode is a flapping episode not ended yet.
type FlapEpisode struct {
	// Transitions and Window are the damping the episode is for.
	Transitions int32           `json:"transitions"`
	Window      metav1.Duration `json:"window"`
	// Since is the time of the flapping event.
	Since metav1.Time `json:"since"`
	// Last is the time of the episode's newest degraded or recovered
	// transition; the episode ends a window after it.
	Last metav1.Time `json:"last"`
	// Count is how many degraded and recovered transitions it counts.
	Count int32 `json:"count"`
}

// OpenIncident is an outage not ended yet.
type OpenIncident struct {
	// Start is the time of the degraded or failed event that began it,
	// which names the incident.
	Start metav1.Time `json:"start"`
	// Event is the ID of that event.
	// +optional
	Event string `json:"event,omitempty"`
}

// OutOfSyncEpisode is an outOfSync event recorded for one threshold whose
// inSync is not recorded yet.
type OutOfSyncEpisode struct {
	// After is the threshold the outOfSync event was recorded for.
	After metav1.Duration `json:"after"`
	// Since is the time of the outOfSync event: when Synced turned False
	// (or Ready True, if later) plus the threshold.
	Since metav1.Time `json:"since"`
}

// SinkCursor is one sink's delivery progress for this cluster. It is
// opaque on purpose: an ObservedCluster is cluster-scoped and readable
// beyond any one tenant, so it names no config, no URL and no error. A
// sink's delivery progress and errors are in the status of its own
// ProviderConfig or ClusterProviderConfig.
type SinkCursor struct {
	// Sink is an opaque key of the config (a hash of its kind, namespace
	// and name).
	Sink string `json:"sink"`
	// Endpoint is an opaque hash of the sink's URL; when the URL changes
	// the sink starts over under its replay policy.
	// +optional
	Endpoint string `json:"endpoint,omitempty"`
	// DeliveredSeq is the highest event seq the sink accepted; every event
	// up to it is delivered or dead-lettered.
	DeliveredSeq int64 `json:"deliveredSeq"`
}

// ObservedClusterStatus is the provider's durable record of one cluster.
type ObservedClusterStatus struct {
	// ResourceRef identifies the watched object.
	// +optional
	ResourceRef ResourceRef `json:"resourceRef,omitempty"`

	// Group is the API group of the watched kind, for selectors and
	// printing.
	// +optional
	Group string `json:"group,omitempty"`

	// ShortKind is the kind with a shortened group, such as
	// eks.aws/Cluster, for kubectl output.
	// +optional
	ShortKind string `json:"shortKind,omitempty"`

	// Provider is the provider family: aws, gcp, azure and so on.
	// +optional
	Provider string `json:"provider,omitempty"`

	// Labels of the watched object, for sink selectors.
	// +optional
	Labels map[string]string `json:"labels,omitempty"`

	// Phase is the cluster's current phase.
	// +optional
	Phase Phase `json:"phase,omitempty"`

	// Created is true once the created event is recorded, so that a
	// cluster that failed to create and then succeeded still reports
	// created before ready.
	// +optional
	Created bool `json:"created,omitempty"`

	// Paused is true while reconciliation of the cluster is paused (the
	// paused event is recorded and the resumed one is not yet).
	// +optional
	Paused bool `json:"paused,omitempty"`

	// OutOfSync lists the thresholds whose outOfSync event is recorded
	// and whose inSync is not yet, so that a restarted provider neither
	// repeats nor forgets them.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	OutOfSync []OutOfSyncEpisode `json:"outOfSync,omitempty"`

	// Flapping lists the flapping episodes not ended yet, one per flap
	// damping in use, so that a restart neither repeats nor loses them.
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Flapping []FlapEpisode `json:"flapping,omitempty"`

	// RecentTransitions are the times of the cluster's latest degraded and
	// recovered transitions within the longest flap damping window, which
	// tell whether it is flapping.
	// +optional
	// +kubebuilder:validation:MaxItems=21
	RecentTransitions []metav1.Time `json:"recentTransitions,omitempty"`

	// OpenIncident is the outage (degraded or failed) not ended yet, so
	// that the event that ends it names the same incident, and links to
	// the event that began it, even once the log no longer holds that one.
	// +optional
	OpenIncident *OpenIncident `json:"openIncident,omitempty"`

	// Environment is the cluster as a CDEvents environment.
	// +optional
	Environment Environment `json:"environment,omitempty"`

	// Facts read from the watched object.
	// +optional
	Facts Facts `json:"facts,omitempty"`

	// Ready mirrors the watched object's Ready condition, as
	// "<status>/<reason>".
	// +optional
	Ready string `json:"ready,omitempty"`

	// Synced mirrors the watched object's Synced condition, as
	// "<status>/<reason>".
	// +optional
	Synced string `json:"synced,omitempty"`

	// LastSeq is the seq of the newest recorded event.
	// +optional
	LastSeq int64 `json:"lastSeq,omitempty"`

	// Events is the bounded log of recorded transitions, oldest first. Of
	// the events every sink has received, the newest 8 to 16 are kept as
	// history (once 16 have gathered, all but the newest 8 are pruned);
	// events a sink still needs are pruned only when the log holds 100.
	// +optional
	// +kubebuilder:validation:MaxItems=200
	Events []LedgerEvent `json:"events,omitempty"`

	// PinnedEvents are events pruned from the log that a new sink's
	// Current replay still needs, oldest first: the created event, the
	// latest event that put the cluster in its phase, and the signals
	// still open. However long its history, a cluster can be brought to
	// its present state.
	// +optional
	// +kubebuilder:validation:MaxItems=200
	PinnedEvents []LedgerEvent `json:"pinnedEvents,omitempty"`

	// Pruned counts events removed from a full log before every sink had
	// them. It stays zero unless a sink is unreachable for a very long
	// time while the cluster changes often.
	// +optional
	Pruned int64 `json:"pruned,omitempty"`

	// DroppedTransitions counts transitions the provider detected but
	// never recorded, so never sent: when writes of this ledger fall more
	// than 64 transitions behind, the oldest are dropped and the newest
	// kept. It stays zero unless the API server refuses ledger writes for
	// long while the cluster changes often.
	// +optional
	DroppedTransitions int64 `json:"droppedTransitions,omitempty"`

	// LatestObjectTime is the newest time the watched object carried
	// (managedFields, conditions, annotations, creation and deletion
	// timestamps) when the ledger was last written. The deleted event is
	// stamped with it, so a deletion has the same time and id whether it
	// is seen live or found after a restart.
	// +optional
	LatestObjectTime *metav1.Time `json:"latestObjectTime,omitempty"`

	// Sinks holds each sink's delivery progress.
	// +optional
	// +listType=map
	// +listMapKey=sink
	Sinks []SinkCursor `json:"sinks,omitempty"`

	// DeletedAt is when the provider recorded the cluster as deleted; the
	// ledger is removed once every sink has the deleted event and the
	// retention period has passed.
	// +optional
	DeletedAt *metav1.Time `json:"deletedAt,omitempty"`
}

// +kubebuilder:object:root=true

// An ObservedCluster is the provider's ledger for one Kubernetes cluster
// managed by Crossplane, whichever provider manages it. Together they form
// one inventory: kubectl get observedclusters. The provider creates and
// updates them; users only read them, and find one cluster's ledger by its
// selectable fields, such as kubectl get observedclusters --field-selector
// status.resourceRef.name=NAME (ledgers carry no labels, so that the API
// server keeps no managed fields for them).
// +kubebuilder:printcolumn:name="PROVIDER",type="string",JSONPath=".status.provider"
// +kubebuilder:printcolumn:name="KIND",type="string",JSONPath=".status.shortKind"
// +kubebuilder:printcolumn:name="CLUSTER",type="string",JSONPath=".status.environment.name"
// +kubebuilder:printcolumn:name="PHASE",type="string",JSONPath=".status.phase"
// +kubebuilder:printcolumn:name="VERSION",type="string",JSONPath=".status.facts.kubernetesVersion"
// +kubebuilder:printcolumn:name="REGION",type="string",JSONPath=".status.facts.region"
// +kubebuilder:printcolumn:name="NAMESPACE",type="string",JSONPath=".status.resourceRef.namespace",priority=1
// +kubebuilder:printcolumn:name="OBJECT",type="string",JSONPath=".status.resourceRef.name",priority=1
// +kubebuilder:printcolumn:name="ENDPOINT",type="string",JSONPath=".status.environment.uri",priority=1
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:selectablefield:JSONPath=".status.resourceRef.uid"
// +kubebuilder:selectablefield:JSONPath=".status.resourceRef.name"
// +kubebuilder:selectablefield:JSONPath=".status.resourceRef.namespace"
// +kubebuilder:selectablefield:JSONPath=".status.resourceRef.kind"
// +kubebuilder:selectablefield:JSONPath=".status.group"
// +kubebuilder:selectablefield:JSONPath=".status.provider"
// +kubebuilder:selectablefield:JSONPath=".status.phase"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,cdevents},shortName=oc
type ObservedCluster struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Status ObservedClusterStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ObservedClusterList contains a list of ObservedCluster.
type ObservedClusterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ObservedCluster `json:"items"`
}
