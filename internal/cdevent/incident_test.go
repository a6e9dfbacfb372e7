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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func TestIncidents(t *testing.T) {
	// The outage starts at the fixture transition, 2026-03-04T05:06:07Z,
	// which is 1772600767 in unix seconds.
	const incidentID = envID + "/incidents/1772600767"
	degraded := ledgerEvent(v1alpha1.LifecycleDegraded)
	degraded.Seq = 3
	recovered := v1alpha1.LedgerEvent{
		Seq:       4,
		ID:        "9a3e2b1c-7d6f-5e4a-8b9c-0d1e2f3a4b5c",
		Lifecycle: v1alpha1.LifecycleRecovered,
		Time:      metav1.NewTime(transition.Add(20 * time.Minute)),
		Reason:    "Available",
		Ready:     "True/Available",
	}
	log := []v1alpha1.LedgerEvent{
		{Seq: 1, ID: "a", Lifecycle: v1alpha1.LifecycleCreated, Time: metav1.NewTime(transition.Add(-2 * time.Hour))},
		{Seq: 2, ID: "b", Lifecycle: v1alpha1.LifecycleReady, Time: metav1.NewTime(transition.Add(-time.Hour))},
		degraded,
		recovered,
	}
	start, ok := IncidentStart(log, recovered.Seq)
	if !ok {
		t.Fatalf("IncidentStart(...): found no start of the outage in %v", log)
	}

	type args struct {
		e v1alpha1.LedgerEvent
		o Options
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []view
	}{
		"Detected": {
			reason: "A degradation should open an incident named after its start, linked to the environment, described by the condition, without artifactId.",
			args:   args{e: degraded, o: Options{Source: source, Incidents: true}},
			want: []view{
				envView("dev.cdevents.environment.modified.0.3.0", "0.5.1", map[string]any{"name": envName, "uri": envURI}),
				{
					ID:             incidentEventID(kindIncidentDetected, eventID),
					Type:           "dev.cdevents.incident.detected.0.3.0",
					Source:         source,
					Subject:        incidentID,
					Time:           transition,
					DataType:       "application/json",
					ContextID:      incidentEventID(kindIncidentDetected, eventID),
					ContextType:    "dev.cdevents.incident.detected.0.3.0",
					ContextVersion: "0.5.1",
					Timestamp:      "2026-03-04T05:06:07Z",
					SubjectID:      incidentID,
					Content: map[string]any{
						"environment": map[string]any{"id": envID},
						"description": "Unavailable: cluster is UPDATING",
					},
				},
			},
		},
		"ResolvedSharesTheIncidentID": {
			reason: "A recovery should resolve the incident its outage opened: the same subject id as the detected event.",
			args:   args{e: recovered, o: Options{Source: source, Incidents: true, IncidentStart: start}},
			want: []view{
				{
					ID: recovered.ID, Type: "dev.cdevents.environment.modified.0.3.0", Source: source, Subject: envID,
					Time: transition.Add(20 * time.Minute), DataType: "application/json",
					ContextID: recovered.ID, ContextType: "dev.cdevents.environment.modified.0.3.0", ContextVersion: "0.5.1",
					Timestamp: "2026-03-04T05:26:07Z", SubjectID: envID,
					Content: map[string]any{"name": envName, "uri": envURI},
				},
				{
					ID:             incidentEventID(kindIncidentResolved, recovered.ID),
					Type:           "dev.cdevents.incident.resolved.0.3.0",
					Source:         source,
					Subject:        incidentID,
					Time:           transition.Add(20 * time.Minute),
					DataType:       "application/json",
					ContextID:      incidentEventID(kindIncidentResolved, recovered.ID),
					ContextType:    "dev.cdevents.incident.resolved.0.3.0",
					ContextVersion: "0.5.1",
					Timestamp:      "2026-03-04T05:26:07Z",
					SubjectID:      incidentID,
					Content: map[string]any{
						"environment": map[string]any{"id": envID},
						"description": "Available",
					},
				},
			},
		},
		"Spec04Detected": {
			reason: "CDEvents 0.4 incidents should be built the same way, with their own type.",
			args:   args{e: degraded, o: Options{SpecVersion: v1alpha1.SpecVersion04, Source: source, Incidents: true}},
			want: []view{
				envView("dev.cdevents.environment.modified.0.2.0", "0.4.1", map[string]any{"name": envName, "url": envURI}),
				{
					ID:             incidentEventID(kindIncidentDetected, eventID),
					Type:           "dev.cdevents.incident.detected.0.2.0",
					Source:         source,
					Subject:        incidentID,
					Time:           transition,
					DataType:       "application/json",
					ContextID:      incidentEventID(kindIncidentDetected, eventID),
					ContextType:    "dev.cdevents.incident.detected.0.2.0",
					ContextVersion: "0.4.1",
					Timestamp:      "2026-03-04T05:06:07Z",
					SubjectID:      incidentID,
					Content: map[string]any{
						"environment": map[string]any{"id": envID},
						"description": "Unavailable: cluster is UPDATING",
					},
				},
			},
		},
		"ResolvedNeedsItsStart": {
			reason: "Without the outage's start the incident cannot be named; only the environment event is built.",
			args:   args{e: recovered, o: Options{Source: source, Incidents: true}},
			want: []view{{
				ID: recovered.ID, Type: "dev.cdevents.environment.modified.0.3.0", Source: source, Subject: envID,
				Time: transition.Add(20 * time.Minute), DataType: "application/json",
				ContextID: recovered.ID, ContextType: "dev.cdevents.environment.modified.0.3.0", ContextVersion: "0.5.1",
				Timestamp: "2026-03-04T05:26:07Z", SubjectID: envID,
				Content: map[string]any{"name": envName, "uri": envURI},
			}},
		},
		"IncidentsOff": {
			reason: "Without Incidents a degradation is only an environment event.",
			args:   args{e: degraded, o: Options{Source: source}},
			want: []view{
				envView("dev.cdevents.environment.modified.0.3.0", "0.5.1", map[string]any{"name": envName, "uri": envURI}),
			},
		},
	}
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := b.Build(subject(), tc.args.e, tc.args.o)
			if err != nil {
				t.Fatalf("b.Build(...): %v", err)
			}
			if diff := cmp.Diff(tc.want, viewsOf(t, got)); diff != "" {
				t.Errorf("\n%s\nb.Build(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestIncidentStart(t *testing.T) {
	at := func(minutes int) metav1.Time {
		return metav1.NewTime(transition.Add(time.Duration(minutes) * time.Minute))
	}
	ev := func(seq int64, l v1alpha1.Lifecycle) v1alpha1.LedgerEvent {
		return v1alpha1.LedgerEvent{Seq: seq, Lifecycle: l, Time: at(int(seq))}
	}
	type args struct {
		events []v1alpha1.LedgerEvent
		seq    int64
	}
	type want struct {
		start time.Time
		found bool
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Degraded": {
			reason: "The outage starts at the degradation just before the recovery.",
			args: args{events: []v1alpha1.LedgerEvent{
				ev(1, v1alpha1.LifecycleCreated), ev(2, v1alpha1.LifecycleReady), ev(3, v1alpha1.LifecycleDegraded), ev(4, v1alpha1.LifecycleRecovered),
			}, seq: 4},
			want: want{start: at(3).Time, found: true},
		},
		"DegradedTwice": {
			reason: "A second degradation during the outage does not start a new one: the earliest counts.",
			args: args{events: []v1alpha1.LedgerEvent{
				ev(2, v1alpha1.LifecycleReady), ev(3, v1alpha1.LifecycleDegraded), ev(4, v1alpha1.LifecycleDegraded), ev(5, v1alpha1.LifecycleRecovered),
			}, seq: 5},
			want: want{start: at(3).Time, found: true},
		},
		"Failed": {
			reason: "A failure opens an outage too.",
			args: args{events: []v1alpha1.LedgerEvent{
				ev(1, v1alpha1.LifecycleCreated), ev(2, v1alpha1.LifecycleFailed), ev(3, v1alpha1.LifecycleRecovered),
			}, seq: 3},
			want: want{start: at(2).Time, found: true},
		},
		"EarlierOutageIgnored": {
			reason: "An outage that already ended is not the one this recovery ends.",
			args: args{events: []v1alpha1.LedgerEvent{
				ev(2, v1alpha1.LifecycleDegraded), ev(3, v1alpha1.LifecycleRecovered), ev(4, v1alpha1.LifecycleUpgraded),
				ev(5, v1alpha1.LifecycleDegraded), ev(6, v1alpha1.LifecycleRecovered), ev(7, v1alpha1.LifecycleDeleting),
			}, seq: 6},
			want: want{start: at(5).Time, found: true},
		},
		"EventNotInLog": {
			reason: "The recovery need not be in the log yet: events before its seq count.",
			args: args{events: []v1alpha1.LedgerEvent{
				ev(2, v1alpha1.LifecycleReady), ev(3, v1alpha1.LifecycleDegraded),
			}, seq: 4},
			want: want{start: at(3).Time, found: true},
		},
		"Pruned": {
			reason: "When the log no longer holds the start there is none to return.",
			args:   args{events: []v1alpha1.LedgerEvent{ev(6, v1alpha1.LifecycleRecovered)}, seq: 6},
			want:   want{},
		},
		"NoOutage": {
			reason: "A recovery right after ready has no outage to close.",
			args:   args{events: []v1alpha1.LedgerEvent{ev(2, v1alpha1.LifecycleReady), ev(3, v1alpha1.LifecycleRecovered)}, seq: 3},
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			start, found := IncidentStart(tc.args.events, tc.args.seq)
			if diff := cmp.Diff(tc.want, want{start: start, found: found}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nIncidentStart(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
