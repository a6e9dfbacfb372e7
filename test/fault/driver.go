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

package fault

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
)

// LabelScenario labels every object of a scenario, so that each scenario's
// ClusterProviderConfig selects only its own clusters.
const LabelScenario = "fault.cdevents.crossplane.io/scenario"

// ObservedClusters is the provider's ledger kind.
var ObservedClusters = schema.GroupVersionResource{Group: "cdevents.crossplane.io", Version: "v1alpha1", Resource: "observedclusters"} //nolint:gochecknoglobals // A constant GVR.

// A Kind is a cluster kind the driver writes, the way its upstream provider
// does.
type Kind struct {
	// Short names the kind in cluster names.
	Short string
	GVR   schema.GroupVersionResource
	Kind  string
	// Namespace of the objects; "" for cluster-scoped kinds.
	Namespace string
	// ForProvider is the spec the user declares.
	ForProvider map[string]any
	// Ready writes what the provider writes once the cluster serves.
	Ready func(u *unstructured.Unstructured, at time.Time, version string)
	// Upgrade writes a new Kubernetes version; nil when the kind has none.
	Upgrade func(u *unstructured.Unstructured, version string)
	// Degrade and Recover write an outage and its end.
	Degrade, Recover func(u *unstructured.Unstructured, at time.Time)
}

// UpjetEKS is eks.aws.upbound.io Cluster as provider-upjet-aws writes it:
// health from the cloud state (FAILED while Ready=True is an outage).
func UpjetEKS(namespace string) Kind {
	gvr, short := fleetsim.UpjetEKS, "eks"
	if namespace != "" {
		gvr, short = fleetsim.UpjetEKSNamespaced, "eksm"
	}
	return Kind{
		Short: short, GVR: gvr, Kind: "Cluster", Namespace: namespace,
		ForProvider: map[string]any{"region": "us-east-1", "version": "1.30"},
		Ready: func(u *unstructured.Unstructured, at time.Time, version string) {
			n := u.GetName()
			fleetsim.SetField(u, "ACTIVE", "status", "atProvider", "status")
			fleetsim.SetField(u, version, "status", "atProvider", "version")
			fleetsim.SetField(u, "https://"+n+".gr7.us-east-1.eks.amazonaws.com", "status", "atProvider", "endpoint")
			fleetsim.SetField(u, "arn:aws:eks:us-east-1:123456789012:cluster/"+n, "status", "atProvider", "arn")
			fleetsim.SetField(u, n, "status", "atProvider", "id")
			fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", at)
			fleetsim.SetCondition(u, "LastAsyncOperation", "True", "Success", at)
			fleetsim.SetCondition(u, "Ready", "True", "Available", at)
		},
		Upgrade: func(u *unstructured.Unstructured, version string) {
			fleetsim.SetField(u, version, "status", "atProvider", "version")
		},
		Degrade: func(u *unstructured.Unstructured, _ time.Time) {
			fleetsim.SetField(u, "FAILED", "status", "atProvider", "status")
		},
		Recover: func(u *unstructured.Unstructured, _ time.Time) {
			fleetsim.SetField(u, "ACTIVE", "status", "atProvider", "status")
		},
	}
}

// UpjetGKE is container.gcp.upbound.io Cluster as provider-upjet-gcp
// writes it: health from Ready alone.
func UpjetGKE() Kind {
	return Kind{
		Short: "gke", GVR: fleetsim.UpjetGKE, Kind: "Cluster",
		ForProvider: map[string]any{"location": "europe-west1", "project": "fault"},
		Ready: func(u *unstructured.Unstructured, at time.Time, version string) {
			n := u.GetName()
			fleetsim.SetField(u, version, "status", "atProvider", "masterVersion")
			fleetsim.SetField(u, "34.1.2.3", "status", "atProvider", "endpoint")
			fleetsim.SetField(u, "projects/fault/locations/europe-west1/clusters/"+n, "status", "atProvider", "id")
			fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", at)
			fleetsim.SetCondition(u, "Ready", "True", "Available", at)
		},
		Upgrade: func(u *unstructured.Unstructured, version string) {
			fleetsim.SetField(u, version, "status", "atProvider", "masterVersion")
		},
		Degrade: func(u *unstructured.Unstructured, at time.Time) {
			fleetsim.SetCondition(u, "Ready", "False", "Unavailable", at)
		},
		Recover: func(u *unstructured.Unstructured, at time.Time) {
			fleetsim.SetCondition(u, "Ready", "True", "Available", at)
		},
	}
}

