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

// Package config reconciles ClusterProviderConfigs and ProviderConfigs into
// sinks: it reads their Secrets (a namespaced ProviderConfig only from its own
// namespace), applies the administrator's policy for tenants' sinks (egress,
// TLS verification, credentials in plain text), hands the sink to delivery,
// and reports delivery progress and reachability in their status.
//
// A namespaced ProviderConfig is written by a tenant and is untrusted: the
// provider reads Secrets cluster-wide and sits inside the control plane's
// network, so this package is where a tenant's reach ends.
package config

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	corev1 "k8s.io/api/core/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/event"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/dispatch"
	"github.com/crossplane-contrib/provider-cdevents/internal/filter"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// statusRefreshEvery is how often a config's status is refreshed: its
// conditions, and its sink's delivery watermark when the ledger wants it
// persisted, which the ledger counts on happening this often.
const statusRefreshEvery = ledger.WatermarkPersistedEvery

// DefaultFiguresEvery is how often, at most, a config's status is written
// only because its delivery figures changed (see figuresOf).
const DefaultFiguresEvery = time.Minute

// Error strings.
const (
	errGetConfig      = "cannot get provider config"
	errUpdateStatus   = "cannot update provider config status"
	errGetSecret      = "cannot get Secret"
	errFmtSecretKey   = "Secret %s/%s has no key %q"
	errFmtForeignNS   = "a ProviderConfig may only read Secrets in its own namespace %q, not %q"
	errNoSecretNS     = "a ClusterProviderConfig must name the namespace of every Secret it reads"
	errNoSecretRef    = "credentials source is Secret but secretRef is not set"
	errClientCertPair = "client certificate Secret must hold tls.crt and tls.key"
	errApplySink      = "cannot configure sink"
	errDeadLetterSink = "dead-letter sink"
	errExpression     = "invalid spec.selector.expression"

	errSinkNotAllowed     = "sink is not allowed"
	errDLQNotAllowed      = "dead-letter sink is not allowed"
	errInsecureTLS        = "a ProviderConfig may not turn off TLS certificate verification (insecureSkipVerify): the provider's administrator has not allowed it (--tenant-allow-insecure-tls)"
	errPlaintextCreds     = "a ProviderConfig may not send credentials over plain http: use https, or ask the provider's administrator to allow it (--tenant-allow-plaintext-credentials)"
	msgSecure             = "TLS certificate verification is on and no credential is sent in plain text"
	msgInsecureTLS        = "TLS certificate verification of the sink is off (insecureSkipVerify)"
	msgPlaintextCreds     = "credentials are sent to the sink over plain http"
	msgInsecureDLQTLS     = "TLS certificate verification of the dead-letter sink is off (insecureSkipVerify)"
	msgPlaintextDLQCreds  = "credentials are sent to the dead-letter sink over plain http"
	msgSinkNotAllowedLive = "The sink's address is not allowed by the provider's egress policy; nothing is sent"
)

// Condition reasons.
const (
	reasonConfigured   xpv2.ConditionReason = "Configured"
	reasonInvalid      xpv2.ConditionReason = "InvalidConfig"
	reasonReachable    xpv2.ConditionReason = "SinkAccepted"
	reasonUnreachable  xpv2.ConditionReason = "SinkUnreachable"
	reasonRejecting    xpv2.ConditionReason = "SinkRejecting"
	reasonNoAttemptYet xpv2.ConditionReason = "NoEventSentYet"
	reasonSecure       xpv2.ConditionReason = "SecureTransport"
	reasonInsecure     xpv2.ConditionReason = "InsecureTransport"
)

// Event reasons.
const (
	reasonCannotDeliver event.Reason = "CannotDeliverCDEvents"
	reasonDelivering    event.Reason = "DeliveringCDEvents"
	reasonBadConfig     event.Reason = "InvalidConfig"
	reasonNotAllowed    event.Reason = "SinkNotAllowed"
	reasonInsecureSink  event.Reason = "InsecureSink"
	reasonDropped       event.Reason = "DroppedCDEvents"
)

