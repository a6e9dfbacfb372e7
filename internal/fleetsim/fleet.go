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

package fleetsim

import (
	"context"
	"fmt"
	"sync"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Errors of a Fleet.
const (
	errFmtCreate    = "cannot create cluster %s"
	errFmtReady     = "cannot write ready status of cluster %s"
	errFmtState     = "cannot write cloud state of cluster %s"
	errFmtUnknown   = "cluster %s was not created by this fleet"
	errAdopt        = "cannot list the fleet's clusters"
	errFmtDeleteAll = "cannot delete every %s"
	errFmtStillLeft = "%d %s left after deleting them all"
)

// Fleet writes many upjet EKS cluster objects the way provider-upjet-aws and
// the managed reconciler do, fast, for benchmarks: it remembers the last
// version of every object it wrote, so that each later status write is one
// API call, as it is for the real provider, whose managed reconciler writes
// what it just read.
type Fleet struct {
	res      dynamic.ResourceInterface
	f        flavor
	template Cluster
	keep     bool
	size     Size

	mu   sync.Mutex
	objs map[string]*unstructured.Unstructured
}

// FleetOption tunes a Fleet.
type FleetOption func(*Fleet)

// WithoutCache makes the fleet forget objects once they are ready, for fleets
// so large that keeping them would distort the test process's heap. Later
// writes to them read the object first.
func WithoutCache() FleetOption {
	return func(f *Fleet) { f.keep = false }
}

// WithSize sets the size of the objects; the default is Realistic.
func WithSize(s Size) FleetOption {
	return func(f *Fleet) { f.size = s }
}

// NewFleet returns a fleet of cluster-scoped upjet EKS clusters in
// us-east-1, running Kubernetes 1.31, whose objects carry labels, written
// with dyn.
func NewFleet(dyn dynamic.Interface, labels map[string]string, opts ...FleetOption) *Fleet {
	f, _ := lookup(FlavorEKS)
	fl := &Fleet{
		res:      dyn.Resource(f.gvr),
		f:        f,
		template: Cluster{Flavor: FlavorEKS, Region: "us-east-1", Version: "1.31", Labels: labels},
		keep:     true,
		objs:     map[string]*unstructured.Unstructured{},
	}
	for _, o := range opts {
		o(fl)
	}
	return fl
}

// Names returns n cluster names with a prefix.
func Names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return out
}

// CreateReady creates every named cluster and makes it ready, with workers
// concurrent writers, as a provider reconciling a fleet would. progress, if
// not nil, is called after each cluster with the number done so far.
func (f *Fleet) CreateReady(ctx context.Context, names []string, workers int, at time.Time, progress func(done int)) error {
	work := make(chan string)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Go(func() {
			for name := range work {
				if err := f.createReady(ctx, name, at); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				done++
				n := done
				mu.Unlock()
				if progress != nil {
					progress(n)
				}
			}
		})
	}
	var err error
feed:
	for _, n := range names {
		select {
		case work <- n:
		case err = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
		return err
	default:
		return nil
	}
}

// createReady is one cluster's creation as the managed reconciler and upjet
// write it, compressed to two writes: the user's object with the
// annotations the reconciler adds around the async create, then the
// status Observe writes once the cloud reports the cluster ACTIVE.
func (f *Fleet) createReady(ctx context.Context, name string, at time.Time) error {
	c := f.template
	c.Name = name
	u := f.f.object(c, f.size)
	annotateCreate(u, at)
	u, err := f.res.Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return errors.Wrapf(err, errFmtCreate, name)
	}
	setReady(u, f.f, c, c.Version, 0, f.size, at.Add(15*time.Minute))
	u, err = f.res.UpdateStatus(ctx, u, metav1.UpdateOptions{})
	if err != nil {
		return errors.Wrapf(err, errFmtReady, name)
	}
	f.remember(name, u)
	return nil
}

// remember keeps the last version written of an object, unless the fleet
// keeps none.
func (f *Fleet) remember(name string, u *unstructured.Unstructured) {
	if f.keep {
		f.mu.Lock()
		f.objs[name] = u
		f.mu.Unlock()
	}
}

// Adopt reads the fleet's existing objects (those with its labels) and
// keeps them, so that a fleet created by another process can be changed
// with one write per change, as the fleet that created it would. It
// returns how many it adopted.
func (f *Fleet) Adopt(ctx context.Context) (int, error) {
	l, err := f.res.List(ctx, metav1.ListOptions{LabelSelector: labels.SelectorFromSet(f.template.Labels).String()})
	if err != nil {
		return 0, errors.Wrap(err, errAdopt)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := range l.Items {
		f.objs[l.Items[i].GetName()] = &l.Items[i]
	}
	return len(l.Items), nil
}

// SetCloudState writes the cloud state of one cluster with a single status
// write, as a refresh by provider-upjet-aws does. Concurrent calls for the
// same cluster are not allowed; calls for different clusters are.
func (f *Fleet) SetCloudState(ctx context.Context, name, state string) error {
	f.mu.Lock()
	u, ok := f.objs[name]
	f.mu.Unlock()
	if !ok && f.keep {
		return errors.Errorf(errFmtUnknown, name)
	}
	for attempt := 0; ; attempt++ {
		if u == nil {
			got, err := f.res.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return errors.Wrapf(err, errFmtState, name)
			}
			u = got
		}
		setCloudState(u, f.f, state, "")
		got, err := f.res.UpdateStatus(ctx, u, metav1.UpdateOptions{})
		if kerrors.IsConflict(err) && attempt < 3 {
			u = nil
			continue
		}
		if err != nil {
			return errors.Wrapf(err, errFmtState, name)
		}
		f.remember(name, got)
		return nil
	}
}

// DeleteAll deletes every object of a resource with one call and waits
// until they are gone.
func DeleteAll(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, timeout time.Duration) error {
	ri := dyn.Resource(gvr)
	if err := ri.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil && !kerrors.IsNotFound(err) {
		return errors.Wrapf(err, errFmtDeleteAll, gvr.Resource)
	}
	err := poll(ctx, timeout, func() error {
		l, err := ri.List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return err
		}
		left := len(l.Items)
		if rem := l.GetRemainingItemCount(); rem != nil {
			left += int(*rem)
		}
		if left > 0 {
			return errors.Errorf(errFmtStillLeft, left, gvr.Resource)
		}
		return nil
	})
	return errors.Wrapf(err, errFmtDeleteAll, gvr.Resource)
}
