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
	"strings"

	"github.com/cdevents/sdk-go/pkg/api"
	v03 "github.com/cdevents/sdk-go/pkg/api/v03"
	v04 "github.com/cdevents/sdk-go/pkg/api/v04"
	v05 "github.com/cdevents/sdk-go/pkg/api/v05"
	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	errFmtUnknownSpecVersion = "cannot produce CDEvents spec version %q: known versions are 0.5, 0.4 and 0.3"
	errFmtNewEvent           = "cannot create %s event"
	errFmtSchema             = "cannot find the embedded JSON schema of %s event"
)

// kind is one of the CDEvents event kinds the provider produces, whatever
// the spec version.
type kind int

// Event kinds.
const (
	kindEnvironmentCreated kind = iota
	kindEnvironmentModified
	kindEnvironmentDeleted
	kindIncidentDetected
	kindIncidentResolved
	numKinds
)

// constructors create an empty event of each kind for one spec version.
type constructors [numKinds]func() (api.CDEvent, error)

// An eventTemplate is everything about one event kind of one spec version
// that does not depend on the event: resolved once, when a Builder is made.
type eventTemplate struct {
	newEvent func() (api.CDEvent, error)
	typ      string
	schemaID string
	schema   *jsonschema.Schema
}

// A spec is one CDEvents specification version the provider produces.
type spec struct {
	events [numKinds]eventTemplate
}

// newSpec resolves the type and embedded schema of every event kind once,
// so that building an event costs no lookups.
func newSpec(c constructors) (*spec, error) {
	s := &spec{}
	for k, fn := range c {
		ev, err := fn()
		if err != nil {
			return nil, errors.Wrapf(err, errFmtNewEvent, kind(k))
		}
		id, sch, err := ev.GetSchema()
		if err != nil {
			return nil, errors.Wrapf(err, errFmtSchema, ev.GetType().String())
		}
		s.events[k] = eventTemplate{newEvent: fn, typ: ev.GetType().String(), schemaID: id, schema: sch}
	}
	return s, nil
}

// String names the kind as CDEvents does, without version.
func (k kind) String() string {
	switch k {
	case kindEnvironmentCreated:
		return "environment.created"
	case kindEnvironmentModified:
		return "environment.modified"
	case kindEnvironmentDeleted:
		return "environment.deleted"
	case kindIncidentDetected:
		return "incident.detected"
	case kindIncidentResolved:
		return "incident.resolved"
	case numKinds:
	}
	return "unknown"
}

// specs returns the spec versions the provider produces, each with its
// constructors from the matching SDK package.
func specs() map[v1alpha1.SpecVersion]constructors {
	return map[v1alpha1.SpecVersion]constructors{
		v1alpha1.SpecVersion05: {
			kindEnvironmentCreated:  func() (api.CDEvent, error) { return v05.NewEnvironmentCreatedEvent() },
			kindEnvironmentModified: func() (api.CDEvent, error) { return v05.NewEnvironmentModifiedEvent() },
			kindEnvironmentDeleted:  func() (api.CDEvent, error) { return v05.NewEnvironmentDeletedEvent() },
			kindIncidentDetected:    func() (api.CDEvent, error) { return v05.NewIncidentDetectedEvent() },
			kindIncidentResolved:    func() (api.CDEvent, error) { return v05.NewIncidentResolvedEvent() },
		},
		v1alpha1.SpecVersion04: {
			kindEnvironmentCreated:  func() (api.CDEvent, error) { return v04.NewEnvironmentCreatedEvent() },
			kindEnvironmentModified: func() (api.CDEvent, error) { return v04.NewEnvironmentModifiedEvent() },
			kindEnvironmentDeleted:  func() (api.CDEvent, error) { return v04.NewEnvironmentDeletedEvent() },
			kindIncidentDetected:    func() (api.CDEvent, error) { return v04.NewIncidentDetectedEvent() },
			kindIncidentResolved:    func() (api.CDEvent, error) { return v04.NewIncidentResolvedEvent() },
		},
		v1alpha1.SpecVersion03: {
			kindEnvironmentCreated:  func() (api.CDEvent, error) { return v03.NewEnvironmentCreatedEvent() },
			kindEnvironmentModified: func() (api.CDEvent, error) { return v03.NewEnvironmentModifiedEvent() },
			kindEnvironmentDeleted:  func() (api.CDEvent, error) { return v03.NewEnvironmentDeletedEvent() },
			kindIncidentDetected:    func() (api.CDEvent, error) { return v03.NewIncidentDetectedEvent() },
			kindIncidentResolved:    func() (api.CDEvent, error) { return v03.NewIncidentResolvedEvent() },
		},
	}
}

// parserFor returns the SDK reader of the spec version named in an event's
// context (0.5.x, 0.4.x or 0.3.x), which accepts every event kind. Reading
// with the matching package matters: the packages accept each other's
// payloads but drop the fields their own version lacks (0.4 content.url
// read as 0.5 loses the url).
func parserFor(version string) (func([]byte) (api.CDEvent, error), bool) {
	switch {
	case strings.HasPrefix(version, "0.5."):
		return func(b []byte) (api.CDEvent, error) { return v05.NewFromJsonBytes(b) }, true
	case strings.HasPrefix(version, "0.4."):
		return func(b []byte) (api.CDEvent, error) { return v04.NewFromJsonBytes(b) }, true
	case strings.HasPrefix(version, "0.3."):
		return v03.NewFromJsonBytes, true
	}
	return nil, false
}

// The subject content setters differ between event kinds and spec
// versions; these small interfaces pick the ones an event has.
type (
	nameSetter interface{ SetSubjectName(name string) }
	// uriSetter is environment 0.3.0 (spec 0.5).
	uriSetter interface{ SetSubjectUri(uri string) }
	// urlSetter is environment 0.1.1 and 0.2.0 (spec 0.3 and 0.4).
	urlSetter      interface{ SetSubjectUrl(url string) }
	incidentSetter interface {
		SetSubjectDescription(description string)
		SetSubjectEnvironment(environment *api.Reference)
	}
)
