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

// Package normalize turns what Crossplane managed resources of any provider
// family report about a Kubernetes cluster (conditions, annotations, cloud
// state) into one lifecycle: created, ready, upgraded, degraded, recovered,
// failed, deleting, deleted. It is pure: no clients, no clocks, no state of
// its own. Everything it needs from the past is a small State that the
// provider persists, so that a restarted provider carries on without
// repeating or losing transitions.
package normalize

import (
	"encoding/json"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/jsonpick"
)

// Condition types, reasons and annotations that Crossplane managed
// resources carry (crossplane-runtime and upjet).
const (
	ConditionReady              = "Ready"
	ConditionSynced             = "Synced"
	ConditionLastAsyncOperation = "LastAsyncOperation"

	StatusTrue  = "True"
	StatusFalse = "False"

	ReasonAvailable          = "Available"
	ReasonCreating           = "Creating"
	ReasonUnavailable        = "Unavailable"
	ReasonDeleting           = "Deleting"
	ReasonReconcileSuccess   = "ReconcileSuccess"
	ReasonAsyncCreateFailure = "AsyncCreateFailure"
	ReasonApplyFailure       = "ApplyFailure"
	ReasonReconcilePaused    = "ReconcilePaused"

	AnnotationCreatePending   = "crossplane.io/external-create-pending"
	AnnotationCreateSucceeded = "crossplane.io/external-create-succeeded"
	AnnotationCreateFailed    = "crossplane.io/external-create-failed"
	// AnnotationPaused "true" pauses reconciliation of a managed resource.
	AnnotationPaused = "crossplane.io/paused"
)

// maxNameBytes bounds names and other identifying strings kept from an
// object; Kubernetes itself allows at most 253 characters.
const maxNameBytes = 253

// maxLabels bounds the labels kept per cluster; they are only for sink
// selectors.
const maxLabels = 64

// A Condition is the part of a Crossplane condition the lifecycle depends
// on. The zero Condition means the object does not carry it.
type Condition struct {
	Status             string
	Reason             string
	Message            string
	LastTransitionTime time.Time
}

// String returns the condition as "<status>/<reason>", the form the
// provider reports conditions in, or "" when it is absent.
func (c Condition) String() string {
	if c.Status == "" && c.Reason == "" {
		return ""
	}
	return c.Status + "/" + c.Reason
}

// present reports whether the object carries the condition.
func (c Condition) present() bool { return c.Status != "" }

// An Observation is the compact view of one watched object that the
// lifecycle needs. The provider keeps one per cluster in memory, so it holds
// strings and times only (labels aside), and messages are bounded to
// catalog.MaxMessageBytes.
type Observation struct {
	UID        types.UID
	Name       string
	Namespace  string
	APIVersion string
	Kind       string
	Labels     map[string]string

	CreationTimestamp time.Time
	// DeletionTimestamp is zero unless deletion was requested.
	DeletionTimestamp time.Time
	Generation        int64

	Ready              Condition
	Synced             Condition
	LastAsyncOperation Condition

	// Times of the crossplane.io/external-create-* annotations; zero
	// when absent or unparsable.
	CreatePending   time.Time
	CreateSucceeded time.Time
	CreateFailed    time.Time

	// Paused is true when the crossplane.io/paused annotation is "true".
	Paused bool

	// Facts read through the kind's profile. The endpoint is an absolute
	// https URI when the object reports a bare host or IP address.
	Facts v1alpha1.Facts

	// Latest is the newest time the object carries: its creation and
	// deletion timestamps, the time of every managedFields entry, every
	// condition's lastTransitionTime and the external-create annotations.
	// Transitions the object records no time of their own for are stamped
	// with it, so that their time, and their id, are a function of the
	// object rather than of when the provider looked. It does not need
	// managedFields: an object trimmed of them still has a Latest.
	Latest time.Time
}

// Fields returns the fields of an object that Observe reads through
// profile p, and its resourceVersion, which a watch needs: an object
// decoded keeping only these observes exactly as the whole object does.
func Fields(p *catalog.Profile) *jsonpick.Fields {
	f := &jsonpick.Fields{}
	f.Keep("apiVersion")
	f.Keep("kind")
	for _, k := range []string{"uid", "name", "namespace", "resourceVersion", "labels", "creationTimestamp", "deletionTimestamp", "generation"} {
		f.Keep("metadata", k)
	}
	for _, a := range []string{AnnotationCreatePending, AnnotationCreateSucceeded, AnnotationCreateFailed, AnnotationPaused} {
		f.Keep("metadata", "annotations", a)
	}
	f.Keep("metadata", "managedFields", "time")
	for _, k := range []string{"type", "status", "reason", "message", "lastTransitionTime"} {
		f.Keep("status", "conditions", k)
	}
	if p != nil {
		for _, path := range p.FieldPaths() {
			f.Keep(path...)
		}
	}
	return f
}

