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

package catalog

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

func TestParsePath(t *testing.T) {
	type want struct {
		segs []string
		err  bool
	}
	cases := map[string]struct {
		reason string
		path   string
		want   want
	}{
		"Dotted": {
			reason: "Dots separate segments.",
			path:   "status.atProvider.endpoint",
			want:   want{segs: []string{"status", "atProvider", "endpoint"}},
		},
		"BracketKey": {
			reason: "A bracketed key may contain dots and slashes.",
			path:   "metadata.annotations[crossplane.io/external-name]",
			want:   want{segs: []string{"metadata", "annotations", "crossplane.io/external-name"}},
		},
		"BracketAfterDot": {
			reason: "A bracketed key may also follow a dot.",
			path:   "metadata.annotations.[crossplane.io/paused]",
			want:   want{segs: []string{"metadata", "annotations", "crossplane.io/paused"}},
		},
		"BracketThenDot": {
			reason: "Segments may follow a bracketed key.",
			path:   "status[atProvider].endpoint",
			want:   want{segs: []string{"status", "atProvider", "endpoint"}},
		},
		"Empty": {
			reason: "An empty path is an error.",
			path:   "",
			want:   want{err: true},
		},
		"LeadingDot": {
			reason: "A leading dot is an empty segment.",
			path:   ".status",
			want:   want{err: true},
		},
		"DoubleDot": {
			reason: "Two dots make an empty segment.",
			path:   "status..endpoint",
			want:   want{err: true},
		},
		"TrailingDot": {
			reason: "A trailing dot is an empty segment.",
			path:   "status.",
			want:   want{err: true},
		},
		"Unclosed": {
			reason: "A bracket must be closed.",
			path:   "metadata.annotations[crossplane.io/external-name",
			want:   want{err: true},
		},
		"EmptyBrackets": {
			reason: "A bracketed key must not be empty.",
			path:   "metadata.annotations[]",
			want:   want{err: true},
		},
		"StrayClosing": {
			reason: "A closing bracket without an opening one is an error.",
			path:   "status]x",
			want:   want{err: true},
		},
		"TextAfterBracket": {
			reason: "A bracketed key must be followed by a dot, a bracket or the end.",
			path:   "metadata.annotations[a]b",
			want:   want{err: true},
		},
		"TooLong": {
			reason: "Overlong paths are rejected.",
			path:   strings.Repeat("a", maxPathLength+1),
			want:   want{err: true},
		},
		"TooDeep": {
			reason: "Paths with too many segments are rejected.",
			path:   strings.Repeat("a.", maxPathSegments) + "a",
			want:   want{err: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := ParsePath(tc.path)
			got := want{segs: p.Segments(), err: err != nil}
			if got.err {
				got.segs = nil
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nParsePath(%q): -want, +got:\n%s", tc.reason, tc.path, diff)
			}
			if err == nil && p.String() != tc.path {
				t.Errorf("\n%s\nParsePath(%q).String(): want the path as written, got %q", tc.reason, tc.path, p.String())
			}
		})
	}
}

// object decodes JSON the way the API machinery does for unstructured
// objects: maps, slices, strings, bools, int64 and float64.
func object(t *testing.T, s string) map[string]any {
	t.Helper()
	var v map[string]any
	d := json.NewDecoder(strings.NewReader(s))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("cannot decode test object: %v", err)
	}
	return toUnstructured(v).(map[string]any) //nolint:forcetypeassert // A decoded object is a map.
}

func toUnstructured(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = toUnstructured(e)
		}
	case []any:
		for i, e := range x {
			x[i] = toUnstructured(e)
		}
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

