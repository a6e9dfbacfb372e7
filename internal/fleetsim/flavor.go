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
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// A Flavor is one cloud provider's cluster kind, as the simulator plays
// it.
type Flavor string

// Flavors the simulator plays: the upjet kinds of provider-upjet-aws, -gcp
// and -azure at the storage versions they install today.
const (
	// FlavorEKS is eks.aws.upbound.io/v1beta2 Cluster, cluster-scoped.
	FlavorEKS Flavor = "eks"
	// FlavorEKSNamespaced is eks.aws.m.upbound.io/v1beta1 Cluster, the
	// namespaced Crossplane v2 kind.
	FlavorEKSNamespaced Flavor = "eks-namespaced"
	// FlavorGKE is container.gcp.upbound.io/v1beta2 Cluster, cluster-scoped.
	FlavorGKE Flavor = "gke"
	// FlavorAKS is containerservice.azure.upbound.io/v1beta2
	// KubernetesCluster, cluster-scoped.
	FlavorAKS Flavor = "aks"
)

// Fake cloud identifiers. They look like the real ones so that the events
// read naturally; they name nothing that exists.
const (
	awsAccount        = "123456789012"
	gcpProject        = "demo-project"
	azureSubscription = "00000000-0000-0000-0000-000000000000"
	azureGroup        = "demo-rg"
)

// A flavor is everything the simulator knows about one kind: where it
// lives, which spec field holds the desired Kubernetes version, and what
// the provider writes into status.atProvider.
type flavor struct {
	gvr        schema.GroupVersionResource
	kind       string
	namespaced bool
	// hasCloudState says whether status.atProvider.status reports the
	// cloud's view of the cluster (CREATING, ACTIVE, UPDATING, FAILED,
	// DELETING). Only EKS has one: Terraform's google_container_cluster
	// and azurerm_kubernetes_cluster expose none.
	hasCloudState bool
	// versionField is the field of spec.forProvider that asks for a
	// Kubernetes version.
	versionField string
	// forProvider is the spec a user writes.
	forProvider func(c Cluster) map[string]any
	// atProvider is what the provider observes in the cloud. incarnation
	// counts re-creations: a re-created cluster gets a new endpoint.
	atProvider func(c Cluster, version string, created time.Time, incarnation int) map[string]any
}

func (f flavor) apiVersion() string { return f.gvr.GroupVersion().String() }

// lookup returns the flavor of a name.
func lookup(f Flavor) (flavor, bool) {
	switch f {
	case FlavorEKS:
		return eks(schema.GroupVersionResource{Group: "eks.aws.upbound.io", Version: "v1beta2", Resource: "clusters"}, false), true
	case FlavorEKSNamespaced:
		return eks(schema.GroupVersionResource{Group: "eks.aws.m.upbound.io", Version: "v1beta1", Resource: "clusters"}, true), true
	case FlavorGKE:
		return gke(), true
	case FlavorAKS:
		return aks(), true
	}
	return flavor{}, false
}

// gke is the flavor of upjet GKE, which has no cloud state field.
func gke() flavor {
	return flavor{
		gvr:          schema.GroupVersionResource{Group: "container.gcp.upbound.io", Version: "v1beta2", Resource: "clusters"},
		kind:         "Cluster",
		versionField: "minMasterVersion",
		forProvider: func(c Cluster) map[string]any {
			return map[string]any{
				"location":           c.Region,
				"project":            gcpProject,
				"minMasterVersion":   c.Version,
				"initialNodeCount":   int64(1),
				"deletionProtection": false,
			}
		},
		atProvider: func(c Cluster, version string, _ time.Time, incarnation int) map[string]any {
			id := fmt.Sprintf("projects/%s/locations/%s/clusters/%s", gcpProject, c.Region, c.Name)
			h := digest(c.Name, incarnation)
			return map[string]any{
				"id":            id,
				"selfLink":      "https://container.googleapis.com/v1/" + id,
				"endpoint":      fmt.Sprintf("34.%d.%d.%d", 64+int(h[0])%64, h[1], 1+int(h[2])%254),
				"location":      c.Region,
				"project":       gcpProject,
				"masterVersion": version,
				"nodeVersion":   version,
			}
		},
	}
}

