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
	"strings"
	"time"

	"github.com/cdevents/sdk-go/pkg/api"
	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	errFmtParseContentType = "cannot parse data of content type %q: CDEvents are application/json"
	errParseContext        = "cannot read the CDEvent context"
	errFmtParseSpecVersion = "cannot parse CDEvents spec version %q: known versions are 0.5.x, 0.4.x and 0.3.x"
	errFmtParseEvent       = "cannot parse CDEvent of spec version %s"
	errFmtParseMismatch    = "CloudEvent %s %q does not match the CDEvent's %q"
)

// Parse reads the CDEvent a CloudEvent carries, whichever spec version
// (0.5, 0.4 or 0.3) produced it, with the SDK package of that version. It
// is for receivers and tests. The CloudEvent's id and type must be the
// CDEvent's; a mismatch means the event was altered on the way.
func Parse(ce cloudevents.Event) (api.CDEvent, error) {
	if mt := ce.DataMediaType(); mt != cloudevents.ApplicationJSON {
		return nil, errors.Errorf(errFmtParseContentType, mt)
	}
	data := ce.Data()
	peek := struct {
		Context struct {
			Version     string `json:"version"`
			SpecVersion string `json:"specversion"`
		} `json:"context"`
	}{}
	if err := json.Unmarshal(data, &peek); err != nil {
		return nil, errors.Wrap(err, errParseContext)
	}
	version := peek.Context.SpecVersion
	if version == "" {
		version = peek.Context.Version
	}
	parse, ok := parserFor(version)
	if !ok {
		return nil, errors.Errorf(errFmtParseSpecVersion, version)
	}
	ev, err := parse(data)
	if err != nil {
		return nil, errors.Wrapf(err, errFmtParseEvent, version)
	}
	if ce.ID() != ev.GetId() {
		return nil, errors.Errorf(errFmtParseMismatch, "id", ce.ID(), ev.GetId())
	}
	if t := Type(ev); ce.Type() != t {
		return nil, errors.Errorf(errFmtParseMismatch, "type", ce.Type(), t)
	}
	return ev, nil
}

// Type returns the type string of a CDEvent. Unlike GetType, it is right
// for custom events too: the SDK returns a placeholder type for them.
func Type(ev api.CDEventReader) string {
	switch c := ev.(type) {
	case *api.CustomTypeEventV0_5_1:
		return c.Context.Type.String()
	case *api.CustomTypeEventV0_4_1:
		return c.Context.Type.String()
	}
	return ev.GetType().String()
}

// A Summary is what a receiver prints about an event, one line each: the
// CDEvents context and subject, and what the provider's customData says
// about the cluster when the event carries it.
type Summary struct {
	// Type is the CDEvents type, such as
	// dev.cdevents.environment.modified.0.3.0.
	Type string
	// SpecVersion is the CDEvents spec version of the event.
	SpecVersion string
	// ID is the CDEvents context.id.
	ID string
	// Source is the CDEvents context.source.
	Source string
	// SubjectID is the CDEvents subject.id.
	SubjectID string
	// Timestamp is the CDEvents context.timestamp.
	Timestamp time.Time
	// Lifecycle is the transition, from customData.
	Lifecycle v1alpha1.Lifecycle
	// Namespace of the cluster object, from customData.
	Namespace string
	// Name of the cluster object, from customData.
	Name string
	// KubernetesVersion of the cluster, from customData.
	KubernetesVersion string
	// Replayed is set on events sent late, from customData.
	Replayed bool
}

// Summarize returns the summary of a CDEvent. Events from other producers,
// without the provider's customData, have only the CDEvents fields set.
func Summarize(ev api.CDEventReader) Summary {
	s := Summary{
		Type:        Type(ev),
		SpecVersion: ev.GetVersion(),
		ID:          ev.GetId(),
		Source:      ev.GetSource(),
		SubjectID:   ev.GetSubjectId(),
		Timestamp:   ev.GetTimestamp(),
	}
	cd := CustomData{}
	if err := ev.GetCustomDataAs(&cd); err != nil {
		// Not JSON, or not ours: there is nothing more to summarise.
		return s
	}
	s.Lifecycle = cd.Crossplane.Lifecycle
	s.Namespace = cd.Crossplane.Namespace
	s.Name = cd.Crossplane.Name
	s.KubernetesVersion = cd.Crossplane.KubernetesVersion
	s.Replayed = cd.Crossplane.Replayed
	return s
}

// String renders the summary as one line:
// <timestamp> <type> <subject id> [lifecycle=...] [cluster=...] [version=...] [replayed] id=<id>.
func (s Summary) String() string {
	b := &strings.Builder{}
	b.WriteString(s.Timestamp.UTC().Format(time.RFC3339))
	b.WriteString(" " + s.Type + " " + s.SubjectID)
	if s.Lifecycle != "" {
		b.WriteString(" lifecycle=" + string(s.Lifecycle))
	}
	if s.Name != "" {
		name := s.Name
		if s.Namespace != "" {
			name = s.Namespace + "/" + s.Name
		}
		b.WriteString(" cluster=" + name)
	}
	if s.KubernetesVersion != "" {
		b.WriteString(" version=" + s.KubernetesVersion)
	}
	if s.Replayed {
		b.WriteString(" replayed")
	}
	b.WriteString(" id=" + s.ID)
	return b.String()
}
