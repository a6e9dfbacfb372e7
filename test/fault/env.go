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

package fault

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
)

// ControlPlane is the local kube-apiserver and etcd. Unlike
// internal/testenv it keeps the API server's certificates in a directory
// of its own, so the API server can be stopped and started again on the
// same etcd, address and certificates.
type ControlPlane struct {
	Env *envtest.Environment
	Cfg *rest.Config
}

// StartControlPlane starts kube-apiserver and etcd from KUBEBUILDER_ASSETS,
// keeping the API server's certificates in certDir, and installs the CRDs.
func StartControlPlane(certDir string, crdDirs []string, crds []*apiextensionsv1.CustomResourceDefinition) (*ControlPlane, error) {
	dir := os.Getenv(testenv.AssetsEnv)
	if dir == "" {
		return nil, errors.Errorf("%s is not set: run `make test.fault`, or `make controlplane` and eval \"$(make -s controlplane.env)\"", testenv.AssetsEnv)
	}
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(dir, b)); err != nil { //nolint:gosec // G703: the developer's own KUBEBUILDER_ASSETS.
			return nil, errors.Wrapf(err, "%s=%s has no %s: run `make controlplane`", testenv.AssetsEnv, dir, b)
		}
	}
	useExisting := false
	env := &envtest.Environment{
		UseExistingCluster:       &useExisting,
		BinaryAssetsDirectory:    dir,
		CRDDirectoryPaths:        crdDirs,
		CRDs:                     crds,
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: testenv.StartTimeout,
		ControlPlaneStopTimeout:  testenv.StopTimeout,
	}
	api := env.ControlPlane.GetAPIServer()
	api.Path = filepath.Join(dir, "kube-apiserver")
	api.CertDir = certDir
	env.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(dir, "etcd")}
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, errors.Wrap(err, "cannot start the control plane")
	}
	return &ControlPlane{Env: env, Cfg: cfg}, nil
}

// StopAPIServer stops kube-apiserver, leaving etcd running: SIGTERM, then
// SIGKILL after grace (a graceful stop waits for long-running requests,
// the provider's watches among them).
func (c *ControlPlane) StopAPIServer(grace time.Duration) error {
	pid, err := c.apiServerPID()
	if err != nil {
		return err
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) && syscall.Kill(pid, 0) == nil {
		time.Sleep(100 * time.Millisecond)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL)
	// envtest notices the exit and then has nothing left to stop.
	for range 100 {
		if err = c.Env.ControlPlane.APIServer.Stop(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Wrap(err, "cannot stop kube-apiserver")
}

// apiServerPID finds the kube-apiserver this test process started.
func (c *ControlPlane) apiServerPID() (int, error) {
	port := "--secure-port=" + c.Env.ControlPlane.APIServer.Port
	me := os.Getpid()
	cmdlines, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range cmdlines {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) == 0 || filepath.Base(args[0]) != "kube-apiserver" || !slices.Contains(args, port) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(p)))
		if err != nil || parentOf(pid) != me {
			continue
		}
		return pid, nil
	}
	return 0, errors.Errorf("cannot find the kube-apiserver process serving %s", port)
}

// parentOf reads a process's parent pid from /proc.
func parentOf(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(f[1])
	return ppid
}

// StartAPIServer starts kube-apiserver again on the same etcd, address and
// certificates.
func (c *ControlPlane) StartAPIServer() error {
	return errors.Wrap(c.Env.ControlPlane.APIServer.Start(), "cannot start kube-apiserver again")
}

// Stop stops everything.
func (c *ControlPlane) Stop() error { return c.Env.Stop() }

// CreateNamespace creates a namespace unless it exists.
func CreateNamespace(ctx context.Context, dyn dynamic.Interface, name string) error {
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}}
	_, err := dyn.Resource(corev1.SchemeGroupVersion.WithResource("namespaces")).Create(ctx, ns, metav1.CreateOptions{})
	if kerrors.IsAlreadyExists(err) {
		return nil
	}
	return errors.Wrapf(err, "cannot create namespace %s", name)
}

// ClusterProviderConfigs is the provider's cluster-scoped config kind.
var ClusterProviderConfigs = schema.GroupVersionResource{Group: "cdevents.crossplane.io", Version: "v1alpha1", Resource: "clusterproviderconfigs"} //nolint:gochecknoglobals // A constant GVR.

// SinkSpec is the part of a ClusterProviderConfig the scenarios vary.
type SinkSpec struct {
	URL     string
	Timeout time.Duration
	// DeadLetterURL, when set, is the dead-letter sink.
	DeadLetterURL string
	// Retry is delivery.retry.
	Retry int
	// Selects names the scenario whose clusters the config selects; the
	// config's own when empty, so that two sinks can watch one scenario.
	Selects string
	// Signals, when set, is spec.signals.
	Signals *Signals
	// Expression, when set, is spec.selector.expression.
	Expression string
}

