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

package ledger

import (
	"encoding/json"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// context is what the normalizer needs besides an observation of r: when
// it is applied, and the outOfSync thresholds of the sinks that route r.
// lg.mu must be held.
func (lg *Ledger) context(r *Record, late bool) normalize.Context {
	c := normalize.Context{Late: late, Now: lg.now()}
	if lg.router != nil {
		sig := lg.router.SignalsFor(r.routingView())
		c.OutOfSyncAfter, c.Flapping = sig.OutOfSyncAfter, sig.Flapping
	}
	return c
}

// schedule asks for r to be looked at again when its next outOfSync is due.
// lg.mu must be held.
func (lg *Ledger) schedule(r *Record, c normalize.Context) {
	if due, ok := normalize.Due(r.detected.state(), c.OutOfSyncAfter); ok {
		lg.timers.AddAfter(r.uid, due.Sub(c.Now))
	}
}

// elapseNext applies the passing of time to the next record whose timer
// fired. It returns false once the timers are shut down.
func (lg *Ledger) elapseNext() bool {
	uid, shutdown := lg.timers.Get()
	if shutdown {
		return false
	}
	defer lg.timers.Done(uid)
	lg.elapse(uid)
	return true
}

// elapse records the outOfSync transitions of r that became due, and
// schedules the next.
func (lg *Ledger) elapse(uid types.UID) {
	lg.mu.Lock()
	defer lg.wakeAndUnlock()
	r, ok := lg.records[uid]
	if !ok || r.gone {
		return
	}
	c := lg.context(r, false)
	next, ts := normalize.Elapse(r.detected.state(), c)
	r.detected = lg.packState(next)
	if len(ts) > 0 {
		lg.add(r, ts)
		r.dirty = true
		lg.scheduleWrite(r)
	}
	lg.schedule(r, c)
}

// SignalsChanged looks again at every cluster that serves out of sync:
// sinks, or their thresholds, changed, so outOfSync may be due for a new
// threshold. Delivery calls it when sinks change.
func (lg *Ledger) SignalsChanged() {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	for uid, r := range lg.records {
		if !r.gone && r.detected.watched() {
			lg.timers.Add(uid)
		}
	}
}

// outOfSyncEpisodes renders the open outOfSync transitions of a state for
// the ledger.
func outOfSyncEpisodes(s normalize.State) []v1alpha1.OutOfSyncEpisode {
	if len(s.OutOfSync) == 0 {
		return nil
	}
	out := make([]v1alpha1.OutOfSyncEpisode, 0, len(s.OutOfSync))
	for _, o := range s.OutOfSync {
		out = append(out, v1alpha1.OutOfSyncEpisode{After: metav1.Duration{Duration: o.After}, Since: metav1.NewTime(o.Since)})
	}
	return out
}

// storedState is the lifecycle state a ledger holds.
func storedState(st v1alpha1.ObservedClusterStatus) normalize.State {
	s := normalize.State{Phase: st.Phase, Created: st.Created, KubernetesVersion: st.Facts.KubernetesVersion, Paused: st.Paused}
	for _, o := range st.OutOfSync {
		s.OutOfSync = append(s.OutOfSync, normalize.OutOfSync{After: o.After.Duration, Since: o.Since.UTC()})
	}
	slices.SortFunc(s.OutOfSync, func(a, b normalize.OutOfSync) int { return int(a.After - b.After) })
	for _, t := range st.RecentTransitions {
		s.Recent = append(s.Recent, t.UTC())
	}
	for _, f := range st.Flapping {
		s.Flaps = append(s.Flaps, normalize.FlapEpisode{
			Damping: normalize.Damping{Transitions: int(f.Transitions), Window: f.Window.Duration},
			Since:   f.Since.UTC(), Last: f.Last.UTC(), Count: int(f.Count),
		})
	}
	return s
}

// flapStatus renders a state's flap tracking for the ledger.
func flapStatus(s normalize.State) ([]v1alpha1.FlapEpisode, []metav1.Time) {
	if len(s.Flaps) == 0 && len(s.Recent) == 0 {
		return nil, nil
	}
	eps := make([]v1alpha1.FlapEpisode, 0, len(s.Flaps))
	for _, f := range s.Flaps {
		eps = append(eps, v1alpha1.FlapEpisode{
			Transitions: int32(min(f.Transitions, 1<<20)), //nolint:gosec // Bounded by the API to 20.
			Window:      metav1.Duration{Duration: f.Window},
			Since:       metav1.NewTime(f.Since), Last: metav1.NewTime(f.Last),
			Count: int32(min(f.Count, 1<<20)), //nolint:gosec // Bounded above.
		})
	}
	recent := make([]metav1.Time, 0, len(s.Recent))
	for _, t := range s.Recent {
		recent = append(recent, metav1.NewTime(t))
	}
	return eps, recent
}

// flapRecord renders a transition's damping and count.
func flapRecord(f *normalize.FlapCount) *v1alpha1.FlapRecord {
	if f == nil {
		return nil
	}
	return &v1alpha1.FlapRecord{
		Transitions: int32(min(f.Transitions, 1<<20)), //nolint:gosec // Bounded by the API to 20.
		Window:      metav1.Duration{Duration: f.Window},
		Count:       int32(min(f.Count, 1<<20)), //nolint:gosec // Bounded above.
	}
}

// flapFields stamps the flapping events of a batch with the incidents they
// end or begin for sinks that damp flaps. prev is the event recorded just
// before e, and open the outage open before e, with the id of the event
// that began it.
//
//   - flapping ends, for those sinks, the outage its trigger (a recovery,
//     held back from them) would have ended.
//   - stable ends the flapping incident, and begins again for them the
//     outage still open, whose degraded event they never received.
func flapFields(e *v1alpha1.LedgerEvent, uid types.UID, t normalize.Transition, prev *v1alpha1.LedgerEvent, open *metav1.Time, openID string) {
	e.Flapping = flapRecord(t.Flap)
	e.HeldFor = t.HeldFor
	switch t.Lifecycle { //nolint:exhaustive // Only these shape flapping incidents.
	case v1alpha1.LifecycleFlapping:
		if prev != nil && prev.IncidentStart != nil && (prev.Lifecycle == v1alpha1.LifecycleRecovered || prev.Lifecycle == v1alpha1.LifecycleReady) {
			e.IncidentStart, e.IncidentEvent = prev.IncidentStart, prev.IncidentEvent
		}
	case v1alpha1.LifecycleStable:
		e.IncidentEvent = EventID(uid, v1alpha1.LifecycleFlapping, t.IncidentStart, t.Value)
		e.OpenIncident = openIncident(open, openID)
	}
}

// signalFields stamps a ledger event with what the signals of a transition
// need to be routed and paired. An inSync names the outOfSync it ends by
// its start and its id, which derive from its time and threshold.
func signalFields(e *v1alpha1.LedgerEvent, uid types.UID, t normalize.Transition) {
	if t.After > 0 {
		e.OutOfSyncAfter = &metav1.Duration{Duration: t.After}
	}
	if !t.IncidentStart.IsZero() {
		e.IncidentStart = &metav1.Time{Time: t.IncidentStart}
		if t.Lifecycle == v1alpha1.LifecycleInSync {
			e.IncidentEvent = EventID(uid, v1alpha1.LifecycleOutOfSync, t.IncidentStart, t.Value)
		}
	}
}

// linkEvent links an event, in log order, to the cluster's event before it
// (lastID) and, when it ends an outage, to the event that began it. It
// returns the outage still open after e, the id of the event that opened
// it, and e's id as the next event's previous. Recording an event and
// reading a ledger back link alike, so the links are the same after a
// restart.
func linkEvent(e *v1alpha1.LedgerEvent, open *metav1.Time, openID, lastID string) (*metav1.Time, string, string) {
	if e.Previous == "" {
		e.Previous = lastID
	}
	wasOpen := open != nil
	open = trackIncident(open, e)
	switch {
	case open == nil:
		if wasOpen && e.IncidentStart != nil && e.IncidentEvent == "" {
			e.IncidentEvent = openID
		}
		openID = ""
	case !wasOpen:
		openID = e.ID
	}
	return open, openID, e.ID
}

// openIncident renders the open outage for the ledger; nil when none is.
func openIncident(start *metav1.Time, event string) *v1alpha1.OpenIncident {
	if start == nil {
		return nil
	}
	return &v1alpha1.OpenIncident{Start: *start, Event: event}
}

// nullable is v for a JSON patch, or JSON null, which removes the field,
// when v is nil: an add with no value is not a valid operation.
func nullable[T any](v *T) any {
	if v == nil {
		return json.RawMessage("null")
	}
	return v
}
