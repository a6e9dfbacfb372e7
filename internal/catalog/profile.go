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
	"sort"
	"strings"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// AnnotationExternalName is where Crossplane keeps a managed resource's
// cloud-side name; it is every profile's default external name.
const AnnotationExternalName = "crossplane.io/external-name"

// MaxMessageBytes bounds the condition messages the provider keeps per
// cluster: a Terraform error can run to kilobytes, and the provider holds
// one observation per cluster in memory.
const MaxMessageBytes = 256

// maxFactBytes bounds a fact read from an object. Real identifiers are far
// shorter; the bound only stops a hostile object from bloating memory.
const maxFactBytes = 1024

// maxPathsPerFact mirrors the MaxItems validation of ClusterKind fields.
const maxPathsPerFact = 8

const (
	errNoGroup          = "group is required"
	errNoKind           = "kind is required"
	errNoProvider       = "provider is required"
	errFmtPath          = "cannot parse fields.%s path %q"
	errFmtTooManyPaths  = "fields.%s has more than %d paths"
	errFmtPathRoot      = "cannot read fields.%s path %q: only metadata, status, spec.forProvider, spec.initProvider and direct fields of spec may be read"
	errNoStates         = "cannot use fields.cloudState without states: name at least one state value"
	errStatesWithoutCS  = "cannot use states without fields.cloudState"
	errFmtDuplicate     = "state %q is listed as both %s and %s"
	errFmtEmptyState    = "states.%s holds an empty value"
	defaultExternalName = "metadata.annotations[" + AnnotationExternalName + "]"
)

// Health classifies a cloud state value, so that one state machine serves
// clouds that spell their states differently (ACTIVE, RUNNING, Succeeded,
// ready).
type Health int

// Health classes of a cloud state.
const (
	// HealthUnknown: the kind has no cloud state, the object holds none,
	// or its value is in no list of the profile. It says nothing.
	HealthUnknown Health = iota
	// HealthHealthy: the cluster serves, possibly while being updated.
	HealthHealthy
	// HealthProvisioning: the cloud is still creating the cluster.
	HealthProvisioning
	// HealthDegraded: the cluster exists but does not serve fully.
	HealthDegraded
	// HealthFailed: the cluster is broken, typically a failed create.
	HealthFailed
	// HealthDeleting: the cloud is deleting the cluster.
	HealthDeleting
)

// String returns the class name.
func (h Health) String() string {
	switch h {
	case HealthHealthy:
		return "Healthy"
	case HealthProvisioning:
		return "Provisioning"
	case HealthDegraded:
		return "Degraded"
	case HealthFailed:
		return "Failed"
	case HealthDeleting:
		return "Deleting"
	case HealthUnknown:
	}
	return "Unknown"
}

// A Profile is a compiled ClusterKindSpec: how to read one cluster kind.
// It is immutable once compiled, so it is safe to share between
// goroutines and to keep while the catalog changes.
type Profile struct {
	spec              v1alpha1.ClusterKindSpec
	gk                schema.GroupKind
	readyMeansHealthy bool

	externalName []Path
	cloudID      []Path
	endpoint     []Path
	version      []Path
	region       []Path
	cloudState   []Path
	// providerConfig reads spec.providerConfigRef, which every managed
	// resource has: cascades group clusters by it.
	providerConfig []Path

	states map[string]Health
}