// UpjetAKS is containerservice.azure.upbound.io KubernetesCluster: health
// from Ready alone.
func UpjetAKS() Kind {
	return Kind{
		Short: "aks", GVR: fleetsim.UpjetAKS,
		Kind: "KubernetesCluster", ForProvider: map[string]any{"location": "westeurope"},
		Ready: func(u *unstructured.Unstructured, at time.Time, version string) {
			fleetsim.SetField(u, version, "status", "atProvider", "currentKubernetesVersion")
			fleetsim.SetField(u, u.GetName()+".hcp.westeurope.azmk8s.io", "status", "atProvider", "fqdn")
			fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", at)
			fleetsim.SetCondition(u, "Ready", "True", "Available", at)
		},
	}
}

// DigitalOcean is kubernetes.digitalocean.crossplane.io Cluster: health
// from the cloud state.
func DigitalOcean() Kind {
	return Kind{
		Short: "do", GVR: schema.GroupVersionResource{Group: "kubernetes.digitalocean.crossplane.io", Version: "v1alpha1", Resource: "clusters"},
		Kind: "Cluster", ForProvider: map[string]any{"region": "fra1"},
		Ready: func(u *unstructured.Unstructured, at time.Time, version string) {
			fleetsim.SetField(u, "running", "status", "atProvider", "status")
			fleetsim.SetField(u, version, "status", "atProvider", "version")
			fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", at)
			fleetsim.SetCondition(u, "Ready", "True", "Available", at)
		},
	}
}

// Program is the lifecycle one incarnation of a cluster goes through.
type Program []v1alpha1.Lifecycle

