//go:build e2e

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

package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	ocitypes "github.com/google/go-containerregistry/pkg/v1/types"
	corev1 "k8s.io/api/core/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	xpextv1alpha1 "github.com/crossplane/crossplane/apis/v2/apiextensions/v1alpha1"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"
	pkgv1beta1 "github.com/crossplane/crossplane/apis/v2/pkg/v1beta1"

	"github.com/crossplane-contrib/provider-cdevents/apis"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
)

// Environment variables `make e2e` sets: what to install and run.
const (
	envCrossplaneBin = "E2E_CROSSPLANE_BIN" // the crossplane binary
	envCrossplaneDir = "E2E_CROSSPLANE_DIR" // the crossplane/v2 module, for its CRDs
	envProviderBin   = "E2E_PROVIDER_BIN"   // the provider binary, for the host
	envXpkgFile      = "E2E_XPKG_FILE"      // the .xpkg of make xpkg.build
	envXpkgTool      = "E2E_XPKG_TOOL"      // the xpkg tool that pushes it
	envLogDir        = "E2E_LOG_DIR"        // where process logs are kept; optional
)

// Where Crossplane runs and what it is called, as its Helm chart sets it up.
const (
	crossplaneNamespace      = "crossplane-system"
	crossplaneServiceAccount = "crossplane"
	tlsCASecret              = "crossplane-root-ca"
	tlsServerSecret          = "crossplane-tls-server"
	tlsClientSecret          = "crossplane-tls-client"
	// The RBAC manager always serves metrics here.
	rbacManagerMetricsAddr = ":8080"
)

// Time limits of the steps, generous for a busy 2-core machine.
const (
	crossplaneInitTimeout = 2 * time.Minute
	readyTimeout          = 2 * time.Minute
	pollInterval          = 250 * time.Millisecond
)

// paths are the binaries and files under test.
type paths struct {
	crossplaneBin string
	crossplaneDir string
	providerBin   string
	xpkgFile      string
	xpkgTool      string
}

// cluster is a local control plane with Crossplane running on it.
type cluster struct {
	t0         time.Time
	paths      paths
	dir        string
	logDir     string
	cfg        *rest.Config
	kubeconfig string
	kube       client.Client
	clientset  kubernetes.Interface
	registry   string
	procs      []*process
	// providerConfig is the ClusterProviderConfig the provider reports to.
	providerConfig string
}

// step prints what the test does next, with the time since it started, so
// a slow or stuck run says where it is.
func (c *cluster) step(t *testing.T, format string, args ...any) {
	t.Helper()
	t.Logf("==> [%6.1fs] %s", time.Since(c.t0).Seconds(), fmt.Sprintf(format, args...))
}

// required returns the value of an environment variable that must be set.
func required(t *testing.T, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set. These tests install the package into real Crossplane and need the binaries and the package built first: run 'make e2e'.", name)
	}
	return v
}

// newCluster starts kube-apiserver and etcd, then Crossplane's core and
// RBAC manager against them, and an OCI registry holding the package.
// Everything it starts is stopped when t ends, also on failure.
func newCluster(t *testing.T) *cluster {
	t.Helper()
	c := &cluster{
		t0: time.Now(),
		paths: paths{
			crossplaneBin: required(t, envCrossplaneBin),
			crossplaneDir: required(t, envCrossplaneDir),
			providerBin:   required(t, envProviderBin),
			xpkgFile:      required(t, envXpkgFile),
			xpkgTool:      required(t, envXpkgTool),
		},
		dir: t.TempDir(),
	}
	c.logDir = os.Getenv(envLogDir)
	if c.logDir == "" {
		c.logDir = filepath.Join(c.dir, "logs")
	}
	if err := os.MkdirAll(c.logDir, 0o750); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range c.procs {
				t.Logf("--- last lines of %s (%s):\n%s", p.name, p.log, tail(p.logText(t), 40))
			}
		}
		t.Logf("Process logs are in %s", c.logDir)
	})
	if err := portFree(rbacManagerMetricsAddr); err != nil {
		t.Fatalf("Crossplane's RBAC manager always serves metrics on %s, which is taken: %v. Stop whatever listens there (another e2e run?) and retry.", rbacManagerMetricsAddr, err)
	}

	c.step(t, "Starting kube-apiserver and etcd from %s", os.Getenv(testenv.AssetsEnv))
	env, cfg, err := testenv.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	c.connect(t, env, cfg)

	c.startCrossplane(t)
	c.startRegistry(t)
	return c
}

