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
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// TestSignalsDeclaredStates declares a kind whose provider keeps Ready=True
// while its own status turns Degraded, and checks that the declared
// degraded state is reported, and that a ClusterKind saying readyMeansHealthy
// true is told, in its StatesHonored condition, what it ignores.
func TestSignalsDeclaredStates(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	sink := startSink(t)
	startProvider(t)
	// The decoy fixture is a database kind; it stands for a cluster kind
	// of a provider the catalog lacks.
	crd := installCRD(t, "database.digitalocean.crossplane.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	gk := schema.GroupKind{Group: "database.digitalocean.crossplane.io", Kind: "Cluster"}

	pc := clusterProviderConfig("declared-states", sink.URL(), func(s *v1alpha1.ProviderConfigSpec) {
		s.Selector = &v1alpha1.Selector{MatchLabels: map[string]string{"test": "declared-states"}}
	})
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })

	states := v1alpha1.CloudStates{Healthy: []string{"Running"}, Degraded: []string{"Degraded"}, Failed: []string{"Failed"}}
	ck := &v1alpha1.ClusterKind{ObjectMeta: metav1.ObjectMeta{Name: "declared-states"}, Spec: v1alpha1.ClusterKindSpec{
		Group: gk.Group, Kind: gk.Kind, Provider: "example",
		Fields: v1alpha1.ProfileFields{CloudState: []string{"status.atProvider.status"}},
		States: states,
	}}
	if err := kube.Create(ctx, ck); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, ck) })
	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ClusterKind{}
		if err := kube.Get(ctx, types.NamespacedName{Name: ck.GetName()}, got); err != nil {
			return err
		}
		if got.Spec.ReadyMeansHealthy != nil {
			return fmt.Errorf("readyMeansHealthy defaulted to %t; it must stay unset", *got.Spec.ReadyMeansHealthy)
		}
		if c := got.GetCondition(v1alpha1.TypeStatesHonored); c.Status != corev1.ConditionTrue || !got.Status.Watching {
			return fmt.Errorf("StatesHonored %s %q, watching %t", c.Status, c.Message, got.Status.Watching)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	db := testkit.NewClusters(dynClient(t), schema.GroupVersionResource{Group: gk.Group, Version: "v1alpha1", Resource: "clusters"}, "Cluster", "")
	name := "declared-degraded"
	if _, err := db.Create(ctx, name, map[string]any{"region": "ams3"}, map[string]string{"test": "declared-states"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Delete(ctx, name) })
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	phase := func(p string) error {
		return db.Status(ctx, name, func(u *unstructured.Unstructured) {
			testkit.SetField(u, p, "status", "atProvider", "status")
			testkit.SetCondition(u, "Ready", "True", "Available", t0)
			testkit.SetCondition(u, "Synced", "True", "ReconcileSuccess", t0)
		})
	}
	for i, s := range []struct {
		phase string
		want  []string
	}{
		{"Running", []string{"created", "ready"}},
		{"Degraded", []string{"created", "ready", "degraded"}},
		{"Running", []string{"created", "ready", "degraded", "recovered"}},
	} {
		if err := phase(s.phase); err != nil {
			t.Fatal(err)
		}
		if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sink.Lifecycles(name)) >= len(s.want) }) {
			t.Fatalf("step %d: sink got %v, want %v (errors %v)", i, sink.Lifecycles(name), s.want, sink.Errors())
		}
		if diff := cmp.Diff(s.want, sink.Lifecycles(name)); diff != "" {
			t.Fatalf("step %d: lifecycles at the sink: -want, +got:\n%s", i, diff)
		}
	}

	// Saying readyMeansHealthy true is saying otherwise: the degraded state
	// no longer counts while Ready=True, and the ClusterKind says so.
	if err := kube.Get(ctx, types.NamespacedName{Name: ck.GetName()}, ck); err != nil {
		t.Fatal(err)
	}
	ck.Spec.ReadyMeansHealthy = ptr(true)
	if err := kube.Update(ctx, ck); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ClusterKind{}
		if err := kube.Get(ctx, types.NamespacedName{Name: ck.GetName()}, got); err != nil {
			return err
		}
		c := got.GetCondition(v1alpha1.TypeStatesHonored)
		if c.Status != corev1.ConditionFalse || c.Reason != "StatesIgnoredWhileReady" ||
			!strings.Contains(c.Message, "states.degraded Degraded; states.failed Failed are ignored while Ready=True because readyMeansHealthy is true") {
			return fmt.Errorf("StatesHonored %s %s %q", c.Status, c.Reason, c.Message)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("sink saw invalid events: %v", errs)
	}
}