// ApplyConfig creates or updates the ClusterProviderConfig of a scenario:
// it selects only the scenario's clusters and retries quickly.
func ApplyConfig(ctx context.Context, dyn dynamic.Interface, scenario string, s SinkSpec) error {
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 2 * time.Second
	}
	retry := s.Retry
	if retry == 0 {
		retry = 1000
	}
	delivery := map[string]any{
		"retry":        int64(retry),
		"backoffDelay": "200ms",
		"maxBackoff":   "2s",
	}
	if s.DeadLetterURL != "" {
		delivery["deadLetterSink"] = map[string]any{"url": s.DeadLetterURL, "timeout": "2s"}
	}
	selects := s.Selects
	if selects == "" {
		selects = scenario
	}
	selector := map[string]any{"matchLabels": map[string]any{LabelScenario: selects}}
	if s.Expression != "" {
		selector["expression"] = s.Expression
	}
	spec := map[string]any{
		"sink":     map[string]any{"url": s.URL, "timeout": timeout.String()},
		"delivery": delivery,
		"selector": selector,
		"replay":   "Current",
	}
	if sig := s.Signals; sig != nil {
		signals := map[string]any{}
		if sig.OutOfSyncAfter > 0 {
			signals["outOfSyncAfter"] = sig.OutOfSyncAfter.String()
		}
		if f := sig.Flapping; f != nil {
			signals["flapping"] = map[string]any{"transitions": int64(f.Transitions), "window": f.Window.String()}
		}
		if c := sig.Cascade; c != nil {
			signals["cascade"] = map[string]any{"minClusters": int64(c.MinClusters), "window": c.Window.String(), "by": "ProviderRegion"}
		}
		spec["signals"] = signals
	}
	ri := dyn.Resource(ClusterProviderConfigs)
	name := "fault-" + scenario
	return errors.Wrapf(retryConflict(func() error {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if kerrors.IsNotFound(err) {
			u = &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": ClusterProviderConfigs.GroupVersion().String(),
				"kind":       "ClusterProviderConfig",
				"metadata":   map[string]any{"name": name},
				"spec":       spec,
			}}
			_, err = ri.Create(ctx, u, metav1.CreateOptions{})
			return err
		}
		if err != nil {
			return err
		}
		u.Object["spec"] = spec
		_, err = ri.Update(ctx, u, metav1.UpdateOptions{})
		return err
	}), "cannot apply ClusterProviderConfig %s", name)
}

// DeleteConfig deletes the ClusterProviderConfig of a scenario.
func DeleteConfig(ctx context.Context, dyn dynamic.Interface, scenario string) error {
	err := dyn.Resource(ClusterProviderConfigs).Delete(ctx, "fault-"+scenario, metav1.DeleteOptions{})
	if kerrors.IsNotFound(err) {
		return nil
	}
	return errors.Wrap(err, "cannot delete ClusterProviderConfig")
}

func retryConflict(fn func() error) error {
	var err error
	for range 10 {
		if err = fn(); !kerrors.IsConflict(err) {
			return err
		}
	}
	return err
}

// InstallCRD creates a CRD and waits until it is Established.
func InstallCRD(ctx context.Context, dyn dynamic.Interface, crd *apiextensionsv1.CustomResourceDefinition) error {
	ri := dyn.Resource(apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions"))
	obj, err := toUnstructured(crd)
	if err != nil {
		return err
	}
	if _, err := ri.Create(ctx, obj, metav1.CreateOptions{}); err != nil && !kerrors.IsAlreadyExists(err) {
		return errors.Wrapf(err, "cannot create CRD %s", crd.Name)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		u, err := ri.Get(ctx, crd.Name, metav1.GetOptions{})
		if err == nil && u.GetDeletionTimestamp() == nil && established(u) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Errorf("CRD %s is not Established after a minute", crd.Name)
}

// RemoveCRD deletes a CRD and waits until it is gone.
func RemoveCRD(ctx context.Context, dyn dynamic.Interface, name string) error {
	ri := dyn.Resource(apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions"))
	if err := ri.Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !kerrors.IsNotFound(err) {
		return errors.Wrapf(err, "cannot delete CRD %s", name)
	}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		if _, err := ri.Get(ctx, name, metav1.GetOptions{}); kerrors.IsNotFound(err) {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Errorf("CRD %s still exists a minute after its deletion", name)
}

func established(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if ok && m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

func toUnstructured(crd *apiextensionsv1.CustomResourceDefinition) (*unstructured.Unstructured, error) {
	c := crd.DeepCopy()
	c.APIVersion, c.Kind = apiextensionsv1.SchemeGroupVersion.String(), "CustomResourceDefinition"
	c.ResourceVersion = ""
	m, err := runtimeToMap(c)
	if err != nil {
		return nil, errors.Wrap(err, fmt.Sprintf("cannot convert CRD %s", crd.Name))
	}
	return &unstructured.Unstructured{Object: m}, nil
}

func runtimeToMap(o any) (map[string]any, error) {
	return runtime.DefaultUnstructuredConverter.ToUnstructured(o)
}
