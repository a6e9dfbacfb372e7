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
	"sort"
	"strings"
	"time"
)

// Expected is one transition the driver caused: the Occurrence-th time
// (from 0) that the cluster incarnation UID went through Lifecycle. At is
// when the driver began the write that caused it.
type Expected struct {
	UID        string
	Subject    string
	Lifecycle  string
	Occurrence int
	At         time.Time
	// NotBefore is the earliest time the transition's event may carry:
	// At, except for deleted, whose time is the newest time the final
	// object carries, which the step before (deleting) wrote.
	NotBefore time.Time
	// NotAfter, when set, is the latest time the transition's event may
	// carry: for those the provider derives from the times of others
	// (flapping, stable, outOfSync, inSync), whose times the checker can
	// bound on both sides.
	NotAfter time.Time
	// Held says the sink must not receive the transition: a flap damping
	// holds it back. An event for it is invented.
	Held bool
}

// earliest is the earliest timestamp an event of e may carry.
func (e Expected) earliest() time.Time {
	if e.NotBefore.IsZero() {
		return e.At.Truncate(time.Second)
	}
	return e.NotBefore.Truncate(time.Second)
}

// Got is one event a sink accepted, as the checker reads it.
type Got struct {
	// ID and Timestamp are the CDEvents context.id and context.timestamp.
	ID        string
	Timestamp time.Time
	// CEID and Time are the CloudEvents id and time.
	CEID      string
	Time      time.Time
	Type      string
	SubjectID string
	Lifecycle string
	// UID is customData.crossplane.uid: which incarnation of the name.
	UID string
}

// Result is what the checker found.
type Result struct {
	// Transitions the driver caused.
	Transitions int
	// Received events, duplicates included.
	Received int
	// Lost transitions: caused, never received.
	Lost int
	// Invented events: received, never caused.
	Invented int
	// Duplicates of a transition with the identical id and timestamp:
	// allowed, receivers deduplicate them.
	Duplicates int
	// BadDuplicates are further events for a transition already received,
	// with another id or timestamp: receivers count them twice.
	BadDuplicates int
	// Problems describes each lost, invented and bad duplicate event.
	Problems []string
}

// Failed says whether exactness was broken.
func (r Result) Failed() bool { return r.Lost+r.Invented+r.BadDuplicates > 0 }

// Add sums two results.
func (r Result) Add(o Result) Result {
	return Result{
		Transitions:   r.Transitions + o.Transitions,
		Received:      r.Received + o.Received,
		Lost:          r.Lost + o.Lost,
		Invented:      r.Invented + o.Invented,
		Duplicates:    r.Duplicates + o.Duplicates,
		BadDuplicates: r.BadDuplicates + o.BadDuplicates,
		Problems:      append(append([]string(nil), r.Problems...), o.Problems...),
	}
}

type key struct{ uid, lifecycle string }

type pair struct {
	id string
	ts time.Time
}

// occurrence is one expected transition and what arrived for it.
type occurrence struct {
	Expected
	first *pair
	seen  map[pair]bool
}