func TestPathRead(t *testing.T) {
	type args struct {
		path    string
		content map[string]any
	}
	cases := map[string]struct {
		reason string
		args   args
		want   string
	}{
		"ObjectShape": {
			reason: "The object shape of upjet v1beta2 and .m. kinds is read directly.",
			args: args{
				path:    "status.atProvider.vpcConfig.clusterSecurityGroupId",
				content: object(t, `{"status":{"atProvider":{"vpcConfig":{"clusterSecurityGroupId":"sg-1"}}}}`),
			},
			want: "sg-1",
		},
		"SingletonListShape": {
			reason: "The singleton-list shape of upjet v1beta1 reads the first element.",
			args: args{
				path:    "status.atProvider.vpcConfig.clusterSecurityGroupId",
				content: object(t, `{"status":{"atProvider":{"vpcConfig":[{"clusterSecurityGroupId":"sg-1"},{"clusterSecurityGroupId":"sg-2"}]}}}`),
			},
			want: "sg-1",
		},
		"ListOfStrings": {
			reason: "A list of strings yields its first string (Linode apiEndpoints).",
			args: args{
				path:    "status.atProvider.apiEndpoints",
				content: object(t, `{"status":{"atProvider":{"apiEndpoints":["https://a.lke.linode.com:443","https://b.lke.linode.com:443"]}}}`),
			},
			want: "https://a.lke.linode.com:443",
		},
		"NestedLists": {
			reason: "Lists of lists are unwrapped to their first element.",
			args: args{
				path:    "status.x.y",
				content: object(t, `{"status":{"x":[[{"y":["v"]}]]}}`),
			},
			want: "v",
		},
		"BracketKey": {
			reason: "Bracketed keys read map keys containing dots.",
			args: args{
				path:    "metadata.annotations[crossplane.io/external-name]",
				content: object(t, `{"metadata":{"annotations":{"crossplane.io/external-name":"prod-1"}}}`),
			},
			want: "prod-1",
		},
		"Integer": {
			reason: "Integers are formatted.",
			args: args{
				path:    "status.atProvider.id",
				content: object(t, `{"status":{"atProvider":{"id":123456}}}`),
			},
			want: "123456",
		},
		"Float": {
			reason: "Floats are formatted without exponent or trailing zeros.",
			args: args{
				path:    "spec.forProvider.version",
				content: object(t, `{"spec":{"forProvider":{"version":1.3}}}`),
			},
			want: "1.3",
		},
		"Bool": {
			reason: "Booleans are formatted.",
			args: args{
				path:    "status.atProvider.ha",
				content: object(t, `{"status":{"atProvider":{"ha":true}}}`),
			},
			want: "true",
		},
		"ObjectLeaf": {
			reason: "A path that ends at an object yields nothing.",
			args: args{
				path:    "status.atProvider",
				content: object(t, `{"status":{"atProvider":{"id":"x"}}}`),
			},
			want: "",
		},
		"ListOfObjectsLeaf": {
			reason: "A path that ends at a list of objects yields nothing.",
			args: args{
				path:    "status.conditions",
				content: object(t, `{"status":{"conditions":[{"type":"Ready"}]}}`),
			},
			want: "",
		},
		"Missing": {
			reason: "A missing field yields nothing.",
			args: args{
				path:    "status.atProvider.endpoint",
				content: object(t, `{"status":{}}`),
			},
			want: "",
		},
		"Null": {
			reason: "A null field yields nothing.",
			args: args{
				path:    "status.atProvider.endpoint",
				content: object(t, `{"status":{"atProvider":{"endpoint":null}}}`),
			},
			want: "",
		},
		"ScalarOnTheWay": {
			reason: "A scalar where an object is expected yields nothing.",
			args: args{
				path:    "status.atProvider.endpoint",
				content: object(t, `{"status":"broken"}`),
			},
			want: "",
		},
		"EmptyList": {
			reason: "An empty list yields nothing.",
			args: args{
				path:    "status.atProvider.apiEndpoints",
				content: object(t, `{"status":{"atProvider":{"apiEndpoints":[]}}}`),
			},
			want: "",
		},
		"StringOnTheWayInList": {
			reason: "A list whose first element is not an object yields nothing further down.",
			args: args{
				path:    "status.atProvider.endpoints.kubernetes",
				content: object(t, `{"status":{"atProvider":{"endpoints":["x",{"kubernetes":"y"}]}}}`),
			},
			want: "",
		},
		"NilContent": {
			reason: "Nil content yields nothing.",
			args:   args{path: "status.x"},
			want:   "",
		},
		"TypedMaps": {
			reason: "Typed maps and slices built in Go are read too.",
			args: args{
				path: "metadata.labels[env]",
				content: map[string]any{"metadata": map[string]any{
					"labels": map[string]string{"env": "prod"},
				}},
			},
			want: "prod",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := ParsePath(tc.args.path)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", tc.args.path, err)
			}
			if diff := cmp.Diff(tc.want, p.Read(tc.args.content)); diff != "" {
				t.Errorf("\n%s\nRead(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestFirst(t *testing.T) {
	content := object(t, `{
		"spec":{"forProvider":{"region":""},"initProvider":{"region":"eu-west-1"}},
		"status":{"atProvider":{"region":"us-east-1"}}}`)
	paths := func(ss ...string) []Path {
		out := make([]Path, 0, len(ss))
		for _, s := range ss {
			p, err := ParsePath(s)
			if err != nil {
				t.Fatalf("ParsePath(%q): %v", s, err)
			}
			out = append(out, p)
		}
		return out
	}
	cases := map[string]struct {
		reason string
		paths  []Path
		want   string
	}{
		"FirstNonEmptyWins": {
			reason: "An empty value falls through to the next path.",
			paths:  paths("spec.forProvider.region", "spec.initProvider.region", "status.atProvider.region"),
			want:   "eu-west-1",
		},
		"MissingFallsThrough": {
			reason: "A missing field falls through to the next path.",
			paths:  paths("spec.forProvider.location", "status.atProvider.region"),
			want:   "us-east-1",
		},
		"NoPaths": {
			reason: "No paths yield nothing.",
			want:   "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, First(content, tc.paths...)); diff != "" {
				t.Errorf("\n%s\nFirst(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// testSchema is a small schema in the shapes that CRDs use.
func testSchema() *apiextensionsv1.JSONSchemaProps {
	str := apiextensionsv1.JSONSchemaProps{Type: "string"}
	return &apiextensionsv1.JSONSchemaProps{
		Type: "object",
		Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"metadata": {Type: "object"},
			"spec": {
				Type: "object",
				Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"forProvider": {
						Type:                   "object",
						XPreserveUnknownFields: ptrTo(true),
						Properties:             map[string]apiextensionsv1.JSONSchemaProps{"region": str},
					},
					"tags": {Type: "object", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Schema: &str}},
				},
			},
			"status": {
				Type: "object",
				Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"atProvider": {
						Type: "object",
						Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"endpoints": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
								Type:       "object",
								Properties: map[string]apiextensionsv1.JSONSchemaProps{"kubernetes": str},
							}}},
							"apiEndpoints": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &str}},
							"id":           {Type: "integer"},
							"port":         {XIntOrString: true},
							"vpcConfig":    {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{"subnetIds": {Type: "array"}}},
						},
					},
				},
			},
		},
	}
}

