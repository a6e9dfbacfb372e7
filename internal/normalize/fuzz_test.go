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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

// maxFuzzSteps bounds the snapshots of one fuzzed sequence.
const maxFuzzSteps = 64

// fuzzProfiles are the profiles fuzzed sequences run through: every
// health model among the built-ins.
func fuzzProfiles(t testing.TB) []*catalog.Profile {
	return []*catalog.Profile{
		profile(t, "eks.aws.upbound.io", "Cluster"),
		profile(t, "eks.aws.crossplane.io", "Cluster"),
		profile(t, "container.gcp.crossplane.io", "Cluster"),
		profile(t, "compute.azure.crossplane.io", "AKSCluster"),
		profile(t, "container.gcp.m.upbound.io", "Cluster"),
		profile(t, "kubernetes.digitalocean.crossplane.io", "Cluster"),
		profile(t, "cluster.civo.crossplane.io", "CivoKubernetes"),
		profile(t, "lke.linode.upbound.io", "Cluster"),
	}
}

// sequence encodes object snapshots as a fuzz input.
func sequence(t testing.TB, objs ...*unstructured.Unstructured) []byte {
	l := make([]any, 0, len(objs))
	for _, o := range objs {
		l = append(l, o.Object)
	}
	b, err := json.Marshal(l)
	if err != nil {
		t.Fatalf("cannot encode seed: %v", err)
	}
	return b
}

// snapshots decodes a fuzz input into objects: a JSON list is a sequence,
// anything else a single snapshot. Values that are not objects become
// empty objects.
func snapshots(data []byte) []*unstructured.Unstructured {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return []*unstructured.Unstructured{{Object: map[string]any{}}}
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	if len(items) > maxFuzzSteps {
		items = items[:maxFuzzSteps]
	}
	out := make([]*unstructured.Unstructured, 0, len(items))
	for _, it := range items {
		m, _ := it.(map[string]any)
		out = append(out, &unstructured.Unstructured{Object: m})
	}
	return out
}

