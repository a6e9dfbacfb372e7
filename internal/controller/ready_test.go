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
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// TestReadyCheck: a standby replica is ready at once; the leader only once
// its ledger is loaded and discovery has synced.
func TestReadyCheck(t *testing.T) {
	standby := make(chan struct{})
	elected := make(chan struct{})
	close(elected)

	// A pipeline that was set up but never started: nothing is loaded.
	s, err := testkit.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	skip := true
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme: s, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Controller: config.Controller{SkipNameValidation: &skip},
	})
	if err != nil {
		t.Fatal(err)
	}
	idle, err := controller.SetupPipeline(mgr, controller.Options{Options: xpcontroller.Options{
		Logger: logging.NewNopLogger(), GlobalRateLimiter: ratelimiter.NewGlobal(1), MaxConcurrentReconciles: 1, Features: &feature.Flags{},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if err := idle.ReadyCheck(standby)(nil); err != nil {
		t.Errorf("a standby replica should be ready at once, got %v", err)
	}
	if err := idle.ReadyCheck(elected)(nil); err == nil {
		t.Errorf("a leader whose ledger is not loaded should not be ready")
	}

	p := startProvider(t)
	if err := testkit.Eventually(waitLong, func() error { return p.Pipeline.ReadyCheck(elected)(nil) }); err != nil {
		t.Errorf("a running leader should become ready: %v", err)
	}
}
