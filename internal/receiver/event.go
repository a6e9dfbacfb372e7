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

package receiver

import (
	"encoding/json"
	"strings"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// Encodings a received event can arrive in, as the CloudEvents HTTP binding
// names them.
const (
	EncodingBinary     = "binary"
	EncodingStructured = "structured"
	EncodingBatch      = "batch"
)

// An Event is one received CDEvent as the receiver keeps and serves it: the
// CDEvents context and subject, the timeline it belongs to, and the
// Crossplane details provider-cdevents puts in customData.
type Event struct {
	// Seq numbers received events from 1, in arrival order. Clients resume
	// from it (Last-Event-ID, ?since=).
	Seq int64 `json:"seq"`
	// ReceivedAt is when the receiver accepted the event.
	ReceivedAt time.Time `json:"receivedAt"`
	// Encoding is how the event travelled: binary, structured or batch.
	Encoding string `json:"encoding"`
	// ID is the CDEvents context.id.
	ID string `json:"id"`
	// Source is the CDEvents context.source.
	Source string `json:"source"`
	// Type is the CDEvents type, such as dev.cdevents.environment.modified.0.3.0.
	Type string `json:"type"`
	// SpecVersion is the CDEvents spec version of the event.
	SpecVersion string `json:"specVersion"`
	// Timestamp is the CDEvents context.timestamp: when the transition
	// happened, not when it was sent.
	Timestamp time.Time `json:"timestamp"`
	// SubjectID is the CDEvents subject.id.
	SubjectID string `json:"subjectId"`
	// Timeline groups events about one environment: the environment an
	// event's subject refers to (incidents name theirs), else its subject.
	Timeline string `json:"timeline"`
	// Lifecycle is the cluster transition, from customData; empty for
	// events of other producers.
	Lifecycle string `json:"lifecycle,omitempty"`
	// Crossplane holds the cluster details from customData, when present.
	Crossplane *cdevent.ClusterData `json:"crossplane,omitempty"`
}

// environmentRef is the part of a CDEvent that names the environment its
// subject belongs to, such as an incident's subject.content.environment.
type environmentRef struct {
	Subject struct {
		Content struct {
			Environment struct {
				ID string `json:"id"`
			} `json:"environment"`
		} `json:"content"`
	} `json:"subject"`
}

// newEvent reads what the receiver keeps of a validated CloudEvent that
// carries a CDEvent.
func newEvent(ce cloudevents.Event, encoding string) (Event, error) {
	ev, err := cdevent.Parse(ce)
	if err != nil {
		return Event{}, err
	}
	s := cdevent.Summarize(ev)
	e := Event{
		Encoding:    encoding,
		ID:          s.ID,
		Source:      s.Source,
		Type:        s.Type,
		SpecVersion: s.SpecVersion,
		Timestamp:   s.Timestamp.UTC(),
		SubjectID:   s.SubjectID,
		Timeline:    s.SubjectID,
		Lifecycle:   string(s.Lifecycle),
	}
	ref := environmentRef{}
	if err := json.Unmarshal(ce.Data(), &ref); err == nil && ref.Subject.Content.Environment.ID != "" {
		e.Timeline = ref.Subject.Content.Environment.ID
	}
	cd := cdevent.CustomData{}
	if err := ev.GetCustomDataAs(&cd); err == nil && cd.Crossplane.Lifecycle != "" {
		e.Crossplane = &cd.Crossplane
	}
	return e, nil
}

// ShortType is the CDEvents type without its dev.cdevents. prefix and
// version, such as environment.modified.
func (e Event) ShortType() string {
	t := strings.TrimPrefix(e.Type, "dev.cdevents.")
	// Types end in .<major>.<minor>.<patch>.
	parts := strings.Split(t, ".")
	if len(parts) > 3 {
		parts = parts[:len(parts)-3]
	}
	return strings.Join(parts, ".")
}

// Cluster names the cluster an event is about, as [namespace/]name from
// customData, or the timeline for events of other producers.
func (e Event) Cluster() string {
	if e.Crossplane == nil || e.Crossplane.Name == "" {
		return e.Timeline
	}
	if e.Crossplane.Namespace != "" {
		return e.Crossplane.Namespace + "/" + e.Crossplane.Name
	}
	return e.Crossplane.Name
}

// Line renders the event as the one compact line a terminal shows: time of
// the transition, lifecycle, type, cluster, Kubernetes version.
func (e Event) Line() string {
	lifecycle := e.Lifecycle
	if lifecycle == "" {
		lifecycle = "-"
	}
	b := &strings.Builder{}
	b.WriteString(e.Timestamp.UTC().Format(time.RFC3339))
	b.WriteString("  " + pad(lifecycle, 9))
	b.WriteString("  " + pad(e.ShortType(), 21))
	cluster := e.Cluster()
	if e.Crossplane != nil && e.Crossplane.Kind != "" {
		cluster = group(e.Crossplane.APIVersion) + "/" + e.Crossplane.Kind + " " + cluster
	}
	b.WriteString("  " + cluster)
	if e.Crossplane != nil && e.Crossplane.KubernetesVersion != "" {
		b.WriteString("  k8s=" + e.Crossplane.KubernetesVersion)
		if e.Crossplane.PreviousVersion != "" {
			b.WriteString(" (was " + e.Crossplane.PreviousVersion + ")")
		}
	}
	if e.Crossplane != nil && e.Crossplane.Replayed {
		b.WriteString("  replayed")
	}
	return b.String()
}

// group returns the group of an apiVersion, or the apiVersion itself when
// it has no group.
func group(apiVersion string) string {
	if g, _, ok := strings.Cut(apiVersion, "/"); ok {
		return g
	}
	return apiVersion
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}
