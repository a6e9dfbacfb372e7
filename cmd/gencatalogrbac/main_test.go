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

package main

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// The installation manifests, relative to this package: committed is the
// generated file as committed.
const (
	installDir = "../../examples/install"
	committed  = installDir + "/rbac.yaml"
)

// rendered is a rendered file as the API server would read it.
type rendered struct {
	roles    map[string]*rbacv1.ClusterRole
	bindings map[string]*rbacv1.ClusterRoleBinding
}

// decode splits a rendered file back into its ClusterRoles and
// ClusterRoleBindings.
func decode(t *testing.T, b []byte) rendered {
	t.Helper()
	out := rendered{roles: map[string]*rbacv1.ClusterRole{}, bindings: map[string]*rbacv1.ClusterRoleBinding{}}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading YAML: %v", err)
		}
		tm := metav1.TypeMeta{}
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		switch tm.Kind {
		case "ClusterRole":
			role := &rbacv1.ClusterRole{}
			if err := yaml.UnmarshalStrict(doc, role); err != nil {
				t.Fatalf("decoding %s: %v", tm.Kind, err)
			}
			out.roles[role.Name] = role
		case "ClusterRoleBinding":
			binding := &rbacv1.ClusterRoleBinding{}
			if err := yaml.UnmarshalStrict(doc, binding); err != nil {
				t.Fatalf("decoding %s: %v", tm.Kind, err)
			}
			out.bindings[binding.Name] = binding
		case "":
			continue // Comments only.
		default:
			t.Fatalf("unexpected kind %q", tm.Kind)
		}
	}
}

func TestRender(t *testing.T) {
	readOnly := []string{"get", "list", "watch"}
	readOnlyCRDs := rbacv1.PolicyRule{
		APIGroups: []string{"apiextensions.k8s.io"},
		Resources: []string{"customresourcedefinitions"},
		Verbs:     readOnly,
	}
	metricsAuth := []rbacv1.PolicyRule{
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
	}
	metricsReader := []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
	subjects := []rbacv1.Subject{{Kind: "ServiceAccount", Name: "provider-cdevents", Namespace: "crossplane-system"}}
	type want struct {
		rules map[string][]rbacv1.PolicyRule
	}
	cases := map[string]struct {
		reason string
		gks    []schema.GroupKind
		want   want
	}{
		"SomeKinds": {
			reason: "Each kind's resource should be readable, one rule per group, and nothing else of the group.",
			gks: []schema.GroupKind{
				{Group: "eks.aws.upbound.io", Kind: "Cluster"},
				{Group: "container.gcp.crossplane.io", Kind: "GKECluster"},
				{Group: "container.gcp.crossplane.io", Kind: "Cluster"},
			},
			want: want{rules: map[string][]rbacv1.PolicyRule{
				"provider-cdevents:cluster-kinds": {
					readOnlyCRDs,
					{APIGroups: []string{"container.gcp.crossplane.io"}, Resources: []string{"clusters", "gkeclusters"}, Verbs: readOnly},
					{APIGroups: []string{"eks.aws.upbound.io"}, Resources: []string{"clusters"}, Verbs: readOnly},
				},
				"provider-cdevents:metrics-auth":   metricsAuth,
				"provider-cdevents:metrics-reader": metricsReader,
			}},
		},
		"NoKinds": {
			reason: "Without kinds only CRDs should be readable, with no rule whose empty apiGroups a reader could mistake for all groups.",
			want: want{rules: map[string][]rbacv1.PolicyRule{
				"provider-cdevents:cluster-kinds":  {readOnlyCRDs},
				"provider-cdevents:metrics-auth":   metricsAuth,
				"provider-cdevents:metrics-reader": metricsReader,
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := Render(tc.gks)
			if err != nil {
				t.Fatalf("Render(...): %v", err)
			}
			got := decode(t, b)
			rules := map[string][]rbacv1.PolicyRule{}
			for n, r := range got.roles {
				rules[n] = r.Rules
			}
			if diff := cmp.Diff(tc.want.rules, rules); diff != "" {
				t.Errorf("\n%s\nRender(...): ClusterRole rules: -want, +got:\n%s", tc.reason, diff)
			}
			// The scraper's role is the administrator's to bind.
			for _, role := range []string{"provider-cdevents:cluster-kinds", "provider-cdevents:metrics-auth"} {
				bd, ok := got.bindings[role]
				if !ok {
					t.Errorf("\n%s\nRender(...): no binding of %s", tc.reason, role)
					continue
				}
				if diff := cmp.Diff(rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role}, bd.RoleRef); diff != "" {
					t.Errorf("\n%s\nRender(...): roleRef: -want, +got:\n%s", tc.reason, diff)
				}
				if diff := cmp.Diff(subjects, bd.Subjects); diff != "" {
					t.Errorf("\n%s\nRender(...): subjects: -want, +got:\n%s", tc.reason, diff)
				}
			}
			if len(got.bindings) != 2 {
				t.Errorf("\n%s\nRender(...): want 2 bindings, got %d", tc.reason, len(got.bindings))
			}
		})
	}
}