// Policy is what the administrator allows the sinks of provider configs.
// The zero value allows everything; the provider's flags always set the
// tenant side.
type Policy struct {
	// TenantEgress limits the addresses the sinks of namespaced
	// ProviderConfigs may reach; nil allows every address.
	TenantEgress *deliver.EgressPolicy
	// ClusterEgress limits the addresses the sinks of
	// ClusterProviderConfigs may reach; nil allows every address.
	ClusterEgress *deliver.EgressPolicy
	// TenantAllowInsecureTLS lets namespaced ProviderConfigs turn TLS
	// certificate verification off.
	TenantAllowInsecureTLS bool
	// TenantAllowPlaintextCredentials lets namespaced ProviderConfigs send
	// credentials over plain http.
	TenantAllowPlaintextCredentials bool
}

// NotAllowedError is a config the administrator's policy refuses. Its
// message is fixed, so it may be shown to the tenant.
type NotAllowedError struct{ msg string }

// Error says what is not allowed.
func (e *NotAllowedError) Error() string { return e.msg }

func notAllowed(msg string) error { return &NotAllowedError{msg: msg} }

// IsNotAllowed says whether err is a refusal of the administrator's policy.
func IsNotAllowed(err error) bool {
	var na *NotAllowedError
	return errors.As(err, &na)
}

// Sinks is the delivery side a config controller drives.
type Sinks interface {
	Apply(st dispatch.Settings) error
	Remove(id string)
	Stats(id string) (dispatch.Stats, bool)
	// Persisted says a sink's delivery watermark for an endpoint is in
	// its config's status.
	Persisted(id, endpoint, deliveredThrough string)
}

// Kinds reports cluster kinds the provider may not watch.
type Kinds interface {
	Unwatchable() []string
}

// Reconciler turns one kind of provider config into a sink.
type Reconciler struct {
	kube     client.Client
	secrets  client.Reader
	sinks    Sinks
	kinds    Kinds
	log      logging.Logger
	record   event.Recorder
	newObj   func() v1alpha1.Config
	kind     string
	now      func() time.Time
	ctrlName string
	// tenant is true for namespaced ProviderConfigs, which are untrusted.
	tenant bool
	egress *deliver.EgressPolicy
	policy Policy
	// reconciled is told each time a config's sink was applied, refused or
	// removed: its outcome is known.
	reconciled func(id string)
	// figuresEvery is how often, at most, a status is written for its
	// figures alone; written is when each config's status was last
	// written, by sink ID.
	figuresEvery time.Duration
	mu           sync.Mutex
	written      map[string]time.Time
}

// A SetupOption configures the config controllers.
type SetupOption func(*setupOptions)

type setupOptions struct {
	reconciled   func(id string)
	figuresEvery time.Duration
}

// WithFiguresEvery sets how often, at most, a config's status is written
// only because its delivery figures changed; DefaultFiguresEvery if not
// positive. Conditions and the other fields are written at the next
// refresh whatever it is.
func WithFiguresEvery(d time.Duration) SetupOption {
	return func(o *setupOptions) { o.figuresEvery = d }
}

// WithReconciled calls fn with a config's sink ID (see ID) each time the
// config was reconciled to an outcome: its sink applied, refused as invalid
// or not allowed, or removed. The pipeline holds discovery back at start
// until every existing config has been.
func WithReconciled(fn func(id string)) SetupOption {
	return func(o *setupOptions) { o.reconciled = fn }
}

// ID names the sink of a config in ledgers and metrics.
func ID(kind, namespace, name string) string {
	if namespace == "" {
		return kind + "/" + name
	}
	return kind + "/" + namespace + "/" + name
}

