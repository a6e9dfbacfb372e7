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

package dispatch

import (
	"reflect"
	"slices"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/filter"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
	"github.com/crossplane-contrib/provider-cdevents/internal/replay"
)

// Routes decides which clusters and lifecycles one sink receives: the
// scope of its config (a namespaced ProviderConfig sees only namespaced
// clusters of its own namespace) and its selector.
type Routes struct {
	// Namespace of a namespaced ProviderConfig; empty for a
	// ClusterProviderConfig.
	Namespace string
	// Selector of the config; nil selects everything in scope.
	Selector *v1alpha1.Selector
	// Expression is the selector's expression, compiled; nil when it has
	// none.
	Expression *filter.Expression
	// OutOfSyncAfter is the sink's outOfSync threshold; zero means
	// v1alpha1.DefaultOutOfSyncAfter. The sink receives only the outOfSync
	// and inSync events recorded for it.
	OutOfSyncAfter time.Duration
	// Flapping is the sink's flap damping; nil when it damps none.
	Flapping *normalize.Damping
}

// damped says whether the sink damps flaps with the damping of key.
func (r Routes) damped(key string) bool {
	return r.Flapping != nil && r.Flapping.Key() == key
}

// OutOfSyncThreshold is the sink's outOfSync threshold, with its default.
func (r Routes) OutOfSyncThreshold() time.Duration {
	if r.OutOfSyncAfter <= 0 {
		return v1alpha1.DefaultOutOfSyncAfter
	}
	return r.OutOfSyncAfter
}

// WantsOutOfSync says whether the sink receives outOfSync or inSync events.
func (r Routes) WantsOutOfSync() bool {
	return r.Wants(v1alpha1.LifecycleOutOfSync) || r.Wants(v1alpha1.LifecycleInSync)
}

// Equal says whether two routes select the same: expressions are compared
// by their source, which they are compiled from.
func (r Routes) Equal(o Routes) bool {
	return r.Namespace == o.Namespace && reflect.DeepEqual(r.Selector, o.Selector) &&
		r.Expression.String() == o.Expression.String() && r.OutOfSyncThreshold() == o.OutOfSyncThreshold() &&
		reflect.DeepEqual(r.Flapping, o.Flapping)
}

// Matches says whether a cluster is routed to the sink.
func (r Routes) Matches(v ledger.View) bool {
	if r.Namespace != "" && v.Ref.Namespace != r.Namespace {
		return false
	}
	s := r.Selector
	if s == nil {
		return true
	}
	if len(s.Providers) > 0 && !slices.Contains(s.Providers, v.Provider) {
		return false
	}
	if len(s.Kinds) > 0 && !slices.ContainsFunc(s.Kinds, func(k v1alpha1.GroupKind) bool {
		return k.Group == v.GroupKind.Group && k.Kind == v.GroupKind.Kind
	}) {
		return false
	}
	if len(s.Namespaces) > 0 && !slices.Contains(s.Namespaces, v.Ref.Namespace) {
		return false
	}
	for k, want := range s.MatchLabels {
		if got, ok := v.Labels[k]; !ok || got != want {
			return false
		}
	}
	return true
}

// Wants says whether the sink receives events of a lifecycle.
func (r Routes) Wants(l v1alpha1.Lifecycle) bool {
	return r.Selector == nil || len(r.Selector.Lifecycles) == 0 || slices.Contains(r.Selector.Lifecycles, l)
}

