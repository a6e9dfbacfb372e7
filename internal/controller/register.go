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

// Package controller wires provider-cdevents together: the catalog,
// discovery, the ledger, delivery and the controllers of its own kinds, on
// one controller-runtime manager. Everything that records or delivers runs
// only on the elected leader, so replicas never send the same event twice
// with different ids.
package controller

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/controller/clusterkind"
	"github.com/crossplane-contrib/provider-cdevents/internal/controller/config"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/discovery"
	"github.com/crossplane-contrib/provider-cdevents/internal/dispatch"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
)

// DefaultCursorFlushInterval is how often delivery progress that did not
// ride a ledger write is persisted by default. Progress mostly rides the
// write of the events it covers, or the cluster's next write; the rest
// waits for this flush, rarely enough that a cluster changing every few
// seconds costs one progress write a minute, often enough that a crash
// re-sends (with the same ids) at most a minute of delivery.
const DefaultCursorFlushInterval = time.Minute

// DefaultStatusFiguresInterval is how often, at most, a config's status is
// written only because its delivery figures changed, by default: as often
// as Crossplane's providers poll what they manage, so that a quiet fleet's
// sinks do not each cost a status write per transition.
const DefaultStatusFiguresInterval = config.DefaultFiguresEvery

// Options are the crossplane-runtime controller options plus the knobs of
// this provider.
type Options struct {
	controller.Options

	// ControlPlaneName appears in subject ids and the default source.
	ControlPlaneName string
	// LedgerRetention is how long a deleted cluster's ledger is kept.
	LedgerRetention time.Duration
	// DeliveryWorkers is the number of concurrent deliveries per sink.
	DeliveryWorkers int
	// CursorFlushInterval is how often delivery progress is persisted.
	CursorFlushInterval time.Duration
	// StatusFiguresInterval is how often, at most, a config's status is
	// written only because its delivery figures changed; zero means
	// config.DefaultFiguresEvery.
	StatusFiguresInterval time.Duration
	// LedgerWriteWindow is how long a ledger write may wait for the
	// sinks to take the transitions it records; zero means
	// ledger.DefaultCoalesce, negative writes at once.
	LedgerWriteWindow time.Duration
	// RecordBeforeSend sends transitions only once their ledger write
	// has landed, as releases before the write window did: every write
	// then stands on the delivery path, and delivery progress needs
	// writes of its own.
	RecordBeforeSend bool
	// Registerer receives the provider's metrics.
	Registerer prometheus.Registerer
	// LedgerConfig reaches the API server for ledger writes and watches of
	// cluster kinds. It should not be throttled client-side like the
	// manager's config: recording transitions must keep up with the
	// fleet, and the API server's priority and fairness protects it.
	// Defaults to the manager's config.
	LedgerConfig *rest.Config
	// Sinks is the administrator's policy for the sinks of provider
	// configs. Its zero value is the safe default for tenants.
	Sinks SinkPolicy
}

// SinkPolicy is the administrator's policy for the sinks of provider
// configs, as the provider's flags set it. Namespaced ProviderConfigs are
// written by tenants and untrusted; ClusterProviderConfigs are the
// administrator's own.
type SinkPolicy struct {
	// TenantEgressDeny are CIDRs a namespaced ProviderConfig's sink may
	// not reach, in addition to deliver.DefaultTenantDeny and the API
	// server's addresses, which are always denied.
	TenantEgressDeny []netip.Prefix
	// TenantEgressAllow are CIDRs a namespaced ProviderConfig's sink may
	// reach even when they are denied.
	TenantEgressAllow []netip.Prefix
	// ClusterEgressDeny are CIDRs a ClusterProviderConfig's sink may not
	// reach; empty allows every address.
	ClusterEgressDeny []netip.Prefix
	// APIServer are the API server's addresses, denied to tenants. The
	// caller resolves them (deliver.HostPrefixes), with the kubernetes
	// Service IP in a cluster; the manager's REST config host is always
	// denied too when it is an IP address.
	APIServer []netip.Prefix
	// TenantAllowInsecureTLS lets namespaced ProviderConfigs turn TLS
	// verification off.
	TenantAllowInsecureTLS bool
	// TenantAllowPlaintextCredentials lets namespaced ProviderConfigs send
	// credentials over plain http.
	TenantAllowPlaintextCredentials bool
	// Resolver resolves host names of sinks and of the API server;
	// defaults to the system resolver.
	Resolver deliver.Resolver
}