func FuzzObserveNext(f *testing.F) {
	eks := func(mods ...mod) *unstructured.Unstructured {
		return object("eks.aws.upbound.io/v1beta2", "Cluster", "f", mods...)
	}
	creating := []mod{createPending(at(1)), createSucceeded(at(2)), ready(StatusFalse, ReasonCreating, at(2)), synced(StatusTrue, ReasonReconcileSuccess, at(2))}
	active := with(creating, ready(StatusTrue, ReasonAvailable, at(9)), field("status.atProvider.status", "ACTIVE"), field("status.atProvider.version", "1.30"))
	f.Add(sequence(f, eks(), eks(creating...), eks(active...), eks(with(active, field("status.atProvider.status", "FAILED"))...),
		eks(with(active, field("status.atProvider.version", "1.31"))...), eks(with(active, deleting(at(50)))...)), uint8(0), uint8(0))
	f.Add(sequence(f, eks(with(creating, lastAsync(StatusFalse, ReasonAsyncCreateFailure, at(5), "boom"))...), eks(active...)), uint8(0), uint8(1))
	f.Add(sequence(f, eks(with(active, ready(StatusFalse, ReasonUnavailable, at(20)), field("status.atProvider.status", "UPDATING"))...),
		eks(with(active, ready(StatusFalse, ReasonUnavailable, at(30)), field("status.atProvider.status", "FAILED"))...)), uint8(1), uint8(0))
	f.Add(sequence(f, eks(createPending(at(1)), createFailed(at(2)), synced(StatusFalse, "ReconcileError", at(2), "x")), eks(active...)), uint8(2), uint8(3))
	f.Add([]byte(`[{"metadata":{"deletionTimestamp":"2026-01-01T00:00:00Z"}},{"status":{"conditions":"x"}},null,7,{"status":{"conditions":[{"type":"Ready","status":"True"}]}}]`), uint8(3), uint8(255))
	f.Add([]byte(`{"apiVersion":1,"metadata":[],"status":{"atProvider":[[[{"status":"running"}]]],"conditions":[{"type":"Ready","status":"False","reason":"Creating"},{"type":"Synced","status":"True"}]}}`), uint8(5), uint8(0))
	f.Add([]byte(`not json`), uint8(6), uint8(0))

	profiles := fuzzProfiles(f)
	f.Fuzz(func(t *testing.T, data []byte, kind uint8, lateMask uint8) {
		p := profiles[int(kind)%len(profiles)]
		objs := snapshots(data)
		var s State
		var prevObj *unstructured.Unstructured
		createdAt, readyAt := -1, -1
		n := 0
		var last time.Time
		check := func(i int, late bool, o Observation, ts []Transition) {
			for j, tr := range ts {
				if tr.Replayed != late {
					t.Errorf("step %d: %s replayed %t in a context with late %t", i, tr.Lifecycle, tr.Replayed, late)
				}
				if tr.Time.IsZero() && !o.Latest.IsZero() {
					t.Errorf("step %d: %s has no time though the object carries %v", i, tr.Lifecycle, o.Latest)
				}
				if tr.Time.After(o.Latest) {
					t.Errorf("step %d: %s at %v is later than any time the object carries (%v)", i, tr.Lifecycle, tr.Time, o.Latest)
				}
				if j > 0 && lifecycleOrder(ts[j-1].Lifecycle) > lifecycleOrder(tr.Lifecycle) {
					t.Errorf("step %d: %s after %s is out of lifecycle order", i, tr.Lifecycle, ts[j-1].Lifecycle)
				}
				switch tr.Lifecycle {
				case v1alpha1.LifecycleCreated:
					if createdAt >= 0 {
						t.Errorf("step %d: created emitted twice", i)
					}
					createdAt = n
				case v1alpha1.LifecycleReady:
					if createdAt < 0 {
						t.Errorf("step %d: ready before created", i)
					}
					if readyAt >= 0 {
						t.Errorf("step %d: ready emitted twice", i)
					}
					readyAt = n
				case v1alpha1.LifecycleDeleted:
					t.Errorf("step %d: deleted emitted by Next or Normalize of a live object", i)
				}
				n++
			}
		}
		for i, u := range objs {
			late := lateMask&(1<<(i%8)) != 0
			c := Context{Late: late}
			o := Observe(p, u)
			if o.Latest.After(last) {
				last = o.Latest
			}

			// Trimming an object loses nothing the lifecycle needs.
			trimmed := Observe(p, &unstructured.Unstructured{Object: p.Trim(u.Object)})
			if diff := cmp.Diff(o, trimmed); diff != "" {
				t.Errorf("step %d: Observe(Trim(u)) differs from Observe(u): -want, +got:\n%s", i, diff)
			}

			var ts []Transition
			s, ts = Next(p, s, o, c)
			check(i, late, o, ts)
			if s2, again := Next(p, s, o, c); len(again) > 0 || !s2.Equal(s) {
				t.Errorf("step %d: repeating an observation emitted %v, state %v -> %v", i, again, s, s2)
			}
			for _, tr := range Normalize(p, prevObj, u, c) {
				if tr.Lifecycle == v1alpha1.LifecycleDeleted {
					t.Errorf("step %d: Normalize of a live object emitted deleted", i)
				}
			}
			prevObj = u
		}
		s, ts := Gone(s, last, Context{})
		if len(ts) != 1 || ts[0].Lifecycle != v1alpha1.LifecycleDeleted || s.Phase != v1alpha1.PhaseDeleted || !ts[0].Time.Equal(last) {
			t.Errorf("Gone: want exactly deleted at %v and phase Deleted, got %v and %q", last, ts, s.Phase)
		}
		if _, again := Gone(s, last, Context{}); len(again) > 0 {
			t.Errorf("Gone twice emitted %v", again)
		}
		if ts := Normalize(p, prevObj, nil, Context{}); prevObj != nil && (len(ts) != 1 || ts[0].Lifecycle != v1alpha1.LifecycleDeleted) {
			t.Errorf("Normalize(old, nil): want exactly deleted, got %v", ts)
		}
	})
}
