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
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

func TestObserve(t *testing.T) {
	type args struct {
		p *catalog.Profile
		u *unstructured.Unstructured
	}
	long := strings.Repeat("x", 5000)
	cases := map[string]struct {
		reason string
		args   args
		want   Observation
	}{
		"UpjetEKSv1beta2": {
			reason: "An upjet EKS cluster yields its metadata, conditions, annotation times and facts.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				u: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1",
					func(u *unstructured.Unstructured) { u.SetLabels(map[string]string{"env": "prod"}) },
					annotation(catalog.AnnotationExternalName, "prod-1"),
					createPending(at(1)), createSucceeded(at(2)),
					ready(StatusTrue, ReasonAvailable, at(20)),
					synced(StatusTrue, ReasonReconcileSuccess, at(2)),
					lastAsync(StatusTrue, "Success", at(20)),
					field("spec.forProvider.region", "us-east-1"),
					field("status.atProvider.arn", "arn:aws:eks:us-east-1:123456789012:cluster/prod-1"),
					field("status.atProvider.endpoint", "https://ABC.gr7.us-east-1.eks.amazonaws.com"),
					field("status.atProvider.version", "1.31"),
					field("status.atProvider.status", "ACTIVE"),
					field("status.atProvider.vpcConfig", map[string]any{"clusterSecurityGroupId": "sg-1"}),
				),
			},
			want: Observation{
				UID: "uid-1", Name: "prod-1", APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster",
				Labels:             map[string]string{"env": "prod"},
				CreationTimestamp:  t0,
				Generation:         1,
				Ready:              Condition{Status: StatusTrue, Reason: ReasonAvailable, LastTransitionTime: at(20)},
				Synced:             Condition{Status: StatusTrue, Reason: ReasonReconcileSuccess, LastTransitionTime: at(2)},
				LastAsyncOperation: Condition{Status: StatusTrue, Reason: "Success", LastTransitionTime: at(20)},
				CreatePending:      at(1),
				CreateSucceeded:    at(2),
				Facts: v1alpha1.Facts{
					ExternalName: "prod-1", CloudID: "arn:aws:eks:us-east-1:123456789012:cluster/prod-1",
					Endpoint: "https://ABC.gr7.us-east-1.eks.amazonaws.com", KubernetesVersion: "1.31",
					Region: "us-east-1", CloudState: "ACTIVE",
				},
				Latest: at(20),
			},
		},
		"LatestFromManagedFields": {
			reason: "The newest time an object carries includes every managedFields entry, every condition and the deletion timestamp; unparsable entries are skipped.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				u: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1",
					ready(StatusTrue, ReasonAvailable, at(20)),
					withCondition("Healthy", StatusTrue, "Checked", at(25)),
					touched(at(30)), touched(at(90)), touched(at(60)),
					func(u *unstructured.Unstructured) {
						mfs, _, _ := unstructured.NestedSlice(u.Object, "metadata", "managedFields")
						_ = unstructured.SetNestedSlice(u.Object, append(mfs, "not an entry", map[string]any{"time": "never"}), "metadata", "managedFields")
					},
					deleting(at(40)),
				),
			},
			want: Observation{
				UID: "uid-1", Name: "prod-1", APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster",
				CreationTimestamp: t0, DeletionTimestamp: at(40), Generation: 1,
				Ready:  Condition{Status: StatusTrue, Reason: ReasonAvailable, LastTransitionTime: at(20)},
				Latest: at(90),
			},
		},
		"LatestTrimmed": {
			reason: "An object trimmed of managedFields still has a newest time: its conditions, annotations and timestamps.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				u: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", createSucceeded(at(70)), withCondition("Healthy", StatusTrue, "Checked", at(25))),
			},
			want: Observation{
				UID: "uid-1", Name: "prod-1", APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster",
				CreationTimestamp: t0, Generation: 1, CreateSucceeded: at(70),
				Latest: at(70),
			},
		},
		"SubSecondTimes": {
			reason: "Times are kept to whole seconds, as Kubernetes stores them.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				u: object("eks.aws.upbound.io/v1beta2", "Cluster", "prod-1", annotation(AnnotationCreateSucceeded, "2026-03-01T10:05:00.987654321Z")),
			},
			want: Observation{
				UID: "uid-1", Name: "prod-1", APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster",
				CreationTimestamp: t0, Generation: 1, CreateSucceeded: at(5),
				Latest: at(5),
			},
		},
		"DigitalOceanSingletonLists": {
			reason: "DigitalOcean's singleton lists do not get in the way; the region falls back to initProvider.",
			args: args{
				p: profile(t, "kubernetes.digitalocean.crossplane.io", "Cluster"),
				u: object("kubernetes.digitalocean.crossplane.io/v1alpha1", "Cluster", "foo",
					annotation(catalog.AnnotationExternalName, "0d6a5f7e-1234"),
					field("spec.initProvider.region", "nyc1"),
					field("spec.forProvider.nodePool", []any{map[string]any{"name": "worker-pool", "nodeCount": int64(3)}}),
					field("status.atProvider.urn", "do:kubernetes:0d6a5f7e-1234"),
					field("status.atProvider.endpoint", "https://0d6a5f7e-1234.k8s.ondigitalocean.com"),
					field("status.atProvider.status", "running"),
					field("status.atProvider.version", "1.31.1-do.0"),
				),
			},
			want: Observation{
				UID: "uid-1", Name: "foo", APIVersion: "kubernetes.digitalocean.crossplane.io/v1alpha1", Kind: "Cluster",
				CreationTimestamp: t0, Generation: 1,
				Facts: v1alpha1.Facts{
					ExternalName: "0d6a5f7e-1234", CloudID: "do:kubernetes:0d6a5f7e-1234",
					Endpoint: "https://0d6a5f7e-1234.k8s.ondigitalocean.com", KubernetesVersion: "1.31.1-do.0",
					Region: "nyc1", CloudState: "running",
				},
				Latest: t0,
			},
		},
		"GKEBareIPEndpoint": {
			reason: "GKE reports its endpoint as a bare IP, which becomes an https URI; the region falls back to atProvider.",
			args: args{
				p: profile(t, "container.gcp.m.upbound.io", "Cluster"),
				u: object("container.gcp.m.upbound.io/v1beta1", "Cluster", "gke", namespace("team-a"),
					field("status.atProvider.endpoint", "34.1.2.3"),
					field("status.atProvider.location", "europe-west1"),
					field("status.atProvider.id", "projects/p/locations/europe-west1/clusters/gke"),
				),
			},
			want: Observation{
				UID: "uid-1", Name: "gke", Namespace: "team-a", APIVersion: "container.gcp.m.upbound.io/v1beta1", Kind: "Cluster",
				CreationTimestamp: t0, Generation: 1,
				Facts: v1alpha1.Facts{
					CloudID: "projects/p/locations/europe-west1/clusters/gke", Endpoint: "https://34.1.2.3", Region: "europe-west1",
				},
				Latest: t0,
			},
		},
		"LinodeListOfStrings": {
			reason: "Linode's apiEndpoints list yields its first endpoint; a numeric id is formatted.",
			args: args{
				p: profile(t, "lke.linode.upbound.io", "Cluster"),
				u: object("lke.linode.upbound.io/v1alpha1", "Cluster", "lke",
					field("status.atProvider.apiEndpoints", []any{"https://1234.eu-west-1.linodelke.net:443", "https://1.2.3.4:443"}),
					field("status.atProvider.id", int64(1234)),
					field("status.atProvider.status", "ready"),
					field("status.atProvider.k8sVersion", "1.31"),
					field("spec.forProvider.region", "eu-west"),
				),
			},
			want: Observation{
				UID: "uid-1", Name: "lke", APIVersion: "lke.linode.upbound.io/v1alpha1", Kind: "Cluster",
				CreationTimestamp: t0, Generation: 1,
				Facts: v1alpha1.Facts{
					CloudID: "1234", Endpoint: "https://1234.eu-west-1.linodelke.net:443", KubernetesVersion: "1.31",
					Region: "eu-west", CloudState: "ready",
				},
				Latest: t0,
			},
		},
		"OCIEndpointsHostPort": {
			reason: "OCI's endpoints list of objects yields host:port, which becomes an https URI.",
			args: args{
				p: profile(t, "containerengine.oci.upbound.io", "Cluster"),
				u: object("containerengine.oci.upbound.io/v1alpha1", "Cluster", "oke",
					field("status.atProvider.endpoints", []any{map[string]any{"kubernetes": "10.0.0.3:6443", "privateEndpoint": "10.0.0.2:6443"}}),
					field("status.atProvider.state", "ACTIVE"),
				),
			},
			want: Observation{
				UID: "uid-1", Name: "oke", APIVersion: "containerengine.oci.upbound.io/v1alpha1", Kind: "Cluster",
				CreationTimestamp: t0, Generation: 1,
				Facts:  v1alpha1.Facts{Endpoint: "https://10.0.0.2:6443", CloudState: "ACTIVE"},
				Latest: t0,
			},
		},
		"CivoSpecName": {
			reason: "Civo's cluster name is spec.name; its cloud state is status.message.",
			args: args{
				p: profile(t, "cluster.civo.crossplane.io", "CivoKubernetes"),
				u: object("cluster.civo.crossplane.io/v1alpha1", "CivoKubernetes", "test",
					annotation(catalog.AnnotationExternalName, "test"),
					field("spec.name", "civo-test"),
					field("spec.version", "1.22.2-k3s1"),
					field("status.message", "Cluster is active"),
				),
			},
			want: Observation{
				UID: "uid-1", Name: "test", APIVersion: "cluster.civo.crossplane.io/v1alpha1", Kind: "CivoKubernetes",
				CreationTimestamp: t0, Generation: 1,
				Facts:  v1alpha1.Facts{ExternalName: "civo-test", KubernetesVersion: "1.22.2-k3s1", CloudState: "Cluster is active"},
				Latest: t0,
			},
		},
		"Malformed": {
			reason: "Malformed parts of an object are left empty.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				u: &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": int64(3),
					"metadata": map[string]any{
						"name": "x", "uid": []any{"no"}, "generation": "one", "creationTimestamp": "yesterday",
						"labels":      map[string]any{"ok": "yes", "bad": int64(1)},
						"annotations": map[string]any{AnnotationCreateSucceeded: "not a time", AnnotationCreateFailed: int64(1)},
					},
					"status": map[string]any{"conditions": map[string]any{"type": "Ready"}, "atProvider": "x"},
				}},
			},
			want: Observation{Name: "x", Labels: map[string]string{"ok": "yes"}},
		},
		"BadConditions": {
			reason: "Condition entries that are not objects, or carry bad times, are tolerated.",
			args: args{
				p: profile(t, "eks.aws.upbound.io", "Cluster"),
				u: &unstructured.Unstructured{Object: map[string]any{
					"status": map[string]any{"conditions": []any{
						"Ready", nil,
						map[string]any{"type": "Ready", "status": true, "reason": "Available", "lastTransitionTime": "soon", "message": long},
					}},
				}},
			},
			want: Observation{Ready: Condition{Reason: "Available", Message: long[:catalog.MaxMessageBytes]}},
		},
		"NilObject": {
			reason: "A nil object yields an empty observation.",
			args:   args{p: profile(t, "eks.aws.upbound.io", "Cluster")},
			want:   Observation{},
		},
		"NilProfile": {
			reason: "Without a profile there are no facts, but the rest is read.",
			args: args{
				u: object("eks.aws.upbound.io/v1beta2", "Cluster", "a", field("status.atProvider.status", "ACTIVE")),
			},
			want: Observation{UID: "uid-1", Name: "a", APIVersion: "eks.aws.upbound.io/v1beta2", Kind: "Cluster", CreationTimestamp: t0, Generation: 1, Latest: t0},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Observe(tc.args.p, tc.args.u)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nObserve(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestEndpointURI(t *testing.T) {
	cases := map[string]struct {
		reason string
		in     string
		want   string
	}{
		"HTTPS":       {reason: "An absolute URI is kept.", in: "https://ABC.gr7.us-east-1.eks.amazonaws.com", want: "https://ABC.gr7.us-east-1.eks.amazonaws.com"},
		"IPv4":        {reason: "A bare IPv4 address gets https.", in: "34.1.2.3", want: "https://34.1.2.3"},
		"HostPort":    {reason: "A host:port gets https.", in: "10.0.0.1:6443", want: "https://10.0.0.1:6443"},
		"FQDN":        {reason: "A bare host name gets https (AKS fqdn).", in: "prod-dns-1a2b.hcp.eastus.azmk8s.io", want: "https://prod-dns-1a2b.hcp.eastus.azmk8s.io"},
		"IPv6":        {reason: "A bare IPv6 address gets brackets and https.", in: "2001:db8::1", want: "https://[2001:db8::1]"},
		"IPv6Port":    {reason: "A bracketed IPv6 address with port gets https.", in: "[2001:db8::1]:6443", want: "https://[2001:db8::1]:6443"},
		"Spaces":      {reason: "Surrounding space is dropped.", in: " 34.1.2.3 ", want: "https://34.1.2.3"},
		"Empty":       {reason: "Nothing stays nothing.", in: "", want: ""},
		"Garbage":     {reason: "What is not a host is kept as reported.", in: "not a host", want: "not a host"},
		"BadPort":     {reason: "A host with a bad port is kept as reported.", in: "host:port", want: "host:port"},
		"OtherURI":    {reason: "An absolute URI of another scheme is kept.", in: "http://10.0.0.1:8080", want: "http://10.0.0.1:8080"},
		"PathOnly":    {reason: "A relative path is kept as reported.", in: "/api", want: "/api"},
		"LeadingDash": {reason: "An invalid host label is kept as reported.", in: "-bad.example.com", want: "-bad.example.com"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, EndpointURI(tc.in)); diff != "" {
				t.Errorf("\n%s\nEndpointURI(%q): -want, +got:\n%s", tc.reason, tc.in, diff)
			}
		})
	}
}

