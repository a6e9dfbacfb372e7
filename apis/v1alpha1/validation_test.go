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

package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
)

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

func object(t *testing.T, y string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatalf("yaml.Unmarshal: %v", err)
	}
	return u
}

// TestValidation installs the generated CRDs into a real API server and
// checks what it accepts, rejects and defaults.
func TestValidation(t *testing.T) {
	kube, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		// rejected holds a fragment of the API server's refusal; empty
		// means accepted.
		rejected string
		// spec is the stored spec when accepted, defaults included.
		spec map[string]any
	}
	cases := map[string]struct {
		reason string
		obj    string
		want   want
	}{
		"FTPURL": {
			reason: "Only http and https sinks are accepted.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: ftp}
spec: {sink: {url: "ftp://x"}}`,
			want: want{rejected: "spec.sink.url"},
		},
		"MissingURL": {
			reason: "A sink without a URL is refused.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: no-url}
spec: {sink: {encoding: Binary}}`,
			want: want{rejected: "spec.sink.url: Required value"},
		},
		"MissingSink": {
			reason: "A config without a sink is refused.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: no-sink}
spec: {}`,
			want: want{rejected: "spec.sink: Required value"},
		},
		"ValidWithDefaults": {
			reason: "A minimal valid config is accepted and its defaults filled in.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: valid}
spec:
  sink: {url: "https://cdviz.example.com/webhook/000-cdevents"}
  credentials: {source: Secret, secretRef: {namespace: crossplane-system, name: sink-token, key: token}}
  delivery: {}
  cdevents: {}`,
			want: want{spec: map[string]any{
				"sink":        map[string]any{"url": "https://cdviz.example.com/webhook/000-cdevents", "encoding": "Binary", "timeout": "10s"},
				"credentials": map[string]any{"source": "Secret", "scheme": "Bearer", "secretRef": map[string]any{"namespace": "crossplane-system", "name": "sink-token", "key": "token"}},
				"delivery":    map[string]any{"retry": int64(10), "backoffDelay": "1s", "maxBackoff": "5m"},
				"cdevents":    map[string]any{"specVersion": "0.5", "incidents": false},
				"replay":      "Current",
			}},
		},
		"UnknownSpecVersion": {
			reason: "Only the CDEvents versions the provider produces are accepted.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: spec-06}
spec: {sink: {url: "http://x"}, cdevents: {specVersion: "0.6"}}`,
			want: want{rejected: "spec.cdevents.specVersion"},
		},
		"SecretWithoutRef": {
			reason: "Secret credentials must name the Secret.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: no-ref}
spec: {sink: {url: "http://x"}, credentials: {source: Secret}}`,
			want: want{rejected: "secretRef is required"},
		},
		"RetryOutOfBounds": {
			reason: "Retry counts are bounded.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterProviderConfig
metadata: {name: retry}
spec: {sink: {url: "http://x"}, delivery: {retry: -1}}`,
			want: want{rejected: "spec.delivery.retry"},
		},
		"NamespacedSelectsNamespaces": {
			reason: "A namespaced ProviderConfig may not select other namespaces.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ProviderConfig
metadata: {name: tenant, namespace: default}
spec: {sink: {url: "http://x"}, selector: {namespaces: [team-b]}}`,
			want: want{rejected: "only sees its own namespace"},
		},
		"UnknownLifecycle": {
			reason: "Selectors name real lifecycles.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ProviderConfig
metadata: {name: lifecycles, namespace: default}
spec: {sink: {url: "http://x"}, selector: {lifecycles: [created, exploded]}}`,
			want: want{rejected: "spec.selector.lifecycles"},
		},
		"ClusterKindBadGroup": {
			reason: "A ClusterKind names a real API group.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterKind
metadata: {name: bad-group}
spec: {group: "Not A Group", kind: Cluster, provider: aws}`,
			want: want{rejected: "spec.group"},
		},
		"ClusterKindValid": {
			reason: "A ClusterKind is accepted; readyMeansHealthy stays unset, so that declared states can count unless the user sets it.",
			obj: `
apiVersion: cdevents.crossplane.io/v1alpha1
kind: ClusterKind
metadata: {name: ovh}
spec:
  group: kube.ovh.edixos.io
  kind: Cluster
  provider: ovh
  fields: {kubernetesVersion: [status.atProvider.version]}`,
			want: want{spec: map[string]any{
				"group": "kube.ovh.edixos.io", "kind": "Cluster", "provider": "ovh",
				"fields": map[string]any{"kubernetesVersion": []any{"status.atProvider.version"}},
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			u := object(t, tc.obj)
			err := kube.Create(context.Background(), u)
			t.Cleanup(func() { _ = kube.Delete(context.Background(), u) })
			if tc.want.rejected != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want.rejected) {
					t.Errorf("\n%s\nCreate(...): want an error containing %q, got %v", tc.reason, tc.want.rejected, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("\n%s\nCreate(...): %v", tc.reason, err)
			}
			if diff := cmp.Diff(tc.want.spec, u.Object["spec"]); diff != "" {
				t.Errorf("\n%s\nstored spec: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
