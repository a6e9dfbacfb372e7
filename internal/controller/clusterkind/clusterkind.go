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

// Package clusterkind reconciles ClusterKinds into the catalog, so users can
// teach the provider a cluster kind, or correct a built-in profile, at run
// time. An invalid ClusterKind is reported on its own status and changes
// nothing.
package clusterkind

import (
	"context"
	"reflect"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

// Error strings.
const (
	errGetClusterKind = "cannot get ClusterKind"
	errUpdateStatus   = "cannot update ClusterKind status"
	errFollow         = "cannot follow the kinds discovery watches"
)

// Condition reasons.
const (
	reasonActive  xpv2.ConditionReason = "ProfileActive"
	reasonInvalid xpv2.ConditionReason = "InvalidProfile"

	reasonAllHonored xpv2.ConditionReason = "AllStatesHonored"
	reasonIgnored    xpv2.ConditionReason = "StatesIgnoredWhileReady"
)

// msgAllHonored is the message of a ClusterKind whose every declared state
// takes effect.
const msgAllHonored = "every declared state takes effect"

// How often the Watching status is checked again without being told:
// discovery tells the controller whenever the kinds it watches change (a
// kind's CRD may be installed any time after its ClusterKind), so this is
// only a safety net. Every reconcile passes the provider's global rate
// limiter (--max-reconcile-rate): polling a thousand ClusterKinds every
// 30 s would take more than that whole budget, and every other controller
// would wait behind them.
const refreshEvery = 10 * time.Minute

// Watcher is the discovery side: it re-reads CRDs when profiles change.
type Watcher interface {
	Resync()
	IsWatching(gk schema.GroupKind) bool
}

// Reconciler keeps the catalog in step with ClusterKinds.
type Reconciler struct {
	kube    client.Client
	catalog *catalog.Catalog
	watcher Watcher
	log     logging.Logger

	mu      sync.Mutex
	applied map[string]int64 // generation of each ClusterKind in the catalog
}

// Setup adds the ClusterKind controller. A receive on changed, when not nil,
// tells it that the kinds discovery watches changed: the ClusterKinds whose
// Watching status no longer says what discovery does are reconciled then.
func Setup(mgr ctrl.Manager, o controller.Options, c *catalog.Catalog, w Watcher, changed <-chan struct{}) error {
	name := "clusterkind"
	r := &Reconciler{kube: mgr.GetClient(), catalog: c, watcher: w, log: o.Logger.WithValues("controller", name), applied: map[string]int64{}}
	stale := make(chan event.TypedGenericEvent[*v1alpha1.ClusterKind])
	if changed != nil {
		if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
			r.follow(ctx, changed, stale)
			return nil
		})); err != nil {
			return errors.Wrap(err, errFollow)
		}
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named(name).
		WithOptions(o.ForControllerRuntime()).
		For(&v1alpha1.ClusterKind{}).
		WatchesRawSource(source.Channel(stale, &handler.TypedEnqueueRequestForObject[*v1alpha1.ClusterKind]{})).
		Complete(ratelimiter.NewReconciler(name, r, o.GlobalRateLimiter))
}

// followEvery is the least time between two checks for stale ClusterKinds:
// a thousand kinds declared at once change the watched kinds a thousand
// times, and one check after a burst of changes sees them all.
const followEvery = time.Second

// follow passes on, each time the watched kinds change, the ClusterKinds
// whose Watching status is stale, until ctx is done.
func (r *Reconciler) follow(ctx context.Context, changed <-chan struct{}, stale chan<- event.TypedGenericEvent[*v1alpha1.ClusterKind]) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		select {
		case <-ctx.Done():
			return
		case <-changed:
		}
		t.Reset(followEvery)
		for _, ck := range r.stale(ctx) {
			select {
			case <-ctx.Done():
				return
			case stale <- event.TypedGenericEvent[*v1alpha1.ClusterKind]{Object: ck}:
			}
		}
	}
}

