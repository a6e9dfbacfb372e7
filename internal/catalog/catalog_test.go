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
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

var (
	gkEKS     = schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}
	gkExample = schema.GroupKind{Group: "example.org", Kind: "Cluster"}
)

// An op is one call on a catalog.
type op struct {
	set    string // owner to Set, with spec
	spec   v1alpha1.ClusterKindSpec
	remove string // owner to Remove
}

// result is what a Set returned.
type result struct {
	Overrides bool
	Err       string
	Conflict  bool
}

func TestCatalog(t *testing.T) {
	eksOverride := func(provider string) v1alpha1.ClusterKindSpec {
		return spec(func(s *v1alpha1.ClusterKindSpec) {
			s.Group, s.Kind, s.Provider = gkEKS.Group, gkEKS.Kind, provider
		})
	}
	example := func(provider string) v1alpha1.ClusterKindSpec {
		return spec(func(s *v1alpha1.ClusterKindSpec) { s.Provider = provider })
	}
	type want struct {
		results  []result
		provider map[schema.GroupKind]string // "" means no profile
	}
	cases := map[string]struct {
		reason string
		ops    []op
		want   want
	}{
		"Builtins": {
			reason: "A new catalog holds the built-in profiles only.",
			want: want{provider: map[schema.GroupKind]string{
				gkEKS:     ProviderAWS,
				gkExample: "",
			}},
		},
		"AddKind": {
			reason: "A ClusterKind adds a kind the built-ins lack.",
			ops:    []op{{set: "example", spec: example("ex")}},
			want: want{
				results:  []result{{}},
				provider: map[schema.GroupKind]string{gkExample: "ex", gkEKS: ProviderAWS},
			},
		},
		"OverrideBuiltin": {
			reason: "A ClusterKind overrides a built-in profile, and says so.",
			ops:    []op{{set: "my-eks", spec: eksOverride("custom")}},
			want: want{
				results:  []result{{Overrides: true}},
				provider: map[schema.GroupKind]string{gkEKS: "custom"},
			},
		},
		"RemoveRestoresBuiltin": {
			reason: "Removing an overriding ClusterKind restores the built-in profile.",
			ops: []op{
				{set: "my-eks", spec: eksOverride("custom")},
				{remove: "my-eks"},
			},
			want: want{
				results:  []result{{Overrides: true}},
				provider: map[schema.GroupKind]string{gkEKS: ProviderAWS},
			},
		},
		"RemoveAdded": {
			reason: "Removing an adding ClusterKind removes the kind.",
			ops: []op{
				{set: "example", spec: example("ex")},
				{remove: "example"},
			},
			want: want{
				results:  []result{{}},
				provider: map[schema.GroupKind]string{gkExample: ""},
			},
		},
		"RemoveUnknown": {
			reason: "Removing an unknown ClusterKind changes nothing.",
			ops:    []op{{remove: "nope"}},
			want:   want{provider: map[schema.GroupKind]string{gkEKS: ProviderAWS}},
		},
		"InvalidChangesNothing": {
			reason: "An invalid spec is an error and leaves the previous profile of the same ClusterKind in force.",
			ops: []op{
				{set: "example", spec: example("ex")},
				{set: "example", spec: spec(func(s *v1alpha1.ClusterKindSpec) { s.Fields.Region = []string{"status..x"} })},
			},
			want: want{
				results:  []result{{}, {Err: `cannot compile ClusterKind "example": cannot parse fields.region path "status..x": empty segment at offset 7`}},
				provider: map[schema.GroupKind]string{gkExample: "ex"},
			},
		},
		"InvalidOverrideKeepsBuiltin": {
			reason: "An invalid override leaves the built-in profile in force.",
			ops: []op{
				{set: "my-eks", spec: func() v1alpha1.ClusterKindSpec {
					s := eksOverride("custom")
					s.States = v1alpha1.CloudStates{}
					return s
				}()},
			},
			want: want{
				results:  []result{{Err: `cannot compile ClusterKind "my-eks": ` + errNoStates}},
				provider: map[schema.GroupKind]string{gkEKS: ProviderAWS},
			},
		},
		"SmallerNameWins": {
			reason: "Of two ClusterKinds declaring one kind, the smaller name wins; the loser gets a conflict error.",
			ops: []op{
				{set: "b", spec: example("from-b")},
				{set: "a", spec: example("from-a")},
				{set: "c", spec: example("from-c")},
			},
			want: want{
				results: []result{
					{},
					{},
					{Err: `cannot use ClusterKind "c" for Cluster.example.org: ClusterKind "a" declares the same kind and wins by name`, Conflict: true},
				},
				provider: map[schema.GroupKind]string{gkExample: "from-a"},
			},
		},
		"OrderDoesNotMatter": {
			reason: "The winner does not depend on the order of Set calls.",
			ops: []op{
				{set: "a", spec: example("from-a")},
				{set: "b", spec: example("from-b")},
			},
			want: want{
				results: []result{
					{},
					{Err: `cannot use ClusterKind "b" for Cluster.example.org: ClusterKind "a" declares the same kind and wins by name`, Conflict: true},
				},
				provider: map[schema.GroupKind]string{gkExample: "from-a"},
			},
		},
		"LoserTakesOver": {
			reason: "When the winner goes away, the next ClusterKind by name takes over.",
			ops: []op{
				{set: "a", spec: example("from-a")},
				{set: "b", spec: example("from-b")},
				{remove: "a"},
			},
			want: want{
				results: []result{
					{},
					{Err: `cannot use ClusterKind "b" for Cluster.example.org: ClusterKind "a" declares the same kind and wins by name`, Conflict: true},
				},
				provider: map[schema.GroupKind]string{gkExample: "from-b"},
			},
		},
		"ChangeKind": {
			reason: "A ClusterKind that changes its kind no longer declares the old one.",
			ops: []op{
				{set: "x", spec: example("ex")},
				{set: "x", spec: eksOverride("custom")},
			},
			want: want{
				results:  []result{{}, {Overrides: true}},
				provider: map[schema.GroupKind]string{gkExample: "", gkEKS: "custom"},
			},
		},
		"NoOwner": {
			reason: "A profile needs an owner.",
			ops:    []op{{set: "", spec: example("ex")}},
			want: want{
				results:  []result{{Err: errNoOwner}},
				provider: map[schema.GroupKind]string{gkExample: ""},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := New()
			var results []result
			for _, o := range tc.ops {
				if o.remove != "" {
					c.Remove(o.remove)
					continue
				}
				overrides, err := c.Set(o.set, o.spec)
				r := result{Overrides: overrides, Conflict: IsConflict(err)}
				if err != nil {
					r.Err = err.Error()
				}
				results = append(results, r)
			}
			got := want{results: results, provider: map[schema.GroupKind]string{}}
			for gk := range tc.want.provider {
				got.provider[gk] = ""
				if p, ok := c.Lookup(gk); ok {
					got.provider[gk] = p.Provider()
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nSet/Remove/Lookup: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestGroups(t *testing.T) {
	c := New()
	if _, err := c.Set("example", spec()); err != nil {
		t.Fatalf("Set(...): %v", err)
	}
	want := []string{
		"cluster.civo.crossplane.io",
		"compute.azure.crossplane.io",
		"container.gcp.crossplane.io",
		"container.gcp.m.upbound.io",
		"container.gcp.upbound.io",
		"containerengine.oci.upbound.io",
		"containerservice.azure.m.upbound.io",
		"containerservice.azure.upbound.io",
		"eks.aws.crossplane.io",
		"eks.aws.m.upbound.io",
		"eks.aws.upbound.io",
		"example.org",
		"k8s.scaleway.m.upbound.io",
		"k8s.scaleway.upbound.io",
		"kubernetes.digitalocean.crossplane.io",
		"kubernetes.digitalocean.m.crossplane.io",
		"lke.linode.upbound.io",
	}
	if diff := cmp.Diff(want, c.Groups()); diff != "" {
		t.Errorf("\nGroups are the sorted, unique groups of built-in and declared profiles.\nGroups(): -want, +got:\n%s", diff)
	}
	gks := c.GroupKinds()
	if len(gks) != len(Builtins())+1 {
		t.Errorf("\nGroupKinds lists every built-in and declared kind once.\nlen(GroupKinds()): want %d, got %d", len(Builtins())+1, len(gks))
	}
	for i := 1; i < len(gks); i++ {
		if a, b := gks[i-1], gks[i]; a.Group > b.Group || (a.Group == b.Group && a.Kind >= b.Kind) {
			t.Errorf("\nGroupKinds is sorted by group then kind.\nGroupKinds(): %v before %v", a, b)
		}
	}
}

func TestCatalogConcurrency(t *testing.T) {
	// Run with -race: readers and writers share the catalog.
	c := New()
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for j := range 100 {
				owner := fmt.Sprintf("w%d-%d", i, j%3)
				_, _ = c.Set(owner, spec())
				c.Remove(owner)
			}
		}()
		go func() {
			defer wg.Done()
			for range 100 {
				if _, ok := c.Lookup(gkEKS); !ok {
					t.Error("Lookup(eks): the built-in must always be found")
					return
				}
				_ = c.Groups()
			}
		}()
	}
	wg.Wait()
}
