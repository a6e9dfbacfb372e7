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

package bench

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func TestFillRequired(t *testing.T) {
	props := func(p map[string]apiextensionsv1.JSONSchemaProps, required ...string) apiextensionsv1.JSONSchemaProps {
		return apiextensionsv1.JSONSchemaProps{Type: "object", Properties: p, Required: required}
	}
	cases := map[string]struct {
		reason string
		schema apiextensionsv1.JSONSchemaProps
		obj    map[string]any
		want   map[string]any
	}{
		"Nested": {
			reason: "Required fields are filled at every depth with a value of their type, an enum's first.",
			schema: props(map[string]apiextensionsv1.JSONSchemaProps{
				"spec": props(map[string]apiextensionsv1.JSONSchemaProps{
					"location": {Type: "string"},
					"count":    {Type: "integer"},
					"policy":   {Type: "string", Enum: []apiextensionsv1.JSON{{Raw: []byte(`"Delete"`)}, {Raw: []byte(`"Orphan"`)}}},
					"optional": {Type: "string"},
				}, "location", "count", "policy"),
			}, "spec"),
			obj:  map[string]any{},
			want: map[string]any{"spec": map[string]any{"location": "bench", "count": int64(1), "policy": "Delete"}},
		},
		"KeepsValues": {
			reason: "Fields already set are kept, and filled below.",
			schema: props(map[string]apiextensionsv1.JSONSchemaProps{
				"spec": props(map[string]apiextensionsv1.JSONSchemaProps{"name": {Type: "string"}, "region": {Type: "string"}}, "name"),
			}, "spec"),
			obj:  map[string]any{"spec": map[string]any{"region": "ams3"}},
			want: map[string]any{"spec": map[string]any{"region": "ams3", "name": "bench"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			FillRequired(tc.obj, &tc.schema)
			if diff := cmp.Diff(tc.want, tc.obj); diff != "" {
				t.Errorf("\n%s\nFillRequired(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
