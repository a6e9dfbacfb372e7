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

package fault

import (
	"slices"
	"sort"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// Steps a Program may take besides lifecycles. They cause no lifecycle of
// their own: Unsynced and Resynced are recorded in the driver's history so
// that ForSink can tell which outOfSync and inSync a sink must receive.
const (
	// StepUnsynced turns Synced False (ReconcileError) while Ready stays
	// True: the provider can no longer reconcile a cluster that serves.
	StepUnsynced v1alpha1.Lifecycle = "fault.unsynced"
	// StepResynced turns Synced True again.
	StepResynced v1alpha1.Lifecycle = "fault.resynced"
	// StepSettle waits DriverConfig.Settle and changes nothing: long
	// enough for a flapping episode to end, or an outOfSync to be due.
	StepSettle v1alpha1.Lifecycle = "fault.settle"
)

// A Damping is a sink's spec.signals.flapping: more than Transitions
// degraded and recovered transitions of one cluster within Window is
// flapping.
type Damping struct {
	Transitions int
	Window      time.Duration
}

// Signals is what of a sink's spec.signals shapes what it receives.
type Signals struct {
	// Flapping is the sink's flap damping; nil when it damps none.
	Flapping *Damping
	// OutOfSyncAfter is the sink's outOfSync threshold.
	OutOfSyncAfter time.Duration
	// Cascade is the sink's cascade setting; nil when it asks for none.
	Cascade *Cascade
}

// Cascade is spec.signals.cascade, grouped by provider and region.
type Cascade struct {
	MinClusters int
	Window      time.Duration
}

// DefaultSignals are those of a sink that sets none.
func DefaultSignals() Signals {
	return Signals{OutOfSyncAfter: v1alpha1.DefaultOutOfSyncAfter}
}

// ForSink turns the driver's history into what one sink must receive,
// restating the provider's rules for its signals from the times the driver
// caused each step:
//
//   - flapping: a degraded or recovered that makes more than
//     Transitions of them within Window (counting those later than its
//     time minus Window, itself included) while no episode is open opens
//     an episode: it is held back, and flapping is expected at its time.
//     The first Transitions are sent one by one. Every degraded and
//     recovered while the episode is open is held back too (Held: an
//     event for it is invented). The episode ends with one stable a
//     Window after its last degraded or recovered, or at deleting when
//     the cluster is deleted before.
//   - times: each of these carries a time derived from the time of a
//     step's transition, which lies between the step's start and the
//     next step's: NotAfter bounds it from above too.
//   - outOfSync: Synced False while Ready stays True for OutOfSyncAfter
//     or longer is one outOfSync at the time Synced turned False plus the
//     threshold, and, once Synced is True again, one inSync at that time.
//
// The rules compare times a second apart at most with the provider's own:
// scenarios keep every step that counts far from a window's or
// threshold's edge. Each incarnation's steps are taken in the order the
// driver caused them; occurrences are numbered again per lifecycle.
func ForSink(history []Expected, sig Signals) []Expected {
	uids, byUID := byIncarnation(history)
	out := make([]Expected, 0, len(history))
	for _, uid := range uids {
		steps := byUID[uid]
		sort.SliceStable(steps, func(i, j int) bool { return steps[i].At.Before(steps[j].At) })
		out = append(out, forIncarnation(steps, sig)...)
	}
	return out
}

// episode is a flapping episode the checker expects.
type episode struct {
	// last is the time of its newest degraded or recovered, and next the
	// time of the step after that one: its event's time lies between.
	last, next time.Time
}

// plus is t+d, or zero when t is: an unknown bound stays unknown.
func plus(t time.Time, d time.Duration) time.Time {
	if t.IsZero() {
		return t
	}
	return t.Add(d)
}

func forIncarnation(steps []Expected, sig Signals) []Expected {
	var out []Expected
	occ := map[string]int{}
	// emit adds a transition derived from the step e, at its own time at
	// the earliest and notAfter at the latest.
	emit := func(e Expected, l v1alpha1.Lifecycle, at, notAfter time.Time) {
		e.Lifecycle, e.At, e.NotBefore, e.NotAfter, e.Held = string(l), at, at, notAfter, false
		e.Occurrence = occ[e.Lifecycle]
		occ[e.Lifecycle]++
		out = append(out, e)
	}
	// keep adds the step's own transition.
	keep := func(e Expected) {
		e.Occurrence = occ[e.Lifecycle]
		occ[e.Lifecycle]++
		out = append(out, e)
	}
	var (
		recent []time.Time
		ep     *episode
		// lost is when Synced turned False, lostNext when the step after
		// that began.
		lost, lostNext time.Time
	)
	// settle ends the open episode if it was stable for a window by at.
	settle := func(e Expected, at time.Time) {
		if ep != nil && !at.Before(ep.last.Add(sig.Flapping.Window)) {
			emit(e, v1alpha1.LifecycleStable, ep.last.Add(sig.Flapping.Window), plus(ep.next, sig.Flapping.Window))
			ep = nil
		}
	}
	for i, e := range steps {
		// The step's transition carries a time before the next step began.
		next := time.Time{}
		if i+1 < len(steps) {
			next = steps[i+1].At
		}
		settle(e, e.At)
		switch l := v1alpha1.Lifecycle(e.Lifecycle); l {
		case v1alpha1.LifecycleDegraded, v1alpha1.LifecycleRecovered:
			if sig.Flapping == nil {
				break
			}
			w := sig.Flapping.Window
			recent = append(slices.DeleteFunc(recent, func(r time.Time) bool { return !r.After(e.At.Add(-w)) }), e.At)
			switch {
			case ep != nil:
				ep.last, ep.next = e.At, next
				e.Held = true
			case len(recent) > sig.Flapping.Transitions:
				ep = &episode{last: e.At, next: next}
				e.Held = true
				keep(e)
				emit(e, v1alpha1.LifecycleFlapping, e.At, next)
				continue
			}
		case v1alpha1.LifecycleDeleting:
			if ep != nil {
				emit(e, v1alpha1.LifecycleStable, latest(e.At, ep.last), next)
				ep = nil
			}
			if !lost.IsZero() && !e.At.Before(lost.Add(sig.OutOfSyncAfter)) {
				emit(e, v1alpha1.LifecycleOutOfSync, lost.Add(sig.OutOfSyncAfter), plus(lostNext, sig.OutOfSyncAfter))
			}
			lost = time.Time{}
		case StepUnsynced:
			if lost.IsZero() {
				lost, lostNext = e.At, next
			}
			continue
		case StepResynced:
			if !lost.IsZero() && !e.At.Before(lost.Add(sig.OutOfSyncAfter)) {
				emit(e, v1alpha1.LifecycleOutOfSync, lost.Add(sig.OutOfSyncAfter), plus(lostNext, sig.OutOfSyncAfter))
				emit(e, v1alpha1.LifecycleInSync, e.At, next)
			}
			lost = time.Time{}
			continue
		case StepSettle:
			continue
		}
		keep(e)
	}
	if ep != nil && len(steps) > 0 {
		// The history ends within an episode: it ends a window after its
		// last flap, whenever that comes.
		emit(steps[len(steps)-1], v1alpha1.LifecycleStable, ep.last.Add(sig.Flapping.Window), plus(ep.next, sig.Flapping.Window))
	}
	return out
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// byIncarnation groups a history by incarnation: the uids in the order
// they first appear, and each one's steps in the order the driver caused
// them.
func byIncarnation(history []Expected) ([]string, map[string][]Expected) {
	byUID := map[string][]Expected{}
	var uids []string
	for _, e := range history {
		if _, ok := byUID[e.UID]; !ok {
			uids = append(uids, e.UID)
		}
		byUID[e.UID] = append(byUID[e.UID], e)
	}
	return uids, byUID
}
