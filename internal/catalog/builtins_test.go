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
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// EnvUpstreamCRDs names a directory of the real CRDs of the cluster kinds
// (searched recursively), against which the built-in profiles are checked.
const EnvUpstreamCRDs = "UPSTREAM_CRDS"

// clusterKinds are the Kubernetes-cluster kinds that Crossplane providers
// install, group and kind, as researched from the providers' sources.
func clusterKinds() []schema.GroupKind {
	return []schema.GroupKind{
		{Group: "eks.aws.upbound.io", Kind: "Cluster"},
		{Group: "eks.aws.m.upbound.io", Kind: "Cluster"},
		{Group: "container.gcp.upbound.io", Kind: "Cluster"},
		{Group: "container.gcp.m.upbound.io", Kind: "Cluster"},
		{Group: "containerservice.azure.upbound.io", Kind: "KubernetesCluster"},
		{Group: "containerservice.azure.m.upbound.io", Kind: "KubernetesCluster"},
		{Group: "eks.aws.crossplane.io", Kind: "Cluster"},
		{Group: "container.gcp.crossplane.io", Kind: "Cluster"},
		{Group: "container.gcp.crossplane.io", Kind: "GKECluster"},
		{Group: "compute.azure.crossplane.io", Kind: "AKSCluster"},
		{Group: "kubernetes.digitalocean.crossplane.io", Kind: "Cluster"},
		{Group: "kubernetes.digitalocean.m.crossplane.io", Kind: "Cluster"},
		{Group: "cluster.civo.crossplane.io", Kind: "CivoKubernetes"},
		{Group: "lke.linode.upbound.io", Kind: "Cluster"},
		{Group: "k8s.scaleway.upbound.io", Kind: "Cluster"},
		{Group: "k8s.scaleway.m.upbound.io", Kind: "Cluster"},
		{Group: "containerengine.oci.upbound.io", Kind: "Cluster"},
	}
}

func TestBuiltins(t *testing.T) {
	families := map[string]bool{
		ProviderAWS: true, ProviderGCP: true, ProviderAzure: true, ProviderDigitalOcean: true,
		ProviderCivo: true, ProviderLinode: true, ProviderScaleway: true, ProviderOCI: true,
	}
	got := map[schema.GroupKind]bool{}
	for _, s := range Builtins() {
		gk := schema.GroupKind{Group: s.Group, Kind: s.Kind}
		if got[gk] {
			t.Errorf("\nEvery kind has one built-in profile.\nBuiltins(): %s twice", gk)
		}
		got[gk] = true
		p, err := Compile(s)
		if err != nil {
			t.Errorf("\nEvery built-in profile compiles.\nCompile(%s): %v", gk, err)
			continue
		}
		if !families[p.Provider()] {
			t.Errorf("\nBuilt-in profiles use the documented provider families.\n%s: provider %q", gk, p.Provider())
		}
		// Upjet kinds report Ready=True whenever the resource exists, so
		// those with a cloud state must take their health from it.
		upjet := strings.HasSuffix(gk.Group, ".upbound.io") || strings.HasPrefix(gk.Group, "kubernetes.digitalocean.")
		if upjet && p.HasCloudState() && p.ReadyMeansHealthy() {
			t.Errorf("\nUpjet kinds with a cloud state must not trust Ready alone.\n%s: ReadyMeansHealthy true", gk)
		}
		if !p.HasCloudState() && !p.ReadyMeansHealthy() {
			t.Errorf("\nA kind without a cloud state has only Ready to go by.\n%s: ReadyMeansHealthy false", gk)
		}
		if s.ReadyMeansHealthy == nil {
			t.Errorf("\nBuilt-in profiles state ReadyMeansHealthy explicitly.\n%s: nil", gk)
		}
	}
	want := map[schema.GroupKind]bool{}
	for _, gk := range clusterKinds() {
		want[gk] = true
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("\nThe built-in catalog covers exactly the researched cluster kinds.\nBuiltins(): -want, +got:\n%s", diff)
	}
}

