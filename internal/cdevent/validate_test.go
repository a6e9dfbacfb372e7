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
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	modifiedSchemaID = "https://cdevents.dev/0.5.1/schema/environment-modified-event"
	customSchemaID   = "https://schemas.example.com/crossplane-cluster"
)

// strictModified is a stand-in for the spec's environment-modified schema
// file that also requires customData.crossplane.region, through a $ref to
// a links/ file as the spec's schemas do.
const strictModified = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "` + modifiedSchemaID + `",
  "type": "object",
  "required": ["context", "subject", "customData"],
  "properties": {"customData": {"$ref": "links/crossplane"}}
}`

const strictLink = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://cdevents.dev/0.5.1/schema/links/crossplane",
  "type": "object",
  "required": ["crossplane"],
  "properties": {"crossplane": {"type": "object", "required": ["region"]}}
}`

// requireLifecycle is a schemaUri schema that requires our customData.
const requireLifecycle = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "` + customSchemaID + `",
  "type": "object",
  "required": ["customData"],
  "properties": {"customData": {"type": "object", "required": ["crossplane"]}}
}`

func schemaDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// errHead is the outermost message of an error, without the causes it
// wraps: schema violations are reported at length by the schema library,
// and tests only care which check failed.
func errHead(err error) string {
	if err == nil {
		return ""
	}
	head, _, _ := strings.Cut(err.Error(), ": ")
	return head
}

// built returns the environment event of a ready transition.
func built(t *testing.T, sv v1alpha1.SpecVersion, mutate ...func(*Subject)) cloudevents.Event {
	t.Helper()
	b, err := NewBuilder()
	if err != nil {
		t.Fatalf("NewBuilder(): %v", err)
	}
	s := subject()
	for _, m := range mutate {
		m(&s)
	}
	got, err := b.Build(s, ledgerEvent(v1alpha1.LifecycleReady), Options{SpecVersion: sv, Source: source})
	if err != nil {
		t.Fatalf("b.Build(...): %v", err)
	}
	return got[0]
}

// withData rewrites the CDEvent a CloudEvent carries, keeping the
// attributes as they are.
func withData(t *testing.T, ce cloudevents.Event, fn func(doc map[string]any)) cloudevents.Event {
	t.Helper()
	doc := map[string]any{}
	if err := json.Unmarshal(ce.Data(), &doc); err != nil {
		t.Fatal(err)
	}
	fn(doc)
	raw, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	out := ce.Clone()
	out.DataEncoded = raw
	return out
}

func TestValidate(t *testing.T) {
	plain, err := NewValidator()
	if err != nil {
		t.Fatalf("NewValidator(): %v", err)
	}
	withFiles, err := NewValidator(WithSchemaDir(schemaDir(t, map[string]string{
		"environmentmodified.json": strictModified,
		"links/crossplane.json":    strictLink,
		"README.md":                "not a schema",
	})))
	if err != nil {
		t.Fatalf("NewValidator(WithSchemaDir(...)): %v", err)
	}
	withCustom, err := NewValidator(WithCustomSchema(customSchemaID, []byte(requireLifecycle)))
	if err != nil {
		t.Fatalf("NewValidator(WithCustomSchema(...)): %v", err)
	}
	schemaURI := func(doc map[string]any) { doc["context"].(map[string]any)["schemaUri"] = customSchemaID }

	type args struct {
		v  *Validator
		ce func(t *testing.T) cloudevents.Event
	}
	cases := map[string]struct {
		reason string
		args   args
		want   string
	}{
		"Valid05": {
			reason: "A built 0.5 event is valid.",
			args:   args{v: plain, ce: func(t *testing.T) cloudevents.Event { return built(t, v1alpha1.SpecVersion05) }},
		},
		"Valid03": {
			reason: "A built 0.3 event is valid against the 0.3.0 schemas.",
			args:   args{v: plain, ce: func(t *testing.T) cloudevents.Event { return built(t, v1alpha1.SpecVersion03) }},
		},
		"MissingTimestamp": {
			reason: "A CDEvent without its required timestamp violates the embedded schema.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				return withData(t, built(t, v1alpha1.SpecVersion05), func(doc map[string]any) {
					delete(doc["context"].(map[string]any), "timestamp")
				})
			}},
			want: "invalid against the embedded schema " + modifiedSchemaID,
		},
		"UnknownContextField": {
			reason: "The context admits no other properties: a 0.4-style version field in a 0.5 event is invalid.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				return withData(t, built(t, v1alpha1.SpecVersion05), func(doc map[string]any) {
					doc["context"].(map[string]any)["version"] = "0.4.1"
				})
			}},
			want: "invalid against the embedded schema " + modifiedSchemaID,
		},
		"TypeOfAnotherSpec": {
			reason: "The type must be the one the spec version defines.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				ce := withData(t, built(t, v1alpha1.SpecVersion05), func(doc map[string]any) {
					doc["context"].(map[string]any)["type"] = "dev.cdevents.environment.modified.0.2.0"
				})
				ce.SetType("dev.cdevents.environment.modified.0.2.0")
				return ce
			}},
			want: "invalid against the embedded schema " + modifiedSchemaID,
		},
		"SourceWithSpace": {
			reason: "The schemas do not check that the source is a URI reference; the validator does.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				ce := withData(t, built(t, v1alpha1.SpecVersion05), func(doc map[string]any) {
					doc["context"].(map[string]any)["source"] = "/my control plane"
				})
				ce.SetSource("/my control plane")
				return ce
			}},
			want: `cannot use source "/my control plane"`,
		},
		"IDMismatch": {
			reason: "The CloudEvent id must be the CDEvent's context.id.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				ce := built(t, v1alpha1.SpecVersion05)
				ce.SetID("another-id")
				return ce
			}},
			want: `CloudEvent id "another-id" does not match the CDEvent's context.id "` + eventID + `"`,
		},
		"SubjectMismatch": {
			reason: "The CloudEvent subject must be the CDEvent's subject.id.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				ce := built(t, v1alpha1.SpecVersion05)
				ce.SetSubject("/elsewhere")
				return ce
			}},
			want: `CloudEvent subject "/elsewhere" does not match the CDEvent's subject.id "` + envID + `"`,
		},
		"TimeMismatch": {
			reason: "The CloudEvent time must be the CDEvent's timestamp, not the send time.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				ce := built(t, v1alpha1.SpecVersion05)
				ce.SetTime(transition.Add(time.Minute))
				return ce
			}},
			want: `CloudEvent time 2026-03-04T05:07:07Z does not match the CDEvent's timestamp "2026-03-04T05:06:07Z"`,
		},
		"NotJSON": {
			reason: "CDEvents are carried as application/json.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				ce := built(t, v1alpha1.SpecVersion05)
				ce.SetDataContentType("text/plain")
				return ce
			}},
			want: `cannot validate data of content type "text/plain"`,
		},
		"UnknownSchemaURI": {
			reason: "An event naming a schemaUri that is not loaded cannot be validated, as in the SDK.",
			args: args{v: plain, ce: func(t *testing.T) cloudevents.Event {
				return withData(t, built(t, v1alpha1.SpecVersion05), schemaURI)
			}},
			want: "cannot validate against schemaUri " + customSchemaID,
		},
		"SchemaURIValid": {
			reason: "An event naming a loaded schemaUri is validated against it too.",
			args: args{v: withCustom, ce: func(t *testing.T) cloudevents.Event {
				return withData(t, built(t, v1alpha1.SpecVersion05), schemaURI)
			}},
		},
		"SchemaURIInvalid": {
			reason: "An event that violates its schemaUri schema is invalid.",
			args: args{v: withCustom, ce: func(t *testing.T) cloudevents.Event {
				return withData(t, built(t, v1alpha1.SpecVersion05), func(doc map[string]any) {
					schemaURI(doc)
					delete(doc, "customData")
					delete(doc, "customDataContentType")
				})
			}},
			want: "invalid against the schemaUri schema " + customSchemaID,
		},
		"SchemaFileValid": {
			reason: "An event valid against both the embedded schema and the file with its $id is valid.",
			args:   args{v: withFiles, ce: func(t *testing.T) cloudevents.Event { return built(t, v1alpha1.SpecVersion05) }},
		},
		"SchemaFileInvalid": {
			reason: "The schema file with the same $id, and the links/ file it refers to, are applied too.",
			args: args{v: withFiles, ce: func(t *testing.T) cloudevents.Event {
				return built(t, v1alpha1.SpecVersion05, func(s *Subject) { s.Facts.Region = "" })
			}},
			want: "invalid against the schema file " + modifiedSchemaID,
		},
		"SchemaFileOfAnotherVersion": {
			reason: "Schema files apply only to events whose embedded schema has their $id: a 0.4 event is checked against the embedded schema alone.",
			args: args{v: withFiles, ce: func(t *testing.T) cloudevents.Event {
				return built(t, v1alpha1.SpecVersion04, func(s *Subject) { s.Facts.Region = "" })
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.args.v.Validate(tc.args.ce(t))
			if diff := cmp.Diff(tc.want, errHead(err)); diff != "" {
				t.Errorf("\n%s\nv.Validate(...): -want error, +got error:\n%s\n(full error: %v)", tc.reason, diff, err)
			}
		})
	}
}

