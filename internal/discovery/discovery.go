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
	"k8s.io/client-go/util/workqueue"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// Error strings.
const (
	errNewClient = "cannot create API client"
	errGetCRD    = "cannot get CustomResourceDefinition"
	errReadCRD   = "cannot read CustomResourceDefinition"
	errReview    = "cannot review access"
	errRegister  = "cannot register discovery metrics"
)

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// How often kinds the provider may not watch are checked again, so granting
// access later is picked up without a restart.
const recheckForbidden = 30 * time.Second

// Backoff of CRDs that cannot be read: an API server that throttles or
// restarts answers again within seconds, one that is broken for longer is
// not asked more than every few minutes.
const (
	readRetryBase = 500 * time.Millisecond
	readRetryMax  = 5 * time.Minute
)

// DefaultListPageSize is how many objects one list request of a cluster
// kind returns. Each page is reduced to what normalization reads before the
// next is fetched, so a full list costs one page in memory, however large
// the fleet.
const DefaultListPageSize = 500

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

// WithListPageSize sets how many objects one list request returns.
func WithListPageSize(n int64) Option { return func(e *Engine) { e.pageSize = max(n, 1) } }

// crdInfo is what the engine keeps of a CRD.
type crdInfo struct {
	gk          schema.GroupKind
	gvr         schema.GroupVersionResource
	namespaced  bool
	established bool
}

// Engine runs discovery: one watch of CRD metadata, and one watch per
// cluster kind.
type Engine struct {
	dyn  dynamic.Interface
	meta metadata.Interface
	// source makes the client that lists and watches a kind; by default
	// one that decodes only what the kind's profile reads.
	source   func(gvr schema.GroupVersionResource, p *catalog.Profile) (lister, error)
	kube     kubernetes.Interface
	catalog  *catalog.Catalog
	ledger   Ledger
	log      logging.Logger
	reg      prometheus.Registerer
	pageSize int64

	onChange     func()
	watched      *prometheus.GaugeVec
	unreadableG  prometheus.Gauge
	readFailures prometheus.Counter
	restarts     *prometheus.CounterVec

	failures *prometheus.CounterVec

	// reads holds the names of catalog CRDs to read; failed reads come
	// back with backoff until they succeed.
	reads workqueue.TypedRateLimitingInterface[string]

	// rmu serializes reading CRDs and acting on them, so the watch of a
	// kind is only ever changed by the latest read of its CRD.
	rmu sync.Mutex

	ctx context.Context //nolint:containedctx // The engine's lifetime; watches started by Resync need it.

	mu         sync.Mutex
	crds       map[string]crdInfo // by CRD name, catalog groups only, read successfully
	names      map[string]bool    // every CRD name the API server lists
	unreadable map[string]string  // CRD name -> why it cannot be read, catalog groups only
	unread     map[string]bool    // names of the first list not yet read once
	watches    map[schema.GroupKind]*kindWatch
	forbidden  map[schema.GroupKind]string // kind -> reason
	crdsListed bool
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
	pk, err := newPickers(cfg)
	if err != nil {
		return nil, errors.Wrap(err, errNewClient)
	}
	e := &Engine{
		dyn:        dyn,
		source:     pk.forKind,
		meta:       md,
		kube:       kube,
		catalog:    c,
		ledger:     l,
		log:        logging.NewNopLogger(),
		pageSize:   DefaultListPageSize,
		onChange:   func() {},
		crds:       map[string]crdInfo{},
		names:      map[string]bool{},
		unreadable: map[string]string{},
		unread:     map[string]bool{},
		watches:    map[schema.GroupKind]*kindWatch{},
		forbidden:  map[schema.GroupKind]string{},
	}
	for _, o := range opts {
		o(e)
	}
	e.reads = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[string](readRetryBase, readRetryMax),
		workqueue.TypedRateLimitingQueueConfig[string]{Name: "crds"})
	e.watched = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "cdevents_cluster_kind_watched",
		Help: "1 for a cluster kind that is watched, 0 for one whose CRD exists but that the provider may not list or watch.",
	}, []string{"group", "kind"})
	e.unreadableG = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cdevents_cluster_kind_crds_unreadable",
		Help: "CRDs of cluster kind groups that exist but cannot be read; their kinds are neither watched nor judged gone until a read succeeds.",
	})
	e.readFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cdevents_cluster_kind_crd_read_failures_total",
		Help: "Failed reads of CRDs of cluster kind groups; each is retried with backoff.",
	})
	e.restarts = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cdevents_watch_restarts_total",
		Help: "Watches of a cluster kind started again after the API server ended or cut one (a relist included when the watch had expired), by kind.",
	}, []string{"group", "kind"})
	e.failures = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cdevents_watch_failures_total",
		Help: "Lists and watches of a cluster kind (or of CRDs, kind \"CustomResourceDefinition\") the API server could not answer for a passing reason (restarting, throttling, unreachable), each made again after a backoff of at most 5 s.",
	}, []string{"group", "kind"})
	if e.reg != nil {
		for _, c := range []prometheus.Collector{e.watched, e.unreadableG, e.readFailures, e.restarts, e.failures} {
			if err := e.reg.Register(c); err != nil {
				return nil, errors.Wrap(err, errRegister)
			}
		}
	}
	return e, nil
}

