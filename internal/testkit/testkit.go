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
// benchmarks share: the provider running in-process, put together by
// internal/provider as cmd/provider does, and a recording CloudEvents sink
// on real HTTP. Cluster objects are written by internal/fleetsim. Nothing
// here is a fake of the provider's own code.
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
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/apis"
	"github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/provider"
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
type ProviderOption func(*startOptions)

type startOptions struct {
	o    provider.Options
	opts []provider.Option
}

// WithFlushInterval sets how often delivery progress is persisted.
func WithFlushInterval(d time.Duration) ProviderOption {
	return func(s *startOptions) { s.o.CursorFlushInterval = d }
}

// WithMaxReconcileRate sets --max-reconcile-rate, which also limits the
// manager's API client to five times as many requests per second.
func WithMaxReconcileRate(n int) ProviderOption {
	return func(s *startOptions) { s.o.MaxReconcileRate = n }
}

// WithLogger sets the provider's logger.
func WithLogger(l logging.Logger) ProviderOption {
	return func(s *startOptions) { s.opts = append(s.opts, provider.WithLogger(l)) }
}

// WithLedgerConfig sets the REST config of the ledger's client, for tests
// that put faults between the ledger and the API server.
func WithLedgerConfig(c *rest.Config) ProviderOption {
	return func(s *startOptions) { s.opts = append(s.opts, provider.WithLedgerConfig(c)) }
}

// WithTenantEgressAllow lets the sinks of namespaced ProviderConfigs reach
// cidrs, as --tenant-egress-allow does. Tests whose tenant sink listens on
// loopback need 127.0.0.0/8: loopback is denied to tenants by default.
func WithTenantEgressAllow(cidrs ...string) ProviderOption {
	return func(s *startOptions) {
		for _, c := range cidrs {
			s.o.TenantEgressAllow = append(s.o.TenantEgressAllow, netip.MustParsePrefix(c))
		}
	}
}

// WithOptions changes the provider's options, as its flags would.
func WithOptions(fn func(*provider.Options)) ProviderOption {
	return func(s *startOptions) { fn(&s.o) }
}

// statusFiguresInterval lets every status refresh of a test's configs
// write their delivery figures, so that tests see them within one refresh.
const statusFiguresInterval = time.Second

// StartProvider runs the provider against cfg until Stop is called, put
// together by provider.New as cmd/provider does, with the provider's
// defaults except that it serves no endpoints, names its control plane
// "test", keeps ledgers an hour, persists progress every 200ms, and
// writes configs' delivery figures at every status refresh (WithOptions
// changes any of these).
func StartProvider(cfg *rest.Config, opts ...ProviderOption) (*Provider, error) {
	ctrl.SetLogger(logr.Discard())
	reg := prometheus.NewRegistry()
	s := startOptions{o: provider.DefaultOptions()}
	s.o.MetricsBindAddress, s.o.HealthProbeBindAddress = "0", "0"
	s.o.ControlPlaneName = "test"
	s.o.LedgerRetention = time.Hour
	s.o.CursorFlushInterval = 200 * time.Millisecond
	s.o.StatusFiguresInterval = statusFiguresInterval
	s.o.MaxReconcileRate = 100
	for _, fn := range opts {
		fn(&s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := provider.New(ctx, s.o, append([]provider.Option{
		provider.WithRESTConfig(cfg),
		provider.WithRegisterer(reg),
		// Several providers start and stop in one test process.
		provider.WithManagerOptions(func(o *ctrl.Options) { o.Controller.SkipNameValidation = ptr(true) }),
	}, s.opts...)...)
	if err != nil {
		cancel()
		return nil, err
	}
	pr := &Provider{Pipeline: p.Pipeline, Registry: reg, cancel: cancel, done: make(chan error, 1)}
	go func() { pr.done <- p.Start(ctx) }()
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
