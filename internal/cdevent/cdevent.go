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

// Package cdevent turns one recorded lifecycle transition of a cluster into
// CDEvents wrapped as CloudEvents, and reads them back. It exists so that
// every event the provider sends is built one way: with the ids and
// timestamps the ledger recorded (never random ones, never the send time),
// with only allowlisted details, and validated against the JSON schema of
// its CDEvents type and spec version (0.5, 0.4 or 0.3) before it leaves. It
// also works around the CDEvents SDK's known bugs: no CloudEvents time, an
// incident artifactId that fails validation when absent, and a wrong type
// on custom events.
package cdevent

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/cdevents/sdk-go/pkg/api"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	errNewValidator         = "cannot create the event validator"
	errNoEventID            = "cannot build an event without an id"
	errNoEventTime          = "cannot build an event without a transition time"
	errNoSubjectID          = "cannot build an event without an environment id"
	errFmtUnknownLifecycle  = "cannot map lifecycle %q to a CDEvents type"
	errNoSource             = "cannot use an empty source: CDEvents context.source must be a URI reference"
	errFmtSourceWhitespace  = "cannot use source %q: a URI reference cannot contain spaces or control characters"
	errFmtSourceNotURIRef   = "cannot use source %q: it is not a URI reference"
	errFmtBuild             = "cannot build %s event"
	errSetCustomData        = "cannot set customData"
	errMarshalEvent         = "cannot marshal the CDEvent"
	errDecodeEvent          = "cannot decode the marshalled CDEvent"
	errFmtInvalidCloudEvent = "cannot wrap %s event as a CloudEvent"
)

// Subject is the cluster as its ObservedCluster ledger stores it: what the
// events say about it, besides the transition itself.
type Subject struct {
	// Environment is the cluster as a CDEvents environment. Its ID, already
	// computed by the ledger, is the subject.id of every event.
	Environment v1alpha1.Environment
	// Ref identifies the watched object.
	Ref v1alpha1.ResourceRef
	// Provider is the provider family, such as aws.
	Provider string
	// Facts are the allowlisted details read from the watched object.
	Facts v1alpha1.Facts
}

// Options are what a sink asks of the events it receives.
type Options struct {
	// SpecVersion of CDEvents to produce; empty means 0.5.
	SpecVersion v1alpha1.SpecVersion
	// Source is the CDEvents context.source. It must be a URI reference.
	Source string
	// Incidents adds incident.detected to degraded and failed transitions
	// and incident.resolved to recovered ones.
	Incidents bool
	// IncidentStart is when the outage a recovered transition ends began:
	// the time of the degraded or failed transition that opened it (see
	// IncidentStart). The incident subject id derives from it, so the
	// resolved event names the same incident as the detected one. When it
	// is zero the incident cannot be named and incident.resolved is left
	// out; the environment event is still built.
	IncidentStart time.Time
}

// A Builder makes CloudEvents from recorded transitions. Everything that
// does not depend on the event, such as types and compiled schemas, is
// resolved once when it is made, because delivery builds thousands of
// events per second. A Builder is safe for concurrent use.
type Builder struct {
	specs     map[v1alpha1.SpecVersion]*spec
	validator *Validator
}

// A BuilderOption configures a Builder.
type BuilderOption func(*Builder)

// WithValidator makes the Builder check its events with v, for example one
// that also holds the spec's schema files. By default the Builder checks
// against the schemas embedded in the CDEvents SDK only.
func WithValidator(v *Validator) BuilderOption {
	return func(b *Builder) {
		b.validator = v
	}
}

// NewBuilder returns a Builder for every spec version the provider knows.
func NewBuilder(opts ...BuilderOption) (*Builder, error) {
	b := &Builder{specs: map[v1alpha1.SpecVersion]*spec{}}
	for _, o := range opts {
		o(b)
	}
	if b.validator == nil {
		v, err := NewValidator()
		if err != nil {
			return nil, errors.Wrap(err, errNewValidator)
		}
		b.validator = v
	}
	for sv, c := range specs() {
		s, err := newSpec(c)
		if err != nil {
			return nil, err
		}
		b.specs[sv] = s
	}
	return b, nil
}

