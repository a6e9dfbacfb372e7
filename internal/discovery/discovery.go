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

// Package discovery finds the Kubernetes-cluster kinds that other providers
// install and follows every object of them. Providers install and activate
// kinds at any time (Crossplane v2 activates managed resource definitions
// lazily), so it watches CustomResourceDefinitions and starts one watch per
// cluster kind once its CRD is Established, and stops it when the CRD goes
// away, without a restart. Kinds match on group and kind, never on kind
// alone: Cluster means many things across providers.
//
// The watches keep no objects: each object is reduced to the compact
// observation normalization needs and handed to the ledger, so memory per
// cluster stays small however large the upstream objects are.
package discovery

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	authorizationv1 "k8s.io/api/authorization/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// Error strings.
const (
	errNewClient = "cannot create API client"
	errGetCRD    = "cannot get CustomResourceDefinition"
	errReview    = "cannot review access"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// How often kinds the provider may not watch are checked again, so granting
// access later is picked up without a restart.
const recheckForbidden = 30 * time.Second

// A Ledger records what the watches see. The ledger package implements it.
type Ledger interface {
	// Observe reports an object's current state. late says the change was
	// not witnessed live.
	Observe(p *catalog.Profile, gk schema.GroupKind, obs normalize.Observation, late bool)
	// Gone reports that an object was deleted.
	Gone(uid types.UID, late bool)
	// Resync reports every object of a kind that exists after a full list.
	Resync(gk schema.GroupKind, live map[types.UID]bool)
	// KindGone reports that a kind's CRD was deleted, with all its objects.
	KindGone(gk schema.GroupKind)
	// Kinds lists the kinds the ledger holds clusters of.
	Kinds() []schema.GroupKind
}

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets the logger.
func WithLogger(l logging.Logger) Option { return func(e *Engine) { e.log = l } }

// WithRegisterer registers the engine's metrics.
func WithRegisterer(r prometheus.Registerer) Option { return func(e *Engine) { e.reg = r } }

// WithOnChange is called, without locks held, whenever the set of watched
// or unwatchable kinds changes, so status can be refreshed.
func WithOnChange(fn func()) Option { return func(e *Engine) { e.onChange = fn } }

// crdInfo is what the engine keeps of a CRD.
type crdInfo struct {
	gk          schema.GroupKind
	gvr         schema.GroupVersionResource
	namespaced  bool
	established bool
}

// kindWatch is one running watch of a cluster kind.
type kindWatch struct {
	gvr     schema.GroupVersionResource
	profile *catalog.Profile
	cancel  context.CancelFunc
	done    chan struct{}
	synced  chan struct{}
}

// Engine runs discovery: one watch of CRD metadata, and one watch per
// cluster kind.
type Engine struct {
	dyn     dynamic.Interface
	meta    metadata.Interface
	kube    kubernetes.Interface
	catalog *catalog.Catalog
	ledger  Ledger
	log     logging.Logger
	reg     prometheus.Registerer

	onChange func()
	watched  *prometheus.GaugeVec

	ctx context.Context //nolint:containedctx // The engine's lifetime; watches started by Resync need it.

	mu         sync.Mutex
	crds       map[string]crdInfo // by CRD name, catalog groups only
	names      map[string]bool    // every CRD name, re-read when profiles change
	watches    map[schema.GroupKind]*kindWatch
	forbidden  map[schema.GroupKind]string // kind -> reason
	crdsSynced bool
}

// New returns a discovery Engine for the API server of cfg.
func New(cfg *rest.Config, c *catalog.Catalog, l Ledger, opts ...Option) (*Engine, error) {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, errors.Wrap(err, errNewClient)
	}
	md, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, errors.Wrap(err, errNewClient)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, errors.Wrap(err, errNewClient)
	}
	e := &Engine{
		dyn:       dyn,
		meta:      md,
		kube:      kube,
		catalog:   c,
		ledger:    l,
		log:       logging.NewNopLogger(),
		onChange:  func() {},
		crds:      map[string]crdInfo{},
		names:     map[string]bool{},
		watches:   map[schema.GroupKind]*kindWatch{},
		forbidden: map[schema.GroupKind]string{},
	}
	for _, o := range opts {
		o(e)
	}
	e.watched = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cdevents_cluster_kind_watched",
		Help: "1 for a cluster kind that is watched, 0 for one whose CRD exists but that the provider may not list or watch.",
	}, []string{"group", "kind"})
	if e.reg != nil {
		if err := e.reg.Register(e.watched); err != nil {
			return nil, errors.Wrap(err, "cannot register discovery metrics")
		}
	}
	return e, nil
}