func TestNewValidator(t *testing.T) {
	cases := map[string]struct {
		reason string
		files  map[string]string
		custom map[string]string
		want   string
	}{
		"SchemaWithoutID": {
			reason: "A schema file must say its $id, or events could not be matched to it.",
			files:  map[string]string{"environmentmodified.json": `{"type": "object"}`},
			want:   "cannot read CDEvents schemas from <dir>: cannot load CDEvents schema environmentmodified.json: it has no $id",
		},
		"UnresolvableRef": {
			reason: "A $ref to a schema the directory lacks is an error, never a download.",
			files:  map[string]string{"environmentmodified.json": strictModified},
			want:   "cannot compile CDEvents schema " + modifiedSchemaID,
		},
		"InvalidCustomSchema": {
			reason: "A schemaUri schema that is not JSON is an error.",
			custom: map[string]string{customSchemaID: "{"},
			want:   "cannot decode custom schema " + customSchemaID,
		},
		"MissingDirectory": {
			reason: "A schema directory that does not exist is an error, not silently no schemas.",
			files:  map[string]string{},
			want:   "cannot read CDEvents schemas from <dir>/missing",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var (
				opts []ValidatorOption
				dir  string
			)
			if tc.files != nil {
				dir = schemaDir(t, tc.files)
				if len(tc.files) == 0 {
					opts = append(opts, WithSchemaDir(filepath.Join(dir, "missing")))
				} else {
					opts = append(opts, WithSchemaDir(dir))
				}
			}
			for id, s := range tc.custom {
				opts = append(opts, WithCustomSchema(id, []byte(s)))
			}
			_, err := NewValidator(opts...)
			got := ""
			if err != nil {
				got = err.Error()
				if dir != "" {
					got = strings.ReplaceAll(got, dir, "<dir>")
				}
			}
			// Compare as many ": "-separated messages as the case names;
			// the innermost ones come from the schema library.
			got = strings.Join(first(strings.Split(got, ": "), strings.Count(tc.want, ": ")+1), ": ")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nNewValidator(...): -want error, +got error:\n%s\n(full error: %v)", tc.reason, diff, err)
			}
		})
	}
}

func first(s []string, n int) []string {
	if len(s) < n {
		return s
	}
	return s[:n]
}

func TestBuilderUsesItsValidator(t *testing.T) {
	v, err := NewValidator(WithSchemaDir(schemaDir(t, map[string]string{
		"environmentmodified.json": strictModified,
		"links/crossplane.json":    strictLink,
	})))
	if err != nil {
		t.Fatalf("NewValidator(...): %v", err)
	}
	b, err := NewBuilder(WithValidator(v))
	if err != nil {
		t.Fatalf("NewBuilder(...): %v", err)
	}
	s := subject()
	s.Facts.Region = ""
	_, err = b.Build(s, ledgerEvent(v1alpha1.LifecycleReady), Options{Source: source})
	want := "invalid against the schema file " + modifiedSchemaID
	if diff := cmp.Diff(want, errHead(err)); diff != "" {
		t.Errorf("\nA Builder should refuse an event its validator finds invalid.\nb.Build(...): -want error, +got error:\n%s\n(full error: %v)", diff, err)
	}
}