// Check compares the transitions the driver caused with the events the
// sinks received. It is the one judge of every scenario.
//
// Matching is on (incarnation uid, lifecycle, occurrence index), never on
// exact times, because the provider defines the times: for some
// transitions the object records the time (a condition's
// lastTransitionTime, an annotation, the deletionTimestamp), for others the
// provider stamps the moment it saw the change. Either way the time lies at
// or after the moment the driver began the write that caused the
// transition (truncated to the second, the precision of times in objects;
// for deleted, at or after the write before it, see Expected.NotBefore),
// so an event belongs to the latest occurrence of its lifecycle that began
// at or before its timestamp. Occurrences of one lifecycle of one cluster
// are many seconds apart, because the driver waits for each step to be
// recorded before the next one.
//
// What the driver may expect is its own rule (see Driver): it causes a
// transition only by a write whose state stays in the object until the
// provider recorded it, or long enough that a live provider must have, so
// every transition it reports must arrive.
//
// Rules:
//   - lost: an expected transition, not held, with no event at all;
//   - invented: an event of a type other than environment.*, of an unknown
//     incarnation or lifecycle, with a subject that is not the cluster's,
//     or with a timestamp before its lifecycle first happened or after
//     the latest time it can carry (Expected.NotAfter), and an
//     event for a transition the sink's flap damping holds back (Held);
//   - duplicates: further events for the same transition with the identical
//     context.id and context.timestamp;
//   - bad duplicates: further events for the same transition with another
//     id or timestamp, and events whose CloudEvents id or time disagree with
//     their CDEvents context (a receiver deduplicating on either would
//     count them twice).
func Check(expected []Expected, got []Got) Result {
	res := Result{Received: len(got)}
	byKey := map[key][]*occurrence{}
	for _, e := range expected {
		k := key{e.UID, e.Lifecycle}
		byKey[k] = append(byKey[k], &occurrence{Expected: e, seen: map[pair]bool{}})
		if !e.Held {
			res.Transitions++
		}
	}
	for _, occs := range byKey {
		sort.SliceStable(occs, func(i, j int) bool { return occs[i].At.Before(occs[j].At) })
	}
	for _, g := range got {
		if !strings.HasPrefix(g.Type, "dev.cdevents.environment.") {
			res.Invented++
			res.Problems = append(res.Problems, fmt.Sprintf("invented: %s event %s about %s (%s)", g.Type, g.ID, g.SubjectID, g.Lifecycle))
			continue
		}
		occs := byKey[key{g.UID, g.Lifecycle}]
		if len(occs) == 0 {
			res.Invented++
			res.Problems = append(res.Problems, fmt.Sprintf("invented: %s of %s (uid %s) at %s, id %s: the driver never caused it", g.Lifecycle, g.SubjectID, g.UID, stamp(g.Timestamp), g.ID))
			continue
		}
		if g.SubjectID != occs[0].Subject {
			res.Invented++
			res.Problems = append(res.Problems, fmt.Sprintf("invented: %s of uid %s carries subject %s, want %s", g.Lifecycle, g.UID, g.SubjectID, occs[0].Subject))
			continue
		}
		var o *occurrence
		for _, c := range occs {
			if !g.Timestamp.Before(c.earliest()) {
				o = c
			}
		}
		if o == nil {
			res.Invented++
			res.Problems = append(res.Problems, fmt.Sprintf("invented: %s of %s at %s, id %s: before the driver caused it at %s", g.Lifecycle, g.SubjectID, stamp(g.Timestamp), g.ID, stamp(occs[0].At)))
			continue
		}
		if o.Held {
			res.Invented++
			res.Problems = append(res.Problems, fmt.Sprintf("invented: %s #%d of %s (uid %s) at %s, id %s: the sink's flap damping holds it back", g.Lifecycle, o.Occurrence, g.SubjectID, g.UID, stamp(g.Timestamp), g.ID))
			continue
		}
		if !o.NotAfter.IsZero() && g.Timestamp.After(o.NotAfter) {
			res.Invented++
			res.Problems = append(res.Problems, fmt.Sprintf("invented: %s #%d of %s (uid %s) at %s, id %s: later than it can be, %s", g.Lifecycle, o.Occurrence, g.SubjectID, g.UID, stamp(g.Timestamp), g.ID, stamp(o.NotAfter)))
			continue
		}
		if g.CEID != g.ID || !g.Time.Equal(g.Timestamp) {
			res.BadDuplicates++
			res.Problems = append(res.Problems, fmt.Sprintf("bad: %s #%d of %s: CloudEvents id %s time %s differ from context id %s timestamp %s", g.Lifecycle, o.Occurrence, g.SubjectID, g.CEID, stamp(g.Time), g.ID, stamp(g.Timestamp)))
			continue
		}
		p := pair{g.ID, g.Timestamp.UTC()}
		switch {
		case o.first == nil:
			o.first = &p
			o.seen[p] = true
		case o.seen[p]:
			res.Duplicates++
		default:
			o.seen[p] = true
			res.BadDuplicates++
			res.Problems = append(res.Problems, fmt.Sprintf("bad duplicate: %s #%d of %s (uid %s): id %s at %s, first received as id %s at %s", g.Lifecycle, o.Occurrence, g.SubjectID, g.UID, g.ID, stamp(g.Timestamp), o.first.id, stamp(o.first.ts)))
		}
	}
	keys := make([]key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].uid != keys[j].uid {
			return keys[i].uid < keys[j].uid
		}
		return keys[i].lifecycle < keys[j].lifecycle
	})
	for _, k := range keys {
		for _, o := range byKey[k] {
			if o.first == nil && !o.Held {
				res.Lost++
				res.Problems = append(res.Problems, fmt.Sprintf("lost: %s #%d of %s (uid %s), caused at %s", o.Lifecycle, o.Occurrence, o.Subject, o.UID, stamp(o.At)))
			}
		}
	}
	return res
}

