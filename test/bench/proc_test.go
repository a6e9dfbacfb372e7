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
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseStat(t *testing.T) {
	type want struct {
		ppid  string
		ticks int64
		ok    bool
	}
	cases := map[string]struct {
		reason string
		line   string
		want   want
	}{
		"Plain": {
			reason: "The parent pid is the 4th field and user plus system ticks the 14th and 15th.",
			line:   "4242 (etcd) S 4200 4242 4200 0 -1 4194560 1000 0 0 0 1500 250 0 0 20 0 12 0 100 0 0",
			want:   want{ppid: "4200", ticks: 1750, ok: true},
		},
		"NameWithSpacesAndParentheses": {
			reason: "Fields are counted from the last closing parenthesis, since the name may hold both.",
			line:   "7 (a (b) c) R 1 7 1 0 -1 0 0 0 0 0 30 12 0 0 20 0 1 0 5 0 0",
			want:   want{ppid: "1", ticks: 42, ok: true},
		},
		"Truncated": {
			reason: "A line too short to hold the times is not parsed.",
			line:   "7 (x) R 1 7",
			want:   want{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := want{}
			got.ppid, got.ticks, got.ok = parseStat(tc.line)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nparseStat(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]struct {
		reason string
		method string
		path   string
		body   string
		want   string
	}{
		"Read": {
			reason: "Gets, lists and watches are reads, whatever they read.",
			method: http.MethodGet,
			path:   "/apis/cdevents.crossplane.io/v1alpha1/observedclusters",
			want:   Reads,
		},
		"LedgerStatusPatch": {
			reason: "A patch of an ObservedCluster's status that appends events is a ledger write, even when it also sets cursors.",
			method: http.MethodPatch,
			path:   "/apis/cdevents.crossplane.io/v1alpha1/observedclusters/eks-prod-1-7f3c9/status",
			body:   `[{"op":"add","path":"/status/events/-","value":{}},{"op":"add","path":"/status/sinks","value":[]}]`,
			want:   LedgerWrites,
		},
		"LedgerCreate": {
			reason: "Creating an ObservedCluster is a ledger write.",
			method: http.MethodPost,
			path:   "/apis/cdevents.crossplane.io/v1alpha1/observedclusters",
			body:   `{"metadata":{"name":"eks-prod-1-7f3c9"}}`,
			want:   LedgerWrites,
		},
		"CursorPatch": {
			reason: "A patch that only sets an ObservedCluster's sinks persists delivery progress.",
			method: http.MethodPatch,
			path:   "/apis/cdevents.crossplane.io/v1alpha1/observedclusters/eks-prod-1-7f3c9/status",
			body:   `[{"op":"add","path":"/status/sinks","value":[{"sink":"ClusterProviderConfig/default","deliveredSeq":3}]}]`,
			want:   CursorWrites,
		},
		"OtherWrite": {
			reason: "Writes to anything else, such as a config's status, are counted apart.",
			method: http.MethodPut,
			path:   "/apis/cdevents.crossplane.io/v1alpha1/clusterproviderconfigs/default/status",
			want:   OtherWrites,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Classify(tc.method, tc.path, []byte(tc.body))); diff != "" {
				t.Errorf("\n%s\nClassify(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
