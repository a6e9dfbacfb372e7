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

package provider

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
)

// Options are everything an administrator may set about the provider: the
// values of its flags. Every program that runs the provider fills one and
// hands it to New, so a new flag reaches all of them at once.
type Options struct {
	// Debug logs at debug level, controller-runtime's logs included.
	Debug bool
	// Kubeconfig is the path of a kubeconfig; empty follows $KUBECONFIG,
	// the in-cluster config, then ~/.kube/config.
	Kubeconfig string
	// LeaderElection turns leader election on or off; nil leaves it on in
	// a cluster and off against a kubeconfig.
	LeaderElection *bool
	// LeaderElectionNamespace holds the leader election Lease.
	LeaderElectionNamespace string
	// SyncInterval is how often controllers resync what they watch.
	SyncInterval time.Duration
	// MaxReconcileRate is the most reconciles per second of the
	// provider's own kinds; the manager's API client may make five times
	// as many requests.
	MaxReconcileRate int
	// MetricsBindAddress serves Prometheus metrics; "0" turns them off.
	MetricsBindAddress string
	// MetricsSecure serves metrics over HTTPS behind Kubernetes
	// authentication and authorization.
	MetricsSecure bool
	// MetricsCertDir holds tls.crt and tls.key for MetricsSecure.
	MetricsCertDir string
	// HealthProbeBindAddress serves /healthz and /readyz; "0" turns them
	// off.
	HealthProbeBindAddress string
	// ControlPlaneName names this control plane in subject ids.
	ControlPlaneName string
	// LedgerRetention is how long a deleted cluster's ledger is kept.
	LedgerRetention time.Duration
	// DeliveryWorkers is the number of concurrent deliveries per sink.
	DeliveryWorkers int
	// CursorFlushInterval is how often delivery progress is persisted.
	CursorFlushInterval time.Duration
	// StatusFiguresInterval is how often, at most, a config's status is
	// written only because its delivery figures changed.
	StatusFiguresInterval time.Duration
	// LedgerWriteWindow is how long a ledger write may wait for the sinks
	// to take the transitions it records.
	LedgerWriteWindow time.Duration
	// RecordBeforeSend sends a transition only once its ledger write has
	// landed.
	RecordBeforeSend bool
	// TenantEgressDeny are CIDRs the sinks of namespaced ProviderConfigs
	// may not reach, besides the built-in denials.
	TenantEgressDeny []netip.Prefix
	// TenantEgressAllow are CIDRs those sinks may reach even when denied.
	TenantEgressAllow []netip.Prefix
	// ClusterEgressDeny are CIDRs the sinks of ClusterProviderConfigs may
	// not reach.
	ClusterEgressDeny []netip.Prefix
	// TenantAllowInsecureTLS lets namespaced ProviderConfigs turn TLS
	// verification off.
	TenantAllowInsecureTLS bool
	// TenantAllowPlaintextCredentials lets namespaced ProviderConfigs send
	// credentials to http:// sinks.
	TenantAllowPlaintextCredentials bool
}

// DefaultOptions are the provider's defaults, those its flags show.
func DefaultOptions() Options {
	return Options{
		LeaderElectionNamespace: "crossplane-system",
		SyncInterval:            time.Hour,
		MaxReconcileRate:        10,
		MetricsBindAddress:      ":8080",
		HealthProbeBindAddress:  ":8081",
		ControlPlaneName:        "crossplane",
		LedgerRetention:         24 * time.Hour,
		DeliveryWorkers:         16,
		CursorFlushInterval:     controller.DefaultCursorFlushInterval,
		StatusFiguresInterval:   controller.DefaultStatusFiguresInterval,
		LedgerWriteWindow:       ledger.DefaultCoalesce,
	}
}

