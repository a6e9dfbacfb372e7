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
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// ledgerOf finds the ObservedCluster of a watched object by name.
func ledgerOf(ctx context.Context, t *testing.T, name string) (*v1alpha1.ObservedCluster, error) {
	t.Helper()
	l := &v1alpha1.ObservedClusterList{}
	if err := kubeClient(t).List(ctx, l, client.MatchingFields{"status.resourceRef.name": name}); err != nil {
		return nil, err
	}
	if len(l.Items) == 0 {
		return nil, fmt.Errorf("no ledger for %s", name)
	}
	return &l.Items[0], nil
}

func waitPhase(ctx context.Context, t *testing.T, name string, want v1alpha1.Phase) *v1alpha1.ObservedCluster {
	t.Helper()
	return waitLedger(ctx, t, name, func(oc *v1alpha1.ObservedCluster) error {
		if oc.Status.Phase != want {
			return fmt.Errorf("%s: phase %s, want %s", name, oc.Status.Phase, want)
		}
		return nil
	})
}

// waitLedger waits until the ledger of name passes check. An event reaches
// the sink while its ledger write may still be in flight, so what a ledger
// shows after an event arrived is waited for, not read once.
func waitLedger(ctx context.Context, t *testing.T, name string, check func(*v1alpha1.ObservedCluster) error) *v1alpha1.ObservedCluster {
	t.Helper()
	var oc *v1alpha1.ObservedCluster
	if err := testkit.Eventually(waitLong, func() error {
		var err error
		if oc, err = ledgerOf(ctx, t, name); err != nil {
			return err
		}
		return check(oc)
	}); err != nil {
		t.Fatal(err)
	}
	return oc
}

