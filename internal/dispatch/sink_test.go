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

package dispatch

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
)

// TestPlanPrevious: a replay plan keeps, for each event it replays, the
// lifecycle of the event before it when the history it was given holds
// that event, so that a selector reading previousLifecycle reads no ledger
// during a replay; across a gap (pruned events) it knows none.
func TestPlanPrevious(t *testing.T) {
	type args struct {
		policy v1alpha1.ReplayPolicy
		events []v1alpha1.LedgerEvent
		phase  v1alpha1.Phase
	}
	cases := map[string]struct {
		reason string
		args   args
		want   map[int64]v1alpha1.Lifecycle
	}{
		"All": {
			reason: "Every replayed event but the first follows one the log holds.",
			args: args{policy: v1alpha1.ReplayAll, phase: v1alpha1.PhaseDegraded, events: []v1alpha1.LedgerEvent{
				{Seq: 1, Lifecycle: v1alpha1.LifecycleCreated},
				{Seq: 2, Lifecycle: v1alpha1.LifecycleReady},
				{Seq: 3, Lifecycle: v1alpha1.LifecycleDegraded},
			}},
			want: map[int64]v1alpha1.Lifecycle{2: v1alpha1.LifecycleCreated, 3: v1alpha1.LifecycleReady},
		},
		"CurrentAfterPrune": {
			reason: "Of pinned created and ready and a log from seq 20, the degradation follows the log's upgrade; ready follows a pruned event.",
			args: args{policy: v1alpha1.ReplayCurrent, phase: v1alpha1.PhaseDegraded, events: []v1alpha1.LedgerEvent{
				{Seq: 1, Lifecycle: v1alpha1.LifecycleCreated},
				{Seq: 2, Lifecycle: v1alpha1.LifecycleReady},
				{Seq: 20, Lifecycle: v1alpha1.LifecycleUpgraded},
				{Seq: 21, Lifecycle: v1alpha1.LifecycleDegraded},
			}},
			want: map[int64]v1alpha1.Lifecycle{21: v1alpha1.LifecycleUpgraded},
		},
		"CurrentGap": {
			reason: "A pinned phase setter whose predecessor was pruned has no previous lifecycle in the plan.",
			args: args{policy: v1alpha1.ReplayCurrent, phase: v1alpha1.PhaseReady, events: []v1alpha1.LedgerEvent{
				{Seq: 1, Lifecycle: v1alpha1.LifecycleCreated},
				{Seq: 9, Lifecycle: v1alpha1.LifecycleRecovered},
				{Seq: 20, Lifecycle: v1alpha1.LifecycleUpgraded},
			}},
			want: map[int64]v1alpha1.Lifecycle{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := &sink{d: &Dispatcher{ledger: ledger.New(nil, nil)}, settings: Settings{ID: "ClusterProviderConfig/platform", Replay: tc.args.policy}}
			last := tc.args.events[len(tc.args.events)-1].Seq
			p := s.plan(types.UID("uid-1"), tc.args.events, tc.args.phase, last)
			if diff := cmp.Diff(tc.want, p.previous); diff != "" {
				t.Errorf("\n%s\nplan(...).previous (seqs %v): -want, +got:\n%s", tc.reason, p.seqs, diff)
			}
		})
	}
}