// AddFlags adds the provider's flags to app. Each defaults to the value o
// holds when AddFlags is called, and parsing app fills o.
func (o *Options) AddFlags(app *kingpin.Application) {
	app.Flag("debug", "Log at debug level, including controller-runtime's own logs.").Short('d').Default(strconv.FormatBool(o.Debug)).BoolVar(&o.Debug)
	orEmpty(app.Flag("kubeconfig", "Path to a kubeconfig. Defaults to $KUBECONFIG, then the in-cluster config, then ~/.kube/config."), o.Kubeconfig).StringVar(&o.Kubeconfig)
	// Crossplane does not set LEADER_ELECTION for providers, and a
	// package upgrade runs the new pod before the old one is gone: in a
	// cluster, leader election must be on unless asked otherwise, so that
	// two pods never record and deliver at once.
	app.Flag("leader-election", "Elect a leader with a Lease, so that only one replica (and only one pod during an upgrade) records and delivers events. On by default when running in a cluster, off when running against a kubeconfig.").
		Short('l').Envar("LEADER_ELECTION").SetValue(&optionalBool{v: &o.LeaderElection})
	app.Flag("leader-election-namespace", "Namespace of the leader election Lease; needed when running outside a cluster.").Default(o.LeaderElectionNamespace).StringVar(&o.LeaderElectionNamespace)
	app.Flag("sync", "How often controllers resync everything they watch.").Short('s').Default(duration(o.SyncInterval)).DurationVar(&o.SyncInterval)
	app.Flag("max-reconcile-rate", "Maximum reconciles per second of the provider's own kinds (configs and ClusterKinds).").Default(strconv.Itoa(o.MaxReconcileRate)).IntVar(&o.MaxReconcileRate)
	app.Flag("metrics-bind-address", "Address the Prometheus metrics endpoint binds to; 0 disables it.").Default(o.MetricsBindAddress).StringVar(&o.MetricsBindAddress)
	app.Flag("health-probe-bind-address", "Address the health and readiness probes bind to; 0 disables them.").Default(o.HealthProbeBindAddress).StringVar(&o.HealthProbeBindAddress)
	app.Flag("control-plane-name", "Name of this control plane in CDEvents subject ids and the default source. Keep it stable: ids derive from it.").Default(o.ControlPlaneName).StringVar(&o.ControlPlaneName)
	app.Flag("ledger-retention", "How long the ledger of a deleted cluster is kept after every sink received its deleted event.").Default(duration(o.LedgerRetention)).DurationVar(&o.LedgerRetention)
	app.Flag("delivery-workers", "Concurrent deliveries per sink. Events of one cluster are always delivered in order.").Default(strconv.Itoa(o.DeliveryWorkers)).IntVar(&o.DeliveryWorkers)
	app.Flag("cursor-flush-interval", "How often delivery progress that did not ride a ledger write is written to the ledgers. After a crash, at most this much delivery is re-sent, with the same ids.").Default(duration(o.CursorFlushInterval)).DurationVar(&o.CursorFlushInterval)
	app.Flag("status-figures-interval", "How often, at most, a provider config's status is written only because its delivery figures (events delivered and pending, the latest delivery) changed. Conditions, errors, the clusters it receives, and whether the sink is caught up are written within 10s whatever it is.").Default(duration(o.StatusFiguresInterval)).DurationVar(&o.StatusFiguresInterval)
	app.Flag("ledger-write-window", "How long a ledger write may wait for the sinks to take the transitions it records, so that they and the delivery progress land in one write. Transitions are sent meanwhile; the README says what a crash in this window can cost.").Default(duration(o.LedgerWriteWindow)).DurationVar(&o.LedgerWriteWindow)
	app.Flag("record-before-send", "Send a transition only once its ledger write has landed, instead of while it is in flight: no crash window, at the cost of a write on every event's delivery path and of separate progress writes.").Default(strconv.FormatBool(o.RecordBeforeSend)).BoolVar(&o.RecordBeforeSend)

	app.Flag("metrics-secure", "Serve metrics over HTTPS, only to clients that authenticate with a Kubernetes token and may get the /metrics non-resource URL (TokenReview and SubjectAccessReview).").Default(strconv.FormatBool(o.MetricsSecure)).BoolVar(&o.MetricsSecure)
	orEmpty(app.Flag("metrics-cert-dir", "Directory holding tls.crt and tls.key for --metrics-secure; a self-signed certificate is used when they are missing."), o.MetricsCertDir).StringVar(&o.MetricsCertDir)

	app.Flag("tenant-egress-deny", "Comma-separated CIDRs the sinks of namespaced ProviderConfigs may not reach, in addition to loopback, link-local, unspecified addresses and the API server's addresses, which are always denied.").SetValue(&prefixes{v: &o.TenantEgressDeny})
	app.Flag("tenant-egress-allow", "Comma-separated CIDRs the sinks of namespaced ProviderConfigs may reach even when denied; allow wins over deny, including the built-in denials.").SetValue(&prefixes{v: &o.TenantEgressAllow})
	app.Flag("cluster-egress-deny", "Comma-separated CIDRs the sinks of ClusterProviderConfigs may not reach. Empty: no limit.").SetValue(&prefixes{v: &o.ClusterEgressDeny})
	app.Flag("tenant-allow-insecure-tls", "Let namespaced ProviderConfigs turn TLS certificate verification off (insecureSkipVerify).").Default(strconv.FormatBool(o.TenantAllowInsecureTLS)).BoolVar(&o.TenantAllowInsecureTLS)
	app.Flag("tenant-allow-plaintext-credentials", "Let namespaced ProviderConfigs send credentials to http:// sinks.").Default(strconv.FormatBool(o.TenantAllowPlaintextCredentials)).BoolVar(&o.TenantAllowPlaintextCredentials)
}

