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

// Package catalog knows which Kubernetes-cluster kinds the provider watches
// and how to read them. Each kind has a profile: where its objects keep the
// cluster's identity, endpoint, version, region and cloud state, and which
// cloud state values mean healthy or failed. Built-in profiles cover the
// upjet and classic providers of the major clouds; ClusterKind objects add
// or override profiles at run time. Kinds are always matched on group and
// kind together, because the kind name alone (Cluster) is ambiguous across
// providers.
package catalog

import (
	"fmt"
	"reflect"
	"sort"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	errNoOwner        = "ClusterKind name is required"
	errFmtCompile     = "cannot compile ClusterKind %q"
	errFmtBuiltin     = "cannot compile built-in profile %s"
	errFmtConflictMsg = "cannot use ClusterKind %q for %s: ClusterKind %q declares the same kind and wins by name"
)

// ConflictError reports that a ClusterKind declares a kind that another
// ClusterKind, whose name sorts first, already declares. The loser is kept
// and takes over if the winner goes away, so the outcome never depends on
// the order in which the objects were seen.
type ConflictError struct {
	// Owner is the losing ClusterKind.
	Owner string
	// Winner is the ClusterKind whose profile is in use.
	Winner string
	// GroupKind both declare.
	GroupKind schema.GroupKind
}

// Error describes the conflict.
func (e *ConflictError) Error() string {
	return fmt.Sprintf(errFmtConflictMsg, e.Owner, e.GroupKind, e.Winner)
}

// IsConflict reports whether err is, or wraps, a ConflictError, so callers
// can report a losing ClusterKind differently from an invalid one.
func IsConflict(err error) bool {
	var c *ConflictError
	return errors.As(err, &c)
}

// A Catalog holds the profiles in force: the built-ins, plus those that
// ClusterKind objects declare. It is safe for concurrent use.
type Catalog struct {
	mu       sync.RWMutex
	builtins map[schema.GroupKind]*Profile
	declared map[string]*Profile // by owning ClusterKind name
}

// New returns a catalog of the built-in profiles. The built-ins are
// validated by the package's tests; an invalid one is a programming error
// and panics.
func New() *Catalog {
	c := &Catalog{
		builtins: map[schema.GroupKind]*Profile{},
		declared: map[string]*Profile{},
	}
	for _, spec := range Builtins() {
		p, err := Compile(spec)
		if err != nil {
			panic(errors.Wrapf(err, errFmtBuiltin, schema.GroupKind{Group: spec.Group, Kind: spec.Kind}))
		}
		c.builtins[p.GroupKind()] = p
	}
	return c
}

// Lookup returns the profile in force for a kind: that of the ClusterKind
// with the smallest name declaring it, else the built-in one.
func (c *Catalog) Lookup(gk schema.GroupKind) (*Profile, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if _, p := c.winner(gk); p != nil {
		return p, true
	}
	p, ok := c.builtins[gk]
	return p, ok
}

// Set adds or replaces the profile declared by the ClusterKind named owner.
// It reports whether the profile overrides a built-in one. An invalid spec
// returns an error and changes nothing. A spec whose kind another
// ClusterKind with a smaller name declares is kept but not used, and Set
// returns a ConflictError.
func (c *Catalog) Set(owner string, spec v1alpha1.ClusterKindSpec) (overridesBuiltin bool, err error) {
	if owner == "" {
		return false, errors.New(errNoOwner)
	}
	p, err := Compile(spec)
	if err != nil {
		return false, errors.Wrapf(err, errFmtCompile, owner)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// Keep the compiled profile of an unchanged spec: discovery restarts
	// a kind's watch when its profile changes.
	if old, ok := c.declared[owner]; ok && reflect.DeepEqual(old.spec, p.spec) {
		p = old
	}
	c.declared[owner] = p
	if w, _ := c.winner(p.GroupKind()); w != owner {
		return false, &ConflictError{Owner: owner, Winner: w, GroupKind: p.GroupKind()}
	}
	_, builtin := c.builtins[p.GroupKind()]
	return builtin, nil
}

// Remove forgets the profile declared by the ClusterKind named owner. The
// kind falls back to the next ClusterKind declaring it, else to its
// built-in profile, if any.
func (c *Catalog) Remove(owner string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.declared, owner)
}

// Groups returns the sorted API groups of every profile, built in or
// declared, so that the provider's read-only RBAC can be generated from
// the catalog.
func (c *Catalog) Groups() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[string]bool{}
	for gk := range c.builtins {
		seen[gk.Group] = true
	}
	for _, p := range c.declared {
		seen[p.GroupKind().Group] = true
	}
	out := make([]string, 0, len(seen))
	for g := range seen {
		out = append(out, g)
	}
	sort.Strings(out)
	return out
}

// GroupKinds returns every kind that has a profile, sorted by group then
// kind, so that discovery can match installed CRDs against the catalog.
func (c *Catalog) GroupKinds() []schema.GroupKind {
	c.mu.RLock()
	defer c.mu.RUnlock()
	seen := map[schema.GroupKind]bool{}
	for gk := range c.builtins {
		seen[gk] = true
	}
	for _, p := range c.declared {
		seen[p.GroupKind()] = true
	}
	out := make([]schema.GroupKind, 0, len(seen))
	for gk := range seen {
		out = append(out, gk)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return out[i].Kind < out[j].Kind
	})
	return out
}

// winner returns the ClusterKind, and its profile, in force for gk: the
// smallest name among those declaring it. c.mu must be held.
func (c *Catalog) winner(gk schema.GroupKind) (string, *Profile) {
	var owner string
	var profile *Profile
	for o, p := range c.declared {
		if p.GroupKind() == gk && (profile == nil || o < owner) {
			owner, profile = o, p
		}
	}
	return owner, profile
}