// configPolicy turns the administrator's flags into the policy the config
// controllers apply.
func (sp SinkPolicy) configPolicy(apiServerHosts ...string) config.Policy {
	var opts []deliver.EgressOption
	if sp.Resolver != nil {
		opts = append(opts, deliver.WithResolver(sp.Resolver))
	}
	api, _ := deliver.AddrPrefixes(apiServerHosts...)
	deny := deliver.DefaultTenantDeny()
	deny = append(deny, api...)
	deny = append(deny, sp.APIServer...)
	deny = append(deny, sp.TenantEgressDeny...)
	p := config.Policy{
		TenantEgress:                    deliver.NewEgressPolicy(deny, sp.TenantEgressAllow, opts...),
		TenantAllowInsecureTLS:          sp.TenantAllowInsecureTLS,
		TenantAllowPlaintextCredentials: sp.TenantAllowPlaintextCredentials,
	}
	if len(sp.ClusterEgressDeny) > 0 {
		p.ClusterEgress = deliver.NewEgressPolicy(sp.ClusterEgressDeny, nil, opts...)
	}
	return p
}

// Pipeline is the running provider, exposed for tests and benchmarks that
// need to look inside.
type Pipeline struct {
	Catalog    *catalog.Catalog
	Ledger     *ledger.Ledger
	Dispatcher *dispatch.Dispatcher
	Discovery  *discovery.Engine
}

// ReadyCheck is the readiness probe of a replica: the elected leader is
// ready once its ledger is loaded and discovery has listed every watched
// cluster kind, so a rollout waits for the new replica to know where it
// stands; a standby replica is ready at once, since it serves nothing until
// it is elected, and holding it unready would stall a rollout behind the
// leader it is meant to replace. elected is closed once this replica
// leads (at once without leader election): the manager's Elected().
func (p *Pipeline) ReadyCheck(elected <-chan struct{}) healthz.Checker {
	return func(*http.Request) error {
		select {
		case <-elected:
		default:
			return nil
		}
		if !p.Ledger.Loaded() {
			return errors.New(errNotLoaded)
		}
		if !p.Discovery.Synced() {
			return errors.New(errNotSynced)
		}
		return nil
	}
}

// Backoff of reading the ledgers at start.
const (
	loadRetryFirst = 500 * time.Millisecond
	loadRetryMax   = 30 * time.Second
)

// load reads the ledgers, retrying with backoff until it succeeds (true)
// or ctx ends (false): a failed read (the API server restarting, priority
// and fairness throttling) is no reason to exit, and nothing may be
// recorded or sent before the ledgers are known.
func load(ctx context.Context, lg *ledger.Ledger, log logging.Logger) bool {
	wait := loadRetryFirst
	for {
		err := lg.Load(ctx)
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		log.Info("Cannot read the ledgers; retrying before recording or sending anything", "error", err, "retry-in", wait.String())
		select {
		case <-ctx.Done():
			return false
		case <-time.After(wait):
		}
		wait = min(2*wait, loadRetryMax)
	}
}

// Readiness errors.
const (
	errNotLoaded = "the ledger has not been read yet"
	errNotSynced = "discovery has not listed every watched cluster kind yet"
)

// writeWindow is the ledger's coalescing window for an option's value.
func writeWindow(d time.Duration) time.Duration {
	switch {
	case d == 0:
		return ledger.DefaultCoalesce
	case d < 0:
		return 0
	}
	return d
}

// Setup adds everything provider-cdevents runs to mgr.
func Setup(mgr ctrl.Manager, o Options) error {
	_, err := SetupPipeline(mgr, o)
	return err
}

