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
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheck(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	const subject = "/fault/eks.aws.upbound.io/Cluster/a"
	exp := func(uid, l string, occ, at int) Expected {
		return Expected{UID: uid, Subject: subject, Lifecycle: l, Occurrence: occ, At: sec(at)}
	}
	ev := func(uid, l, id string, ts time.Time) Got {
		return Got{ID: id, CEID: id, Timestamp: ts, Time: ts, Type: "dev.cdevents.environment.modified.0.3.0", SubjectID: subject, Lifecycle: l, UID: uid}
	}
	type counts struct{ Transitions, Received, Lost, Invented, Duplicates, BadDuplicates int }
	cases := map[string]struct {
		reason   string
		expected []Expected
		got      []Got
		want     counts
	}{
		"Exact": {
			reason:   "One event per transition is exact.",
			expected: []Expected{exp("u1", "created", 0, 0), exp("u1", "ready", 0, 2)},
			got:      []Got{ev("u1", "created", "c", sec(0).Truncate(time.Second)), ev("u1", "ready", "r", sec(2).Add(300*time.Millisecond))},
			want:     counts{Transitions: 2, Received: 2},
		},
		"Lost": {
			reason:   "A transition never received is lost.",
			expected: []Expected{exp("u1", "created", 0, 0), exp("u1", "ready", 0, 2)},
			got:      []Got{ev("u1", "created", "c", sec(0))},
			want:     counts{Transitions: 2, Received: 1, Lost: 1},
		},
		"SameIDAndTimestamp": {
			reason:   "A resend with the identical id and timestamp is a harmless duplicate.",
			expected: []Expected{exp("u1", "ready", 0, 2)},
			got:      []Got{ev("u1", "ready", "r", sec(3)), ev("u1", "ready", "r", sec(3))},
			want:     counts{Transitions: 1, Received: 2, Duplicates: 1},
		},
		"OtherTimestamp": {
			reason:   "A second event for the same transition with another timestamp is a bad duplicate, even with the same id.",
			expected: []Expected{exp("u1", "ready", 0, 2)},
			got:      []Got{ev("u1", "ready", "r", sec(3)), ev("u1", "ready", "r", sec(4))},
			want:     counts{Transitions: 1, Received: 2, BadDuplicates: 1},
		},
		"OtherID": {
			reason:   "A second event for the same transition with another id is a bad duplicate.",
			expected: []Expected{exp("u1", "ready", 0, 2)},
			got:      []Got{ev("u1", "ready", "r", sec(3)), ev("u1", "ready", "r2", sec(3))},
			want:     counts{Transitions: 1, Received: 2, BadDuplicates: 1},
		},
		"Occurrences": {
			reason:   "Two degradations are two transitions, told apart by time.",
			expected: []Expected{exp("u1", "degraded", 0, 10), exp("u1", "degraded", 1, 20)},
			got:      []Got{ev("u1", "degraded", "d2", sec(21)), ev("u1", "degraded", "d1", sec(11))},
			want:     counts{Transitions: 2, Received: 2},
		},
		"SecondOccurrenceMissing": {
			reason:   "Two events for the first of two degradations: one bad duplicate, one lost.",
			expected: []Expected{exp("u1", "degraded", 0, 10), exp("u1", "degraded", 1, 20)},
			got:      []Got{ev("u1", "degraded", "d1", sec(11)), ev("u1", "degraded", "d1b", sec(12))},
			want:     counts{Transitions: 2, Received: 2, Lost: 1, BadDuplicates: 1},
		},
		"UnknownIncarnation": {
			reason:   "An event about an incarnation the driver never made is invented.",
			expected: []Expected{exp("u1", "created", 0, 0)},
			got:      []Got{ev("u1", "created", "c", sec(0)), ev("u2", "created", "c2", sec(0))},
			want:     counts{Transitions: 1, Received: 2, Invented: 1},
		},
		"UncausedLifecycle": {
			reason:   "An event of a lifecycle the driver never caused is invented.",
			expected: []Expected{exp("u1", "created", 0, 0)},
			got:      []Got{ev("u1", "created", "c", sec(0)), ev("u1", "degraded", "d", sec(1))},
			want:     counts{Transitions: 1, Received: 2, Invented: 1},
		},
		"BeforeCause": {
			reason:   "An event stamped before the driver caused its transition is invented.",
			expected: []Expected{exp("u1", "ready", 0, 10)},
			got:      []Got{ev("u1", "ready", "r", sec(5))},
			want:     counts{Transitions: 1, Received: 1, Lost: 1, Invented: 1},
		},
		"SecondPrecision": {
			reason:   "Times in objects have second precision: an event stamped in the second the write began belongs to it.",
			expected: []Expected{exp("u1", "ready", 0, 2)},
			got:      []Got{ev("u1", "ready", "r", sec(2).Truncate(time.Second))},
			want:     counts{Transitions: 1, Received: 1},
		},
		"DeletedCarriesAnEarlierTime": {
			reason:   "deleted carries the newest time of the final object, written by the step before it.",
			expected: []Expected{{UID: "u1", Subject: subject, Lifecycle: "deleted", At: sec(10), NotBefore: sec(8)}},
			got:      []Got{ev("u1", "deleted", "x", sec(8).Truncate(time.Second))},
			want:     counts{Transitions: 1, Received: 1},
		},
		"DeletedBeforeDeleting": {
			reason:   "deleted cannot carry a time before the write that began the deletion.",
			expected: []Expected{{UID: "u1", Subject: subject, Lifecycle: "deleted", At: sec(10), NotBefore: sec(8)}},
			got:      []Got{ev("u1", "deleted", "x", sec(6))},
			want:     counts{Transitions: 1, Received: 1, Lost: 1, Invented: 1},
		},
		"WrongSubject": {
			reason:   "An event about the right incarnation under another subject is invented.",
			expected: []Expected{exp("u1", "created", 0, 0)},
			got: []Got{func() Got {
				g := ev("u1", "created", "c", sec(0))
				g.SubjectID = "/fault/eks.aws.upbound.io/Cluster/b"
				return g
			}()},
			want: counts{Transitions: 1, Received: 1, Lost: 1, Invented: 1},
		},
		"NotAnEnvironmentEvent": {
			reason:   "Only environment events are caused by the driver.",
			expected: nil,
			got: []Got{func() Got {
				g := ev("u1", "degraded", "i", sec(0))
				g.Type = "dev.cdevents.incident.detected.0.2.0"
				return g
			}()},
			want: counts{Received: 1, Invented: 1},
		},
		"HeldBackArrives": {
			reason:   "An event for a transition the sink's flap damping holds back is invented, and not a duplicate of an earlier one.",
			expected: []Expected{exp("u1", "degraded", 0, 10), {UID: "u1", Subject: subject, Lifecycle: "degraded", Occurrence: 1, At: sec(20), Held: true}},
			got:      []Got{ev("u1", "degraded", "d1", sec(10)), ev("u1", "degraded", "d2", sec(20))},
			want:     counts{Transitions: 1, Received: 2, Invented: 1},
		},
		"HeldBackNeverArrives": {
			reason:   "A transition held back is not lost when it never arrives, nor counted as one the sink must receive.",
			expected: []Expected{exp("u1", "degraded", 0, 10), {UID: "u1", Subject: subject, Lifecycle: "degraded", Occurrence: 1, At: sec(20), Held: true}},
			got:      []Got{ev("u1", "degraded", "d1", sec(10))},
			want:     counts{Transitions: 1, Received: 1},
		},
		"LaterThanItCan": {
			reason:   "An event stamped after the latest time its transition can carry (a flapping at a later flap's time) is invented, and the transition lost.",
			expected: []Expected{{UID: "u1", Subject: subject, Lifecycle: "flapping", At: sec(10), NotAfter: sec(12)}},
			got:      []Got{ev("u1", "flapping", "f", sec(14))},
			want:     counts{Transitions: 1, Received: 1, Lost: 1, Invented: 1},
		},
		"WithinBounds": {
			reason:   "An event stamped at the latest time its transition can carry is exact.",
			expected: []Expected{{UID: "u1", Subject: subject, Lifecycle: "stable", At: sec(70), NotAfter: sec(72)}},
			got:      []Got{ev("u1", "stable", "s", sec(72))},
			want:     counts{Transitions: 1, Received: 1},
		},
		"CloudEventDisagrees": {
			reason:   "A CloudEvents id that is not the CDEvents id makes receivers deduplicating on either see two events.",
			expected: []Expected{exp("u1", "created", 0, 0)},
			got: []Got{ev("u1", "created", "c", sec(0)), func() Got {
				g := ev("u1", "created", "c", sec(0))
				g.CEID = "other"
				return g
			}()},
			want: counts{Transitions: 1, Received: 2, BadDuplicates: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := Check(tc.expected, tc.got)
			got := counts{r.Transitions, r.Received, r.Lost, r.Invented, r.Duplicates, r.BadDuplicates}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nCheck(...): -want, +got:\n%s\nproblems: %v", tc.reason, diff, r.Problems)
			}
			if got.Lost+got.Invented+got.BadDuplicates != len(r.Problems) {
				t.Errorf("%s\nCheck(...): %d problems described, want one per lost, invented or bad event: %v", tc.reason, len(r.Problems), r.Problems)
			}
		})
	}
}

