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
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cdevents/sdk-go/pkg/api"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	jsonschema "github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const (
	errFmtReadSchemaDir    = "cannot read CDEvents schemas from %s"
	errFmtReadSchema       = "cannot read CDEvents schema %s"
	errFmtNoSchemaID       = "cannot load CDEvents schema %s: it has no $id"
	errFmtAddSchema        = "cannot add CDEvents schema %s"
	errFmtCompileSchema    = "cannot compile CDEvents schema %s"
	errFmtDecodeCustom     = "cannot decode custom schema %s"
	errFmtContentType      = "cannot validate data of content type %q: CDEvents are application/json"
	errDecodeData          = "cannot decode the CloudEvent data as JSON"
	errNoContext           = "cannot validate a CDEvent without a context object"
	errFmtParseType        = "cannot parse CDEvents type %q"
	errFmtEmbeddedSchema   = "cannot find the embedded schema of %s for spec %s"
	errFmtInvalidEmbedded  = "invalid against the embedded schema %s"
	errFmtInvalidFile      = "invalid against the schema file %s"
	errFmtUnknownSchemaURI = "cannot validate against schemaUri %s: no schema with that id is loaded"
	errFmtInvalidSchemaURI = "invalid against the schemaUri schema %s"
	errSubjectSource       = "invalid subject.source"
	errFmtEnvelopeMismatch = "CloudEvent %s %q does not match the CDEvent's %s %q"
	errFmtEnvelopeTime     = "CloudEvent time %s does not match the CDEvent's timestamp %q"
	errInvalidCloudEvent   = "invalid CloudEvent"
)

// A Validator checks CDEvents against the JSON schemas of the spec. It is
// used for every event the provider builds, and by tests of any package
// that wants to prove what it sent or received is valid. A Validator is
// safe for concurrent use.
type Validator struct {
	files  map[string]*jsonschema.Schema
	custom map[string]*jsonschema.Schema
}

type validatorConfig struct {
	dirs   []string
	custom map[string][]byte
}

// A ValidatorOption configures a Validator.
type ValidatorOption func(*validatorConfig)

// WithSchemaDir also validates against the schema files of a CDEvents spec
// checkout (schemas/*.json and schemas/links/*.json), for each event whose
// embedded schema has the same $id. It guards against the SDK's embedded
// copy drifting from the published spec. Formats (uri, date-time) are
// asserted for these schemas, which the embedded ones do not do.
func WithSchemaDir(dir string) ValidatorOption {
	return func(c *validatorConfig) {
		c.dirs = append(c.dirs, dir)
	}
}

// WithCustomSchema loads the schema a CDEvent's context.schemaUri names.
// Events that carry a schemaUri are validated against it too, and are
// invalid when no schema with that id is loaded. The spec's conformance
// examples all name https://myorg.com/schema/custom.
func WithCustomSchema(id string, schema []byte) ValidatorOption {
	return func(c *validatorConfig) {
		c.custom[id] = schema
	}
}

// NewValidator compiles the schemas its options name. The schemas embedded
// in the CDEvents SDK are always used, and are compiled already.
func NewValidator(opts ...ValidatorOption) (*Validator, error) {
	c := &validatorConfig{custom: map[string][]byte{}}
	for _, o := range opts {
		o(c)
	}
	v := &Validator{files: map[string]*jsonschema.Schema{}, custom: map[string]*jsonschema.Schema{}}
	if len(c.dirs) == 0 && len(c.custom) == 0 {
		return v, nil
	}

	comp := jsonschema.NewCompiler()
	comp.AssertFormat()
	var ids []string
	for _, dir := range c.dirs {
		found, err := addSchemaDir(comp, dir)
		if err != nil {
			return nil, err
		}
		ids = append(ids, found...)
	}
	for _, id := range ids {
		sch, err := comp.Compile(id)
		if err != nil {
			return nil, errors.Wrapf(err, errFmtCompileSchema, id)
		}
		v.files[id] = sch
	}

	for id, raw := range c.custom {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, errors.Wrapf(err, errFmtDecodeCustom, id)
		}
		cc := jsonschema.NewCompiler()
		if err := cc.AddResource(id, doc); err != nil {
			return nil, errors.Wrapf(err, errFmtAddSchema, id)
		}
		sch, err := cc.Compile(id)
		if err != nil {
			return nil, errors.Wrapf(err, errFmtCompileSchema, id)
		}
		v.custom[id] = sch
	}
	return v, nil
}