// connect writes an admin kubeconfig for the Crossplane processes and
// creates the test's own clients.
func (c *cluster) connect(t *testing.T, env *envtest.Environment, cfg *rest.Config) {
	t.Helper()
	admin, err := env.AddUser(envtest.User{Name: "e2e-admin", Groups: []string{"system:masters"}}, cfg)
	if err != nil {
		t.Fatalf("adding an admin user: %v", err)
	}
	kc, err := admin.KubeConfig()
	if err != nil {
		t.Fatalf("writing the admin kubeconfig: %v", err)
	}
	c.kubeconfig = filepath.Join(c.dir, "admin.kubeconfig")
	if err := os.WriteFile(c.kubeconfig, kc, 0o600); err != nil {
		t.Fatal(err)
	}
	c.cfg = admin.Config()

	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, extv1.AddToScheme, apis.AddToScheme,
		pkgv1.AddToScheme, pkgv1beta1.AddToScheme, xpextv1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	if c.kube, err = client.New(c.cfg, client.Options{Scheme: s}); err != nil {
		t.Fatal(err)
	}
	if c.clientset, err = kubernetes.NewForConfig(c.cfg); err != nil {
		t.Fatal(err)
	}
}

// crossplaneEnv is the environment Crossplane's Helm chart gives both
// Crossplane containers, pointed at the local API server. Webhooks stay
// off: the API server could not reach a local process through a Service.
func (c *cluster) crossplaneEnv() []string {
	return []string{
		"KUBECONFIG=" + c.kubeconfig,
		"POD_NAMESPACE=" + crossplaneNamespace,
		"POD_SERVICE_ACCOUNT=" + crossplaneServiceAccount,
		"TLS_CA_SECRET_NAME=" + tlsCASecret,
		"TLS_SERVER_SECRET_NAME=" + tlsServerSecret,
		"TLS_CLIENT_SECRET_NAME=" + tlsClientSecret,
		"ENABLE_WEBHOOKS=false",
		"LEADER_ELECTION=false",
	}
}

// startCrossplane initialises Crossplane and starts its core and RBAC
// manager, as the init containers and containers of its Helm chart do.
func (c *cluster) startCrossplane(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	c.step(t, "Creating namespace %s and ServiceAccount %s", crossplaneNamespace, crossplaneServiceAccount)
	for _, o := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: crossplaneNamespace}},
		// The package manager reads its image pull secrets.
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: crossplaneNamespace, Name: crossplaneServiceAccount}},
	} {
		if err := c.kube.Create(ctx, o); err != nil {
			t.Fatalf("creating %s: %v", o.GetName(), err)
		}
	}

	c.step(t, "Running crossplane core init (installs Crossplane's CRDs, generates TLS secrets)")
	initEnv := append(c.crossplaneEnv(),
		"CRDS_PATH="+filepath.Join(c.paths.crossplaneDir, "cluster", "crds"),
		"WEBHOOK_CONFIGS_PATH="+filepath.Join(c.paths.crossplaneDir, "cluster", "webhookconfigurations"),
	)
	// No default activation policy: the package's own kinds must be
	// activated by the policy of examples/install, as where an
	// administrator narrowed activation.
	c.runUntilOK(t, "crossplane core init", initEnv, "core", "init")

	certs := filepath.Join(c.dir, "tls-client")
	c.step(t, "Copying Secret %s/%s to %s", crossplaneNamespace, tlsClientSecret, certs)
	c.copySecret(t, tlsClientSecret, certs)

	metrics, health := freePort(t), freePort(t)
	c.step(t, "Starting crossplane core start (metrics :%d, health :%d)", metrics, health)
	startEnv := append(c.crossplaneEnv(),
		fmt.Sprintf("METRICS_PORT=%d", metrics),
		fmt.Sprintf("HEALTH_PROBE_PORT=%d", health),
		"TLS_CLIENT_CERTS_DIR="+certs,
		"XPKG_CACHE_DIR="+filepath.Join(c.dir, "xpkg-cache"),
		"XFN_CACHE_DIR="+filepath.Join(c.dir, "xfn-cache"),
	)
	for _, d := range []string{"xpkg-cache", "xfn-cache"} {
		if err := os.MkdirAll(filepath.Join(c.dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	core := start(t, c.logDir, "crossplane-core", startEnv, c.paths.crossplaneBin, "core", "start")
	c.procs = append(c.procs, core)
	c.waitHTTP(t, core, fmt.Sprintf("http://127.0.0.1:%d/readyz", health))

	c.step(t, "Running crossplane rbac init")
	c.runUntilOK(t, "crossplane rbac init", c.crossplaneEnv(), "rbac", "init")
	c.step(t, "Starting crossplane rbac start (metrics %s)", rbacManagerMetricsAddr)
	rbac := start(t, c.logDir, "crossplane-rbac", c.crossplaneEnv(), c.paths.crossplaneBin,
		"rbac", "start", "--provider-clusterrole=crossplane:allowed-provider-permissions")
	c.procs = append(c.procs, rbac)
	c.waitHTTP(t, rbac, "http://127.0.0.1"+rbacManagerMetricsAddr+"/metrics")
}

// runUntilOK runs a crossplane command until it succeeds. The first init
// on a fresh API server fails once, before the CRDs it just created are
// served.
func (c *cluster) runUntilOK(t *testing.T, what string, env []string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), crossplaneInitTimeout)
	defer cancel()
	for attempt := 1; ; attempt++ {
		out, err := run(ctx, env, c.paths.crossplaneBin, args...)
		if err == nil {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%s did not succeed within %s; last attempt: %v\n%s", what, crossplaneInitTimeout, err, tail(out, 20))
		}
		c.step(t, "%s failed (attempt %d, retrying): %s", what, attempt, tail(out, 1))
		time.Sleep(2 * time.Second)
	}
}