// Compile checks a profile and prepares it for reading objects. Invalid
// paths and a cloud state without any state values are errors, so that a
// mistaken ClusterKind is reported rather than read as empty.
func Compile(spec v1alpha1.ClusterKindSpec) (*Profile, error) {
	switch {
	case spec.Group == "":
		return nil, errors.New(errNoGroup)
	case spec.Kind == "":
		return nil, errors.New(errNoKind)
	case spec.Provider == "":
		return nil, errors.New(errNoProvider)
	}
	p := &Profile{
		spec:              *spec.DeepCopy(),
		gk:                schema.GroupKind{Group: spec.Group, Kind: spec.Kind},
		readyMeansHealthy: readyMeansHealthy(spec),
	}
	f := spec.Fields
	externalName := f.ExternalName
	if len(externalName) == 0 {
		externalName = []string{defaultExternalName}
	}
	var err error
	for _, c := range []struct {
		name  string
		paths []string
		dst   *[]Path
	}{
		{name: "externalName", paths: externalName, dst: &p.externalName},
		{name: "cloudId", paths: f.CloudID, dst: &p.cloudID},
		{name: "endpoint", paths: f.Endpoint, dst: &p.endpoint},
		{name: "kubernetesVersion", paths: f.KubernetesVersion, dst: &p.version},
		{name: "region", paths: f.Region, dst: &p.region},
		{name: "cloudState", paths: f.CloudState, dst: &p.cloudState},
	} {
		if *c.dst, err = compilePaths(c.name, c.paths); err != nil {
			return nil, err
		}
	}
	// Not a user's path: the reference is two short names every managed
	// resource has, so it is read past the rule that keeps profiles out
	// of the bulk of a spec.
	for _, raw := range []string{providerConfigRefKind, providerConfigRefName} {
		x, err := ParsePath(raw)
		if err != nil {
			return nil, errors.Wrapf(err, errFmtPath, "providerConfigRef", raw)
		}
		p.providerConfig = append(p.providerConfig, x)
	}
	if p.states, err = compileStates(spec.States); err != nil {
		return nil, err
	}
	switch {
	case len(p.cloudState) > 0 && len(p.states) == 0:
		return nil, errors.New(errNoStates)
	case len(p.cloudState) == 0 && len(p.states) > 0:
		return nil, errors.New(errStatesWithoutCS)
	}
	return p, nil
}

// readyMeansHealthy is what a spec says of Ready=True: its explicit
// setting, else true unless it declares states that mean the cluster does
// not serve. Declaring a degraded state is asking for it to be reported,
// also while the provider keeps Ready=True.
func readyMeansHealthy(spec v1alpha1.ClusterKindSpec) bool {
	if spec.ReadyMeansHealthy != nil {
		return *spec.ReadyMeansHealthy
	}
	s := spec.States
	return len(s.Degraded) == 0 && len(s.Failed) == 0 && len(s.Deleting) == 0
}

// IgnoredStates says which state declarations of the profile do not take
// effect while Ready=True, and why, in a fixed order; empty when every one
// counts. With readyMeansHealthy true, Ready=True alone means healthy, so a
// cloud state other than healthy only counts while Ready is not True.
func (p *Profile) IgnoredStates() string {
	if !p.readyMeansHealthy || p.spec.ReadyMeansHealthy == nil {
		return ""
	}
	var out []string
	s := p.spec.States
	for _, c := range []struct {
		name   string
		values []string
	}{
		{name: "provisioning", values: s.Provisioning},
		{name: "degraded", values: s.Degraded},
		{name: "failed", values: s.Failed},
		{name: "deleting", values: s.Deleting},
	} {
		if len(c.values) > 0 {
			out = append(out, "states."+c.name+" "+strings.Join(c.values, ", "))
		}
	}
	if len(out) == 0 {
		return ""
	}
	return strings.Join(out, "; ") + " are ignored while Ready=True because readyMeansHealthy is true: " +
		"they count only while the provider also reports Ready=False. Unset readyMeansHealthy, or set it false, to report them whatever Ready says"
}

func compilePaths(field string, raw []string) ([]Path, error) {
	if len(raw) > maxPathsPerFact {
		return nil, errors.Errorf(errFmtTooManyPaths, field, maxPathsPerFact)
	}
	out := make([]Path, 0, len(raw))
	for _, r := range raw {
		p, err := ParsePath(r)
		if err != nil {
			return nil, errors.Wrapf(err, errFmtPath, field, r)
		}
		if !readable(p) {
			return nil, errors.Errorf(errFmtPathRoot, field, r)
		}
		out = append(out, p)
	}
	return out, nil
}

