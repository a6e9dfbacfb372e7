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
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/provider"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// readyClusters creates n upjet EKS clusters, all ready, labelled test=label.
func readyClusters(ctx context.Context, t *testing.T, c *fleetsim.Clusters, prefix, label string, n int) []string {
	t.Helper()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	var names []string
	for i := range n {
		name := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := c.Create(ctx, name, map[string]any{"region": "us-east-2"}, map[string]string{"test": label}); err != nil {
			t.Fatal(err)
		}
		l := fleetsim.Lifecycle{C: c, Name: name}
		if err := l.CreateRequested(ctx, t0); err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx, t0.Add(time.Minute), "1.31"); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

func createConfig(ctx context.Context, t *testing.T, obj client.Object) {
	t.Helper()
	kube := kubeClient(t)
	if err := kube.Create(ctx, obj); err != nil {
		t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
	t.Cleanup(func() { _ = kube.Delete(context.Background(), obj) })
}

// TestReplayPolicies adds sinks to a fleet that already exists: Current
// gets created and ready of each cluster, All every event, None nothing
// until something happens.
func TestReplayPolicies(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	startProvider(t)
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	names := readyClusters(ctx, t, eks, "replay", "replay", 3)
	// Upgrade one, so All differs from Current.
	if err := (fleetsim.Lifecycle{C: eks, Name: names[0]}).CloudState(ctx, "ACTIVE", "1.32"); err != nil {
		t.Fatal(err)
	}
	if err := testkit.Eventually(waitLong, func() error {
		oc, err := ledgerOf(ctx, t, names[0])
		if err != nil {
			return err
		}
		if oc.Status.LastSeq != 3 {
			return fmt.Errorf("%s lastSeq %d", names[0], oc.Status.LastSeq)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	waitPhase(ctx, t, names[2], v1alpha1.PhaseReady)
	time.Sleep(time.Second) // The sinks below are added strictly after the ledgers.

	sinks := map[v1alpha1.ReplayPolicy]*testkit.Sink{}
	for _, policy := range []v1alpha1.ReplayPolicy{v1alpha1.ReplayCurrent, v1alpha1.ReplayAll, v1alpha1.ReplayNone} {
		s := startSink(t)
		sinks[policy] = s
		createConfig(ctx, t, clusterProviderConfig("replay-"+strings.ToLower(string(policy)), s.URL(), selectLabel("replay"), func(sp *v1alpha1.ProviderConfigSpec) {
			sp.Replay = policy
		}))
	}
	if !sinks[v1alpha1.ReplayAll].WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 7 }) {
		t.Fatalf("All: got %d events", len(sinks[v1alpha1.ReplayAll].Received()))
	}
	if !sinks[v1alpha1.ReplayCurrent].WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 6 }) {
		t.Fatalf("Current: got %d events", len(sinks[v1alpha1.ReplayCurrent].Received()))
	}
	time.Sleep(time.Second)
	if diff := cmp.Diff([]string{"created", "upgraded"}, sinks[v1alpha1.ReplayCurrent].Lifecycles(names[0])); diff != "" {
		t.Errorf("Current for an upgraded cluster: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"created", "ready"}, sinks[v1alpha1.ReplayCurrent].Lifecycles(names[1])); diff != "" {
		t.Errorf("Current: -want, +got:\n%s", diff)
	}
	if diff := cmp.Diff([]string{"created", "ready", "upgraded"}, sinks[v1alpha1.ReplayAll].Lifecycles(names[0])); diff != "" {
		t.Errorf("All: -want, +got:\n%s", diff)
	}
	for _, r := range sinks[v1alpha1.ReplayCurrent].Received() {
		if !r.Summary.Replayed {
			t.Errorf("a replayed event is not marked replayed: %s %s", r.Summary.Name, r.Summary.Lifecycle)
		}
	}
	if n := len(sinks[v1alpha1.ReplayNone].Received()); n != 0 {
		t.Errorf("None: got %d events about the past", n)
	}
	// What happens next reaches every sink.
	if err := (fleetsim.Lifecycle{C: eks, Name: names[1]}).CloudState(ctx, "FAILED", ""); err != nil {
		t.Fatal(err)
	}
	for policy, s := range sinks {
		if !s.WaitFor(waitLong, func([]testkit.Received) bool {
			l := s.Lifecycles(names[1])
			return len(l) > 0 && l[len(l)-1] == "degraded"
		}) {
			t.Errorf("%s: no degraded event, got %v", policy, s.Lifecycles(names[1]))
		}
	}
}

// TestReplayOfLongHistory adds sinks to a cluster whose delivered history
// is longer than its ledger keeps: a Current replay must still bring a new
// sink to the present (created, then the event that set the phase), and an
// All replay must still begin with created, however many events came
// between.
func TestReplayOfLongHistory(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	startProvider(t)
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	name := readyClusters(ctx, t, eks, "history", "history", 1)[0]
	const upgrades = 30
	for i := range upgrades {
		if err := (fleetsim.Lifecycle{C: eks, Name: name}).CloudState(ctx, "ACTIVE", fmt.Sprintf("1.%d", 32+i)); err != nil {
			t.Fatal(err)
		}
		want := int64(3 + i)
		waitLedger(ctx, t, name, func(oc *v1alpha1.ObservedCluster) error {
			if oc.Status.LastSeq != want {
				return fmt.Errorf("lastSeq %d, want %d", oc.Status.LastSeq, want)
			}
			return nil
		})
	}
	oc := waitLedger(ctx, t, name, func(oc *v1alpha1.ObservedCluster) error {
		if len(oc.Status.Events) == 0 || oc.Status.Events[0].Seq == 1 {
			return fmt.Errorf("the log still holds created: %d events", len(oc.Status.Events))
		}
		return nil
	})
	logged := len(oc.Status.Events)
	if len(oc.Status.PinnedEvents) == 0 || oc.Status.PinnedEvents[0].Lifecycle != v1alpha1.LifecycleCreated {
		t.Errorf("the ledger pins %v, want its created event first", oc.Status.PinnedEvents)
	}
	if logged > 16 {
		t.Errorf("the log holds %d delivered events, want at most 16", logged)
	}
	time.Sleep(time.Second) // The sinks below are added strictly after the ledger.

	current, all := startSink(t), startSink(t)
	createConfig(ctx, t, clusterProviderConfig("history-current", current.URL(), selectLabel("history")))
	createConfig(ctx, t, clusterProviderConfig("history-all", all.URL(), selectLabel("history"), func(sp *v1alpha1.ProviderConfigSpec) {
		sp.Replay = v1alpha1.ReplayAll
	}))
	if !current.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 2 }) {
		t.Fatalf("Current: got %v", current.Lifecycles(name))
	}
	if !all.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= logged+1 }) {
		t.Fatalf("All: got %v, want created and the %d events of the log", all.Lifecycles(name), logged)
	}
	time.Sleep(time.Second)
	if diff := cmp.Diff([]string{"created", "upgraded"}, current.Lifecycles(name)); diff != "" {
		t.Errorf("Current for a cluster with a long history: -want, +got:\n%s", diff)
	}
	var last testkit.Received
	for _, r := range current.Received() {
		last = r
	}
	if got, want := last.Summary.KubernetesVersion, fmt.Sprintf("1.%d", 32+upgrades-1); got != want {
		t.Errorf("Current replayed the upgrade to %q, want the latest, %q", got, want)
	}
	got := all.Lifecycles(name)
	if len(got) != logged+1 || got[0] != "created" {
		t.Errorf("All for a cluster with a long history: got %v, want created and the %d events of the log", got, logged)
	}
}

