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

// Package provider is where provider-cdevents is put together: from the
// options its flags fill to a controller-runtime manager running the
// pipeline, with its leader election, metrics, health checks and egress
// policy. The provider binary, the demo, the benchmarks and the
// integration tests all build it here, so none of them runs a provider
// wired differently from the one users install.
package provider

import (
	"context"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/crossplane-contrib/provider-cdevents/apis"
	"github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/version"
)

// Errors of putting the provider together.
const (
	errRESTConfig = "cannot get API server rest config"
	errScheme     = "cannot add provider-cdevents APIs to scheme"
	errWaitAPIs   = "cannot wait for the provider's CRDs"
	errManager    = "cannot create controller manager"
	errHealth     = "cannot add health check"
	errSetup      = "cannot set up provider-cdevents controllers"
	errReady      = "cannot add readiness check"
)

// LeaderElectionID names the Lease replicas elect a leader with.
const LeaderElectionID = "crossplane-leader-election-provider-cdevents"

// apiServerLookupTimeout bounds resolving the API server's host at start.
const apiServerLookupTimeout = 10 * time.Second

// A Provider is the provider put together and ready to start.
type Provider struct {
	// Manager runs everything; Start starts it.
	Manager ctrl.Manager
	// Pipeline exposes the running parts, for tests and the demo that
	// wait on them.
	Pipeline *controller.Pipeline
	// LeaderElection says whether this replica elects a leader.
	LeaderElection bool
}

// An Option changes how New puts the provider together, for what flags do
// not set: where it logs, which API server it reaches and how.
type Option func(*settings)

type settings struct {
	log       logging.Logger
	cfg       *rest.Config
	ledger    *rest.Config
	reg       prometheus.Registerer
	resolver  deliver.Resolver
	tuneMgr   []func(*ctrl.Options)
	inCluster bool
}

// WithLogger sets the provider's logger. The default discards logs.
func WithLogger(l logging.Logger) Option {
	return func(s *settings) { s.log = l }
}

// WithRESTConfig reaches the API server with cfg, instead of loading the
// kubeconfig the options name. The provider then counts as running outside
// a cluster.
func WithRESTConfig(cfg *rest.Config) Option {
	return func(s *settings) { s.cfg = cfg }
}

// WithLedgerConfig sets the REST config of ledger writes and cluster-kind
// watches. The default is the manager's config without client-side rate
// limits: recording transitions must keep up with the fleet, and the API
// server's priority and fairness protects it.
func WithLedgerConfig(cfg *rest.Config) Option {
	return func(s *settings) { s.ledger = cfg }
}

// WithRegisterer registers the provider's metrics with r. The default is
// controller-runtime's registry, which the metrics endpoint serves; several
// providers in one process each need their own.
func WithRegisterer(r prometheus.Registerer) Option {
	return func(s *settings) { s.reg = r }
}

// WithResolver resolves the host names of sinks and of the API server. The
// default is the system resolver.
func WithResolver(r deliver.Resolver) Option {
	return func(s *settings) { s.resolver = r }
}

// WithManagerOptions changes the manager's options after New has set them,
// such as controller name validation for several providers in one process.
func WithManagerOptions(fn func(*ctrl.Options)) Option {
	return func(s *settings) { s.tuneMgr = append(s.tuneMgr, fn) }
}