// aks is the flavor of upjet AKS, which has no cloud state field.
func aks() flavor {
	return flavor{
		gvr:          schema.GroupVersionResource{Group: "containerservice.azure.upbound.io", Version: "v1beta2", Resource: "kubernetesclusters"},
		kind:         "KubernetesCluster",
		versionField: "kubernetesVersion",
		forProvider: func(c Cluster) map[string]any {
			return map[string]any{
				"location":          c.Region,
				"resourceGroupName": azureGroup,
				"dnsPrefix":         c.Name,
				"kubernetesVersion": c.Version,
				"defaultNodePool": map[string]any{
					"name":      "default",
					"nodeCount": int64(2),
					"vmSize":    "Standard_D2s_v5",
				},
				"identity": map[string]any{"type": "SystemAssigned"},
			}
		},
		atProvider: func(c Cluster, version string, _ time.Time, incarnation int) map[string]any {
			return map[string]any{
				"id": fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s",
					azureSubscription, azureGroup, c.Name),
				"fqdn":                     fmt.Sprintf("%s-%s.hcp.%s.azmk8s.io", c.Name, hex.EncodeToString(digest(c.Name, incarnation)[:4]), c.Region),
				"location":                 c.Region,
				"resourceGroupName":        azureGroup,
				"nodeResourceGroup":        fmt.Sprintf("MC_%s_%s_%s", azureGroup, c.Name, c.Region),
				"kubernetesVersion":        version,
				"currentKubernetesVersion": version,
				"defaultNodePool": map[string]any{
					"name":      "default",
					"nodeCount": int64(2),
					"vmSize":    "Standard_D2s_v5",
				},
			}
		},
	}
}

// eks is the flavor of both upjet EKS kinds: the cluster-scoped v1beta2
// and the namespaced v1beta1 share the object shape.
func eks(gvr schema.GroupVersionResource, namespaced bool) flavor {
	return flavor{
		gvr:           gvr,
		kind:          "Cluster",
		namespaced:    namespaced,
		hasCloudState: true,
		versionField:  "version",
		forProvider: func(c Cluster) map[string]any {
			return map[string]any{
				"region":  c.Region,
				"roleArn": fmt.Sprintf("arn:aws:iam::%s:role/%s-cluster", awsAccount, c.Name),
				"version": c.Version,
				"vpcConfig": map[string]any{
					"subnetIds":            []any{"subnet-0a1b2c3d", "subnet-4e5f6a7b"},
					"endpointPublicAccess": true,
				},
			}
		},
		atProvider: func(c Cluster, version string, created time.Time, incarnation int) map[string]any {
			h := hex.EncodeToString(digest(c.Name, incarnation))
			return map[string]any{
				"arn":             fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", c.Region, awsAccount, c.Name),
				"id":              c.Name,
				"endpoint":        fmt.Sprintf("https://%s.gr7.%s.eks.amazonaws.com", strings.ToUpper(h[:32]), c.Region),
				"region":          c.Region,
				"roleArn":         fmt.Sprintf("arn:aws:iam::%s:role/%s-cluster", awsAccount, c.Name),
				"version":         version,
				"platformVersion": "eks.8",
				"createdAt":       created.UTC().Format(time.RFC3339),
				"vpcConfig": map[string]any{
					"clusterSecurityGroupId": "sg-" + h[32:49],
					"subnetIds":              []any{"subnet-0a1b2c3d", "subnet-4e5f6a7b"},
				},
			}
		},
	}
}

// digest derives stable fake identifiers from a cluster's name and
// incarnation.
func digest(name string, incarnation int) []byte {
	s := sha256.Sum256(fmt.Appendf(nil, "%s/%d", name, incarnation))
	return s[:]
}