// TestTenantIsolation: a namespaced ProviderConfig receives only its own
// namespace's namespaced clusters and cannot read another namespace's
// Secret; bearer credentials reach the sink and never its status.
func TestTenantIsolation(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	crd := installCRD(t, "eks.aws.m.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	for _, ns := range []string{"team-a", "team-b"} {
		if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !strings.Contains(err.Error(), "exists") {
			t.Fatal(err)
		}
	}
	const token = "s3cr3t-team-a-token"
	createConfig(ctx, t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "sink-token"}, StringData: map[string]string{"token": token + "\n"}})
	createConfig(ctx, t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "sink-token"}, StringData: map[string]string{"token": "team-b"}})
	// The test sinks listen on loopback, which tenants may not reach
	// unless the administrator allows it; plain http with a token, too.
	startProvider(t, testkit.WithTenantEgressAllow("127.0.0.0/8"), testkit.WithOptions(func(o *provider.Options) { o.TenantAllowPlaintextCredentials = true }))

	sinkA, sinkB := startSink(t), startSink(t)
	var mu sync.Mutex
	var auth []string
	sinkA.Respond(func(_ int, h http.Header) int { return http.StatusOK })
	withToken := func(ns, secretNS string) func(*v1alpha1.ProviderConfigSpec) {
		return func(s *v1alpha1.ProviderConfigSpec) {
			s.Credentials = &v1alpha1.Credentials{Source: v1alpha1.CredentialsSourceSecret, Scheme: v1alpha1.AuthSchemeBearer,
				SecretRef: &v1alpha1.SecretKeySelector{Namespace: secretNS, Name: "sink-token", Key: "token"}}
		}
	}
	pcA := &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "sink"}, Spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: sinkA.URL()}}}
	withToken("team-a", "")(&pcA.Spec)
	// team-b tries to use team-a's Secret.
	pcB := &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: "team-b", Name: "sink"}, Spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: sinkB.URL()}}}
	withToken("team-b", "team-a")(&pcB.Spec)
	createConfig(ctx, t, pcA)
	createConfig(ctx, t, pcB)

	dyn := dynClient(t)
	a := fleetsim.NewClusters(dyn, fleetsim.UpjetEKSNamespaced, "Cluster", "team-a")
	b := fleetsim.NewClusters(dyn, fleetsim.UpjetEKSNamespaced, "Cluster", "team-b")
	readyClusters(ctx, t, a, "tenant-a", "tenant", 1)
	readyClusters(ctx, t, b, "tenant-b", "tenant", 1)

	if !sinkA.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 2 }) {
		t.Fatalf("team-a sink got %d events", len(sinkA.Received()))
	}
	time.Sleep(2 * time.Second)
	for _, r := range sinkA.Received() {
		if r.Summary.Namespace != "team-a" {
			t.Errorf("team-a's sink received a cluster of namespace %q", r.Summary.Namespace)
		}
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
	}
	sort.Strings(auth)
	if auth[0] != "Bearer "+token {
		t.Errorf("Authorization header: want the bearer token, got %q", auth[0])
	}
	if n := len(sinkB.Received()); n != 0 {
		t.Errorf("team-b's sink, configured with team-a's Secret, received %d events", n)
	}
	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: "team-b", Name: "sink"}, got); err != nil {
			return err
		}
		c := got.GetCondition("Ready")
		if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "own namespace") {
			return fmt.Errorf("team-b Ready %s %q", c.Status, c.Message)
		}
		if err := kube.Get(ctx, types.NamespacedName{Namespace: "team-a", Name: "sink"}, got); err != nil {
			return err
		}
		if got.Status.Clusters != 1 || got.Status.Delivered < 2 {
			return fmt.Errorf("team-a status clusters %d delivered %d", got.Status.Clusters, got.Status.Delivered)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The token is nowhere in what the provider wrote.
	l := &v1alpha1.ProviderConfigList{}
	if err := kube.List(ctx, l); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(fmt.Sprintf("%+v", l.Items), token) {
		t.Errorf("a ProviderConfig status contains the token")
	}
}