// Programs.
var (
	// Full is every lifecycle the driver causes.
	Full = Program{"created", "ready", "upgraded", "degraded", "recovered", "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.
	// Flapping degrades and recovers twice.
	Flapping = Program{"created", "ready", "degraded", "recovered", "upgraded", "degraded", "recovered", "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.
	// Short creates and deletes a ready cluster.
	Short = Program{"created", "ready", "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.

	// FlapSettle degrades and recovers three times in a row, then stays
	// ready for a Settle before it is deleted: six flaps that a damping of
	// three ends with stable while the cluster serves.
	FlapSettle = Program{"created", "ready", "degraded", "recovered", "degraded", "recovered", "degraded", "recovered", StepSettle, "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.
	// FlapSettleDegraded flaps five times and stays degraded for a
	// Settle, then recovers: after stable, a flap is sent again.
	FlapSettleDegraded = Program{"created", "ready", "degraded", "recovered", "degraded", "recovered", "degraded", StepSettle, "recovered", "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.
	// FlapDeleted flaps six times and is deleted at once: the deletion
	// ends the episode.
	FlapDeleted = Program{"created", "ready", "degraded", "recovered", "degraded", "recovered", "degraded", "recovered", "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.
	// FlapTwice flaps six times, settles, then flaps four times more
	// before it is deleted: two episodes.
	FlapTwice = Program{"created", "ready", "degraded", "recovered", "degraded", "recovered", "degraded", "recovered", StepSettle, //nolint:gochecknoglobals // A constant list.
		"degraded", "recovered", "degraded", "recovered", "deleting", "deleted"}
	// OutOfSync loses Synced briefly, then for a Settle, while Ready
	// stays True: one outOfSync for a threshold shorter than Settle.
	OutOfSync = Program{"created", "ready", StepUnsynced, StepResynced, StepUnsynced, StepSettle, StepResynced, "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.
	// LongHistory makes 20 transitions and stays: more than a ledger keeps
	// of delivered history, so its ledger prunes, and it ends Ready by a
	// recovered.
	LongHistory = Program{"created", "ready", //nolint:gochecknoglobals // A constant list.
		"upgraded", "degraded", "recovered", "upgraded", "degraded", "recovered", "upgraded", "degraded", "recovered",
		"upgraded", "degraded", "recovered", "upgraded", "degraded", "recovered", "upgraded", "degraded", "recovered"}
	// LongHistoryDegraded is LongHistory that ends Degraded.
	LongHistoryDegraded = append(append(Program{}, LongHistory...), "degraded") //nolint:gochecknoglobals // A constant list.
	// Outage degrades, stays degraded for a Settle, and recovers: clusters
	// of one region running it together are one cascade.
	Outage = Program{"created", "ready", "degraded", StepSettle, "recovered", "deleting", "deleted"} //nolint:gochecknoglobals // A constant list.
)

// DriverConfig tunes a Driver.
type DriverConfig struct {
	// ControlPlane is the provider's --control-plane-name.
	ControlPlane string
	// Scenario labels every object.
	Scenario string
	// StepTimeout bounds how long the driver waits for the provider to
	// record a step before it goes on.
	StepTimeout time.Duration
	// MinStep is the least time between two steps of one cluster: times in
	// objects have second precision, and real clusters never change twice
	// in a second.
	MinStep time.Duration
	// MaxPause is the most extra time, random, between two steps.
	MaxPause time.Duration
	// OpTimeout bounds how long one write is retried while the API server
	// is unreachable.
	OpTimeout time.Duration
	// Settle is how long a StepSettle waits.
	Settle time.Duration
}

// Driver causes lifecycle transitions of clusters and records each one.
//
// The rule that makes its history exact: the driver causes a transition
// only with a write whose resulting state stays in the object until the
// provider's ledger records the step (the ObservedCluster of the
// incarnation shows the phase, or the version, the step leads to), or
// until StepTimeout passed, far longer than any fault the scenarios inject
// leaves the provider blind. So no transition is overwritten before a live
// provider could see it, and every transition it records must reach the
// sink. Steps of one cluster are at least MinStep apart. A step that timed
// out is a stall; the driver carries on, and the checker will tell whether
// the transition was lost.
type Driver struct {
	cfg    DriverConfig
	dyn    dynamic.Interface
	ledger *LedgerWatch

	mu      sync.Mutex
	history []Expected
	stalls  []string
	errs    []error
	waits   []time.Duration
}

// NewDriver returns a driver that writes with dyn (straight to the API
// server, never through the fault proxy) and paces itself on ledger.
func NewDriver(dyn dynamic.Interface, ledger *LedgerWatch, cfg DriverConfig) *Driver {
	return &Driver{cfg: cfg, dyn: dyn, ledger: ledger}
}

// History returns the transitions caused so far.
func (d *Driver) History() []Expected {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Expected(nil), d.history...)
}

// Stalls returns the steps the provider did not record within StepTimeout.
func (d *Driver) Stalls() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.stalls...)
}

// Recorded describes how long the provider took to record the driver's
// steps in its ledger: the median and the longest.
func (d *Driver) Recorded() (median, longest time.Duration) {
	d.mu.Lock()
	w := append([]time.Duration(nil), d.waits...)
	d.mu.Unlock()
	if len(w) == 0 {
		return 0, 0
	}
	slices.Sort(w)
	return w[len(w)/2], w[len(w)-1]
}

// Errors returns the writes that failed for good.
func (d *Driver) Errors() []error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]error(nil), d.errs...)
}

// Subject is the CDEvents subject id of a cluster.
func (d *Driver) Subject(k Kind, name string) string {
	parts := []string{"", d.cfg.ControlPlane, k.GVR.Group, k.Kind}
	if k.Namespace != "" {
		parts = append(parts, k.Namespace)
	}
	return strings.Join(append(parts, name), "/")
}

// A Plan is one cluster name with the programs of its incarnations, run
// one after the other (a name deleted and created again is a new
// incarnation, with a new uid).
type Plan struct {
	Kind     Kind
	Name     string
	Programs []Program
}

// Run runs every plan, starting them spread over spread, and returns when
// all are done or ctx ends.
func (d *Driver) Run(ctx context.Context, plans []Plan, spread time.Duration) {
	var wg sync.WaitGroup
	for i, p := range plans {
		delay := time.Duration(0)
		if len(plans) > 1 {
			delay = spread * time.Duration(i) / time.Duration(len(plans))
		}
		wg.Go(func() {
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			for _, prog := range p.Programs {
				if err := d.incarnation(ctx, p.Kind, p.Name, prog); err != nil {
					d.mu.Lock()
					d.errs = append(d.errs, err)
					d.mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
}

// Plans names n clusters of the kinds, round robin, with the program
// pick(i) returns for each.
func Plans(prefix string, kinds []Kind, n int, pick func(i int) []Program) []Plan {
	out := make([]Plan, 0, n)
	for i := range n {
		k := kinds[i%len(kinds)]
		out = append(out, Plan{Kind: k, Name: fmt.Sprintf("%s-%s-%03d", prefix, k.Short, i), Programs: pick(i)})
	}
	return out
}

// MixedPrograms gives every fourth cluster a second incarnation and every
// third a flapping first one.
func MixedPrograms(i int) []Program {
	first := Full
	if i%3 == 1 {
		first = Flapping
	}
	if i%4 == 2 {
		return []Program{first, Short}
	}
	return []Program{first}
}

// incarnation runs one program on a new object of the name.
func (d *Driver) incarnation(ctx context.Context, k Kind, name string, prog Program) error {
	res := d.dyn.Resource(k.GVR)
	var ri dynamic.ResourceInterface = res
	if k.Namespace != "" {
		ri = res.Namespace(k.Namespace)
	}
	subject := d.Subject(k, name)
	uid := ""
	version := 30
	occ := map[v1alpha1.Lifecycle]int{}
	last := time.Time{}
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(len(name)))) //nolint:gosec // Pacing, not security.
	for _, step := range prog {
		if step == StepSettle {
			if !sleep(ctx, d.cfg.Settle) {
				return ctx.Err()
			}
			continue
		}
		if wait := time.Until(last.Add(d.cfg.MinStep)); wait > 0 {
			if !sleep(ctx, wait) {
				return ctx.Err()
			}
		}
		if d.cfg.MaxPause > 0 && !sleep(ctx, time.Duration(rnd.Int64N(int64(d.cfg.MaxPause)))) {
			return ctx.Err()
		}
		at := time.Now()
		previous := last
		last = at
		var err error
		switch step {
		case v1alpha1.LifecycleCreated:
			uid, err = d.create(ctx, ri, k, name, at)
		case v1alpha1.LifecycleReady:
			err = d.status(ctx, ri, name, func(u *unstructured.Unstructured) { k.Ready(u, at, minor(version)) })
		case v1alpha1.LifecycleUpgraded:
			version++
			err = d.status(ctx, ri, name, func(u *unstructured.Unstructured) { k.Upgrade(u, minor(version)) })
		case v1alpha1.LifecycleDegraded:
			err = d.status(ctx, ri, name, func(u *unstructured.Unstructured) { k.Degrade(u, at) })
		case v1alpha1.LifecycleRecovered:
			err = d.status(ctx, ri, name, func(u *unstructured.Unstructured) { k.Recover(u, at) })
		case StepUnsynced:
			err = d.status(ctx, ri, name, func(u *unstructured.Unstructured) {
				fleetsim.SetCondition(u, "Synced", "False", "ReconcileError", at)
			})
		case StepResynced:
			err = d.status(ctx, ri, name, func(u *unstructured.Unstructured) {
				fleetsim.SetCondition(u, "Synced", "True", "ReconcileSuccess", at)
			})
		case v1alpha1.LifecycleDeleting:
			err = d.deleting(ctx, ri, name)
		case v1alpha1.LifecycleDeleted:
			err = d.gone(ctx, ri, name)
		}
		if err != nil {
			return errors.Wrapf(err, "%s: cannot cause %s", subject, step)
		}
		d.mu.Lock()
		e := Expected{UID: uid, Subject: subject, Lifecycle: string(step), Occurrence: occ[step], At: at, NotBefore: at}
		if step == v1alpha1.LifecycleDeleted {
			e.NotBefore = previous
		}
		d.history = append(d.history, e)
		d.mu.Unlock()
		occ[step]++
		want := LedgerState{Created: true, Phase: phaseAfter(step), Version: ""}
		if step == v1alpha1.LifecycleUpgraded {
			want.Version = minor(version)
		}
		began := time.Now()
		ok := d.ledger.WaitFor(ctx, uid, want, d.cfg.StepTimeout)
		d.mu.Lock()
		d.waits = append(d.waits, time.Since(began))
		d.mu.Unlock()
		if !ok {
			d.mu.Lock()
			d.stalls = append(d.stalls, fmt.Sprintf("%s (uid %s): %s not recorded within %s", subject, uid, step, d.cfg.StepTimeout))
			d.mu.Unlock()
		}
	}
	return nil
}

func minor(v int) string { return fmt.Sprintf("1.%d", v) }

func phaseAfter(l v1alpha1.Lifecycle) v1alpha1.Phase {
	switch l {
	case v1alpha1.LifecycleCreated:
		return ""
	case v1alpha1.LifecycleDegraded:
		return v1alpha1.PhaseDegraded
	case v1alpha1.LifecycleDeleting:
		return v1alpha1.PhaseDeleting
	case v1alpha1.LifecycleDeleted:
		return v1alpha1.PhaseDeleted
	case v1alpha1.LifecycleReady, v1alpha1.LifecycleUpgraded, v1alpha1.LifecycleRecovered, v1alpha1.LifecycleFailed:
	}
	// StepUnsynced and StepResynced leave the phase as it was: Ready in
	// the programs that take them.
	return v1alpha1.PhaseReady
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-time.After(d):
		return true
	case <-ctx.Done():
		return false
	}
}

// retry runs fn until it succeeds, ctx ends or OpTimeout passes: the API
// server may be restarting.
func (d *Driver) retry(ctx context.Context, fn func() error) error {
	deadline := time.Now().Add(d.cfg.OpTimeout)
	for {
		err := fn()
		if err == nil || permanent(err) || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		if !sleep(ctx, 250*time.Millisecond) {
			return ctx.Err()
		}
	}
}

// permanent says whether an error will not go away by retrying.
func permanent(err error) bool {
	return kerrors.IsInvalid(err) || kerrors.IsBadRequest(err) || kerrors.IsForbidden(err) ||
		kerrors.IsUnauthorized(err) || kerrors.IsNotFound(err) || kerrors.IsMethodNotSupported(err)
}

// create creates the object the way the managed reconciler leaves it
// around an async create: external name and create annotations set.
func (d *Driver) create(ctx context.Context, ri dynamic.ResourceInterface, k Kind, name string, at time.Time) (string, error) {
	ts := at.UTC().Format(time.RFC3339)
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": k.GVR.GroupVersion().String(),
		"kind":       k.Kind,
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"forProvider":       deepCopy(k.ForProvider),
			"providerConfigRef": map[string]any{"name": "default"},
		},
	}}
	if k.Namespace != "" {
		u.SetNamespace(k.Namespace)
		// Namespaced (.m.) managed resources name the config's kind.
		fleetsim.SetField(u, "ClusterProviderConfig", "spec", "providerConfigRef", "kind")
	}
	u.SetLabels(map[string]string{LabelScenario: d.cfg.Scenario})
	fleetsim.Annotate(u, fleetsim.AnnotationExternalName, name)
	fleetsim.Annotate(u, fleetsim.AnnotationCreatePending, ts)
	fleetsim.Annotate(u, fleetsim.AnnotationCreateSucceeded, ts)
	var uid string
	err := d.retry(ctx, func() error {
		got, err := ri.Create(ctx, u, metav1.CreateOptions{})
		if kerrors.IsAlreadyExists(err) {
			// An earlier attempt succeeded without an answer.
			got, err = ri.Get(ctx, name, metav1.GetOptions{})
		}
		if err != nil {
			return err
		}
		uid = string(got.GetUID())
		return nil
	})
	return uid, err
}

