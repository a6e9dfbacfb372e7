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
	"encoding/json"
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
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
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

	db := fleetsim.NewClusters(dynClient(t), schema.GroupVersionResource{Group: gk.Group, Version: "v1alpha1", Resource: "clusters"}, "Cluster", "")
	name := "declared-degraded"
	if _, err := db.Create(ctx, name, map[string]any{"region": "ams3"}, map[string]string{"test": "declared-states"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Delete(ctx, name) })
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	phase := func(p string) error {
		return db.Status(ctx, name, func(u *unstructured.Unstructured) {
			fleetsim.SetField(u, p, "status", "atProvider", "status")
			fleetsim.SetCondition(u, "Ready", "True", "Available", t0)
			fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", t0)
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

// received lists, in arrival order and without repeats of one id, the
// lifecycles and incident types a sink got for one cluster.
func received(sink *testkit.Sink, name string) ([]string, map[string][]string) {
	seen := map[string]bool{}
	var lcs []string
	incidents := map[string][]string{}
	for _, r := range sink.Received() {
		if r.Summary.Name != name || seen[r.Event.ID()] {
			continue
		}
		seen[r.Event.ID()] = true
		switch {
		case strings.Contains(r.Event.Type(), ".environment."):
			lcs = append(lcs, string(r.Summary.Lifecycle))
		case strings.Contains(r.Event.Type(), ".incident."):
			incidents[r.Event.Subject()] = append(incidents[r.Event.Subject()], r.Event.Type())
		}
	}
	return lcs, incidents
}

// waitLifecycles waits until a sink has at least the wanted lifecycles of a
// cluster, then checks it has exactly those, each once.
func waitLifecycles(t *testing.T, sink *testkit.Sink, name string, want []string) {
	t.Helper()
	if !sink.WaitFor(waitLong+30*time.Second, func([]testkit.Received) bool {
		got, _ := received(sink, name)
		return len(got) >= len(want)
	}) {
		got, _ := received(sink, name)
		t.Fatalf("sink got %v, want %v (errors %v)", got, want, sink.Errors())
	}
	got, _ := received(sink, name)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("lifecycles at the sink: -want, +got:\n%s", diff)
	}
}

// eventOf returns the environment event of a lifecycle a sink got for a
// cluster.
func eventOf(t *testing.T, sink *testkit.Sink, name string, l v1alpha1.Lifecycle) testkit.Received {
	t.Helper()
	for _, r := range sink.Received() {
		if r.Summary.Name == name && r.Summary.Lifecycle == l && strings.Contains(r.Event.Type(), ".environment.") {
			return r
		}
	}
	t.Fatalf("no %s event for %s", l, name)
	return testkit.Received{}
}

// readyCluster points a ClusterProviderConfig, shaped by mods, at sink for
// the clusters labelled test=<label>, creates one such upjet EKS cluster and
// waits until the sink has its created and ready events. It returns the
// cluster's name and its lifecycle driver.
func readyCluster(ctx context.Context, t *testing.T, sink *testkit.Sink, label string, mods ...func(*v1alpha1.ProviderConfigSpec)) (string, fleetsim.Lifecycle) {
	t.Helper()
	kube := kubeClient(t)
	pc := clusterProviderConfig(unique(label), sink.URL(), append([]func(*v1alpha1.ProviderConfigSpec){func(s *v1alpha1.ProviderConfigSpec) {
		s.Selector = &v1alpha1.Selector{MatchLabels: map[string]string{"test": label}}
	}}, mods...)...)
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	name := unique(label)
	if _, err := eks.Create(ctx, name, map[string]any{"region": "us-east-1"}, map[string]string{"test": label}); err != nil {
		t.Fatal(err)
	}
	l := fleetsim.Lifecycle{C: eks, Name: name}
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	if err := l.CreateRequested(ctx, t0); err != nil {
		t.Fatal(err)
	}
	if err := l.Ready(ctx, t0.Add(15*time.Minute), "1.31"); err != nil {
		t.Fatal(err)
	}
	waitLifecycles(t, sink, name, []string{"created", "ready"})
	return name, l
}

// incidents turns incidents on.
func incidents(s *v1alpha1.ProviderConfigSpec) {
	s.CDEvents = &v1alpha1.CDEventsOptions{Incidents: true}
}

// outOfSyncAfter sets the sink's outOfSync threshold.
func outOfSyncAfter(d time.Duration) func(*v1alpha1.ProviderConfigSpec) {
	return func(s *v1alpha1.ProviderConfigSpec) {
		s.Signals = &v1alpha1.Signals{OutOfSyncAfter: &metav1.Duration{Duration: d}}
	}
}

// TestSignalsOutOfSync keeps an upjet EKS cluster Ready while its Synced
// condition turns False: past the sink's threshold, with no further change
// of the object, the sink gets outOfSync (and incident.detected) stamped
// with Synced's time plus the threshold; a restart repeats nothing; Synced
// True again gives inSync (and incident.resolved of the same incident).
func TestSignalsOutOfSync(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	kube := kubeClient(t)
	p := startProvider(t)

	// A threshold under a minute is refused.
	bad := clusterProviderConfig(unique("out-of-sync-bad"), sink.URL(), outOfSyncAfter(30*time.Second))
	if err := kube.Create(ctx, bad); err == nil || !strings.Contains(err.Error(), "outOfSyncAfter must be between 1m and 168h") {
		_ = kube.Delete(ctx, bad)
		t.Fatalf("create with outOfSyncAfter 30s: want a validation error, got %v", err)
	}

	name, l := readyCluster(ctx, t, sink, "out-of-sync", incidents, outOfSyncAfter(time.Minute))
	eks := l.C

	// Synced turns False 50s ago: outOfSync is due in about 10s, when
	// nothing about the object changes.
	lost := time.Now().Add(-50 * time.Second).Truncate(time.Second)
	if err := eks.Status(ctx, name, func(u *unstructured.Unstructured) {
		fleetsim.SetCondition(u, "Synced", "False", "ReconcileError", lost)
	}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second)
	if got, _ := received(sink, name); len(got) != 2 {
		t.Fatalf("before the threshold the sink got %v", got)
	}
	waitLifecycles(t, sink, name, []string{"created", "ready", "outOfSync"})
	oos := eventOf(t, sink, name, v1alpha1.LifecycleOutOfSync)
	if want := lost.Add(time.Minute); !oos.Event.Time().Equal(want) {
		t.Errorf("outOfSync time: want Synced's time plus the threshold %v, got %v", want, oos.Event.Time())
	}
	incidentID := "/test/eks.aws.upbound.io/Cluster/" + name + "/incidents/out-of-sync/" + fmt.Sprint(lost.Add(time.Minute).Unix())

	// A restart neither repeats nor loses it.
	if err := p.Stop(); err != nil {
		t.Fatal(err)
	}
	startProvider(t)
	time.Sleep(3 * time.Second)
	recovered := time.Now().Truncate(time.Second)
	if err := eks.Status(ctx, name, func(u *unstructured.Unstructured) {
		fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", recovered)
	}); err != nil {
		t.Fatal(err)
	}
	waitLifecycles(t, sink, name, []string{"created", "ready", "outOfSync", "inSync"})
	if got := eventOf(t, sink, name, v1alpha1.LifecycleInSync); !got.Event.Time().Equal(recovered) {
		t.Errorf("inSync time: want Synced's time %v, got %v", recovered, got.Event.Time())
	}
	if got := eventOf(t, sink, name, v1alpha1.LifecycleOutOfSync); got.Event.ID() != oos.Event.ID() {
		t.Errorf("outOfSync sent again with another id: %s, then %s", oos.Event.ID(), got.Event.ID())
	}
	if err := testkit.Eventually(waitLong, func() error {
		_, incidents := received(sink, name)
		want := map[string][]string{incidentID: {"dev.cdevents.incident.detected.0.3.0", "dev.cdevents.incident.resolved.0.3.0"}}
		if diff := cmp.Diff(want, incidents); diff != "" {
			return fmt.Errorf("incidents at the sink: -want, +got:\n%s", diff)
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	oc := waitLedger(ctx, t, name, func(got *v1alpha1.ObservedCluster) error {
		if got.Status.Phase != v1alpha1.PhaseReady || len(got.Status.OutOfSync) != 0 {
			return fmt.Errorf("after inSync: phase %s, status.outOfSync %v; want Ready and none", got.Status.Phase, got.Status.OutOfSync)
		}
		return nil
	})
	checkLinks(t, sink, name, cdevent.ChainID(oc.Status.ResourceRef.UID))
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("sink saw invalid events: %v", errs)
	}
}

// checkLinks checks that every event a sink got of a cluster is in the
// cluster's chain, that each environment event follows the one before it,
// and that each incident is caused by the outOfSync that opened it.
func checkLinks(t *testing.T, sink *testkit.Sink, name, chain string) {
	t.Helper()
	type payload struct {
		Context    struct{ ID, ChainID string } `json:"context"`
		CustomData cdevent.CustomData           `json:"customData"`
	}
	seen := map[string]bool{}
	prev, opener := "", ""
	for _, r := range sink.Received() {
		if r.Summary.Name != name || seen[r.Event.ID()] {
			continue
		}
		seen[r.Event.ID()] = true
		p := payload{}
		if err := json.Unmarshal(r.Event.Data(), &p); err != nil {
			t.Fatalf("cannot decode %s: %v", r.Event.ID(), err)
		}
		if p.Context.ChainID != chain {
			t.Errorf("%s %s: chainId %q, want %q", r.Event.Type(), r.Event.ID(), p.Context.ChainID, chain)
		}
		var linked []string
		for _, l := range p.CustomData.Links {
			linked = append(linked, l.LinkKind+" "+l.ContextID)
		}
		var want []string
		switch {
		case strings.Contains(r.Event.Type(), ".incident."):
			want = []string{cdevent.LinkCausedBy + " " + opener}
		default:
			if prev != "" {
				want = []string{cdevent.LinkFollows + " " + prev}
			}
			prev = r.Event.ID()
			if r.Summary.Lifecycle == v1alpha1.LifecycleOutOfSync {
				opener = r.Event.ID()
			}
		}
		if diff := cmp.Diff(want, linked); diff != "" {
			t.Errorf("%s %s: customData.links: -want, +got:\n%s", r.Event.Type(), r.Summary.Lifecycle, diff)
		}
	}
}

// TestSignalsPaused pauses a ready cluster the way Crossplane does (the
// annotation, then Synced=False/ReconcilePaused) long enough ago that an
// outOfSync would be due, and checks the sink gets paused, never outOfSync,
// then resumed.
func TestSignalsPaused(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	startProvider(t)
	name, l := readyCluster(ctx, t, sink, "paused", incidents, outOfSyncAfter(time.Minute))
	eks := l.C
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)

	if err := eks.Update(ctx, name, func(u *unstructured.Unstructured) {
		fleetsim.Annotate(u, "crossplane.io/paused", "true")
	}); err != nil {
		t.Fatal(err)
	}
	pausedAt := t0.Add(30 * time.Minute)
	if err := eks.Status(ctx, name, func(u *unstructured.Unstructured) {
		fleetsim.SetCondition(u, "Synced", "False", "ReconcilePaused", pausedAt)
	}); err != nil {
		t.Fatal(err)
	}
	waitLifecycles(t, sink, name, []string{"created", "ready", "paused"})
	waitLedger(ctx, t, name, func(oc *v1alpha1.ObservedCluster) error {
		if oc.Status.Phase != v1alpha1.PhaseReady || !oc.Status.Paused {
			return fmt.Errorf("after paused: phase %s, status.paused %t; want Ready and true", oc.Status.Phase, oc.Status.Paused)
		}
		return nil
	})

	if err := eks.Update(ctx, name, func(u *unstructured.Unstructured) {
		a := u.GetAnnotations()
		delete(a, "crossplane.io/paused")
		u.SetAnnotations(a)
	}); err != nil {
		t.Fatal(err)
	}
	resumedAt := time.Now().Truncate(time.Second)
	if err := eks.Status(ctx, name, func(u *unstructured.Unstructured) {
		fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", resumedAt)
	}); err != nil {
		t.Fatal(err)
	}
	waitLifecycles(t, sink, name, []string{"created", "ready", "paused", "resumed"})
	if got := eventOf(t, sink, name, v1alpha1.LifecycleResumed); !got.Event.Time().Equal(resumedAt) {
		t.Errorf("resumed time: want Synced's time %v, got %v", resumedAt, got.Event.Time())
	}
	if _, incidents := received(sink, name); len(incidents) > 0 {
		t.Errorf("a pause opened incidents: %v", incidents)
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("sink saw invalid events: %v", errs)
	}
}

// TestSignalsIncidentEpisodes takes a cluster through two outages, with a
// restart of the provider during the second, and checks that each outage
// is one incident: a detected and a resolved event sharing a subject id
// named after the outage's start, both naming the cluster's environment, as
// cdviz pairs them to compute time to restore.
func TestSignalsIncidentEpisodes(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	p := startProvider(t)
	name, l := readyCluster(ctx, t, sink, "episodes", incidents)
	want := []string{"created", "ready"}
	for i := range 2 {
		if err := l.CloudState(ctx, "FAILED", ""); err != nil {
			t.Fatal(err)
		}
		want = append(want, "degraded")
		waitLifecycles(t, sink, name, want)
		if i == 1 {
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
			p = startProvider(t)
		}
		// A second apart, so that the next outage starts at another
		// second of the object's newest time.
		time.Sleep(1100 * time.Millisecond)
		if err := l.CloudState(ctx, "ACTIVE", ""); err != nil {
			t.Fatal(err)
		}
		want = append(want, "recovered")
		waitLifecycles(t, sink, name, want)
		time.Sleep(1100 * time.Millisecond)
	}

	env := "/test/eks.aws.upbound.io/Cluster/" + name
	var starts []string
	seen := map[string]bool{}
	for _, r := range sink.Received() {
		if r.Summary.Name == name && r.Summary.Lifecycle == v1alpha1.LifecycleDegraded && strings.Contains(r.Event.Type(), ".environment.") && !seen[r.Event.ID()] {
			// A resend after the restart carries the same id.
			seen[r.Event.ID()] = true
			starts = append(starts, env+"/incidents/"+fmt.Sprint(r.Event.Time().Unix()))
		}
	}
	wantIncidents := map[string][]string{}
	for _, s := range starts {
		wantIncidents[s] = []string{"dev.cdevents.incident.detected.0.3.0", "dev.cdevents.incident.resolved.0.3.0"}
	}
	if err := testkit.Eventually(waitLong, func() error {
		_, got := received(sink, name)
		if diff := cmp.Diff(wantIncidents, got); diff != "" || len(starts) != 2 {
			return fmt.Errorf("incidents at the sink (outage starts %v): -want, +got:\n%s", starts, diff)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, r := range sink.Received() {
		if r.Summary.Name != name || !strings.Contains(r.Event.Type(), ".incident.") {
			continue
		}
		d := struct {
			Subject struct {
				Content struct {
					Environment struct{ ID string } `json:"environment"`
				} `json:"content"`
			} `json:"subject"`
		}{}
		if err := json.Unmarshal(r.Event.Data(), &d); err != nil {
			t.Fatal(err)
		}
		if d.Subject.Content.Environment.ID != env {
			t.Errorf("%s %s: content.environment.id %q, want %q", r.Event.Type(), r.Event.Subject(), d.Subject.Content.Environment.ID, env)
		}
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("sink saw invalid events: %v", errs)
	}
}

// TestSignalsFlapping flaps a cluster six times within a minute, with a
// restart of the provider in the middle, towards two sinks: one that damps
// flaps (more than 3 within 1m) gets the first three transitions, one
// flapping event with the count, and a minute after the last transition one
// stable event, with every incident paired; one that does not gets every
// transition and no flapping.
func TestSignalsFlapping(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	damped, plain := startSink(t), startSink(t)
	kube := kubeClient(t)
	p := startProvider(t)
	pc := clusterProviderConfig(unique("flapping-plain"), plain.URL(), func(s *v1alpha1.ProviderConfigSpec) {
		s.Selector = &v1alpha1.Selector{MatchLabels: map[string]string{"test": "flapping"}}
	})
	if err := kube.Create(ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.Delete(ctx, pc) })
	name, l := readyCluster(ctx, t, damped, "flapping", incidents, func(s *v1alpha1.ProviderConfigSpec) {
		s.Signals = &v1alpha1.Signals{Flapping: &v1alpha1.FlapDamping{Transitions: 3, Window: metav1.Duration{Duration: time.Minute}}}
	})
	waitLifecycles(t, plain, name, []string{"created", "ready"})

	all := []string{"created", "ready"}
	for i := range 6 {
		state := "FAILED"
		all = append(all, "degraded")
		if i%2 == 1 {
			state = "ACTIVE"
			all[len(all)-1] = "recovered"
		}
		if i == 3 {
			if err := p.Stop(); err != nil {
				t.Fatal(err)
			}
			p = startProvider(t)
		}
		// A second apart: each transition has a time of its own.
		time.Sleep(1100 * time.Millisecond)
		if err := l.CloudState(ctx, state, ""); err != nil {
			t.Fatal(err)
		}
		waitLifecycles(t, plain, name, all)
	}
	waitLifecycles(t, damped, name, []string{"created", "ready", "degraded", "recovered", "degraded", "flapping", "stable"})
	stable := eventOf(t, damped, name, v1alpha1.LifecycleStable)
	var last time.Time
	for _, r := range plain.Received() {
		if r.Summary.Name == name && r.Summary.Lifecycle == v1alpha1.LifecycleRecovered {
			last = r.Event.Time()
		}
	}
	if want := last.Add(time.Minute); !stable.Event.Time().Equal(want) {
		t.Errorf("stable time: want a window after the last transition %v, got %v", want, stable.Event.Time())
	}
	d := struct {
		CustomData cdevent.CustomData `json:"customData"`
	}{}
	if err := json.Unmarshal(stable.Event.Data(), &d); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&cdevent.Flapping{Transitions: 3, Window: "1m0s", Count: 6}, d.CustomData.Crossplane.Flapping); diff != "" {
		t.Errorf("stable customData.crossplane.flapping: -want, +got:\n%s", diff)
	}

	// Every incident the damped sink got is paired, none left open: two
	// outages and one flapping episode.
	if err := testkit.Eventually(waitLong, func() error {
		_, got := received(damped, name)
		if len(got) != 3 {
			return fmt.Errorf("want three incidents, got %v", got)
		}
		for subject, types := range got {
			if diff := cmp.Diff([]string{"dev.cdevents.incident.detected.0.3.0", "dev.cdevents.incident.resolved.0.3.0"}, types); diff != "" {
				return fmt.Errorf("incident %s: -want, +got:\n%s", subject, diff)
			}
		}
		return nil
	}); err != nil {
		t.Error(err)
	}
	for _, s := range []*testkit.Sink{damped, plain} {
		if errs := s.Errors(); len(errs) > 0 {
			t.Errorf("sink saw invalid events: %v", errs)
		}
	}
}
