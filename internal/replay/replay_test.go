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

package replay

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func TestPhaseAfter(t *testing.T) {
	ev := func(ls ...v1alpha1.Lifecycle) []v1alpha1.LedgerEvent {
		out := make([]v1alpha1.LedgerEvent, 0, len(ls))
		for i, l := range ls {
			out = append(out, v1alpha1.LedgerEvent{Seq: int64(i + 1), Lifecycle: l})
		}
		return out
	}
	cases := map[string]struct {
		reason string
		events []v1alpha1.LedgerEvent
		want   v1alpha1.Phase
	}{
		"None":      {reason: "Before any event a cluster is pending.", events: nil, want: v1alpha1.PhasePending},
		"Created":   {reason: "Created puts a cluster in provisioning.", events: ev(v1alpha1.LifecycleCreated), want: v1alpha1.PhaseProvisioning},
		"Ready":     {reason: "Ready after created.", events: ev(v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady), want: v1alpha1.PhaseReady},
		"Degraded":  {reason: "The last phase-setting event wins.", events: ev(v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady, v1alpha1.LifecycleDegraded), want: v1alpha1.PhaseDegraded},
		"Recovered": {reason: "Recovered and upgraded mean ready.", events: ev(v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady, v1alpha1.LifecycleDegraded, v1alpha1.LifecycleRecovered, v1alpha1.LifecycleUpgraded), want: v1alpha1.PhaseReady},
		"Deleted":   {reason: "Deleted is final.", events: ev(v1alpha1.LifecycleCreated, v1alpha1.LifecycleDeleting, v1alpha1.LifecycleDeleted), want: v1alpha1.PhaseDeleted},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PhaseAfter(tc.events)); diff != "" {
				t.Errorf("\n%s\nPhaseAfter(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
