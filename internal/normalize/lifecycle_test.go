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

package normalize

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

// A step is one thing the provider sees happen to a cluster: a snapshot
// of its object, or (gone) its disappearance. A gone step's time is the
// newest time the objects before it carried, as the ledger records it, or
// last when there were none.
type step struct {
	obj  *unstructured.Unstructured
	gone bool
	late bool
	last time.Time
}

// run feeds steps to Next and Gone, from prev, and returns every
// transition and the final state. Each step is also repeated, which must
// emit nothing.
func run(t *testing.T, p *catalog.Profile, prev State, steps []step) ([]Transition, State) {
	t.Helper()
	var all []Transition
	var last time.Time
	s := prev
	for i, st := range steps {
		c := Context{Late: st.late}
		var ts []Transition
		if st.gone {
			if !st.last.IsZero() {
				last = st.last
			}
			s, ts = Gone(s, last, c)
			all = append(all, ts...)
			if _, again := Gone(s, last, c); len(again) > 0 {
				t.Errorf("step %d: Gone repeated emitted %v", i, again)
			}
			continue
		}
		o := Observe(p, st.obj)
		if o.Latest.After(last) {
			last = o.Latest
		}
		s, ts = Next(p, s, o, c)
		all = append(all, ts...)
		if s2, again := Next(p, s, o, c); len(again) > 0 || !s2.Equal(s) {
			t.Errorf("step %d: repeating the observation must emit nothing and keep the state; got %v, state %v -> %v", i, again, s, s2)
		}
	}
	return all, s
}

// tr builds an expected transition.
func tr(l v1alpha1.Lifecycle, when time.Time, reason, version string, fns ...func(*Transition)) Transition {
	t := Transition{Lifecycle: l, Time: when, Reason: reason, KubernetesVersion: version}
	for _, fn := range fns {
		fn(&t)
	}
	return t
}

func msg(m string) func(*Transition)      { return func(t *Transition) { t.Message = m } }
func replayed() func(*Transition)         { return func(t *Transition) { t.Replayed = true } }
func previous(v string) func(*Transition) { return func(t *Transition) { t.PreviousVersion = v } }
func value(v string) func(*Transition)    { return func(t *Transition) { t.Value = v } }