func stamp(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// Row is one line of the suite's table.
type Row struct {
	Scenario string
	Faults   string
	Result   Result
}

// Table renders the rows as a Markdown table.
func Table(rows []Row) string {
	b := &strings.Builder{}
	fmt.Fprintln(b, "| scenario | faults injected | transitions | lost | invented | duplicates (same id+ts) | bad duplicates |")
	fmt.Fprintln(b, "|---|---|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %d | %d | %d | %d | %d |\n", r.Scenario, r.Faults, r.Result.Transitions, r.Result.Lost, r.Result.Invented, r.Result.Duplicates, r.Result.BadDuplicates)
	}
	return b.String()
}

// IsCascade says whether an event is a cascade's incident: its subject is
// a cascade's, not a cluster's.
func IsCascade(g Got) bool {
	return strings.HasPrefix(g.Type, "dev.cdevents.incident.") && strings.Contains(g.SubjectID, "/cascades/")
}

// CheckCascades checks the cascade incidents a sink received against the
// number of cascades the driver caused: each must arrive as one detected
// and one resolved incident (two transitions), the resolved not before the
// detected, every resend with the identical id and timestamp, and the
// CloudEvents id and time equal to the CDEvents context's. A missing
// incident is lost, an extra cascade or an incident of another type
// invented, an incident with a second id or timestamp a bad duplicate.
func CheckCascades(got []Got, want int) Result {
	type seen struct {
		id string
		ts int64
	}
	res := Result{Transitions: 2 * want}
	bySubject := map[string]map[string]map[seen]int{}
	var subjects []string
	for _, g := range got {
		res.Received++
		if g.CEID != g.ID || !g.Time.Equal(g.Timestamp) {
			res.BadDuplicates++
			res.Problems = append(res.Problems, fmt.Sprintf("%s of cascade %s: CloudEvents id/time %s %s differ from the context's %s %s", g.Type, g.SubjectID, g.CEID, stamp(g.Time), g.ID, stamp(g.Timestamp)))
		}
		types, ok := bySubject[g.SubjectID]
		if !ok {
			types = map[string]map[seen]int{}
			bySubject[g.SubjectID] = types
			subjects = append(subjects, g.SubjectID)
		}
		if types[g.Type] == nil {
			types[g.Type] = map[seen]int{}
		}
		types[g.Type][seen{g.ID, g.Timestamp.UnixNano()}]++
	}
	if len(subjects) < want {
		res.Lost += 2 * (want - len(subjects))
		res.Problems = append(res.Problems, fmt.Sprintf("lost: %d cascades received (%v), want %d", len(subjects), subjects, want))
	}
	if len(subjects) > want {
		res.Invented += len(subjects) - want
		res.Problems = append(res.Problems, fmt.Sprintf("invented: %d cascades received (%v), want %d", len(subjects), subjects, want))
	}
	for _, subj := range subjects {
		var detected, resolved int64
		for typ, ids := range bySubject[subj] {
			for k, n := range ids {
				res.Duplicates += n - 1
				switch {
				case strings.HasPrefix(typ, "dev.cdevents.incident.detected."):
					detected = k.ts
				case strings.HasPrefix(typ, "dev.cdevents.incident.resolved."):
					resolved = k.ts
				default:
					res.Invented++
					res.Problems = append(res.Problems, fmt.Sprintf("invented: cascade %s: unexpected %s", subj, typ))
				}
			}
			if len(ids) > 1 {
				res.BadDuplicates += len(ids) - 1
				res.Problems = append(res.Problems, fmt.Sprintf("bad duplicate: cascade %s: %s arrived with %d ids or timestamps: %v", subj, typ, len(ids), ids))
			}
		}
		switch {
		case detected == 0:
			res.Lost++
			res.Problems = append(res.Problems, fmt.Sprintf("lost: cascade %s never detected", subj))
		case resolved == 0:
			res.Lost++
			res.Problems = append(res.Problems, fmt.Sprintf("lost: cascade %s never resolved", subj))
		case resolved < detected:
			res.Invented++
			res.Problems = append(res.Problems, fmt.Sprintf("invented: cascade %s resolved at %s, before it was detected at %s", subj, stamp(time.Unix(0, resolved)), stamp(time.Unix(0, detected))))
		}
	}
	return res
}
