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

package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// cfg talks to the control plane TestMain starts.
var cfg *rest.Config

func TestMain(m *testing.M) {
	env, c, err := Start()
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

// TestServerVersion proves that the kube-apiserver running is the one
// `make controlplane` built and stamped: unstamped, it reports v0.0.0-master.
func TestServerVersion(t *testing.T) {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatalf("NewDiscoveryClientForConfig: %v", err)
	}
	info, err := dc.ServerVersion()
	if err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}

	type version struct{ GitVersion, Major, Minor string }
	want := version{GitVersion: "v1.35.4", Major: "1", Minor: "35"}
	got := version{GitVersion: info.GitVersion, Major: info.Major, Minor: info.Minor}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("/version: -want, +got:\n%s", diff)
	}
}

// TestAssetsDir checks that a missing control plane is reported with the
// command that fixes it.
func TestAssetsDir(t *testing.T) {
	empty := t.TempDir()
	half := t.TempDir()
	if err := os.WriteFile(filepath.Join(half, "kube-apiserver"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	notExec := t.TempDir()
	for _, name := range []string{"kube-apiserver", "etcd"} {
		if err := os.WriteFile(filepath.Join(notExec, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	cases := map[string]struct {
		assets   string
		wantText []string
	}{
		"Unset":         {assets: "", wantText: []string{"KUBEBUILDER_ASSETS is not set", "make controlplane", "make test"}},
		"EmptyDir":      {assets: empty, wantText: []string{"has no usable kube-apiserver", "make controlplane", "make test"}},
		"NoEtcd":        {assets: half, wantText: []string{"has no usable etcd", "make controlplane"}},
		"NotExecutable": {assets: notExec, wantText: []string{"is not executable", "make controlplane"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv(AssetsEnv, tc.assets)
			_, err := assetsDir()
			if err == nil {
				t.Fatalf("assetsDir() with %s=%q: got no error", AssetsEnv, tc.assets)
			}
			for _, s := range tc.wantText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("assetsDir() error does not mention %q:\n%v", s, err)
				}
			}
		})
	}
}