// stale lists the ClusterKinds whose Watching status differs from what
// discovery does. It reads the manager's cache, not the API server.
func (r *Reconciler) stale(ctx context.Context) []*v1alpha1.ClusterKind {
	l := &v1alpha1.ClusterKindList{}
	// Read only: the cache's objects need no copy.
	if err := r.kube.List(ctx, l, client.UnsafeDisableDeepCopy); err != nil {
		r.log.Debug("Cannot list ClusterKinds to refresh their status", "error", err)
		return nil
	}
	var out []*v1alpha1.ClusterKind
	for i := range l.Items {
		ck := &l.Items[i]
		valid := ck.GetCondition(xpv2.TypeReady).Status == corev1.ConditionTrue
		if ck.Status.Watching != (valid && r.watcher.IsWatching(schema.GroupKind{Group: ck.Spec.Group, Kind: ck.Spec.Kind})) {
			out = append(out, ck)
		}
	}
	return out
}

// forget removes a deleted ClusterKind's profile.
func (r *Reconciler) forget(name string) {
	r.mu.Lock()
	_, known := r.applied[name]
	delete(r.applied, name)
	r.mu.Unlock()
	r.catalog.Remove(name)
	if known {
		r.watcher.Resync()
	}
}

// Reconcile one ClusterKind.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	ck := &v1alpha1.ClusterKind{}
	if err := r.kube.Get(ctx, req.NamespacedName, ck); err != nil {
		if kerrors.IsNotFound(err) {
			r.forget(req.Name)
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, errors.Wrap(err, errGetClusterKind)
	}
	if ck.GetDeletionTimestamp() != nil {
		r.forget(req.Name)
		return reconcile.Result{}, nil
	}

	before := ck.Status.DeepCopy()
	overrides, err := r.catalog.Set(ck.GetName(), ck.Spec)
	if err != nil {
		r.log.Info("Invalid ClusterKind", "name", ck.GetName(), "error", err)
		ck.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionFalse, Reason: reasonInvalid, Message: err.Error(), LastTransitionTime: metav1.Now()})
	} else {
		ck.SetConditions(xpv2.Condition{Type: xpv2.TypeReady, Status: corev1.ConditionTrue, Reason: reasonActive, LastTransitionTime: metav1.Now()})
		ck.SetConditions(statesHonored(ck.Spec))
		ck.Status.OverridesBuiltin = overrides
		// Discovery re-reads CRDs only when the profile is new or changed.
		r.mu.Lock()
		changed := r.applied[ck.GetName()] != ck.GetGeneration()
		r.applied[ck.GetName()] = ck.GetGeneration()
		r.mu.Unlock()
		if changed {
			r.watcher.Resync()
		}
	}
	ck.Status.Watching = err == nil && r.watcher.IsWatching(schema.GroupKind{Group: ck.Spec.Group, Kind: ck.Spec.Kind})
	if !reflect.DeepEqual(before, &ck.Status) {
		if err := r.kube.Status().Update(ctx, ck); err != nil {
			return reconcile.Result{}, errors.Wrap(err, errUpdateStatus)
		}
	}
	return reconcile.Result{RequeueAfter: refreshEvery}, nil
}

// statesHonored is the StatesHonored condition of a valid spec: False,
// naming them and why, when some declared states do not take effect.
func statesHonored(spec v1alpha1.ClusterKindSpec) xpv2.Condition {
	c := xpv2.Condition{Type: v1alpha1.TypeStatesHonored, Status: corev1.ConditionTrue, Reason: reasonAllHonored, Message: msgAllHonored, LastTransitionTime: metav1.Now()}
	p, err := catalog.Compile(spec)
	if err != nil {
		// Set already compiled it; nothing to say beyond Ready.
		return c
	}
	if msg := p.IgnoredStates(); msg != "" {
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, reasonIgnored, msg
	}
	return c
}
