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
	"math"
	"strconv"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Limits of a field path. They keep a user-declared profile from making
// reads or trimming expensive.
const (
	maxPathLength   = 512
	maxPathSegments = 32
)

const (
	errEmptyPath         = "path is empty"
	errFmtPathTooLong    = "path is longer than %d characters"
	errFmtTooManySegs    = "path has more than %d segments"
	errFmtEmptySegment   = "empty segment at offset %d"
	errFmtUnclosedKey    = "unclosed [ at offset %d"
	errFmtEmptyKey       = "empty [] at offset %d"
	errFmtUnexpectedChar = "unexpected %q at offset %d"
)

// A Path locates one field of an unstructured object. Profiles name the
// fields a kind keeps its facts in with paths, so that one reader serves
// every provider family, built in or declared by a ClusterKind.
//
// The syntax is dot separated, with [key] for map keys that contain dots:
// metadata.annotations[crossplane.io/external-name]. Where a path meets a
// list it reads the list's first element, so one path serves both the
// singleton-list shape of upjet v1beta1 and older upjet providers
// (vpcConfig: [{...}]) and the object shape of upjet v1beta2 and the
// namespaced .m. kinds (vpcConfig: {...}).
type Path struct {
	raw  string
	segs []string
}

// ParsePath parses a field path, so that a bad path is rejected when a
// profile is compiled rather than silently read as empty.
func ParsePath(s string) (Path, error) {
	if s == "" {
		return Path{}, errors.New(errEmptyPath)
	}
	if len(s) > maxPathLength {
		return Path{}, errors.Errorf(errFmtPathTooLong, maxPathLength)
	}
	var segs []string
	i := 0
	for {
		if len(segs) == maxPathSegments {
			return Path{}, errors.Errorf(errFmtTooManySegs, maxPathSegments)
		}
		if i == len(s) || s[i] == '.' {
			return Path{}, errors.Errorf(errFmtEmptySegment, i)
		}
		if s[i] == '[' {
			end := strings.IndexByte(s[i+1:], ']')
			if end < 0 {
				return Path{}, errors.Errorf(errFmtUnclosedKey, i)
			}
			if end == 0 {
				return Path{}, errors.Errorf(errFmtEmptyKey, i)
			}
			segs = append(segs, s[i+1:i+1+end])
			i += end + 2
		} else {
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' && s[j] != ']' {
				j++
			}
			if j == i {
				return Path{}, errors.Errorf(errFmtUnexpectedChar, s[j], j)
			}
			segs = append(segs, s[i:j])
			i = j
		}
		if i == len(s) {
			return Path{raw: s, segs: segs}, nil
		}
		switch s[i] {
		case '.':
			i++
		case '[':
			// A bracketed key may directly follow a segment.
		default:
			return Path{}, errors.Errorf(errFmtUnexpectedChar, s[i], i)
		}
	}
}

// String returns the path as written.
func (p Path) String() string { return p.raw }

// Segments returns the path's keys, outermost first.
func (p Path) Segments() []string { return append([]string(nil), p.segs...) }

// Read returns the scalar the path leads to in content, formatted as a
// string: a string as is, a number or a boolean formatted. Anything else
// (a missing field, an object, a value of the wrong type on the way) reads
// as "". It never panics, whatever content holds.
func (p Path) Read(content map[string]any) string {
	var cur any = content
	for _, seg := range p.segs {
		cur = child(firstElement(cur), seg)
		if cur == nil {
			return ""
		}
	}
	return scalar(firstElement(cur))
}

// First returns the first non-empty value the paths lead to in content, so
// a profile can name fallbacks: spec.forProvider.region, then
// spec.initProvider.region, then status.atProvider.region.
func First(content map[string]any, paths ...Path) string {
	for _, p := range paths {
		if v := p.Read(content); v != "" {
			return v
		}
	}
	return ""
}

