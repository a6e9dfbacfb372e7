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
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

// The installation manifests, relative to this package: committed is the
// generated file as committed.
const (
	installDir = "../../examples/install"
	committed  = installDir + "/rbac.yaml"
)

// decode splits a rendered file back into its ClusterRole and
// ClusterRoleBinding, as the API server would read them.
func decode(t *testing.T, b []byte) (*rbacv1.ClusterRole, *rbacv1.ClusterRoleBinding) {
	t.Helper()
	role := &rbacv1.ClusterRole{}
	binding := &rbacv1.ClusterRoleBinding{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return role, binding
		}
		if err != nil {
			t.Fatalf("reading YAML: %v", err)
		}
		tm := metav1.TypeMeta{}
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			t.Fatalf("decoding YAML: %v", err)
		}
		var into any
		switch tm.Kind {
		case "ClusterRole":
			into = role
		case "ClusterRoleBinding":
			into = binding
		case "":
			continue // Comments only.
		default:
			t.Fatalf("unexpected kind %q", tm.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, into); err != nil {
			t.Fatalf("decoding %s: %v", tm.Kind, err)
		}
	}
}

func TestRender(t *testing.T) {
	readOnlyCRDs := rbacv1.PolicyRule{
		APIGroups: []string{"apiextensions.k8s.io"},
		Resources: []string{"customresourcedefinitions"},
		Verbs:     []string{"get", "list", "watch"},
	}
	binding := rbacv1.ClusterRoleBinding{
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "provider-cdevents:cluster-kinds"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "provider-cdevents", Namespace: "crossplane-system"}},
	}
	type args struct {
		groups []string
	}
	type want struct {
		rules   []rbacv1.PolicyRule
		binding rbacv1.ClusterRoleBinding
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"SomeGroups": {
			reason: "Every group should be readable, with every resource in it, and nothing writable.",
			args:   args{groups: []string{"container.gcp.upbound.io", "eks.aws.upbound.io"}},
			want: want{
				rules: []rbacv1.PolicyRule{readOnlyCRDs, {
					APIGroups: []string{"container.gcp.upbound.io", "eks.aws.upbound.io"},
					Resources: []string{"*"},
					Verbs:     []string{"get", "list", "watch"},
				}},
				binding: binding,
			},
		},
		"NoGroups": {
			reason: "Without groups only CRDs should be readable, with no rule whose empty apiGroups a reader could mistake for all groups.",
			args:   args{},
			want:   want{rules: []rbacv1.PolicyRule{readOnlyCRDs}, binding: binding},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b, err := Render(tc.args.groups)
			if err != nil {
				t.Fatalf("Render(...): %v", err)
			}
			role, gotBinding := decode(t, b)
			if diff := cmp.Diff("provider-cdevents:cluster-kinds", role.Name); diff != "" {
				t.Errorf("\n%s\nRender(...): ClusterRole name: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.rules, role.Rules); diff != "" {
				t.Errorf("\n%s\nRender(...): ClusterRole rules: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.binding.RoleRef, gotBinding.RoleRef); diff != "" {
				t.Errorf("\n%s\nRender(...): roleRef: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.binding.Subjects, gotBinding.Subjects); diff != "" {
				t.Errorf("\n%s\nRender(...): subjects: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestCommittedRBACIsCurrent fails when the catalog gained or lost a group
// and examples/install/rbac.yaml was not regenerated: the provider would
// then watch a kind that the documented installation does not let it read.
func TestCommittedRBACIsCurrent(t *testing.T) {
	want, err := Render(catalog.New().Groups())
	if err != nil {
		t.Fatalf("Render(...): %v", err)
	}
	got, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("reading %s: %v", committed, err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("\n%s is stale; run 'make generate'.\nRender(catalog.New().Groups()): -want, +got:\n%s", committed, diff)
	}
}

// TestCatalogGroupsAreGranted proves the committed ClusterRole lets the
// provider read every kind of the built-in catalog, whatever the rendering.
func TestCatalogGroupsAreGranted(t *testing.T) {
	b, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("reading %s: %v", committed, err)
	}
	role, _ := decode(t, b)
	granted := map[string]map[string]bool{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			if granted[g] == nil {
				granted[g] = map[string]bool{}
			}
			for _, v := range r.Verbs {
				granted[g][v] = true
			}
		}
	}
	for _, gk := range catalog.New().GroupKinds() {
		for _, v := range []string{"get", "list", "watch"} {
			if !granted[gk.Group][v] {
				t.Errorf("%s does not grant %q on %s, a catalog kind", committed, v, gk)
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
