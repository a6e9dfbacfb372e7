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
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

const waitLong = 30 * time.Second

func clusterProviderConfig(name, url string, mods ...func(*v1alpha1.ProviderConfigSpec)) *v1alpha1.ClusterProviderConfig {
	pc := &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: url}}}
	for _, m := range mods {
		m(&pc.Spec)
	}
	return pc
}

// describeReceived describes the events a sink got of one cluster, ids and times
// included, so that a failure tells a resend from a second transition.
func describeReceived(sink *testkit.Sink, name string) []string {
	var out []string
	for _, r := range sink.Received() {
		if r.Summary.Name == name {
			out = append(out, fmt.Sprintf("%s id=%s time=%s", r.Summary.Lifecycle, r.Event.ID(), r.Event.Time().Format(time.RFC3339)))
		}
	}
	return out
}

// TestLifecycleDelivered follows one upjet EKS cluster from create to gone
// and checks the sink receives every lifecycle, in order, valid, with
// deterministic ids and transition times, and that the ledger says the same.
func TestLifecycleDelivered(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	kube := kubeClient(t)
	startProvider(t)

	pc := clusterProviderConfig("lifecycle", sink.URL(), func(s *v1alpha1.ProviderConfigSpec) {
		s.Selector = &v1alpha1.Selector{MatchLabels: map[string]string{"test": "lifecycle"}}
	})
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	name := "prod-lifecycle"
	if _, err := eks.Create(ctx, name, map[string]any{"region": "us-east-1"}, map[string]string{"test": "lifecycle"}); err != nil {
		t.Fatal(err)
	}
	l := fleetsim.Lifecycle{C: eks, Name: name}
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	steps := []struct {
		do   func() error
		want []string
	}{
		{func() error { return l.CreateRequested(ctx, t0) }, []string{"created"}},
		{func() error { return l.Ready(ctx, t0.Add(15*time.Minute), "1.30") }, []string{"created", "ready"}},
		{func() error { return l.CloudState(ctx, "UPDATING", "1.30") }, []string{"created", "ready"}},
		{func() error { return l.CloudState(ctx, "ACTIVE", "1.31") }, []string{"created", "ready", "upgraded"}},
		{func() error { return l.CloudState(ctx, "FAILED", "") }, []string{"created", "ready", "upgraded", "degraded"}},
		{func() error { return l.CloudState(ctx, "ACTIVE", "") }, []string{"created", "ready", "upgraded", "degraded", "recovered"}},
		{func() error { return l.DeleteRequested(ctx, t0.Add(2*time.Hour)) }, []string{"created", "ready", "upgraded", "degraded", "recovered", "deleting"}},
		{func() error { return l.Gone(ctx) }, []string{"created", "ready", "upgraded", "degraded", "recovered", "deleting", "deleted"}},
	}
	for i, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if !sink.WaitFor(waitLong, func([]testkit.Received) bool { return len(sink.Lifecycles(name)) >= len(s.want) }) {
			t.Fatalf("step %d: sink got %v, want %v (errors %v)", i, sink.Lifecycles(name), s.want, sink.Errors())
		}
		if diff := cmp.Diff(s.want, sink.Lifecycles(name)); diff != "" {
			t.Fatalf("step %d: lifecycles at the sink: -want, +got:\n%s\nreceived: %v", i, diff, describeReceived(sink, name))
		}
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("sink saw invalid events: %v", errs)
	}

	got := sink.Received()
	ids := map[string]bool{}
	for _, r := range got {
		if ids[r.Event.ID()] {
			t.Errorf("event id %s delivered twice", r.Event.ID())
		}
		ids[r.Event.ID()] = true
	}
	if want := "/test/eks.aws.upbound.io/Cluster/" + name; got[0].Event.Subject() != want {
		t.Errorf("subject: want %q, got %q", want, got[0].Event.Subject())
	}
	if !got[0].Event.Time().Equal(t0) {
		t.Errorf("created time: want the annotation time %v, got %v", t0, got[0].Event.Time())
	}
	if !got[1].Event.Time().Equal(t0.Add(15 * time.Minute)) {
		t.Errorf("ready time: want Ready's lastTransitionTime %v, got %v", t0.Add(15*time.Minute), got[1].Event.Time())
	}
	// The finalizer's removal is a later write of the object, but records
	// nothing: deleted carries the newest time the object had when the
	// ledger last changed, Ready's Deleting transition.
	if last := got[len(got)-1]; !last.Event.Time().Equal(t0.Add(2 * time.Hour)) {
		t.Errorf("deleted time: want the newest time the final object carried %v, got %v", t0.Add(2*time.Hour), last.Event.Time())
	}
	types := []string{}
	for _, r := range got {
		types = append(types, r.Event.Type())
	}
	if types[0] != "dev.cdevents.environment.created.0.3.0" || types[len(types)-1] != "dev.cdevents.environment.deleted.0.3.0" {
		t.Errorf("types: got %v", types)
	}

	// The ledger keeps the deleted cluster until retention passes.
	if err := testkit.Eventually(waitLong, func() error {
		l := &v1alpha1.ObservedClusterList{}
		if err := kube.List(ctx, l); err != nil {
			return err
		}
		for _, oc := range l.Items {
			if oc.Status.ResourceRef.Name != name {
				continue
			}
			var lcs []string
			for _, e := range oc.Status.Events {
				lcs = append(lcs, string(e.Lifecycle))
			}
			if oc.Status.Phase != v1alpha1.PhaseDeleted || !slices.Equal(lcs, steps[len(steps)-1].want) {
				return errorf("ledger phase %s events %v", oc.Status.Phase, lcs)
			}
			if oc.Status.Facts.KubernetesVersion != "1.31" || oc.Status.Facts.Region != "us-east-1" {
				return errorf("ledger facts %+v", oc.Status.Facts)
			}
			return nil
		}
		return errorf("no ledger for %s", name)
	}); err != nil {
		t.Fatal(err)
	}
}