// Setup adds the ClusterProviderConfig and ProviderConfig controllers.
func Setup(mgr ctrl.Manager, o controller.Options, sinks Sinks, kinds Kinds, p Policy, opts ...SetupOption) error {
	so := setupOptions{reconciled: func(string) {}}
	for _, fn := range opts {
		fn(&so)
	}
	if so.figuresEvery <= 0 {
		so.figuresEvery = DefaultFiguresEvery
	}
	for _, c := range []struct {
		kind   string
		newObj func() v1alpha1.Config
		obj    client.Object
		tenant bool
		egress *deliver.EgressPolicy
	}{
		{v1alpha1.ClusterProviderConfigKind, func() v1alpha1.Config { return &v1alpha1.ClusterProviderConfig{} }, &v1alpha1.ClusterProviderConfig{}, false, p.ClusterEgress},
		{v1alpha1.ProviderConfigKind, func() v1alpha1.Config { return &v1alpha1.ProviderConfig{} }, &v1alpha1.ProviderConfig{}, true, p.TenantEgress},
	} {
		name := "config/" + strings.ToLower(c.kind)
		r := &Reconciler{
			kube:     mgr.GetClient(),
			secrets:  mgr.GetAPIReader(),
			sinks:    sinks,
			kinds:    kinds,
			log:      o.Logger.WithValues("controller", name),
			record:   event.NewAPIRecorder(mgr.GetEventRecorderFor(name)), //nolint:staticcheck // crossplane-runtime's recorder takes a record.EventRecorder.
			newObj:   c.newObj,
			kind:     c.kind,
			now:      time.Now,
			ctrlName: name,
			tenant:   c.tenant,
			egress:   c.egress,
			policy:   p,

			reconciled:   so.reconciled,
			figuresEvery: so.figuresEvery,
			written:      map[string]time.Time{},
		}
		if err := ctrl.NewControllerManagedBy(mgr).
			Named(name).
			WithOptions(o.ForControllerRuntime()).
			// A status write of its own must not start another
			// reconcile: under load each would write the figures
			// again, a write to the API server several times a
			// second. The status is refreshed on a timer instead.
			For(c.obj, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
			Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter)); err != nil {
			return errors.Wrapf(err, "cannot set up %s controller", c.kind)
		}
	}
	return nil
}

// done tells whoever waits for configs that id's outcome is known.
func (r *Reconciler) done(id string) {
	if r.reconciled != nil {
		r.reconciled(id)
	}
}

// gone forgets a config that was deleted.
func (r *Reconciler) gone(id string) {
	r.mu.Lock()
	delete(r.written, id)
	r.mu.Unlock()
	r.sinks.Remove(id)
	r.done(id)
}

// mustWrite says whether a refreshed status must be written. Its delivery
// figures change with nearly every event: written whenever they changed,
// every sink with at least one event in a refresh interval would cost the
// API server a status write, and on a quiet fleet, where each sink sees a
// transition now and then, that is a write per sink for every transition,
// several times the ledger's one. So a change of the figures alone is
// written at most every figuresEvery; any other change (a condition, the
// cascades, a refusal), and a delivery watermark the ledger wants
// persisted (wanted), at the next refresh.
func (r *Reconciler) mustWrite(id string, stored, refreshed *v1alpha1.ProviderConfigStatus, wanted bool) bool {
	switch {
	case sameAsStored(stored, refreshed):
		return false
	case !sameAsStored(stored, figuresOf(stored, refreshed)):
		return true
	case wanted && stored.DeliveredThrough != refreshed.DeliveredThrough:
		return true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	last, ok := r.written[id]
	return !ok || r.now().Sub(last) >= r.figuresEvery
}

// figuresOf returns refreshed with the delivery figures, those that move
// with every event, it shares with stored: how many events the sink took,
// the latest of them, its watermark, and how many events it lacks, unless
// it went from none to some or back (whether a sink is caught up is news,
// how far behind it is, a figure). What is left differing (the clusters
// it receives included, which change with the fleet, not with its events)
// is what must be written at once.
func figuresOf(stored, refreshed *v1alpha1.ProviderConfigStatus) *v1alpha1.ProviderConfigStatus {
	s := refreshed.DeepCopy()
	s.Delivered, s.LastDelivery, s.DeliveredThrough = stored.Delivered, stored.LastDelivery, stored.DeliveredThrough
	if (s.Pending == 0) == (stored.Pending == 0) {
		s.Pending = stored.Pending
	}
	return s
}

// Reconcile a provider config. Status is refreshed periodically so that
// delivery figures stay current without a write per event.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	log := r.log.WithValues("request", req)
	id := ID(r.kind, req.Namespace, req.Name)

	pc := r.newObj()
	if err := r.kube.Get(ctx, req.NamespacedName, pc.(client.Object)); err != nil {
		if kerrors.IsNotFound(err) {
			log.Debug("Provider config deleted; stopping its sink", "sink", id)
			r.gone(id)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, errors.Wrap(err, errGetConfig)
	}
	if pc.(client.Object).GetDeletionTimestamp() != nil {
		r.gone(id)
		return reconcile.Result{}, nil
	}

	before := pc.GetStatus().DeepCopy()
	r.reportTransport(pc)
	// The policy is checked before any Secret is read: a refused config
	// gets nothing from the provider.
	err := r.allowed(ctx, pc.GetSpec())
	var st dispatch.Settings
	if err == nil {
		st, err = r.settings(ctx, id, pc)
	}
	if err == nil {
		// What the status says was delivered counts before the sink
		// starts sending, so a restart does not send it again.
		if status := pc.GetStatus(); status.SinkEndpoint == st.Endpoint {
			r.sinks.Persisted(id, st.Endpoint, status.DeliveredThrough)
		}
		err = errors.Wrap(r.sinks.Apply(st), errApplySink)
	}
	r.done(id)
	prev := pc.GetCondition(xpv2.TypeReady)
	switch {
	case IsNotAllowed(err):
		// As with an invalid config, a sink already running keeps its
		// last allowed settings; the refused ones are never used.
		log.Debug("Sink not allowed", "error", err)
		if prev.Reason != v1alpha1.ReasonSinkNotAllowed || prev.Message != err.Error() {
			r.record.Event(pc.(client.Object), event.Warning(reasonNotAllowed, err))
		}
		pc.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: v1alpha1.ReasonSinkNotAllowed, Message: err.Error(), LastTransitionTime: metav1.Now()})
	case err != nil:
		// Keep any sink already running with its last good settings: a
		// Secret being rotated must not stop delivery or lose progress.
		log.Debug("Invalid provider config", "error", err)
		if prev.Reason != reasonInvalid {
			r.record.Event(pc.(client.Object), event.Warning(reasonBadConfig, err))
		}
		pc.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: reasonInvalid, Message: err.Error(), LastTransitionTime: metav1.Now()})
	default:
		pc.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue, Reason: reasonConfigured, LastTransitionTime: metav1.Now()})
	}
	wanted := r.report(pc, id)

	if r.mustWrite(id, before, pc.GetStatus(), wanted) {
		if err := r.kube.Status().Update(ctx, pc.(client.Object)); err != nil {
			return reconcile.Result{}, errors.Wrap(err, errUpdateStatus)
		}
		r.mu.Lock()
		r.written[id] = r.now()
		r.mu.Unlock()
		status := pc.GetStatus()
		r.sinks.Persisted(id, status.SinkEndpoint, status.DeliveredThrough)
	}
	return reconcile.Result{RequeueAfter: statusRefreshEvery}, nil
}

