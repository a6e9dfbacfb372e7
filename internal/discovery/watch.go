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

package discovery

import (
	"context"
	"maps"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/tools/cache"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// kindWatch is one running watch of a cluster kind.
type kindWatch struct {
	gvr     schema.GroupVersionResource
	profile *catalog.Profile
	store   *kindStore

	ctx       context.Context //nolint:containedctx // The watch's lifetime, ended by stop.
	cancel    context.CancelFunc
	done      chan struct{}
	synced    chan struct{}
	forbidden chan string
	// watches counts the watches the reflector started.
	watches atomic.Int64
}

// newKindWatch starts a reflector that lists and watches one kind into a
// kindStore.
//
// Lists and watches the API server cannot answer for a passing reason are
// made again behind gate, so the reflector sees only answers that mean
// something. restarts, when not nil, counts every watch after the first:
// each one replaces a watch the API server ended or cut.
func newKindWatch(ctx context.Context, ri lister, info crdInfo, p *catalog.Profile, l Ledger, log logging.Logger, gate *retryGate, pageSize int64, restarts prometheus.Counter) *kindWatch {
	wctx, cancel := context.WithCancel(ctx)
	w := &kindWatch{
		gvr:       info.gvr,
		profile:   p,
		ctx:       wctx,
		cancel:    cancel,
		done:      make(chan struct{}),
		synced:    make(chan struct{}),
		forbidden: make(chan string, 1),
	}
	w.store = &kindStore{gk: info.gk, profile: p, ledger: l, synced: w.synced, log: log}
	lw := &pagedListWatch{ListWatch: &cache.ListWatch{
		ListWithContextFunc: func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) {
			l, err := do(ctx, gate, "list "+info.gk.String(), func(ctx context.Context) (*observedList, error) {
				return listObserved(ctx, ri, p, pageSize, o)
			})
			w.checkForbidden(err)
			return l, err
		},
		WatchFuncWithContext: func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) {
			if w.watches.Add(1) > 1 && restarts != nil {
				restarts.Inc()
			}
			wi, err := do(ctx, gate, "watch "+info.gk.String(), func(ctx context.Context) (watch.Interface, error) {
				return ri.Watch(ctx, o)
			})
			w.checkForbidden(err)
			return wi, err
		},
	}}
	r := cache.NewReflectorWithOptions(lw, nil, w.store, cache.ReflectorOptions{
		Name:            info.gk.String(),
		TypeDescription: info.gk.String(),
	})
	go func() {
		defer close(w.done)
		r.RunWithContext(wctx)
	}()
	return w
}

// checkForbidden passes a Forbidden answer on to the engine, which stops the
// watch and reports the kind.
func (w *kindWatch) checkForbidden(err error) {
	if !kerrors.IsForbidden(err) {
		return
	}
	select {
	case w.forbidden <- err.Error():
	default:
	}
}

// stop ends the watch and returns once its reflector has returned. After
// stop the store passes nothing more to the ledger, even from a list that
// was in flight.
func (w *kindWatch) stop() {
	w.cancel()
	w.store.stop()
	<-w.done
}

// pagedListWatch is a ListWatch the reflector must fill by listing: with
// client-go's streaming list (WatchListClient, on by default since v0.35)
// the reflector would collect every whole object of the kind before
// handing them over, while listing lets listObserved reduce each page as
// it arrives.
type pagedListWatch struct {
	*cache.ListWatch
}

// IsWatchListSemanticsUnSupported tells the reflector to list rather than
// stream the initial state.
func (*pagedListWatch) IsWatchListSemanticsUnSupported() bool { return true }

// listObserved lists every object of a resource a page at a time and
// reduces each to its observation before the next page is fetched: however
// large the fleet and its objects, the list holds one page (its JSON, and
// of each object what the profile reads, when ri is a pickingClient) and
// one compact observation per object. It answers the reflector's list
// in one piece: the reflector's own pager would hold every page whole
// until the last arrived.
//
// A list from "any" resource version ("0", the reflector's first list) is
// made a consistent one: the API server may ignore the page size for it,
// and a lagging cache could show a cluster as missing and so as deleted.
//
// A relist from the last version seen (after a watch expired, say when the
// API server restarted and its watch cache begins later) must return state
// at least that new. Without resourceVersionMatch the API server reads a
// paged list from a given version as "exactly at that version": it would
// answer the old state, the reflector would watch from the old version
// again, be told it is too old again, and go round until etcd compacts it
// away, minutes later, seeing none of the changes meanwhile. So such a
// relist asks for NotOlderThan, which pages just as well.
func listObserved(ctx context.Context, ri lister, p *catalog.Profile, pageSize int64, o metav1.ListOptions) (*observedList, error) {
	opts := metav1.ListOptions{
		LabelSelector:        o.LabelSelector,
		FieldSelector:        o.FieldSelector,
		ResourceVersion:      o.ResourceVersion,
		ResourceVersionMatch: o.ResourceVersionMatch,
		Limit:                pageSize,
	}
	switch {
	case opts.ResourceVersion == "0":
		opts.ResourceVersion, opts.ResourceVersionMatch = "", ""
	case opts.ResourceVersion != "" && opts.ResourceVersionMatch == "":
		opts.ResourceVersionMatch = metav1.ResourceVersionMatchNotOlderThan
	}
	out := &observedList{}
	for {
		page, err := ri.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		if out.Items == nil {
			out.Items = make([]*observed, 0, len(page.Items))
		}
		for i := range page.Items {
			out.Items = append(out.Items, &observed{obs: normalize.Observe(p, &page.Items[i])})
			page.Items[i].Object = nil
		}
		next := page.GetContinue()
		if next == "" {
			out.ResourceVersion = page.GetResourceVersion()
			return out, nil
		}
		opts = metav1.ListOptions{LabelSelector: o.LabelSelector, FieldSelector: o.FieldSelector, Limit: pageSize, Continue: next}
	}
}

// observed is one listed object, already reduced to what the ledger needs.
type observed struct {
	obs normalize.Observation
}

// GetObjectKind is empty: observed objects only travel from listObserved
// to a kindStore.
func (*observed) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject copies the observation.
func (o *observed) DeepCopyObject() runtime.Object {
	c := *o
	c.obs.Labels = maps.Clone(o.obs.Labels)
	return &c
}

// observedList is a full list of a kind, reduced page by page.
type observedList struct {
	metav1.ListMeta
	Items []*observed
}

// GetObjectKind is empty, as for observed.
func (*observedList) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject copies the list.
func (l *observedList) DeepCopyObject() runtime.Object {
	c := &observedList{ListMeta: *l.DeepCopy(), Items: make([]*observed, 0, len(l.Items))}
	for _, o := range l.Items {
		c.Items = append(c.Items, o.DeepCopyObject().(*observed)) //nolint:forcetypeassert // DeepCopyObject of an observed is one.
	}
	return c
}