// Accepts says whether the sink receives one event of a cluster it routes:
// its lifecycle is wanted and the expression, if any, says yes. prev is the
// lifecycle of the cluster's event before it, when known. An expression
// that fails to evaluate does not accept, and its error is returned.
func (r Routes) Accepts(v ledger.View, e v1alpha1.LedgerEvent, prev v1alpha1.Lifecycle) (bool, error) {
	if !r.Wants(e.Lifecycle) {
		return false, nil
	}
	switch e.Lifecycle { //nolint:exhaustive // Only signals recorded per setting, and what they hold back.
	case v1alpha1.LifecycleOutOfSync, v1alpha1.LifecycleInSync:
		// Recorded once per threshold in use; each sink gets its own.
		if e.OutOfSyncAfter == nil || e.OutOfSyncAfter.Duration != r.OutOfSyncThreshold() {
			return false, nil
		}
	case v1alpha1.LifecycleFlapping, v1alpha1.LifecycleStable:
		if e.Flapping == nil || !r.damped(replay.DampingOf(e.Flapping).Key()) {
			return false, nil
		}
	case v1alpha1.LifecycleDegraded, v1alpha1.LifecycleRecovered:
		if r.Flapping != nil && slices.Contains(e.HeldFor, r.Flapping.Key()) {
			return false, nil
		}
	}
	if r.Expression == nil {
		return true, nil
	}
	t := transition(v, e.Lifecycle)
	t.PreviousLifecycle, t.Reason = string(prev), e.Reason
	if e.KubernetesVersion != "" {
		t.KubernetesVersion = e.KubernetesVersion
	}
	return r.Expression.Matches(t)
}

// Selects says whether the selector, expression included, matches a
// cluster as it is now: the expression sees the lifecycle that put the
// cluster in its phase, with no previous lifecycle and no reason. It is
// what status.matchedClusters counts.
func (r Routes) Selects(v ledger.View) (bool, error) {
	if !r.Matches(v) {
		return false, nil
	}
	l := phaseLifecycle(v.Phase)
	if l == "" || !r.Wants(l) {
		return false, nil
	}
	if r.Expression == nil {
		return true, nil
	}
	return r.Expression.Matches(transition(v, l))
}

// transition is what an expression sees of a cluster and a lifecycle.
func transition(v ledger.View, l v1alpha1.Lifecycle) filter.Transition {
	return filter.Transition{
		Lifecycle:         string(l),
		Group:             v.GroupKind.Group,
		Kind:              v.GroupKind.Kind,
		Namespace:         v.Ref.Namespace,
		Name:              v.Ref.Name,
		Labels:            v.Labels,
		Provider:          v.Provider,
		Region:            v.Facts.Region,
		KubernetesVersion: v.Facts.KubernetesVersion,
	}
}

// phaseLifecycle is the lifecycle that puts a cluster in a phase; empty for
// a cluster not created yet.
func phaseLifecycle(p v1alpha1.Phase) v1alpha1.Lifecycle {
	switch p {
	case v1alpha1.PhaseProvisioning:
		return v1alpha1.LifecycleCreated
	case v1alpha1.PhaseReady:
		return v1alpha1.LifecycleReady
	case v1alpha1.PhaseDegraded:
		return v1alpha1.LifecycleDegraded
	case v1alpha1.PhaseFailed:
		return v1alpha1.LifecycleFailed
	case v1alpha1.PhaseDeleting:
		return v1alpha1.LifecycleDeleting
	case v1alpha1.PhaseDeleted:
		return v1alpha1.LifecycleDeleted
	case v1alpha1.PhasePending:
	}
	return ""
}

// ReplayPlan lists the seqs a sink that has never received a cluster gets,
// under its replay policy, given the ledger's events (its log, and before
// it the events its pruning kept for replays) and the cluster's phase.
// Every later event follows normally.
//
//   - None: nothing.
//   - All: every event the ledger still holds.
//   - Current: what brings a consumer to today's state (replay.Current):
//     the created event, the latest event that put the cluster in its
//     current phase, and the signals still open (the sink keeps those of
//     its own settings). A deleted cluster does not exist today, so it gets
//     nothing.
func ReplayPlan(policy v1alpha1.ReplayPolicy, events []v1alpha1.LedgerEvent, phase v1alpha1.Phase) []int64 {
	switch policy {
	case v1alpha1.ReplayNone:
		return nil
	case v1alpha1.ReplayAll:
		out := make([]int64, 0, len(events))
		for _, e := range events {
			out = append(out, e.Seq)
		}
		return out
	}
	return replay.Current(events, phase)
}
