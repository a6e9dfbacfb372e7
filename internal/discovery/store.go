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
	"sync"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/cache"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// kindStore receives one kind's objects from its reflector. It keeps none of
// them: each is reduced to an observation and handed to the ledger, which
// holds the little state transitions need. Unlike a plain event handler it
// also sees full relists, so deletions missed while a watch was broken are
// found.
//
// A stopped store ignores everything its reflector still delivers: a list
// that was in flight when the watch was replaced describes the past and
// must not reach the ledger. Callbacks hold mu throughout, so once stop
// returns no callback is running or will run.
type kindStore struct {
	gk      schema.GroupKind
	profile *catalog.Profile
	ledger  Ledger
	log     logging.Logger
	synced  chan struct{}

	mu      sync.Mutex
	stopped bool
	listed  bool
}

var _ cache.ReflectorStore = &kindStore{}

// stop makes the store ignore its reflector from now on.
func (s *kindStore) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

func (s *kindStore) observe(obj any, late bool) (types.UID, bool) {
	var obs normalize.Observation
	switch o := obj.(type) {
	case *observed:
		obs = o.obs
	case *unstructured.Unstructured:
		obs = normalize.Observe(s.profile, o)
	default:
		s.log.Debug("Ignoring an object of unexpected type", "kind", s.gk.String())
		return "", false
	}
	s.ledger.Observe(s.profile, s.gk, obs, late)
	return obs.UID, true
}

// Add handles an object created while watching.
func (s *kindStore) Add(obj any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.stopped {
		s.observe(obj, false)
	}
	return nil
}

// Update handles an object changed while watching.
func (s *kindStore) Update(obj any) error {
	return s.Add(obj)
}

// Delete handles an object deleted while watching.
func (s *kindStore) Delete(obj any) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	if m, err := meta(obj); err == nil {
		s.ledger.Gone(m.GetUID(), false)
	}
	return nil
}

// Replace handles a full list: at the start of the watch, and after a
// broken watch could not resume. Objects of the first list were not seen
// changing live; those of a later list were, as far as anything was, and
// the ledger reports nothing for an object whose state did not change.
// Records of the kind missing from the list were deleted meanwhile.
func (s *kindStore) Replace(list []any, _ string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	late := !s.listed
	live := make(map[types.UID]bool, len(list))
	for _, obj := range list {
		if uid, ok := s.observe(obj, late); ok {
			live[uid] = true
		}
	}
	s.ledger.Resync(s.gk, live)
	if !s.listed {
		s.listed = true
		close(s.synced)
	}
	return nil
}

// Resync is a no-op: nothing is cached to resync.
func (s *kindStore) Resync() error { return nil }

func meta(obj any) (metav1.Object, error) {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	return apimeta.Accessor(obj)
}

// crdStore receives CRD metadata and hands names to the engine, which reads
// the CRDs of catalog groups in full.
type crdStore struct {
	e *Engine
}

var _ cache.ReflectorStore = &crdStore{}

func (s *crdStore) Add(obj any) error { return s.Update(obj) }
func (s *crdStore) Update(obj any) error {
	if m, err := meta(obj); err == nil {
		s.e.seen(m.GetName())
	}
	return nil
}

func (s *crdStore) Delete(obj any) error {
	if m, err := meta(obj); err == nil {
		s.e.deleted(m.GetName())
	}
	return nil
}

func (s *crdStore) Replace(list []any, _ string) error {
	present := make(map[string]bool, len(list))
	for _, obj := range list {
		if m, err := meta(obj); err == nil {
			present[m.GetName()] = true
		}
	}
	s.e.listed(present)
	return nil
}

func (s *crdStore) Resync() error { return nil }