// New puts the provider together from o: it reaches the API server, waits
// until the provider's own CRDs are served, and adds the pipeline, the
// config and ClusterKind controllers and the health checks to a new
// manager, with leader election on when it runs in a cluster (unless o says
// otherwise). Start runs it.
func New(ctx context.Context, o Options, opts ...Option) (*Provider, error) {
	s := settings{log: logging.NewNopLogger(), reg: metrics.Registry}
	for _, fn := range opts {
		fn(&s)
	}
	log := s.log
	cfg := s.cfg
	if cfg == nil {
		var err error
		if cfg, s.inCluster, err = restConfig(o.Kubeconfig); err != nil {
			return nil, errors.Wrap(err, errRESTConfig)
		}
	}
	cfg = rest.CopyConfig(cfg)
	cfg.UserAgent = "provider-cdevents/" + version.Version
	elect := o.leaderElection(s.inCluster)
	log.Info("Leader election", "enabled", elect, "in-cluster", s.inCluster)

	sinks := o.sinkPolicy()
	sinks.Resolver = s.resolver
	// Tenants' sinks may not reach the API server: at the host the REST
	// config names and, in a cluster, at the kubernetes Service.
	lctx, cancel := context.WithTimeout(ctx, apiServerLookupTimeout)
	sinks.APIServer = deliver.HostPrefixes(lctx, s.resolver, cfg.Host, os.Getenv("KUBERNETES_SERVICE_HOST"))
	cancel()

	// With the safe-start capability Crossplane creates the CRDs of
	// ObservedCluster and ClusterKind only once an activation policy
	// activates them: wait for them rather than crash-loop.
	if err := controller.WaitForAPIs(ctx, cfg, log); err != nil {
		return nil, errors.Wrap(err, errWaitAPIs)
	}

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, errors.Wrap(err, errScheme)
	}
	if err := apis.AddToScheme(scheme); err != nil {
		return nil, errors.Wrap(err, errScheme)
	}
	mo := managerOptions(o, elect)
	mo.Scheme = scheme
	for _, fn := range s.tuneMgr {
		fn(&mo)
	}
	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, o.MaxReconcileRate), mo)
	if err != nil {
		return nil, errors.Wrap(err, errManager)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, errors.Wrap(err, errHealth)
	}

	ledgerCfg := s.ledger
	if ledgerCfg == nil {
		ledgerCfg = unthrottled(cfg)
	}
	p, err := controller.SetupPipeline(mgr, controller.Options{
		Options: xpcontroller.Options{
			Logger:                  log,
			MaxConcurrentReconciles: o.MaxReconcileRate,
			PollInterval:            time.Minute,
			GlobalRateLimiter:       ratelimiter.NewGlobal(o.MaxReconcileRate),
			Features:                &feature.Flags{},
		},
		ControlPlaneName:      o.ControlPlaneName,
		LedgerRetention:       o.LedgerRetention,
		DeliveryWorkers:       o.DeliveryWorkers,
		CursorFlushInterval:   o.CursorFlushInterval,
		StatusFiguresInterval: o.StatusFiguresInterval,
		LedgerWriteWindow:     o.LedgerWriteWindow,
		RecordBeforeSend:      o.RecordBeforeSend,
		Registerer:            s.reg,
		LedgerConfig:          ledgerCfg,
		Sinks:                 sinks,
	})
	if err != nil {
		return nil, errors.Wrap(err, errSetup)
	}
	// Ready once the ledger is loaded and discovery has synced, on the
	// leader; a standby is ready at once.
	if err := mgr.AddReadyzCheck("pipeline", p.ReadyCheck(mgr.Elected())); err != nil {
		return nil, errors.Wrap(err, errReady)
	}
	return &Provider{Manager: mgr, Pipeline: p, LeaderElection: elect}, nil
}

// Start runs the provider until ctx is done, then stops it, releasing the
// leader election Lease once delivery has stopped.
func (p *Provider) Start(ctx context.Context) error {
	return p.Manager.Start(ctx)
}

// managerOptions are the manager's options for o.
func managerOptions(o Options, elect bool) ctrl.Options {
	return ctrl.Options{
		Cache: cache.Options{
			SyncPeriod:       &o.SyncInterval,
			DefaultTransform: cache.TransformStripManagedFields(),
		},
		Metrics:                 metricsOptions(o.MetricsBindAddress, o.MetricsSecure, o.MetricsCertDir),
		HealthProbeBindAddress:  o.HealthProbeBindAddress,
		LeaderElection:          elect,
		LeaderElectionID:        LeaderElectionID,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		// Leases only: ConfigMap and Endpoints locks are gone from client-go.
		LeaderElectionResourceLock: "leases",
		// A standby replica takes over within a minute of a crash, while
		// a busy leader is not deposed by one slow renewal.
		LeaseDuration: ptr(60 * time.Second),
		RenewDeadline: ptr(50 * time.Second),
		// Release the Lease on clean shutdown so a new leader starts at
		// once, but only after every runnable has stopped: the manager
		// releases it once they have, or once GracefulShutdownTimeout
		// passes. Waiting without a limit means the Lease is never
		// released while this pod may still deliver (delivery drains in
		// seconds, bounded by the outbox's own drain timeout); a pod
		// killed first leaves the Lease to expire, which is safe too.
		LeaderElectionReleaseOnCancel: true,
		GracefulShutdownTimeout:       ptr(time.Duration(-1)),
	}
}

// metricsOptions serves metrics in plain HTTP, or, when secure, over HTTPS
// behind Kubernetes authentication and authorization: the caller's token
// is checked with a TokenReview and its right to get /metrics with a
// SubjectAccessReview, so only what RBAC allows may scrape.
func metricsOptions(addr string, secure bool, certDir string) metricsserver.Options {
	o := metricsserver.Options{BindAddress: addr}
	if secure {
		o.SecureServing = true
		o.FilterProvider = filters.WithAuthenticationAndAuthorization
		o.CertDir = certDir
	}
	return o
}

// restConfig loads an explicit kubeconfig when one is given, and otherwise
// follows controller-runtime's usual search: $KUBECONFIG, the in-cluster
// config, ~/.kube/config. It says whether the in-cluster config is used,
// that is, whether the provider runs in a cluster.
func restConfig(path string) (*rest.Config, bool, error) {
	if path != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", path)
		return cfg, false, err
	}
	if os.Getenv(clientcmd.RecommendedConfigPathEnvVar) == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			// As ctrl.GetConfig does: no client-side rate limit unless
			// asked for; the API server's priority and fairness applies.
			cfg.QPS = -1
			return cfg, true, nil
		}
	}
	cfg, err := ctrl.GetConfig()
	return cfg, false, err
}

// unthrottled turns off client-side rate limiting.
func unthrottled(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.QPS, out.Burst = -1, 0
	return out
}

func ptr[T any](v T) *T { return &v }
