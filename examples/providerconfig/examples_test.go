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

// Package providerconfig holds example ClusterProviderConfigs and
// ProviderConfigs, one file per kind of sink. Its test proves that every
// example is accepted by a real API server with the provider's CRDs
// installed, so the examples cannot drift from the API.
package providerconfig

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-cdevents/apis"
	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/filter"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
)

// kube talks to the test control plane, which has the provider's CRDs.
var kube client.Client //nolint:gochecknoglobals // Set once by TestMain.

func TestMain(m *testing.M) {
	env, cfg, err := testenv.Start(filepath.Join("..", "..", "package", "crds"))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 1
	if kube, err = newClient(cfg); err != nil {
		fmt.Fprintln(os.Stderr, err)
	} else {
		code = m.Run()
	}
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// newClient returns a client that knows Kubernetes' kinds and the
// provider's.
func newClient(cfg *rest.Config) (client.Client, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := apis.AddToScheme(s); err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// objects reads the objects of a multi-document YAML manifest.
func objects(raw []byte) ([]*unstructured.Unstructured, error) {
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		u := &unstructured.Unstructured{}
		err := dec.Decode(&u.Object)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// id names an object as kind/[namespace/]name.
func id(u *unstructured.Unstructured) string {
	if u.GetNamespace() != "" {
		return u.GetKind() + "/" + u.GetNamespace() + "/" + u.GetName()
	}
	return u.GetKind() + "/" + u.GetName()
}

// strictTyped decodes the provider's own kinds into their Go types,
// refusing unknown fields, so an example cannot carry a field the API
// lacks.
func strictTyped(u *unstructured.Unstructured) error {
	raw, err := yaml.Marshal(u.Object)
	if err != nil {
		return err
	}
	var spec *v1alpha1.ProviderConfigSpec
	switch u.GetKind() {
	case v1alpha1.ClusterProviderConfigKind:
		pc := &v1alpha1.ClusterProviderConfig{}
		if err := yaml.UnmarshalStrict(raw, pc); err != nil {
			return err
		}
		spec = &pc.Spec
	case v1alpha1.ProviderConfigKind:
		pc := &v1alpha1.ProviderConfig{}
		if err := yaml.UnmarshalStrict(raw, pc); err != nil {
			return err
		}
		spec = &pc.Spec
	}
	// The API server cannot check an expression; the provider compiles
	// it exactly so.
	if spec != nil && spec.Selector != nil && spec.Selector.Expression != "" {
		if _, err := filter.Compile(spec.Selector.Expression); err != nil {
			return err
		}
	}
	return nil
}

// dryRun creates every object with dryRun=All and strict field
// validation: the API server runs its schema, CEL rules and admission, and
// stores nothing.
func dryRun(t *testing.T, objs []*unstructured.Unstructured) error {
	t.Helper()
	for _, u := range objs {
		if err := strictTyped(u); err != nil {
			return fmt.Errorf("%s: %w", id(u), err)
		}
		if err := kube.Create(t.Context(), u.DeepCopy(), client.DryRunAll, client.FieldValidation(metav1.FieldValidationStrict)); err != nil {
			return fmt.Errorf("%s: %w", id(u), err)
		}
	}
	return nil
}

func TestExamples(t *testing.T) {
	for _, ns := range []string{"crossplane-system", "team-a"} {
		if err := kube.Create(t.Context(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil && !kerrors.IsAlreadyExists(err) {
			t.Fatal(err)
		}
	}
	cases := map[string]struct {
		reason string
		file   string
		want   []string
	}{
		"Cdviz": {
			reason: "A ClusterProviderConfig for a cdviz collector webhook is valid.",
			file:   "cdviz.yaml",
			want:   []string{"ClusterProviderConfig/cdviz"},
		},
		"CdvizIncidents": {
			reason: "A ClusterProviderConfig sending incidents to cdviz, with an outOfSync threshold, is valid.",
			file:   "cdviz-incidents.yaml",
			want:   []string{"ClusterProviderConfig/cdviz-incidents"},
		},
		"CdvizCascades": {
			reason: "A ClusterProviderConfig sending cascades of clusters to cdviz is valid.",
			file:   "cdviz-cascades.yaml",
			want:   []string{"ClusterProviderConfig/cdviz-cascades"},
		},
		"KnativeBroker": {
			reason: "A ClusterProviderConfig for a Knative Broker, with a dead-letter sink and a selector, is valid.",
			file:   "knative-broker.yaml",
			want:   []string{"ClusterProviderConfig/knative-broker"},
		},
		"Receiver": {
			reason: "A ClusterProviderConfig for the cdevents-receiver is valid.",
			file:   "receiver.yaml",
			want:   []string{"ClusterProviderConfig/cdevents-receiver"},
		},
		"Bearer": {
			reason: "A namespaced ProviderConfig with a bearer token from a Secret in its namespace is valid.",
			file:   "bearer.yaml",
			want:   []string{"Secret/team-a/cdevents-sink-token", "ProviderConfig/team-a/team-a-events"},
		},
		"Expression": {
			reason: "A ClusterProviderConfig whose selector has a CEL expression is valid, and the expression compiles.",
			file:   "expression.yaml",
			want:   []string{"ClusterProviderConfig/prod-incidents"},
		},
		"TLS": {
			reason: "A ClusterProviderConfig with a CA bundle, a client certificate and an API key header is valid, and so are its Secrets.",
			file:   "tls.yaml",
			want: []string{
				"Secret/crossplane-system/cdevents-sink-ca", "Secret/crossplane-system/cdevents-sink-client",
				"Secret/crossplane-system/cdevents-sink-api-key", "ClusterProviderConfig/mtls-sink",
			},
		},
	}

	// Every example file is tested.
	files, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tested := make([]string, 0, len(cases))
	for _, tc := range cases {
		tested = append(tested, tc.file)
	}
	sort.Strings(files)
	sort.Strings(tested)
	if diff := cmp.Diff(files, tested); diff != "" {
		t.Errorf("\nEvery example file has a test case.\nfiles: -in the directory, +tested:\n%s", diff)
	}

	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			objs, err := objects(raw)
			if err != nil {
				t.Fatalf("parsing %s: %v", tc.file, err)
			}
			got := make([]string, 0, len(objs))
			for _, u := range objs {
				got = append(got, id(u))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\n%s objects: -want, +got:\n%s", tc.reason, tc.file, diff)
			}
			if err := dryRun(t, objs); err != nil {
				t.Errorf("\n%s\ncreating %s (dry run): %v", tc.reason, tc.file, err)
			}
		})
	}
}

// TestInvalidRejected shows that the check above can fail: manifests the
// API does not allow are refused.
func TestInvalidRejected(t *testing.T) {
	cases := map[string]struct {
		reason   string
		manifest string
		want     string
	}{
		"NotHTTP": {
			reason: "A sink URL must be http or https.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: ftp}
spec: {sink: {url: "ftp://example.com/"}}`,
			want: "spec.sink.url",
		},
		"SecretWithoutRef": {
			reason: "Secret credentials need a secretRef.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: no-ref}
spec: {sink: {url: "https://example.com/"}, credentials: {source: Secret}}`,
			want: "secretRef is required when source is Secret",
		},
		"NamespacedSelectsNamespaces": {
			reason: "A namespaced ProviderConfig cannot select other namespaces.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ProviderConfig
metadata: {name: peek, namespace: team-a}
spec: {sink: {url: "https://example.com/"}, selector: {namespaces: [team-b]}}`,
			want: "selector.namespaces is not allowed",
		},
		"OutOfSyncTooShort": {
			reason: "An outOfSync threshold under a minute would report every transient Synced error.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: eager}
spec: {sink: {url: "https://example.com/"}, signals: {outOfSyncAfter: 10s}}`,
			want: "outOfSyncAfter must be between 1m and 168h",
		},
		"FlappingWindowTooShort": {
			reason: "A flap damping window under a minute is refused.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: jumpy}
spec: {sink: {url: "https://example.com/"}, signals: {flapping: {transitions: 3, window: 30s}}}`,
			want: "window must be between 1m and 24h",
		},
		"FlappingTooFewTransitions": {
			reason: "A flap damping of fewer than 2 transitions would hold back every recovery.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: nervous}
spec: {sink: {url: "https://example.com/"}, signals: {flapping: {transitions: 1, window: 10m}}}`,
			want: "spec.signals.flapping.transitions",
		},
		"CascadeOfOne": {
			reason: "A cascade of one cluster is just an outage.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: lonely}
spec: {sink: {url: "https://example.com/"}, signals: {cascade: {minClusters: 1}}}`,
			want: "spec.signals.cascade.minClusters",
		},
		"CascadeUnknownGrouping": {
			reason: "Clusters are grouped by provider and region or by ProviderConfig, nothing else.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: zoned}
spec: {sink: {url: "https://example.com/"}, signals: {cascade: {minClusters: 3, by: Zone}}}`,
			want: "spec.signals.cascade.by",
		},
		"CascadeWindowTooShort": {
			reason: "A cascade window under ten seconds is refused.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: hasty}
spec: {sink: {url: "https://example.com/"}, signals: {cascade: {minClusters: 3, window: 1s}}}`,
			want: "window must be between 10s and 24h",
		},
		"UnknownField": {
			reason: "A misspelt field is refused, not silently dropped.",
			manifest: `apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: typo}
spec: {sink: {url: "https://example.com/", encodng: Structured}}`,
			want: "encodng",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			objs, err := objects([]byte(tc.manifest))
			if err != nil {
				t.Fatal(err)
			}
			err = dryRun(t, objs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("\n%s\ncreating (dry run): want an error mentioning %q, got %v", tc.reason, tc.want, err)
			}
		})
	}
}
