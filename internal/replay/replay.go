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

// Package replay decides which recorded events bring a consumer that has
// never heard of a cluster to its present state. Delivery needs it to
// replay a cluster to a new sink, and the ledger needs it to know which
// events it must keep when it prunes its history: the two must agree, or a
// pruned ledger could no longer replay what the policy promises.
package replay

import (
	"maps"
	"slices"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// phaseSetters are the lifecycles that put a cluster in each phase.
var phaseSetters = map[v1alpha1.Phase][]v1alpha1.Lifecycle{ //nolint:gochecknoglobals // A constant table.
	v1alpha1.PhaseProvisioning: {v1alpha1.LifecycleCreated},
	v1alpha1.PhaseReady:        {v1alpha1.LifecycleReady, v1alpha1.LifecycleRecovered, v1alpha1.LifecycleUpgraded},
	v1alpha1.PhaseDegraded:     {v1alpha1.LifecycleDegraded},
	v1alpha1.PhaseFailed:       {v1alpha1.LifecycleFailed},
	v1alpha1.PhaseDeleting:     {v1alpha1.LifecycleDeleting},
}

// PhaseAfter is the phase a cluster is in after events: the phase the last
// event that sets one puts it in; Pending before any.
func PhaseAfter(events []v1alpha1.LedgerEvent) v1alpha1.Phase {
	phase := v1alpha1.PhasePending
	for _, e := range events {
		if e.Lifecycle == v1alpha1.LifecycleDeleted {
			phase = v1alpha1.PhaseDeleted
			continue
		}
		for p, ls := range phaseSetters {
			if slices.Contains(ls, e.Lifecycle) && (e.Lifecycle != v1alpha1.LifecycleCreated || phase == v1alpha1.PhasePending) {
				phase = p
			}
		}
	}
	return phase
}

// DampingOf is the damping a flapping or stable event was recorded for.
func DampingOf(f *v1alpha1.FlapRecord) normalize.Damping {
	return normalize.Damping{Transitions: int(f.Transitions), Window: f.Window.Duration}
}

// Current lists, in log order, the seqs of the events that bring a
// consumer to a cluster's present state, given its recorded events (oldest
// first) and its phase: the created event, the latest event that put the
// cluster in its current phase, and the signals still open (a paused
// without its resumed, each outOfSync without its inSync, each flapping
// without its stable). A deleted cluster does not exist today, so it has
// none.
func Current(events []v1alpha1.LedgerEvent, phase v1alpha1.Phase) []int64 {
	if phase == v1alpha1.PhaseDeleted {
		return nil
	}
	var created, current, paused int64
	outOfSync := map[time.Duration]int64{}
	flapping := map[string]int64{}
	for _, e := range events {
		if e.Lifecycle == v1alpha1.LifecycleCreated && created == 0 {
			created = e.Seq
		}
		if slices.Contains(phaseSetters[phase], e.Lifecycle) {
			current = e.Seq
		}
		switch e.Lifecycle { //nolint:exhaustive // Only signals that stay open.
		case v1alpha1.LifecyclePaused:
			paused = e.Seq
		case v1alpha1.LifecycleResumed:
			paused = 0
		case v1alpha1.LifecycleOutOfSync, v1alpha1.LifecycleInSync:
			if e.OutOfSyncAfter == nil {
				continue
			}
			if e.Lifecycle == v1alpha1.LifecycleOutOfSync {
				outOfSync[e.OutOfSyncAfter.Duration] = e.Seq
			} else {
				delete(outOfSync, e.OutOfSyncAfter.Duration)
			}
		case v1alpha1.LifecycleFlapping, v1alpha1.LifecycleStable:
			if e.Flapping == nil {
				continue
			}
			if k := DampingOf(e.Flapping).Key(); e.Lifecycle == v1alpha1.LifecycleFlapping {
				flapping[k] = e.Seq
			} else {
				delete(flapping, k)
			}
		}
	}
	// In log order: a sink's cursor only moves forward.
	var out []int64
	open := append(slices.Collect(maps.Values(outOfSync)), slices.Collect(maps.Values(flapping))...)
	for _, seq := range append([]int64{created, current, paused}, open...) {
		if seq > 0 {
			out = append(out, seq)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