// child returns the value of key in v, when v is an object.
func child(v any, key string) any {
	switch m := v.(type) {
	case map[string]any:
		return m[key]
	case map[string]string:
		if s, ok := m[key]; ok {
			return s
		}
	}
	return nil
}

// firstElement returns v, or the first element of v when it is a list (of
// a list, and so on).
func firstElement(v any) any {
	for {
		switch l := v.(type) {
		case []any:
			if len(l) == 0 {
				return nil
			}
			v = l[0]
		case []string:
			if len(l) == 0 {
				return nil
			}
			return l[0]
		case []map[string]any:
			if len(l) == 0 {
				return nil
			}
			return l[0]
		default:
			return v
		}
	}
}

// scalar formats a scalar value; anything else is "".
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return formatFloat(x)
	case float32:
		return formatFloat(float64(x))
	case json.Number:
		return string(x)
	}
	return ""
}

func formatFloat(f float64) string {
	if math.Abs(f) < 1e21 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// prune returns the part of v that segs reads: every object reduced to the
// key on the path and every list to its first element, so that reading
// the pruned value gives what reading v gives. ok is false when the path
// leads to no scalar.
func prune(v any, segs []string) (any, bool) {
	if len(segs) == 0 {
		s := firstElement(v)
		switch s.(type) {
		case string, bool, int64, int, int32, float64, float32, json.Number:
			return s, true
		}
		return nil, false
	}
	switch x := v.(type) {
	case []any, []string, []map[string]any:
		sub, ok := prune(firstElement(x), segs)
		if !ok {
			return nil, false
		}
		return []any{sub}, true
	}
	c := child(v, segs[0])
	if c == nil {
		return nil, false
	}
	sub, ok := prune(c, segs[1:])
	if !ok {
		return nil, false
	}
	return map[string]any{segs[0]: sub}, true
}

// merge merges src, a pruned value, into dst.
func merge(dst, src any) any {
	switch s := src.(type) {
	case map[string]any:
		d, ok := dst.(map[string]any)
		if !ok {
			return s
		}
		for k, v := range s {
			d[k] = merge(d[k], v)
		}
		return d
	case []any:
		d, ok := dst.([]any)
		if !ok || len(d) == 0 || len(s) == 0 {
			return s
		}
		return []any{merge(d[0], s[0])}
	}
	if dst != nil {
		return dst
	}
	return src
}

// SchemaHasPath reports whether path resolves to a scalar (or a list of
// scalars) in a CRD's openAPIV3Schema, so tests can prove that a profile
// names fields that exist in the real kind. A segment may cross an array
// whose items are objects, and a map key may be any key of an object with
// additionalProperties. The schema must declare every segment: an object
// that only preserves unknown fields does not count. Paths under metadata
// always resolve, because the API server, not the CRD, defines metadata.
func SchemaHasPath(schema *apiextensionsv1.JSONSchemaProps, path string) bool {
	p, err := ParsePath(path)
	if err != nil || schema == nil {
		return false
	}
	if p.segs[0] == "metadata" {
		return true
	}
	cur := schema
	for _, seg := range p.segs {
		cur = schemaItems(cur)
		if next, ok := cur.Properties[seg]; ok {
			cur = &next
			continue
		}
		if cur.AdditionalProperties != nil && cur.AdditionalProperties.Schema != nil {
			cur = cur.AdditionalProperties.Schema
			continue
		}
		return false
	}
	cur = schemaItems(cur)
	if cur.XIntOrString {
		return true
	}
	switch cur.Type {
	case "string", "integer", "number", "boolean":
		return true
	}
	return false
}

// schemaItems returns the schema of the items of s, when s is an array.
func schemaItems(s *apiextensionsv1.JSONSchemaProps) *apiextensionsv1.JSONSchemaProps {
	for s.Type == "array" && s.Items != nil && s.Items.Schema != nil {
		s = s.Items.Schema
	}
	return s
}
