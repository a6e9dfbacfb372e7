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
	"os"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// cfg reaches the one API server all tests of this package share; each test
// uses its own cluster objects and configs.
var cfg *rest.Config //nolint:gochecknoglobals // Set once by TestMain, as envtest requires.

func TestMain(m *testing.M) {
	env, c, err := testenv.Start("../../package/crds")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	cfg = c
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// installCRD installs one fixture CRD and waits until it is served.
func installCRD(t *testing.T, group, kind string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	crd, err := fixtures.CRD(group, kind)
	if err != nil {
		t.Fatalf("fixtures.CRD(%s, %s): %v", group, kind, err)
	}
	// An earlier test may have deleted a CRD of this name without waiting
	// for it to go: installing over one still being deleted races with
	// its removal.
	kube := kubeClient(t)
	if err := testkit.Eventually(time.Minute, func() error {
		got := &apiextensionsv1.CustomResourceDefinition{}
		err := kube.Get(context.Background(), client.ObjectKey{Name: crd.GetName()}, got)
		switch {
		case kerrors.IsNotFound(err):
			return nil
		case err != nil:
			return err
		case got.GetDeletionTimestamp() != nil:
			return fmt.Errorf("CRD %s is still being deleted", crd.GetName())
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{crd}, MaxTime: time.Minute}); err != nil {
		t.Fatalf("envtest.InstallCRDs(%s): %v", crd.GetName(), err)
	}
	return crd
}

// uninstallCRD deletes a CRD and waits until it is gone.
func uninstallCRD(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition) {
	t.Helper()
	kube := kubeClient(t)
	if err := kube.Delete(context.Background(), crd.DeepCopy()); err != nil && !kerrors.IsNotFound(err) {
		t.Fatalf("delete CRD %s: %v", crd.GetName(), err)
	}
	if err := testkit.Eventually(time.Minute, func() error {
		err := kube.Get(context.Background(), client.ObjectKey{Name: crd.GetName()}, &apiextensionsv1.CustomResourceDefinition{})
		if kerrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("CRD %s still exists (err %w)", crd.GetName(), err)
	}); err != nil {
		t.Fatal(err)
	}
}

func kubeClient(t *testing.T) client.Client {
	t.Helper()
	c, err := testkit.Client(cfg)
	if err != nil {
		t.Fatalf("testkit.Client: %v", err)
	}
	if err := apiextensionsv1.AddToScheme(c.Scheme()); err != nil {
		t.Fatalf("AddToScheme: %v", err)
	}
	return c
}

func dynClient(t *testing.T) dynamic.Interface {
	t.Helper()
	c := rest.CopyConfig(cfg)
	// Upstream examples use deprecated versions on purpose.
	c.WarningHandler = rest.NoWarnings{}
	d, err := dynamic.NewForConfig(c)
	if err != nil {
		t.Fatalf("dynamic.NewForConfig: %v", err)
	}
	return d
}

func startProvider(t *testing.T, opts ...testkit.ProviderOption) *testkit.Provider {
	t.Helper()
	p, err := testkit.StartProvider(cfg, opts...)
	if err != nil {
		t.Fatalf("testkit.StartProvider: %v", err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	return p
}

func startSink(t *testing.T) *testkit.Sink {
	t.Helper()
	s, err := testkit.NewSink()
	if err != nil {
		t.Fatalf("testkit.NewSink: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// metricValue sums every series of a metric family in the provider's
// registry.
func metricValue(t *testing.T, p *testkit.Provider, name string) float64 {
	t.Helper()
	mfs, err := p.Registry.Gather()
	if err != nil {
		t.Fatalf("Gather: %v", err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue() + float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}
