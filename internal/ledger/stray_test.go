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

package ledger

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func TestLoadRemovesStrays(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	ledgerAt := func(name string, created time.Time, uid types.UID) *v1alpha1.ObservedCluster {
		oc := &v1alpha1.ObservedCluster{}
		oc.SetName(name)
		oc.SetCreationTimestamp(metav1.NewTime(created))
		if uid != "" {
			oc.Status.ResourceRef = v1alpha1.ResourceRef{APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster", Name: name, UID: uid}
			oc.Status.Group = "eks.aws.upbound.io"
			oc.Status.LastSeq = 1
			oc.Status.Events = []v1alpha1.LedgerEvent{{Seq: 1, ID: "c", Lifecycle: v1alpha1.LifecycleCreated, Time: metav1.NewTime(created)}}
		}
		return oc
	}
	cases := map[string]struct {
		reason string
		ledger *v1alpha1.ObservedCluster
		want   []string // ledgers left after Load
	}{
		"Stray": {
			reason: "A ledger left without status an hour ago names no cluster and holds nothing: it is removed.",
			ledger: ledgerAt("stray", now.Add(-time.Hour), ""),
		},
		"YoungStray": {
			reason: "A ledger without status created a minute ago may still get its status from the writer that created it.",
			ledger: ledgerAt("young", now.Add(-time.Minute), ""),
			want:   []string{"young"},
		},
		"Recorded": {
			reason: "A ledger with status is loaded, never removed, however old.",
			ledger: ledgerAt("recorded", now.Add(-24*time.Hour), "uid-recorded"),
			want:   []string{"recorded"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			lg := newTestLedger(t, tc.ledger)
			lg.now = func() time.Time { return now }
			if err := lg.Load(context.Background()); err != nil {
				t.Fatalf("Load: %v", err)
			}
			l := &v1alpha1.ObservedClusterList{}
			if err := lg.kube.List(context.Background(), l); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, oc := range l.Items {
				got = append(got, oc.GetName())
			}
			sort.Strings(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nledgers after Load: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// A stray written after it was listed is no stray: the delete's
// precondition leaves it alone.
func TestRemoveStraysSparesWritten(t *testing.T) {
	oc := &v1alpha1.ObservedCluster{}
	oc.SetName("written")
	lg := newTestLedger(t, oc)
	kube := lg.kube
	ctx := context.Background()
	listed := &v1alpha1.ObservedCluster{}
	if err := kube.Get(ctx, client.ObjectKey{Name: "written"}, listed); err != nil {
		t.Fatal(err)
	}
	written := listed.DeepCopy()
	written.Status.LastSeq = 1
	if err := kube.Status().Update(ctx, written); err != nil {
		t.Fatal(err)
	}
	lg.removeStrays(ctx, []stray{{name: "written", rv: listed.GetResourceVersion()}})
	if err := kube.Get(ctx, client.ObjectKey{Name: "written"}, &v1alpha1.ObservedCluster{}); err != nil {
		t.Errorf("a ledger written after it was listed as a stray was removed: %v", err)
	}
}
