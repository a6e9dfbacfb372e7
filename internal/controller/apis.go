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

package controller

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// requiredResources are the provider's own kinds it cannot run without.
var requiredResources = []string{"clusterproviderconfigs", "providerconfigs", "observedclusters", "clusterkinds"} //nolint:gochecknoglobals // A constant list.

// apiPollInterval is how often WaitForAPIs asks again.
const apiPollInterval = 5 * time.Second

// WaitForAPIs blocks until the API server serves every kind of the
// provider's own API group, or ctx is done. Crossplane installs the
// ProviderConfig kinds with the package, but with the safe-start capability
// it creates ObservedCluster and ClusterKind only when an activation policy
// activates them, which may be after the provider starts.
func WaitForAPIs(ctx context.Context, cfg *rest.Config, log logging.Logger) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return errors.Wrap(err, "cannot create discovery client")
	}
	logged := false
	for {
		missing := missingResources(dc)
		if len(missing) == 0 {
			if logged {
				log.Info("The provider's CRDs are served; starting")
			}
			return nil
		}
		if !logged {
			log.Info("Waiting for the provider's CRDs to be served; activate them with a ManagedResourceActivationPolicy if Crossplane's default activation was narrowed",
				"group", v1alpha1.SchemeGroupVersion.String(), "missing", strings.Join(missing, ","))
			logged = true
		}
		select {
		case <-ctx.Done():
			return errors.Wrap(ctx.Err(), "stopped while waiting for the provider's CRDs")
		case <-time.After(apiPollInterval):
		}
	}
}

// missingResources lists the provider's resources the API server does not
// serve yet.
func missingResources(dc discovery.DiscoveryInterface) []string {
	served := map[string]bool{}
	if l, err := dc.ServerResourcesForGroupVersion(v1alpha1.SchemeGroupVersion.String()); err == nil {
		for _, r := range l.APIResources {
			served[r.Name] = true
		}
	}
	var missing []string
	for _, r := range requiredResources {
		if !served[r] {
			missing = append(missing, r)
		}
	}
	sort.Strings(missing)
	return slices.Clip(missing)
}