// sameAsStored says whether two statuses are stored alike by the API
// server. Compared field by field they differ where nothing the API server
// keeps does: a time the sinks report carries nanoseconds and a monotonic
// clock reading, one read back is whole seconds; an empty list is stored
// as none. Such a difference must not rewrite an unchanged status at every
// refresh.
func sameAsStored(a, b *v1alpha1.ProviderConfigStatus) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return reflect.DeepEqual(a, b)
	}
	return bytes.Equal(ja, jb)
}

// report copies delivery figures into status, and raises an event when the
// sink starts or stops failing. It says whether the ledger wants the sink's
// watermark persisted (see ledger.WatermarkWanted).
func (r *Reconciler) report(pc v1alpha1.Config, id string) bool {
	s := pc.GetStatus()
	if _, cluster := pc.(*v1alpha1.ClusterProviderConfig); cluster && r.kinds != nil {
		// None is nil, as read back from the API server: an empty list
		// would differ from it and rewrite an unchanged status at every
		// refresh.
		s.UnwatchableKinds = nil
		if u := r.kinds.Unwatchable(); len(u) > 0 {
			s.UnwatchableKinds = u
		}
	}
	stats, ok := r.sinks.Stats(id)
	if !ok {
		return false
	}
	s.Clusters, s.Delivered, s.Pending, s.DeadLettered = stats.Clusters, stats.Delivered, stats.Pending, stats.DeadLettered
	switch {
	case stats.Endpoint != s.SinkEndpoint:
		// The sink still runs with settings of another URL: its
		// watermark says nothing of this one.
		s.DeliveredThrough = ""
	case stats.DeliveredThrough != "":
		s.DeliveredThrough = stats.DeliveredThrough
	}
	s.MatchedClusters, s.SelectorErrors = stats.MatchedClusters, stats.SelectorErrors
	// Changes only when a cascade begins, ends or reaches the sink: a
	// status write per cascade change, never per event.
	if !sameCascades(s.Cascades, stats.Cascades) {
		s.Cascades = stats.Cascades
	}
	if stats.Dropped > s.Dropped {
		r.record.Event(pc.(client.Object), event.Warning(reasonDropped, errors.Errorf("%d event(s) given up since the provider started; the latest %s", stats.Dropped, stats.LastDrop)))
	}
	s.Dropped = stats.Dropped
	if stats.LastDelivery != nil {
		s.LastDelivery = stats.LastDelivery
	}
	if stats.LastError != nil {
		s.LastError = stats.LastError
	}
	prev := pc.GetCondition(v1alpha1.TypeSinkReachable)
	c := xpv2.Condition{Type: v1alpha1.TypeSinkReachable, Status: corev1.ConditionUnknown, Reason: reasonNoAttemptYet, Message: "No event has been sent to the sink yet", LastTransitionTime: metav1.Now()}
	switch {
	case !stats.Attempted:
	case stats.NotAllowed:
		// The sink's name resolved to a denied address after the config
		// was accepted: the dialer refused it.
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, v1alpha1.ReasonSinkNotAllowed, msgSinkNotAllowedLive
		pc.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: v1alpha1.ReasonSinkNotAllowed, Message: msgSinkNotAllowedLive, LastTransitionTime: metav1.Now()})
	case !stats.Reachable:
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, reasonUnreachable, lastError(stats)
	case stats.Failing:
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, reasonRejecting, "The sink answers but rejects events: "+lastError(stats)
	default:
		c.Status, c.Reason, c.Message = corev1.ConditionTrue, reasonReachable, "The sink accepted the latest event"
	}
	if c.Status == corev1.ConditionFalse && prev.Status != corev1.ConditionFalse {
		r.record.Event(pc.(client.Object), event.Warning(reasonCannotDeliver, errors.New(c.Message)))
	}
	if c.Status == corev1.ConditionTrue && prev.Status == corev1.ConditionFalse {
		r.record.Event(pc.(client.Object), event.Normal(reasonDelivering, "The sink is reachable again; pending events are being delivered"))
	}
	if prev.Status != c.Status || prev.Reason != c.Reason || prev.Message != c.Message {
		pc.SetConditions(c)
	}
	return stats.WatermarkWanted
}

