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

package controller_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// upstreamKind is one real upstream CRD and the examples of its kind.
type upstreamKind struct {
	crd      *apiextensionsv1.CustomResourceDefinition
	examples []*unstructured.Unstructured
}

// loadUpstream reads every CRD and example under dir. A CRD that appears
// again under historical/ is taken once, newest (top level) first.
func loadUpstream(t *testing.T, dir string) map[string]*upstreamKind {
	t.Helper()
	var files []string
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	// Top-level files before historical ones; newer history first.
	sort.SliceStable(files, func(i, j int) bool {
		hi, hj := strings.Contains(files[i], "historical"), strings.Contains(files[j], "historical")
		if hi != hj {
			return !hi
		}
		return files[i] > files[j]
	})
	kinds := map[string]*upstreamKind{}
	crdDirs := map[string]string{} // CRD name -> the directory it came from
	var docs []*unstructured.Unstructured
	docDirs := map[*unstructured.Unstructured]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
		for {
			doc, err := r.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(doc, &u.Object); err != nil || u.Object == nil {
				continue
			}
			if u.GetKind() == "CustomResourceDefinition" {
				crd := &apiextensionsv1.CustomResourceDefinition{}
				if err := yaml.Unmarshal(doc, crd); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if _, seen := kinds[crd.GetName()]; seen {
					continue
				}
				kinds[crd.GetName()] = &upstreamKind{crd: crd}
				crdDirs[crd.GetName()] = filepath.Dir(f)
				continue
			}
			docs = append(docs, u)
			docDirs[u] = filepath.Dir(filepath.Dir(f)) // examples/ sits beside the CRDs
		}
	}
	for _, u := range docs {
		gvk := u.GroupVersionKind()
		for name, k := range kinds {
			if k.crd.Spec.Group == gvk.Group && k.crd.Spec.Names.Kind == gvk.Kind && crdDirs[name] == docDirs[u] {
				k.examples = append(k.examples, u)
			}
		}
	}
	return kinds
}

// TestUpstreamCRDs installs every real upstream CRD into the API server,
// creates every example cluster object, drives each through the status
// its provider writes, and checks the ledger follows: Provisioning, Ready
// with the facts its profile reads, then Deleted.
func TestUpstreamCRDs(t *testing.T) {
	dir := os.Getenv("UPSTREAM_CRDS")
	if dir == "" {
		t.Skip("UPSTREAM_CRDS is not set: skipping the tests on the real upstream CRDs (.ci/run sets it to ../shared/upstream-crds)")
	}
	ctx := context.Background()
	kube := kubeClient(t)
	kinds := loadUpstream(t, dir)
	if len(kinds) < 16 {
		t.Fatalf("found %d CRDs under %s, want at least 16", len(kinds), dir)
	}
	var crds []*apiextensionsv1.CustomResourceDefinition
	for _, k := range kinds {
		crds = append(crds, k.crd)
	}
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{CRDs: crds, MaxTime: 2 * time.Minute}); err != nil {
		t.Fatalf("install upstream CRDs: %v", err)
	}
	t.Cleanup(func() {
		for _, c := range crds {
			_ = kube.Delete(context.Background(), c.DeepCopy())
		}
	})
	p := startProvider(t)
	cat := catalog.New()

	names := make([]string, 0, len(kinds))
	for n := range kinds {
		names = append(names, n)
	}
	sort.Strings(names)
	tested := 0
	for _, crdName := range names {
		k := kinds[crdName]
		gk := schema.GroupKind{Group: k.crd.Spec.Group, Kind: k.crd.Spec.Names.Kind}
		prof, ok := cat.Lookup(gk)
		if !ok {
			t.Errorf("%s: no built-in profile", gk)
			continue
		}
		if err := testkit.Eventually(waitLong, func() error {
			if !p.Pipeline.Discovery.IsWatching(gk) {
				return fmt.Errorf("%s is not watched", gk)
			}
			return nil
		}); err != nil {
			t.Error(err)
			continue
		}
		if len(k.examples) == 0 {
			t.Logf("%s: no example to drive", gk)
			continue
		}
		for i, ex := range k.examples {
			t.Run(fmt.Sprintf("%s/%d", crdName, i), func(t *testing.T) {
				driveUpstream(ctx, t, k.crd, prof, ex, fmt.Sprintf("up-%d-%s-%s", i, strings.ToLower(k.crd.Spec.Names.Kind), strings.ReplaceAll(k.crd.Spec.Group, ".", "-")))
			})
			tested++
		}
	}
	if tested < 16 {
		t.Errorf("drove %d upstream examples, want at least one per kind", tested)
	}
}