// Start runs discovery until ctx is done. It is a manager Runnable.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()

	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return e.meta.Resource(crdResource).List(ctx, o)
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return e.meta.Resource(crdResource).Watch(ctx, o)
		},
	}
	r := cache.NewReflectorWithOptions(lw, &metav1.PartialObjectMetadata{}, &crdStore{e: e}, cache.ReflectorOptions{Name: "crds"})
	go e.recheck(ctx)
	r.RunWithContext(ctx)

	e.mu.Lock()
	for gk := range e.watches {
		e.stopLocked(gk)
	}
	e.mu.Unlock()
	return nil
}

// Resync re-evaluates every known CRD against the catalog, after a
// ClusterKind was added, changed or removed.
func (e *Engine) Resync() {
	e.mu.Lock()
	names := make([]string, 0, len(e.names))
	for n := range e.names {
		names = append(names, n)
	}
	e.mu.Unlock()
	for _, n := range names {
		e.reconcileCRD(n)
	}
	// A kind whose profile was removed stops being watched.
	e.mu.Lock()
	for gk := range e.watches {
		if _, ok := e.catalog.Lookup(gk); !ok {
			e.stopLocked(gk)
		}
	}
	e.mu.Unlock()
	e.onChange()
}

// Watching lists the kinds being watched, sorted.
func (e *Engine) Watching() []schema.GroupKind {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]schema.GroupKind, 0, len(e.watches))
	for gk := range e.watches {
		out = append(out, gk)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// IsWatching says whether a kind is being watched.
func (e *Engine) IsWatching(gk schema.GroupKind) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.watches[gk]
	return ok
}

// Unwatchable lists kinds whose CRD is installed but that the provider may
// not list or watch, as sorted "<group>/<kind>" strings.
func (e *Engine) Unwatchable() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.forbidden))
	for gk := range e.forbidden {
		out = append(out, gk.Group+"/"+gk.Kind)
	}
	sort.Strings(out)
	return out
}

// Synced says whether the CRD list and the first full list of every watched
// kind have been processed.
func (e *Engine) Synced() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.crdsSynced {
		return false
	}
	for _, w := range e.watches {
		select {
		case <-w.synced:
		default:
			return false
		}
	}
	return true
}

// crdGroup is the group part of a CRD name (<plural>.<group>).
func crdGroup(name string) string {
	_, g, _ := strings.Cut(name, ".")
	return g
}

