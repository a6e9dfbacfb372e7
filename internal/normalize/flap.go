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
	"strconv"
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// A Damping is a sink's flap damping: more than Transitions degraded and
// recovered transitions within Window is flapping.
type Damping struct {
	Transitions int
	Window      time.Duration
}

// Key names a damping, as <transitions>/<window>: in transitions' values
// and ids, and in the ledger's held lists.
func (d Damping) Key() string { return strconv.Itoa(d.Transitions) + "/" + d.Window.String() }

// A FlapEpisode is a flapping episode not ended yet.
type FlapEpisode struct {
	Damping
	// Since is the time of the flapping transition; Last the time of the
	// newest degraded or recovered transition it counts.
	Since, Last time.Time
	// Count is how many degraded and recovered transitions it counts.
	Count int
}

// FlapCount is what flapping and stable transitions carry: the damping and
// the episode's count.
type FlapCount struct {
	Damping
	Count int
}

// flapping says whether a lifecycle counts as a flap.
func flapping(l v1alpha1.Lifecycle) bool {
	return l == v1alpha1.LifecycleDegraded || l == v1alpha1.LifecycleRecovered
}

// flap counts the degraded and recovered transitions of this observation
// against each damping. A transition that makes more than a damping's
// Transitions within its Window opens an episode, with a flapping
// transition at its time carrying the count; it and every later one while
// the episode lasts are held back from sinks with that damping. Recent
// keeps what the longest window needs.
func (e *emitter) flap(s State) State {
	if len(e.c.Flapping) == 0 && len(s.Flaps) == 0 && len(s.Recent) == 0 {
		return s
	}
	longest := time.Duration(0)
	for _, d := range e.c.Flapping {
		longest = max(longest, d.Window)
	}
	e.done()
	n := len(e.ts)
	for i := range n {
		// e.ts grows below: t is a copy, written back at the end.
		t := e.ts[i]
		if !flapping(t.Lifecycle) {
			continue
		}
		// An episode that was stable for a window before this flap ended
		// then, whether or not the provider was there to see it.
		s = e.settleAt(s, t.Time, string(phaseBefore(t.Lifecycle)))
		s.Recent = append(slices.Clone(s.Recent), t.Time)
		s.Recent = slices.DeleteFunc(s.Recent, func(r time.Time) bool { return !r.After(t.Time.Add(-longest)) })
		if over := len(s.Recent) - (maxDampedTransitions + 1); over > 0 {
			s.Recent = s.Recent[over:]
		}
		s.Flaps = slices.Clone(s.Flaps)
		for j := range s.Flaps {
			f := &s.Flaps[j]
			f.Count++
			f.Last = latest(f.Last, t.Time)
			t.HeldFor = append(t.HeldFor, f.Key())
		}
		for _, d := range e.c.Flapping {
			if d.Transitions <= 0 || d.Window <= 0 || slices.ContainsFunc(s.Flaps, func(f FlapEpisode) bool { return f.Damping == d }) {
				continue
			}
			count := 0
			for _, r := range s.Recent {
				if r.After(t.Time.Add(-d.Window)) {
					count++
				}
			}
			if count <= d.Transitions {
				continue
			}
			s.Flaps = append(s.Flaps, FlapEpisode{Damping: d, Since: t.Time, Last: t.Time, Count: count})
			t.HeldFor = append(t.HeldFor, d.Key())
			e.ts = append(e.ts, Transition{
				Lifecycle:         v1alpha1.LifecycleFlapping,
				Time:              t.Time,
				Reason:            t.Reason,
				Message:           t.Message,
				Replayed:          e.c.Late,
				KubernetesVersion: e.version,
				Value:             d.Key(),
				Flap:              &FlapCount{Damping: d, Count: count},
			})
		}
		slices.Sort(t.HeldFor)
		e.ts[i] = t
	}
	return e.settle(s)
}

// phaseBefore is the phase a cluster was in before a degraded or recovered
// transition.
func phaseBefore(l v1alpha1.Lifecycle) v1alpha1.Phase {
	if l == v1alpha1.LifecycleDegraded {
		return v1alpha1.PhaseReady
	}
	return v1alpha1.PhaseDegraded
}

// maxDampedTransitions bounds a damping's Transitions, as the API does.
const maxDampedTransitions = 20

// settle ends every episode whose cluster made no degraded or recovered
// transition for a whole window: a stable transition a window after the
// last one, carrying the episode's count and the phase it settled in.
func (e *emitter) settle(s State) State {
	return e.settleAt(s, e.c.Now, string(s.Phase))
}

// settleAt ends every episode that was stable for a whole window by now,
// with stable a window after its last flap, in phase: a time that depends
// on the object only, so a provider that was down when it was due and
// sees a later change first emits the same stable as one that was there.
func (e *emitter) settleAt(s State, now time.Time, phase string) State {
	if len(s.Flaps) == 0 {
		return s
	}
	kept := make([]FlapEpisode, 0, len(s.Flaps))
	for _, f := range s.Flaps {
		due := f.Last.Add(f.Window)
		if now.Before(due) {
			kept = append(kept, f)
			continue
		}
		e.stable(f, due, phase)
	}
	s.Flaps = nil
	if len(kept) > 0 {
		s.Flaps = kept
	}
	return s
}

// endFlaps ends every open episode at at, as a deletion does; those that
// were stable for a window by then ended a window after their last flap.
func (e *emitter) endFlaps(s State, at time.Time) State {
	s = e.settleAt(s, at, string(s.Phase))
	for _, f := range s.Flaps {
		e.stable(f, latest(at, f.Last), string(v1alpha1.PhaseDeleting))
	}
	s.Flaps = nil
	return s
}

func (e *emitter) stable(f FlapEpisode, at time.Time, phase string) {
	e.ts = append(e.ts, Transition{
		Lifecycle:         v1alpha1.LifecycleStable,
		Time:              at,
		Reason:            phase,
		Message:           "no degraded or recovered for " + f.Window.String() + " after " + strconv.Itoa(f.Count) + " of them",
		Replayed:          e.c.Late,
		KubernetesVersion: e.version,
		Value:             f.Key(),
		IncidentStart:     f.Since,
		Flap:              &FlapCount{Damping: f.Damping, Count: f.Count},
	})
}
