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

package controller

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

func TestMissingResources(t *testing.T) {
	resources := func(names ...string) []*metav1.APIResourceList {
		l := &metav1.APIResourceList{GroupVersion: "cdevents.crossplane.io/v1alpha1"}
		for _, n := range names {
			l.APIResources = append(l.APIResources, metav1.APIResource{Name: n})
		}
		return []*metav1.APIResourceList{l}
	}
	cases := map[string]struct {
		reason string
		served []*metav1.APIResourceList
		want   []string
	}{
		"NothingServed": {
			reason: "Before the package is installed nothing is served.",
			want:   []string{"clusterkinds", "clusterproviderconfigs", "observedclusters", "providerconfigs"},
		},
		"NotActivated": {
			reason: "With safe-start, the ProviderConfig kinds come first; the rest waits for activation.",
			served: resources("clusterproviderconfigs", "providerconfigs"),
			want:   []string{"clusterkinds", "observedclusters"},
		},
		"AllServed": {
			reason: "Once activated, nothing is missing.",
			served: resources("clusterproviderconfigs", "providerconfigs", "observedclusters", "clusterkinds", "observedclusters/status"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			dc := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{Resources: tc.served}}
			if diff := cmp.Diff(tc.want, missingResources(dc)); diff != "" {
				t.Errorf("\n%s\nmissingResources(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
