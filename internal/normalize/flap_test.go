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
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func TestFlapping(t *testing.T) {
	base := []mod{
		createSucceeded(at(2)), lastAsync(StatusTrue, "Success", at(20)), ready(StatusTrue, ReasonAvailable, at(20)),
		synced(StatusTrue, ReasonReconcileSuccess, at(20)),
		field("status.atProvider.status", "ACTIVE"), field("status.atProvider.version", "1.30"),
	}
	// state is the cluster with the cloud state at minute m.
	state := func(cs string, m int) *unstructured.Unstructured {
		return object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", with(base, field("status.atProvider.status", cs), touched(at(m)))...)
	}
	// flaps observes FAILED and ACTIVE in turn, a minute apart, from
	// minute from on: n transitions.
	flaps := func(from, n int) []tick {
		var ticks []tick
		for i := range n {
			cs := "FAILED"
			if i%2 == 1 {
				cs = "ACTIVE"
			}
			ticks = append(ticks, tick{obj: state(cs, from+i), now: at(from + i)})
		}
		return ticks
	}
	three := Damping{Transitions: 3, Window: 10 * time.Minute}
	key := three.Key()
	deg := func(m int, held ...string) Transition {
		return tr(v1alpha1.LifecycleDegraded, at(m), "FAILED", "1.30", msg("cloud state is FAILED"), value("FAILED"), heldFor(held...))
	}
	rec := func(m int, held ...string) Transition {
		return tr(v1alpha1.LifecycleRecovered, at(m), ReasonAvailable, "1.30", value("ACTIVE"), heldFor(held...))
	}
	flap := func(m, count int) Transition {
		// Carrying the reason of the transition that made it flapping,
		// here a recovery.
		return tr(v1alpha1.LifecycleFlapping, at(m), ReasonAvailable, "1.30", value(key),
			func(t *Transition) { t.Flap = &FlapCount{Damping: three, Count: count} })
	}
	stable := func(m, count int, since time.Time, phase string) Transition {
		return tr(v1alpha1.LifecycleStable, at(m), phase, "1.30", value(key), func(t *Transition) {
			t.Flap, t.IncidentStart = &FlapCount{Damping: three, Count: count}, since
			t.Message = "no degraded or recovered for 10m0s after " + strconv.Itoa(count) + " of them"
		})
	}
	late := func(t Transition) Transition {
		t.Replayed = true
		return t
	}
	upTo := func(ts ...Transition) []Transition {
		return append([]Transition{
			tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, "1.30"),
			tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30"),
		}, ts...)
	}
	readyTick := tick{obj: state("ACTIVE", 20), now: at(20)}
	type want struct {
		ts    []Transition
		state State
	}
	cases := map[string]struct {
		reason  string
		damping []Damping
		ticks   []tick
		want    want
	}{
		"Off": {
			reason: "Without a damping every transition is reported and nothing is kept.",
			ticks:  append([]tick{readyTick}, flaps(30, 5)...),
			want: want{
				ts:    upTo(deg(30), rec(31), deg(32), rec(33), deg(34)),
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"UnderTheLimit": {
			reason:  "Three transitions within the window are reported one by one.",
			damping: []Damping{three},
			ticks:   append(append([]tick{readyTick}, flaps(30, 3)...), tick{now: at(60)}),
			want: want{
				ts: upTo(deg(30), rec(31), deg(32)),
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(30), at(31), at(32)}},
			},
		},
		"SlowFlapsAreNotFlapping": {
			reason:  "Transitions further apart than the window never count together.",
			damping: []Damping{three},
			ticks: []tick{readyTick,
				{obj: state("FAILED", 30), now: at(30)}, {obj: state("ACTIVE", 36), now: at(36)},
				{obj: state("FAILED", 42), now: at(42)}, {obj: state("ACTIVE", 48), now: at(48)}},
			want: want{
				ts: upTo(deg(30), rec(36), deg(42), rec(48)),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(42), at(48)}},
			},
		},
		"Episode": {
			reason:  "The fourth transition within the window is flapping, with the count; it and the later ones are held back; a window without any ends the episode with stable, in the phase it settled in.",
			damping: []Damping{three},
			ticks: append(append([]tick{readyTick}, flaps(30, 6)...),
				tick{now: at(44)}, tick{now: at(45)}),
			want: want{
				ts: upTo(deg(30), rec(31), deg(32), rec(33, key), flap(33, 4), deg(34, key), rec(35, key),
					stable(45, 6, at(33), "Ready")),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(30), at(31), at(32), at(33), at(34), at(35)}},
			},
		},
		"RestartMidEpisode": {
			reason:  "A restart during an episode neither repeats flapping nor loses the episode: it still ends with stable, counting every transition.",
			damping: []Damping{three},
			ticks: append(append(append([]tick{readyTick}, flaps(30, 5)...),
				tick{obj: state("FAILED", 34), now: at(40), late: true, restart: true},
				tick{obj: state("ACTIVE", 41), now: at(41)}),
				tick{now: at(51)}),
			want: want{
				ts: upTo(deg(30), rec(31), deg(32), rec(33, key), flap(33, 4), deg(34, key), rec(41, key),
					stable(51, 6, at(33), "Ready")),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(32), at(33), at(34), at(41)}},
			},
		},
		"RestartAfterStableWasDue": {
			reason:  "A provider down when stable was due, which sees the next flap first, still ends the episode a window after its last flap, and counts that flap afresh: as a live provider does.",
			damping: []Damping{three},
			ticks: append(append([]tick{readyTick}, flaps(30, 5)...),
				tick{obj: state("ACTIVE", 50), now: at(52), late: true, restart: true}),
			want: want{
				// In lifecycle order within the one observation, as ever.
				ts: upTo(deg(30), rec(31), deg(32), rec(33, key), flap(33, 4), deg(34, key),
					late(rec(50)), late(stable(44, 5, at(33), "Degraded"))),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(50)}},
			},
		},
		"DeletedAfterStableWasDue": {
			reason:  "A provider down when stable was due, which sees the deletion first, ends the episode a window after its last flap, in the phase it settled in: as a live provider does.",
			damping: []Damping{three},
			ticks: append(append([]tick{readyTick}, flaps(30, 5)...),
				tick{obj: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", with(base, field("status.atProvider.status", "FAILED"), deleting(at(50)))...), now: at(52), late: true, restart: true}),
			want: want{
				ts: upTo(deg(30), rec(31), deg(32), rec(33, key), flap(33, 4), deg(34, key),
					late(stable(44, 5, at(33), "Degraded")), late(tr(v1alpha1.LifecycleDeleting, at(50), "", "1.30"))),
				state: State{Phase: v1alpha1.PhaseDeleting, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(30), at(31), at(32), at(33), at(34)}},
			},
		},
		"TwoDampingsAtOnce": {
			reason:  "Two dampings that both open an episode at one flap both hold it back.",
			damping: []Damping{three, {Transitions: 3, Window: 5 * time.Minute}},
			ticks:   append([]tick{readyTick}, flaps(30, 4)...),
			want: want{
				ts: upTo(deg(30), rec(31), deg(32), rec(33, key, "3/5m0s"), flap(33, 4),
					tr(v1alpha1.LifecycleFlapping, at(33), ReasonAvailable, "1.30", value("3/5m0s"),
						func(t *Transition) {
							t.Flap = &FlapCount{Damping: Damping{Transitions: 3, Window: 5 * time.Minute}, Count: 4}
						})),
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(30), at(31), at(32), at(33)},
					Flaps: []FlapEpisode{{Damping: three, Since: at(33), Last: at(33), Count: 4},
						{Damping: Damping{Transitions: 3, Window: 5 * time.Minute}, Since: at(33), Last: at(33), Count: 4}}},
			},
		},
		"SettlesDegraded": {
			reason:  "An episode that ends degraded says so in stable's reason.",
			damping: []Damping{three},
			ticks:   append(append([]tick{readyTick}, flaps(30, 5)...), tick{now: at(44)}),
			want: want{
				ts: upTo(deg(30), rec(31), deg(32), rec(33, key), flap(33, 4), deg(34, key),
					stable(44, 5, at(33), "Degraded")),
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(30), at(31), at(32), at(33), at(34)}},
			},
		},
		"DeletedMidEpisode": {
			reason:  "A deletion ends the episode at its time.",
			damping: []Damping{three},
			ticks: append(append([]tick{readyTick}, flaps(30, 4)...),
				tick{obj: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", with(base, deleting(at(36)))...), now: at(36)}),
			want: want{
				ts: upTo(deg(30), rec(31), deg(32), rec(33, key), flap(33, 4),
					stable(36, 4, at(33), "Deleting"), tr(v1alpha1.LifecycleDeleting, at(36), "", "1.30")),
				state: State{Phase: v1alpha1.PhaseDeleting, Created: true, KubernetesVersion: "1.30",
					Recent: []time.Time{at(30), at(31), at(32), at(33)}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ts, s := liveWith(t, Context{Flapping: tc.damping}, tc.ticks)
			if diff := cmp.Diff(tc.want, want{ts: ts, state: s}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nNext and Elapse: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func heldFor(keys ...string) func(*Transition) {
	return func(t *Transition) {
		if len(keys) > 0 {
			t.HeldFor = keys
		}
	}
}