// Build returns the CloudEvents of one recorded transition: the environment
// event, followed by an incident event when o.Incidents is set and the
// transition opens or closes an outage. Building the same inputs again
// gives the same events, ids and timestamps included, so a retried,
// replayed or restarted delivery sends what the first one sent. Every event
// is validated against its JSON schema before it is returned.
func (b *Builder) Build(s Subject, e v1alpha1.LedgerEvent, o Options) ([]cloudevents.Event, error) {
	sp, err := b.spec(o.SpecVersion)
	if err != nil {
		return nil, err
	}
	if err := checkSource(o.Source); err != nil {
		return nil, err
	}
	switch {
	case e.ID == "":
		return nil, errors.New(errNoEventID)
	case e.Time.IsZero():
		return nil, errors.New(errNoEventTime)
	case s.Environment.ID == "":
		return nil, errors.New(errNoSubjectID)
	}
	k, ok := environmentKind(e.Lifecycle)
	if !ok {
		return nil, errors.Errorf(errFmtUnknownLifecycle, e.Lifecycle)
	}

	// The ledger persists times with second precision; truncating here
	// gives the same timestamp whether the event is built before or after
	// the ledger round-trips through the API server.
	t := transitionTime(e.Time.Time)
	cd := newCustomData(s, e)
	envData := cd
	envData.Links = environmentLink(LinkFollows, s.Environment.ID, e.Previous)
	uri := ""
	if absoluteURI(s.Environment.URI) {
		uri = s.Environment.URI
	}
	env, err := b.build(draft{
		template:  sp.events[k],
		id:        e.ID,
		source:    o.Source,
		time:      t,
		subjectID: s.Environment.ID,
		chainID:   ChainID(s.Ref.UID),
		data:      envData,
		content: func(ev api.CDEvent) {
			setEnvironmentContent(ev, s.Environment.Name, uri)
		},
	})
	if err != nil {
		return nil, err
	}
	if !o.Incidents {
		return []cloudevents.Event{env}, nil
	}
	out := []cloudevents.Event{env}
	for _, m := range incidentMoves(e, o, t) {
		inc, err := b.incident(sp, s, e, o, t, cd, m)
		if err != nil {
			return nil, err
		}
		out = append(out, inc)
	}
	return out, nil
}

// An incidentMove is one incident event a transition makes: the kind,
// the incident's class and start, which name it, and the environment event
// that opened it.
type incidentMove struct {
	kind   kind
	class  incidentClass
	start  time.Time
	opener string
}

// incidentMoves lists the incident events a transition makes, in order:
//
//   - degraded and failed open an outage, outOfSync an out-of-sync
//     incident, each named after the transition's time;
//   - recovered, ready after a failed create and inSync resolve the one
//     that began at o.IncidentStart (nothing when it is unknown);
//   - flapping resolves the outage its trigger would have ended, if any,
//     and opens a flapping incident; stable resolves that and opens again
//     the outage still open, whose degraded event damped sinks never got.
func incidentMoves(e v1alpha1.LedgerEvent, o Options, t time.Time) []incidentMove {
	resolved := func(class incidentClass) []incidentMove {
		if o.IncidentStart.IsZero() {
			return nil
		}
		return []incidentMove{{kind: kindIncidentResolved, class: class, start: transitionTime(o.IncidentStart), opener: e.IncidentEvent}}
	}
	switch e.Lifecycle { //nolint:exhaustive // Only these open or close an incident.
	case v1alpha1.LifecycleDegraded, v1alpha1.LifecycleFailed:
		return []incidentMove{{kind: kindIncidentDetected, class: incidentOutage, start: t, opener: e.ID}}
	case v1alpha1.LifecycleOutOfSync:
		return []incidentMove{{kind: kindIncidentDetected, class: incidentOutOfSync, start: t, opener: e.ID}}
	case v1alpha1.LifecycleRecovered, v1alpha1.LifecycleReady:
		return resolved(incidentOutage)
	case v1alpha1.LifecycleInSync:
		return resolved(incidentOutOfSync)
	case v1alpha1.LifecycleFlapping:
		return append(resolved(incidentOutage), incidentMove{kind: kindIncidentDetected, class: incidentFlapping, start: t, opener: e.ID})
	case v1alpha1.LifecycleStable:
		moves := resolved(incidentFlapping)
		if oi := e.OpenIncident; oi != nil {
			moves = append(moves, incidentMove{kind: kindIncidentDetected, class: incidentOutage, start: transitionTime(oi.Start.Time), opener: oi.Event})
		}
		return moves
	}
	return nil
}

// incident builds one incident event of a transition.
func (b *Builder) incident(sp *spec, s Subject, e v1alpha1.LedgerEvent, o Options, t time.Time,
	cd CustomData, m incidentMove) (cloudevents.Event, error) {
	envRef := &api.Reference{Id: s.Environment.ID}
	desc := description(e)
	cd.Links = environmentLink(LinkCausedBy, s.Environment.ID, m.opener)
	return b.build(draft{
		template:  sp.events[m.kind],
		id:        incidentEventID(m.kind, e.ID),
		source:    o.Source,
		time:      t,
		subjectID: incidentSubjectID(s.Environment.ID, m.class, m.start),
		chainID:   ChainID(s.Ref.UID),
		data:      cd,
		content: func(ev api.CDEvent) {
			if is, ok := ev.(incidentSetter); ok {
				is.SetSubjectEnvironment(envRef)
				is.SetSubjectDescription(desc)
			}
		},
	})
}

// A draft is everything one event is built from.
type draft struct {
	template  eventTemplate
	id        string
	source    string
	time      time.Time
	subjectID string
	// chainID is set on the versions that have context.chainId (0.4+).
	chainID string
	data    any
	// content fills the kind-specific subject content.
	content func(api.CDEvent)
}

