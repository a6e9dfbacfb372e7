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

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// ProfileFields lists where a kind keeps the facts the provider reports.
// Each entry is a list of field paths tried in order; the first that holds
// a value wins. A path is dot separated, with [key] for map keys that
// contain dots: metadata.annotations[crossplane.io/external-name],
// status.atProvider.endpoint. Where a path meets a list it reads the
// first element, so one path serves both the singleton-list shape (upjet
// v1beta1, DigitalOcean, Linode, Scaleway, OCI) and the object shape.
// Only metadata, status, spec.forProvider, spec.initProvider and scalar
// fields directly under spec (classic kinds such as AKSCluster keep their
// location there) may be read: nothing else of the spec, and nothing secret,
// is ever kept or reported.
type ProfileFields struct {
	// ExternalName paths. Defaults to the crossplane.io/external-name
	// annotation.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	ExternalName []string `json:"externalName,omitempty"`

	// CloudID paths, such as status.atProvider.arn.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	CloudID []string `json:"cloudId,omitempty"`

	// Endpoint paths, such as status.atProvider.endpoint. A bare host is
	// reported as https://<host>.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	Endpoint []string `json:"endpoint,omitempty"`

	// KubernetesVersion paths of the observed control plane version.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	KubernetesVersion []string `json:"kubernetesVersion,omitempty"`

	// Region paths, such as spec.forProvider.region.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	Region []string `json:"region,omitempty"`

	// CloudState paths of the cloud's own status value, where the kind has
	// one. Without it, health comes from the Ready condition alone.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	CloudState []string `json:"cloudState,omitempty"`
}

// CloudStates maps the cloud's status values to health. Matching ignores
// case. A value in no list says nothing about health.
type CloudStates struct {
	// Healthy values, such as ACTIVE or RUNNING.
	// +optional
	// +listType=set
	Healthy []string `json:"healthy,omitempty"`

	// Provisioning values, such as CREATING or PROVISIONING.
	// +optional
	// +listType=set
	Provisioning []string `json:"provisioning,omitempty"`

	// Degraded values, such as DEGRADED.
	// +optional
	// +listType=set
	Degraded []string `json:"degraded,omitempty"`

	// Failed values, such as FAILED or ERROR.
	// +optional
	// +listType=set
	Failed []string `json:"failed,omitempty"`

	// Deleting values, such as DELETING or STOPPING.
	// +optional
	// +listType=set
	Deleting []string `json:"deleting,omitempty"`
}

// ClusterKindSpec is a cluster kind's profile: how to recognise it and how
// to read it. The built-in catalog uses the same structure.
type ClusterKindSpec struct {
	// Group of the kind's CRD, such as eks.aws.upbound.io.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$`
	Group string `json:"group"`

	// Kind of the CRD, such as Cluster.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Z][A-Za-z0-9]*$`
	Kind string `json:"kind"`

	// Provider is the provider family reported in events and used by
	// selectors, such as aws or gcp.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9][-a-z0-9]*$`
	Provider string `json:"provider"`

	// Fields says where the kind keeps its facts.
	// +optional
	Fields ProfileFields `json:"fields,omitempty"`

	// States maps cloud status values to health. Needed when
	// fields.cloudState is set.
	// +optional
	States CloudStates `json:"states,omitempty"`

	// ReadyMeansHealthy says whether Ready=True alone means healthy. Set it
	// false for kinds whose provider reports Ready=True whenever the cloud
	// resource exists (upjet kinds); their health then comes from the
	// cloud state. Left unset, Ready=True means healthy unless the kind
	// declares degraded, failed or deleting states: then the cloud state
	// decides, so a declared degraded state is reported while Ready stays
	// True. Set it true only for a provider that maps its cloud state to
	// Ready itself; the states it then ignores while Ready=True are listed
	// in the StatesHonored condition.
	// +optional
	ReadyMeansHealthy *bool `json:"readyMeansHealthy,omitempty"`
}

// TypeStatesHonored says whether every cloud state a ClusterKind declares
// takes effect. It is False, naming the declarations and why, when some
// are ignored (such as degraded states while readyMeansHealthy is true).
const TypeStatesHonored xpv2.ConditionType = "StatesHonored"

// ClusterKindStatus reports whether the profile is in use.
type ClusterKindStatus struct {
	xpv2.ConditionedStatus `json:",inline"`

	// OverridesBuiltin is true when the profile replaces one of the
	// built-in catalog.
	// +optional
	OverridesBuiltin bool `json:"overridesBuiltin,omitempty"`

	// Watching is true while the kind's CRD is established and watched.
	// +optional
	Watching bool `json:"watching,omitempty"`
}

// +kubebuilder:object:root=true

// A ClusterKind teaches the provider a Kubernetes-cluster kind that its
// built-in catalog lacks, or overrides a built-in profile, without a new
// release of the provider.
// +kubebuilder:printcolumn:name="GROUP",type="string",JSONPath=".spec.group"
// +kubebuilder:printcolumn:name="KIND",type="string",JSONPath=".spec.kind"
// +kubebuilder:printcolumn:name="PROVIDER",type="string",JSONPath=".spec.provider"
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="WATCHING",type="boolean",JSONPath=".status.watching"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,cdevents}
type ClusterKind struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ClusterKindSpec   `json:"spec"`
	Status ClusterKindStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterKindList contains a list of ClusterKind.
type ClusterKindList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterKind `json:"items"`
}
