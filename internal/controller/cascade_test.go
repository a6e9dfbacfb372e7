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
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// cascadeOf asks a sink for cascades of at least n clusters of one provider
// and region within five minutes.
func cascadeOf(n int32, per v1alpha1.CascadePerCluster) func(*v1alpha1.ProviderConfigSpec) {
	return func(s *v1alpha1.ProviderConfigSpec) {
		if s.Signals == nil {
			s.Signals = &v1alpha1.Signals{}
		}
		s.Signals.Cascade = &v1alpha1.CascadeSignal{MinClusters: n, Window: &metav1.Duration{Duration: 5 * time.Minute}, PerCluster: per}
	}
}

// cascadeEvent is one cascade incident event a sink received.
type cascadeEvent struct {
	Type         string
	ID           string
	Subject      string
	Time         time.Time
	Environments []string
}

// cascadeEvents lists, in arrival order and with repeats, the cascade
// incident events a sink received.
func cascadeEvents(t *testing.T, sink *testkit.Sink) []cascadeEvent {
	t.Helper()
	var out []cascadeEvent
	for _, r := range sink.Received() {
		if !strings.Contains(r.Event.Subject(), "/cascades/") {
			continue
		}
		ev, err := cdevent.Parse(r.Event)
		if err != nil {
			t.Fatalf("cdevent.Parse(%s): %v", r.Event.ID(), err)
		}
		cd := cdevent.CascadeData{}
		if err := ev.GetCustomDataAs(&cd); err != nil {
			t.Fatalf("customData of %s: %v", r.Event.ID(), err)
		}
		ce := cascadeEvent{Type: r.Event.Type(), ID: r.Event.ID(), Subject: r.Event.Subject(), Time: r.Event.Time()}
		for _, e := range cd.Crossplane.Cascade.Environments {
			ce.Environments = append(ce.Environments, e.Object)
		}
		slices.Sort(ce.Environments)
		out = append(out, ce)
	}
	return out
}

// waitCascades waits until a sink has received n cascade events.
func waitCascades(t *testing.T, sink *testkit.Sink, n int) []cascadeEvent {
	t.Helper()
	if !sink.WaitFor(waitLong+30*time.Second, func([]testkit.Received) bool { return len(cascadeEvents(t, sink)) >= n }) {
		t.Fatalf("sink got cascades %+v, want %d (errors %v)", cascadeEvents(t, sink), n, sink.Errors())
	}
	return cascadeEvents(t, sink)
}

// waitCascadeStatus waits until a config's status shows one cascade the
// sink has received to stage.
func waitCascadeStatus(ctx context.Context, t *testing.T, name string, stage v1alpha1.CascadeStage, clusters int32) {
	t.Helper()
	waitConfigStatus(ctx, t, name, func(pc *v1alpha1.ClusterProviderConfig) error {
		cs := pc.Status.Cascades
		if len(cs) != 1 || cs[0].Sent != stage || cs[0].Clusters != clusters {
			return fmt.Errorf("status.cascades %+v, want one %s of %d clusters", cs, stage, clusters)
		}
		return nil
	})
}

// degrade turns a cluster's cloud state FAILED, which degrades it.
func degrade(ctx context.Context, t *testing.T, l fleetsim.Lifecycle) {
	t.Helper()
	if err := l.CloudState(ctx, "FAILED", ""); err != nil {
		t.Fatal(err)
	}
}

// recoverCluster turns a cluster's cloud state ACTIVE again.
func recoverCluster(ctx context.Context, t *testing.T, l fleetsim.Lifecycle) {
	t.Helper()
	if err := l.CloudState(ctx, "ACTIVE", ""); err != nil {
		t.Fatal(err)
	}
}

// latest is the newest time of the environment events of a lifecycle a sink
// got for some clusters: when the last of them turned so.
func latest(t *testing.T, sink *testkit.Sink, l v1alpha1.Lifecycle, names ...string) time.Time {
	t.Helper()
	var out time.Time
	for _, n := range names {
		if at := eventOf(t, sink, n, l).Event.Time(); at.After(out) {
			out = at
		}
	}
	return out
}