// Start runs discovery until ctx is done. It is a manager Runnable.
func (e *Engine) Start(ctx context.Context) error {
	e.mu.Lock()
	e.ctx = ctx
	e.mu.Unlock()

	gate := newRetryGate(e.log.WithValues("watch", "CustomResourceDefinitions"), e.failures.WithLabelValues(crdResource.Group, "CustomResourceDefinition"))
	lw := &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			return do(ctx, gate, "list CRDs", func(ctx context.Context) (runtime.Object, error) {
				return e.meta.Resource(crdResource).List(ctx, o)
			})
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			return do(ctx, gate, "watch CRDs", func(ctx context.Context) (watch.Interface, error) {
				return e.meta.Resource(crdResource).Watch(ctx, o)
			})
		},
	}
	r := cache.NewReflectorWithOptions(lw, &metav1.PartialObjectMetadata{}, &crdStore{e: e}, cache.ReflectorOptions{Name: "crds"})
	var wg sync.WaitGroup
	wg.Go(func() { e.recheck(ctx) })
	wg.Go(func() {
		for e.readNext() {
		}
	})
	r.RunWithContext(ctx)

	e.reads.ShutDown()
	wg.Wait()
	e.mu.Lock()
	for gk := range e.watches {
		e.stopLocked(gk)
	}
	e.mu.Unlock()
	return nil
}

// readNext reads one queued CRD, and queues it again with backoff when the
// read fails. It returns false once the engine stops.
func (e *Engine) readNext() bool {
	name, shutdown := e.reads.Get()
	if shutdown {
		return false
	}
	defer e.reads.Done(name)
	if err := e.reconcileCRD(name); err != nil {
		e.reads.AddRateLimited(name)
		return true
	}
	e.reads.Forget(name)
	return true
}

// Resync re-evaluates every known CRD against the catalog, after a
// ClusterKind was added, changed or removed. Only CRDs of groups the
// catalog did not cover before are read from the API server: the others
// were read when they last changed (the CRD watch queues a read for every
// change), and what that read found is applied again. So declaring a
// thousand kinds, one ClusterKind at a time, costs a read per kind, not a
// read of every cluster kind's CRD per ClusterKind.
func (e *Engine) Resync() {
	groups := e.groups()
	e.mu.Lock()
	var read, cached []string
	for n := range e.names {
		_, known := e.crds[n]
		switch {
		case !groups[crdGroup(n)]:
			// A group that leaves the catalog is no longer followed:
			// whatever its CRDs become meanwhile is read again if it
			// comes back.
			delete(e.crds, n)
			delete(e.unreadable, n)
		case known:
			cached = append(cached, n)
		default:
			read = append(read, n)
		}
	}
	e.unreadableG.Set(float64(len(e.unreadable)))
	e.mu.Unlock()
	for _, n := range cached {
		e.reapply(n)
	}
	for _, n := range read {
		if err := e.reconcileCRD(n); err != nil {
			e.reads.AddRateLimited(n)
		}
	}
	// A kind whose profile was removed stops being watched.
	e.mu.Lock()
	for gk := range e.watches {
		if _, ok := e.catalog.Lookup(gk); !ok {
			e.stopLocked(gk)
		}
	}
	e.mu.Unlock()
	e.sweepMissingKinds()
	e.onChange()
}