// reconcileCRD makes the watch of one CRD's kind match the CRD and the
// catalog. Only CRDs of catalog groups are read in full: other providers
// install hundreds of large CRDs the provider has no use for.
func (e *Engine) reconcileCRD(name string) {
	e.mu.Lock()
	e.names[name] = true
	e.mu.Unlock()
	if !slices.Contains(e.catalog.Groups(), crdGroup(name)) {
		return
	}
	e.mu.Lock()
	ctx := e.ctx
	e.mu.Unlock()
	if ctx == nil {
		return
	}
	crd, err := e.dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
	switch {
	case kerrors.IsNotFound(err):
		e.crdGone(name)
		return
	case err != nil:
		e.log.Info("Cannot read a cluster kind's CRD; will retry", "crd", name, "error", errors.Wrap(err, errGetCRD))
		return
	}
	c := &extv1.CustomResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(crd.UnstructuredContent(), c); err != nil {
		e.log.Info("Cannot read a cluster kind's CRD", "crd", name, "error", errors.Wrap(err, errGetCRD))
		return
	}
	info := describe(c)

	e.mu.Lock()
	e.crds[name] = info
	p, known := e.catalog.Lookup(info.gk)
	w, running := e.watches[info.gk]
	switch {
	case !known || !info.established || info.gvr.Version == "":
		if running {
			e.stopLocked(info.gk)
		}
		e.mu.Unlock()
		return
	case running && w.gvr == info.gvr && w.profile == p:
		e.mu.Unlock()
		return
	case running:
		// The storage version or the profile changed: list again with it.
		e.stopLocked(info.gk)
	}
	e.mu.Unlock()

	allowed, reason := e.mayWatch(ctx, info.gvr)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !allowed {
		if _, was := e.forbidden[info.gk]; !was {
			e.log.Info("Not allowed to watch a cluster kind; its clusters are not reported until get, list and watch are granted",
				"group", info.gk.Group, "kind", info.gk.Kind, "reason", reason)
		}
		e.forbidden[info.gk] = reason
		e.watched.WithLabelValues(info.gk.Group, info.gk.Kind).Set(0)
		go e.onChange()
		return
	}
	delete(e.forbidden, info.gk)
	if _, ok := e.watches[info.gk]; ok {
		return
	}
	e.startLocked(ctx, info, p)
	go e.onChange()
}

// describe picks what the engine needs from a CRD: the storage version is
// the one watched, so objects arrive in the shape the API server keeps.
func describe(c *extv1.CustomResourceDefinition) crdInfo {
	info := crdInfo{
		gk:         schema.GroupKind{Group: c.Spec.Group, Kind: c.Spec.Names.Kind},
		namespaced: c.Spec.Scope == extv1.NamespaceScoped,
	}
	version := ""
	for _, v := range c.Spec.Versions {
		if v.Storage && v.Served {
			version = v.Name
		}
	}
	if version == "" {
		for _, v := range c.Spec.Versions {
			if v.Served {
				version = v.Name
				break
			}
		}
	}
	info.gvr = schema.GroupVersionResource{Group: c.Spec.Group, Version: version, Resource: c.Spec.Names.Plural}
	for _, cond := range c.Status.Conditions {
		if cond.Type == extv1.Established && cond.Status == extv1.ConditionTrue {
			info.established = true
		}
	}
	return info
}

// crdGone stops watching the kind of a deleted CRD and records its
// remaining clusters as deleted.
func (e *Engine) crdGone(name string) {
	e.mu.Lock()
	delete(e.names, name)
	info, ok := e.crds[name]
	delete(e.crds, name)
	if !ok {
		e.mu.Unlock()
		return
	}
	_, running := e.watches[info.gk]
	if running {
		e.stopLocked(info.gk)
	}
	delete(e.forbidden, info.gk)
	e.watched.DeleteLabelValues(info.gk.Group, info.gk.Kind)
	e.mu.Unlock()
	if running {
		e.log.Debug("Stopped watching a cluster kind whose CRD was deleted", "group", info.gk.Group, "kind", info.gk.Kind)
		e.ledger.KindGone(info.gk)
	}
	e.onChange()
}

// sweepMissingKinds records the clusters of kinds whose CRD no longer exists
// as deleted: the CRD was removed, with its objects, while the provider was
// down. Only catalog groups are judged, since only their CRDs are read.
func (e *Engine) sweepMissingKinds() {
	groups := e.catalog.Groups()
	e.mu.Lock()
	present := map[schema.GroupKind]bool{}
	for _, info := range e.crds {
		present[info.gk] = true
	}
	e.mu.Unlock()
	for _, gk := range e.ledger.Kinds() {
		if !present[gk] && slices.Contains(groups, gk.Group) {
			e.log.Debug("The CRD of a recorded cluster kind is gone", "group", gk.Group, "kind", gk.Kind)
			e.ledger.KindGone(gk)
		}
	}
}

