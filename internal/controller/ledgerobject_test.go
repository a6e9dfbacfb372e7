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

package controller_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
)

// TestLedgerObject checks what the API server stores of a ledger written
// many times: no managed fields, whose upkeep would add 30 to 50% to what
// every ledger write costs, and fields users select a cluster's ledger by.
func TestLedgerObject(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	startProvider(t)
	kube := kubeClient(t)

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	const name = "ledger-object"
	if _, err := eks.Create(ctx, name, map[string]any{"region": "eu-west-1"}, nil); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	l := fleetsim.Lifecycle{C: eks, Name: name}
	if err := l.CreateRequested(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(ctx, t0.Add(10*time.Minute), "1.30"); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, name, v1alpha1.PhaseReady)
	if err := l.CloudState(ctx, "FAILED", "1.30"); err != nil {
		t.Fatal(err)
	}
	oc := waitPhase(ctx, t, name, v1alpha1.PhaseDegraded)
	if got := len(oc.Status.Events); got < 3 {
		t.Fatalf("ledger holds %d events, want created, ready and degraded", got)
	}
	if len(oc.ManagedFields) != 0 {
		t.Errorf("ledger holding %d events carries managed fields: %+v", len(oc.Status.Events), oc.ManagedFields)
	}

	obj, err := eks.Get(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		reason string
		fields client.MatchingFields
		want   []string
	}{
		"ByUID": {
			reason: "The uid names one incarnation of the watched object.",
			fields: client.MatchingFields{"status.resourceRef.uid": string(obj.GetUID())},
			want:   []string{oc.Name},
		},
		"ByKindAndName": {
			reason: "Kind and name find the ledger of a cluster whose uid the user does not know.",
			fields: client.MatchingFields{"status.resourceRef.kind": "Cluster", "status.resourceRef.name": name, "status.group": "eks.aws.upbound.io"},
			want:   []string{oc.Name},
		},
		"ByProviderAndPhase": {
			reason: "Provider and phase select the degraded clusters of one cloud.",
			fields: client.MatchingFields{"status.provider": "aws", "status.phase": string(v1alpha1.PhaseDegraded)},
			want:   []string{oc.Name},
		},
		"OtherName": {
			reason: "A name no watched object has selects nothing.",
			fields: client.MatchingFields{"status.resourceRef.name": name + "-other"},
		},
	}
	for n, tc := range cases {
		t.Run(n, func(t *testing.T) {
			list := &v1alpha1.ObservedClusterList{}
			if err := kube.List(ctx, list, tc.fields); err != nil {
				t.Fatalf("%s\nList: %v", tc.reason, err)
			}
			var got []string
			for _, item := range list.Items {
				got = append(got, item.Name)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("%s\nList with field selector %v: -want, +got:\n%s", tc.reason, tc.fields, diff)
			}
		})
	}
}