// SetupPipeline adds everything provider-cdevents runs to mgr and returns
// its parts.
func SetupPipeline(mgr ctrl.Manager, o Options) (*Pipeline, error) {
	if o.CursorFlushInterval <= 0 {
		o.CursorFlushInterval = DefaultCursorFlushInterval
	}
	if o.DeliveryWorkers <= 0 {
		o.DeliveryWorkers = 16
	}
	if o.ControlPlaneName == "" {
		o.ControlPlaneName = "crossplane"
	}
	if o.Registerer == nil {
		o.Registerer = prometheus.NewRegistry()
	}
	log := o.Logger

	lcfg := o.LedgerConfig
	if lcfg == nil {
		lcfg = mgr.GetConfig()
	}
	kube, err := client.New(lcfg, client.Options{Scheme: mgr.GetScheme(), Mapper: ledger.RESTMapper()})
	if err != nil {
		return nil, errors.Wrap(err, "cannot create ledger client")
	}

	cat := catalog.New()
	lmetrics, err := ledger.NewMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	lg := ledger.New(kube, kube,
		ledger.WithLogger(log.WithValues("component", "ledger")),
		ledger.WithControlPlaneName(o.ControlPlaneName),
		ledger.WithRetention(o.LedgerRetention),
		ledger.WithMetrics(lmetrics),
		ledger.WithCoalesce(writeWindow(o.LedgerWriteWindow)),
		ledger.WithSendBeforeRecorded(!o.RecordBeforeSend),
	)
	builder, err := cdevent.NewBuilder()
	if err != nil {
		return nil, errors.Wrap(err, "cannot create CDEvents builder")
	}
	metrics, err := deliver.NewMetrics(o.Registerer)
	if err != nil {
		return nil, errors.Wrap(err, "cannot register delivery metrics")
	}
	d := dispatch.New(lg, builder,
		dispatch.WithLogger(log.WithValues("component", "delivery")),
		dispatch.WithWorkers(o.DeliveryWorkers),
		dispatch.WithMetrics(metrics),
		dispatch.WithDefaultSource("/crossplane/"+o.ControlPlaneName),
	)
	lg.SetNotifier(d)
	lg.SetRouter(d)
	if err := o.Registerer.Register(dispatch.NewCollector(d)); err != nil {
		return nil, errors.Wrap(err, "cannot register delivery lag metrics")
	}

	// Discovery tells the ClusterKind controller when the kinds it watches
	// change; changes that come while one is pending are told once.
	kindsChanged := make(chan struct{}, 1)
	eng, err := discovery.New(lcfg, cat, lg,
		discovery.WithLogger(log.WithValues("component", "discovery")),
		discovery.WithRegisterer(o.Registerer),
		discovery.WithOnChange(func() {
			select {
			case kindsChanged <- struct{}{}:
			default:
			}
		}),
	)
	if err != nil {
		return nil, errors.Wrap(err, "cannot create discovery")
	}

	// The ledger is read before discovery starts, so objects seen at start
	// are compared with what was recorded before a restart; and the
	// configs that exist are reconciled first, so clusters are judged with
	// their sinks' signals from the first observation.
	gate := newConfigGate()
	if err := mgr.Add(manager.RunnableFunc(func(ctx context.Context) error {
		if !load(ctx, lg, log) {
			return nil // Stopped before the ledgers could be read.
		}
		errs := make(chan error, 3)
		go func() { errs <- lg.Run(ctx, o.CursorFlushInterval) }()
		go func() { errs <- d.Start(ctx) }()
		go func() {
			gate.wait(ctx, mgr.GetAPIReader(), DefaultConfigWait, log.WithValues("component", "discovery"))
			errs <- eng.Start(ctx)
		}()
		var first error
		for range 3 {
			if err := <-errs; err != nil && first == nil {
				first = err
			}
		}
		return first
	})); err != nil {
		return nil, errors.Wrap(err, "cannot add the provider pipeline")
	}

	policy := o.Sinks.configPolicy(mgr.GetConfig().Host, lcfg.Host)
	log.Info("Egress policy for the sinks of namespaced ProviderConfigs", "deny", fmt.Sprint(policy.TenantEgress.Deny()), "allow", fmt.Sprint(policy.TenantEgress.Allow()),
		"allow-insecure-tls", policy.TenantAllowInsecureTLS, "allow-plaintext-credentials", policy.TenantAllowPlaintextCredentials)
	if policy.ClusterEgress != nil {
		log.Info("Egress policy for the sinks of ClusterProviderConfigs", "deny", fmt.Sprint(policy.ClusterEgress.Deny()))
	}
	if err := config.Setup(mgr, o.Options, d, eng, policy, config.WithReconciled(gate.reconciled), config.WithFiguresEvery(o.StatusFiguresInterval)); err != nil {
		return nil, err
	}
	if err := clusterkind.Setup(mgr, o.Options, cat, eng, kindsChanged); err != nil {
		return nil, errors.Wrap(err, "cannot set up ClusterKind controller")
	}
	return &Pipeline{Catalog: cat, Ledger: lg, Dispatcher: d, Discovery: eng}, nil
}
