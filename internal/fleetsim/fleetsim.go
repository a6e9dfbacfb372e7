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

// Package fleetsim is a simulation of cloud providers, and the one place
// that writes simulated cluster objects for the demo, the tests and the
// benchmarks: it plays what provider-upjet-aws, -gcp and -azure do to their
// cluster objects while a Kubernetes cluster is created, becomes ready, is
// upgraded, fails and recovers, and is deleted, compressed into seconds.
// No cloud is called and no real provider runs: the simulator writes the
// objects itself, through the API server, exactly where and how those
// providers write them, so that provider-cdevents sees what it would see
// in production.
//
// Three ways to drive it, all writing the same objects and status:
//
//   - A Simulator plays whole stories (Scripts of Steps) of a fleet, in
//     real time: the demo.
//   - A Lifecycle writes one step of one object at a time, at times the
//     caller chooses: the integration tests. Clusters writes any kind,
//     with SetCondition, SetField and Annotate for what a test needs.
//   - A Fleet creates thousands of ready EKS clusters and flips their cloud
//     state with one API call per write: the benchmarks.
//
// What is written, and by whom in real life:
//
//   - The user creates the object (spec.forProvider, providerConfigRef),
//     later changes the requested Kubernetes version, and finally deletes it.
//   - The managed reconciler of crossplane-runtime sets the external-name
//     and its finalizer, writes crossplane.io/external-create-pending just
//     before and crossplane.io/external-create-succeeded just after the
//     create call (annotations, with Update), then Ready=False/Creating and
//     Synced=True/ReconcileSuccess (status subresource); on delete it writes
//     Ready=False/Deleting and removes its finalizer once the cloud resource
//     is gone. Every condition carries the object's generation.
//   - Upjet runs creates, updates and deletes asynchronously: it records
//     LastAsyncOperation=True/Success when one finishes, and Observe then
//     fills status.atProvider and sets Ready=True/Available. Upjet sets
//     Ready=True whenever the resource exists; it never sets Unavailable.
//
// Degradation differs by flavor, because upjet has no way to report an
// unhealthy cluster except through a cloud state field:
//
//   - EKS reports the cloud state in status.atProvider.status: the
//     simulator turns it FAILED while Ready stays True, then ACTIVE again.
//   - GKE and AKS have no such field (Terraform exposes none). The only
//     outage upjet can show for them is the cluster vanishing from the
//     cloud: Observe finds nothing, the managed reconciler creates it again
//     (new create annotations, Ready=False/Creating, no deletionTimestamp),
//     and Ready turns True once the new cluster exists, with a new endpoint.
package fleetsim

