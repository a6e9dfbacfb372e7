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

package discovery

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	kubefake "k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"
	k8stesting "k8s.io/client-go/testing"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

// declaredCRD is an Established CRD of a kind only a ClusterKind declares.
func declaredCRD(i int) (*unstructured.Unstructured, v1alpha1.ClusterKindSpec, schema.GroupVersionResource) {
	group := fmt.Sprintf("k%03d.example.org", i)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": "clusters." + group},
		"spec": map[string]any{
			"group": group,
			"names": map[string]any{"kind": "Cluster", "plural": "clusters"},
			"scope": "Cluster",
			"versions": []any{map[string]any{
				"name": "v1", "served": true, "storage": true,
			}},
		},
		"status": map[string]any{"conditions": []any{map[string]any{"type": "Established", "status": "True"}}},
	}}
	spec := v1alpha1.ClusterKindSpec{Group: group, Kind: "Cluster", Provider: "example"}
	return u, spec, schema.GroupVersionResource{Group: group, Version: "v1", Resource: "clusters"}
}

// TestResyncReadsEachCRDOnce declares kinds one ClusterKind at a time, as a
// platform team applying a thousand ClusterKinds does, and counts the CRD
// reads discovery makes: each declared kind's CRD is read once, when its
// group joins the catalog. Re-reading every cluster kind's CRD on each
// ClusterKind would make n declarations cost n(n+1)/2 reads.
func TestResyncReadsEachCRDOnce(t *testing.T) {
	type want struct {
		// reads of CRDs; watching counts the kinds watched with their
		// current profile.
		reads    int
		watching int
	}
	cases := map[string]struct {
		reason string
		kinds  int
		// redeclare changes every profile once all are declared: the CRDs
		// are not read again, and every watch restarts with its new
		// profile.
		redeclare bool
		want      want
	}{
		"OneAtATime": {
			reason: "Each of 30 kinds declared one after the other is read once.",
			kinds:  30,
			want:   want{reads: 30, watching: 30},
		},
		"ProfilesChanged": {
			reason:    "Changing the profiles of declared kinds reads no CRD again.",
			kinds:     10,
			redeclare: true,
			want:      want{reads: 10, watching: 10},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var objs []runtime.Object
			lists := map[schema.GroupVersionResource]string{crdResource: "CustomResourceDefinitionList"}
			specs := make([]v1alpha1.ClusterKindSpec, 0, tc.kinds)
			for i := range tc.kinds {
				u, spec, gvr := declaredCRD(i)
				objs = append(objs, u)
				specs = append(specs, spec)
				lists[gvr] = "ClusterList"
			}
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), lists, objs...)
			kube := kubefake.NewClientset()
			kube.PrependReactor("create", "selfsubjectaccessreviews", func(k8stesting.Action) (bool, runtime.Object, error) {
				return true, &authorizationv1.SelfSubjectAccessReview{Status: authorizationv1.SubjectAccessReviewStatus{Allowed: true}}, nil
			})
			cat := catalog.New()
			e, err := New(&rest.Config{Host: "https://127.0.0.1:1"}, cat, &recorder{})
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			e.dyn, e.kube, e.ctx = dyn, kube, ctx
			e.source = func(gvr schema.GroupVersionResource, _ *catalog.Profile) (lister, error) {
				return dyn.Resource(gvr), nil
			}
			e.crdsListed = true
			for _, o := range objs {
				e.names[o.(*unstructured.Unstructured).GetName()] = true //nolint:forcetypeassert // Built above.
			}
			defer func() {
				e.mu.Lock()
				for gk := range e.watches {
					e.stopLocked(gk)
				}
				e.mu.Unlock()
			}()

			for i, s := range specs {
				if _, err := cat.Set(fmt.Sprintf("ck-%03d", i), s); err != nil {
					t.Fatalf("Set: %v", err)
				}
				e.Resync()
			}
			if tc.redeclare {
				for i, s := range specs {
					s.Fields.Region = []string{"spec.forProvider.region"}
					if _, err := cat.Set(fmt.Sprintf("ck-%03d", i), s); err != nil {
						t.Fatalf("Set: %v", err)
					}
					e.Resync()
				}
			}
			reads := 0
			for _, a := range dyn.Actions() {
				if a.GetVerb() == "get" && a.GetResource() == crdResource {
					reads++
				}
			}
			// Watches of the kind's current profile.
			current := 0
			e.mu.Lock()
			for gk, w := range e.watches {
				if p, _ := cat.Lookup(gk); w.profile == p {
					current++
				}
			}
			e.mu.Unlock()
			got := want{reads: reads, watching: current}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nResync(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