// sameCascades compares cascade records by their meaning: times read back
// from the API server are in another location than those of the ledger,
// and must not make every status refresh a write.
func sameCascades(a, b []v1alpha1.CascadeRecord) bool {
	return slices.EqualFunc(a, b, func(x, y v1alpha1.CascadeRecord) bool {
		return x.ID == y.ID && x.Group == y.Group && x.Detected.Equal(&y.Detected) && x.Resolved.Equal(y.Resolved) &&
			x.Clusters == y.Clusters && x.Sent == y.Sent
	})
}

func lastError(s dispatch.Stats) string {
	if s.LastError == nil {
		return ""
	}
	return s.LastError.Message
}

// Endpoint hashes a sink URL: progress is tied to it, and status may show
// the hash without showing a URL that could embed a token.
func Endpoint(url string) string {
	sum := sha256.Sum256([]byte(url))
	return hex.EncodeToString(sum[:])[:16]
}

// allowed applies the administrator's policy to a config's spec, before
// anything is read for it: the egress policy to the sink and the
// dead-letter sink, and for namespaced ProviderConfigs the rules on TLS
// verification and credentials over plain http. Its errors are
// NotAllowedErrors with fixed messages.
func (r *Reconciler) allowed(ctx context.Context, spec *v1alpha1.ProviderConfigSpec) error {
	dlq := deadLetter(spec)
	if r.tenant && !r.policy.TenantAllowInsecureTLS && (insecureTLS(&spec.Sink) || (dlq != nil && insecureTLS(dlq))) {
		return notAllowed(errInsecureTLS)
	}
	if r.tenant && !r.policy.TenantAllowPlaintextCredentials && (plaintextCredentials(&spec.Sink, spec.Credentials) || (dlq != nil && plaintextCredentials(dlq, nil))) {
		return notAllowed(errPlaintextCreds)
	}
	if err := r.egress.CheckURL(ctx, spec.Sink.URL); err != nil {
		return notAllowed(errSinkNotAllowed + ": " + err.Error())
	}
	if dlq != nil {
		if err := r.egress.CheckURL(ctx, dlq.URL); err != nil {
			return notAllowed(errDLQNotAllowed + ": " + err.Error())
		}
	}
	return nil
}

