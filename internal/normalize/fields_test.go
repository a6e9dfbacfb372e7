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

package normalize

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kjson "k8s.io/apimachinery/pkg/util/json"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// richObject is a managed resource carrying everything Observe reads (its
// newest time in a managed field's),
// and much it does not: spec it ignores, annotations of other tools,
// managed fields, conditions with extra keys. Every path of the profile
// holds a value; every other path is in the singleton-list shape of
// upjet v1beta1, so that both shapes are read.
func richObject(paths [][]string) map[string]any {
	o := map[string]any{
		"apiVersion": "example.crossplane.io/v1",
		"kind":       "Cluster",
		"metadata": map[string]any{
			"name": "prod-eu", "namespace": "team-a", "uid": "6a1d0c2e", "resourceVersion": "42",
			"generation": int64(7), "creationTimestamp": "2026-03-01T10:00:00Z",
			"deletionTimestamp": "2026-03-01T11:00:00Z",
			"labels":            map[string]any{"team": "payments", "tier": "gold"},
			"finalizers":        []any{"finalizer.managedresource.crossplane.io"},
			"annotations": map[string]any{
				AnnotationCreatePending:                            "2026-03-01T10:00:01Z",
				AnnotationCreateSucceeded:                          "2026-03-01T10:00:02Z",
				AnnotationCreateFailed:                             "2026-03-01T10:00:03Z",
				AnnotationPaused:                                   "true",
				"kubectl.kubernetes.io/last-applied-configuration": `{"spec":{"forProvider":{"region":"eu-west-1"}}}`,
			},
			"managedFields": []any{
				map[string]any{"manager": "a", "time": "2026-03-01T10:30:00Z", "fieldsV1": map[string]any{"f:spec": map[string]any{}}},
				map[string]any{"manager": "b", "time": "2026-03-01T11:30:00Z", "subresource": "status"},
			},
		},
		"spec": map[string]any{"forProvider": map[string]any{"tags": map[string]any{"a": "b"}, "roleArn": "arn"}, "deletionPolicy": "Delete"},
		"status": map[string]any{
			"atProvider": map[string]any{"identity": []any{map[string]any{"oidc": "x"}}},
			"conditions": []any{
				map[string]any{"type": ConditionReady, "status": StatusFalse, "reason": ReasonUnavailable, "message": "boom", "lastTransitionTime": "2026-03-01T10:50:00Z", "observedGeneration": int64(7)},
				map[string]any{"type": ConditionSynced, "status": StatusTrue, "reason": ReasonReconcileSuccess, "lastTransitionTime": "2026-03-01T10:40:00Z"},
				map[string]any{"type": ConditionLastAsyncOperation, "status": StatusFalse, "reason": ReasonApplyFailure, "message": "quota", "lastTransitionTime": "2026-03-01T10:55:00Z"},
				map[string]any{"type": "Other", "status": StatusTrue, "lastTransitionTime": "2026-03-01T10:20:00Z"},
			},
		},
	}
	for i, p := range paths {
		cur := o
		for j, k := range p[:len(p)-1] {
			next, ok := cur[k].(map[string]any)
			if !ok {
				if l, isList := cur[k].([]any); isList && len(l) > 0 {
					next, _ = l[0].(map[string]any)
				}
			}
			if next == nil {
				next = map[string]any{}
				if i%2 == 1 && j > 0 {
					cur[k] = []any{next}
				} else {
					cur[k] = next
				}
			}
			cur = next
		}
		if _, ok := cur[p[len(p)-1]]; !ok {
			cur[p[len(p)-1]] = fmt.Sprintf("value-%d", i)
		}
	}
	return o
}

func TestFieldsObserveAlike(t *testing.T) {
	for _, p := range fuzzProfiles(t) {
		t.Run(p.GroupKind().String(), func(t *testing.T) {
			data, err := json.Marshal(richObject(p.FieldPaths()))
			if err != nil {
				t.Fatal(err)
			}
			var whole map[string]any
			if err := kjson.Unmarshal(data, &whole); err != nil {
				t.Fatal(err)
			}
			picked, err := Fields(p).Decode(data)
			if err != nil {
				t.Fatalf("Fields(...).Decode(...): %v", err)
			}
			want := Observe(p, &unstructured.Unstructured{Object: whole})
			got := Observe(p, &unstructured.Unstructured{Object: picked})
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Observe of the picked object differs from Observe of the whole: -whole, +picked:\n%s", diff)
			}
			if want.Facts == (v1alpha1.Facts{}) || want.Latest.Minute() != 30 || !want.Paused || want.LastAsyncOperation.Reason == "" {
				t.Errorf("the object exercises too little of Observe: %+v", want)
			}
			if rv := picked["metadata"].(map[string]any)["resourceVersion"]; rv != "42" { //nolint:forcetypeassert // Decoded above.
				t.Errorf("resourceVersion %v, want 42: a watch needs it", rv)
			}
			if strings.Contains(string(mustJSON(t, picked)), "last-applied") || picked["spec"].(map[string]any)["deletionPolicy"] != nil { //nolint:forcetypeassert // Every profile reads spec.providerConfigRef.
				t.Errorf("picked object keeps fields Observe does not read: %s", mustJSON(t, picked))
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
