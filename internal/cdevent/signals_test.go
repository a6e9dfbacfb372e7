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

package cdevent

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// signal is what a test checks of the events of one signal: each event's
// type and subject, and the customData of the first.
type signal struct {
	Types    []string
	Subjects []string
	Data     ClusterData
}

func TestSignalEvents(t *testing.T) {
	// outOfSync at the fixture transition, 2026-03-04T05:06:07Z
	// (1772600767); inSync 20 minutes later.
	const incidentID = envID + "/incidents/out-of-sync/1772600767"
	after := &metav1.Duration{Duration: 10 * time.Minute}
	outOfSync := ledgerEvent(v1alpha1.LifecycleOutOfSync)
	outOfSync.Reason, outOfSync.Message, outOfSync.Synced = "ReconcileError", "cannot observe: ExpiredToken", "False/ReconcileError"
	outOfSync.OutOfSyncAfter = after
	inSync := ledgerEvent(v1alpha1.LifecycleInSync)
	inSync.ID = "9a3e2b1c-7d6f-5e4a-8b9c-0d1e2f3a4b5c"
	inSync.Time = metav1.NewTime(transition.Add(20 * time.Minute))
	inSync.Reason, inSync.Message = "ReconcileSuccess", ""
	inSync.OutOfSyncAfter = after
	paused := ledgerEvent(v1alpha1.LifecyclePaused)
	paused.Reason, paused.Message = "ReconcilePaused", ""
	resumed := ledgerEvent(v1alpha1.LifecycleResumed)
	resumed.Reason, resumed.Message = "ReconcileSuccess", ""
	// A flapping episode began at the fixture transition by a recovery
	// that would have ended an outage begun 2 minutes before; it ends 20
	// minutes later, degraded, in an outage begun 5 minutes before that.
	flap := &v1alpha1.FlapRecord{Transitions: 3, Window: metav1.Duration{Duration: 10 * time.Minute}, Count: 4}
	flapping := ledgerEvent(v1alpha1.LifecycleFlapping)
	flapping.Reason, flapping.Message, flapping.Flapping = "Available", "", flap
	flapping.IncidentStart, flapping.IncidentEvent = &metav1.Time{Time: transition.Add(-2 * time.Minute)}, "degraded-id"
	stable := ledgerEvent(v1alpha1.LifecycleStable)
	stable.ID, stable.Time = "stable-id", metav1.NewTime(transition.Add(20*time.Minute))
	stable.Reason, stable.Message, stable.Flapping = "Degraded", "no degraded or recovered for 10m0s after 6 of them", flap
	stable.IncidentStart, stable.IncidentEvent = &metav1.Time{Time: transition}, eventID
	stable.OpenIncident = &v1alpha1.OpenIncident{Start: metav1.NewTime(transition.Add(15 * time.Minute)), Event: "degraded-2-id"}

	data := func(l v1alpha1.Lifecycle, reason, message, afterText string) ClusterData {
		d := newCustomData(subject(), ledgerEvent(l)).Crossplane
		d.Reason, d.Message, d.OutOfSyncAfter = reason, message, afterText
		if l == v1alpha1.LifecycleOutOfSync {
			d.Conditions.Synced = "False/ReconcileError"
		}
		return d
	}
	flapData := func(l v1alpha1.Lifecycle, reason, message string) ClusterData {
		d := data(l, reason, message, "")
		d.Flapping = &Flapping{Transitions: 3, Window: "10m0s", Count: 4}
		return d
	}
	incidents := func(d ClusterData, typesAndSubjects ...string) signal {
		sig := signal{Types: []string{"dev.cdevents.environment.modified.0.3.0"}, Subjects: []string{envID}, Data: d}
		for i := 0; i+1 < len(typesAndSubjects); i += 2 {
			sig.Types = append(sig.Types, typesAndSubjects[i])
			sig.Subjects = append(sig.Subjects, typesAndSubjects[i+1])
		}
		return sig
	}
	envOnly := func(d ClusterData) signal {
		return signal{Types: []string{"dev.cdevents.environment.modified.0.3.0"}, Subjects: []string{envID}, Data: d}
	}
	withIncident := func(typ string, d ClusterData) signal {
		return signal{Types: []string{"dev.cdevents.environment.modified.0.3.0", typ}, Subjects: []string{envID, incidentID}, Data: d}
	}
	type args struct {
		e v1alpha1.LedgerEvent
		o Options
	}
	cases := map[string]struct {
		reason string
		args   args
		want   signal
	}{
		"OutOfSync": {
			reason: "outOfSync is an environment modification naming its threshold.",
			args:   args{e: outOfSync, o: Options{Source: source}},
			want:   envOnly(data(v1alpha1.LifecycleOutOfSync, "ReconcileError", "cannot observe: ExpiredToken", "10m0s")),
		},
		"OutOfSyncIncident": {
			reason: "With incidents on, outOfSync opens an incident of its own class, named after its time.",
			args:   args{e: outOfSync, o: Options{Source: source, Incidents: true}},
			want:   withIncident("dev.cdevents.incident.detected.0.3.0", data(v1alpha1.LifecycleOutOfSync, "ReconcileError", "cannot observe: ExpiredToken", "10m0s")),
		},
		"InSyncResolves": {
			reason: "inSync resolves the incident its outOfSync opened: the same subject id.",
			args:   args{e: inSync, o: Options{Source: source, Incidents: true, IncidentStart: transition}},
			want:   withIncident("dev.cdevents.incident.resolved.0.3.0", data(v1alpha1.LifecycleInSync, "ReconcileSuccess", "", "10m0s")),
		},
		"PausedNoIncident": {
			reason: "A pause is deliberate: an environment modification, never an incident.",
			args:   args{e: paused, o: Options{Source: source, Incidents: true}},
			want:   envOnly(data(v1alpha1.LifecyclePaused, "ReconcilePaused", "", "")),
		},
		"FlappingTakesOverTheOutage": {
			reason: "flapping resolves, for damped sinks, the outage its held-back recovery would have ended, and opens a flapping incident.",
			args:   args{e: flapping, o: Options{Source: source, Incidents: true, IncidentStart: flapping.IncidentStart.Time}},
			want: incidents(flapData(v1alpha1.LifecycleFlapping, "Available", ""),
				"dev.cdevents.incident.resolved.0.3.0", envID+"/incidents/1772600647",
				"dev.cdevents.incident.detected.0.3.0", envID+"/incidents/flapping/1772600767"),
		},
		"StableHandsBackTheOutage": {
			reason: "stable resolves the flapping incident and opens again the outage still open, named after its start, so that its recovery resolves it.",
			args:   args{e: stable, o: Options{Source: source, Incidents: true, IncidentStart: transition}},
			want: func() signal {
				d := flapData(v1alpha1.LifecycleStable, "Degraded", "no degraded or recovered for 10m0s after 6 of them")
				return incidents(d,
					"dev.cdevents.incident.resolved.0.3.0", envID+"/incidents/flapping/1772600767",
					"dev.cdevents.incident.detected.0.3.0", envID+"/incidents/1772601667")
			}(),
		},
		"Resumed": {
			reason: "resumed is an environment modification.",
			args:   args{e: resumed, o: Options{Source: source, Incidents: true}},
			want:   envOnly(data(v1alpha1.LifecycleResumed, "ReconcileSuccess", "", "")),
		},
	}
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// Every spec version builds them, validated against its schema.
			for _, sv := range []v1alpha1.SpecVersion{v1alpha1.SpecVersion03, v1alpha1.SpecVersion04} {
				o := tc.args.o
				o.SpecVersion = sv
				if _, err := b.Build(subject(), tc.args.e, o); err != nil {
					t.Errorf("b.Build(...) with spec %s: %v", sv, err)
				}
			}
			ces, err := b.Build(subject(), tc.args.e, tc.args.o)
			if err != nil {
				t.Fatalf("b.Build(...): %v", err)
			}
			got := signal{}
			for _, ce := range ces {
				got.Types = append(got.Types, ce.Type())
				got.Subjects = append(got.Subjects, ce.Subject())
			}
			ev, err := Parse(ces[0])
			if err != nil {
				t.Fatalf("Parse(...): %v", err)
			}
			cd := CustomData{}
			if err := ev.GetCustomDataAs(&cd); err != nil {
				t.Fatalf("GetCustomDataAs(...): %v", err)
			}
			got.Data = cd.Crossplane
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nb.Build(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestLinks(t *testing.T) {
	chain := ChainID(subject().Ref.UID)
	degraded := ledgerEvent(v1alpha1.LifecycleDegraded)
	degraded.Previous = "prev-ready-id"
	recovered := ledgerEvent(v1alpha1.LifecycleRecovered)
	recovered.ID, recovered.Previous, recovered.IncidentEvent = "recovered-id", eventID, eventID
	recovered.IncidentStart = &metav1.Time{Time: transition}
	created := ledgerEvent(v1alpha1.LifecycleCreated)
	env := func(kind, id string) []Link {
		return []Link{{LinkKind: kind, Subject: LinkSubject{ID: envID, Type: "environment"}, ContextID: id}}
	}
	// linked is what a test checks of each event: its chainId and links.
	type linked struct {
		ChainID string
		Links   []Link
	}
	type args struct {
		e v1alpha1.LedgerEvent
		o Options
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []linked
	}{
		"First": {
			reason: "The first event of a cluster starts its chain and links to nothing.",
			args:   args{e: created, o: Options{Source: source}},
			want:   []linked{{ChainID: chain}},
		},
		"DegradedOpensIncident": {
			reason: "An environment event follows the cluster's previous event; the incident it opens is caused by it; both are in the cluster's chain.",
			args:   args{e: degraded, o: Options{Source: source, Incidents: true}},
			want:   []linked{{ChainID: chain, Links: env(LinkFollows, "prev-ready-id")}, {ChainID: chain, Links: env(LinkCausedBy, eventID)}},
		},
		"RecoveredResolves": {
			reason: "The resolved incident links to the environment event that opened it.",
			args:   args{e: recovered, o: Options{Source: source, Incidents: true, IncidentStart: transition}},
			want:   []linked{{ChainID: chain, Links: env(LinkFollows, eventID)}, {ChainID: chain, Links: env(LinkCausedBy, eventID)}},
		},
		"Spec03HasNoChain": {
			reason: "CDEvents 0.3 has no chainId; links still travel in customData.",
			args:   args{e: degraded, o: Options{SpecVersion: v1alpha1.SpecVersion03, Source: source}},
			want:   []linked{{Links: env(LinkFollows, "prev-ready-id")}},
		},
	}
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ces, err := b.Build(subject(), tc.args.e, tc.args.o)
			if err != nil {
				t.Fatalf("b.Build(...): %v", err)
			}
			var got []linked
			for _, ce := range ces {
				d := struct {
					Context    struct{ ChainID string } `json:"context"`
					CustomData CustomData               `json:"customData"`
				}{}
				if err := json.Unmarshal(ce.Data(), &d); err != nil {
					t.Fatalf("cannot decode event data: %v", err)
				}
				got = append(got, linked{ChainID: d.Context.ChainID, Links: d.CustomData.Links})
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nb.Build(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
