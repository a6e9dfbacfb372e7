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

package fleetsim

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// client talks to the test control plane, which has the fixture CRDs of
// every cluster kind installed.
var client dynamic.Interface //nolint:gochecknoglobals // Set once by TestMain.

func TestMain(m *testing.M) {
	env, cfg, err := testenv.Start(fixtures.CRDDir())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// The managed reconciler's finalizer name draws a warning; it is the
	// real name, so the warning is noise here.
	cfg.WarningHandler = rest.NoWarnings{}
	client, err = dynamic.NewForConfig(cfg)
	code := 0
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	} else {
		code = m.Run()
	}
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

// view is what a step leaves in the object, compactly.
type view struct {
	Step        Step
	Gone        bool
	Deleting    bool
	Finalizers  []string
	Annotations []string
	Generation  int64
	SpecVersion string
	// Conditions as "<status>/<reason> g<observedGeneration>".
	Ready, Synced, LastAsync string
	// Facts as the provider's profile of the kind reads them.
	ExternalName, CloudID, Region, KubernetesVersion, CloudState string
	HasEndpoint, NewEndpoint                                     bool
}

// recorder keeps a view of the object after each step.
type recorder struct {
	t        *testing.T
	res      dynamic.ResourceInterface
	f        flavor
	p        *catalog.Profile
	views    []view
	endpoint string
}

func (r *recorder) record(c Cluster, s Step) {
	u, err := r.res.Get(context.Background(), c.Name, metav1.GetOptions{})
	if kerrors.IsNotFound(err) {
		r.views = append(r.views, view{Step: s, Gone: true})
		return
	}
	if err != nil {
		r.t.Errorf("Get(%s) after step %s: %v", c, s, err)
		return
	}
	o := normalize.Observe(r.p, u)
	v := view{
		Step:              s,
		Deleting:          u.GetDeletionTimestamp() != nil,
		Finalizers:        u.GetFinalizers(),
		Generation:        u.GetGeneration(),
		ExternalName:      o.Facts.ExternalName,
		CloudID:           o.Facts.CloudID,
		Region:            o.Facts.Region,
		KubernetesVersion: o.Facts.KubernetesVersion,
		CloudState:        o.Facts.CloudState,
		HasEndpoint:       o.Facts.Endpoint != "",
		NewEndpoint:       r.endpoint != "" && o.Facts.Endpoint != r.endpoint,
	}
	if o.Facts.Endpoint != "" {
		r.endpoint = o.Facts.Endpoint
	}
	v.SpecVersion, _, _ = unstructured.NestedString(u.Object, "spec", "forProvider", r.f.versionField)
	for k := range u.GetAnnotations() {
		v.Annotations = append(v.Annotations, k)
	}
	sort.Strings(v.Annotations)
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		s := fmt.Sprintf("%v/%v g%v", m["status"], m["reason"], m["observedGeneration"])
		switch m["type"] {
		case "Ready":
			v.Ready = s
		case "Synced":
			v.Synced = s
		case "LastAsyncOperation":
			v.LastAsync = s
		}
	}
	r.views = append(r.views, v)
}

// lifecycles watches one object the way the provider's informer does and
// runs every version of it through the provider's normalizer, returning
// the lifecycle transitions it makes of the story.
func lifecycles(ctx context.Context, t *testing.T, res dynamic.ResourceInterface, name string, p *catalog.Profile) func() []v1alpha1.Lifecycle {
	t.Helper()
	w, err := res.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		t.Fatalf("Watch(): %v", err)
	}
	var (
		mu  sync.Mutex
		out []v1alpha1.Lifecycle
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer w.Stop()
		st := normalize.State{}
		for ev := range w.ResultChan() {
			var ts []normalize.Transition
			switch ev.Type { //nolint:exhaustive // Only these carry the object.
			case watch.Added, watch.Modified:
				u, ok := ev.Object.(*unstructured.Unstructured)
				if !ok {
					continue
				}
				st, ts = normalize.Next(p, st, normalize.Observe(p, u), normalize.Context{})
			case watch.Deleted:
				u, _ := ev.Object.(*unstructured.Unstructured)
				st, ts = normalize.Gone(st, normalize.Observe(p, u).Latest, normalize.Context{})
			}
			mu.Lock()
			for _, tr := range ts {
				out = append(out, tr.Lifecycle)
			}
			mu.Unlock()
			if ev.Type == watch.Deleted {
				return
			}
		}
	}()
	return func() []v1alpha1.Lifecycle {
		select {
		case <-done:
		case <-ctx.Done():
			t.Errorf("the watch did not see the object deleted: %v", ctx.Err())
		}
		mu.Lock()
		defer mu.Unlock()
		return out
	}
}

