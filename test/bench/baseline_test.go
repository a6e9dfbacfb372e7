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

package bench

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCountWrites(t *testing.T) {
	cases := map[string]struct {
		reason string
		raw    string
		want   int64
	}{
		"MutatingVerbsOfTheGroup": {
			reason: "Every mutating verb of the group counts, whatever the resource, subresource or answer.",
			raw: `# HELP apiserver_request_total [STABLE] Counter of apiserver requests
# TYPE apiserver_request_total counter
apiserver_request_total{code="200",component="apiserver",dry_run="",group="cdevents.crossplane.io",resource="observedclusters",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 120
apiserver_request_total{code="201",component="apiserver",dry_run="",group="cdevents.crossplane.io",resource="observedclusters",scope="resource",subresource="",verb="POST",version="v1alpha1"} 30
apiserver_request_total{code="409",component="apiserver",dry_run="",group="cdevents.crossplane.io",resource="observedclusters",scope="resource",subresource="status",verb="PATCH",version="v1alpha1"} 2
apiserver_request_total{code="200",component="apiserver",dry_run="",group="cdevents.crossplane.io",resource="clusterproviderconfigs",scope="resource",subresource="status",verb="PUT",version="v1alpha1"} 5
`,
			want: 157,
		},
		"ReadsAndOtherGroups": {
			reason: "Reads, and writes to other groups, do not count.",
			raw: `apiserver_request_total{code="200",component="apiserver",dry_run="",group="cdevents.crossplane.io",resource="observedclusters",scope="cluster",subresource="",verb="LIST",version="v1alpha1"} 7
apiserver_request_total{code="0",component="apiserver",dry_run="",group="cdevents.crossplane.io",resource="observedclusters",scope="cluster",subresource="",verb="WATCH",version="v1alpha1"} 1
apiserver_request_total{code="200",component="apiserver",dry_run="",group="eks.aws.upbound.io",resource="clusters",scope="resource",subresource="status",verb="PUT",version="v1beta2"} 4000
apiserver_request_total_other{group="cdevents.crossplane.io",verb="PATCH"} 9
`,
			want: 0,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, countWrites([]byte(tc.raw), cdeventsGroup)); diff != "" {
				t.Errorf("\n%s\ncountWrites(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