// reapply makes the watch of one CRD's kind match what the last read of the
// CRD found and the catalog as it is now.
func (e *Engine) reapply(name string) {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	e.mu.Lock()
	ctx := e.ctx
	info, ok := e.crds[name]
	e.mu.Unlock()
	if !ok || ctx == nil {
		return
	}
	e.apply(ctx, info)
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

// Unwatchable lists, sorted, the kinds whose CRD is installed but that the
// provider may not list or watch, as "<group>/<kind>", and the CRDs of
// cluster kind groups that cannot be read, as "<group>/<kind>" when an
// earlier read told the kind and as the CRD name otherwise. The clusters
// of both are not reported until the cause is fixed.
func (e *Engine) Unwatchable() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	seen := map[string]bool{}
	for gk := range e.forbidden {
		seen[gk.Group+"/"+gk.Kind] = true
	}
	for name := range e.unreadable {
		if info, ok := e.crds[name]; ok {
			seen[info.gk.Group+"/"+info.gk.Kind] = true
			continue
		}
		seen[name] = true
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// Unreadable returns the CRDs of cluster kind groups that cannot be read,
// with the last error of each.
func (e *Engine) Unreadable() map[string]string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make(map[string]string, len(e.unreadable))
	for n, why := range e.unreadable {
		out[n] = why
	}
	return out
}

// Synced says whether the CRD list, a first read of every CRD of a cluster
// kind group in it and the first full list of every watched kind have been
// processed.
func (e *Engine) Synced() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.crdsListed || len(e.unread) > 0 {
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

// ofCatalog says whether a CRD belongs to a group the catalog knows: only
// those are read in full, since other providers install hundreds of large
// CRDs the provider has no use for.
func (e *Engine) ofCatalog(name string) bool {
	return slices.Contains(e.catalog.Groups(), crdGroup(name))
}

// groups is the set of the catalog's groups, for checking many CRDs at
// once: with a thousand declared kinds, listing the catalog's groups again
// for each CRD would cost more than reading it.
func (e *Engine) groups() map[string]bool {
	gs := e.catalog.Groups()
	out := make(map[string]bool, len(gs))
	for _, g := range gs {
		out[g] = true
	}
	return out
}

// listed records the CRD names of a full list and queues the catalog ones
// for reading. Names that are no longer listed are read too, so the read
// that finds them gone is what stops their kinds.
func (e *Engine) listed(present map[string]bool) {
	groups := e.groups()
	e.mu.Lock()
	var queue []string
	for n := range e.names {
		if !present[n] {
			delete(e.names, n)
			if groups[crdGroup(n)] {
				queue = append(queue, n)
			}
		}
	}
	first := !e.crdsListed
	for n := range present {
		e.names[n] = true
		if groups[crdGroup(n)] {
			queue = append(queue, n)
			if first {
				e.unread[n] = true
			}
		}
	}
	e.crdsListed = true
	e.mu.Unlock()
	for _, n := range queue {
		e.reads.Add(n)
	}
	e.sweepMissingKinds()
	e.onChange()
}

// seen records a CRD added or changed, and queues it for reading.
func (e *Engine) seen(name string) {
	e.mu.Lock()
	e.names[name] = true
	e.mu.Unlock()
	if e.ofCatalog(name) {
		e.reads.Add(name)
	}
}

// deleted records a CRD deleted, and queues it for the read that confirms
// it is gone.
func (e *Engine) deleted(name string) {
	e.mu.Lock()
	delete(e.names, name)
	e.mu.Unlock()
	if e.ofCatalog(name) {
		e.reads.Add(name)
	}
}

// reconcileCRD makes the watch of one CRD's kind match the CRD and the
// catalog. It returns an error when the CRD could not be read: the read is
// retried, and until it succeeds nothing is concluded about the kind.
func (e *Engine) reconcileCRD(name string) error {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	defer e.sweepMissingKinds()
	defer func() {
		e.mu.Lock()
		delete(e.unread, name)
		e.mu.Unlock()
	}()

	if !e.ofCatalog(name) {
		e.readable(name)
		return nil
	}
	e.mu.Lock()
	ctx := e.ctx
	e.mu.Unlock()
	if ctx == nil {
		return nil
	}
	crd, err := e.dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
	switch {
	case kerrors.IsNotFound(err):
		e.crdGone(name)
		return nil
	case err != nil:
		if ctx.Err() != nil {
			return nil
		}
		e.cannotRead(name, errors.Wrap(err, errGetCRD))
		return err
	}
	c := &extv1.CustomResourceDefinition{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(crd.UnstructuredContent(), c); err != nil {
		e.cannotRead(name, errors.Wrap(err, errReadCRD))
		return err
	}
	e.readable(name)
	info := describe(c)

	e.mu.Lock()
	e.names[name] = true
	e.crds[name] = info
	e.mu.Unlock()
	e.apply(ctx, info)
	return nil
}

// apply makes the watch of a CRD's kind match the CRD as read and the
// catalog. e.rmu must be held.
func (e *Engine) apply(ctx context.Context, info crdInfo) {
	e.mu.Lock()
	p, known := e.catalog.Lookup(info.gk)
	w, running := e.watches[info.gk]
	switch {
	case !known || !info.established || info.gvr.Version == "":
		if running {
			e.stopLocked(info.gk)
			go e.onChange()
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

// cannotRead reports a CRD that could not be read. Its kind is kept as it
// is: a failed read says nothing about whether the CRD exists.
func (e *Engine) cannotRead(name string, err error) {
	e.readFailures.Inc()
	e.mu.Lock()
	_, was := e.unreadable[name]
	e.unreadable[name] = err.Error()
	e.unreadableG.Set(float64(len(e.unreadable)))
	e.mu.Unlock()
	e.log.Info("Cannot read the CRD of a cluster kind; retrying with backoff, its clusters are kept as they are", "crd", name, "error", err)
	if !was {
		go e.onChange()
	}
}

// readable clears a CRD's read failure.
func (e *Engine) readable(name string) {
	e.mu.Lock()
	_, was := e.unreadable[name]
	delete(e.unreadable, name)
	e.unreadableG.Set(float64(len(e.unreadable)))
	e.mu.Unlock()
	if was {
		e.log.Info("Read the CRD of a cluster kind again", "crd", name)
		go e.onChange()
	}
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

// crdGone stops watching the kind of a CRD the API server says does not
// exist, and records its remaining clusters as deleted: deleting a CRD
// deletes all its objects.
func (e *Engine) crdGone(name string) {
	e.mu.Lock()
	delete(e.names, name)
	delete(e.unreadable, name)
	e.unreadableG.Set(float64(len(e.unreadable)))
	info, ok := e.crds[name]
	delete(e.crds, name)
	if !ok {
		e.mu.Unlock()
		e.onChange()
		return
	}
	for _, other := range e.crds {
		if other.gk == info.gk {
			// Another CRD still serves the kind.
			e.mu.Unlock()
			return
		}
	}
	e.stopLocked(info.gk)
	delete(e.forbidden, info.gk)
	e.watched.DeleteLabelValues(info.gk.Group, info.gk.Kind)
	e.restarts.DeleteLabelValues(info.gk.Group, info.gk.Kind)
	e.failures.DeleteLabelValues(info.gk.Group, info.gk.Kind)
	e.mu.Unlock()
	e.log.Debug("The CRD of a cluster kind was deleted", "group", info.gk.Group, "kind", info.gk.Kind)
	e.ledger.KindGone(info.gk)
	e.onChange()
}

// sweepMissingKinds records the clusters of kinds whose CRD no longer exists
// as deleted: the CRD was removed, with its objects, while the provider was
// not watching. A kind is judged only on evidence: the CRDs of its group
// have been listed, every one of them was read, and none defines the kind.
// While any CRD of the group cannot be read, it might be the kind's, so
// the kind is left alone.
func (e *Engine) sweepMissingKinds() {
	groups := e.groups()
	e.mu.Lock()
	if !e.crdsListed {
		e.mu.Unlock()
		return
	}
	present := map[schema.GroupKind]bool{}
	for _, info := range e.crds {
		present[info.gk] = true
	}
	unsure := map[string]bool{}
	for n := range e.names {
		if _, read := e.crds[n]; !read && groups[crdGroup(n)] {
			unsure[crdGroup(n)] = true
		}
	}
	e.mu.Unlock()
	for _, gk := range e.ledger.Kinds() {
		if present[gk] || unsure[gk.Group] || !groups[gk.Group] {
			continue
		}
		e.log.Debug("The CRD of a recorded cluster kind is gone", "group", gk.Group, "kind", gk.Kind)
		e.ledger.KindGone(gk)
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
			e.reads.Add(n)
		}
	}
}

// startLocked starts the watch of one kind. e.mu must be held.
func (e *Engine) startLocked(ctx context.Context, info crdInfo, p *catalog.Profile) {
	restarts := e.restarts.WithLabelValues(info.gk.Group, info.gk.Kind)
	restarts.Add(0) // Shown from the start, so a dashboard sees the kind.
	gate := newRetryGate(e.log.WithValues("kind", info.gk.String()), e.failures.WithLabelValues(info.gk.Group, info.gk.Kind))
	src, err := e.source(info.gvr, p)
	if err != nil {
		// Never expected: the picking client needs nothing the dynamic
		// client does not. Watch with whole objects rather than not at all.
		e.log.Info("Cannot make the picking client of a cluster kind; decoding whole objects", "group", info.gk.Group, "kind", info.gk.Kind, "error", err)
		src = e.dyn.Resource(info.gvr)
	}
	w := newKindWatch(ctx, src, info, p, e.ledger, e.log, gate, e.pageSize, restarts)
	e.watches[info.gk] = w
	e.watched.WithLabelValues(info.gk.Group, info.gk.Kind).Set(1)
	e.log.Debug("Watching a cluster kind", "group", info.gk.Group, "kind", info.gk.Kind, "version", info.gvr.Version)
	go func() {
		select {
		case <-w.ctx.Done():
		case reason := <-w.forbidden:
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

// stopLocked stops the watch of one kind and returns once its reflector
// has finished: no list of the old watch reaches the ledger after it. e.mu
// must be held; nothing the reflector calls takes it.
func (e *Engine) stopLocked(gk schema.GroupKind) {
	w, ok := e.watches[gk]
	if !ok {
		return
	}
	delete(e.watches, gk)
	w.stop()
}
