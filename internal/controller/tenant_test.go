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

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// TestTenantSinkPolicy runs the provider with the default policy for
// tenants. Namespaced ProviderConfigs whose sink is 127.0.0.1, or a name
// that resolves to it (localhost), whose dead-letter sink is the metadata
// service, or that turn TLS verification off, are refused with a
// condition and send nothing; a ClusterProviderConfig of the administrator
// reaches the same loopback sink. The cluster-scoped ledger keeps no trace
// of which configs exist or how their delivery goes.
func TestTenantSinkPolicy(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	crd := installCRD(t, "eks.aws.m.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	const ns = "team-egress"
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	startProvider(t)
	sink := startSink(t)
	port := sink.Server.Listener.Addr().String()[strings.LastIndex(sink.Server.Listener.Addr().String(), ":")+1:]

	tenant := func(name, url string, mods ...func(*v1alpha1.ProviderConfigSpec)) *v1alpha1.ProviderConfig {
		pc := &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{
			URL:     url,
			Headers: map[string]string{"X-Config": "tenant-" + name},
		}}}
		for _, m := range mods {
			m(&pc.Spec)
		}
		return pc
	}
	// 192.0.2.0/24 is TEST-NET-1: allowed by the policy, never reached
	// because the config is refused first.
	refused := map[string]struct {
		pc      *v1alpha1.ProviderConfig
		message string
	}{
		"literal": {pc: tenant("literal", sink.URL()), message: "egress policy"},
		"name":    {pc: tenant("name", "http://localhost:"+port+"/"), message: "egress policy"},
		"dlq": {pc: tenant("dlq", "https://192.0.2.10/", func(s *v1alpha1.ProviderConfigSpec) {
			s.Delivery = &v1alpha1.Delivery{DeadLetterSink: &v1alpha1.Sink{URL: "http://169.254.169.254/computeMetadata/v1/", Headers: map[string]string{"Metadata-Flavor": "Google"}}}
		}), message: "dead-letter sink is not allowed"},
		"insecure": {pc: tenant("insecure", "https://192.0.2.10/", func(s *v1alpha1.ProviderConfigSpec) {
			s.Sink.TLS = &v1alpha1.TLSConfig{InsecureSkipVerify: true}
		}), message: "insecureSkipVerify"},
	}
	for _, r := range refused {
		createConfig(ctx, t, r.pc)
	}
	createConfig(ctx, t, clusterProviderConfig("admin-loopback", sink.URL(), func(s *v1alpha1.ProviderConfigSpec) {
		s.Selector = &v1alpha1.Selector{Namespaces: []string{ns}}
		s.Sink.Headers = map[string]string{"X-Config": "admin"}
	}))

	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKSNamespaced, "Cluster", ns)
	names := readyClusters(ctx, t, eks, "egress", "egress", 1)

	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 2 }) {
		t.Fatalf("the administrator's ClusterProviderConfig delivered %d events to a loopback sink", len(sink.Received()))
	}
	for name, r := range refused {
		if err := testkit.Eventually(waitLong, func() error {
			got := &v1alpha1.ProviderConfig{}
			if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: r.pc.Name}, got); err != nil {
				return err
			}
			c := got.GetCondition(xpv2.TypeReady)
			if c.Status != corev1.ConditionFalse || c.Reason != v1alpha1.ReasonSinkNotAllowed || !strings.Contains(c.Message, r.message) {
				return fmt.Errorf("%s: Ready %s %s %q", name, c.Status, c.Reason, c.Message)
			}
			if strings.Contains(c.Message, "127.0.0.1") || strings.Contains(c.Message, "169.254") {
				return fmt.Errorf("%s: the condition names the refused address: %q", name, c.Message)
			}
			if name == "insecure" {
				if s := got.GetCondition(v1alpha1.TypeSinkSecure); s.Status != corev1.ConditionFalse {
					return fmt.Errorf("%s: SinkSecure %s %q", name, s.Status, s.Message)
				}
			}
			return nil
		}); err != nil {
			t.Error(err)
		}
	}
	time.Sleep(2 * time.Second)
	for _, r := range sink.Received() {
		if c := r.Header.Get("X-Config"); c != "admin" {
			t.Errorf("a refused tenant config reached the loopback sink (X-Config %q)", c)
		}
	}
	admin := &v1alpha1.ClusterProviderConfig{}
	if err := kube.Get(ctx, types.NamespacedName{Name: "admin-loopback"}, admin); err != nil {
		t.Fatal(err)
	}
	if c := admin.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
		t.Errorf("admin ClusterProviderConfig Ready %s %q", c.Status, c.Message)
	}

	// The ledger names sinks by opaque keys only.
	if err := testkit.Eventually(waitLong, func() error {
		oc, err := ledgerOf(ctx, t, names[0])
		if err != nil {
			return err
		}
		if len(oc.Status.Sinks) == 0 {
			return fmt.Errorf("no sink cursor yet")
		}
		b, err := json.Marshal(oc.Status.Sinks)
		if err != nil {
			return err
		}
		for _, leak := range []string{"ProviderConfig", "admin-loopback", ns, "127.0.0.1", "localhost", "lastError"} {
			if strings.Contains(string(b), leak) {
				t.Fatalf("ObservedCluster status.sinks %s shows %q", b, leak)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestTenantLoopbackAllowed: the administrator may allow a range to
// tenants, and a name resolving into it is delivered to.
func TestTenantLoopbackAllowed(t *testing.T) {
	ctx := context.Background()
	kube := kubeClient(t)
	crd := installCRD(t, "eks.aws.m.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	const ns = "team-allowed"
	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	startProvider(t, testkit.WithTenantEgressAllow("127.0.0.0/8"))
	sink := startSink(t)
	addr := sink.Server.Listener.Addr().String()
	url := "http://localhost:" + addr[strings.LastIndex(addr, ":")+1:] + "/"
	createConfig(ctx, t, &v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "sink"}, Spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: url}}})
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKSNamespaced, "Cluster", ns)
	readyClusters(ctx, t, eks, "allowed", "allowed", 1)
	if !sink.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 2 }) {
		t.Fatalf("with 127.0.0.0/8 allowed, the tenant's sink got %d events", len(sink.Received()))
	}
	got := &v1alpha1.ProviderConfig{}
	if err := testkit.Eventually(waitLong, func() error {
		if err := kube.Get(ctx, types.NamespacedName{Namespace: ns, Name: "sink"}, got); err != nil {
			return err
		}
		if c := got.GetCondition(xpv2.TypeReady); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("Ready %s %s %q", c.Status, c.Reason, c.Message)
		}
		if c := got.GetCondition(v1alpha1.TypeSinkSecure); c.Status != corev1.ConditionTrue {
			return fmt.Errorf("SinkSecure %s %s %q", c.Status, c.Reason, c.Message)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
