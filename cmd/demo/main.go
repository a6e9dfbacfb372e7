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

// Package main runs the local demo of provider-cdevents in one command,
// without Docker, a cloud account or a Crossplane install: it starts a
// local control plane (kube-apiserver and etcd), installs the provider's
// CRDs and those of the EKS, GKE and AKS cluster kinds, runs the provider
// and a CDEvents receiver in-process, points a ClusterProviderConfig at the
// receiver, and lets a simulated fleet of clusters live through creation,
// upgrade, an outage and deletion. Each event the receiver gets is printed
// as one line, and a web page shows a live timeline per cluster.
//
//	make demo                 # until Ctrl-C
//	DEMO_FOR=60s make demo    # bounded: exit 0 if events arrived
package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"go.uber.org/zap/zapcore"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	pcontroller "github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/provider"
	"github.com/crossplane-contrib/provider-cdevents/internal/receiver"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

const (
	errNoCRDs       = "cannot find the provider's CRDs in %s: run the demo from the repository root (make demo)"
	errListen       = "cannot listen on %s for the receiver (is another demo or receiver running? choose another with --listen)"
	errLogFile      = "cannot create the provider log file"
	errWriteCRDs    = "cannot write the cluster kinds' CRDs"
	errKubeconfig   = "cannot write the kubeconfig"
	errSetup        = "cannot set up the provider"
	errClient       = "cannot create a client for the local control plane"
	errConfig       = "cannot create the ClusterProviderConfig"
	errNotWatching  = "the provider did not start watching the cluster kinds in time"
	errNoEvents     = "no events were received in %s; the provider's log is %s"
	errFleet        = "the simulated fleet stopped"
	providerName    = "demo"
	providerCfgName = "demo-receiver"
)

// options are the demo's flags.
type options struct {
	listen    string
	runFor    time.Duration
	interval  time.Duration
	rounds    int
	keep      bool
	incidents bool
	crdDir    string
	stateDir  string
	// provider are the provider's own flags.
	provider provider.Options
}