func TestTable(t *testing.T) {
	got := Table([]Row{{Scenario: "kill", Faults: "SIGKILL×20", Result: Result{Transitions: 10, Lost: 1, Invented: 2, Duplicates: 3, BadDuplicates: 4}}})
	want := "| scenario | faults injected | transitions | lost | invented | duplicates (same id+ts) | bad duplicates |\n" +
		"|---|---|---:|---:|---:|---:|---:|\n" +
		"| kill | SIGKILL×20 | 10 | 1 | 2 | 3 | 4 |\n"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Table(...): -want, +got:\n%s", diff)
	}
}

func TestForSink(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	// step is one step of the driver's history of incarnation u1.
	step := func(l string, at int) Expected {
		return Expected{UID: "u1", Subject: "s", Lifecycle: l, At: sec(at), NotBefore: sec(at)}
	}
	// history is a program's steps at the given seconds.
	history := func(steps ...any) []Expected {
		var out []Expected
		for i := 0; i < len(steps); i += 2 {
			out = append(out, step(steps[i].(string), steps[i+1].(int))) //nolint:forcetypeassert // Pairs of lifecycle and second.
		}
		return out
	}
	// flaps are n degraded and recovered in turn, two seconds apart from
	// second from on, as lifecycle and second pairs.
	flaps := func(from, n int) []any {
		var out []any
		for i := range n {
			l := "degraded"
			if i%2 == 1 {
				l = "recovered"
			}
			out = append(out, l, from+2*i)
		}
		return out
	}
	join := func(parts ...[]any) []any {
		var out []any
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	// want is what a sink must receive, rendered one line each.
	type want []string
	render := func(es []Expected) want {
		var out want
		for _, e := range es {
			line := fmt.Sprintf("%s#%d@%d", e.Lifecycle, e.Occurrence, int(e.At.Sub(t0)/time.Second))
			if !e.NotBefore.Equal(e.At) {
				line += fmt.Sprintf(" notBefore %d", int(e.NotBefore.Sub(t0)/time.Second))
			}
			if !e.NotAfter.IsZero() {
				line += fmt.Sprintf(" notAfter %d", int(e.NotAfter.Sub(t0)/time.Second))
			}
			if e.Held {
				line += " held"
			}
			out = append(out, line)
		}
		return out
	}
	three := Signals{Flapping: &Damping{Transitions: 3, Window: time.Minute}, OutOfSyncAfter: time.Minute}
	begin := []any{"created", 0, "ready", 2}
	end := func(at int) []any { return []any{"deleting", at, "deleted", at + 2} }
	cases := map[string]struct {
		reason  string
		history []Expected
		sig     Signals
		want    want
	}{
		"NoSignals": {
			reason:  "A sink without damping receives every flap; the driver's Synced steps are no transitions of their own.",
			history: history(join(begin, flaps(10, 5), []any{string(StepUnsynced), 30, string(StepResynced), 40}, end(50))...),
			sig:     DefaultSignals(),
			want: want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@12", "degraded#1@14", "recovered#1@16", "degraded#2@18",
				"deleting#0@50", "deleted#0@52"},
		},
		"UnderTheLimit": {
			reason:  "Three flaps within the window are sent one by one.",
			history: history(join(begin, flaps(10, 3), end(100))...),
			sig:     three,
			want:    want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@12", "degraded#1@14", "deleting#0@100", "deleted#0@102"},
		},
		"Episode": {
			reason:  "The fourth flap within the window is held back and is flapping at its time; the later ones are held back; stable comes a window after the last.",
			history: history(join(begin, flaps(10, 6), end(100))...),
			sig:     three,
			want: want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@12", "degraded#1@14",
				"recovered#1@16 held", "flapping#0@16 notAfter 18", "degraded#2@18 held", "recovered#2@20 held",
				"stable#0@80 notAfter 160", "deleting#0@100", "deleted#0@102"},
		},
		"SlowFlaps": {
			reason:  "Flaps a window apart never count together.",
			history: history(join(begin, []any{"degraded", 10, "recovered", 70, "degraded", 130, "recovered", 190}, end(200))...),
			sig:     three,
			want: want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@70", "degraded#1@130", "recovered#1@190",
				"deleting#0@200", "deleted#0@202"},
		},
		"DeletedWithinEpisode": {
			reason:  "A deletion ends the episode at its time, before deleting.",
			history: history(join(begin, flaps(10, 5), end(30))...),
			sig:     three,
			want: want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@12", "degraded#1@14",
				"recovered#1@16 held", "flapping#0@16 notAfter 18", "degraded#2@18 held", "stable#0@30 notAfter 32", "deleting#0@30", "deleted#0@32"},
		},
		"FlapAfterStable": {
			reason:  "After stable the count starts again: a flap is sent.",
			history: history(join(begin, flaps(10, 5), []any{"recovered", 100}, end(110))...),
			sig:     three,
			want: want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@12", "degraded#1@14",
				"recovered#1@16 held", "flapping#0@16 notAfter 18", "degraded#2@18 held", "stable#0@78 notAfter 160", "recovered#2@100",
				"deleting#0@110", "deleted#0@112"},
		},
		"TwoEpisodes": {
			reason:  "A second episode after stable has its own flapping and stable.",
			history: history(join(begin, flaps(10, 4), flaps(100, 4), end(120))...),
			sig:     three,
			want: want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@12", "degraded#1@14",
				"recovered#1@16 held", "flapping#0@16 notAfter 100", "stable#0@76 notAfter 160",
				"degraded#2@100", "recovered#2@102", "degraded#3@104", "recovered#3@106 held", "flapping#1@106 notAfter 120",
				"stable#1@120 notAfter 122", "deleting#0@120", "deleted#0@122"},
		},
		"EndsWithinEpisode": {
			reason:  "A history that ends within an episode expects its stable a window after the last flap.",
			history: history(join(begin, flaps(10, 4))...),
			sig:     three,
			want: want{"created#0@0", "ready#0@2", "degraded#0@10", "recovered#0@12", "degraded#1@14",
				"recovered#1@16 held", "flapping#0@16", "stable#0@76"},
		},
		"OutOfSync": {
			reason: "Synced lost for less than the threshold is nothing; for longer, outOfSync at the loss plus the threshold and inSync when it is back.",
			history: history(join(begin, []any{string(StepUnsynced), 10, string(StepResynced), 12, string(StepUnsynced), 14,
				string(StepResynced), 90}, end(100))...),
			sig:  three,
			want: want{"created#0@0", "ready#0@2", "outOfSync#0@74 notAfter 150", "inSync#0@90 notAfter 100", "deleting#0@100", "deleted#0@102"},
		},
		"OutOfSyncUntilDeleted": {
			reason:  "Synced lost until the deletion is outOfSync without inSync.",
			history: history(join(begin, []any{string(StepUnsynced), 10}, end(100))...),
			sig:     three,
			want:    want{"created#0@0", "ready#0@2", "outOfSync#0@70 notAfter 160", "deleting#0@100", "deleted#0@102"},
		},
		"OtherThreshold": {
			reason:  "A sink with the default threshold gets no outOfSync for a shorter loss.",
			history: history(join(begin, []any{string(StepUnsynced), 10, string(StepResynced), 90}, end(100))...),
			sig:     DefaultSignals(),
			want:    want{"created#0@0", "ready#0@2", "deleting#0@100", "deleted#0@102"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, render(ForSink(tc.history, tc.sig))); diff != "" {
				t.Errorf("%s\nForSink(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCheckCascades(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	const subject = "/fault/cascades/upjet-aws/us-east-1/1767323045"
	inc := func(kind, subj, id string, ts time.Time) Got {
		return Got{ID: id, CEID: id, Timestamp: ts, Time: ts, Type: "dev.cdevents.incident." + kind + ".0.3.0", SubjectID: subj}
	}
	detected := inc("detected", subject, "d", t0)
	resolved := inc("resolved", subject, "r", t0.Add(time.Minute))
	type counts struct{ Transitions, Received, Lost, Invented, Duplicates, BadDuplicates int }
	cases := map[string]struct {
		reason string
		got    []Got
		want   counts
	}{
		"Exact": {
			reason: "One detected and one resolved incident make a cascade exact.",
			got:    []Got{detected, resolved},
			want:   counts{Transitions: 2, Received: 2},
		},
		"Resent": {
			reason: "Resends with the identical id and timestamp are harmless duplicates.",
			got:    []Got{detected, detected, resolved, resolved},
			want:   counts{Transitions: 2, Received: 4, Duplicates: 2},
		},
		"NeverResolved": {
			reason: "A cascade without its resolved incident lost it.",
			got:    []Got{detected},
			want:   counts{Transitions: 2, Received: 1, Lost: 1},
		},
		"NoCascade": {
			reason: "A cascade never received lost both incidents.",
			want:   counts{Transitions: 2, Lost: 2},
		},
		"Restamped": {
			reason: "A detected incident sent again with another timestamp is a bad duplicate.",
			got:    []Got{detected, inc("detected", subject, "d", t0.Add(time.Second)), resolved},
			want:   counts{Transitions: 2, Received: 3, BadDuplicates: 1},
		},
		"Second": {
			reason: "A second cascade where the driver caused one is invented.",
			got:    []Got{detected, resolved, inc("detected", subject+"9", "d2", t0), inc("resolved", subject+"9", "r2", t0.Add(time.Minute))},
			want:   counts{Transitions: 2, Received: 4, Invented: 1},
		},
		"ResolvedFirst": {
			reason: "A cascade resolved before it was detected is invented.",
			got:    []Got{inc("detected", subject, "d", t0.Add(time.Hour)), resolved},
			want:   counts{Transitions: 2, Received: 2, Invented: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := CheckCascades(tc.got, 1)
			got := counts{r.Transitions, r.Received, r.Lost, r.Invented, r.Duplicates, r.BadDuplicates}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nCheckCascades(...): -want, +got:\n%s\nproblems: %v", tc.reason, diff, r.Problems)
			}
		})
	}
}