func deadLetter(spec *v1alpha1.ProviderConfigSpec) *v1alpha1.Sink {
	if spec.Delivery == nil {
		return nil
	}
	return spec.Delivery.DeadLetterSink
}

func insecureTLS(s *v1alpha1.Sink) bool { return s.TLS != nil && s.TLS.InsecureSkipVerify }

// plaintextCredentials says whether a sink would get a credential over
// plain http: from the config's credentials, or from user info in its URL,
// which net/http sends as a Basic Authorization header.
func plaintextCredentials(s *v1alpha1.Sink, c *v1alpha1.Credentials) bool {
	u, err := url.Parse(strings.TrimSpace(s.URL))
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	return u.User != nil || (c != nil && c.Source == v1alpha1.CredentialsSourceSecret)
}

// reportTransport sets the SinkSecure condition from the spec, so that a
// config that turns TLS verification off or sends credentials in plain
// text says so, whoever owns it and whether or not it is allowed.
func (r *Reconciler) reportTransport(pc v1alpha1.Config) {
	spec := pc.GetSpec()
	var issues []string
	if insecureTLS(&spec.Sink) {
		issues = append(issues, msgInsecureTLS)
	}
	if plaintextCredentials(&spec.Sink, spec.Credentials) {
		issues = append(issues, msgPlaintextCreds)
	}
	if dlq := deadLetter(spec); dlq != nil {
		if insecureTLS(dlq) {
			issues = append(issues, msgInsecureDLQTLS)
		}
		if plaintextCredentials(dlq, nil) {
			issues = append(issues, msgPlaintextDLQCreds)
		}
	}
	c := xpv2.Condition{Type: v1alpha1.TypeSinkSecure, Status: corev1.ConditionTrue, Reason: reasonSecure, Message: msgSecure, LastTransitionTime: metav1.Now()}
	if len(issues) > 0 {
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, reasonInsecure, strings.Join(issues, "; ")
	}
	prev := pc.GetCondition(v1alpha1.TypeSinkSecure)
	if prev.Status == c.Status && prev.Reason == c.Reason && prev.Message == c.Message {
		return
	}
	if c.Status == corev1.ConditionFalse {
		r.record.Event(pc.(client.Object), event.Warning(reasonInsecureSink, errors.New(c.Message)))
	}
	pc.SetConditions(c)
}

// settings resolves a config and its Secrets into sink settings.
func (r *Reconciler) settings(ctx context.Context, id string, pc v1alpha1.Config) (dispatch.Settings, error) {
	spec := pc.GetSpec()
	ns := pc.GetNamespace()
	st := dispatch.Settings{
		ID:       id,
		Endpoint: Endpoint(spec.Sink.URL),
		Routes:   dispatch.Routes{Namespace: ns, Selector: spec.Selector, OutOfSyncAfter: spec.Signals.OutOfSyncThreshold(), Flapping: damping(spec.Signals)},
		Replay:   spec.Replay,
		Retry:    deliver.RetryPolicyFrom(spec.Delivery),
	}
	if st.Replay == "" {
		st.Replay = v1alpha1.ReplayCurrent
	}
	if sel := spec.Selector; sel != nil && sel.Expression != "" {
		x, err := filter.Compile(sel.Expression)
		if err != nil {
			return st, errors.Wrap(err, errExpression)
		}
		st.Routes.Expression = x
	}
	status := pc.GetStatus()
	if status.SinkSince == nil || status.SinkEndpoint != st.Endpoint {
		// Status keeps whole seconds; so does the sink, or every reload
		// of the config would look like a change.
		since := metav1.NewTime(r.now().Truncate(time.Second))
		if status.SinkSince == nil {
			// A config never reconciled declared its sink when it was
			// created: clusters recorded since then are not existing
			// ones, however late the provider reads the config (it was
			// down, or could not read it).
			since = pc.(client.Object).GetCreationTimestamp()
		}
		status.SinkSince, status.SinkEndpoint = &since, st.Endpoint
		// A watermark says what one endpoint received.
		status.DeliveredThrough = ""
	}
	st.Since = status.SinkSince.Time

	if c := spec.CDEvents; c != nil {
		st.Events = cdevent.Options{SpecVersion: c.SpecVersion, Source: c.Source, Incidents: c.Incidents}
	}
	if sig := spec.Signals; sig != nil && sig.Cascade != nil {
		st.Cascade = sig.Cascade.DeepCopy()
		if sig.Cascade.PerCluster == v1alpha1.CascadeOmitPerCluster {
			// Incidents only for cascades.
			st.Events.Incidents = false
		}
	}
	// What the sink had received of its cascades before this provider
	// started; a sink already running keeps its own, newer record.
	st.Cascades = status.Cascades
	sink, err := r.sink(ctx, ns, spec.Sink)
	if err != nil {
		return st, err
	}
	if c := spec.Credentials; c != nil && c.Source == v1alpha1.CredentialsSourceSecret {
		if c.SecretRef == nil {
			return st, errors.New(errNoSecretRef)
		}
		v, err := r.secretKey(ctx, ns, *c.SecretRef)
		if err != nil {
			return st, err
		}
		sink.Auth = &deliver.Auth{Scheme: c.Scheme, HeaderName: c.HeaderName, Secret: strings.TrimRight(string(v), "\r\n")}
		if sink.Auth.Scheme == "" {
			sink.Auth.Scheme = v1alpha1.AuthSchemeBearer
		}
	}
	st.Sink = sink
	if d := spec.Delivery; d != nil && d.DeadLetterSink != nil {
		dlq, err := r.sink(ctx, ns, *d.DeadLetterSink)
		if err != nil {
			return st, errors.Wrap(err, errDeadLetterSink)
		}
		st.DeadLetter = &dlq
	}
	return st, nil
}