// TestRetryAfter: a sink that answers 429 with Retry-After: 2 gets the next
// attempt no sooner than it asked.
func TestRetryAfter(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	var mu sync.Mutex
	var times []time.Time
	sink.Respond(func(n int, h http.Header) int {
		mu.Lock()
		defer mu.Unlock()
		times = append(times, time.Now())
		if n == 1 {
			h.Set("Retry-After", "2")
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	})
	startProvider(t)
	createConfig(ctx, t, clusterProviderConfig("retry-after", sink.URL(), selectLabel("retry-after"), fastRetry, func(s *v1alpha1.ProviderConfigSpec) {
		s.Delivery.MaxBackoff = &metav1.Duration{Duration: 10 * time.Second}
		s.Selector.Lifecycles = []v1alpha1.Lifecycle{v1alpha1.LifecycleCreated}
	}))
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	readyClusters(ctx, t, eks, "retry-after", "retry-after", 1)
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 1 }) {
		t.Fatalf("no event after a 429")
	}
	mu.Lock()
	defer mu.Unlock()
	if gap := times[1].Sub(times[0]); gap < 2*time.Second {
		t.Errorf("retried %v after a 429 with Retry-After: 2", gap)
	}
	if diff := cmp.Diff([]string{"created"}, sink.Lifecycles("retry-after-0")); diff != "" {
		t.Errorf("lifecycle selector: -want, +got:\n%s", diff)
	}
}

// TestTLS: a sink whose CA the provider does not trust stays unreachable
// without losing events; once the right CA bundle is configured everything
// pending arrives.
func TestTLS(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	ca, err := testkit.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	wrong, err := testkit.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	clientCA, err := testkit.NewCA()
	if err != nil {
		t.Fatal(err)
	}
	// The sink requires mutual TLS.
	sink, err := testkit.NewTLSSinkWithCA(ca, clientCA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sink.Close)
	crt, key, err := clientCA.Issue()
	if err != nil {
		t.Fatal(err)
	}
	createConfig(ctx, t, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "sink-client"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: crt, corev1.TLSPrivateKeyKey: key}})
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "sink-ca"}, StringData: map[string]string{"ca.crt": string(wrong.PEM)}}
	createConfig(ctx, t, secret)
	startProvider(t)
	createConfig(ctx, t, clusterProviderConfig("tls", sink.URL(), selectLabel("tls"), fastRetry, func(s *v1alpha1.ProviderConfigSpec) {
		s.Sink.TLS = &v1alpha1.TLSConfig{
			CABundleSecretRef:   &v1alpha1.SecretKeySelector{Namespace: "default", Name: "sink-ca", Key: "ca.crt"},
			ClientCertSecretRef: &v1alpha1.SecretReference{Namespace: "default", Name: "sink-client"},
		}
	}))
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	readyClusters(ctx, t, eks, "tls", "tls", 2)

	if err := testkit.Eventually(waitLong, func() error {
		got := &v1alpha1.ClusterProviderConfig{}
		if err := kube.Get(ctx, types.NamespacedName{Name: "tls"}, got); err != nil {
			return err
		}
		c := got.GetCondition(v1alpha1.TypeSinkReachable)
		if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "certificate") || got.Status.Pending != 4 {
			return fmt.Errorf("SinkReachable %s %q pending %d", c.Status, c.Message, got.Status.Pending)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.Received()); n != 0 {
		t.Fatalf("an untrusted sink received %d events", n)
	}

	// Fix the CA bundle: the provider re-reads Secrets and delivers.
	secret.StringData = map[string]string{"ca.crt": string(ca.PEM)}
	if err := kube.Update(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 4 }) {
		t.Fatalf("after the CA fix: got %d events", len(sink.Received()))
	}
}