func TestConditionString(t *testing.T) {
	cases := map[string]struct {
		reason string
		c      Condition
		want   string
	}{
		"Present": {reason: "A condition reads status/reason.", c: Condition{Status: StatusTrue, Reason: ReasonAvailable}, want: "True/Available"},
		"Absent":  {reason: "An absent condition reads empty.", c: Condition{}, want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, tc.c.String()); diff != "" {
				t.Errorf("\n%s\nString(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// retained estimates the bytes an observation keeps alive: the struct, its
// strings and its labels.
func retained(o Observation) int {
	n := int(unsafe.Sizeof(o))
	for _, s := range []string{
		string(o.UID), o.Name, o.Namespace, o.APIVersion, o.Kind,
		o.Ready.Status, o.Ready.Reason, o.Ready.Message,
		o.Synced.Status, o.Synced.Reason, o.Synced.Message,
		o.LastAsyncOperation.Status, o.LastAsyncOperation.Reason, o.LastAsyncOperation.Message,
		o.Facts.ExternalName, o.Facts.CloudID, o.Facts.Endpoint, o.Facts.KubernetesVersion, o.Facts.Region, o.Facts.CloudState,
	} {
		n += len(s)
	}
	for k, v := range o.Labels {
		n += len(k) + len(v) + 2*int(unsafe.Sizeof(""))
	}
	return n
}

func TestObservationSize(t *testing.T) {
	// A typical ready upjet EKS cluster, with the messages upjet writes.
	u := object("eks.aws.upbound.io/v1beta2", "Cluster", "platform-prod-eu-west-1",
		func(u *unstructured.Unstructured) {
			u.SetUID("7f3c9a52-1b2c-4d5e-8f90-123456789abc")
			u.SetLabels(map[string]string{"env": "prod", "team": "platform"})
		},
		annotation(catalog.AnnotationExternalName, "platform-prod-eu-west-1"),
		createPending(at(1)), createSucceeded(at(2)),
		ready(StatusTrue, ReasonAvailable, at(20)),
		synced(StatusTrue, ReasonReconcileSuccess, at(2)),
		lastAsync(StatusTrue, "Success", at(20)),
		field("spec.forProvider.region", "eu-west-1"),
		field("status.atProvider.arn", "arn:aws:eks:eu-west-1:123456789012:cluster/platform-prod-eu-west-1"),
		field("status.atProvider.endpoint", "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com"),
		field("status.atProvider.version", "1.31"),
		field("status.atProvider.status", "ACTIVE"),
	)
	o := Observe(profile(t, "eks.aws.upbound.io", "Cluster"), u)
	n := retained(o)
	t.Logf("a typical observation retains about %d bytes", n)
	if n > 1024 {
		t.Errorf("\nA typical observation must stay well under 1 KiB.\nretained(Observe(...)): %d bytes", n)
	}
	// The worst case of messages is bounded too.
	long := strings.Repeat("m", 10000)
	u2 := object("eks.aws.upbound.io/v1beta2", "Cluster", "x",
		ready(StatusFalse, ReasonCreating, at(1), long), synced(StatusFalse, "ReconcileError", at(1), long),
		lastAsync(StatusFalse, ReasonAsyncCreateFailure, at(1), long))
	if n := retained(Observe(profile(t, "eks.aws.upbound.io", "Cluster"), u2)); n > 3*catalog.MaxMessageBytes+int(unsafe.Sizeof(Observation{}))+200 {
		t.Errorf("\nMessages are bounded.\nretained(Observe(...)): %d bytes", n)
	}
}