func deepCopy(m map[string]any) map[string]any {
	return (&unstructured.Unstructured{Object: map[string]any{"m": m}}).DeepCopy().Object["m"].(map[string]any) //nolint:forcetypeassert // Copied from a map.
}

// status writes status the way a controller does: read, change, write,
// again on conflict.
func (d *Driver) status(ctx context.Context, ri dynamic.ResourceInterface, name string, fn func(u *unstructured.Unstructured)) error {
	return d.retry(ctx, func() error {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		fn(u)
		_, err = ri.UpdateStatus(ctx, u, metav1.UpdateOptions{})
		return err
	})
}

// deleting adds the managed reconciler's finalizer and deletes the object,
// which sets its deletionTimestamp.
func (d *Driver) deleting(ctx context.Context, ri dynamic.ResourceInterface, name string) error {
	if err := d.retry(ctx, func() error {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(u.GetFinalizers()) > 0 {
			return nil
		}
		u.SetFinalizers([]string{"finalizer.managedresource.crossplane.io"})
		_, err = ri.Update(ctx, u, metav1.UpdateOptions{})
		return err
	}); err != nil {
		return err
	}
	return d.retry(ctx, func() error { return ri.Delete(ctx, name, metav1.DeleteOptions{}) })
}

// gone removes the finalizer, so the object disappears.
func (d *Driver) gone(ctx context.Context, ri dynamic.ResourceInterface, name string) error {
	return d.retry(ctx, func() error {
		u, err := ri.Get(ctx, name, metav1.GetOptions{})
		if kerrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		u.SetFinalizers(nil)
		_, err = ri.Update(ctx, u, metav1.UpdateOptions{})
		if kerrors.IsNotFound(err) {
			return nil
		}
		return err
	})
}