func dynClusters(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition, ex *unstructured.Unstructured) *fleetsim.Clusters {
	t.Helper()
	gv := ex.GroupVersionKind()
	return fleetsim.NewClusters(dynClient(t), schema.GroupVersionResource{Group: gv.Group, Version: gv.Version, Resource: crd.Spec.Names.Plural}, gv.Kind, exampleNamespace(crd, ex))
}

func exampleNamespace(crd *apiextensionsv1.CustomResourceDefinition, ex *unstructured.Unstructured) string {
	if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		return ""
	}
	if ns := ex.GetNamespace(); ns != "" {
		return ns
	}
	return "default"
}

// setBySchema writes a string at a dot-separated path, following the CRD
// schema: where the schema has a list, it writes a one-element list (the
// singleton-list shape of upjet v1beta1 and older upjet providers).
func setBySchema(obj map[string]any, s *apiextensionsv1.JSONSchemaProps, segs []string, v string) {
	if len(segs) == 0 || s == nil {
		return
	}
	child, ok := s.Properties[segs[0]]
	if !ok {
		return
	}
	if len(segs) == 1 {
		if child.Type == "array" {
			obj[segs[0]] = []any{v}
			return
		}
		obj[segs[0]] = v
		return
	}
	if child.Type == "array" && child.Items != nil && child.Items.Schema != nil {
		list, _ := obj[segs[0]].([]any)
		var first map[string]any
		if len(list) > 0 {
			first, _ = list[0].(map[string]any)
		}
		if first == nil {
			first = map[string]any{}
		}
		setBySchema(first, child.Items.Schema, segs[1:], v)
		obj[segs[0]] = []any{first}
		return
	}
	next, _ := obj[segs[0]].(map[string]any)
	if next == nil {
		next = map[string]any{}
	}
	setBySchema(next, &child, segs[1:], v)
	obj[segs[0]] = next
}

// conform makes a value fit its schema the way a user fixing an outdated
// example would: placeholders of the wrong type ("string" where a boolean
// is expected) become zero values, and missing required fields get one.
// Some upstream examples predate their CRDs' current validation.
func conform(v any, s *apiextensionsv1.JSONSchemaProps) any {
	if s == nil || s.XIntOrString || s.XPreserveUnknownFields != nil && s.Type == "" {
		return v
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			m = map[string]any{}
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				m[r] = nil
			}
		}
		for k, val := range m {
			if child, ok := s.Properties[k]; ok {
				m[k] = conform(val, &child)
			}
		}
		return m
	case "array":
		l, ok := v.([]any)
		if !ok {
			return []any{}
		}
		if s.Items != nil && s.Items.Schema != nil {
			for i := range l {
				l[i] = conform(l[i], s.Items.Schema)
			}
		}
		return l
	case "string":
		if _, ok := v.(string); !ok {
			return ""
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return false
		}
	case "integer", "number":
		switch v.(type) {
		case int64, float64, int:
		default:
			return int64(0)
		}
	}
	return v
}

// conformPart conforms one top-level part (spec or status) of an object.
func conformPart(u *unstructured.Unstructured, s *apiextensionsv1.JSONSchemaProps, part string) {
	if s == nil {
		return
	}
	child, ok := s.Properties[part]
	if !ok {
		return
	}
	if v, ok := u.Object[part]; ok {
		u.Object[part] = conform(v, &child)
	}
}

// writeFact writes v at the first status path of a profile field.
func writeFact(u *unstructured.Unstructured, s *apiextensionsv1.JSONSchemaProps, paths []string, v string) bool {
	for _, p := range paths {
		if strings.HasPrefix(p, "status.") && !strings.Contains(p, "[") {
			setBySchema(u.Object, s, strings.Split(p, "."), v)
			return true
		}
	}
	return false
}

