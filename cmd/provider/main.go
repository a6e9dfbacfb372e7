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

// Package main runs provider-cdevents: in a cluster, installed by
// Crossplane, or locally against any kubeconfig.
package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"go.uber.org/zap/zapcore"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/crossplane-contrib/provider-cdevents/apis"
	pcontroller "github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/version"
)

func main() {
	var (
		app = kingpin.New(filepath.Base(os.Args[0]), "Reports the lifecycle of every Kubernetes cluster Crossplane manages as CDEvents.").DefaultEnvars()

		debug            = app.Flag("debug", "Log at debug level, including controller-runtime's own logs.").Short('d').Bool()
		kubeconfig       = app.Flag("kubeconfig", "Path to a kubeconfig. Defaults to $KUBECONFIG, then the in-cluster config, then ~/.kube/config.").String()
		leaderElection   = leaderElectionFlag(app)
		leaderNamespace  = app.Flag("leader-election-namespace", "Namespace of the leader election Lease; needed when running outside a cluster.").Default("crossplane-system").String()
		syncInterval     = app.Flag("sync", "How often controllers resync everything they watch.").Short('s').Default("1h").Duration()
		maxReconcileRate = app.Flag("max-reconcile-rate", "Maximum reconciles per second of the provider's own kinds (configs and ClusterKinds).").Default("10").Int()
		metricsAddr      = app.Flag("metrics-bind-address", "Address the Prometheus metrics endpoint binds to; 0 disables it.").Default(":8080").String()
		probeAddr        = app.Flag("health-probe-bind-address", "Address the health and readiness probes bind to.").Default(":8081").String()
		controlPlane     = app.Flag("control-plane-name", "Name of this control plane in CDEvents subject ids and the default source. Keep it stable: ids derive from it.").Default("crossplane").String()
		retention        = app.Flag("ledger-retention", "How long the ledger of a deleted cluster is kept after every sink received its deleted event.").Default("24h").Duration()
		workers          = app.Flag("delivery-workers", "Concurrent deliveries per sink. Events of one cluster are always delivered in order.").Default("16").Int()
		flushInterval    = app.Flag("cursor-flush-interval", "How often delivery progress is written to the ledgers. After a crash, at most this much delivery is re-sent, with the same ids.").Default("10s").Duration()
		recordFirst      = app.Flag("record-before-send", "Send a transition only once its ledger write has landed, instead of while it is in flight: no crash window at all, at the cost of a write on every event's delivery path and of separate progress writes. See the README.").Bool()
		writeWindow      = app.Flag("ledger-write-window", "How long a ledger write may wait for the sinks to take the transitions it records, so that they and the delivery progress land in one write. Transitions are sent meanwhile; see the README on what a crash in this window can lose.").Default("1s").Duration()

		metricsSecure  = app.Flag("metrics-secure", "Serve metrics over HTTPS, only to clients that authenticate with a Kubernetes token and may get the /metrics non-resource URL (TokenReview and SubjectAccessReview).").Bool()
		metricsCertDir = app.Flag("metrics-cert-dir", "Directory holding tls.crt and tls.key for --metrics-secure; a self-signed certificate is used when they are missing.").String()

		tenantDeny      = app.Flag("tenant-egress-deny", "Comma-separated CIDRs the sinks of namespaced ProviderConfigs may not reach, in addition to loopback, link-local, unspecified addresses and the API server's addresses, which are always denied.").String()
		tenantAllow     = app.Flag("tenant-egress-allow", "Comma-separated CIDRs the sinks of namespaced ProviderConfigs may reach even when denied; allow wins over deny, including the built-in denials.").String()
		clusterDeny     = app.Flag("cluster-egress-deny", "Comma-separated CIDRs the sinks of ClusterProviderConfigs may not reach. Empty: no limit.").String()
		tenantInsecure  = app.Flag("tenant-allow-insecure-tls", "Let namespaced ProviderConfigs turn TLS certificate verification off (insecureSkipVerify).").Bool()
		tenantPlaintext = app.Flag("tenant-allow-plaintext-credentials", "Let namespaced ProviderConfigs send credentials to http:// sinks.").Bool()
	)
	app.Version(version.Version)
	kingpin.MustParse(app.Parse(os.Args[1:]))

	zl := zap.New(zap.UseDevMode(*debug), zap.Level(level(*debug)))
	log := logging.NewLogrLogger(zl.WithName("provider-cdevents"))
	// controller-runtime's own logs are noisy; show them only when debugging.
	if *debug {
		ctrl.SetLogger(zl)
	} else {
		ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	}
	log.Info("Starting", "version", version.Version, "sync-interval", syncInterval.String(), "control-plane", *controlPlane)

	sinks, err := sinkPolicy(*tenantDeny, *tenantAllow, *clusterDeny)
	kingpin.FatalIfError(err, "Cannot read the egress policy")
	sinks.TenantAllowInsecureTLS, sinks.TenantAllowPlaintextCredentials = *tenantInsecure, *tenantPlaintext

	cfg, inCluster, err := restConfig(*kubeconfig)
	kingpin.FatalIfError(err, "Cannot get API server rest config")
	cfg.UserAgent = "provider-cdevents/" + version.Version
	elect := leaderElection.Or(inCluster)
	log.Info("Leader election", "enabled", elect, "in-cluster", inCluster, "set", leaderElection.String())

	ctx := ctrl.SetupSignalHandler()
	// Tenants' sinks may not reach the API server: at the host the REST
	// config names and, in a cluster, at the kubernetes Service.
	lctx, cancel := context.WithTimeout(ctx, apiServerLookupTimeout)
	sinks.APIServer = deliver.HostPrefixes(lctx, nil, cfg.Host, os.Getenv("KUBERNETES_SERVICE_HOST"))
	cancel()
	// With the safe-start capability Crossplane creates the CRDs of
	// ObservedCluster and ClusterKind only once an activation policy
	// activates them: wait for them rather than crash-loop.
	kingpin.FatalIfError(pcontroller.WaitForAPIs(ctx, cfg, log), "Cannot wait for the provider's CRDs")

	mgr, err := ctrl.NewManager(ratelimiter.LimitRESTConfig(cfg, *maxReconcileRate), ctrl.Options{
		Cache: cache.Options{
			SyncPeriod:       syncInterval,
			DefaultTransform: cache.TransformStripManagedFields(),
		},
		Metrics:                 metricsOptions(*metricsAddr, *metricsSecure, *metricsCertDir),
		HealthProbeBindAddress:  *probeAddr,
		LeaderElection:          elect,
		LeaderElectionID:        "crossplane-leader-election-provider-cdevents",
		LeaderElectionNamespace: *leaderNamespace,
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
	})
	kingpin.FatalIfError(err, "Cannot create controller manager")
	kingpin.FatalIfError(apis.AddToScheme(mgr.GetScheme()), "Cannot add provider-cdevents APIs to scheme")
	kingpin.FatalIfError(mgr.AddHealthzCheck("healthz", healthz.Ping), "Cannot add health check")

	o := pcontroller.Options{
		Options: controller.Options{
			Logger:                  log,
			MaxConcurrentReconciles: *maxReconcileRate,
			PollInterval:            time.Minute,
			GlobalRateLimiter:       ratelimiter.NewGlobal(*maxReconcileRate),
			Features:                &feature.Flags{},
		},
		ControlPlaneName:    *controlPlane,
		LedgerRetention:     *retention,
		DeliveryWorkers:     *workers,
		CursorFlushInterval: *flushInterval,
		LedgerWriteWindow:   *writeWindow,
		RecordBeforeSend:    *recordFirst,
		Registerer:          metrics.Registry,
		LedgerConfig:        unthrottled(cfg),
		Sinks:               sinks,
	}
	p, err := pcontroller.SetupPipeline(mgr, o)
	kingpin.FatalIfError(err, "Cannot set up provider-cdevents controllers")
	// Ready once the ledger is loaded and discovery has synced, on the
	// leader; a standby is ready at once.
	kingpin.FatalIfError(mgr.AddReadyzCheck("pipeline", p.ReadyCheck(mgr.Elected())), "Cannot add readiness check")
	kingpin.FatalIfError(mgr.Start(ctx), "Cannot start controller manager")
}

