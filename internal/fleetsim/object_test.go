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

package fleetsim

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestSetCondition(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	cond := func(status, reason string, at time.Time, gen int64) map[string]any {
		return map[string]any{"type": "Ready", "status": status, "reason": reason, "lastTransitionTime": at.Format(time.RFC3339), "observedGeneration": gen}
	}
	type args struct {
		generation int64
		before     []any
		status     string
		reason     string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []any
	}{
		"New": {
			reason: "A condition the object lacks is added with the given time and the object's generation.",
			args:   args{generation: 1, status: "False", reason: "Creating"},
			want:   []any{cond("False", "Creating", t1, 1)},
		},
		"Unchanged": {
			reason: "An equal condition keeps its lastTransitionTime, as crossplane-runtime keeps it.",
			args:   args{generation: 1, before: []any{cond("True", "Available", t0, 1)}, status: "True", reason: "Available"},
			want:   []any{cond("True", "Available", t0, 1)},
		},
		"StatusChanged": {
			reason: "A condition whose status changed carries the new time.",
			args:   args{generation: 1, before: []any{cond("True", "Available", t0, 1)}, status: "False", reason: "Unavailable"},
			want:   []any{cond("False", "Unavailable", t1, 1)},
		},
		"GenerationChanged": {
			reason: "A condition set again for a newer generation carries the new time, as crossplane-runtime's does.",
			args:   args{generation: 2, before: []any{cond("True", "Available", t0, 1)}, status: "True", reason: "Available"},
			want:   []any{cond("True", "Available", t1, 2)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := &unstructured.Unstructured{Object: map[string]any{}}
			u.SetGeneration(tc.args.generation)
			if tc.args.before != nil {
				_ = unstructured.SetNestedSlice(u.Object, tc.args.before, "status", "conditions")
			}
			SetCondition(u, "Ready", tc.args.status, tc.args.reason, t1)
			got, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nSetCondition(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