// Observe reads the observation of u through profile p. It never panics:
// a malformed object (conditions that are not a list, values of the wrong
// type, unparsable times) yields an observation with those parts empty.
func Observe(p *catalog.Profile, u *unstructured.Unstructured) Observation {
	if u == nil {
		return Observation{}
	}
	content := u.UnstructuredContent()
	md, _ := content["metadata"].(map[string]any)
	o := Observation{
		UID:               types.UID(str(md, "uid")),
		Name:              str(md, "name"),
		Namespace:         str(md, "namespace"),
		APIVersion:        catalog.Truncate(stringValue(content["apiVersion"]), maxNameBytes),
		Kind:              catalog.Truncate(stringValue(content["kind"]), maxNameBytes),
		Labels:            labels(md["labels"]),
		CreationTimestamp: parseTime(md["creationTimestamp"]),
		DeletionTimestamp: parseTime(md["deletionTimestamp"]),
		Generation:        integer(md["generation"]),
	}
	if a, ok := md["annotations"].(map[string]any); ok {
		o.CreatePending = parseTime(a[AnnotationCreatePending])
		o.CreateSucceeded = parseTime(a[AnnotationCreateSucceeded])
		o.CreateFailed = parseTime(a[AnnotationCreateFailed])
		o.Paused = a[AnnotationPaused] == "true"
	}
	o.Latest = latest(o.CreationTimestamp, o.DeletionTimestamp, o.CreatePending, o.CreateSucceeded, o.CreateFailed)
	if mfs, ok := md["managedFields"].([]any); ok {
		for _, mf := range mfs {
			if m, ok := mf.(map[string]any); ok {
				o.Latest = latest(o.Latest, parseTime(m["time"]))
			}
		}
	}
	if st, ok := content["status"].(map[string]any); ok {
		if conds, ok := st["conditions"].([]any); ok {
			for _, c := range conds {
				cm, ok := c.(map[string]any)
				if !ok {
					continue
				}
				o.Latest = latest(o.Latest, parseTime(cm["lastTransitionTime"]))
				switch stringValue(cm["type"]) {
				case ConditionReady:
					o.Ready = condition(cm)
				case ConditionSynced:
					o.Synced = condition(cm)
				case ConditionLastAsyncOperation:
					o.LastAsyncOperation = condition(cm)
				}
			}
		}
	}
	if p != nil {
		o.Facts = p.Facts(content)
		o.Facts.Endpoint = EndpointURI(o.Facts.Endpoint)
	}
	return o
}

// EndpointURI returns an API server address as an absolute https URI:
// a bare host, IP address or host:port (as GKE, AKS and OCI report them)
// gets the https scheme; an absolute URI is kept as is. Anything else is
// returned unchanged, so that the fact is not lost.
func EndpointURI(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.Host != "" {
		return s
	}
	host := s
	if h, port, err := net.SplitHostPort(s); err == nil && port != "" {
		host = h
	}
	switch {
	case net.ParseIP(host) != nil && strings.Contains(host, ":") && host == s:
		// A bare IPv6 address needs brackets.
		return "https://[" + s + "]"
	case net.ParseIP(host) != nil || validHost(host):
		if u, err := url.Parse("https://" + s); err == nil && u.Host != "" {
			return u.String()
		}
	}
	return s
}

// validHost reports whether s is a DNS host name.
func validHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' {
				return false
			}
		}
	}
	return true
}

func condition(m map[string]any) Condition {
	return Condition{
		Status:             catalog.Truncate(stringValue(m["status"]), maxNameBytes),
		Reason:             catalog.Truncate(stringValue(m["reason"]), maxNameBytes),
		Message:            catalog.Truncate(stringValue(m["message"]), catalog.MaxMessageBytes),
		LastTransitionTime: parseTime(m["lastTransitionTime"]),
	}
}

func str(m map[string]any, key string) string {
	return catalog.Truncate(stringValue(m[key]), maxNameBytes)
}

func stringValue(v any) string {
	s, _ := v.(string)
	return s
}

func integer(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		if x >= -9e18 && x <= 9e18 {
			return int64(x)
		}
	case json.Number:
		i, _ := x.Int64()
		return i
	}
	return 0
}

func labels(v any) map[string]string {
	all := map[string]string{}
	switch m := v.(type) {
	case map[string]any:
		for k, e := range m {
			if s, ok := e.(string); ok {
				all[k] = s
			}
		}
	case map[string]string:
		for k, s := range m {
			all[k] = s
		}
	}
	if len(all) == 0 {
		return nil
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	// Keep the same labels every time when there are too many.
	sort.Strings(keys)
	if len(keys) > maxLabels {
		keys = keys[:maxLabels]
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		out[catalog.Truncate(k, maxNameBytes)] = catalog.Truncate(all[k], maxNameBytes)
	}
	return out
}

// latest returns the newest of ts; the zero time when all are zero.
func latest(ts ...time.Time) time.Time {
	var out time.Time
	for _, t := range ts {
		if t.After(out) {
			out = t
		}
	}
	return out
}

// parseTime parses an RFC 3339 time, as Kubernetes and Crossplane write
// them; anything else is the zero time. Times are kept to whole seconds,
// as Kubernetes stores them, so that a time read from an object and the
// same time read back from a ledger are equal.
func parseTime(v any) time.Time {
	s, ok := v.(string)
	if !ok || s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Second)
}
