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

// Package testkit holds the real parts the provider's integration tests and
// benchmarks share: the provider running in-process on a manager, a
// recording CloudEvents sink on real HTTP, and helpers that write cluster
// objects the way upstream providers do. Nothing here is a fake of the
// provider's own code.
package testkit

import (
	"context"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/crossplane-contrib/provider-cdevents/apis"
	"github.com/crossplane-contrib/provider-cdevents/internal/controller"
)

// Scheme knows the provider's kinds and the built-in ones.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, err
	}
	if err := apis.AddToScheme(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Provider is the real provider, running in-process against an API server.
type Provider struct {
	Pipeline *controller.Pipeline
	Registry *prometheus.Registry
	cancel   context.CancelFunc
	done     chan error
	stopOnce sync.Once
}

// ProviderOption tunes an in-process provider.
type ProviderOption func(*controller.Options)

// WithFlushInterval sets how often delivery progress is persisted.
func WithFlushInterval(d time.Duration) ProviderOption {
	return func(o *controller.Options) { o.CursorFlushInterval = d }
}

// WithLogger sets the provider's logger.
func WithLogger(l logging.Logger) ProviderOption {
	return func(o *controller.Options) { o.Logger = l }
}

// WithLedgerConfig sets the REST config of the ledger's client, as
// cmd/provider does to keep ledger writes off the manager's rate limit.
func WithLedgerConfig(c *rest.Config) ProviderOption {
	return func(o *controller.Options) { o.LedgerConfig = c }
}

// WithTenantEgressAllow lets the sinks of namespaced ProviderConfigs reach
// cidrs, as --tenant-egress-allow does. Tests whose tenant sink listens on
// loopback need 127.0.0.0/8: loopback is denied to tenants by default.
func WithTenantEgressAllow(cidrs ...string) ProviderOption {
	return func(o *controller.Options) {
		for _, c := range cidrs {
			o.Sinks.TenantEgressAllow = append(o.Sinks.TenantEgressAllow, netip.MustParsePrefix(c))
		}
	}
}

// WithSinkPolicy changes the administrator's policy for sinks.
func WithSinkPolicy(fn func(*controller.SinkPolicy)) ProviderOption {
	return func(o *controller.Options) { fn(&o.Sinks) }
}

// StartProvider runs the provider against cfg until Stop is called.
func StartProvider(cfg *rest.Config, opts ...ProviderOption) (*Provider, error) {
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	ctrl.SetLogger(logr.Discard())
	mgr, err := ctrl.NewManager(rest.CopyConfig(cfg), ctrl.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  cache.Options{DefaultTransform: cache.TransformStripManagedFields()},
		// Several providers start and stop in one test process.
		Controller: config.Controller{SkipNameValidation: ptr(true)},
	})
	if err != nil {
		return nil, errors.Wrap(err, "cannot create manager")
	}
	reg := prometheus.NewRegistry()
	o := controller.Options{
		Options: xpcontroller.Options{
			Logger:                  logging.NewNopLogger(),
			GlobalRateLimiter:       ratelimiter.NewGlobal(1000),
			MaxConcurrentReconciles: 4,
			PollInterval:            time.Minute,
			Features:                &feature.Flags{},
		},
		ControlPlaneName:    "test",
		LedgerRetention:     time.Hour,
		DeliveryWorkers:     16,
		CursorFlushInterval: 200 * time.Millisecond,
		Registerer:          reg,
	}
	for _, fn := range opts {
		fn(&o)
	}
	p, err := controller.SetupPipeline(mgr, o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr := &Provider{Pipeline: p, Registry: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { pr.done <- mgr.Start(ctx) }()
	return pr, nil
}

// Stop stops the provider and waits for it to finish, including its final
// flush of delivery progress.
func (p *Provider) Stop() error {
	var err error
	p.stopOnce.Do(func() {
		p.cancel()
		err = <-p.done
	})
	return err
}

// Client returns a direct (uncached) client for cfg.
func Client(cfg *rest.Config) (client.Client, error) {
	s, err := Scheme()
	if err != nil {
		return nil, err
	}
	return client.New(cfg, client.Options{Scheme: s})
}

// Eventually polls fn until it returns nil or the timeout passes, and
// returns fn's last error.
func Eventually(timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }

// statusOK is what a healthy sink answers.
const statusOK = http.StatusOK