func ptrTo[T any](v T) *T { return &v }

func TestSchemaHasPath(t *testing.T) {
	cases := map[string]struct {
		reason string
		path   string
		want   bool
	}{
		"Scalar":              {reason: "A declared string resolves.", path: "spec.forProvider.region", want: true},
		"Integer":             {reason: "A declared integer resolves.", path: "status.atProvider.id", want: true},
		"IntOrString":         {reason: "An int-or-string resolves.", path: "status.atProvider.port", want: true},
		"ThroughArray":        {reason: "A segment crosses an array of objects.", path: "status.atProvider.endpoints.kubernetes", want: true},
		"ArrayOfStrings":      {reason: "An array of strings resolves.", path: "status.atProvider.apiEndpoints", want: true},
		"MapKey":              {reason: "Any key of a map resolves.", path: "spec.tags[team]", want: true},
		"Metadata":            {reason: "Metadata is defined by the API server.", path: "metadata.annotations[crossplane.io/external-name]", want: true},
		"Undeclared":          {reason: "An undeclared field does not resolve.", path: "status.atProvider.endpoint", want: false},
		"PreservedUnknown":    {reason: "Preserving unknown fields does not declare them.", path: "spec.forProvider.location", want: false},
		"Object":              {reason: "An object is not a scalar.", path: "status.atProvider.vpcConfig", want: false},
		"UntypedArrayItems":   {reason: "An array without item schema is not a scalar.", path: "status.atProvider.vpcConfig.subnetIds", want: false},
		"BeyondScalar":        {reason: "A path cannot continue below a scalar.", path: "spec.forProvider.region.x", want: false},
		"InvalidPath":         {reason: "An invalid path does not resolve.", path: "status..x", want: false},
		"NonexistentTopLevel": {reason: "An unknown top-level field does not resolve.", path: "data.x", want: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, SchemaHasPath(testSchema(), tc.path)); diff != "" {
				t.Errorf("\n%s\nSchemaHasPath(%q): -want, +got:\n%s", tc.reason, tc.path, diff)
			}
		})
	}
}