func main() {
	app := kingpin.New("demo", "Runs provider-cdevents against a local control plane and a simulated fleet of EKS, GKE and AKS clusters, with a live timeline page.").DefaultEnvars()
	o := options{provider: demoDefaults()}
	app.Flag("listen", "Address of the in-process CDEvents receiver and its timeline page.").Default("127.0.0.1:8090").StringVar(&o.listen)
	app.Flag("for", "Run this long, then exit: 0 if events were received, 1 otherwise. 0 runs until Ctrl-C.").Default("0s").DurationVar(&o.runFor)
	app.Flag("interval", "Time between two steps of a simulated cluster's story.").Default("4s").DurationVar(&o.interval)
	app.Flag("rounds", "How many times the fleet lives its story; 0 repeats it until the demo stops.").Default("1").IntVar(&o.rounds)
	app.Flag("keep-clusters", "Do not delete the simulated clusters at the end of their story, so kubectl can look at them.").BoolVar(&o.keep)
	app.Flag("incidents", "Also emit incident.detected and incident.resolved CDEvents on outages.").BoolVar(&o.incidents)
	app.Flag("crds", "Directory of the provider's CRDs.").Default("package/crds").StringVar(&o.crdDir)
	app.Flag("state-dir", "Where the kubeconfig and the provider's log are written.").Default(".cache/demo").StringVar(&o.stateDir)
	o.provider.AddFlags(app)
	// The demo runs its own control plane.
	app.GetFlag("kubeconfig").Hidden()
	kingpin.MustParse(app.Parse(os.Args[1:]))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code, err := run(ctx, stop, o, os.Stdout)
	if err != nil {
		fmt.Fprintf(os.Stderr, "demo: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// say prints a progress line of the demo itself.
func say(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, "==> "+format+"\n", args...)
}

// run runs the demo until ctx is done or o.runFor passed, and returns the
// exit code. Everything it starts is stopped before it returns.
func run(ctx context.Context, stopSignals func(), o options, out io.Writer) (int, error) {
	started := time.Now()
	out = &syncWriter{w: out}
	if _, err := os.Stat(o.crdDir); err != nil {
		return 1, errors.Errorf(errNoCRDs, o.crdDir)
	}
	if o.runFor > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.runFor)
		defer cancel()
	}

	// Listen first: a busy port is the most likely failure, and the
	// quickest to report.
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return 1, errors.Wrapf(err, errListen, o.listen)
	}
	defer l.Close()

	if err := os.MkdirAll(o.stateDir, 0o750); err != nil {
		return 1, errors.Wrap(err, errLogFile)
	}
	logPath := filepath.Join(o.stateDir, "provider.log")
	logFile, err := os.Create(filepath.Clean(logPath))
	if err != nil {
		return 1, errors.Wrap(err, errLogFile)
	}
	defer logFile.Close()
	log := newLogger(logFile, o.provider.Debug)

	say(out, "Starting the local control plane (kube-apiserver and etcd from %s)", os.Getenv(testenv.AssetsEnv))
	t := time.Now()
	clusterCRDs, err := writeClusterCRDs(o.stateDir)
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(clusterCRDs)
	env, cfg, err := testenv.Start(o.crdDir, clusterCRDs)
	if err != nil {
		return 1, err
	}
	defer stopControlPlane(out, env)
	cfg.WarningHandler = rest.NoWarnings{}
	say(out, "Control plane up in %s; installed the provider's CRDs and the EKS, GKE and AKS cluster CRDs", since(t))

	kubeconfig, err := filepath.Abs(filepath.Join(o.stateDir, "kubeconfig"))
	if err != nil {
		return 1, errors.Wrap(err, errKubeconfig)
	}
	if err := writeKubeconfig(cfg, kubeconfig); err != nil {
		return 1, err
	}
	defer os.Remove(kubeconfig)

	// The receiver, in-process.
	rcv, err := receiver.New(
		receiver.WithLogger(log.WithValues("component", "receiver")),
		receiver.WithPrinter(&prefixWriter{w: out, prefix: "event  "}),
	)
	if err != nil {
		return 1, err
	}
	rctx, stopReceiver := context.WithCancel(context.WithoutCancel(ctx))
	defer stopReceiver()
	rdone := make(chan error, 1)
	go func() { rdone <- receiver.Serve(rctx, l, rcv.Handler()) }()
	sinkURL := "http://" + l.Addr().String() + "/"

	// The provider, in-process.
	pctx, stopProvider := context.WithCancel(context.WithoutCancel(ctx))
	defer stopProvider()
	p, mgrDone, err := startProvider(pctx, cfg, log, o.provider)
	if err != nil {
		return 1, err
	}
	say(out, "Provider started (log: %s)", logPath)

	kube, err := client.New(cfg, client.Options{Scheme: p.Manager.GetScheme()})
	if err != nil {
		return 1, errors.Wrap(err, errClient)
	}
	if err := createProviderConfig(ctx, kube, sinkURL, o.incidents); err != nil {
		return 1, err
	}
	say(out, "ClusterProviderConfig %s sends CDEvents to the receiver at %s", providerCfgName, sinkURL)

	fleet := fleetsim.DefaultFleet()
	if err := waitWatching(ctx, p.Pipeline, fleet); err != nil {
		return 1, err
	}

	_, _ = fmt.Fprintf(out, "\n    Timeline page:  http://%s/\n", l.Addr())
	_, _ = fmt.Fprintf(out, "    Inventory:      kubectl --kubeconfig %s get observedclusters\n", kubeconfig)
	_, _ = fmt.Fprintf(out, "    Clusters:       kubectl --kubeconfig %s get managed -A\n", kubeconfig)
	if o.runFor > 0 {
		_, _ = fmt.Fprintf(out, "    Running for %s (started %s ago); Ctrl-C stops earlier.\n\n", o.runFor, since(started))
	} else {
		_, _ = fmt.Fprintf(out, "    Running until Ctrl-C.\n\n")
	}

	fleetErr := playFleet(ctx, cfg, fleet, o, out, log)
	if fleetErr == nil && ctx.Err() == nil {
		say(out, "The fleet's story is over; the page stays up. Ctrl-C to stop.")
	}
	<-ctx.Done()
	// From here on, a second Ctrl-C kills the demo at once.
	stopSignals()

	_, _ = fmt.Fprintln(out)
	printInventory(context.WithoutCancel(ctx), out, kube)
	stats := rcv.Store().Stats()
	printSummary(out, rcv.Store().Since(0), stats)

	stopProvider()
	if err := <-mgrDone; err != nil {
		say(out, "The provider stopped with an error: %v", err)
	}
	stopReceiver()
	if err := <-rdone; err != nil {
		say(out, "The receiver stopped with an error: %v", err)
	}

	if fleetErr != nil && !errors.Is(fleetErr, context.Canceled) && !errors.Is(fleetErr, context.DeadlineExceeded) {
		return 1, errors.Wrap(fleetErr, errFleet)
	}
	if stats.Received == 0 {
		return 1, errors.Errorf(errNoEvents, since(started), logPath)
	}
	return 0, nil
}