// profilePaths returns a profile's paths by fact, with the facts that name
// none left out.
func profilePaths(s v1alpha1.ClusterKindSpec) map[string][]string {
	out := map[string][]string{}
	for name, paths := range map[string][]string{
		"externalName":      s.Fields.ExternalName,
		"cloudId":           s.Fields.CloudID,
		"endpoint":          s.Fields.Endpoint,
		"kubernetesVersion": s.Fields.KubernetesVersion,
		"region":            s.Fields.Region,
		"cloudState":        s.Fields.CloudState,
	} {
		if len(paths) > 0 {
			out[name] = paths
		}
	}
	return out
}

// upstreamCRD is one CRD file.
type upstreamCRD struct {
	file string
	crd  *apiextensionsv1.CustomResourceDefinition
}

// StorageSchema returns the openAPIV3Schema of a CRD's storage version.
func storageSchema(crd *apiextensionsv1.CustomResourceDefinition) *apiextensionsv1.JSONSchemaProps {
	for _, v := range crd.Spec.Versions {
		if v.Storage && v.Schema != nil {
			return v.Schema.OpenAPIV3Schema
		}
	}
	return nil
}

func readUpstreamCRDs(t *testing.T, dir string) map[schema.GroupKind][]upstreamCRD {
	t.Helper()
	out := map[schema.GroupKind][]upstreamCRD{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || (filepath.Ext(path) != ".yaml" && filepath.Ext(path) != ".yml") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if !bytes.Contains(b, []byte("kind: CustomResourceDefinition")) {
			return nil
		}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := yaml.Unmarshal(b, crd); err != nil {
			t.Errorf("cannot parse CRD %s: %v", path, err)
			return nil
		}
		gk := schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}
		out[gk] = append(out[gk], upstreamCRD{file: path, crd: crd})
		return nil
	})
	if err != nil {
		t.Fatalf("cannot read %s: %v", dir, err)
	}
	return out
}

func TestBuiltinsMatchUpstreamCRDs(t *testing.T) {
	dir := os.Getenv(EnvUpstreamCRDs)
	if dir == "" {
		t.Skipf("Set %s to a directory of the upstream cluster-kind CRDs to check the built-in profiles against them", EnvUpstreamCRDs)
	}
	crds := readUpstreamCRDs(t, dir)

	builtins := map[schema.GroupKind]v1alpha1.ClusterKindSpec{}
	for _, s := range Builtins() {
		builtins[schema.GroupKind{Group: s.Group, Kind: s.Kind}] = s
	}

	// Every researched cluster kind found upstream has a built-in profile.
	researched := map[schema.GroupKind]bool{}
	for _, gk := range clusterKinds() {
		researched[gk] = true
		if len(crds[gk]) == 0 {
			t.Errorf("\nEvery researched cluster kind has an upstream CRD in %s.\n%s: no CRD found", dir, gk)
		}
	}
	var others []string
	for gk := range crds {
		if !researched[gk] {
			others = append(others, gk.String())
			continue
		}
		if _, ok := builtins[gk]; !ok {
			t.Errorf("\nEvery upstream cluster kind has a built-in profile.\n%s: none", gk)
		}
	}
	sort.Strings(others)
	if len(others) > 0 {
		t.Logf("CRDs that are not cluster kinds, ignored: %s", strings.Join(others, ", "))
	}

	// Every path of every built-in profile resolves in the storage version
	// of at least one upstream CRD of its kind, and every fact the profile
	// names can be read in every upstream CRD of its kind.
	for gk, s := range builtins {
		files := crds[gk]
		if len(files) == 0 {
			t.Errorf("\nEvery built-in profile has an upstream CRD.\n%s: none in %s", gk, dir)
			continue
		}
		for fact, paths := range profilePaths(s) {
			for _, path := range paths {
				found := false
				for _, f := range files {
					found = found || SchemaHasPath(storageSchema(f.crd), path)
				}
				if !found {
					t.Errorf("\nEvery field a profile names exists in the real kind.\n%s fields.%s: %q resolves in none of its CRDs", gk, fact, path)
				}
			}
			for _, f := range files {
				ok := false
				for _, path := range paths {
					ok = ok || SchemaHasPath(storageSchema(f.crd), path)
				}
				if !ok {
					rel, _ := filepath.Rel(dir, f.file)
					t.Errorf("\nEvery fact a profile names can be read in every version of the kind.\n%s fields.%s: no path resolves in %s", gk, fact, rel)
				}
			}
		}
	}
}
