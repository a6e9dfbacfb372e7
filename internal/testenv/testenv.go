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

// Package testenv starts the local control plane that every envtest test of
// this project runs against: kube-apiserver and etcd built from the Go module
// proxy by `make controlplane` and found through KUBEBUILDER_ASSETS.
//
// It exists so that all those tests start the control plane the same way, with
// timeouts that suit a small machine, and so that a missing control plane is a
// loud failure that says how to fix it, never a silently skipped test. Use it
// from TestMain:
//
//	func TestMain(m *testing.M) {
//		env, cfg, err := testenv.Start("../../package/crds")
//		if err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			os.Exit(1)
//		}
//		restConfig = cfg
//		code := m.Run()
//		if err := env.Stop(); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			code = 1
//		}
//		os.Exit(code)
//	}
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
)

// AssetsEnv is the environment variable that names the directory holding the
// kube-apiserver and etcd binaries, as controller-runtime's envtest defines it.
// `make test` sets it; `make controlplane.env` prints it.
const AssetsEnv = "KUBEBUILDER_ASSETS"

// StartTimeout and StopTimeout bound how long each control plane process may
// take to start and to stop. envtest's default (20s) is too short on a 2-core
// machine where `go test ./...` starts several control planes at once.
const (
	StartTimeout = 60 * time.Second
	StopTimeout  = 60 * time.Second
)

// howToFix is appended to every error about missing binaries, so the person
// reading a failed test run knows exactly what to type.
const howToFix = `Build the local control plane (first run only, takes a few minutes, then it is cached under .cache/) and point the tests at it, from the repository root:

    make controlplane && eval "$(make -s controlplane.env)"

or simply run 'make test', which does both automatically.`

// Start starts kube-apiserver and etcd from the directory named by
// KUBEBUILDER_ASSETS, installs the CRDs found in crdDirs (each directory must
// exist), and returns the running environment and an admin rest.Config for it.
// Callers stop the environment with its Stop method.
//
// When KUBEBUILDER_ASSETS is unset or lacks a binary, Start returns an error
// that says what to run. Tests must fail on that error, not skip: a skipped
// envtest test looks like a passing one.
//
// Start never talks to an existing cluster, whatever USE_EXISTING_CLUSTER says,
// and never downloads binaries.
func Start(crdDirs ...string) (*envtest.Environment, *rest.Config, error) {
	dir, err := assetsDir()
	if err != nil {
		return nil, nil, err
	}

	useExisting := false
	env := &envtest.Environment{
		UseExistingCluster:       &useExisting,
		BinaryAssetsDirectory:    dir,
		CRDDirectoryPaths:        crdDirs,
		ErrorIfCRDPathMissing:    true,
		ControlPlaneStartTimeout: StartTimeout,
		ControlPlaneStopTimeout:  StopTimeout,
	}
	// Explicit paths, so TEST_ASSET_* variables cannot swap in other binaries
	// than the ones checked above.
	apiServer := env.ControlPlane.GetAPIServer()
	apiServer.Path = filepath.Join(dir, "kube-apiserver")
	env.ControlPlane.Etcd = &envtest.Etcd{Path: filepath.Join(dir, "etcd")}

	cfg, err := env.Start()
	if err != nil {
		// Start may fail after the processes are up (installing CRDs, say):
		// stop them so a failing TestMain leaves nothing running.
		if stopErr := env.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the control plane: %w", stopErr))
		}
		return nil, nil, fmt.Errorf("testenv: starting kube-apiserver and etcd from %s=%s: %w", AssetsEnv, dir, err)
	}
	return env, cfg, nil
}

// assetsDir returns the absolute KUBEBUILDER_ASSETS directory after checking
// that it holds both binaries.
func assetsDir() (string, error) {
	dir := os.Getenv(AssetsEnv)
	if dir == "" {
		return "", fmt.Errorf("testenv: %s is not set, so there is no kube-apiserver and etcd to run envtest tests against.\n%s", AssetsEnv, howToFix)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("testenv: %s=%s: %w", AssetsEnv, dir, err)
	}
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := checkExecutable(filepath.Join(abs, name)); err != nil {
			return "", fmt.Errorf("testenv: %s=%s has no usable %s (%w).\n%s", AssetsEnv, dir, name, err, howToFix)
		}
	}
	return abs, nil
}

// checkExecutable reports why path is not an executable regular file.
func checkExecutable(path string) error {
	fi, err := os.Stat(path) //nolint:gosec // G703: the path is the developer's own KUBEBUILDER_ASSETS.
	if err != nil {
		return err
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable", path)
	}
	return nil
}
