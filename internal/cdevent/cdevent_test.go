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
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	envID     = "/my-control-plane/eks.aws.m.upbound.io/Cluster/team-a/prod-1"
	envName   = "prod-1-external"
	envURI    = "https://ABCDEF.gr7.us-east-1.eks.amazonaws.com"
	source    = "/crossplane/my-control-plane"
	eventID   = "5f1bd3f4-5e0c-5a4e-9d3b-2b7c8b9f0a11"
	specTypes = "dev.cdevents."
)

// transition is the time of the fixture transition.
var transition = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func subject() Subject {
	return Subject{
		Environment: v1alpha1.Environment{ID: envID, Name: envName, URI: envURI},
		Ref: v1alpha1.ResourceRef{
			APIVersion: "eks.aws.m.upbound.io/v1beta1",
			Kind:       "Cluster",
			Namespace:  "team-a",
			Name:       "prod-1",
			UID:        "6c1b2a9e-0d4f-4b8e-9a57-3f2d1c0b9e8d",
		},
		Provider: "aws",
		Facts: v1alpha1.Facts{
			ExternalName:      envName,
			CloudID:           "arn:aws:eks:us-east-1:123456789012:cluster/prod-1-external",
			Endpoint:          envURI,
			KubernetesVersion: "1.31",
			Region:            "us-east-1",
			CloudState:        "ACTIVE",
		},
	}
}

func ledgerEvent(l v1alpha1.Lifecycle) v1alpha1.LedgerEvent {
	return v1alpha1.LedgerEvent{
		Seq:       3,
		ID:        eventID,
		Lifecycle: l,
		Type:      "environment.modified",
		Time:      metav1.NewTime(transition),
		Reason:    "Unavailable",
		Message:   "cluster is UPDATING",
		Ready:     "False/Unavailable",
		Synced:    "True/ReconcileSuccess",
	}
}

// view is what a test checks of a built CloudEvent: its attributes and the
// CDEvent it carries.
type view struct {
	ID             string
	Type           string
	Source         string
	Subject        string
	Time           time.Time
	DataType       string
	ContextID      string
	ContextType    string
	ContextVersion string
	Timestamp      string
	SubjectID      string
	Content        map[string]any
}

func viewOf(t *testing.T, ce cloudevents.Event) view {
	t.Helper()
	d := struct {
		Context map[string]any `json:"context"`
		Subject struct {
			ID      string         `json:"id"`
			Content map[string]any `json:"content"`
		} `json:"subject"`
	}{}
	if err := json.Unmarshal(ce.Data(), &d); err != nil {
		t.Fatalf("cannot decode event data: %v", err)
	}
	version, _ := d.Context["specversion"].(string)
	if version == "" {
		version, _ = d.Context["version"].(string)
	}
	id, _ := d.Context["id"].(string)
	typ, _ := d.Context["type"].(string)
	ts, _ := d.Context["timestamp"].(string)
	return view{
		ID:             ce.ID(),
		Type:           ce.Type(),
		Source:         ce.Source(),
		Subject:        ce.Subject(),
		Time:           ce.Time(),
		DataType:       ce.DataContentType(),
		ContextID:      id,
		ContextType:    typ,
		ContextVersion: version,
		Timestamp:      ts,
		SubjectID:      d.Subject.ID,
		Content:        d.Subject.Content,
	}
}

func viewsOf(t *testing.T, ces []cloudevents.Event) []view {
	t.Helper()
	if ces == nil {
		return nil
	}
	vs := make([]view, 0, len(ces))
	for _, ce := range ces {
		vs = append(vs, viewOf(t, ce))
	}
	return vs
}

// envView is the expected view of an environment event of the fixture.
func envView(typ, version string, content map[string]any) view {
	return view{
		ID:             eventID,
		Type:           typ,
		Source:         source,
		Subject:        envID,
		Time:           transition,
		DataType:       cloudevents.ApplicationJSON,
		ContextID:      eventID,
		ContextType:    typ,
		ContextVersion: version,
		Timestamp:      "2026-03-04T05:06:07Z",
		SubjectID:      envID,
		Content:        content,
	}
}

