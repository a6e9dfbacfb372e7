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

package provider

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
)

// TestSecureMetrics runs a manager with the metrics options of
// --metrics-secure, as the provider's ServiceAccount with exactly the RBAC
// of examples/install/rbac.yaml, on a real API server: a scraper bound to
// provider-cdevents:metrics-reader reads the metrics, anyone else is
// refused.
func TestSecureMetrics(t *testing.T) {
	env, cfg, err := testenv.Start("../../package/crds")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	ctx := t.Context()
	kube, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}

	if err := kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crossplane-system"}}); err != nil && !kerrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	for _, sa := range []client.Object{
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "crossplane-system", Name: "provider-cdevents"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "scraper"}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "stranger"}},
		&rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "scraper"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "provider-cdevents:metrics-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: "default", Name: "scraper"}},
		},
	} {
		if err := kube.Create(ctx, sa); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range installRBAC(t) {
		if err := kube.Create(ctx, u); err != nil {
			t.Fatalf("creating %s %s: %v", u.GetKind(), u.GetName(), err)
		}
	}
	token := func(ns, name string) string {
		tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(3600))}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("token for %s/%s: %v", ns, name, err)
		}
		return tr.Status.Token
	}

	pcfg := rest.AnonymousClientConfig(cfg)
	pcfg.BearerToken = token("crossplane-system", "provider-cdevents")
	addr := freeAddr(t)
	mgr, err := ctrl.NewManager(pcfg, ctrl.Options{
		Metrics:                metricsOptions(addr, true, t.TempDir()),
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		t.Fatal(err)
	}
	mctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(mctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Log(err)
		}
	})

	url := "https://" + addr + "/metrics"
	scraper := token("default", "scraper")
	var code int
	var body string
	deadline := time.Now().Add(time.Minute)
	for {
		code, body, err = scrape(ctx, url, scraper)
		if (err == nil && code == http.StatusOK) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err != nil || code != http.StatusOK || !strings.Contains(body, "# HELP") {
		t.Fatalf("the scraper bound to provider-cdevents:metrics-reader: HTTP %d, %v\n%.200s", code, err, body)
	}
	cases := map[string]struct {
		reason string
		token  string
		// want is the status; 0 is any refusal.
		want int
	}{
		"NoToken":  {reason: "Without a token, metrics are refused.", want: http.StatusUnauthorized},
		"BadToken": {reason: "A token the API server does not know is refused (controller-runtime's filter answers 401 or 500, depending on how the review fails).", token: "not-a-token"},
		"Stranger": {reason: "A valid token without the metrics-reader role is forbidden.", token: token("default", "stranger"), want: http.StatusForbidden},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, _, err := scrape(ctx, url, tc.token)
			if diff := cmp.Diff(nil, err, test.EquateErrors()); diff != "" {
				t.Fatalf("\n%s\nGET %s: %v", tc.reason, url, err)
			}
			if tc.want == 0 {
				if got == http.StatusOK {
					t.Errorf("\n%s\nGET %s: HTTP 200", tc.reason, url)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nGET %s: -want status, +got status:\n%s", tc.reason, url, diff)
			}
		})
	}
	plain, _, err := scrape(ctx, "http://"+addr+"/metrics", scraper)
	if err == nil && plain == http.StatusOK {
		t.Errorf("metrics are also served in plain HTTP")
	}
}

// installRBAC reads the ClusterRoles and bindings of examples/install.
func installRBAC(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile("../../examples/install/rbac.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatal(err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}

// scrape GETs url with a bearer token, if any, trusting the self-signed
// certificate.
func scrape(ctx context.Context, url, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return fmt.Sprint(l.Addr())
}