func (r *Reconciler) sink(ctx context.Context, ns string, s v1alpha1.Sink) (deliver.SinkConfig, error) {
	c := deliver.SinkConfig{URL: s.URL, Encoding: s.Encoding, Headers: s.Headers, Timeout: 10 * time.Second, Egress: r.egress}
	if s.Timeout != nil {
		c.Timeout = s.Timeout.Duration
	}
	if s.TLS == nil {
		return c, nil
	}
	c.TLS.InsecureSkipVerify = s.TLS.InsecureSkipVerify
	if ref := s.TLS.CABundleSecretRef; ref != nil {
		ca, err := r.secretKey(ctx, ns, *ref)
		if err != nil {
			return c, err
		}
		c.TLS.CABundle = ca
	}
	if ref := s.TLS.ClientCertSecretRef; ref != nil {
		sec, err := r.secret(ctx, ns, ref.Namespace, ref.Name)
		if err != nil {
			return c, err
		}
		crt, key := sec.Data[corev1.TLSCertKey], sec.Data[corev1.TLSPrivateKeyKey]
		if len(crt) == 0 || len(key) == 0 {
			return c, errors.New(errClientCertPair)
		}
		c.TLS.ClientCert, c.TLS.ClientKey = crt, key
	}
	return c, nil
}

func (r *Reconciler) secretKey(ctx context.Context, ns string, ref v1alpha1.SecretKeySelector) ([]byte, error) {
	sec, err := r.secret(ctx, ns, ref.Namespace, ref.Name)
	if err != nil {
		return nil, err
	}
	v, ok := sec.Data[ref.Key]
	if !ok {
		return nil, errors.Errorf(errFmtSecretKey, sec.GetNamespace(), sec.GetName(), ref.Key)
	}
	return v, nil
}

// secret reads a Secret under the tenancy rule: a namespaced config reads
// only its own namespace; a cluster-scoped one must say which.
func (r *Reconciler) secret(ctx context.Context, configNS, refNS, name string) (*corev1.Secret, error) {
	switch {
	case configNS != "" && refNS != "" && refNS != configNS:
		return nil, errors.Errorf(errFmtForeignNS, configNS, refNS)
	case configNS == "" && refNS == "":
		return nil, errors.New(errNoSecretNS)
	case refNS == "":
		refNS = configNS
	}
	s := &corev1.Secret{}
	if err := r.secrets.Get(ctx, types.NamespacedName{Namespace: refNS, Name: name}, s); err != nil {
		return nil, errors.Wrap(err, fmt.Sprintf("%s %s/%s", errGetSecret, refNS, name))
	}
	return s, nil
}

// damping is a config's flap damping, nil when it damps none.
func damping(s *v1alpha1.Signals) *normalize.Damping {
	if s == nil || s.Flapping == nil {
		return nil
	}
	return &normalize.Damping{Transitions: int(s.Flapping.Transitions), Window: s.Flapping.Window.Duration}
}