// addSchemaDir adds every *.json file under dir to comp under its $id, so
// that the $refs between them (links/*.json) resolve without fetching
// anything, and returns their ids. Files are read through an os.Root, so
// links cannot lead outside dir.
func addSchemaDir(comp *jsonschema.Compiler, dir string) ([]string, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, errors.Wrapf(err, errFmtReadSchemaDir, dir)
	}
	defer root.Close()
	fsys := root.FS()
	var ids []string
	err = fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Ext(path) != ".json" {
			return nil
		}
		raw, err := fs.ReadFile(fsys, path)
		if err != nil {
			return errors.Wrapf(err, errFmtReadSchema, path)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return errors.Wrapf(err, errFmtReadSchema, path)
		}
		id := stringAt(doc, "$id")
		if id == "" {
			return errors.Errorf(errFmtNoSchemaID, path)
		}
		if err := comp.AddResource(id, doc); err != nil {
			return errors.Wrapf(err, errFmtAddSchema, path)
		}
		ids = append(ids, id)
		return nil
	})
	return ids, errors.Wrapf(err, errFmtReadSchemaDir, dir)
}

// Validate checks a CloudEvent that carries a CDEvent: the data against the
// embedded schema of its type and spec version, the schema file with the
// same $id when loaded, and the schemaUri schema when it names one; the
// source, which the schemas do not check; and that the CloudEvent's id,
// source, type, subject and time are the CDEvent's, as the CDEvents
// binding requires.
func (v *Validator) Validate(ce cloudevents.Event) error {
	if err := ce.Validate(); err != nil {
		return errors.Wrap(err, errInvalidCloudEvent)
	}
	if mt := ce.DataMediaType(); mt != cloudevents.ApplicationJSON {
		return errors.Errorf(errFmtContentType, mt)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(ce.Data()))
	if err != nil {
		return errors.Wrap(err, errDecodeData)
	}
	ctx, ok := objectAt(doc, "context")
	if !ok {
		return errors.New(errNoContext)
	}
	typ := stringAt(ctx, "type")
	t, err := api.ParseType(typ)
	if err != nil {
		return errors.Wrapf(err, errFmtParseType, typ)
	}
	version := stringAt(ctx, "specversion")
	if version == "" {
		version = stringAt(ctx, "version")
	}
	id, sch, err := api.CompiledSchemas.GetBySpecSubjectPredicate(version, t.Subject, t.Predicate, t.Custom)
	if err != nil {
		return errors.Wrapf(err, errFmtEmbeddedSchema, typ, version)
	}
	if err := v.validateDocument(id, sch, doc); err != nil {
		return err
	}
	if uri := stringAt(ctx, "schemaUri"); uri != "" {
		cs, ok := v.custom[uri]
		if !ok {
			return errors.Errorf(errFmtUnknownSchemaURI, uri)
		}
		if err := cs.Validate(doc); err != nil {
			return errors.Wrapf(err, errFmtInvalidSchemaURI, uri)
		}
	}

	source := stringAt(ctx, "source")
	if err := checkSource(source); err != nil {
		return err
	}
	subject, _ := objectAt(doc, "subject")
	if ss := stringAt(subject, "source"); ss != "" {
		if err := checkSource(ss); err != nil {
			return errors.Wrap(err, errSubjectSource)
		}
	}
	return checkEnvelope(ce, ctx, subject)
}

// checkEnvelope compares the CloudEvent attributes with the CDEvent they
// carry: brokers route on the attributes, consumers read the data.
func checkEnvelope(ce cloudevents.Event, ctx, subject any) error {
	for _, a := range []struct{ attr, got, field, want string }{
		{attr: "id", got: ce.ID(), field: "context.id", want: stringAt(ctx, "id")},
		{attr: "source", got: ce.Source(), field: "context.source", want: stringAt(ctx, "source")},
		{attr: "type", got: ce.Type(), field: "context.type", want: stringAt(ctx, "type")},
		{attr: "subject", got: ce.Subject(), field: "subject.id", want: stringAt(subject, "id")},
	} {
		if a.got != a.want {
			return errors.Errorf(errFmtEnvelopeMismatch, a.attr, a.got, a.field, a.want)
		}
	}
	ts := stringAt(ctx, "timestamp")
	want, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || !ce.Time().Equal(want) {
		return errors.Errorf(errFmtEnvelopeTime, ce.Time().Format(time.RFC3339Nano), ts)
	}
	return nil
}

// validateDocument checks a decoded CDEvent against its embedded schema
// and, when loaded, the schema file with the same id.
func (v *Validator) validateDocument(id string, embedded *jsonschema.Schema, doc any) error {
	if err := embedded.Validate(doc); err != nil {
		return errors.Wrapf(err, errFmtInvalidEmbedded, id)
	}
	if f, ok := v.files[id]; ok {
		if err := f.Validate(doc); err != nil {
			return errors.Wrapf(err, errFmtInvalidFile, id)
		}
	}
	return nil
}

// objectAt returns the object under key in a decoded JSON object.
func objectAt(doc any, key string) (map[string]any, bool) {
	m, ok := doc.(map[string]any)
	if !ok {
		return nil, false
	}
	o, ok := m[key].(map[string]any)
	return o, ok
}

// stringAt returns the string under key in a decoded JSON object, or "".
func stringAt(doc any, key string) string {
	m, ok := doc.(map[string]any)
	if !ok {
		return ""
	}
	s, _ := m[key].(string)
	return s
}