// playFleet plays the fleet's story o.rounds times (0: until ctx is done)
// and prints each step.
func playFleet(ctx context.Context, cfg *rest.Config, fleet []fleetsim.Cluster, o options, out io.Writer, log logging.Logger) error {
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return errors.Wrap(err, errClient)
	}
	if o.keep {
		for i := range fleet {
			script := fleet[i].Script
			if len(script) == 0 {
				script = fleetsim.FullScript()
			}
			fleet[i].Script = slices.DeleteFunc(slices.Clone(script), func(s fleetsim.Step) bool { return s == fleetsim.StepDelete })
		}
	}
	sim := fleetsim.New(dyn,
		fleetsim.WithLogger(log.WithValues("component", "fleet")),
		fleetsim.WithInterval(o.interval),
		fleetsim.WithProgress(func(c fleetsim.Cluster, s fleetsim.Step) {
			_, _ = fmt.Fprintf(out, "fleet  %s  %-24s %s\n", time.Now().UTC().Format(time.RFC3339), c.String(), describe(c, s))
		}),
	)
	for round := 1; o.rounds == 0 || round <= o.rounds; round++ {
		if round > 1 {
			if err := sleepCtx(ctx, 2*o.interval); err != nil {
				return err
			}
		}
		if err := sim.Run(ctx, fleet); err != nil {
			return err
		}
		if o.keep {
			// Kept clusters cannot be created again.
			return nil
		}
	}
	return nil
}

// describe says what a step did, for the fleet's lines.
func describe(c fleetsim.Cluster, s fleetsim.Step) string {
	kind := map[fleetsim.Flavor]string{
		fleetsim.FlavorEKS: "EKS", fleetsim.FlavorEKSNamespaced: "EKS (namespaced)",
		fleetsim.FlavorGKE: "GKE", fleetsim.FlavorAKS: "AKS",
	}[c.Flavor]
	switch s {
	case fleetsim.StepCreate:
		return fmt.Sprintf("%s cluster requested in %s (Kubernetes %s)", kind, c.Region, c.Version)
	case fleetsim.StepReady:
		return "cloud finished creating it: Ready"
	case fleetsim.StepUpgrade:
		return fmt.Sprintf("control plane upgraded %s -> %s", c.Version, c.UpgradeTo)
	case fleetsim.StepDegrade:
		if c.Flavor == fleetsim.FlavorEKS || c.Flavor == fleetsim.FlavorEKSNamespaced {
			return "cloud reports the cluster FAILED"
		}
		return "cluster vanished from the cloud; the provider creates it again"
	case fleetsim.StepRecover:
		return "healthy again"
	case fleetsim.StepDelete:
		return "deleted"
	case fleetsim.StepOutOfSync:
		return fmt.Sprintf("provider cannot reconcile it (Synced False, still Ready) for %s", c.Holds[s])
	case fleetsim.StepInSync:
		return "provider reconciles it again (Synced True)"
	case fleetsim.StepFlap:
		n := c.Flaps
		if n <= 0 {
			n = fleetsim.DefaultFlaps
		}
		return fmt.Sprintf("cloud reports it FAILED and ACTIVE again, %d times in a row", n)
	}
	return string(s)
}