// TestCascade degrades three clusters of one provider and region within the
// window, then a fourth while they are still down, and recovers them: the
// sink gets one incident.detected naming the first three at the third's
// degradation, and one incident.resolved naming all four at the last
// recovery, each valid against the CDEvents schemas, besides the
// per-cluster incidents it asked for.
func TestCascade(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	startProvider(t)
	name := unique("cascade")
	createConfig(ctx, t, clusterProviderConfig(name, sink.URL(), selectLabel(name), fastRetry, incidents, cascadeOf(3, v1alpha1.CascadeKeepPerCluster)))

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	names := readyClusters(ctx, t, eks, name, name, 5)
	for _, n := range names {
		waitLifecycles(t, sink, n, []string{"created", "ready"})
	}
	ls := make([]fleetsim.Lifecycle, len(names))
	for i, n := range names {
		ls[i] = fleetsim.Lifecycle{C: eks, Name: n}
	}
	// Two are not a cascade; a third within five minutes is.
	for i := range 2 {
		degrade(ctx, t, ls[i])
		waitLifecycles(t, sink, names[i], []string{"created", "ready", "degraded"})
	}
	degrade(ctx, t, ls[2])
	got := waitCascades(t, sink, 1)
	detected := got[0]
	waitLifecycles(t, sink, names[2], []string{"created", "ready", "degraded"})
	at := latest(t, sink, v1alpha1.LifecycleDegraded, names[:3]...)
	want := cascadeEvent{
		Type: "dev.cdevents.incident.detected.0.3.0", ID: detected.ID,
		Subject: "/crossplane/test/cascades/aws/us-east-2/" + fmt.Sprint(at.Unix()),
		Time:    at, Environments: names[:3],
	}
	if diff := cmp.Diff(want, detected); diff != "" {
		t.Errorf("detected: -want, +got:\n%s", diff)
	}
	waitCascadeStatus(ctx, t, name, v1alpha1.CascadeDetected, 3)

	// A fourth goes down while the cascade is open: it joins. The first
	// three recover; the cascade stays open until the fourth does.
	degrade(ctx, t, ls[3])
	waitCascadeStatus(ctx, t, name, v1alpha1.CascadeDetected, 4)
	for i := range 3 {
		recoverCluster(ctx, t, ls[i])
		waitLifecycles(t, sink, names[i], []string{"created", "ready", "degraded", "recovered"})
	}
	recoverCluster(ctx, t, ls[3])
	got = waitCascades(t, sink, 2)
	resolved := got[1]
	waitLifecycles(t, sink, names[3], []string{"created", "ready", "degraded", "recovered"})
	want = cascadeEvent{
		Type: "dev.cdevents.incident.resolved.0.3.0", ID: resolved.ID, Subject: detected.Subject,
		Time: latest(t, sink, v1alpha1.LifecycleRecovered, names[:4]...), Environments: names[:4],
	}
	if diff := cmp.Diff(want, resolved); diff != "" {
		t.Errorf("resolved: -want, +got:\n%s", diff)
	}
	if resolved.ID == detected.ID {
		t.Errorf("detected and resolved share the id %s", detected.ID)
	}
	waitCascadeStatus(ctx, t, name, v1alpha1.CascadeResolved, 4)

	// The per-cluster incidents are kept: each cluster that went down has
	// its own detected and resolved.
	for _, n := range names[:4] {
		_, inc := received(sink, n)
		if len(inc) != 1 {
			t.Errorf("%s: per-cluster incidents %v, want one pair", n, inc)
		}
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("the sink refused events: %v", errs)
	}
	if got := cascadeEvents(t, sink); len(got) != 2 {
		t.Errorf("cascade events: want one detected and one resolved, got %+v", got)
	}
}

