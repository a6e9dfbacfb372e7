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

package catalog

import (
	"k8s.io/utils/ptr"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// Provider families reported in events and matched by sink selectors.
const (
	ProviderAWS          = "aws"
	ProviderGCP          = "gcp"
	ProviderAzure        = "azure"
	ProviderDigitalOcean = "digitalocean"
	ProviderCivo         = "civo"
	ProviderLinode       = "linode"
	ProviderScaleway     = "scaleway"
	ProviderOCI          = "oci"
)

// Builtins returns the profiles of every cluster kind the provider knows
// without any ClusterKind: the Kubernetes-cluster kinds of the upjet and
// classic Crossplane providers for AWS, GCP, Azure, DigitalOcean, Civo,
// Linode, Scaleway and OCI, cluster-scoped and namespaced (.m.) alike.
//
// Health. Upjet reports Ready=True as soon as Terraform finds the
// resource, whatever the cloud says, so upjet kinds that expose a cloud
// state take their health from it (ReadyMeansHealthy false). Upjet GKE
// and AKS expose none; Ready is all there is. Classic providers map the
// cloud state to Ready themselves (ReadyMeansHealthy true), except the
// classic Azure AKSCluster, which sets Ready=True once and never takes it
// back: its health comes from its provisioning state. Classic EKS reports
// an update (UPDATING) as Ready=False/Unavailable; listing UPDATING as
// healthy keeps an upgrade from reading as an outage.
func Builtins() []v1alpha1.ClusterKindSpec {
	eksStates := v1alpha1.CloudStates{
		Healthy:      []string{"ACTIVE", "UPDATING"},
		Provisioning: []string{"CREATING", "PENDING"},
		Failed:       []string{"FAILED"},
		Deleting:     []string{"DELETING"},
	}
	upjetEKS := func(group string) v1alpha1.ClusterKindSpec {
		return v1alpha1.ClusterKindSpec{
			Group:    group,
			Kind:     "Cluster",
			Provider: ProviderAWS,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.arn", "status.atProvider.id"},
				Endpoint:          []string{"status.atProvider.endpoint"},
				KubernetesVersion: []string{"status.atProvider.version"},
				Region:            []string{"spec.forProvider.region", "status.atProvider.region"},
				CloudState:        []string{"status.atProvider.status"},
			},
			States:            eksStates,
			ReadyMeansHealthy: ptr.To(false),
		}
	}
	upjetGKE := func(group string) v1alpha1.ClusterKindSpec {
		return v1alpha1.ClusterKindSpec{
			Group:    group,
			Kind:     "Cluster",
			Provider: ProviderGCP,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.id", "status.atProvider.selfLink"},
				Endpoint:          []string{"status.atProvider.endpoint"},
				KubernetesVersion: []string{"status.atProvider.masterVersion"},
				Region:            []string{"spec.forProvider.location", "status.atProvider.location"},
			},
			ReadyMeansHealthy: ptr.To(true),
		}
	}
	upjetAKS := func(group string) v1alpha1.ClusterKindSpec {
		return v1alpha1.ClusterKindSpec{
			Group:    group,
			Kind:     "KubernetesCluster",
			Provider: ProviderAzure,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.id"},
				Endpoint:          []string{"status.atProvider.fqdn", "status.atProvider.privateFqdn"},
				KubernetesVersion: []string{"status.atProvider.currentKubernetesVersion", "status.atProvider.kubernetesVersion"},
				Region:            []string{"spec.forProvider.location", "spec.initProvider.location", "status.atProvider.location"},
			},
			ReadyMeansHealthy: ptr.To(true),
		}
	}
	classicGKE := func(kind string) v1alpha1.ClusterKindSpec {
		return v1alpha1.ClusterKindSpec{
			Group:    "container.gcp.crossplane.io",
			Kind:     kind,
			Provider: ProviderGCP,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.selfLink"},
				Endpoint:          []string{"status.atProvider.endpoint"},
				KubernetesVersion: []string{"status.atProvider.currentMasterVersion"},
				Region:            []string{"spec.forProvider.location", "status.atProvider.location"},
				CloudState:        []string{"status.atProvider.status"},
			},
			// The provider maps RUNNING and RECONCILING to Available,
			// PROVISIONING to Creating, and STATUS_UNSPECIFIED, DEGRADED and
			// ERROR to Unavailable; STOPPING means a delete is under way.
			States: v1alpha1.CloudStates{
				Healthy:      []string{"RUNNING", "RECONCILING"},
				Provisioning: []string{"PROVISIONING"},
				Degraded:     []string{"DEGRADED"},
				Failed:       []string{"ERROR"},
				Deleting:     []string{"STOPPING"},
			},
			ReadyMeansHealthy: ptr.To(true),
		}
	}
	digitalOcean := func(group string) v1alpha1.ClusterKindSpec {
		return v1alpha1.ClusterKindSpec{
			Group:    group,
			Kind:     "Cluster",
			Provider: ProviderDigitalOcean,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.urn", "status.atProvider.id"},
				Endpoint:          []string{"status.atProvider.endpoint", "status.atProvider.ipv4Address"},
				KubernetesVersion: []string{"status.atProvider.version"},
				Region:            []string{"spec.forProvider.region", "spec.initProvider.region", "status.atProvider.region"},
				CloudState:        []string{"status.atProvider.status"},
			},
			States: v1alpha1.CloudStates{
				Healthy:      []string{"running", "upgrading"},
				Provisioning: []string{"provisioning"},
				Degraded:     []string{"degraded"},
				Failed:       []string{"error", "errored", "invalid"},
				Deleting:     []string{"deleting", "deleted"},
			},
			ReadyMeansHealthy: ptr.To(false),
		}
	}
	scaleway := func(group string) v1alpha1.ClusterKindSpec {
		return v1alpha1.ClusterKindSpec{
			Group:    group,
			Kind:     "Cluster",
			Provider: ProviderScaleway,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.id", "status.atProvider.srn"},
				Endpoint:          []string{"status.atProvider.apiserverUrl"},
				KubernetesVersion: []string{"status.atProvider.version"},
				Region:            []string{"spec.forProvider.region", "spec.initProvider.region", "status.atProvider.region"},
				CloudState:        []string{"status.atProvider.status"},
			},
			// A Kapsule cluster waits in pool_required until its first pool
			// exists, which Crossplane creates as a separate resource.
			States: v1alpha1.CloudStates{
				Healthy:      []string{"ready", "updating"},
				Provisioning: []string{"creating", "pool_required"},
				Degraded:     []string{"locked"},
				Deleting:     []string{"deleting", "deleted"},
			},
			ReadyMeansHealthy: ptr.To(false),
		}
	}

	return []v1alpha1.ClusterKindSpec{
		upjetEKS("eks.aws.upbound.io"),
		upjetEKS("eks.aws.m.upbound.io"),
		{
			Group:    "eks.aws.crossplane.io",
			Kind:     "Cluster",
			Provider: ProviderAWS,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.arn"},
				Endpoint:          []string{"status.atProvider.endpoint"},
				KubernetesVersion: []string{"status.atProvider.version"},
				Region:            []string{"spec.forProvider.region"},
				CloudState:        []string{"status.atProvider.status"},
			},
			States:            eksStates,
			ReadyMeansHealthy: ptr.To(true),
		},
		upjetGKE("container.gcp.upbound.io"),
		upjetGKE("container.gcp.m.upbound.io"),
		classicGKE("Cluster"),
		classicGKE("GKECluster"),
		upjetAKS("containerservice.azure.upbound.io"),
		upjetAKS("containerservice.azure.m.upbound.io"),
		{
			Group:    "compute.azure.crossplane.io",
			Kind:     "AKSCluster",
			Provider: ProviderAzure,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.providerID"},
				Endpoint:          []string{"status.endpoint"},
				KubernetesVersion: []string{"spec.version"},
				Region:            []string{"spec.location"},
				CloudState:        []string{"status.state"},
			},
			// status.state is Azure's provisioningState.
			States: v1alpha1.CloudStates{
				Healthy:      []string{"Succeeded", "Updating", "Upgrading", "Scaling", "Migrating", "Starting"},
				Provisioning: []string{"Creating"},
				Degraded:     []string{"Stopping", "Stopped"},
				Failed:       []string{"Failed", "Canceled"},
				Deleting:     []string{"Deleting"},
			},
			ReadyMeansHealthy: ptr.To(false),
		},
		digitalOcean("kubernetes.digitalocean.crossplane.io"),
		digitalOcean("kubernetes.digitalocean.m.crossplane.io"),
		{
			Group:    "cluster.civo.crossplane.io",
			Kind:     "CivoKubernetes",
			Provider: ProviderCivo,
			Fields: v1alpha1.ProfileFields{
				// The cluster's name at Civo is spec.name; the external-name
				// annotation only holds the object's name.
				ExternalName:      []string{"spec.name", defaultExternalName},
				KubernetesVersion: []string{"spec.version"},
				CloudState:        []string{"status.message"},
			},
			// The provider writes these messages for the Civo states ACTIVE
			// and BUILDING, and when it deletes the cluster.
			States: v1alpha1.CloudStates{
				Healthy:      []string{"Cluster is active"},
				Provisioning: []string{"Cluster is being created"},
				Deleting:     []string{"Cluster is being deleted"},
			},
			ReadyMeansHealthy: ptr.To(true),
		},
		{
			Group:    "lke.linode.upbound.io",
			Kind:     "Cluster",
			Provider: ProviderLinode,
			Fields: v1alpha1.ProfileFields{
				CloudID:           []string{"status.atProvider.id"},
				Endpoint:          []string{"status.atProvider.apiEndpoints"},
				KubernetesVersion: []string{"status.atProvider.k8sVersion"},
				Region:            []string{"spec.forProvider.region", "spec.initProvider.region", "status.atProvider.region"},
				CloudState:        []string{"status.atProvider.status"},
			},
			States: v1alpha1.CloudStates{
				Healthy:  []string{"ready"},
				Degraded: []string{"not_ready"},
			},
			ReadyMeansHealthy: ptr.To(false),
		},
		scaleway("k8s.scaleway.upbound.io"),
		scaleway("k8s.scaleway.m.upbound.io"),
		{
			Group:    "containerengine.oci.upbound.io",
			Kind:     "Cluster",
			Provider: ProviderOCI,
			Fields: v1alpha1.ProfileFields{
				CloudID: []string{"status.atProvider.id"},
				Endpoint: []string{
					"status.atProvider.endpoints.publicEndpoint",
					"status.atProvider.endpoints.privateEndpoint",
					"status.atProvider.endpoints.kubernetes",
				},
				KubernetesVersion: []string{"status.atProvider.kubernetesVersion"},
				CloudState:        []string{"status.atProvider.state"},
			},
			States: v1alpha1.CloudStates{
				Healthy:      []string{"ACTIVE", "UPDATING"},
				Provisioning: []string{"CREATING"},
				Failed:       []string{"FAILED"},
				Deleting:     []string{"DELETING", "DELETED"},
			},
			ReadyMeansHealthy: ptr.To(false),
		},
	}
}