// readable reports whether a profile may read p. The provider trims the
// objects it caches to what profiles read, so a profile must not reach
// into the bulk of a spec. Classic kinds without forProvider (the Azure
// AKSCluster, Civo) keep their parameters directly in spec, hence direct
// fields of spec are allowed.
func readable(p Path) bool {
	switch p.segs[0] {
	case "metadata", "status":
		return len(p.segs) > 1
	case "spec":
		switch {
		case len(p.segs) == 2:
			return p.segs[1] != "forProvider" && p.segs[1] != "initProvider"
		case len(p.segs) > 2:
			return p.segs[1] == "forProvider" || p.segs[1] == "initProvider"
		}
	}
	return false
}

func compileStates(s v1alpha1.CloudStates) (map[string]Health, error) {
	m := map[string]Health{}
	for _, c := range []struct {
		name   string
		values []string
		h      Health
	}{
		{name: "healthy", values: s.Healthy, h: HealthHealthy},
		{name: "provisioning", values: s.Provisioning, h: HealthProvisioning},
		{name: "degraded", values: s.Degraded, h: HealthDegraded},
		{name: "failed", values: s.Failed, h: HealthFailed},
		{name: "deleting", values: s.Deleting, h: HealthDeleting},
	} {
		for _, v := range c.values {
			k := strings.ToLower(strings.TrimSpace(v))
			if k == "" {
				return nil, errors.Errorf(errFmtEmptyState, c.name)
			}
			if prev, ok := m[k]; ok && prev != c.h {
				return nil, errors.Errorf(errFmtDuplicate, v, prev, c.h)
			}
			m[k] = c.h
		}
	}
	return m, nil
}

// GroupKind of the profile's kind.
func (p *Profile) GroupKind() schema.GroupKind { return p.gk }

// Provider is the provider family reported in events and matched by sink
// selectors, such as aws or gcp.
func (p *Profile) Provider() string { return p.spec.Provider }

// Spec returns a copy of the spec the profile was compiled from.
func (p *Profile) Spec() v1alpha1.ClusterKindSpec { return *p.spec.DeepCopy() }

// ReadyMeansHealthy reports whether Ready=True alone means the cluster is
// healthy. It is false for kinds whose provider reports Ready=True
// whenever the cloud resource exists; their health comes from the cloud
// state.
func (p *Profile) ReadyMeansHealthy() bool { return p.readyMeansHealthy }

// HasCloudState reports whether the kind reports a cloud state of its own.
func (p *Profile) HasCloudState() bool { return len(p.cloudState) > 0 }

// CloudHealth classifies a cloud state value. Matching ignores case and
// surrounding space; a value in no list is HealthUnknown.
func (p *Profile) CloudHealth(state string) Health {
	if state == "" || len(p.states) == 0 {
		return HealthUnknown
	}
	return p.states[strings.ToLower(strings.TrimSpace(state))]
}

// Facts reads the facts the profile names from an object's content, as
// the object reports them. Each is the first non-empty value of its paths.
func (p *Profile) Facts(content map[string]any) v1alpha1.Facts {
	return v1alpha1.Facts{
		ExternalName:      bound(First(content, p.externalName...)),
		CloudID:           bound(First(content, p.cloudID...)),
		Endpoint:          bound(First(content, p.endpoint...)),
		KubernetesVersion: bound(First(content, p.version...)),
		Region:            bound(First(content, p.region...)),
		CloudState:        bound(First(content, p.cloudState...)),
		ProviderConfig:    bound(p.providerConfigRef(content)),
	}
}

// Paths of the managed resource's ProviderConfig reference.
const (
	providerConfigRefKind = "spec.providerConfigRef.kind"
	providerConfigRefName = "spec.providerConfigRef.name"
)

// providerConfigRef names the ProviderConfig a managed resource uses, as
// <kind>/<name> where the reference has a kind (namespaced managed
// resources of Crossplane v2) and as <name> otherwise; empty when it names
// none.
func (p *Profile) providerConfigRef(content map[string]any) string {
	if len(p.providerConfig) != 2 {
		return ""
	}
	name := p.providerConfig[1].Read(content)
	if name == "" {
		return ""
	}
	if kind := p.providerConfig[0].Read(content); kind != "" {
		return kind + "/" + name
	}
	return name
}