// LedgerState is what the driver waits for in an ObservedCluster.
type LedgerState struct {
	Created bool
	Phase   v1alpha1.Phase
	Version string
}

// LedgerWatch follows every ObservedCluster, straight from the API server,
// so the driver can pace itself on what the provider recorded.
type LedgerWatch struct {
	mu      sync.Mutex
	byUID   map[string]LedgerState
	changed chan struct{}
}

// WatchLedgers starts following ObservedClusters until ctx ends.
func WatchLedgers(ctx context.Context, dyn dynamic.Interface) (*LedgerWatch, error) {
	lw := &LedgerWatch{byUID: map[string]LedgerState{}, changed: make(chan struct{})}
	f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	inf := f.ForResource(ObservedClusters).Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    lw.update,
		UpdateFunc: func(_, o any) { lw.update(o) },
	}); err != nil {
		return nil, errors.Wrap(err, "cannot watch ObservedClusters")
	}
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		return nil, errors.New("cannot list ObservedClusters")
	}
	return lw, nil
}

func (lw *LedgerWatch) update(o any) {
	u, ok := o.(*unstructured.Unstructured)
	if !ok {
		return
	}
	uid, _, _ := unstructured.NestedString(u.Object, "status", "resourceRef", "uid")
	phase, _, _ := unstructured.NestedString(u.Object, "status", "phase")
	created, _, _ := unstructured.NestedBool(u.Object, "status", "created")
	version, _, _ := unstructured.NestedString(u.Object, "status", "facts", "kubernetesVersion")
	if uid == "" {
		return
	}
	lw.mu.Lock()
	lw.byUID[uid] = LedgerState{Created: created, Phase: v1alpha1.Phase(phase), Version: version}
	close(lw.changed)
	lw.changed = make(chan struct{})
	lw.mu.Unlock()
}

// WaitFor waits until the ledger of uid shows want (an empty Phase or
// Version matches any), and says whether it did within timeout.
func (lw *LedgerWatch) WaitFor(ctx context.Context, uid string, want LedgerState, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		lw.mu.Lock()
		got, ch := lw.byUID[uid], lw.changed
		lw.mu.Unlock()
		if got.Created == want.Created && (want.Phase == "" || got.Phase == want.Phase) && (want.Version == "" || got.Version == want.Version) {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		case <-ctx.Done():
			return false
		}
	}
}