func TestNext(t *testing.T) {
	// Upjet EKS v1beta2, as provider-upjet-aws writes it.
	const eksV2 = "eks.aws.upbound.io/v1beta2"
	eksNew := []mod{annotation(catalog.AnnotationExternalName, "prod-1"), field("spec.forProvider.region", "us-east-1")}
	eksCreating := with(eksNew,
		createPending(at(1)), createSucceeded(at(2)),
		ready(StatusFalse, ReasonCreating, at(2)), synced(StatusTrue, ReasonReconcileSuccess, at(2)))
	eksActive := func(version string, readyAt int) []mod {
		return with(eksCreating,
			lastAsync(StatusTrue, "Success", at(readyAt)),
			ready(StatusTrue, ReasonAvailable, at(readyAt)),
			field("status.atProvider.arn", "arn:aws:eks:us-east-1:123456789012:cluster/prod-1"),
			field("status.atProvider.endpoint", "https://ABC.gr7.us-east-1.eks.amazonaws.com"),
			field("status.atProvider.status", "ACTIVE"),
			field("status.atProvider.version", version))
	}
	eks := func(mods []mod, more ...mod) *unstructured.Unstructured {
		return object(eksV2, "Cluster", "prod-1", with(mods, more...)...)
	}

	// Classic EKS (provider-aws).
	classicEKS := func(more ...mod) *unstructured.Unstructured {
		return object("eks.aws.crossplane.io/v1beta1", "Cluster", "classic", with([]mod{
			field("spec.forProvider.region", "eu-west-1"),
			createPending(at(1)), createSucceeded(at(2)),
			synced(StatusTrue, ReasonReconcileSuccess, at(2)),
		}, more...)...)
	}

	// Classic GKE (provider-gcp).
	classicGKE := func(more ...mod) *unstructured.Unstructured {
		return object("container.gcp.crossplane.io/v1beta2", "Cluster", "gke", with([]mod{
			field("spec.forProvider.location", "europe-west1"),
			createPending(at(1)), createSucceeded(at(2)),
			synced(StatusTrue, ReasonReconcileSuccess, at(2)),
		}, more...)...)
	}

	// Classic AKS (provider-azure).
	classicAKS := func(more ...mod) *unstructured.Unstructured {
		return object("compute.azure.crossplane.io/v1alpha3", "AKSCluster", "aks", with([]mod{
			field("spec.location", "West US 2"), field("spec.version", "1.19.11"),
			createPending(at(1)), createSucceeded(at(2)),
			synced(StatusTrue, ReasonReconcileSuccess, at(2)),
			ready(StatusFalse, ReasonCreating, at(2)),
		}, more...)...)
	}

	// DigitalOcean (upjet, singleton lists).
	doCluster := func(more ...mod) *unstructured.Unstructured {
		return object("kubernetes.digitalocean.crossplane.io/v1alpha1", "Cluster", "do", with([]mod{
			field("spec.forProvider.region", "nyc1"),
			field("spec.forProvider.nodePool", []any{map[string]any{"name": "pool", "nodeCount": int64(3)}}),
			createPending(at(1)), createSucceeded(at(2)),
			synced(StatusTrue, ReasonReconcileSuccess, at(2)),
			ready(StatusFalse, ReasonCreating, at(2)),
		}, more...)...)
	}
	doReady := func(status string) []mod {
		return []mod{
			annotation(catalog.AnnotationExternalName, "0d6a5f7e"),
			lastAsync(StatusTrue, "Success", at(8)),
			ready(StatusTrue, ReasonAvailable, at(8)),
			field("status.atProvider.id", "0d6a5f7e"),
			field("status.atProvider.nodePool", []any{map[string]any{"name": "pool", "actualNodeCount": int64(3)}}),
			field("status.atProvider.status", status),
			field("status.atProvider.version", "1.31.1-do.0"),
		}
	}

	// Civo (native provider).
	civo := func(more ...mod) *unstructured.Unstructured {
		return object("cluster.civo.crossplane.io/v1alpha1", "CivoKubernetes", "civo", with([]mod{
			field("spec.name", "civo-test"), field("spec.version", "1.22.2-k3s1"),
			createPending(at(1)), createSucceeded(at(2)),
			synced(StatusTrue, ReasonReconcileSuccess, at(2)),
		}, more...)...)
	}

	type args struct {
		p     *catalog.Profile
		prev  State
		steps []step
	}
	type want struct {
		ts    []Transition
		state State
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"UpjetEKSAsyncCreate": {
			reason: "An upjet async create emits created when the create call succeeds and ready once Ready is Available and the cloud says ACTIVE; ACTIVE while Ready is still Creating is provisioning.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				steps: []step{
					{obj: eks(eksNew)},
					{obj: eks(eksNew, createPending(at(1)))},
					{obj: eks(eksCreating)},
					{obj: eks(eksCreating, lastAsync(StatusTrue, "Success", at(18)), field("status.atProvider.status", "CREATING"))},
					{obj: eks(eksCreating, lastAsync(StatusTrue, "Success", at(18)), field("status.atProvider.status", "ACTIVE"))},
					{obj: eks(eksActive("1.30", 20))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30"),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"UpjetEKSCreateFailure": {
			reason: "An async create failure emits failed from LastAsyncOperation; a retry changes nothing until the cluster is ready.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				steps: []step{
					{obj: eks(eksCreating)},
					{obj: eks(eksCreating,
						lastAsync(StatusFalse, ReasonAsyncCreateFailure, at(15), "creating EKS Cluster (prod-1): InvalidParameterException"),
						synced(StatusFalse, "ReconcileError", at(15), "async create failed"))},
					{obj: eks(eksCreating,
						lastAsync(StatusFalse, ReasonAsyncCreateFailure, at(15), "creating EKS Cluster (prod-1): InvalidParameterException"),
						createPending(at(30)), createSucceeded(at(31)), ready(StatusFalse, ReasonCreating, at(31)))},
					{obj: eks(eksActive("1.31", 50))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleFailed, at(15), ReasonAsyncCreateFailure, "", msg("creating EKS Cluster (prod-1): InvalidParameterException")),
					tr(v1alpha1.LifecycleReady, at(50), ReasonAvailable, "1.31"),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.31"},
			},
		},
		"UpjetEKSCloudFailedDuringCreate": {
			reason: "A cluster Terraform finds FAILED after its create failed stays failed; FAILED is never ready.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				steps: []step{
					{obj: eks(eksCreating)},
					{obj: eks(eksActive("1.31", 40), field("status.atProvider.status", "FAILED"), touched(at(41)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleFailed, at(41), "FAILED", "1.31", msg("cloud state is FAILED"), value("FAILED")),
				},
				state: State{Phase: v1alpha1.PhaseFailed, Created: true, KubernetesVersion: "1.31"},
			},
		},
		"UpjetEKSUpgrade": {
			reason: "UPDATING is not an outage; a version change while ready is an upgrade, stamped with the newest time the object carries (the status write that changed the version) and told apart by the new version.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				steps: []step{
					{obj: eks(eksActive("1.30", 20))},
					{obj: eks(eksActive("1.30", 20), field("status.atProvider.status", "UPDATING"), touched(at(90)))},
					{obj: eks(eksActive("1.31", 20), touched(at(95)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, "1.30"),
					tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30"),
					tr(v1alpha1.LifecycleUpgraded, at(95), "", "1.31", previous("1.30"), value("1.31")),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.31"},
			},
		},
		"UpjetEKSCloudFailedWhileReady": {
			reason: "Upjet keeps Ready=True while the cloud says FAILED: that is degraded, and ACTIVE again is recovered.",
			args: args{
				p:    profile(t, "eks.aws.upbound.io", "Cluster"),
				prev: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
				steps: []step{
					{obj: eks(eksActive("1.30", 20))},
					{obj: eks(eksActive("1.30", 20), field("status.atProvider.status", "FAILED"), touched(at(60)))},
					{obj: eks(eksActive("1.30", 20), touched(at(70)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleDegraded, at(60), "FAILED", "1.30", msg("cloud state is FAILED"), value("FAILED")),
					tr(v1alpha1.LifecycleRecovered, at(70), ReasonAvailable, "1.30", value("ACTIVE")),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"UpjetEKSVanished": {
			reason: "Ready=False/Creating without deletion after ready means the cluster vanished and is re-created: degraded, then recovered.",
			args: args{
				p:    profile(t, "eks.aws.upbound.io", "Cluster"),
				prev: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
				steps: []step{
					{obj: eks(eksActive("1.30", 20), ready(StatusFalse, ReasonCreating, at(100)))},
					{obj: eks(eksActive("1.30", 130))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleDegraded, at(100), ReasonCreating, "1.30"),
					tr(v1alpha1.LifecycleRecovered, at(130), ReasonAvailable, "1.30", value("ACTIVE")),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"PausedAndSyncErrors": {
			reason: "Pausing and resuming reconciliation emit paused and resumed, at Synced's times; transient Synced errors below every threshold change nothing.",
			args: args{
				p:    profile(t, "eks.aws.upbound.io", "Cluster"),
				prev: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
				steps: []step{
					{obj: eks(eksActive("1.30", 20), annotation("crossplane.io/paused", "true"), synced(StatusFalse, "ReconcilePaused", at(60)))},
					{obj: eks(eksActive("1.30", 20), synced(StatusFalse, "ReconcileError", at(70), "connect failed: rate exceeded"))},
					{obj: eks(eksActive("1.30", 20))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecyclePaused, at(60), ReasonReconcilePaused, "1.30"),
					tr(v1alpha1.LifecycleResumed, at(70), "ReconcileError", "1.30", msg("connect failed: rate exceeded")),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"ClassicEKS": {
			reason: "Classic EKS maps CREATING to Creating and ACTIVE to Available; UPDATING (Unavailable) stays ready, FAILED (Unavailable) degrades.",
			args: args{
				p: profile(t, "eks.aws.crossplane.io", "Cluster"),
				steps: []step{
					{obj: classicEKS(ready(StatusFalse, ReasonCreating, at(2)), field("status.atProvider.status", "CREATING"))},
					{obj: classicEKS(ready(StatusTrue, ReasonAvailable, at(15)), field("status.atProvider.status", "ACTIVE"), field("status.atProvider.version", "1.29"))},
					{obj: classicEKS(ready(StatusFalse, ReasonUnavailable, at(40)), field("status.atProvider.status", "UPDATING"), field("status.atProvider.version", "1.29"))},
					{obj: classicEKS(ready(StatusTrue, ReasonAvailable, at(55)), field("status.atProvider.status", "ACTIVE"), field("status.atProvider.version", "1.30"))},
					{obj: classicEKS(ready(StatusFalse, ReasonUnavailable, at(90)), field("status.atProvider.status", "FAILED"), field("status.atProvider.version", "1.30"))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleReady, at(15), ReasonAvailable, "1.29"),
					tr(v1alpha1.LifecycleUpgraded, at(55), "", "1.30", previous("1.29"), value("1.30")),
					tr(v1alpha1.LifecycleDegraded, at(90), "FAILED", "1.30", msg("cloud state is FAILED")),
				},
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"ClassicGKE": {
			reason: "Classic GKE: PROVISIONING, RUNNING, ERROR (Unavailable) degrades, RUNNING recovers at Ready's transition time.",
			args: args{
				p: profile(t, "container.gcp.crossplane.io", "Cluster"),
				steps: []step{
					{obj: classicGKE(ready(StatusFalse, ReasonCreating, at(2)), field("status.atProvider.status", "PROVISIONING"))},
					{obj: classicGKE(ready(StatusTrue, ReasonAvailable, at(9)), field("status.atProvider.status", "RUNNING"), field("status.atProvider.currentMasterVersion", "1.30.5-gke.1"))},
					{obj: classicGKE(ready(StatusFalse, ReasonUnavailable, at(300)), field("status.atProvider.status", "ERROR"), field("status.atProvider.currentMasterVersion", "1.30.5-gke.1"))},
					{obj: classicGKE(ready(StatusTrue, ReasonAvailable, at(320)), field("status.atProvider.status", "RUNNING"), field("status.atProvider.currentMasterVersion", "1.30.5-gke.1"))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleReady, at(9), ReasonAvailable, "1.30.5-gke.1"),
					tr(v1alpha1.LifecycleDegraded, at(300), "ERROR", "1.30.5-gke.1", msg("cloud state is ERROR")),
					tr(v1alpha1.LifecycleRecovered, at(320), ReasonAvailable, "1.30.5-gke.1"),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30.5-gke.1"},
			},
		},
		"ClassicGKEDegradedState": {
			reason: "Classic GKE DEGRADED (Unavailable) after ready is degraded, with Ready's reason.",
			args: args{
				p:    profile(t, "container.gcp.crossplane.io", "GKECluster"),
				prev: State{Phase: v1alpha1.PhaseReady, Created: true},
				steps: []step{
					{obj: classicGKE(ready(StatusFalse, ReasonUnavailable, at(300)), field("status.atProvider.status", "DEGRADED"))},
				},
			},
			want: want{
				ts:    []Transition{tr(v1alpha1.LifecycleDegraded, at(300), ReasonUnavailable, "")},
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true},
			},
		},
		"ClassicGKEErrorDuringCreate": {
			reason: "Classic GKE turning ERROR while provisioning is a failed create.",
			args: args{
				p: profile(t, "container.gcp.crossplane.io", "Cluster"),
				steps: []step{
					{obj: classicGKE(ready(StatusFalse, ReasonCreating, at(2)), field("status.atProvider.status", "PROVISIONING"))},
					{obj: classicGKE(ready(StatusFalse, ReasonUnavailable, at(12)), field("status.atProvider.status", "ERROR"))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleFailed, at(12), "ERROR", "", msg("cloud state is ERROR")),
				},
				state: State{Phase: v1alpha1.PhaseFailed, Created: true},
			},
		},
		"ClassicAKS": {
			reason: "Classic AKS keeps Creating until Succeeded, then never leaves Ready=True: a Failed provisioning state degrades. Without managedFields the degradation takes the newest condition time, told apart by the cloud state.",
			args: args{
				p: profile(t, "compute.azure.crossplane.io", "AKSCluster"),
				steps: []step{
					{obj: classicAKS(field("status.state", "Creating"))},
					{obj: classicAKS(field("status.state", "Creating"), field("status.providerID", "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks"))},
					{obj: classicAKS(field("status.state", "Succeeded"), ready(StatusTrue, ReasonAvailable, at(12)), field("status.endpoint", "aks-dns-1a2b.hcp.westus2.azmk8s.io"))},
					{obj: classicAKS(field("status.state", "Updating"), ready(StatusTrue, ReasonAvailable, at(12)))},
					{obj: classicAKS(field("status.state", "Failed"), ready(StatusTrue, ReasonAvailable, at(12)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, "1.19.11"),
					tr(v1alpha1.LifecycleReady, at(12), ReasonAvailable, "1.19.11"),
					tr(v1alpha1.LifecycleDegraded, at(12), "Failed", "1.19.11", msg("cloud state is Failed"), value("Failed")),
				},
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true, KubernetesVersion: "1.19.11"},
			},
		},
		"ClassicAKSFailedCreate": {
			reason: "A Failed provisioning state while Creating is a failed create.",
			args: args{
				p: profile(t, "compute.azure.crossplane.io", "AKSCluster"),
				steps: []step{
					{obj: classicAKS(field("status.state", "Creating"))},
					{obj: classicAKS(field("status.state", "Failed"), touched(at(7)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, "1.19.11"),
					tr(v1alpha1.LifecycleFailed, at(7), "Failed", "1.19.11", msg("cloud state is Failed"), value("Failed")),
				},
				state: State{Phase: v1alpha1.PhaseFailed, Created: true, KubernetesVersion: "1.19.11"},
			},
		},
		"DigitalOcean": {
			reason: "DigitalOcean: Ready=True while provisioning waits for running; degraded and running again degrade and recover.",
			args: args{
				p: profile(t, "kubernetes.digitalocean.crossplane.io", "Cluster"),
				steps: []step{
					{obj: doCluster()},
					{obj: doCluster(doReady("provisioning")...)},
					{obj: doCluster(doReady("running")...)},
					{obj: doCluster(append(doReady("degraded"), touched(at(30)))...)},
					{obj: doCluster(append(doReady("running"), touched(at(40)))...)},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleReady, at(8), ReasonAvailable, "1.31.1-do.0"),
					tr(v1alpha1.LifecycleDegraded, at(30), "degraded", "1.31.1-do.0", msg("cloud state is degraded"), value("degraded")),
					tr(v1alpha1.LifecycleRecovered, at(40), ReasonAvailable, "1.31.1-do.0", value("running")),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.31.1-do.0"},
			},
		},
		"Civo": {
			reason: "Civo: being created, active, deleted; then gone, at the newest time the final object carried.",
			args: args{
				p: profile(t, "cluster.civo.crossplane.io", "CivoKubernetes"),
				steps: []step{
					{obj: civo(ready(StatusFalse, ReasonCreating, at(2)), field("status.message", "Cluster is being created"))},
					{obj: civo(ready(StatusTrue, ReasonAvailable, at(4)), field("status.message", "Cluster is active"))},
					{obj: civo(ready(StatusFalse, ReasonDeleting, at(60)), field("status.message", "Cluster is being deleted"), deleting(at(59)))},
					{gone: true},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, "1.22.2-k3s1"),
					tr(v1alpha1.LifecycleReady, at(4), ReasonAvailable, "1.22.2-k3s1"),
					tr(v1alpha1.LifecycleDeleting, at(59), ReasonDeleting, "1.22.2-k3s1"),
					tr(v1alpha1.LifecycleDeleted, at(60), "", "1.22.2-k3s1"),
				},
				state: State{Phase: v1alpha1.PhaseDeleted, Created: true, KubernetesVersion: "1.22.2-k3s1"},
			},
		},
		"Linode": {
			reason: "Linode: not_ready before ready is provisioning, after ready degraded.",
			args: args{
				p: profile(t, "lke.linode.upbound.io", "Cluster"),
				steps: []step{
					{obj: object("lke.linode.upbound.io/v1alpha1", "Cluster", "lke", createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(5)), field("status.atProvider.status", "not_ready"))},
					{obj: object("lke.linode.upbound.io/v1alpha1", "Cluster", "lke", createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(5)), field("status.atProvider.status", "ready"))},
					{obj: object("lke.linode.upbound.io/v1alpha1", "Cluster", "lke", createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(5)), field("status.atProvider.status", "not_ready"), touched(at(9)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, ""),
					tr(v1alpha1.LifecycleReady, at(5), ReasonAvailable, ""),
					tr(v1alpha1.LifecycleDegraded, at(9), "not_ready", "", msg("cloud state is not_ready"), value("not_ready")),
				},
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true},
			},
		},
		"ScalewayPoolRequired": {
			reason: "A Kapsule cluster waiting for its first pool is not ready yet.",
			args: args{
				p: profile(t, "k8s.scaleway.upbound.io", "Cluster"),
				steps: []step{
					{obj: object("k8s.scaleway.upbound.io/v1alpha1", "Cluster", "k", createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(3)), field("status.atProvider.status", "pool_required"))},
					{obj: object("k8s.scaleway.upbound.io/v1alpha1", "Cluster", "k", createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(3)), field("status.atProvider.status", "ready"))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, ""),
					tr(v1alpha1.LifecycleReady, at(3), ReasonAvailable, ""),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true},
			},
		},
		"NamespacedUpjetGKE": {
			reason: "A namespaced upjet GKE cluster has no cloud state: Ready decides; an upgrade of masterVersion is seen.",
			args: args{
				p: profile(t, "container.gcp.m.upbound.io", "Cluster"),
				steps: []step{
					{obj: object("container.gcp.m.upbound.io/v1beta1", "Cluster", "gke", namespace("team-a"), createSucceeded(at(2)), ready(StatusFalse, ReasonCreating, at(2)), synced(StatusTrue, ReasonReconcileSuccess, at(2)))},
					{obj: object("container.gcp.m.upbound.io/v1beta1", "Cluster", "gke", namespace("team-a"), createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(11)), field("status.atProvider.masterVersion", "1.30.5-gke.1"))},
					{obj: object("container.gcp.m.upbound.io/v1beta1", "Cluster", "gke", namespace("team-a"), createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(11)), field("status.atProvider.masterVersion", "1.31.1-gke.2"), touched(at(30)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonCreating, ""),
					tr(v1alpha1.LifecycleReady, at(11), ReasonAvailable, "1.30.5-gke.1"),
					tr(v1alpha1.LifecycleUpgraded, at(30), "", "1.31.1-gke.2", previous("1.30.5-gke.1"), value("1.31.1-gke.2")),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.31.1-gke.2"},
			},
		},
		"NamespacedUpjetAKSLate": {
			reason: "First sight of a ready namespaced AKS cluster at start emits created then ready, both replayed.",
			args: args{
				p: profile(t, "containerservice.azure.m.upbound.io", "KubernetesCluster"),
				steps: []step{
					{late: true, obj: object("containerservice.azure.m.upbound.io/v1beta1", "KubernetesCluster", "aks", namespace("team-b"),
						createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(14)),
						field("status.atProvider.currentKubernetesVersion", "1.31.2"), field("status.atProvider.fqdn", "aks-1a2b.hcp.westeurope.azmk8s.io"))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, "1.31.2", replayed()),
					tr(v1alpha1.LifecycleReady, at(14), ReasonAvailable, "1.31.2", replayed()),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.31.2"},
			},
		},
		"LateReadyWithoutAnnotation": {
			reason: "An observed-only cluster has no create annotations: created takes the object's creation time.",
			args: args{
				p: profile(t, "eks.aws.m.upbound.io", "Cluster"),
				steps: []step{
					{late: true, obj: object("eks.aws.m.upbound.io/v1beta1", "Cluster", "imported", namespace("team-a"),
						ready(StatusTrue, ReasonAvailable, at(3)), field("status.atProvider.status", "ACTIVE"), field("status.atProvider.version", "1.31"))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, t0, ReasonAvailable, "1.31", replayed()),
					tr(v1alpha1.LifecycleReady, at(3), ReasonAvailable, "1.31", replayed()),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.31"},
			},
		},
		"Deletion": {
			reason: "A deletionTimestamp emits deleting at its time, once; the object going away emits deleted at the newest time the final object carried.",
			args: args{
				p:    profile(t, "eks.aws.upbound.io", "Cluster"),
				prev: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
				steps: []step{
					{obj: eks(eksActive("1.30", 20), deleting(at(200)))},
					{obj: eks(eksActive("1.30", 20), deleting(at(200)), ready(StatusFalse, ReasonDeleting, at(201)))},
					{obj: eks(eksActive("1.30", 20), deleting(at(200)), ready(StatusFalse, ReasonDeleting, at(201)), field("status.atProvider.status", "DELETING"))},
					{gone: true},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleDeleting, at(200), "", "1.30"),
					tr(v1alpha1.LifecycleDeleted, at(201), "", "1.30"),
				},
				state: State{Phase: v1alpha1.PhaseDeleted, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"FirstSightDeleting": {
			reason: "First sight of a cluster being deleted emits created then deleting.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				steps: []step{
					{late: true, obj: eks(eksActive("1.30", 20), deleting(at(200)), ready(StatusFalse, ReasonDeleting, at(201)))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleCreated, at(2), ReasonDeleting, "1.30", replayed()),
					tr(v1alpha1.LifecycleDeleting, at(200), ReasonDeleting, "1.30", replayed()),
				},
				state: State{Phase: v1alpha1.PhaseDeleting, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"DeletedBeforeCreate": {
			reason: "An object deleted before anything was created emits deleting and deleted, never created.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				steps: []step{
					{obj: eks(eksNew)},
					{obj: eks(eksNew, deleting(at(5)))},
					{gone: true},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleDeleting, at(5), "", ""),
					tr(v1alpha1.LifecycleDeleted, at(5), "", ""),
				},
				state: State{Phase: v1alpha1.PhaseDeleted},
			},
		},
		"GoneWithoutDeleting": {
			reason: "A cluster that vanished while the provider was down still gets deleted, replayed.",
			args: args{
				p:     profile(t, "eks.aws.upbound.io", "Cluster"),
				prev:  State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
				steps: []step{{gone: true, late: true, last: at(300)}},
			},
			want: want{
				ts:    []Transition{tr(v1alpha1.LifecycleDeleted, at(300), "", "1.30", replayed())},
				state: State{Phase: v1alpha1.PhaseDeleted, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"AfterGone": {
			reason: "Nothing follows deleted.",
			args: args{
				p:     profile(t, "eks.aws.upbound.io", "Cluster"),
				prev:  State{Phase: v1alpha1.PhaseDeleted, Created: true},
				steps: []step{{obj: eks(eksActive("1.30", 20))}, {gone: true}},
			},
			want: want{state: State{Phase: v1alpha1.PhaseDeleted, Created: true}},
		},
		"RestartContinuity": {
			reason: "A restarted provider with the persisted state emits nothing for an unchanged cluster, even on late first sight.",
			args: args{
				p:     profile(t, "eks.aws.upbound.io", "Cluster"),
				prev:  State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
				steps: []step{{late: true, obj: eks(eksActive("1.30", 20))}},
			},
			want: want{state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"}},
		},
		"RestartCatchUp": {
			reason: "A restarted provider emits, replayed, only what happened while it was down.",
			args: args{
				p:     profile(t, "eks.aws.upbound.io", "Cluster"),
				prev:  State{Phase: v1alpha1.PhaseProvisioning, Created: true},
				steps: []step{{late: true, obj: eks(eksActive("1.30", 20))}},
			},
			want: want{
				ts:    []Transition{tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30", replayed())},
				state: State{Phase: v1alpha1.PhaseReady, Created: true, KubernetesVersion: "1.30"},
			},
		},
		"ClassicCreateCallFails": {
			reason: "A failed create call (annotation) is failed with Synced's error; a retry that succeeds emits created, then ready.",
			args: args{
				p: profile(t, "eks.aws.crossplane.io", "Cluster"),
				steps: []step{
					{obj: object("eks.aws.crossplane.io/v1beta1", "Cluster", "c", createPending(at(1)))},
					{obj: object("eks.aws.crossplane.io/v1beta1", "Cluster", "c", createPending(at(1)), createFailed(at(2)),
						ready(StatusFalse, ReasonCreating, at(2)), synced(StatusFalse, "ReconcileError", at(2), "create failed: ResourceLimitExceeded"))},
					{obj: object("eks.aws.crossplane.io/v1beta1", "Cluster", "c", createPending(at(5)), createFailed(at(2)),
						ready(StatusFalse, ReasonCreating, at(2)), synced(StatusFalse, "ReconcileError", at(2), "create failed: ResourceLimitExceeded"))},
					{obj: object("eks.aws.crossplane.io/v1beta1", "Cluster", "c", createPending(at(5)), createFailed(at(2)), createSucceeded(at(6)),
						ready(StatusFalse, ReasonCreating, at(2)), synced(StatusTrue, ReasonReconcileSuccess, at(6)), field("status.atProvider.status", "CREATING"))},
					{obj: object("eks.aws.crossplane.io/v1beta1", "Cluster", "c", createPending(at(5)), createFailed(at(2)), createSucceeded(at(6)),
						ready(StatusTrue, ReasonAvailable, at(20)), synced(StatusTrue, ReasonReconcileSuccess, at(6)), field("status.atProvider.status", "ACTIVE"))},
				},
			},
			want: want{
				ts: []Transition{
					tr(v1alpha1.LifecycleFailed, at(2), "ReconcileError", "", msg("create failed: ResourceLimitExceeded")),
					tr(v1alpha1.LifecycleCreated, at(6), ReasonCreating, ""),
					tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, ""),
				},
				state: State{Phase: v1alpha1.PhaseReady, Created: true},
			},
		},
		"CreateIncomplete": {
			reason: "A pending create whose outcome is unknown is neither created nor failed.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				steps: []step{
					{obj: eks(eksNew, createPending(at(1)), ready(StatusFalse, ReasonCreating, at(1)),
						synced(StatusFalse, "ReconcileError", at(1), "cannot determine creation result - remove the crossplane.io/external-create-pending annotation if it is safe to proceed"))},
				},
			},
			want: want{state: State{Phase: v1alpha1.PhasePending}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ts, s := run(t, tc.args.p, tc.args.prev, tc.args.steps)
			got := want{ts: ts, state: s}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nNext(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	p := profile(t, "eks.aws.upbound.io", "Cluster")
	readyEKS := func(more ...mod) *unstructured.Unstructured {
		return object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", with([]mod{
			createSucceeded(at(2)), ready(StatusTrue, ReasonAvailable, at(20)), lastAsync(StatusTrue, "Success", at(20)),
			field("status.atProvider.status", "ACTIVE"), field("status.atProvider.version", "1.30"),
		}, more...)...)
	}
	type args struct {
		oldObj, newObj *unstructured.Unstructured
		c              Context
	}
	c := Context{}
	cases := map[string]struct {
		reason string
		args   args
		want   []Transition
	}{
		"FirstSight": {
			reason: "A nil old object is first sight of the new one.",
			args:   args{newObj: readyEKS(), c: Context{Late: true}},
			want: []Transition{
				tr(v1alpha1.LifecycleCreated, at(2), ReasonAvailable, "1.30", replayed()),
				tr(v1alpha1.LifecycleReady, at(20), ReasonAvailable, "1.30", replayed()),
			},
		},
		"Unchanged": {
			reason: "An update that changes nothing of interest emits nothing.",
			args:   args{oldObj: readyEKS(), newObj: readyEKS(annotation("team", "x")), c: c},
		},
		"Degraded": {
			reason: "A cloud state turning FAILED degrades.",
			args:   args{oldObj: readyEKS(), newObj: readyEKS(field("status.atProvider.status", "FAILED"), touched(at(30))), c: c},
			want:   []Transition{tr(v1alpha1.LifecycleDegraded, at(30), "FAILED", "1.30", msg("cloud state is FAILED"), value("FAILED"))},
		},
		"Upgraded": {
			reason: "A version change while ready is an upgrade.",
			args:   args{oldObj: readyEKS(), newObj: readyEKS(field("status.atProvider.version", "1.31"), touched(at(40))), c: c},
			want:   []Transition{tr(v1alpha1.LifecycleUpgraded, at(40), "", "1.31", previous("1.30"), value("1.31"))},
		},
		"Deleting": {
			reason: "A deletionTimestamp emits deleting.",
			args:   args{oldObj: readyEKS(), newObj: readyEKS(deleting(at(50))), c: c},
			want:   []Transition{tr(v1alpha1.LifecycleDeleting, at(50), "", "1.30")},
		},
		"Gone": {
			reason: "A nil new object is gone, at the newest time the old one carries.",
			args:   args{oldObj: readyEKS(deleting(at(50))), c: c},
			want:   []Transition{tr(v1alpha1.LifecycleDeleted, at(50), "", "1.30")},
		},
		"Nothing": {
			reason: "No objects, no transitions.",
			args:   args{c: c},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Normalize(p, tc.args.oldObj, tc.args.newObj, tc.args.c)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nNormalize(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// declared compiles a ClusterKind's profile for a kind whose provider keeps
// Ready=True while its phase says how the cluster is.
func declared(t *testing.T, readyMeansHealthy *bool) *catalog.Profile {
	t.Helper()
	p, err := catalog.Compile(v1alpha1.ClusterKindSpec{
		Group: "kube.example.org", Kind: "Cluster", Provider: "example",
		Fields: v1alpha1.ProfileFields{CloudState: []string{"status.atProvider.phase"}},
		States: v1alpha1.CloudStates{
			Healthy:  []string{"Running"},
			Degraded: []string{"Degraded"},
			Failed:   []string{"Failed"},
		},
		ReadyMeansHealthy: readyMeansHealthy,
	})
	if err != nil {
		t.Fatalf("catalog.Compile: %v", err)
	}
	return p
}

func TestDeclaredStates(t *testing.T) {
	running := []mod{
		createSucceeded(at(1)), synced(StatusTrue, ReasonReconcileSuccess, at(1)),
		ready(StatusTrue, ReasonAvailable, at(5)), field("status.atProvider.phase", "Running"), touched(at(5)),
	}
	// phases are the object once Running, then in each phase in turn, ten
	// minutes apart, with Ready kept True unless notReady.
	phases := func(notReady bool, ps ...string) []step {
		steps := []step{{obj: object("kube.example.org/v1alpha1", "Cluster", "c1", running...)}}
		for i, ph := range ps {
			m := with(running, field("status.atProvider.phase", ph), touched(at(10*(i+1))))
			if notReady {
				m = append(m, ready(StatusFalse, ReasonUnavailable, at(10*(i+1))))
			}
			steps = append(steps, step{obj: object("kube.example.org/v1alpha1", "Cluster", "c1", m...)})
		}
		return steps
	}
	upTo := func(ts ...Transition) []Transition {
		return append([]Transition{
			tr(v1alpha1.LifecycleCreated, at(1), ReasonAvailable, ""),
			tr(v1alpha1.LifecycleReady, at(5), ReasonAvailable, ""),
		}, ts...)
	}
	cloud := func(l v1alpha1.Lifecycle, m int, state string) Transition {
		return tr(l, at(m), state, "", msg("cloud state is "+state), value(state))
	}
	yes, no := true, false
	type want struct {
		ts    []Transition
		state State
	}
	cases := map[string]struct {
		reason            string
		readyMeansHealthy *bool
		steps             []step
		want              want
	}{
		"DegradedWhileReady": {
			reason: "A declared degraded state counts while Ready stays True when readyMeansHealthy is unset, and Running again recovers.",
			steps:  phases(false, "Degraded", "Running"),
			want: want{
				ts: upTo(cloud(v1alpha1.LifecycleDegraded, 10, "Degraded"),
					tr(v1alpha1.LifecycleRecovered, at(20), ReasonAvailable, "", value("Running"))),
				state: State{Phase: v1alpha1.PhaseReady, Created: true},
			},
		},
		"FailedWhileReady": {
			reason: "A declared failed state after ready degrades while Ready stays True.",
			steps:  phases(false, "Failed"),
			want:   want{ts: upTo(cloud(v1alpha1.LifecycleDegraded, 10, "Failed")), state: State{Phase: v1alpha1.PhaseDegraded, Created: true}},
		},
		"ExplicitFalse": {
			reason:            "readyMeansHealthy=false says the same as unset for these states.",
			readyMeansHealthy: &no,
			steps:             phases(false, "Degraded"),
			want:              want{ts: upTo(cloud(v1alpha1.LifecycleDegraded, 10, "Degraded")), state: State{Phase: v1alpha1.PhaseDegraded, Created: true}},
		},
		"ExplicitTrue": {
			reason:            "readyMeansHealthy=true, said explicitly, keeps Ready=True healthy whatever the phase: the user said otherwise.",
			readyMeansHealthy: &yes,
			steps:             phases(false, "Degraded"),
			want:              want{ts: upTo(), state: State{Phase: v1alpha1.PhaseReady, Created: true}},
		},
		"ExplicitTrueReadyFalse": {
			reason:            "With readyMeansHealthy=true the declared states still count once Ready turns False.",
			readyMeansHealthy: &yes,
			steps:             phases(true, "Degraded"),
			want: want{
				ts:    upTo(tr(v1alpha1.LifecycleDegraded, at(10), ReasonUnavailable, "")),
				state: State{Phase: v1alpha1.PhaseDegraded, Created: true},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ts, s := run(t, declared(t, tc.readyMeansHealthy), State{}, tc.steps)
			if diff := cmp.Diff(tc.want, want{ts: ts, state: s}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nNext(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestTimedBy sorts transitions into the three kinds of time they carry:
// one the object records for them, the newest time the object carries, and
// one the provider worked out from its records.
func TestTimedBy(t *testing.T) {
	type want struct{ Object, Records bool }
	cases := map[string]struct {
		reason string
		t      Transition
		want   want
	}{
		"ReadyAtItsCondition": {
			reason: "ready carries Ready's lastTransitionTime: found again with it after a crash.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleReady},
			want:   want{Object: true},
		},
		"DegradedAtItsCondition": {
			reason: "degraded by Ready turning False carries the condition's time.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleDegraded},
			want:   want{Object: true},
		},
		"DegradedByCloudState": {
			reason: "degraded by a cloud state carries the newest time the object happens to carry, which a later write moves; it is still found again from the object.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleDegraded, Value: "FAILED"},
			want:   want{},
		},
		"Upgraded": {
			reason: "upgraded carries the newest time the object carries, and is found again from the object's version.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleUpgraded, Value: "1.31"},
			want:   want{},
		},
		"OutOfSync": {
			reason: "outOfSync carries Synced's time plus the threshold; its value is the threshold.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleOutOfSync, Value: "10m0s"},
			want:   want{Object: true},
		},
		"Deleted": {
			reason: "deleted carries the newest time the ledger recorded of the object.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleDeleted},
			want:   want{Records: true},
		},
		"Flapping": {
			reason: "flapping is worked out from the recorded recent transitions.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleFlapping, Value: "3/1m0s"},
			want:   want{Records: true},
		},
		"Stable": {
			reason: "stable is worked out from the recorded recent transitions.",
			t:      Transition{Lifecycle: v1alpha1.LifecycleStable, Value: "3/1m0s"},
			want:   want{Records: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := want{Object: tc.t.TimedByObject(), Records: tc.t.TimedByRecords()}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\n(TimedByObject(), TimedByRecords()): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
