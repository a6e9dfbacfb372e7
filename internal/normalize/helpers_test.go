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

package normalize

import (
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

// t0 is when the test clusters' stories begin.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// at returns t0 plus m minutes.
func at(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }

func rfc3339(t time.Time) string { return t.Format(time.RFC3339) }

// profile returns the built-in profile of a kind.
func profile(t testing.TB, group, kind string) *catalog.Profile {
	t.Helper()
	p, ok := catalog.New().Lookup(schema.GroupKind{Group: group, Kind: kind})
	if !ok {
		t.Fatalf("no built-in profile for %s/%s", group, kind)
	}
	return p
}

// A mod changes an object under construction.
type mod func(u *unstructured.Unstructured)

// object builds a managed resource the way the API server returns it,
// created at t0, with uid uid-1.
func object(apiVersion, kind, name string, mods ...mod) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": apiVersion,
		"kind":       kind,
		"metadata": map[string]any{
			"name":              name,
			"uid":               "uid-1",
			"generation":        int64(1),
			"creationTimestamp": rfc3339(t0),
		},
	}}
	for _, m := range mods {
		m(u)
	}
	return u
}

// with returns base's mods followed by more, so a sequence can grow one
// snapshot from the previous one.
func with(base []mod, more ...mod) []mod {
	return append(append([]mod(nil), base...), more...)
}

func namespace(ns string) mod {
	return func(u *unstructured.Unstructured) { u.SetNamespace(ns) }
}

func annotation(k, v string) mod {
	return func(u *unstructured.Unstructured) {
		a := u.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a[k] = v
		u.SetAnnotations(a)
	}
}

func createPending(t time.Time) mod   { return annotation(AnnotationCreatePending, rfc3339(t)) }
func createSucceeded(t time.Time) mod { return annotation(AnnotationCreateSucceeded, rfc3339(t)) }
func createFailed(t time.Time) mod    { return annotation(AnnotationCreateFailed, rfc3339(t)) }

// withCondition sets a condition, replacing any of the same type, as the
// runtime's SetConditions does.
func withCondition(typ, status, reason string, ltt time.Time, message ...string) mod {
	return func(u *unstructured.Unstructured) {
		c := map[string]any{
			"type":               typ,
			"status":             status,
			"reason":             reason,
			"lastTransitionTime": rfc3339(ltt),
			"observedGeneration": int64(1),
		}
		if len(message) > 0 {
			c["message"] = strings.Join(message, " ")
		}
		conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
		out := make([]any, 0, len(conds)+1)
		for _, e := range conds {
			if m, ok := e.(map[string]any); ok && m["type"] == typ {
				continue
			}
			out = append(out, e)
		}
		out = append(out, c)
		_ = unstructured.SetNestedSlice(u.Object, out, "status", "conditions")
	}
}

func ready(status, reason string, ltt time.Time, message ...string) mod {
	return withCondition(ConditionReady, status, reason, ltt, message...)
}

func synced(status, reason string, ltt time.Time, message ...string) mod {
	return withCondition(ConditionSynced, status, reason, ltt, message...)
}

func lastAsync(status, reason string, ltt time.Time, message ...string) mod {
	return withCondition(ConditionLastAsyncOperation, status, reason, ltt, message...)
}

// field sets a value at a dot-separated path.
func field(path string, v any) mod {
	return func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, v, strings.Split(path, ".")...)
	}
}

// touched records a write by a manager at t in metadata.managedFields, as
// the API server does for every write that changes a field.
func touched(t time.Time) mod {
	return func(u *unstructured.Unstructured) {
		mfs, _, _ := unstructured.NestedSlice(u.Object, "metadata", "managedFields")
		mfs = append(mfs, map[string]any{
			"manager":     "provider",
			"operation":   "Update",
			"subresource": "status",
			"time":        rfc3339(t),
			"fieldsType":  "FieldsV1",
		})
		_ = unstructured.SetNestedSlice(u.Object, mfs, "metadata", "managedFields")
	}
}

func deleting(t time.Time) mod {
	return func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, rfc3339(t), "metadata", "deletionTimestamp")
	}
}
