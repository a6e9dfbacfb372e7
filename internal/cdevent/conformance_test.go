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
	"sort"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

const (
	// EnvConformance names a directory holding the CDEvents spec's
	// conformance examples (conformance/*.json of cdevents/spec v0.5.1).
	EnvConformance = "CDEVENTS_CONFORMANCE"
	// EnvSchemas names a directory holding the CDEvents spec's JSON schemas
	// (schemas/*.json and schemas/links/*.json of cdevents/spec v0.5.1).
	EnvSchemas = "CDEVENTS_SCHEMAS"

	// conformanceSchemaURI is the schemaUri every conformance example
	// names. Like the SDK's own conformance test, we load a permissive
	// schema under it.
	conformanceSchemaURI = "https://myorg.com/schema/custom"
	permissiveSchema     = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "` + conformanceSchemaURI + `",
  "additionalProperties": true,
  "type": "object"
}`
)

// asCloudEvent wraps a CDEvent document as the CDEvents binding does.
func asCloudEvent(t *testing.T, raw []byte) cloudevents.Event {
	t.Helper()
	doc := struct {
		Context struct {
			ID        string    `json:"id"`
			Source    string    `json:"source"`
			Type      string    `json:"type"`
			Timestamp time.Time `json:"timestamp"`
		} `json:"context"`
		Subject struct {
			ID string `json:"id"`
		} `json:"subject"`
	}{}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("cannot decode example: %v", err)
	}
	ce := cloudevents.NewEvent()
	ce.SetID(doc.Context.ID)
	ce.SetSource(doc.Context.Source)
	ce.SetType(doc.Context.Type)
	ce.SetSubject(doc.Subject.ID)
	ce.SetTime(doc.Context.Timestamp)
	if err := ce.SetData(cloudevents.ApplicationJSON, json.RawMessage(raw)); err != nil {
		t.Fatalf("ce.SetData(...): %v", err)
	}
	return ce
}

// TestConformance reads and validates the spec's own examples of the event
// types the provider produces.
func TestConformance(t *testing.T) {
	dir := os.Getenv(EnvConformance)
	if dir == "" {
		t.Skipf("Set %s to a directory of CDEvents conformance examples (cdevents/spec v0.5.1 conformance/) to run this test.", EnvConformance)
	}
	files := []string{}
	for _, pattern := range []string{"environment_*.json", "incident_*.json"} {
		m, err := filepath.Glob(filepath.Join(dir, pattern))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		t.Fatalf("%s=%s holds no environment_*.json or incident_*.json examples", EnvConformance, dir)
	}

	opts := []ValidatorOption{WithCustomSchema(conformanceSchemaURI, []byte(permissiveSchema))}
	if sdir := os.Getenv(EnvSchemas); sdir != "" {
		opts = append(opts, WithSchemaDir(sdir))
	}
	v, err := NewValidator(opts...)
	if err != nil {
		t.Fatalf("NewValidator(...): %v", err)
	}
	strict, err := NewValidator()
	if err != nil {
		t.Fatalf("NewValidator(): %v", err)
	}

	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Clean(f))
			if err != nil {
				t.Fatal(err)
			}
			ce := asCloudEvent(t, raw)
			if err := v.Validate(ce); err != nil {
				t.Errorf("v.Validate(%s): %v", filepath.Base(f), err)
			}
			// Without the schema it names, an example cannot be validated.
			want := "cannot validate against schemaUri " + conformanceSchemaURI
			if diff := cmp.Diff(want, errHead(strict.Validate(ce))); diff != "" {
				t.Errorf("\nAn event naming an unloaded schemaUri should be refused.\nv.Validate(...): -want error, +got error:\n%s", diff)
			}

			ev, err := Parse(ce)
			if err != nil {
				t.Fatalf("Parse(%s): %v", filepath.Base(f), err)
			}
			// The summary must agree with the example's own context.
			got := Summarize(ev)
			wantSummary := Summary{
				Type: ce.Type(), SpecVersion: "0.5.1", ID: ce.ID(), Source: ce.Source(), SubjectID: ce.Subject(), Timestamp: ce.Time(),
			}
			if diff := cmp.Diff(wantSummary, got); diff != "" {
				t.Errorf("\nSummarize(Parse(%s)): -want, +got:\n%s", filepath.Base(f), diff)
			}
		})
	}
}

// TestBuiltAgainstSchemaFiles validates every event the provider builds in
// spec 0.5 against the spec's schema files as well as the SDK's embedded
// copies, with formats asserted.
func TestBuiltAgainstSchemaFiles(t *testing.T) {
	dir := os.Getenv(EnvSchemas)
	if dir == "" {
		t.Skipf("Set %s to a directory of CDEvents JSON schemas (cdevents/spec v0.5.1 schemas/) to run this test.", EnvSchemas)
	}
	v, err := NewValidator(WithSchemaDir(dir))
	if err != nil {
		t.Fatalf("NewValidator(WithSchemaDir(%s)): %v", dir, err)
	}
	b, err := NewBuilder(WithValidator(v))
	if err != nil {
		t.Fatalf("NewBuilder(...): %v", err)
	}
	lifecycles := []v1alpha1.Lifecycle{
		v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady, v1alpha1.LifecycleUpgraded, v1alpha1.LifecycleDegraded,
		v1alpha1.LifecycleRecovered, v1alpha1.LifecycleFailed, v1alpha1.LifecycleDeleting, v1alpha1.LifecycleDeleted,
	}
	types := map[string]bool{}
	for _, l := range lifecycles {
		got, err := b.Build(subject(), ledgerEvent(l), Options{Source: source, Incidents: true, IncidentStart: transition})
		if err != nil {
			t.Errorf("b.Build(%s): %v", l, err)
			continue
		}
		for _, ce := range got {
			if err := v.Validate(ce); err != nil {
				t.Errorf("v.Validate(%s of %s): %v", ce.Type(), l, err)
			}
			types[ce.Type()] = true
		}
	}
	if diff := cmp.Diff(5, len(types)); diff != "" {
		t.Errorf("\nEvery event type the provider produces should have been checked.\n-want, +got:\n%s", diff)
	}

	// The files assert formats, which the embedded schemas do not: an
	// event with a content.uri that is not a URI passes the embedded
	// schema but not the files. This proves the files are in use.
	bad := withData(t, built(t, v1alpha1.SpecVersion05), func(doc map[string]any) {
		doc["subject"].(map[string]any)["content"].(map[string]any)["uri"] = "not a uri"
	})
	plain, err := NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	if err := plain.Validate(bad); err != nil {
		t.Errorf("The embedded schema should not assert formats, got: %v", err)
	}
	want := "invalid against the schema file " + modifiedSchemaID
	if diff := cmp.Diff(want, errHead(v.Validate(bad))); diff != "" {
		t.Errorf("\nThe schema files should assert the uri format.\nv.Validate(...): -want error, +got error:\n%s", diff)
	}
}