func TestPlay(t *testing.T) {
	// Annotations every object carries once created.
	created := []string{"crossplane.io/external-create-pending", "crossplane.io/external-create-succeeded", "crossplane.io/external-name"}
	fin := []string{"finalizer.managedresource.crossplane.io"}
	all := []v1alpha1.Lifecycle{
		v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady, v1alpha1.LifecycleUpgraded,
		v1alpha1.LifecycleDegraded, v1alpha1.LifecycleRecovered, v1alpha1.LifecycleDeleting, v1alpha1.LifecycleDeleted,
	}

	// eksViews is the story of an EKS cluster: the cloud state tells its
	// health; Ready stays True while it is FAILED.
	eksViews := func(name, region, from, to string, cloudID string) []view {
		base := view{Finalizers: fin, Annotations: created, ExternalName: name, Region: region}
		v := func(s Step, mod func(*view)) view {
			out := base
			out.Step = s
			mod(&out)
			return out
		}
		return []view{
			v(StepCreate, func(v *view) {
				v.Generation, v.SpecVersion = 1, from
				v.Ready, v.Synced = "False/Creating g1", "True/ReconcileSuccess g1"
			}),
			v(StepReady, func(v *view) {
				v.Generation, v.SpecVersion = 1, from
				v.Ready, v.Synced, v.LastAsync = "True/Available g1", "True/ReconcileSuccess g1", "True/Success g1"
				v.CloudID, v.KubernetesVersion, v.CloudState, v.HasEndpoint = cloudID, from, "ACTIVE", true
			}),
			v(StepUpgrade, func(v *view) {
				v.Generation, v.SpecVersion = 2, to
				v.Ready, v.Synced, v.LastAsync = "True/Available g2", "True/ReconcileSuccess g2", "True/Success g2"
				v.CloudID, v.KubernetesVersion, v.CloudState, v.HasEndpoint = cloudID, to, "ACTIVE", true
			}),
			v(StepDegrade, func(v *view) {
				v.Generation, v.SpecVersion = 2, to
				v.Ready, v.Synced, v.LastAsync = "True/Available g2", "True/ReconcileSuccess g2", "True/Success g2"
				v.CloudID, v.KubernetesVersion, v.CloudState, v.HasEndpoint = cloudID, to, "FAILED", true
			}),
			v(StepRecover, func(v *view) {
				v.Generation, v.SpecVersion = 2, to
				v.Ready, v.Synced, v.LastAsync = "True/Available g2", "True/ReconcileSuccess g2", "True/Success g2"
				v.CloudID, v.KubernetesVersion, v.CloudState, v.HasEndpoint = cloudID, to, "ACTIVE", true
			}),
			{Step: StepDelete, Gone: true},
		}
	}
	// noStateViews is the story of a GKE or AKS cluster: no cloud state;
	// it degrades by vanishing and being created again, with a new
	// endpoint.
	noStateViews := func(name, region, from, to, cloudID string) []view {
		base := view{Finalizers: fin, Annotations: created, ExternalName: name, Region: region}
		v := func(s Step, mod func(*view)) view {
			out := base
			out.Step = s
			mod(&out)
			return out
		}
		return []view{
			v(StepCreate, func(v *view) {
				v.Generation, v.SpecVersion = 1, from
				v.Ready, v.Synced = "False/Creating g1", "True/ReconcileSuccess g1"
			}),
			v(StepReady, func(v *view) {
				v.Generation, v.SpecVersion = 1, from
				v.Ready, v.Synced, v.LastAsync = "True/Available g1", "True/ReconcileSuccess g1", "True/Success g1"
				v.CloudID, v.KubernetesVersion, v.HasEndpoint = cloudID, from, true
			}),
			v(StepUpgrade, func(v *view) {
				v.Generation, v.SpecVersion = 2, to
				v.Ready, v.Synced, v.LastAsync = "True/Available g2", "True/ReconcileSuccess g2", "True/Success g2"
				v.CloudID, v.KubernetesVersion, v.HasEndpoint = cloudID, to, true
			}),
			v(StepDegrade, func(v *view) {
				v.Generation, v.SpecVersion = 2, to
				v.Ready, v.Synced, v.LastAsync = "False/Creating g2", "True/ReconcileSuccess g2", "True/Success g2"
				v.CloudID, v.KubernetesVersion, v.HasEndpoint = cloudID, to, true
			}),
			v(StepRecover, func(v *view) {
				v.Generation, v.SpecVersion = 2, to
				v.Ready, v.Synced, v.LastAsync = "True/Available g2", "True/ReconcileSuccess g2", "True/Success g2"
				v.CloudID, v.KubernetesVersion, v.HasEndpoint, v.NewEndpoint = cloudID, to, true, true
			}),
			{Step: StepDelete, Gone: true},
		}
	}

	// unsyncedViews is an EKS cluster that goes out of sync and back, then
	// flaps twice.
	unsyncedViews := func(name, region, version, cloudID string) []view {
		base := view{Finalizers: fin, Annotations: created, ExternalName: name, Region: region, Generation: 1, SpecVersion: version}
		v := func(s Step, mod func(*view)) view {
			out := base
			out.Step = s
			mod(&out)
			return out
		}
		ready := func(v *view) {
			v.Ready, v.Synced, v.LastAsync = "True/Available g1", "True/ReconcileSuccess g1", "True/Success g1"
			v.CloudID, v.KubernetesVersion, v.CloudState, v.HasEndpoint = cloudID, version, "ACTIVE", true
		}
		return []view{
			v(StepCreate, func(v *view) { v.Ready, v.Synced = "False/Creating g1", "True/ReconcileSuccess g1" }),
			v(StepReady, ready),
			v(StepOutOfSync, func(v *view) { ready(v); v.Synced = "False/ReconcileError g1" }),
			v(StepInSync, ready),
			v(StepFlap, ready),
			{Step: StepDelete, Gone: true},
		}
	}

	type want struct {
		views      []view
		lifecycles []v1alpha1.Lifecycle
	}
	cases := map[string]struct {
		reason  string
		cluster Cluster
		want    want
	}{
		"UpjetEKS": {
			reason:  "A cluster-scoped upjet EKS cluster goes through its story; the provider's normalizer sees every lifecycle in it.",
			cluster: Cluster{Flavor: FlavorEKS, Name: "test-eks", Region: "us-east-1", Version: "1.30", UpgradeTo: "1.31"},
			want: want{
				views:      eksViews("test-eks", "us-east-1", "1.30", "1.31", "arn:aws:eks:us-east-1:123456789012:cluster/test-eks"),
				lifecycles: all,
			},
		},
		"UpjetEKSNamespaced": {
			reason:  "A namespaced (.m.) upjet EKS cluster, in a namespace the simulator creates, goes through the same story.",
			cluster: Cluster{Flavor: FlavorEKSNamespaced, Name: "test-eks-ns", Namespace: "team-test", Region: "eu-west-1", Version: "1.31", UpgradeTo: "1.32"},
			want: want{
				views:      eksViews("test-eks-ns", "eu-west-1", "1.31", "1.32", "arn:aws:eks:eu-west-1:123456789012:cluster/test-eks-ns"),
				lifecycles: all,
			},
		},
		"UpjetGKE": {
			reason:  "An upjet GKE cluster degrades by vanishing and being re-created; the normalizer still sees every lifecycle.",
			cluster: Cluster{Flavor: FlavorGKE, Name: "test-gke", Region: "europe-west1", Version: "1.30.5-gke.1014001", UpgradeTo: "1.31.1-gke.1146000"},
			want: want{
				views:      noStateViews("test-gke", "europe-west1", "1.30.5-gke.1014001", "1.31.1-gke.1146000", "projects/demo-project/locations/europe-west1/clusters/test-gke"),
				lifecycles: all,
			},
		},
		"UpjetAKS": {
			reason:  "An upjet AKS cluster degrades by vanishing and being re-created; the normalizer still sees every lifecycle.",
			cluster: Cluster{Flavor: FlavorAKS, Name: "test-aks", Region: "westeurope", Version: "1.30.4", UpgradeTo: "1.31.2"},
			want: want{
				views:      noStateViews("test-aks", "westeurope", "1.30.4", "1.31.2", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/demo-rg/providers/Microsoft.ContainerService/managedClusters/test-aks"),
				lifecycles: all,
			},
		},
		"OutOfSyncAndFlapping": {
			reason: "A cluster goes out of sync (Synced False, Ready True) and back, then degrades and recovers twice in a row.",
			cluster: Cluster{Flavor: FlavorEKS, Name: "test-eks-flap", Region: "us-west-2", Version: "1.31", Flaps: 2,
				Script: []Step{StepCreate, StepReady, StepOutOfSync, StepInSync, StepFlap, StepDelete}},
			want: want{
				views: unsyncedViews("test-eks-flap", "us-west-2", "1.31", "arn:aws:eks:us-west-2:123456789012:cluster/test-eks-flap"),
				lifecycles: []v1alpha1.Lifecycle{
					v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady,
					v1alpha1.LifecycleDegraded, v1alpha1.LifecycleRecovered, v1alpha1.LifecycleDegraded, v1alpha1.LifecycleRecovered,
					v1alpha1.LifecycleDeleting, v1alpha1.LifecycleDeleted,
				},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			f, ok := lookup(tc.cluster.Flavor)
			if !ok {
				t.Fatalf("no flavor %q", tc.cluster.Flavor)
			}
			p, ok := catalog.New().Lookup(f.gvr.GroupVersion().WithKind(f.kind).GroupKind())
			if !ok {
				t.Fatalf("no built-in profile for %s", f.gvr.GroupResource())
			}
			var res dynamic.ResourceInterface = client.Resource(f.gvr)
			if f.namespaced {
				res = client.Resource(f.gvr).Namespace(tc.cluster.Namespace)
				if err := New(client).ensureNamespace(ctx, tc.cluster.Namespace); err != nil {
					t.Fatal(err)
				}
			}
			seen := lifecycles(ctx, t, res, tc.cluster.Name, p)
			rec := &recorder{t: t, res: res, f: f, p: p}
			sim := New(client, WithInterval(80*time.Millisecond), WithProgress(rec.record))
			if err := sim.Play(ctx, tc.cluster); err != nil {
				t.Fatalf("Play(): %v", err)
			}
			if diff := cmp.Diff(tc.want.views, rec.views, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\nobject after each step: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.lifecycles, seen()); diff != "" {
				t.Errorf("\n%s\nnormalized lifecycles: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	fleet := []Cluster{
		{Flavor: FlavorEKS, Name: "run-eks", Region: "us-east-1", Version: "1.30", UpgradeTo: "1.31", Script: []Step{StepCreate, StepReady}},
		{Flavor: FlavorGKE, Name: "run-gke", Region: "europe-west1", Version: "1.30", UpgradeTo: "1.31", Script: []Step{StepCreate}},
		{Flavor: "nope", Name: "run-nope"},
	}
	var (
		mu  sync.Mutex
		got []string
	)
	sim := New(client, WithInterval(40*time.Millisecond), WithStagger(0), WithProgress(func(c Cluster, s Step) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, c.Name+" "+string(s))
	}))
	err := sim.Run(ctx, fleet)
	if err == nil || !strings.Contains(err.Error(), `unknown flavor "nope"`) {
		t.Errorf("\nRun reports a cluster it cannot play, after playing the others.\nRun(...): want an unknown flavor error, got %v", err)
	}
	sort.Strings(got)
	want := []string{"run-eks create", "run-eks ready", "run-gke create"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("\nRun plays every cluster's own script, leaving clusters whose script has no delete in place.\nsteps played: -want, +got:\n%s", diff)
	}
	for _, c := range fleet[:2] {
		gvr, _ := c.GroupVersionResource()
		if _, err := client.Resource(gvr).Get(ctx, c.Name, metav1.GetOptions{}); err != nil {
			t.Errorf("\nA cluster whose script has no delete is left in place.\nGet(%s): %v", c.Name, err)
		}
	}
}

func TestGroupVersionResource(t *testing.T) {
	cases := map[string]struct {
		reason string
		flavor Flavor
		want   schema.GroupVersionResource
		err    bool
	}{
		"EKS":           {reason: "EKS is the v1beta2 storage version.", flavor: FlavorEKS, want: schema.GroupVersionResource{Group: "eks.aws.upbound.io", Version: "v1beta2", Resource: "clusters"}},
		"EKSNamespaced": {reason: "Namespaced EKS starts at v1beta1.", flavor: FlavorEKSNamespaced, want: schema.GroupVersionResource{Group: "eks.aws.m.upbound.io", Version: "v1beta1", Resource: "clusters"}},
		"GKE":           {reason: "GKE is the v1beta2 storage version.", flavor: FlavorGKE, want: schema.GroupVersionResource{Group: "container.gcp.upbound.io", Version: "v1beta2", Resource: "clusters"}},
		"AKS":           {reason: "AKS is the v1beta2 storage version.", flavor: FlavorAKS, want: schema.GroupVersionResource{Group: "containerservice.azure.upbound.io", Version: "v1beta2", Resource: "kubernetesclusters"}},
		"Unknown":       {reason: "An unknown flavor is an error.", flavor: "nope", err: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Cluster{Flavor: tc.flavor}.GroupVersionResource()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nGroupVersionResource(): -want, +got:\n%s", tc.reason, diff)
			}
			if (err != nil) != tc.err {
				t.Errorf("\n%s\nGroupVersionResource(): want error %t, got %v", tc.reason, tc.err, err)
			}
		})
	}
}