// mayWatch asks the API server whether the provider may list and watch a
// resource, so missing RBAC is reported instead of failing in a loop.
func (e *Engine) mayWatch(ctx context.Context, gvr schema.GroupVersionResource) (bool, string) {
	for _, verb := range []string{"list", "watch"} {
		r, err := e.kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: verb, Group: gvr.Group, Resource: gvr.Resource,
			}},
		}, metav1.CreateOptions{})
		if err != nil {
			// Without an answer, try: the watch reports Forbidden itself.
			e.log.Debug("Cannot review access; trying to watch anyway", "error", errors.Wrap(err, errReview))
			return true, ""
		}
		if !r.Status.Allowed {
			return false, "cannot " + verb + " " + gvr.GroupResource().String()
		}
	}
	return true, ""
}

// recheck periodically retries kinds the provider was not allowed to watch.
func (e *Engine) recheck(ctx context.Context) {
	t := time.NewTicker(recheckForbidden)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.mu.Lock()
		var names []string
		for n, info := range e.crds {
			if _, ok := e.forbidden[info.gk]; ok {
				names = append(names, n)
			}
		}
		e.mu.Unlock()
		for _, n := range names {
			e.reconcileCRD(n)
		}
	}
}

// startLocked starts the watch of one kind. e.mu must be held.
func (e *Engine) startLocked(ctx context.Context, info crdInfo, p *catalog.Profile) {
	wctx, cancel := context.WithCancel(ctx)
	w := &kindWatch{gvr: info.gvr, profile: p, cancel: cancel, done: make(chan struct{}), synced: make(chan struct{})}
	e.watches[info.gk] = w
	e.watched.WithLabelValues(info.gk.Group, info.gk.Kind).Set(1)
	// Objects in the first list of a watch were not seen changing live.
	store := &kindStore{gk: info.gk, profile: p, ledger: e.ledger, synced: w.synced, log: e.log}
	ri := e.dyn.Resource(info.gvr)
	forbidden := make(chan string, 1)
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			l, err := ri.List(ctx, o)
			if kerrors.IsForbidden(err) {
				select {
				case forbidden <- err.Error():
				default:
				}
			}
			return l, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			wi, err := ri.Watch(ctx, o)
			if kerrors.IsForbidden(err) {
				select {
				case forbidden <- err.Error():
				default:
				}
			}
			return wi, err
		},
	}
	r := cache.NewReflectorWithOptions(lw, nil, store, cache.ReflectorOptions{
		Name:            info.gk.String(),
		TypeDescription: info.gk.String(),
	})
	e.log.Debug("Watching a cluster kind", "group", info.gk.Group, "kind", info.gk.Kind, "version", info.gvr.Version)
	go func() {
		defer close(w.done)
		r.RunWithContext(wctx)
	}()
	go func() {
		select {
		case <-wctx.Done():
		case reason := <-forbidden:
			e.mu.Lock()
			if e.watches[info.gk] == w {
				e.stopLocked(info.gk)
				e.forbidden[info.gk] = reason
				e.watched.WithLabelValues(info.gk.Group, info.gk.Kind).Set(0)
				e.log.Info("Lost permission to watch a cluster kind", "group", info.gk.Group, "kind", info.gk.Kind, "reason", reason)
			}
			e.mu.Unlock()
			e.onChange()
		}
	}()
}

// stopLocked stops the watch of one kind. e.mu must be held.
func (e *Engine) stopLocked(gk schema.GroupKind) {
	w, ok := e.watches[gk]
	if !ok {
		return
	}
	w.cancel()
	delete(e.watches, gk)
}