func TestBuild(t *testing.T) {
	_, errURL := url.Parse("http://[::1") //nolint:staticcheck // Deliberately invalid, to get the parser's error.

	type args struct {
		s Subject
		e v1alpha1.LedgerEvent
		o Options
	}
	type want struct {
		events []view
		err    error
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"DefaultSpecVersionIs05": {
			reason: "An empty spec version should produce CDEvents 0.5.1, with content.uri.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{Source: source}},
			want: want{events: []view{
				envView("dev.cdevents.environment.modified.0.3.0", "0.5.1", map[string]any{"name": envName, "uri": envURI}),
			}},
		},
		"Created": {
			reason: "A created transition should be an environment.created event.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleCreated), o: Options{SpecVersion: v1alpha1.SpecVersion05, Source: source}},
			want: want{events: []view{
				envView("dev.cdevents.environment.created.0.3.0", "0.5.1", map[string]any{"name": envName, "uri": envURI}),
			}},
		},
		"DeletedHasNameOnly": {
			reason: "environment.deleted has no uri, even when the endpoint is known.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleDeleted), o: Options{Source: source}},
			want: want{events: []view{
				envView("dev.cdevents.environment.deleted.0.3.0", "0.5.1", map[string]any{"name": envName}),
			}},
		},
		"Spec04UsesURL": {
			reason: "CDEvents 0.4 environments have content.url, not content.uri.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleCreated), o: Options{SpecVersion: v1alpha1.SpecVersion04, Source: source}},
			want: want{events: []view{
				envView("dev.cdevents.environment.created.0.2.0", "0.4.1", map[string]any{"name": envName, "url": envURI}),
			}},
		},
		"Spec03UsesURL": {
			reason: "CDEvents 0.3 environments have content.url and a version field in the context.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleUpgraded), o: Options{SpecVersion: v1alpha1.SpecVersion03, Source: source}},
			want: want{events: []view{
				envView("dev.cdevents.environment.modified.0.1.1", "0.3.0", map[string]any{"name": envName, "url": envURI}),
			}},
		},
		"URIOmittedWhenNotAbsolute": {
			reason: "A bare IP endpoint is not an absolute URI and should be left out of content.",
			args: args{
				s: func() Subject { s := subject(); s.Environment.URI = "34.118.2.10"; return s }(),
				e: ledgerEvent(v1alpha1.LifecycleReady),
				o: Options{Source: source},
			},
			want: want{events: []view{
				envView("dev.cdevents.environment.modified.0.3.0", "0.5.1", map[string]any{"name": envName}),
			}},
		},
		"URIOmittedWhenHostless": {
			reason: "A URI with a scheme but no host cannot reach a cluster and should be left out.",
			args: args{
				s: func() Subject { s := subject(); s.Environment.URI = "https:/no-host"; return s }(),
				e: ledgerEvent(v1alpha1.LifecycleReady),
				o: Options{SpecVersion: v1alpha1.SpecVersion04, Source: source},
			},
			want: want{events: []view{
				envView("dev.cdevents.environment.modified.0.2.0", "0.4.1", map[string]any{"name": envName}),
			}},
		},
		"TimeIsTheTransitionTime": {
			reason: "context.timestamp and the CloudEvents time are the transition's, in UTC and whole seconds like the stored ledger, never the send time.",
			args: args{
				s: subject(),
				e: func() v1alpha1.LedgerEvent {
					e := ledgerEvent(v1alpha1.LifecycleReady)
					e.Time = metav1.NewTime(transition.Add(999 * time.Millisecond).In(time.FixedZone("CET", 3600)))
					return e
				}(),
				o: Options{Source: source},
			},
			want: want{events: []view{
				envView("dev.cdevents.environment.modified.0.3.0", "0.5.1", map[string]any{"name": envName, "uri": envURI}),
			}},
		},
		"AbsoluteSource": {
			reason: "An absolute URI is a valid source.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{Source: "https://cp.example.com/provider-cdevents"}},
			want: want{events: func() []view {
				v := envView("dev.cdevents.environment.modified.0.3.0", "0.5.1", map[string]any{"name": envName, "uri": envURI})
				v.Source = "https://cp.example.com/provider-cdevents"
				return []view{v}
			}()},
		},
		"UnknownSpecVersion": {
			reason: "A spec version the provider does not produce should be rejected.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{SpecVersion: "0.6", Source: source}},
			want:   want{err: errors.Errorf(errFmtUnknownSpecVersion, "0.6")},
		},
		"EmptySource": {
			reason: "context.source is required.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{}},
			want:   want{err: errors.New(errNoSource)},
		},
		"SourceWithSpace": {
			reason: "A URI reference cannot contain spaces.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{Source: "/my control plane"}},
			want:   want{err: errors.Errorf(errFmtSourceWhitespace, "/my control plane")},
		},
		"SourceNotURIReference": {
			reason: "A source that does not parse as a URI reference should be rejected with the parser's reason.",
			args:   args{s: subject(), e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{Source: "http://[::1"}},
			want:   want{err: errors.Wrapf(errURL, errFmtSourceNotURIRef, "http://[::1")},
		},
		"NoEventID": {
			reason: "An event without the ledger's id would get a random one; refuse it.",
			args: args{s: subject(), e: func() v1alpha1.LedgerEvent {
				e := ledgerEvent(v1alpha1.LifecycleReady)
				e.ID = ""
				return e
			}(), o: Options{Source: source}},
			want: want{err: errors.New(errNoEventID)},
		},
		"NoEventTime": {
			reason: "An event without a transition time would get year 1; refuse it.",
			args: args{s: subject(), e: func() v1alpha1.LedgerEvent {
				e := ledgerEvent(v1alpha1.LifecycleReady)
				e.Time = metav1.Time{}
				return e
			}(), o: Options{Source: source}},
			want: want{err: errors.New(errNoEventTime)},
		},
		"NoEnvironmentID": {
			reason: "subject.id is required.",
			args: args{s: func() Subject {
				s := subject()
				s.Environment.ID = ""
				return s
			}(), e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{Source: source}},
			want: want{err: errors.New(errNoSubjectID)},
		},
		"UnknownLifecycle": {
			reason: "A lifecycle without a mapping should be rejected, not guessed.",
			args:   args{s: subject(), e: ledgerEvent("exploded"), o: Options{Source: source}},
			want:   want{err: errors.Errorf(errFmtUnknownLifecycle, "exploded")},
		},
	}
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := b.Build(tc.args.s, tc.args.e, tc.args.o)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nb.Build(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.events, viewsOf(t, got)); diff != "" {
				t.Errorf("\n%s\nb.Build(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestBuildEveryLifecycle builds every lifecycle in every spec version, with
// incidents on, and checks each event's type and its validity.
func TestBuildEveryLifecycle(t *testing.T) {
	// The CDEvents types of the spec versions, as the spec names them.
	types := map[v1alpha1.SpecVersion]map[string]string{
		v1alpha1.SpecVersion05: {
			"created": "environment.created.0.3.0", "modified": "environment.modified.0.3.0", "deleted": "environment.deleted.0.3.0",
			"detected": "incident.detected.0.3.0", "resolved": "incident.resolved.0.3.0",
		},
		v1alpha1.SpecVersion04: {
			"created": "environment.created.0.2.0", "modified": "environment.modified.0.2.0", "deleted": "environment.deleted.0.2.0",
			"detected": "incident.detected.0.2.0", "resolved": "incident.resolved.0.2.0",
		},
		v1alpha1.SpecVersion03: {
			"created": "environment.created.0.1.1", "modified": "environment.modified.0.1.1", "deleted": "environment.deleted.0.1.1",
			"detected": "incident.detected.0.1.0", "resolved": "incident.resolved.0.1.0",
		},
	}
	// What each lifecycle produces, with incidents on.
	produces := map[v1alpha1.Lifecycle][]string{
		v1alpha1.LifecycleCreated:   {"created"},
		v1alpha1.LifecycleReady:     {"modified", "resolved"}, // ready after a failed create ends its incident
		v1alpha1.LifecycleUpgraded:  {"modified"},
		v1alpha1.LifecycleDegraded:  {"modified", "detected"},
		v1alpha1.LifecycleRecovered: {"modified", "resolved"},
		v1alpha1.LifecycleFailed:    {"modified", "detected"},
		v1alpha1.LifecycleDeleting:  {"modified"},
		v1alpha1.LifecycleDeleted:   {"deleted"},
	}
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	v, err := NewValidator()
	if err != nil {
		t.Fatalf("NewValidator(): %v", err)
	}
	for sv, typ := range types {
		for l, kinds := range produces {
			t.Run(string(sv)+"/"+string(l), func(t *testing.T) {
				o := Options{SpecVersion: sv, Source: source, Incidents: true, IncidentStart: transition.Add(-time.Hour)}
				got, err := b.Build(subject(), ledgerEvent(l), o)
				if err != nil {
					t.Fatalf("b.Build(...): %v", err)
				}
				want := make([]string, 0, len(kinds))
				for _, k := range kinds {
					want = append(want, specTypes+typ[k])
				}
				gotTypes := make([]string, 0, len(got))
				for _, ce := range got {
					gotTypes = append(gotTypes, ce.Type())
					if err := v.Validate(ce); err != nil {
						t.Errorf("v.Validate(%s): %v", ce.Type(), err)
					}
				}
				if diff := cmp.Diff(want, gotTypes); diff != "" {
					t.Errorf("\nb.Build(%s, %s): -want types, +got types:\n%s", sv, l, diff)
				}
			})
		}
	}
}

func TestBuildDeterministic(t *testing.T) {
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	o := Options{Source: source, Incidents: true}
	build := func(e v1alpha1.LedgerEvent) []cloudevents.Event {
		t.Helper()
		got, err := b.Build(subject(), e, o)
		if err != nil {
			t.Fatalf("b.Build(...): %v", err)
		}
		return got
	}
	first := build(ledgerEvent(v1alpha1.LifecycleDegraded))
	again := build(ledgerEvent(v1alpha1.LifecycleDegraded))

	// Retried: the very same events, byte for byte.
	if diff := cmp.Diff(marshalAll(t, first), marshalAll(t, again)); diff != "" {
		t.Errorf("\nBuilding the same transition twice should give the same events.\nb.Build(...): -first, +again:\n%s", diff)
	}

	// Another degradation, later: another incident with other ids.
	later := ledgerEvent(v1alpha1.LifecycleDegraded)
	later.ID = "0b7f4e8e-3c4b-5d0e-8f5a-6e1d2c3b4a59"
	later.Time = metav1.NewTime(transition.Add(time.Hour))
	other := build(later)
	if first[1].ID() == other[1].ID() {
		t.Errorf("Incidents of different transitions should have different context ids, both got %q", first[1].ID())
	}
	if first[1].Subject() == other[1].Subject() {
		t.Errorf("Incidents that start at different times should have different subject ids, both got %q", first[1].Subject())
	}
	if first[0].ID() == first[1].ID() {
		t.Errorf("The incident should not reuse the environment event's id %q", first[0].ID())
	}
}

func marshalAll(t *testing.T, ces []cloudevents.Event) []string {
	t.Helper()
	out := make([]string, 0, len(ces))
	for _, ce := range ces {
		b, err := json.Marshal(ce)
		if err != nil {
			t.Fatalf("json.Marshal(...): %v", err)
		}
		out = append(out, string(b))
	}
	return out
}

func TestStructuredEncodingCarriesJSON(t *testing.T) {
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	got, err := b.Build(subject(), ledgerEvent(v1alpha1.LifecycleReady), Options{Source: source})
	if err != nil {
		t.Fatalf("b.Build(...): %v", err)
	}
	raw, err := json.Marshal(got[0])
	if err != nil {
		t.Fatalf("json.Marshal(...): %v", err)
	}
	envelope := map[string]json.RawMessage{}
	if err := json.Unmarshal(raw, &envelope); err != nil {
		t.Fatalf("json.Unmarshal(...): %v", err)
	}
	_, hasData := envelope["data"]
	_, hasBase64 := envelope["data_base64"]
	if diff := cmp.Diff([]bool{true, false}, []bool{hasData, hasBase64}); diff != "" {
		t.Errorf("\nIn structured mode the CDEvent should be JSON under data, not base64 under data_base64.\njson.Marshal(...): -want [data, data_base64], +got:\n%s", diff)
	}
}

// customDataOf returns the decoded customData.crossplane of an event.
func customDataOf(t *testing.T, ce cloudevents.Event) map[string]any {
	t.Helper()
	d := struct {
		CustomData            map[string]map[string]any `json:"customData"`
		CustomDataContentType string                    `json:"customDataContentType"`
	}{}
	if err := json.Unmarshal(ce.Data(), &d); err != nil {
		t.Fatalf("cannot decode event data: %v", err)
	}
	if d.CustomDataContentType != cloudevents.ApplicationJSON {
		t.Errorf("customDataContentType: want %q, got %q", cloudevents.ApplicationJSON, d.CustomDataContentType)
	}
	if len(d.CustomData) != 1 {
		t.Errorf("customData should have only the %q key, got %d keys", CustomDataKey, len(d.CustomData))
	}
	return d.CustomData[CustomDataKey]
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestCustomData(t *testing.T) {
	full := func() v1alpha1.LedgerEvent {
		e := ledgerEvent(v1alpha1.LifecycleUpgraded)
		e.KubernetesVersion = "1.32"
		e.PreviousVersion = "1.31"
		e.Replayed = true
		return e
	}
	type args struct {
		s Subject
		e v1alpha1.LedgerEvent
	}
	type want struct {
		keys   []string
		values map[string]any
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"EveryAllowlistedKey": {
			reason: "With every detail known, customData should have exactly the allowlisted keys.",
			args:   args{s: subject(), e: full()},
			want: want{
				keys: []string{
					"apiVersion", "cloudId", "conditions", "endpoint", "externalName", "kind", "kubernetesVersion", "lifecycle",
					"message", "name", "namespace", "previousVersion", "provider", "reason", "region", "replayed", "uid",
				},
				values: map[string]any{
					"apiVersion":        "eks.aws.m.upbound.io/v1beta1",
					"cloudId":           "arn:aws:eks:us-east-1:123456789012:cluster/prod-1-external",
					"conditions":        map[string]any{"ready": "False/Unavailable", "synced": "True/ReconcileSuccess"},
					"endpoint":          envURI,
					"externalName":      envName,
					"kind":              "Cluster",
					"kubernetesVersion": "1.32",
					"lifecycle":         "upgraded",
					"message":           "cluster is UPDATING",
					"name":              "prod-1",
					"namespace":         "team-a",
					"previousVersion":   "1.31",
					"provider":          "aws",
					"reason":            "Unavailable",
					"region":            "us-east-1",
					"replayed":          true,
					"uid":               "6c1b2a9e-0d4f-4b8e-9a57-3f2d1c0b9e8d",
				},
			},
		},
		"Minimal": {
			reason: "A cluster-scoped object with nothing known beyond its identity should have only the identity keys: no empty namespace, no replayed=false, and the version from the facts.",
			args: args{
				s: Subject{
					Environment: v1alpha1.Environment{ID: envID},
					Ref:         v1alpha1.ResourceRef{APIVersion: "container.gcp.upbound.io/v1beta2", Kind: "Cluster", Name: "gke-1", UID: "u-1"},
					Facts:       v1alpha1.Facts{KubernetesVersion: "1.30.5-gke.1"},
				},
				e: v1alpha1.LedgerEvent{ID: eventID, Lifecycle: v1alpha1.LifecycleCreated, Time: metav1.NewTime(transition)},
			},
			want: want{
				keys: []string{"apiVersion", "kind", "kubernetesVersion", "lifecycle", "name", "uid"},
				values: map[string]any{
					"apiVersion":        "container.gcp.upbound.io/v1beta2",
					"kind":              "Cluster",
					"kubernetesVersion": "1.30.5-gke.1",
					"lifecycle":         "created",
					"name":              "gke-1",
					"uid":               "u-1",
				},
			},
		},
	}
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := b.Build(tc.args.s, tc.args.e, Options{Source: source})
			if err != nil {
				t.Fatalf("b.Build(...): %v", err)
			}
			cd := customDataOf(t, got[0])
			if diff := cmp.Diff(tc.want.keys, keys(cd)); diff != "" {
				t.Errorf("\n%s\nb.Build(...): customData keys: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.values, cd); diff != "" {
				t.Errorf("\n%s\nb.Build(...): customData: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCustomDataLeaksNothing(t *testing.T) {
	const planted = "PLANTED-b9d1e0c4"
	s := subject()
	s.Facts.CloudState = planted
	e := ledgerEvent(v1alpha1.LifecycleDegraded)
	e.Type = planted

	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	for _, sv := range []v1alpha1.SpecVersion{v1alpha1.SpecVersion05, v1alpha1.SpecVersion04, v1alpha1.SpecVersion03} {
		got, err := b.Build(s, e, Options{SpecVersion: sv, Source: source, Incidents: true})
		if err != nil {
			t.Fatalf("b.Build(...): %v", err)
		}
		for _, ce := range got {
			if strings.Contains(string(ce.Data()), planted) || strings.Contains(ce.String(), planted) {
				t.Errorf("%s %s: a value planted in fields outside the allowlist (cloud state, ledger type) leaked into the event:\n%s", sv, ce.Type(), ce.Data())
			}
		}
	}
}