// build makes, validates and wraps one event. The CDEvent is marshalled
// once: the same bytes are validated and become the CloudEvent's data.
func (b *Builder) build(d draft) (cloudevents.Event, error) {
	typ := d.template.typ
	ev, err := d.template.newEvent()
	if err != nil {
		return cloudevents.Event{}, errors.Wrapf(err, errFmtBuild, typ)
	}
	ev.SetId(d.id)
	ev.SetSource(d.source)
	ev.SetTimestamp(d.time)
	ev.SetSubjectId(d.subjectID)
	if w, ok := ev.(api.CDEventWriterV04); ok && d.chainID != "" {
		w.SetChainId(d.chainID)
	}
	d.content(ev)
	if err := ev.SetCustomData(cloudevents.ApplicationJSON, d.data); err != nil {
		return cloudevents.Event{}, errors.Wrap(err, errSetCustomData)
	}
	data, err := json.Marshal(ev)
	if err != nil {
		return cloudevents.Event{}, errors.Wrap(err, errMarshalEvent)
	}
	// Plain Unmarshal is faster than the schema library's decoder, and
	// exact enough: the events the provider builds hold no numbers.
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		return cloudevents.Event{}, errors.Wrap(err, errDecodeEvent)
	}
	if err := b.validator.validateDocument(d.template.schemaID, d.template.schema, doc); err != nil {
		return cloudevents.Event{}, err
	}

	ce := cloudevents.NewEvent()
	ce.SetID(d.id)
	ce.SetSource(d.source)
	ce.SetType(typ)
	ce.SetSubject(d.subjectID)
	ce.SetTime(d.time)
	ce.SetDataContentType(cloudevents.ApplicationJSON)
	// Set directly rather than with SetData, which would either marshal
	// the event again or, given bytes, mark the data base64 and send it as
	// data_base64 in structured mode.
	ce.DataEncoded = data
	ce.DataBase64 = false
	if err := ce.Validate(); err != nil {
		return cloudevents.Event{}, errors.Wrapf(err, errFmtInvalidCloudEvent, typ)
	}
	return ce, nil
}

// spec returns the spec of a version, 0.5 when it is empty.
func (b *Builder) spec(v v1alpha1.SpecVersion) (*spec, error) {
	if v == "" {
		v = v1alpha1.SpecVersion05
	}
	s, ok := b.specs[v]
	if !ok {
		return nil, errors.Errorf(errFmtUnknownSpecVersion, v)
	}
	return s, nil
}

// environmentKind maps a lifecycle to its environment event. CDEvents has
// no predicate for ready, upgraded, degraded and the like: they are
// modifications, told apart by customData.
func environmentKind(l v1alpha1.Lifecycle) (kind, bool) {
	switch l {
	case v1alpha1.LifecycleCreated:
		return kindEnvironmentCreated, true
	case v1alpha1.LifecycleDeleted:
		return kindEnvironmentDeleted, true
	case v1alpha1.LifecycleReady, v1alpha1.LifecycleUpgraded, v1alpha1.LifecycleDegraded,
		v1alpha1.LifecycleRecovered, v1alpha1.LifecycleFailed, v1alpha1.LifecycleDeleting,
		v1alpha1.LifecycleOutOfSync, v1alpha1.LifecycleInSync, v1alpha1.LifecyclePaused, v1alpha1.LifecycleResumed,
		v1alpha1.LifecycleFlapping, v1alpha1.LifecycleStable:
		return kindEnvironmentModified, true
	}
	return 0, false
}

// setEnvironmentContent fills what the environment event of each spec
// version has: a name, and a uri (0.5) or url (0.3, 0.4) except on
// environment.deleted.
func setEnvironmentContent(ev api.CDEvent, name, uri string) {
	if n, ok := ev.(nameSetter); ok && name != "" {
		n.SetSubjectName(name)
	}
	if uri == "" {
		return
	}
	switch s := ev.(type) {
	case uriSetter:
		s.SetSubjectUri(uri)
	case urlSetter:
		s.SetSubjectUrl(uri)
	}
}

// transitionTime is t as events carry it: UTC, whole seconds.
func transitionTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Second)
}

// checkSource rejects a source that is not a URI reference. The SDK checks
// this with validation tags that cannot be used here (they fail on the
// incident artifactId), and the JSON schemas do not assert formats.
func checkSource(s string) error {
	if s == "" {
		return errors.New(errNoSource)
	}
	if strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return errors.Errorf(errFmtSourceWhitespace, s)
	}
	if _, err := url.Parse(s); err != nil {
		return errors.Wrapf(err, errFmtSourceNotURIRef, s)
	}
	return nil
}

// absoluteURI tells whether s is an absolute URI with a host, the only
// kind of content.uri a consumer can use to reach a cluster.
func absoluteURI(s string) bool {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Host != ""
}