import (
	"context"
	"sync"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

const (
	errFmtUnknownFlavor = "unknown flavor %q"
	errFmtUnknownStep   = "unknown step %q"
	errFmtStep          = "cannot play step %s of %s"
	errFmtNoVersion     = "cluster %s has no version to upgrade to"
	errCreateNamespace  = "cannot create namespace"
	errCreate           = "cannot create the cluster object"
	errUpdate           = "cannot update the cluster object"
	errUpdateStatus     = "cannot update the cluster object's status"
	errDelete           = "cannot delete the cluster object"
	errFmtStillThere    = "cluster object %s is still there"
)

// A Step is one chapter of a cluster's story.
type Step string

// Steps, in the order a full script plays them.
const (
	// StepCreate: the user creates the object; the provider calls create.
	StepCreate Step = "create"
	// StepReady: the cloud finished creating; the cluster is ready.
	StepReady Step = "ready"
	// StepUpgrade: the user asks for a newer Kubernetes version; the cloud
	// upgrades the control plane.
	StepUpgrade Step = "upgrade"
	// StepDegrade: the cluster fails (EKS) or vanishes (GKE, AKS).
	StepDegrade Step = "degrade"
	// StepRecover: the cluster is healthy again.
	StepRecover Step = "recover"
	// StepDelete: the user deletes the object; the provider deletes the
	// cluster and removes its finalizer.
	StepDelete Step = "delete"

	// StepOutOfSync: the provider can no longer reconcile the cluster (its
	// credentials expired): Synced turns False while Ready stays True.
	StepOutOfSync Step = "out-of-sync"
	// StepInSync: the provider reconciles the cluster again.
	StepInSync Step = "in-sync"
	// StepFlap: the cluster degrades and recovers Flaps times in quick
	// succession.
	StepFlap Step = "flap"
)

// DefaultFlaps is how many times StepFlap degrades and recovers a cluster
// whose Flaps is zero.
const DefaultFlaps = 4

// FullScript is the whole story: create, ready, upgrade, degrade, recover,
// delete.
func FullScript() []Step {
	return []Step{StepCreate, StepReady, StepUpgrade, StepDegrade, StepRecover, StepDelete}
}

// A Cluster is one simulated cluster and its story.
type Cluster struct {
	// Flavor is the provider and kind.
	Flavor Flavor
	// Name of the object, also the cluster's name in the cloud.
	Name string
	// Namespace of the object; namespaced flavors only.
	Namespace string
	// Region or location.
	Region string
	// Version is the Kubernetes version the cluster is created with.
	Version string
	// UpgradeTo is the version StepUpgrade moves to.
	UpgradeTo string
	// Labels of the object, for sink selectors.
	Labels map[string]string
	// Script is the story to play; empty means FullScript.
	Script []Step
	// Flaps is how many times StepFlap degrades and recovers the cluster;
	// zero means DefaultFlaps.
	Flaps int
	// Holds keeps the cluster as a step left it for that much longer than
	// the simulator's interval before its next step: long enough, say, for
	// an out-of-sync cluster to pass a sink's threshold, or for a flapping
	// one to count as stable again.
	Holds map[Step]time.Duration
}

// String names the cluster as kubectl would.
func (c Cluster) String() string {
	if c.Namespace != "" {
		return c.Namespace + "/" + c.Name
	}
	return c.Name
}

// GroupVersionResource is where the cluster's object lives.
func (c Cluster) GroupVersionResource() (schema.GroupVersionResource, error) {
	f, ok := lookup(c.Flavor)
	if !ok {
		return schema.GroupVersionResource{}, errors.Errorf(errFmtUnknownFlavor, c.Flavor)
	}
	return f.gvr, nil
}

// DefaultFleet is the demo's fleet: one cluster of each flavor, the
// namespaced EKS cluster in namespace team-a, and a flaky EKS cluster that
// goes out of sync and flaps.
func DefaultFleet() []Cluster {
	return []Cluster{
		{Flavor: FlavorEKS, Name: "demo-eks-prod", Region: "us-east-1", Version: "1.30", UpgradeTo: "1.31",
			Labels: map[string]string{"env": "prod"}},
		{Flavor: FlavorGKE, Name: "demo-gke-prod", Region: "europe-west1", Version: "1.30.5-gke.1014001", UpgradeTo: "1.31.1-gke.1146000",
			Labels: map[string]string{"env": "prod"}},
		{Flavor: FlavorAKS, Name: "demo-aks-prod", Region: "westeurope", Version: "1.30.4", UpgradeTo: "1.31.2",
			Labels: map[string]string{"env": "prod"}},
		{Flavor: FlavorEKSNamespaced, Name: "demo-eks-staging", Namespace: "team-a", Region: "eu-west-1", Version: "1.31", UpgradeTo: "1.32",
			Labels: map[string]string{"env": "staging"}},
		FlakyCluster(),
	}
}

// FlakyCluster is the demo's troubled cluster: its provider cannot
// reconcile it for a while (Synced False, Ready True) longer than the
// shortest out-of-sync threshold a sink may set (1m), then it degrades and
// recovers DefaultFlaps times in a row and stays stable for longer than
// the shortest flapping window (1m) before it is deleted.
func FlakyCluster() Cluster {
	return Cluster{Flavor: FlavorEKS, Name: "demo-eks-flaky", Region: "us-west-2", Version: "1.31",
		Labels: map[string]string{"env": "dev"},
		Script: []Step{StepCreate, StepReady, StepOutOfSync, StepInSync, StepFlap, StepDelete},
		Holds:  map[Step]time.Duration{StepOutOfSync: 70 * time.Second, StepFlap: 70 * time.Second},
	}
}

// Progress is told each time a cluster finished a step.
type Progress func(c Cluster, s Step)

// A Simulator plays the stories of clusters against an API server.
type Simulator struct {
	client   dynamic.Interface
	log      logging.Logger
	interval time.Duration
	stagger  time.Duration
	progress Progress
}

// An Option configures a Simulator.
type Option func(*Simulator)

// WithLogger logs every step to l.
func WithLogger(l logging.Logger) Option { return func(s *Simulator) { s.log = l } }

// WithInterval sets the time between two steps of a cluster (default 4s).
// Writes within a step are a quarter of it apart.
func WithInterval(d time.Duration) Option { return func(s *Simulator) { s.interval = d } }

// WithStagger sets how much later each cluster of a fleet starts than the
// one before it (default half the interval), so that the stories
// interleave.
func WithStagger(d time.Duration) Option { return func(s *Simulator) { s.stagger = d } }

// WithProgress calls p after each step of each cluster.
func WithProgress(p Progress) Option { return func(s *Simulator) { s.progress = p } }

// New returns a Simulator that writes through c.
func New(c dynamic.Interface, opts ...Option) *Simulator {
	s := &Simulator{
		client:   c,
		log:      logging.NewNopLogger(),
		interval: 4 * time.Second,
		stagger:  -1,
		progress: func(Cluster, Step) {},
	}
	for _, o := range opts {
		o(s)
	}
	if s.stagger < 0 {
		s.stagger = s.interval / 2
	}
	return s
}

// Run plays every cluster of the fleet at once, each starting a stagger
// after the previous one, and returns when all are done or ctx is.
func (s *Simulator) Run(ctx context.Context, fleet []Cluster) error {
	errs := make([]error, len(fleet))
	wg := sync.WaitGroup{}
	for i, c := range fleet {
		wg.Go(func() {
			if err := sleep(ctx, time.Duration(i)*s.stagger); err != nil {
				errs[i] = err
				return
			}
			errs[i] = s.Play(ctx, c)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Play plays one cluster's story.
func (s *Simulator) Play(ctx context.Context, c Cluster) error {
	f, ok := lookup(c.Flavor)
	if !ok {
		return errors.Errorf(errFmtUnknownFlavor, c.Flavor)
	}
	cl := NewClusters(s.client, f.gvr, f.kind, c.Namespace)
	p := &play{sim: s, c: c, f: f, cl: cl, life: Lifecycle{C: cl, Name: c.Name}, version: c.Version,
		log: s.log.WithValues("cluster", c.String(), "kind", f.kind, "apiVersion", f.apiVersion())}
	if f.namespaced {
		if err := s.ensureNamespace(ctx, c.Namespace); err != nil {
			return err
		}
	}
	script := c.Script
	if len(script) == 0 {
		script = FullScript()
	}
	for i, step := range script {
		if i > 0 {
			if err := sleep(ctx, s.interval+c.Holds[script[i-1]]); err != nil {
				return err
			}
		}
		if err := p.do(ctx, step); err != nil {
			return errors.Wrapf(err, errFmtStep, step, c)
		}
		p.log.Debug("Played step", "step", step)
		s.progress(c, step)
	}
	return nil
}

func (s *Simulator) ensureNamespace(ctx context.Context, name string) error {
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	_, err := s.client.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{})
	if kerrors.IsAlreadyExists(err) {
		return nil
	}
	return errors.Wrap(err, errCreateNamespace)
}

// play is one cluster's story in progress. Each step writes through the
// same Lifecycle the provider's tests use, at the time it is played.
//
// A new behaviour of a simulated cluster is a new Step, a method of play
// that writes it (Lifecycle.Conditions writes any condition, such as
// Synced=False while Ready stays True), and a case in do; a cluster plays
// it when its Script names it.
type play struct {
	sim  *Simulator
	c    Cluster
	f    flavor
	cl   *Clusters
	life Lifecycle
	log  logging.Logger

	// version is the Kubernetes version the cloud runs.
	version string
}

// beat is the pause between two writes within a step.
func (p *play) beat(ctx context.Context) error { return sleep(ctx, p.sim.interval/4) }

func (p *play) do(ctx context.Context, step Step) error {
	switch step {
	case StepCreate:
		return p.create(ctx)
	case StepReady:
		return p.life.Ready(ctx, time.Now(), p.version)
	case StepUpgrade:
		return p.upgrade(ctx)
	case StepDegrade:
		return p.degrade(ctx)
	case StepRecover:
		return p.recover(ctx)
	case StepDelete:
		return p.delete(ctx)
	case StepOutOfSync:
		return p.life.Conditions(ctx, time.Now(), xpv2.ReconcileError(errors.New(outOfSyncError)))
	case StepInSync:
		return p.life.Conditions(ctx, time.Now(), xpv2.ReconcileSuccess())
	case StepFlap:
		return p.flap(ctx)
	}
	return errors.Errorf(errFmtUnknownStep, step)
}

// create: the user creates the object, and the managed reconciler
// initializes it and calls create, which upjet starts asynchronously.
func (p *play) create(ctx context.Context) error {
	if err := p.cl.CreateObject(ctx, p.f.object(p.c, Realistic)); err != nil {
		return err
	}
	if err := p.beat(ctx); err != nil {
		return err
	}
	// The reconciler's first pass: external-name (upjet's NameAsIdentifier
	// and TemplatedStringAsIdentifier default it to the object's name) and
	// the finalizer.
	if err := p.cl.Update(ctx, p.c.Name, func(u *unstructured.Unstructured) {
		meta.SetExternalName(u, p.c.Name)
		meta.AddFinalizer(u, managed.FinalizerName)
	}); err != nil {
		return err
	}
	return p.life.CreateRequested(ctx, time.Now())
}

// upgrade: the user asks for a newer version; upjet updates
// asynchronously (EKS says UPDATING meanwhile), then observes the new
// version.
func (p *play) upgrade(ctx context.Context) error {
	if p.c.UpgradeTo == "" {
		return errors.Errorf(errFmtNoVersion, p.c)
	}
	if err := p.cl.Update(ctx, p.c.Name, func(u *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(u.Object, p.c.UpgradeTo, "spec", "forProvider", p.f.versionField)
	}); err != nil {
		return err
	}
	if p.f.hasCloudState {
		if err := p.life.CloudState(ctx, StateUpdating, ""); err != nil {
			return err
		}
	}
	if err := p.beat(ctx); err != nil {
		return err
	}
	p.version = p.c.UpgradeTo
	return p.life.Ready(ctx, time.Now(), p.version)
}

// degrade: EKS reports FAILED while upjet keeps Ready=True; GKE and AKS
// vanish and the managed reconciler creates them again.
func (p *play) degrade(ctx context.Context) error {
	if p.f.hasCloudState {
		return p.life.CloudState(ctx, StateFailed, "")
	}
	p.life.Incarnation++
	return p.life.CreateRequested(ctx, time.Now())
}

// recover: EKS is ACTIVE again; a re-created GKE or AKS cluster exists
// again, with a new endpoint.
func (p *play) recover(ctx context.Context) error {
	if p.f.hasCloudState {
		return p.life.CloudState(ctx, StateActive, "")
	}
	return p.life.Ready(ctx, time.Now(), p.version)
}

// outOfSyncError is what a provider whose credentials expired reports in
// Synced.
const outOfSyncError = "cannot get credentials: the security token included in the request is expired"

// flap: the cluster degrades and recovers again and again, a beat apart.
func (p *play) flap(ctx context.Context) error {
	n := p.c.Flaps
	if n <= 0 {
		n = DefaultFlaps
	}
	for i := range n {
		if i > 0 {
			if err := p.beat(ctx); err != nil {
				return err
			}
		}
		if err := p.degrade(ctx); err != nil {
			return err
		}
		if err := p.beat(ctx); err != nil {
			return err
		}
		if err := p.recover(ctx); err != nil {
			return err
		}
	}
	return nil
}

// delete: the user deletes the object; the finalizer holds it while the
// managed reconciler reports Deleting and upjet destroys the cluster,
// then the reconciler removes its finalizer and the object is gone.
func (p *play) delete(ctx context.Context) error {
	if err := p.life.DeleteRequested(ctx, time.Now()); err != nil {
		return err
	}
	if err := p.beat(ctx); err != nil {
		return err
	}
	return p.life.Gone(ctx)
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