// TestIncidentsAndSpecVersion: incidents are opt-in and pair up; a sink may
// ask for CDEvents 0.4 in structured mode.
func TestIncidentsAndSpecVersion(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	startProvider(t)
	createConfig(ctx, t, clusterProviderConfig("incidents", sink.URL(), selectLabel("incidents"), func(s *v1alpha1.ProviderConfigSpec) {
		s.CDEvents = &v1alpha1.CDEventsOptions{SpecVersion: v1alpha1.SpecVersion04, Incidents: true, Source: "/crossplane/incident-test"}
		s.Sink.Encoding = v1alpha1.EncodingStructured
	}))
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	names := readyClusters(ctx, t, eks, "incident", "incidents", 1)
	l := fleetsim.Lifecycle{C: eks, Name: names[0]}
	if err := l.CloudState(ctx, "FAILED", ""); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 4 }) {
		t.Fatalf("got %d events", len(sink.Received()))
	}
	if err := l.CloudState(ctx, "ACTIVE", ""); err != nil {
		t.Fatal(err)
	}
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 6 }) {
		t.Fatalf("got %d events", len(sink.Received()))
	}
	var types, subjects []string
	for _, r := range sink.Received() {
		types = append(types, r.Event.Type())
		if strings.Contains(r.Event.Type(), "incident") {
			subjects = append(subjects, r.Event.Subject())
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/cloudevents+json") {
			t.Errorf("structured mode: Content-Type %q", ct)
		}
		if r.Event.Source() != "/crossplane/incident-test" {
			t.Errorf("source %q", r.Event.Source())
		}
	}
	want := []string{
		"dev.cdevents.environment.created.0.2.0",
		"dev.cdevents.environment.modified.0.2.0",
		"dev.cdevents.environment.modified.0.2.0",
		"dev.cdevents.incident.detected.0.2.0",
		"dev.cdevents.environment.modified.0.2.0",
		"dev.cdevents.incident.resolved.0.2.0",
	}
	if diff := cmp.Diff(want, types); diff != "" {
		t.Errorf("types: -want, +got:\n%s", diff)
	}
	if len(subjects) != 2 || subjects[0] != subjects[1] {
		t.Errorf("incident detected and resolved must share a subject: %v", subjects)
	}
}

// TestConfigChurn changes a sink's settings again and again while clusters
// change: every change restarts its outbox, and nothing stalls or is lost.
func TestConfigChurn(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	sink := startSink(t)
	startProvider(t)
	pc := clusterProviderConfig("churn", sink.URL(), selectLabel("churn"), fastRetry)
	createConfig(ctx, t, pc)
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	names := readyClusters(ctx, t, eks, "churn", "churn", 30)

	const rounds = 8
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 60 {
			got := &v1alpha1.ClusterProviderConfig{}
			if err := kube.Get(ctx, types.NamespacedName{Name: "churn"}, got); err != nil {
				continue
			}
			got.Spec.Sink.Headers = map[string]string{"X-Round": fmt.Sprint(i)}
			_ = kube.Update(ctx, got)
			time.Sleep(100 * time.Millisecond)
		}
	}()
	for r := range rounds {
		state := "FAILED"
		if r%2 == 1 {
			state = "ACTIVE"
		}
		for _, n := range names {
			if err := (fleetsim.Lifecycle{C: eks, Name: n}).CloudState(ctx, state, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	<-done
	want := len(names) * (2 + rounds)
	if !sink.WaitFor(waitLong, func([]testkit.Received) bool {
		n := 0
		for _, name := range names {
			n += len(dedupe(sink.Lifecycles(name)))
		}
		return n >= want
	}) {
		t.Fatalf("delivery stalled: %d distinct events of %d", len(sink.Received()), want)
	}
}