// leaderElection says whether to elect a leader: as set, or else only in a
// cluster.
func (o Options) leaderElection(inCluster bool) bool {
	if o.LeaderElection == nil {
		return inCluster
	}
	return *o.LeaderElection
}

// sinkPolicy is the administrator's policy for sinks, as the flags set it.
// The API server's addresses are added by New.
func (o Options) sinkPolicy() controller.SinkPolicy {
	return controller.SinkPolicy{
		TenantEgressDeny:                o.TenantEgressDeny,
		TenantEgressAllow:               o.TenantEgressAllow,
		ClusterEgressDeny:               o.ClusterEgressDeny,
		TenantAllowInsecureTLS:          o.TenantAllowInsecureTLS,
		TenantAllowPlaintextCredentials: o.TenantAllowPlaintextCredentials,
	}
}

// orEmpty defaults f to v unless v is empty, so that help shows no empty
// default.
func orEmpty(f *kingpin.FlagClause, v string) *kingpin.FlagClause {
	if v == "" {
		return f
	}
	return f.Default(v)
}

// duration writes a default the way a person would: 1h, not 1h0m0s.
func duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// optionalBool is a boolean flag that may be left unset, so that its
// default can depend on where the provider runs. Like a kingpin Bool it
// takes --flag, --no-flag and its environment variable (true, false, 1, 0
// ...).
type optionalBool struct {
	v **bool
}

// Set parses a value given on the command line or in the environment.
func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*b.v = &v
	return nil
}

// String says what was set; "auto" when nothing was.
func (b *optionalBool) String() string {
	if b.v == nil || *b.v == nil {
		return "auto"
	}
	return strconv.FormatBool(**b.v)
}

// IsBoolFlag makes kingpin accept --flag without a value, and --no-flag.
func (b *optionalBool) IsBoolFlag() bool { return true }

// prefixes is a flag holding comma-separated CIDRs; a bad entry is an error
// when the flags are parsed, never a policy that silently allows.
type prefixes struct {
	v *[]netip.Prefix
}

// Set parses a comma-separated list of CIDRs.
func (p *prefixes) Set(s string) error {
	l, err := deliver.ParseCIDRs(s)
	if err != nil {
		return err
	}
	*p.v = l
	return nil
}

// String joins the CIDRs with commas.
func (p *prefixes) String() string {
	if p.v == nil {
		return ""
	}
	s := make([]string, 0, len(*p.v))
	for _, c := range *p.v {
		s = append(s, c.String())
	}
	return strings.Join(s, ",")
}