// copySecret writes every key of a Secret in Crossplane's namespace as a
// file of dir, as a Secret volume would.
func (c *cluster) copySecret(t *testing.T, name, dir string) {
	t.Helper()
	s := &corev1.Secret{}
	if err := c.kube.Get(t.Context(), types.NamespacedName{Namespace: crossplaneNamespace, Name: name}, s); err != nil {
		t.Fatalf("reading Secret %s: %v", name, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	for k, v := range s.Data {
		if err := os.WriteFile(filepath.Join(dir, k), v, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// waitHTTP waits until url answers 200 OK, failing at once should p exit.
func (c *cluster) waitHTTP(t *testing.T, p *process, url string) {
	t.Helper()
	eventually(t, readyTimeout, p.name+" to answer "+url, func(ctx context.Context) (bool, string) {
		if !p.running() {
			t.Fatalf("%s exited: %v\n%s", p.name, p.err, tail(p.logText(t), 40))
		}
		code, _, err := get(ctx, url)
		if err != nil {
			return false, err.Error()
		}
		return code == http.StatusOK, fmt.Sprintf("HTTP %d", code)
	})
}

// startRegistry serves an in-memory OCI registry on 127.0.0.1, which
// Crossplane speaks plain HTTP to, and pushes the package there with the
// same tool and command as `make xpkg.push`.
func (c *cluster) startRegistry(t *testing.T) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler:           registry.New(registry.Logger(log.New(io.Discard, "", 0))),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	c.registry = l.Addr().String()

	ref := c.registry + "/provider-cdevents:" + packageTag
	c.step(t, "Pushing %s to %s", c.paths.xpkgFile, ref)
	out, err := run(t.Context(), nil, c.paths.xpkgTool, "push", "-f", c.paths.xpkgFile, ref)
	if err != nil {
		t.Fatalf("pushing the package: %v\n%s", err, out)
	}
	c.step(t, "Pushed %s", strings.TrimSpace(out))

	// One reference serves every platform: what Crossplane pulls is an
	// image index of the amd64 and arm64 packages.
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := remote.Index(r, remote.WithContext(t.Context()))
	if err != nil {
		t.Fatalf("reading the pushed package as an image index: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var platforms []string
	for _, d := range im.Manifests {
		if d.Platform != nil {
			platforms = append(platforms, d.Platform.String())
		}
	}
	if im.MediaType != ocitypes.OCIImageIndex || strings.Join(platforms, " ") != "linux/amd64 linux/arm64" {
		t.Fatalf("the pushed package should be an OCI image index of linux/amd64 and linux/arm64; got %s of %v", im.MediaType, platforms)
	}
	c.step(t, "The package is an %s of %s", im.MediaType, strings.Join(platforms, ", "))
}

// eventually polls check until it says done, and fails the test with the
// last state it reported when timeout passes first.
func eventually(t *testing.T, timeout time.Duration, what string, check func(ctx context.Context) (done bool, state string)) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	state := ""
	for {
		var done bool
		done, state = check(ctx)
		if done {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waited %s for %s; last seen: %s", timeout, what, state)
		case <-time.After(pollInterval):
		}
	}
}

// get fetches url and returns the status code and body.
func get(ctx context.Context, url string) (int, string, error) {
	return getWithToken(ctx, url, "")
}

// getWithToken GETs url with a bearer token, if any. It trusts any
// certificate: the provider's secure metrics endpoint is self-signed.
func getWithToken(ctx context.Context, url, token string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}