func newLogger(w io.Writer, debug bool) logging.Logger {
	lvl := zapcore.InfoLevel
	if debug {
		lvl = zapcore.DebugLevel
	}
	zl := zap.New(zap.WriteTo(w), zap.Level(lvl))
	// controller-runtime and client-go log here too, not on the terminal.
	ctrl.SetLogger(zl)
	klog.SetLogger(zl)
	return logging.NewLogrLogger(zl.WithName("provider-cdevents"))
}

// demoDefaults are the provider's defaults, but for what suits a demo on
// a laptop: subject ids under /demo, delivery progress persisted every
// second so the inventory printed at the end is current, and no metrics or
// probe endpoints to collide with anything else listening there (the flags
// turn them on).
func demoDefaults() provider.Options {
	o := provider.DefaultOptions()
	o.ControlPlaneName = providerName
	o.CursorFlushInterval = time.Second
	o.MetricsBindAddress = "0"
	o.HealthProbeBindAddress = "0"
	return o
}

// startProvider puts the provider together exactly as cmd/provider does,
// from the provider's flags, and runs it against the local control plane.
func startProvider(ctx context.Context, cfg *rest.Config, log logging.Logger, o provider.Options) (*provider.Provider, <-chan error, error) {
	p, err := provider.New(ctx, o, provider.WithRESTConfig(cfg), provider.WithLogger(log))
	if err != nil {
		return nil, nil, errors.Wrap(err, errSetup)
	}
	done := make(chan error, 1)
	go func() { done <- p.Start(ctx) }()
	return p, done, nil
}

// createProviderConfig points a ClusterProviderConfig at the receiver.
func createProviderConfig(ctx context.Context, kube client.Client, url string, incidents bool) error {
	pc := &v1alpha1.ClusterProviderConfig{
		ObjectMeta: metav1.ObjectMeta{Name: providerCfgName},
		Spec: v1alpha1.ProviderConfigSpec{
			Sink:     v1alpha1.Sink{URL: url},
			CDEvents: &v1alpha1.CDEventsOptions{Incidents: incidents},
			// The shortest threshold and window the API allows, so the
			// flaky cluster's story shows them within minutes.
			Signals: &v1alpha1.Signals{
				OutOfSyncAfter: &metav1.Duration{Duration: time.Minute},
				Flapping:       &v1alpha1.FlapDamping{Transitions: 3, Window: metav1.Duration{Duration: time.Minute}},
			},
		},
	}
	return errors.Wrap(kube.Create(ctx, pc), errConfig)
}

// waitWatching waits until the provider watches every kind of the fleet,
// so that it sees each cluster's story from the start.
func waitWatching(ctx context.Context, pipe *pcontroller.Pipeline, fleet []fleetsim.Cluster) error {
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		all := pipe.Discovery.Synced()
		for _, c := range fleet {
			if !pipe.Discovery.IsWatching(c.Flavor.GroupKind()) {
				all = false
			}
		}
		if all {
			return nil
		}
		if err := sleepCtx(wctx, 100*time.Millisecond); err != nil {
			return errors.Wrap(err, errNotWatching)
		}
	}
}