// apiServerLookupTimeout bounds resolving the API server's host at start.
const apiServerLookupTimeout = 10 * time.Second

// sinkPolicy reads the egress flags.
func sinkPolicy(tenantDeny, tenantAllow, clusterDeny string) (pcontroller.SinkPolicy, error) {
	var sp pcontroller.SinkPolicy
	var err error
	if sp.TenantEgressDeny, err = deliver.ParseCIDRs(tenantDeny); err != nil {
		return sp, errors.Wrap(err, "--tenant-egress-deny")
	}
	if sp.TenantEgressAllow, err = deliver.ParseCIDRs(tenantAllow); err != nil {
		return sp, errors.Wrap(err, "--tenant-egress-allow")
	}
	if sp.ClusterEgressDeny, err = deliver.ParseCIDRs(clusterDeny); err != nil {
		return sp, errors.Wrap(err, "--cluster-egress-deny")
	}
	return sp, nil
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

// leaderElectionFlag adds --leader-election. Crossplane does not set
// LEADER_ELECTION for providers, and a package upgrade runs the new pod
// before the old one is gone: in a cluster, leader election must be on
// unless asked otherwise, so that two pods never record and deliver at once.
func leaderElectionFlag(app *kingpin.Application) *autoBool {
	b := &autoBool{}
	app.Flag("leader-election", "Elect a leader with a Lease, so that only one replica (and only one pod during an upgrade) records and delivers events. On by default when running in a cluster, off when running against a kubeconfig.").
		Short('l').Envar("LEADER_ELECTION").SetValue(b)
	return b
}

// autoBool is a boolean flag that may be left unset, so that its default
// can depend on where the provider runs. Like a kingpin Bool it takes
// --flag, --no-flag and its environment variable (true, false, 1, 0 ...).
type autoBool struct {
	set   bool
	value bool
}

// Set parses a value given on the command line or in the environment.
func (b *autoBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.set, b.value = true, v
	return nil
}

// String says what was set; "auto" when nothing was.
func (b *autoBool) String() string {
	if !b.set {
		return "auto"
	}
	return strconv.FormatBool(b.value)
}

// IsBoolFlag makes kingpin accept --flag without a value, and --no-flag.
func (b *autoBool) IsBoolFlag() bool { return true }

// Or returns the value that was set, or def when none was.
func (b *autoBool) Or(def bool) bool {
	if !b.set {
		return def
	}
	return b.value
}

// unthrottled turns off client-side rate limiting for the ledger's client:
// recording transitions must keep up with the fleet, and the API server's
// priority and fairness protects it.
func unthrottled(cfg *rest.Config) *rest.Config {
	out := rest.CopyConfig(cfg)
	out.QPS, out.Burst = -1, 0
	return out
}

func level(debug bool) zapcore.Level {
	if debug {
		return zapcore.DebugLevel
	}
	return zapcore.InfoLevel
}

func ptr[T any](v T) *T { return &v }
