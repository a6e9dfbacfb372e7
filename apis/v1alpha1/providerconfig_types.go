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
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// Encoding is how a CloudEvent travels over HTTP.
// +kubebuilder:validation:Enum=Binary;Structured
type Encoding string

// Encodings a sink may ask for.
const (
	// EncodingBinary puts CloudEvents attributes in ce-* headers and the
	// CDEvent JSON in the body; most receivers, cdviz included, expect it.
	EncodingBinary Encoding = "Binary"
	// EncodingStructured sends one application/cloudevents+json envelope.
	EncodingStructured Encoding = "Structured"
)

// CredentialsSource says where the provider finds what authenticates it to
// a sink.
// +kubebuilder:validation:Enum=None;Secret
type CredentialsSource string

// Credential sources.
const (
	// CredentialsSourceNone sends no credentials.
	CredentialsSourceNone CredentialsSource = "None"
	// CredentialsSourceSecret reads the credential from a Secret key.
	CredentialsSourceSecret CredentialsSource = "Secret"
)

// AuthScheme is how a credential is presented to a sink.
// +kubebuilder:validation:Enum=Bearer;Basic;Header
type AuthScheme string

// Authentication schemes.
const (
	// AuthSchemeBearer sends "Authorization: Bearer <secret value>".
	AuthSchemeBearer AuthScheme = "Bearer"
	// AuthSchemeBasic sends "Authorization: Basic base64(<secret value>)";
	// the secret value is "username:password".
	AuthSchemeBasic AuthScheme = "Basic"
	// AuthSchemeHeader sends the secret value verbatim in the header named
	// by headerName, for receivers that use an API-key header.
	AuthSchemeHeader AuthScheme = "Header"
)

// SpecVersion is the CDEvents specification a sink understands.
// +kubebuilder:validation:Enum="0.5";"0.4";"0.3"
type SpecVersion string

// CDEvents specification versions the provider can produce.
const (
	// SpecVersion05 is CDEvents 0.5.1 (environment events 0.3.0).
	SpecVersion05 SpecVersion = "0.5"
	// SpecVersion04 is CDEvents 0.4.1 (environment events 0.2.0).
	SpecVersion04 SpecVersion = "0.4"
	// SpecVersion03 is CDEvents 0.3.0 (environment events 0.1.1).
	SpecVersion03 SpecVersion = "0.3"
)

// ReplayPolicy decides what a sink receives about clusters that existed
// before the sink was added, or before its URL changed.
// +kubebuilder:validation:Enum=Current;None;All
type ReplayPolicy string

// Replay policies.
const (
	// ReplayCurrent sends the events that bring a consumer to each
	// cluster's present state: created, then the event that set its
	// current phase.
	ReplayCurrent ReplayPolicy = "Current"
	// ReplayNone sends only what happens from now on.
	ReplayNone ReplayPolicy = "None"
	// ReplayAll sends every event the ledger still holds.
	ReplayAll ReplayPolicy = "All"
)

// SecretKeySelector names one key of a Secret. In a namespaced
// ProviderConfig the namespace must be empty or the ProviderConfig's own:
// a tenant can never read another namespace's Secrets.
type SecretKeySelector struct {
	// Namespace of the Secret. Required in a ClusterProviderConfig; in a
	// ProviderConfig it defaults to, and must equal, its own namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Key within the Secret's data.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`
}

