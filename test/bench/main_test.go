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

package bench

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// cfg reaches the one API server every benchmark shares; each benchmark
// starts from an empty fleet (see reset).
var cfg *rest.Config //nolint:gochecknoglobals // Set once by TestMain, as envtest requires.

// TestMain starts the local control plane only when benchmarks run: the
// unit tests of the helpers need none, and `go test ./...` should not pay
// for one.
func TestMain(m *testing.M) {
	if os.Getenv(envLoadDriver) != "" {
		os.Exit(runLoadDriver())
	}
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run())
	}
	env, c, err := testenv.Start("../../package/crds")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := 0
	if err := installEKS(c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	} else {
		cfg = c
		code = m.Run()
	}
	stopShared()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// installEKS installs the fixture CRD of the kind the fleets are made of.
func installEKS(c *rest.Config) error {
	crd, err := fixtures.CRD(fleetsim.UpjetEKS.Group, fleetsim.FlavorEKS.GroupKind().Kind)
	if err != nil {
		return err
	}
	_, err = envtest.InstallCRDs(c, envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{crd}, MaxTime: time.Minute})
	return err
}