func schemaOf(crd *apiextensionsv1.CustomResourceDefinition, version string) *apiextensionsv1.JSONSchemaProps {
	for _, v := range crd.Spec.Versions {
		if v.Name == version && v.Schema != nil {
			return v.Schema.OpenAPIV3Schema
		}
	}
	return nil
}

// driveUpstream creates one example object and writes status the way its
// provider does, checking the ledger at each step.
func driveUpstream(ctx context.Context, t *testing.T, crd *apiextensionsv1.CustomResourceDefinition, p *catalog.Profile, ex *unstructured.Unstructured, name string) {
	t.Helper()
	kube := kubeClient(t)
	c := dynClusters(t, crd, ex)
	ns := exampleNamespace(crd, ex)
	if ns != "" {
		if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !kerrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	obj := ex.DeepCopy()
	delete(obj.Object, "status")
	obj.SetName(name)
	obj.SetNamespace(ns)
	sch := schemaOf(crd, ex.GroupVersionKind().Version)
	conformPart(obj, sch, "spec")
	if err := c.CreateObject(ctx, obj); err != nil {
		t.Fatalf("create the %s example: %v", ex.GroupVersionKind(), err)
	}
	spec := p.Spec()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)

	// The managed reconciler requests the create.
	if err := c.Update(ctx, name, func(u *unstructured.Unstructured) {
		fleetsim.Annotate(u, fleetsim.AnnotationCreatePending, t0.Format(time.RFC3339))
		fleetsim.Annotate(u, fleetsim.AnnotationCreateSucceeded, t0.Format(time.RFC3339))
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Status(ctx, name, func(u *unstructured.Unstructured) {
		if len(spec.States.Provisioning) > 0 {
			writeFact(u, sch, spec.Fields.CloudState, spec.States.Provisioning[0])
		}
		fleetsim.SetCondition(u, "Ready", "False", "Creating", t0)
		fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", t0)
		conformPart(u, sch, "status")
	}); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, name, v1alpha1.PhaseProvisioning)

	// The cloud reports the cluster up.
	const version = "1.31.2"
	wroteVersion := false
	if err := c.Status(ctx, name, func(u *unstructured.Unstructured) {
		if len(spec.States.Healthy) > 0 {
			writeFact(u, sch, spec.Fields.CloudState, spec.States.Healthy[0])
		}
		wroteVersion = writeFact(u, sch, spec.Fields.KubernetesVersion, version)
		writeFact(u, sch, spec.Fields.Endpoint, "api."+name+".example.net")
		writeFact(u, sch, spec.Fields.CloudID, "cloud-id-"+name)
		fleetsim.SetCondition(u, "LastAsyncOperation", "True", "Success", t0.Add(time.Minute))
		fleetsim.SetCondition(u, "Ready", "True", "Available", t0.Add(10*time.Minute))
		conformPart(u, sch, "status")
	}); err != nil {
		t.Fatal(err)
	}
	oc := waitPhase(ctx, t, name, v1alpha1.PhaseReady)
	stored, err := c.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if want := p.Facts(stored.Object); want.KubernetesVersion != oc.Status.Facts.KubernetesVersion || want.Region != oc.Status.Facts.Region ||
		want.CloudID != oc.Status.Facts.CloudID || want.ExternalName != oc.Status.Facts.ExternalName {
		t.Errorf("ledger facts %+v, want what the profile reads from the object %+v", oc.Status.Facts, want)
	}
	if wroteVersion && oc.Status.Facts.KubernetesVersion != version {
		t.Errorf("kubernetesVersion: want %q, got %q", version, oc.Status.Facts.KubernetesVersion)
	}
	if len(spec.Fields.Endpoint) > 0 && !strings.HasPrefix(oc.Status.Environment.URI, "https://") {
		t.Errorf("environment uri: want an https URI, got %q", oc.Status.Environment.URI)
	}

	if err := c.Delete(ctx, name); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, name, v1alpha1.PhaseDeleted)
}