// TestDiscoveryFollowsCRDs installs cluster kinds after the provider
// started, finds existing clusters of them as already running (replayed),
// and stops one kind's watch when its CRD is deleted, recording its
// clusters as deleted, without disturbing another kind.
func TestDiscoveryFollowsCRDs(t *testing.T) {
	ctx := context.Background()
	p := startProvider(t)
	dyn := dynClient(t)

	// GKE: a classic kind, installed after start, with a cluster that was
	// already running when it is first seen.
	gkeCRD := installCRD(t, "container.gcp.crossplane.io", "Cluster")
	gkeGVR := schema.GroupVersionResource{Group: "container.gcp.crossplane.io", Version: "v1beta2", Resource: "clusters"}
	gke := fleetsim.NewClusters(dyn, gkeGVR, "Cluster", "")
	// A decoy with kind Cluster in a group no profile names.
	decoy := installCRD(t, "database.digitalocean.crossplane.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, decoy) })

	if err := testkit.Eventually(waitLong, func() error {
		if !p.Pipeline.Discovery.IsWatching(schema.GroupKind{Group: "container.gcp.crossplane.io", Kind: "Cluster"}) {
			return fmt.Errorf("not watching classic GKE")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if p.Pipeline.Discovery.IsWatching(schema.GroupKind{Group: "database.digitalocean.crossplane.io", Kind: "Cluster"}) {
		t.Errorf("watching a Cluster kind of an unknown group")
	}

	// EKS: installed later still, with a cluster created before the watch.
	eksCRD := installCRD(t, "eks.aws.crossplane.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, eksCRD) })
	eksGVR := schema.GroupVersionResource{Group: "eks.aws.crossplane.io", Version: "v1beta1", Resource: "clusters"}
	eks := fleetsim.NewClusters(dyn, eksGVR, "Cluster", "")
	if _, err := eks.Create(ctx, "classic-eks", map[string]any{"region": "us-east-1"}, nil); err != nil {
		t.Fatal(err)
	}
	ltt := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := eks.Status(ctx, "classic-eks", func(u *unstructured.Unstructured) {
		fleetsim.SetField(u, "ACTIVE", "status", "atProvider", "status")
		fleetsim.SetField(u, "1.29", "status", "atProvider", "version")
		fleetsim.SetCondition(u, "Ready", "True", "Available", ltt)
		fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", ltt)
	}); err != nil {
		t.Fatal(err)
	}
	oc := waitPhase(ctx, t, "classic-eks", v1alpha1.PhaseReady)
	var got []string
	for _, e := range oc.Status.Events {
		got = append(got, fmt.Sprintf("%s replayed=%t", e.Lifecycle, e.Replayed))
	}
	if diff := cmp.Diff([]string{"created replayed=false", "ready replayed=false"}, got); diff != "" {
		t.Errorf("a cluster created while watched: -want, +got:\n%s", diff)
	}
	if oc.Status.Provider != "aws" || oc.Status.ShortKind != "eks.aws/Cluster" || oc.Status.Facts.KubernetesVersion != "1.29" {
		t.Errorf("classic-eks ledger: provider %q kind %q version %q", oc.Status.Provider, oc.Status.ShortKind, oc.Status.Facts.KubernetesVersion)
	}

	// A GKE cluster that is running, created while nothing watched it.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := gke.Create(ctx, "classic-gke", map[string]any{"location": "europe-west1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := gke.Status(ctx, "classic-gke", func(u *unstructured.Unstructured) {
		fleetsim.SetField(u, "RUNNING", "status", "atProvider", "status")
		fleetsim.SetField(u, "1.30.5-gke.1", "status", "atProvider", "currentMasterVersion")
		fleetsim.SetField(u, "34.1.2.3", "status", "atProvider", "endpoint")
		fleetsim.SetCondition(u, "Ready", "True", "Available", ltt)
	}); err != nil {
		t.Fatal(err)
	}
	p = startProvider(t)
	oc = waitPhase(ctx, t, "classic-gke", v1alpha1.PhaseReady)
	got = nil
	for _, e := range oc.Status.Events {
		got = append(got, fmt.Sprintf("%s replayed=%t", e.Lifecycle, e.Replayed))
	}
	if diff := cmp.Diff([]string{"created replayed=true", "ready replayed=true"}, got); diff != "" {
		t.Errorf("a cluster first seen running: -want, +got:\n%s", diff)
	}
	if oc.Status.Environment.URI != "https://34.1.2.3" {
		t.Errorf("GKE endpoint: want https://34.1.2.3, got %q", oc.Status.Environment.URI)
	}

	// Deleting the GKE CRD stops that watch and records its clusters as
	// deleted; EKS keeps being watched.
	uninstallCRD(t, gkeCRD)
	waitPhase(ctx, t, "classic-gke", v1alpha1.PhaseDeleted)
	if p.Pipeline.Discovery.IsWatching(schema.GroupKind{Group: "container.gcp.crossplane.io", Kind: "Cluster"}) {
		t.Errorf("still watching GKE after its CRD was deleted")
	}
	if err := eks.Update(ctx, "classic-eks", func(u *unstructured.Unstructured) {}); err != nil {
		t.Fatal(err)
	}
	if err := eks.Status(ctx, "classic-eks", func(u *unstructured.Unstructured) {
		fleetsim.SetField(u, "FAILED", "status", "atProvider", "status")
		fleetsim.SetCondition(u, "Ready", "False", "Unavailable", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, "classic-eks", v1alpha1.PhaseDegraded)
	if err := eks.Delete(ctx, "classic-eks"); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, "classic-eks", v1alpha1.PhaseDeleted)
}

// TestClusterKind teaches the provider a kind its catalog lacks and reports
// an invalid ClusterKind on its status.
func TestClusterKind(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	p := startProvider(t)
	// The decoy fixture is a database kind; pretend it is a cluster kind
	// a user wants reported.
	decoy := installCRD(t, "database.digitalocean.crossplane.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, decoy) })
	gk := schema.GroupKind{Group: "database.digitalocean.crossplane.io", Kind: "Cluster"}

	bad := &v1alpha1.ClusterKind{ObjectMeta: metav1.ObjectMeta{Name: "bad"}, Spec: v1alpha1.ClusterKindSpec{
		Group: "example.org", Kind: "Cluster", Provider: "example",
		Fields: v1alpha1.ProfileFields{CloudState: []string{"status.atProvider.status"}},
	}}
	good := &v1alpha1.ClusterKind{ObjectMeta: metav1.ObjectMeta{Name: "good"}, Spec: v1alpha1.ClusterKindSpec{
		Group: gk.Group, Kind: gk.Kind, Provider: "digitalocean",
		Fields: v1alpha1.ProfileFields{
			CloudState:        []string{"status.atProvider.status"},
			KubernetesVersion: []string{"status.atProvider.version"},
			Region:            []string{"spec.forProvider.region", "status.atProvider.region"},
		},
		States: v1alpha1.CloudStates{Healthy: []string{"online"}, Provisioning: []string{"creating"}},
	}}
	for _, ck := range []*v1alpha1.ClusterKind{bad, good} {
		if err := kube.Create(ctx, ck); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = kube.Delete(ctx, ck) })
	}
	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ClusterKind{}
		if err := kube.Get(ctx, types.NamespacedName{Name: "bad"}, got); err != nil {
			return err
		}
		c := got.GetCondition("Ready")
		if c.Status != corev1.ConditionFalse || c.Message == "" {
			return fmt.Errorf("bad ClusterKind Ready %s %q", c.Status, c.Message)
		}
		if err := kube.Get(ctx, types.NamespacedName{Name: "good"}, got); err != nil {
			return err
		}
		if got.GetCondition("Ready").Status != corev1.ConditionTrue || !got.Status.Watching {
			return fmt.Errorf("good ClusterKind Ready %s watching %t", got.GetCondition("Ready").Status, got.Status.Watching)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !p.Pipeline.Discovery.IsWatching(gk) {
		t.Fatalf("not watching the kind a ClusterKind declared")
	}
	db := fleetsim.NewClusters(dynClient(t), schema.GroupVersionResource{Group: gk.Group, Version: "v1alpha1", Resource: "clusters"}, "Cluster", "")
	if _, err := db.Create(ctx, "custom-kind", map[string]any{"region": "ams3"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.Status(ctx, "custom-kind", func(u *unstructured.Unstructured) {
		fleetsim.SetField(u, "online", "status", "atProvider", "status")
		fleetsim.SetCondition(u, "Ready", "True", "Available", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	oc := waitPhase(ctx, t, "custom-kind", v1alpha1.PhaseReady)
	if oc.Status.Provider != "digitalocean" || oc.Status.Facts.Region != "ams3" {
		t.Errorf("custom kind ledger: provider %q region %q", oc.Status.Provider, oc.Status.Facts.Region)
	}

	// Removing the ClusterKind stops the watch.
	if err := kube.Delete(ctx, good); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Eventually(waitLong, func() error {
		if p.Pipeline.Discovery.IsWatching(gk) {
			return fmt.Errorf("still watching after the ClusterKind was deleted")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Delete(ctx, "custom-kind"); err != nil {
		t.Fatal(err)
	}
}

// TestClusterKindWatchingFollowsItsCRD declares a kind before its CRD is
// installed: its Watching status turns true once the CRD is installed, and
// false once it is deleted, told by discovery rather than found by the
// ClusterKind controller's periodic check, which comes only every few
// minutes.
func TestClusterKindWatchingFollowsItsCRD(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	startProvider(t)
	gk := schema.GroupKind{Group: "database.digitalocean.crossplane.io", Kind: "Cluster"}
	ck := &v1alpha1.ClusterKind{ObjectMeta: metav1.ObjectMeta{Name: "installed-later"}, Spec: v1alpha1.ClusterKindSpec{
		Group: gk.Group, Kind: gk.Kind, Provider: "digitalocean",
	}}
	if err := kube.Create(ctx, ck); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, ck) })
	watching := func(want bool, within time.Duration) error {
		return testkit.Eventually(within, func() error {
			got := &v1alpha1.ClusterKind{}
			if err := kube.Get(ctx, types.NamespacedName{Name: ck.Name}, got); err != nil {
				return err
			}
			if got.GetCondition("Ready").Status != corev1.ConditionTrue || got.Status.Watching != want {
				return fmt.Errorf("ClusterKind Ready %s watching %t, want watching %t", got.GetCondition("Ready").Status, got.Status.Watching, want)
			}
			return nil
		})
	}
	if err := watching(false, waitLong); err != nil {
		t.Fatalf("before its CRD exists: %v", err)
	}
	// Well within the periodic check, so only discovery's word can make it.
	const told = 15 * time.Second
	crd := installCRD(t, gk.Group, gk.Kind)
	t.Cleanup(func() { uninstallCRD(t, crd) })
	if err := watching(true, told); err != nil {
		t.Fatalf("CRD installed: %v", err)
	}
	uninstallCRD(t, crd)
	if err := watching(false, told); err != nil {
		t.Fatalf("CRD deleted: %v", err)
	}
}
