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

package normalize

import (
	"slices"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// Values that tell apart, in their ids, pause transitions the object
// records no time for.
const (
	valuePaused  = "paused"
	valueResumed = "resumed"
)

// paused reports whether reconciliation of the object is paused: the
// crossplane.io/paused annotation, or the Synced condition the managed
// reconciler sets while it honours it.
func paused(o Observation) bool {
	return o.Paused || syncedPaused(o)
}

func syncedPaused(o Observation) bool {
	return o.Synced.Status == StatusFalse && o.Synced.Reason == ReasonReconcilePaused
}

// addValue emits a transition at its time in the object, or, when the
// object records none, at the newest time it carries told apart by value.
func (e *emitter) addValue(l v1alpha1.Lifecycle, at time.Time, why cause, value string) {
	e.add(l, at, why)
	if at.IsZero() {
		e.ts[len(e.ts)-1].Value = value
	}
}

// pause emits paused when reconciliation of a created cluster is paused,
// and resumed when it runs again. paused carries the time Synced turned
// False/ReconcilePaused; while only the annotation says so (the managed
// reconciler has not seen it yet) the newest time the object carries.
// resumed carries the time Synced left ReconcilePaused, the same way.
func (e *emitter) pause(s State, o Observation) State {
	if !s.Created {
		return s
	}
	switch now := paused(o); {
	case now && !s.Paused:
		why := cause{reason: ReasonReconcilePaused, message: "reconciliation is paused"}
		if syncedPaused(o) {
			why = cause{reason: o.Synced.Reason, message: o.Synced.Message, at: o.Synced.LastTransitionTime}
		}
		e.addValue(v1alpha1.LifecyclePaused, why.at, why, valuePaused)
		s.Paused = true
	case !now && s.Paused:
		why := cause{}
		if o.Synced.present() {
			why = cause{reason: o.Synced.Reason, message: o.Synced.Message, at: o.Synced.LastTransitionTime}
		}
		e.addValue(v1alpha1.LifecycleResumed, why.at, why, valueResumed)
		s.Paused = false
	}
	return s
}

// sync follows the Synced condition of a cluster that serves: it records
// when the cluster started to serve unreconciled (SyncLost), emits inSync
// for every open outOfSync once Synced is True again, and emits the
// outOfSync transitions already due.
//
// A cluster serves unreconciled while Ready=True, Synced=False for another
// reason than a pause, and its phase is Ready or Degraded. SyncLost is the
// later of Synced's and Ready's lastTransitionTime then. inSync carries
// Synced's lastTransitionTime, and the time of the outOfSync it ends as
// IncidentStart.
func (e *emitter) sync(s State, o Observation) State {
	up := s.Phase == v1alpha1.PhaseReady || s.Phase == v1alpha1.PhaseDegraded
	s.SyncLost, s.SyncReason, s.SyncMessage = time.Time{}, "", ""
	if up && o.Ready.Status == StatusTrue && o.Synced.Status == StatusFalse && !paused(o) {
		s.SyncLost = latest(o.Synced.LastTransitionTime, o.Ready.LastTransitionTime)
		s.SyncReason, s.SyncMessage = o.Synced.Reason, o.Synced.Message
	}
	if o.Synced.Status == StatusTrue && len(s.OutOfSync) > 0 {
		why := cause{reason: o.Synced.Reason, message: o.Synced.Message, at: o.Synced.LastTransitionTime}
		for _, oos := range s.OutOfSync {
			at := why.at
			if at.Before(oos.Since) {
				// A Synced time before the outOfSync it ends says the
				// clocks disagree; the episode cannot end before it began.
				at = oos.Since
			}
			e.ts = append(e.ts, Transition{
				Lifecycle:         v1alpha1.LifecycleInSync,
				Time:              at,
				Reason:            why.reason,
				Message:           why.message,
				Replayed:          e.c.Late,
				KubernetesVersion: e.version,
				Value:             oos.After.String(),
				After:             oos.After,
				IncidentStart:     oos.Since,
			})
		}
		s.OutOfSync = nil
	}
	var ts []Transition
	s, ts = elapse(s, e.c, e.version)
	e.ts = append(e.ts, ts...)
	return s
}

// elapse emits outOfSync for every threshold that has passed since SyncLost
// and has none open yet. Each carries SyncLost plus its threshold: a time,
// and so an id, that depends on the object only, never on when the
// provider noticed.
func elapse(s State, c Context, version string) (State, []Transition) {
	if s.SyncLost.IsZero() {
		return s, nil
	}
	var ts []Transition
	for _, d := range c.OutOfSyncAfter {
		if d <= 0 || slices.ContainsFunc(s.OutOfSync, func(o OutOfSync) bool { return o.After == d }) {
			continue
		}
		due := s.SyncLost.Add(d)
		if c.Now.Before(due) {
			continue
		}
		ts = append(ts, Transition{
			Lifecycle:         v1alpha1.LifecycleOutOfSync,
			Time:              due,
			Reason:            s.SyncReason,
			Message:           s.SyncMessage,
			Replayed:          c.Late,
			KubernetesVersion: version,
			Value:             d.String(),
			After:             d,
		})
		s.OutOfSync = append(slices.Clone(s.OutOfSync), OutOfSync{After: d, Since: due})
	}
	slices.SortFunc(s.OutOfSync, func(a, b OutOfSync) int { return int(a.After - b.After) })
	return s, ts
}

// Elapse applies the passing of time to a cluster's state: the outOfSync
// and stable transitions that became due since the last observation, with
// no change of the object. The caller schedules it at Due.
func Elapse(prev State, c Context) (State, []Transition) {
	if prev.Phase != v1alpha1.PhaseReady && prev.Phase != v1alpha1.PhaseDegraded {
		return prev, nil
	}
	e := &emitter{c: c, version: prev.KubernetesVersion}
	s := e.settle(prev)
	var ts []Transition
	s, ts = elapse(s, c, prev.KubernetesVersion)
	e.ts = append(e.ts, ts...)
	return s, e.done()
}

// Due is the earliest time at which Elapse would emit a transition, if any
// is pending, for the outOfSync thresholds and the open flapping episodes:
// the caller schedules a re-evaluation then, since no change of the object
// may come to trigger one.
func Due(s State, thresholds []time.Duration) (time.Time, bool) {
	var due time.Time
	for _, f := range s.Flaps {
		if t := f.Last.Add(f.Window); due.IsZero() || t.Before(due) {
			due = t
		}
	}
	if s.SyncLost.IsZero() {
		return due, !due.IsZero()
	}
	for _, d := range thresholds {
		if d <= 0 || slices.ContainsFunc(s.OutOfSync, func(o OutOfSync) bool { return o.After == d }) {
			continue
		}
		if t := s.SyncLost.Add(d); due.IsZero() || t.Before(due) {
			due = t
		}
	}
	return due, !due.IsZero()
}
