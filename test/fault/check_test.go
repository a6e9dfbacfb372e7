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