// Paths returns every field path the profile's spec names, sorted, so
// callers can tell which fields an object must keep; every profile also
// reads spec.providerConfigRef.
func (p *Profile) Paths() []string {
	seen := map[string]bool{}
	for _, ps := range [][]Path{p.externalName, p.cloudID, p.endpoint, p.version, p.region, p.cloudState} {
		for _, x := range ps {
			seen[x.raw] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// FieldPaths returns the keys of every path the profile reads, its
// providerConfigRef's included, so that a decoder can keep those fields
// and skip the rest of an object.
func (p *Profile) FieldPaths() [][]string {
	var out [][]string
	for _, ps := range [][]Path{p.externalName, p.cloudID, p.endpoint, p.version, p.region, p.cloudState, p.providerConfig} {
		for _, x := range ps {
			out = append(out, x.Segments())
		}
	}
	return out
}

// Trim returns a copy of an object's content reduced to what the provider
// reads from it: apiVersion, kind, the identifying metadata (no
// managedFields, only crossplane.io annotations), status.conditions with
// messages bounded, and the fields the profile names. Informers keep
// trimmed objects, so memory grows with the number of clusters, not with
// the size of their specs, and no other spec field is ever held. Reading
// a trimmed object gives the same facts as reading the original.
func (p *Profile) Trim(content map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"apiVersion", "kind"} {
		if s, ok := content[k].(string); ok {
			out[k] = s
		}
	}
	if md, ok := content["metadata"].(map[string]any); ok {
		out["metadata"] = trimMetadata(md)
	}
	if st, ok := content["status"].(map[string]any); ok {
		if conds := trimConditions(st["conditions"]); conds != nil {
			out["status"] = map[string]any{"conditions": conds}
		}
	}
	for _, ps := range [][]Path{p.externalName, p.cloudID, p.endpoint, p.version, p.region, p.cloudState, p.providerConfig} {
		for _, x := range ps {
			v, ok := prune(content, x.segs)
			if !ok {
				continue
			}
			for k, sub := range v.(map[string]any) { //nolint:forcetypeassert // prune of a map with a non-empty path is a map.
				out[k] = merge(out[k], sub)
			}
		}
	}
	return out
}

func trimMetadata(md map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range [...]string{"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp"} {
		if v, ok := md[k]; ok {
			out[k] = v
		}
	}
	if l, ok := md["labels"].(map[string]any); ok {
		labels := make(map[string]any, len(l))
		for k, v := range l {
			labels[k] = v
		}
		out["labels"] = labels
	}
	if a, ok := md["annotations"].(map[string]any); ok {
		annotations := map[string]any{}
		for k, v := range a {
			if strings.HasPrefix(k, "crossplane.io/") {
				annotations[k] = v
			}
		}
		if len(annotations) > 0 {
			out["annotations"] = annotations
		}
	}
	return out
}

func trimConditions(v any) []any {
	l, ok := v.([]any)
	if !ok {
		return nil
	}
	out := make([]any, 0, len(l))
	for _, item := range l {
		c, ok := item.(map[string]any)
		if !ok {
			continue
		}
		t := make(map[string]any, 6)
		for _, k := range [...]string{"type", "status", "reason", "lastTransitionTime", "observedGeneration"} {
			if v, ok := c[k]; ok {
				t[k] = v
			}
		}
		if m, ok := c["message"].(string); ok {
			t["message"] = Truncate(m, MaxMessageBytes)
		}
		out = append(out, t)
	}
	return out
}

// Truncate bounds s to max bytes without splitting a UTF-8 character, and
// copies it, so that keeping the result does not keep a large original.
func Truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strings.Clone(s[:cut])
}

func bound(s string) string { return Truncate(s, maxFactBytes) }