// TestCascadeRestart stops the provider in the middle of a cascade, recovers
// its clusters while it is down, and starts a new one: the sink gets the
// cascade's incident.resolved once, at the last recovery, with the subject
// of the detected event it already had, and no detected event again.
func TestCascadeRestart(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	first := startProvider(t)
	name := unique("cascade-restart")
	createConfig(ctx, t, clusterProviderConfig(name, sink.URL(), selectLabel(name), fastRetry, cascadeOf(2, v1alpha1.CascadeOmitPerCluster), incidents))

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	names := readyClusters(ctx, t, eks, name, name, 3)
	for _, n := range names {
		waitLifecycles(t, sink, n, []string{"created", "ready"})
	}
	for _, n := range names {
		degrade(ctx, t, fleetsim.Lifecycle{C: eks, Name: n})
		waitLifecycles(t, sink, n, []string{"created", "ready", "degraded"})
	}
	got := waitCascades(t, sink, 1)
	detected := got[0]
	// The second degradation made two.
	if at := latest(t, sink, v1alpha1.LifecycleDegraded, names[:2]...); detected.Type != "dev.cdevents.incident.detected.0.3.0" || !detected.Time.Equal(at) {
		t.Fatalf("detected: %+v, want one at %v", detected, at)
	}
	// The status records what the sink has; a restart relies on it.
	waitCascadeStatus(ctx, t, name, v1alpha1.CascadeDetected, 3)
	if err := first.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}

	// While the provider is down every cluster recovers.
	time.Sleep(1100 * time.Millisecond)
	for _, n := range names {
		recoverCluster(ctx, t, fleetsim.Lifecycle{C: eks, Name: n})
	}
	startProvider(t)
	waitCascades(t, sink, 2)
	for _, n := range names {
		waitLifecycles(t, sink, n, []string{"created", "ready", "degraded", "recovered"})
	}
	waitCascadeStatus(ctx, t, name, v1alpha1.CascadeResolved, 3)
	// Give a repeat, if any, time to show up.
	time.Sleep(2 * time.Second)
	got = cascadeEvents(t, sink)
	want := []cascadeEvent{
		detected,
		{Type: "dev.cdevents.incident.resolved.0.3.0", ID: got[len(got)-1].ID, Subject: detected.Subject, Time: latest(t, sink, v1alpha1.LifecycleRecovered, names...), Environments: names},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cascade events across the restart: -want, +got:\n%s", diff)
	}
	// Per-cluster incidents are omitted: the sink asked only for cascades.
	for _, n := range names {
		if _, inc := received(sink, n); len(inc) != 0 {
			t.Errorf("%s: per-cluster incidents %v, want none", n, inc)
		}
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("the sink refused events: %v", errs)
	}
}

// TestCascadeByProviderConfig groups clusters of two regions by the
// ProviderConfig their managed resources name: three of them going down
// within the window are one cascade of that ProviderConfig, which a
// grouping by region would not see, while a cluster of another
// ProviderConfig is not part of it.
func TestCascadeByProviderConfig(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	startProvider(t)
	name := unique("cascade-pc")
	createConfig(ctx, t, clusterProviderConfig(name, sink.URL(), selectLabel(name), fastRetry, cascadeOf(3, v1alpha1.CascadeOmitPerCluster), func(s *v1alpha1.ProviderConfigSpec) {
		s.Signals.Cascade.By = v1alpha1.CascadeByProviderConfig
	}))

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	clusters := []struct{ name, region, pc string }{
		{name + "-0", "us-east-2", "prod"},
		{name + "-1", "eu-west-1", "prod"},
		{name + "-2", "us-east-2", "prod"},
		{name + "-3", "us-east-2", "staging"},
	}
	for _, c := range clusters {
		if _, err := eks.Create(ctx, c.name, map[string]any{"region": c.region}, map[string]string{"test": name}); err != nil {
			t.Fatal(err)
		}
		if err := eks.Update(ctx, c.name, func(u *unstructured.Unstructured) {
			_ = unstructured.SetNestedField(u.Object, c.pc, "spec", "providerConfigRef", "name")
		}); err != nil {
			t.Fatal(err)
		}
		l := fleetsim.Lifecycle{C: eks, Name: c.name}
		if err := l.CreateRequested(ctx, t0); err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx, t0.Add(time.Minute), "1.31"); err != nil {
			t.Fatal(err)
		}
		waitLifecycles(t, sink, c.name, []string{"created", "ready"})
	}
	// The staging cluster first, then the three of prod.
	for _, i := range []int{3, 0, 1, 2} {
		degrade(ctx, t, fleetsim.Lifecycle{C: eks, Name: clusters[i].name})
		waitLifecycles(t, sink, clusters[i].name, []string{"created", "ready", "degraded"})
	}
	got := waitCascades(t, sink, 1)
	at := latest(t, sink, v1alpha1.LifecycleDegraded, clusters[0].name, clusters[1].name, clusters[2].name)
	want := []cascadeEvent{{
		Type: "dev.cdevents.incident.detected.0.3.0", ID: got[0].ID,
		Subject: "/crossplane/test/cascades/aws/prod/" + fmt.Sprint(at.Unix()),
		Time:    at, Environments: []string{clusters[0].name, clusters[1].name, clusters[2].name},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cascade by ProviderConfig: -want, +got:\n%s", diff)
	}
	if errs := sink.Errors(); len(errs) > 0 {
		t.Errorf("the sink refused events: %v", errs)
	}
}