// writeClusterCRDs writes the cluster kinds' CRDs, which are embedded in
// the binary, to a new directory under dir for the control plane to
// install, and returns it.
func writeClusterCRDs(dir string) (string, error) {
	crds, err := fixtures.CRDs()
	if err != nil {
		return "", err
	}
	out, err := os.MkdirTemp(dir, "crds-")
	if err != nil {
		return "", errors.Wrap(err, errWriteCRDs)
	}
	for _, crd := range crds {
		b, err := yaml.Marshal(crd)
		if err != nil {
			return "", errors.Wrap(err, errWriteCRDs)
		}
		if err := os.WriteFile(filepath.Join(out, crd.Name+".yaml"), b, 0o600); err != nil {
			return "", errors.Wrap(err, errWriteCRDs)
		}
	}
	return out, nil
}

// writeKubeconfig writes a kubeconfig for the local control plane.
func writeKubeconfig(cfg *rest.Config, path string) error {
	kc := clientcmdapi.NewConfig()
	kc.Clusters[providerName] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos[providerName] = &clientcmdapi.AuthInfo{
		ClientCertificateData: cfg.CertData,
		ClientKeyData:         cfg.KeyData,
		Token:                 cfg.BearerToken,
	}
	kc.Contexts[providerName] = &clientcmdapi.Context{Cluster: providerName, AuthInfo: providerName}
	kc.CurrentContext = providerName
	return errors.Wrap(clientcmd.WriteToFile(*kc, path), errKubeconfig)
}

func stopControlPlane(out io.Writer, env *envtest.Environment) {
	t := time.Now()
	if err := env.Stop(); err != nil {
		say(out, "Stopping the control plane: %v", err)
		return
	}
	say(out, "Control plane stopped in %s", since(t))
}

// printInventory prints the ObservedClusters, as kubectl get would.
func printInventory(ctx context.Context, out io.Writer, kube client.Client) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	l := &v1alpha1.ObservedClusterList{}
	if err := kube.List(ctx, l); err != nil {
		say(out, "Cannot list ObservedClusters: %v", err)
		return
	}
	say(out, "ObservedClusters (kubectl get observedclusters)")
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	_, _ = fmt.Fprintln(tw, "NAME\tPROVIDER\tKIND\tCLUSTER\tPHASE\tVERSION\tREGION")
	for _, oc := range l.Items {
		s := oc.Status
		_, _ = fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", oc.Name, s.Provider, s.ShortKind, s.Environment.Name, s.Phase, s.Facts.KubernetesVersion, s.Facts.Region)
	}
	_ = tw.Flush()
	_, _ = fmt.Fprintln(out)
}

// printSummary prints the lifecycles received per cluster.
func printSummary(out io.Writer, events []receiver.Event, st receiver.Stats) {
	say(out, "Received %d CDEvents (%d redelivered, ignored)", st.Received, st.Duplicates)
	byTimeline := map[string][]string{}
	names := map[string]string{}
	var order []string
	for _, e := range events {
		if _, ok := byTimeline[e.Timeline]; !ok {
			order = append(order, e.Timeline)
		}
		lc := e.Lifecycle
		if lc == "" {
			lc = e.ShortType()
		}
		byTimeline[e.Timeline] = append(byTimeline[e.Timeline], lc)
		names[e.Timeline] = e.Cluster()
	}
	sort.SliceStable(order, func(i, j int) bool { return names[order[i]] < names[order[j]] })
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, tl := range order {
		_, _ = fmt.Fprintf(tw, "    %s\t%s\n", names[tl], strings.Join(byTimeline[tl], " -> "))
	}
	_ = tw.Flush()
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// syncWriter serializes writes from the receiver, the fleet and the demo,
// so their lines never interleave.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// prefixWriter prefixes every line written to it.
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	buf := strings.Builder{}
	for _, l := range lines {
		if l != "" {
			buf.WriteString(p.prefix + l)
		}
	}
	if _, err := io.WriteString(p.w, buf.String()); err != nil {
		return 0, err
	}
	return len(b), nil
}