func TestPlural(t *testing.T) {
	cases := map[string]struct {
		reason string
		kind   string
		want   string
	}{
		"Cluster":           {reason: "Most kinds add s.", kind: "Cluster", want: "clusters"},
		"GKECluster":        {reason: "Lower case throughout.", kind: "GKECluster", want: "gkeclusters"},
		"KubernetesCluster": {reason: "Only the end matters.", kind: "KubernetesCluster", want: "kubernetesclusters"},
		"CivoKubernetes":    {reason: "A kind ending in s stays as it is, as provider-civo's CRD names it.", kind: "CivoKubernetes", want: "civokubernetes"},
		"Address":           {reason: "ss takes es.", kind: "Address", want: "addresses"},
		"Policy":            {reason: "A consonant and y become ies.", kind: "Policy", want: "policies"},
		"Gateway":           {reason: "A vowel and y take s.", kind: "Gateway", want: "gateways"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Plural(tc.kind)); diff != "" {
				t.Errorf("\n%s\nPlural(%q): -want, +got:\n%s", tc.reason, tc.kind, diff)
			}
		})
	}
}

// TestPluralsMatchCRDs proves the derived resource names are the real
// ones, for every catalog kind whose upstream CRD is among the fixtures: a
// wrong plural would leave the provider unable to watch the kind.
func TestPluralsMatchCRDs(t *testing.T) {
	crds, err := fixtures.CRDs()
	if err != nil {
		t.Fatal(err)
	}
	catalogKinds := map[schema.GroupKind]bool{}
	for _, gk := range catalog.New().GroupKinds() {
		catalogKinds[gk] = true
	}
	checked := 0
	for _, crd := range crds {
		gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
		if !catalogKinds[gk] {
			continue
		}
		checked++
		if diff := cmp.Diff(crd.Spec.Names.Plural, Plural(gk.Kind)); diff != "" {
			t.Errorf("Plural(%q) for %s: -CRD, +derived:\n%s", gk.Kind, gk, diff)
		}
	}
	if checked == 0 {
		t.Fatal("no fixture CRD is of a catalog kind")
	}
}

// TestCommittedRBACIsCurrent fails when the catalog gained or lost a kind
// and examples/install/rbac.yaml was not regenerated: the provider would
// then watch a kind that the documented installation does not let it read.
func TestCommittedRBACIsCurrent(t *testing.T) {
	want, err := Render(catalog.New().GroupKinds())
	if err != nil {
		t.Fatalf("Render(...): %v", err)
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("reading %s: %v", committed, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("\n%s is stale; run 'make generate'.\nRender(catalog.New().GroupKinds()): -want, +got:\n%s", committed, diff)
	}
}

// TestCatalogKindsAreGranted proves the committed ClusterRole lets the
// provider read every kind of the built-in catalog, and grants no wildcard
// and nothing but reads on them, whatever the rendering.
func TestCatalogKindsAreGranted(t *testing.T) {
	b, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("reading %s: %v", committed, err)
	}
	got := decode(t, b)
	role, ok := got.roles[ClusterRoleName]
	if !ok {
		t.Fatalf("%s has no ClusterRole %s", committed, ClusterRoleName)
	}
	granted := map[schema.GroupResource]map[string]bool{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				gr := schema.GroupResource{Group: g, Resource: res}
				if granted[gr] == nil {
					granted[gr] = map[string]bool{}
				}
				for _, v := range r.Verbs {
					granted[gr][v] = true
				}
			}
		}
	}
	for _, gk := range catalog.New().GroupKinds() {
		gr := schema.GroupResource{Group: gk.Group, Resource: Plural(gk.Kind)}
		for _, v := range []string{"get", "list", "watch"} {
			if !granted[gr][v] {
				t.Errorf("%s does not grant %q on %s, the resource of catalog kind %s", committed, v, gr, gk)
			}
		}
	}
	for _, r := range got.roles {
		for _, rule := range r.Rules {
			for _, f := range [][]string{rule.APIGroups, rule.Resources, rule.Verbs, rule.NonResourceURLs} {
				for _, v := range f {
					if v == rbacv1.ResourceAll {
						t.Errorf("%s: ClusterRole %s grants a wildcard: %+v", committed, r.Name, rule)
					}
				}
			}
		}
	}
	for gr, verbs := range granted {
		for v := range verbs {
			if v != "get" && v != "list" && v != "watch" {
				t.Errorf("%s: ClusterRole %s grants %q on %s", committed, ClusterRoleName, v, gr)
			}
		}
	}
}

// TestInstallReadmeShowsManifests fails when examples/install/README.md no
// longer shows the manifests of its directory verbatim, so that what users
// copy from it is what `make e2e` installs.
func TestInstallReadmeShowsManifests(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(installDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(installDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no manifests in %s", installDir)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(readme, append([]byte("```yaml\n"), b...)) {
			t.Errorf("%s/README.md does not show %s verbatim in a yaml block; paste the file's current content", installDir, filepath.Base(f))
		}
	}
}