// SecretReference names a whole Secret, such as a kubernetes.io/tls Secret
// holding a client certificate.
type SecretReference struct {
	// Namespace of the Secret. Required in a ClusterProviderConfig; in a
	// ProviderConfig it defaults to, and must equal, its own namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// Name of the Secret.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// TLSConfig secures the connection to a sink. Verification is on unless it
// is switched off explicitly.
type TLSConfig struct {
	// CABundleSecretRef names a Secret key holding PEM CA certificates that
	// sign the sink's certificate, in addition to the system roots.
	// +optional
	CABundleSecretRef *SecretKeySelector `json:"caBundleSecretRef,omitempty"`

	// ClientCertSecretRef names a kubernetes.io/tls Secret (tls.crt,
	// tls.key) presented to sinks that require mutual TLS.
	// +optional
	ClientCertSecretRef *SecretReference `json:"clientCertSecretRef,omitempty"`

	// InsecureSkipVerify turns off verification of the sink's certificate.
	// Meant for throwaway test sinks only. A namespaced ProviderConfig may
	// set it only where the provider's administrator allows it
	// (--tenant-allow-insecure-tls); the SinkSecure condition shows it.
	// +optional
	// +kubebuilder:default=false
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`
}

// Sink is an HTTP endpoint that accepts CloudEvents.
type Sink struct {
	// URL of the CloudEvents receiver, for example a cdviz collector
	// webhook or a Knative Broker. Only http and https are accepted. The
	// sink of a namespaced ProviderConfig must resolve to addresses the
	// provider's egress policy allows: never loopback, link-local (cloud
	// metadata) or the API server, and nothing the administrator denies.
	// Redirects are not followed.
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^https?://[^\s/?#]+([/?#]\S*)?$`
	URL string `json:"url"`

	// Encoding of each CloudEvent on the wire.
	// +optional
	// +kubebuilder:default=Binary
	Encoding Encoding `json:"encoding,omitempty"`

	// Timeout of one delivery attempt.
	// +optional
	// +kubebuilder:default="10s"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// Headers added to every request. They are not secret: use credentials
	// for anything that authenticates.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Headers map[string]string `json:"headers,omitempty"`

	// TLS settings for https URLs.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// Credentials authenticate the provider to its sink. A namespaced
// ProviderConfig may send them to an http:// sink only where the provider's
// administrator allows it (--tenant-allow-plaintext-credentials).
// +kubebuilder:validation:XValidation:rule="self.source != 'Secret' || has(self.secretRef)",message="secretRef is required when source is Secret"
// +kubebuilder:validation:XValidation:rule="self.scheme != 'Header' || has(self.headerName)",message="headerName is required when scheme is Header"
type Credentials struct {
	// Source of the credential.
	// +optional
	// +kubebuilder:default=None
	Source CredentialsSource `json:"source,omitempty"`

	// SecretRef names the Secret key that holds the credential.
	// +optional
	SecretRef *SecretKeySelector `json:"secretRef,omitempty"`

	// Scheme decides how the credential is sent.
	// +optional
	// +kubebuilder:default=Bearer
	Scheme AuthScheme `json:"scheme,omitempty"`

	// HeaderName is the header that carries the credential when scheme is
	// Header, for example X-API-Key.
	// +optional
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9-]+$`
	// +kubebuilder:validation:MaxLength=128
	HeaderName string `json:"headerName,omitempty"`
}

// Delivery tunes retries. Events are delivered at least once and in order
// per cluster: an event the sink cannot take now (network errors, 408, 429,
// 5xx) stays pending and is retried, with backoff, until the sink accepts
// it, however long the outage; only with a dead-letter sink is it handed
// there after retry retries. An event the sink refuses (any other 4xx) is
// retried retry times, then handed to the dead-letter sink; without one, or
// if that refuses it too or keeps failing for retry retries, it is given
// up: counted in status.dropped and the metric
// cdevents_events_dropped_total, reported in a Kubernetes event and the
// log, and the cluster's later events go on.
type Delivery struct {
	// Retry is how many times an event is retried on a sink, after its
	// first attempt fails, before it moves on: an event the sink refuses
	// moves to the dead-letter sink, or is given up when there is none;
	// an event the sink cannot take now moves to the dead-letter sink if
	// there is one, and is otherwise retried until the sink takes it.
	// The dead-letter sink gets as many retries.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Retry *int32 `json:"retry,omitempty"`

	// BackoffDelay is the first delay between attempts; it doubles on every
	// attempt, with jitter.
	// +optional
	// +kubebuilder:default="1s"
	BackoffDelay *metav1.Duration `json:"backoffDelay,omitempty"`

	// MaxBackoff caps the delay between attempts, including delays asked
	// for by Retry-After.
	// +optional
	// +kubebuilder:default="5m"
	MaxBackoff *metav1.Duration `json:"maxBackoff,omitempty"`

	// DeadLetterSink receives events the sink refused (a 4xx other than
	// 408 and 429) or could not take within retry retries. An event the
	// dead-letter sink refuses too is given up; one it cannot take now
	// either is retried on the sink again, so an outage of both loses
	// nothing.
	// +optional
	DeadLetterSink *Sink `json:"deadLetterSink,omitempty"`
}

// CDEventsOptions shape the events themselves.
type CDEventsOptions struct {
	// SpecVersion of the CDEvents specification to produce.
	// +optional
	// +kubebuilder:default="0.5"
	SpecVersion SpecVersion `json:"specVersion,omitempty"`

	// Source is the CDEvents context.source, a URI reference that names
	// this control plane. Defaults to /crossplane/<control-plane>, which is
	// stable across restarts.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^\S+$`
	Source string `json:"source,omitempty"`

	// Incidents also emits incident.detected and incident.resolved when a
	// cluster degrades, fails or recovers.
	// +optional
	// +kubebuilder:default=false
	Incidents bool `json:"incidents,omitempty"`
}

// GroupKind names a cluster kind.
type GroupKind struct {
	// Group of the kind, for example eks.aws.upbound.io.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Group string `json:"group"`

	// Kind, for example Cluster.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind"`
}

// Selector narrows which clusters and lifecycles a sink receives. Every
// field that is set must match; an empty selector matches everything in
// scope.
type Selector struct {
	// Providers selects clusters by provider family, such as aws, gcp,
	// azure, digitalocean, civo, linode, scaleway or oci.
	// +optional
	// +listType=set
	Providers []string `json:"providers,omitempty"`

	// Kinds selects clusters by group and kind.
	// +optional
	Kinds []GroupKind `json:"kinds,omitempty"`

	// MatchLabels selects clusters whose labels contain all of these.
	// +optional
	MatchLabels map[string]string `json:"matchLabels,omitempty"`

	// Namespaces selects namespaced cluster objects in these namespaces.
	// Only a ClusterProviderConfig may set it; cluster-scoped objects never
	// match a namespace list.
	// +optional
	// +listType=set
	Namespaces []string `json:"namespaces,omitempty"`

	// Lifecycles selects which transitions are sent.
	// +optional
	// +listType=set
	Lifecycles []Lifecycle `json:"lifecycles,omitempty"`

	// Expression selects transitions with a CEL expression, in addition to
	// the lists above (a transition is sent only when every part of the
	// selector says yes). It must be a bool over these variables, all
	// strings unless said otherwise: lifecycle, previousLifecycle, group,
	// kind, clusterNamespace (namespace is a reserved word in CEL), name,
	// labels (a map of strings), provider, region, kubernetesVersion and
	// reason (of the condition that caused the transition). Strings a
	// cluster does not report are empty. Example:
	// lifecycle == 'degraded' && labels[?'env'].orValue('') == 'prod'.
	// It is compiled when the config is read: an invalid expression makes
	// the config Ready=False with the compiler's message, and nothing is
	// sent with it. Each evaluation is cost-limited; one that fails (such
	// as reading a missing label with labels['env']) does not match, and
	// is counted in status.selectorErrors.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Expression string `json:"expression,omitempty"`
}

// DefaultOutOfSyncAfter is how long a cluster's Synced condition must stay
// False while Ready stays True before a sink that sets no threshold gets
// outOfSync.
const DefaultOutOfSyncAfter = 10 * time.Minute

// Signals tunes the lifecycles derived from how long a condition lasts.
type Signals struct {
	// OutOfSyncAfter is how long Synced must stay False while Ready stays
	// True (the provider cannot reconcile a cluster that still serves)
	// before the sink gets outOfSync. The event carries the time Synced
	// turned False plus this threshold. Defaults to 10m. Sinks that do not
	// want outOfSync leave it out of selector.lifecycles.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('168h')",message="outOfSyncAfter must be between 1m and 168h"
	OutOfSyncAfter *metav1.Duration `json:"outOfSyncAfter,omitempty"`

	// Flapping, when set, damps clusters that go degraded and recovered
	// over and over: more than transitions of them within window is
	// reported once, as flapping with the count, and the sink receives
	// none of the cluster's degraded and recovered events until it has
	// been stable for the window, when one stable event closes the
	// episode. Off when unset.
	// +optional
	Flapping *FlapDamping `json:"flapping,omitempty"`

	// Cascade, when set, reports clusters that share a cause and turn
	// degraded or failed together as one incident: when at least
	// minClusters of one group do so within window, the sink receives one
	// incident.detected naming every affected environment, and one
	// incident.resolved when the last of them recovers. Off when unset.
	// +optional
	Cascade *CascadeSignal `json:"cascade,omitempty"`
}

// CascadeGrouping says which clusters share a cause.
// +kubebuilder:validation:Enum=ProviderRegion;ProviderConfig
type CascadeGrouping string

// Cascade groupings.
const (
	// CascadeByProviderRegion groups clusters of one provider family in
	// one region (status.facts.region); clusters that report no region
	// are in no group.
	CascadeByProviderRegion CascadeGrouping = "ProviderRegion"
	// CascadeByProviderConfig groups clusters whose managed resources use
	// the same ProviderConfig (spec.providerConfigRef), usually the same
	// cloud account and credentials; clusters that name none are in no
	// group.
	CascadeByProviderConfig CascadeGrouping = "ProviderConfig"
)

// CascadePerCluster says what a sink with cascades receives of the
// incidents of each cluster.
// +kubebuilder:validation:Enum=Keep;Omit
type CascadePerCluster string

// What a sink with cascades receives of per-cluster incidents.
const (
	// CascadeKeepPerCluster keeps the per-cluster incidents that
	// spec.cdevents.incidents asks for, besides the cascades.
	CascadeKeepPerCluster CascadePerCluster = "Keep"
	// CascadeOmitPerCluster sends incidents only for cascades; the
	// environment events of each cluster are sent as usual.
	CascadeOmitPerCluster CascadePerCluster = "Omit"
)

// DefaultCascadeWindow is the cascade window of a sink that sets none.
const DefaultCascadeWindow = 5 * time.Minute

// CascadeSignal says when clusters that share a cause fail together.
type CascadeSignal struct {
	// MinClusters is how many clusters of one group must turn degraded or
	// failed within the window for a cascade.
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=10000
	MinClusters int32 `json:"minClusters"`

	// Window is how close together the incidents of minClusters clusters
	// must begin. Defaults to 5m.
	// +optional
	// +kubebuilder:default="5m"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('10s') && duration(self) <= duration('24h')",message="window must be between 10s and 24h"
	Window *metav1.Duration `json:"window,omitempty"`

	// By says which clusters share a cause: ProviderRegion (the default)
	// or ProviderConfig.
	// +optional
	// +kubebuilder:default=ProviderRegion
	By CascadeGrouping `json:"by,omitempty"`

	// PerCluster says whether the sink still receives the incidents of
	// each cluster (Keep, the default, as spec.cdevents.incidents asks)
	// or only the cascades (Omit).
	// +optional
	// +kubebuilder:default=Keep
	PerCluster CascadePerCluster `json:"perCluster,omitempty"`
}

// WindowDuration is the cascade window, with its default.
func (c *CascadeSignal) WindowDuration() time.Duration {
	if c == nil || c.Window == nil || c.Window.Duration <= 0 {
		return DefaultCascadeWindow
	}
	return c.Window.Duration
}

// Grouping is how clusters are grouped, with its default.
func (c *CascadeSignal) Grouping() CascadeGrouping {
	if c == nil || c.By == "" {
		return CascadeByProviderRegion
	}
	return c.By
}

// FlapDamping says when a cluster is flapping.
type FlapDamping struct {
	// Transitions is how many degraded and recovered transitions within
	// the window are still reported one by one; one more is flapping.
	// +kubebuilder:validation:Minimum=2
	// +kubebuilder:validation:Maximum=20
	Transitions int32 `json:"transitions"`

	// Window is how far back transitions are counted, and how long a
	// flapping cluster must make none before it is stable.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m') && duration(self) <= duration('24h')",message="window must be between 1m and 24h"
	Window metav1.Duration `json:"window"`
}

// OutOfSyncThreshold is the sink's outOfSync threshold, with its default.
func (s *Signals) OutOfSyncThreshold() time.Duration {
	if s == nil || s.OutOfSyncAfter == nil || s.OutOfSyncAfter.Duration <= 0 {
		return DefaultOutOfSyncAfter
	}
	return s.OutOfSyncAfter.Duration
}

// ProviderConfigSpec declares one CDEvents sink and what it receives. It is
// shared by ProviderConfig and ClusterProviderConfig.
type ProviderConfigSpec struct {
	// Sink receives the CDEvents.
	Sink Sink `json:"sink"`

	// Credentials authenticate the provider to the sink.
	// +optional
	Credentials *Credentials `json:"credentials,omitempty"`

	// Delivery tunes retries and dead-lettering.
	// +optional
	Delivery *Delivery `json:"delivery,omitempty"`

	// CDEvents shapes the events.
	// +optional
	CDEvents *CDEventsOptions `json:"cdevents,omitempty"`

	// Selector narrows which clusters and lifecycles the sink receives.
	// +optional
	Selector *Selector `json:"selector,omitempty"`

	// Signals tunes the lifecycles derived from how long a condition
	// lasts, such as outOfSync.
	// +optional
	Signals *Signals `json:"signals,omitempty"`

	// Replay decides what the sink receives about clusters that already
	// exist when it is added or its URL changes. After a URL change it
	// covers only what the previous URL had accepted: events the previous
	// URL had not accepted yet go to the new one whatever the policy, so a
	// corrected URL loses nothing.
	// +optional
	// +kubebuilder:default=Current
	Replay ReplayPolicy `json:"replay,omitempty"`
}

// DeliveryRecord describes one delivered event.
type DeliveryRecord struct {
	// Time the sink accepted the event.
	Time metav1.Time `json:"time"`

	// Type is the CDEvents type, such as dev.cdevents.environment.created.0.3.0.
	Type string `json:"type"`

	// Subject is the CDEvents subject id of the cluster.
	Subject string `json:"subject"`
}

// ErrorRecord describes the latest delivery failure.
type ErrorRecord struct {
	// Time of the failure.
	Time metav1.Time `json:"time"`

	// Message says what went wrong: a status code or a fixed reason. It
	// never holds a credential, nor anything the sink answered beyond its
	// status code.
	Message string `json:"message"`

	// Subject is the CDEvents subject id of the cluster whose event
	// failed.
	// +optional
	Subject string `json:"subject,omitempty"`
}

// CascadeStage is how far a sink has received a cascade.
// +kubebuilder:validation:Enum=Detected;Resolved
type CascadeStage string

// Cascade stages.
const (
	// CascadeDetected: the sink accepted the cascade's incident.detected.
	CascadeDetected CascadeStage = "Detected"
	// CascadeResolved: the sink accepted its incident.resolved too, or
	// will never get it.
	CascadeResolved CascadeStage = "Resolved"
)

// CascadeRecord is one cascade and what the sink received of it.
type CascadeRecord struct {
	// ID of the cascade; its incident events derive their ids from it.
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"id"`
	// Group the cascade's clusters share, such as aws/us-east-1.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Group string `json:"group,omitempty"`
	// Detected is when the cascade began: the start of the incident that
	// made its clusters minClusters.
	Detected metav1.Time `json:"detected"`
	// Resolved is when the last of its clusters recovered.
	// +optional
	Resolved *metav1.Time `json:"resolved,omitempty"`
	// Clusters is how many clusters it counts.
	// +optional
	Clusters int32 `json:"clusters,omitempty"`
	// Sent is how far the sink has received it.
	// +optional
	Sent CascadeStage `json:"sent,omitempty"`
}

// Condition types and reasons of provider configs, besides Ready and
// TypeSinkReachable.
const (
	// TypeSinkSecure says whether the sink is reached with TLS
	// certificate verification on and without credentials in plain text.
	// It is False wherever a config turns verification off or sends
	// credentials over http://, so such configs are easy to find.
	TypeSinkSecure xpv2.ConditionType = "SinkSecure"

	// ReasonSinkNotAllowed is the reason of Ready=False when the
	// administrator's policy refuses the sink: its address is denied by
	// the egress policy, or a namespaced ProviderConfig asks for
	// insecureSkipVerify or plain-text credentials that the administrator
	// has not allowed. Nothing is sent to a refused sink.
	ReasonSinkNotAllowed xpv2.ConditionReason = "SinkNotAllowed"
)

// ProviderConfigStatus reports how delivery to the sink is going.
type ProviderConfigStatus struct {
	xpv2.ConditionedStatus `json:",inline"`

	// MatchedClusters is how many watched clusters the selector, its
	// expression included, matches now: the expression is evaluated on
	// each cluster's current state (lifecycle is the one that put it in
	// its phase, previousLifecycle and reason are empty), so the effect of
	// a selector shows before any event is sent.
	// +optional
	MatchedClusters int64 `json:"matchedClusters,omitempty"`

	// SelectorErrors counts evaluations of the selector's expression that
	// failed; those transitions were not sent.
	// +optional
	SelectorErrors int64 `json:"selectorErrors,omitempty"`

	// Clusters is the number of clusters routed to this sink.
	// +optional
	Clusters int64 `json:"clusters,omitempty"`

	// Delivered counts events the sink accepted since the provider started.
	// +optional
	Delivered int64 `json:"delivered,omitempty"`

	// Pending counts events recorded but not yet accepted by the sink.
	// +optional
	Pending int64 `json:"pending,omitempty"`

	// DeadLettered counts events the dead-letter sink accepted since the
	// provider started.
	// +optional
	DeadLettered int64 `json:"deadLettered,omitempty"`

	// Dropped counts events given up since the provider started: the sink
	// refused them and there is no dead-letter sink, or the dead-letter
	// sink refused them too. Each raises a Kubernetes event on this
	// config and counts in cdevents_events_dropped_total.
	// +optional
	Dropped int64 `json:"dropped,omitempty"`

	// LastDelivery is the most recent event the sink accepted.
	// +optional
	LastDelivery *DeliveryRecord `json:"lastDelivery,omitempty"`

	// LastError is the most recent delivery failure.
	// +optional
	LastError *ErrorRecord `json:"lastError,omitempty"`

	// SinkSince is when the sink's current URL was declared: the config's
	// creation for its first URL, when the provider first saw it for a
	// URL changed later. Clusters the provider knew before then get the
	// replay policy; those recorded since, every event.
	// +optional
	SinkSince *metav1.Time `json:"sinkSince,omitempty"`

	// SinkEndpoint identifies the URL SinkSince refers to (a hash, so the
	// status never repeats a URL that may embed a token).
	// +optional
	SinkEndpoint string `json:"sinkEndpoint,omitempty"`

	// Cascades lists the sink's cascades (see spec.signals.cascade) that
	// are open, or resolved within the last day, and what the sink has
	// received of each, so that a restarted provider neither repeats nor
	// loses one. It is written when a cascade changes, never per event.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=id
	Cascades []CascadeRecord `json:"cascades,omitempty"`

	// DeliveredThrough is the sink's delivery watermark at SinkEndpoint: a
	// resourceVersion of the ObservedCluster ledgers such that every
	// ledger this sink receives whose resourceVersion is at or below it
	// had all its events accepted (or given up). It spares the provider a
	// progress write per cluster: after a restart, ledgers not written
	// since are known delivered.
	// +optional
	DeliveredThrough string `json:"deliveredThrough,omitempty"`

	// UnwatchableKinds lists cluster kinds (group/kind) whose CRD is
	// installed but that the provider is not allowed to list or watch, so
	// their clusters cannot be reported. Grant get, list and watch on them.
	// +optional
	// +listType=set
	UnwatchableKinds []string `json:"unwatchableKinds,omitempty"`
}

// +kubebuilder:object:root=true

// A ClusterProviderConfig sends CDEvents about every watched cluster its
// selector matches, in any namespace or none, to one sink.
// +kubebuilder:printcolumn:name="SINK",type="string",JSONPath=".spec.sink.url"
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="REACHABLE",type="string",JSONPath=".status.conditions[?(@.type=='SinkReachable')].status"
// +kubebuilder:printcolumn:name="CLUSTERS",type="integer",JSONPath=".status.clusters"
// +kubebuilder:printcolumn:name="DELIVERED",type="integer",JSONPath=".status.delivered"
// +kubebuilder:printcolumn:name="PENDING",type="integer",JSONPath=".status.pending"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,categories={crossplane,provider,cdevents}
type ClusterProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ClusterProviderConfigList contains a list of ClusterProviderConfig.
type ClusterProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ClusterProviderConfig `json:"items"`
}

// +kubebuilder:object:root=true

// A ProviderConfig sends CDEvents about the namespaced cluster objects of
// its own namespace to one sink, reading Secrets only from that namespace,
// so a tenant never sees another tenant's clusters.
// +kubebuilder:printcolumn:name="SINK",type="string",JSONPath=".spec.sink.url"
// +kubebuilder:printcolumn:name="READY",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status"
// +kubebuilder:printcolumn:name="REACHABLE",type="string",JSONPath=".status.conditions[?(@.type=='SinkReachable')].status"
// +kubebuilder:printcolumn:name="CLUSTERS",type="integer",JSONPath=".status.clusters"
// +kubebuilder:printcolumn:name="DELIVERED",type="integer",JSONPath=".status.delivered"
// +kubebuilder:printcolumn:name="PENDING",type="integer",JSONPath=".status.pending"
// +kubebuilder:printcolumn:name="AGE",type="date",JSONPath=".metadata.creationTimestamp"
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Namespaced,categories={crossplane,provider,cdevents}
type ProviderConfig struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:validation:XValidation:rule="!has(self.selector) || !has(self.selector.namespaces)",message="a namespaced ProviderConfig only sees its own namespace: selector.namespaces is not allowed"
	Spec   ProviderConfigSpec   `json:"spec"`
	Status ProviderConfigStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ProviderConfigList contains a list of ProviderConfig.
type ProviderConfigList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ProviderConfig `json:"items"`
}
