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
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
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

// Where the flavors' objects live, at their storage versions.
var (
	// UpjetEKS is eks.aws.upbound.io/v1beta2 Cluster (cluster-scoped).
	UpjetEKS = schema.GroupVersionResource{Group: "eks.aws.upbound.io", Version: "v1beta2", Resource: "clusters"}
	// UpjetEKSNamespaced is eks.aws.m.upbound.io/v1beta1 Cluster.
	UpjetEKSNamespaced = schema.GroupVersionResource{Group: "eks.aws.m.upbound.io", Version: "v1beta1", Resource: "clusters"}
	// UpjetGKE is container.gcp.upbound.io/v1beta2 Cluster.
	UpjetGKE = schema.GroupVersionResource{Group: "container.gcp.upbound.io", Version: "v1beta2", Resource: "clusters"}
	// UpjetAKS is containerservice.azure.upbound.io/v1beta2
	// KubernetesCluster.
	UpjetAKS = schema.GroupVersionResource{Group: "containerservice.azure.upbound.io", Version: "v1beta2", Resource: "kubernetesclusters"}
)

// Cloud states provider-upjet-aws copies from the EKS API into
// status.atProvider.status.
const (
	StateActive   = "ACTIVE"
	StateUpdating = "UPDATING"
	StateFailed   = "FAILED"
	StateDeleting = "DELETING"
)

// Size is how much of a real object the simulator writes.
type Size int

// Sizes of cluster objects.
const (
	// Realistic objects are as large as typical production ones (an EKS
	// cluster is about 6.5 KiB with managed fields): spec.forProvider in
	// full, and a status.atProvider that mirrors it plus what the cloud
	// reports, certificate authority data included. Their size drives
	// what the API server and every watcher spend per write.
	Realistic Size = iota
	// Compact objects hold little more than what provider-cdevents reads
	// (an EKS cluster is about 1.5 KiB).
	Compact
)

func (s Size) String() string {
	if s == Compact {
		return "compact"
	}
	return "realistic"
}

// Fake cloud identifiers. They look like the real ones so that the events
// read naturally; they name nothing that exists.
const (
	awsAccount        = "123456789012"
	gcpProject        = "demo-project"
	azureSubscription = "00000000-0000-0000-0000-000000000000"
	azureGroup        = "demo-rg"
)

// A flavor is everything the simulator knows about one kind: where it
// lives, which spec fields hold the desired Kubernetes version and the
// region, and what the provider writes into status.atProvider.
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
	// regionField is the field of spec.forProvider that names the region
	// or location.
	regionField string
	// versionStatusField is the field of status.atProvider that reports
	// the Kubernetes version the cloud runs.
	versionStatusField string
	// forProvider is the spec a user writes.
	forProvider func(c Cluster, size Size) map[string]any
	// atProvider is what the provider observes in the cloud. incarnation
	// counts re-creations: a re-created cluster gets a new endpoint.
	atProvider func(c Cluster, version string, created time.Time, incarnation int, size Size) map[string]any
}

func (f flavor) apiVersion() string { return f.gvr.GroupVersion().String() }

// observedVersion is the field of status.atProvider that reports the
// Kubernetes version; "version" for kinds the simulator does not know.
func (f flavor) observedVersion() string {
	if f.versionStatusField == "" {
		return "version"
	}
	return f.versionStatusField
}

// GroupVersionResource is where objects of the flavor live; empty for an
// unknown flavor.
func (f Flavor) GroupVersionResource() schema.GroupVersionResource {
	fl, _ := lookup(f)
	return fl.gvr
}

// GroupKind is the flavor's kind; empty for an unknown flavor.
func (f Flavor) GroupKind() schema.GroupKind {
	fl, ok := lookup(f)
	if !ok {
		return schema.GroupKind{}
	}
	return schema.GroupKind{Group: fl.gvr.Group, Kind: fl.kind}
}

// object is a new object of the flavor as a user declares it.
func (f flavor) object(c Cluster, size Size) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{
		"spec": map[string]any{
			"forProvider":        f.forProvider(c, size),
			"initProvider":       map[string]any{},
			"managementPolicies": []any{"*"},
		},
	}}
	u.SetAPIVersion(f.apiVersion())
	u.SetKind(f.kind)
	u.SetName(c.Name)
	u.SetNamespace(c.Namespace)
	u.SetLabels(c.Labels)
	if f.namespaced {
		// Crossplane v2 namespaced kinds name the kind of config they use.
		_ = unstructured.SetNestedMap(u.Object, map[string]any{"kind": "ClusterProviderConfig", "name": "default"}, "spec", "providerConfigRef")
	} else {
		_ = unstructured.SetNestedMap(u.Object, map[string]any{"name": "default"}, "spec", "providerConfigRef")
		_ = unstructured.SetNestedField(u.Object, "Delete", "spec", "deletionPolicy")
	}
	return u
}

// lookup returns the flavor of a name.
func lookup(f Flavor) (flavor, bool) {
	switch f {
	case FlavorEKS:
		return eks(UpjetEKS, false), true
	case FlavorEKSNamespaced:
		return eks(UpjetEKSNamespaced, true), true
	case FlavorGKE:
		return gke(), true
	case FlavorAKS:
		return aks(), true
	}
	return flavor{}, false
}

// lookupGVR returns the flavor whose objects live at gvr.
func lookupGVR(gvr schema.GroupVersionResource) (flavor, bool) {
	for _, n := range []Flavor{FlavorEKS, FlavorEKSNamespaced, FlavorGKE, FlavorAKS} {
		if f, _ := lookup(n); f.gvr == gvr {
			return f, true
		}
	}
	return flavor{}, false
}

// gke is the flavor of upjet GKE, which has no cloud state field.
func gke() flavor {
	return flavor{
		gvr:                UpjetGKE,
		kind:               "Cluster",
		versionField:       "minMasterVersion",
		regionField:        "location",
		versionStatusField: "masterVersion",
		forProvider: func(c Cluster, _ Size) map[string]any {
			return map[string]any{
				"location":           c.Region,
				"project":            gcpProject,
				"minMasterVersion":   c.Version,
				"initialNodeCount":   int64(1),
				"deletionProtection": false,
			}
		},
		atProvider: func(c Cluster, version string, _ time.Time, incarnation int, _ Size) map[string]any {
			id := fmt.Sprintf("projects/%s/locations/%s/clusters/%s", gcpProject, c.Region, c.Name)
			h := hash(c.Name, incarnation)
			return map[string]any{
				"id":            id,
				"selfLink":      "https://container.googleapis.com/v1/" + id,
				"endpoint":      fmt.Sprintf("34.%d.%d.%d", 64+h%64, (h>>8)%256, 1+(h>>16)%254),
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
		gvr:                UpjetAKS,
		kind:               "KubernetesCluster",
		versionField:       "kubernetesVersion",
		regionField:        "location",
		versionStatusField: "currentKubernetesVersion",
		forProvider: func(c Cluster, _ Size) map[string]any {
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
		atProvider: func(c Cluster, version string, _ time.Time, incarnation int, _ Size) map[string]any {
			return map[string]any{
				"id": fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.ContainerService/managedClusters/%s",
					azureSubscription, azureGroup, c.Name),
				"fqdn":                     fmt.Sprintf("%s-%08x.hcp.%s.azmk8s.io", c.Name, uint32(hash(c.Name, incarnation)), c.Region), //nolint:gosec // A fake id: truncation is the point.
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
		gvr:                gvr,
		kind:               "Cluster",
		namespaced:         namespaced,
		hasCloudState:      true,
		versionField:       "version",
		regionField:        "region",
		versionStatusField: "version",
		forProvider:        eksForProvider,
		atProvider:         eksAtProvider,
	}
}

func eksForProvider(c Cluster, size Size) map[string]any {
	if size == Compact {
		return map[string]any{"region": c.Region}
	}
	name := c.Name
	subnets := make([]any, 0, 4)
	for i := range 4 {
		subnets = append(subnets, fmt.Sprintf("subnet-0%015x", hash(name, 10+i)))
	}
	return map[string]any{
		"region":  c.Region,
		"roleArn": fmt.Sprintf("arn:aws:iam::%s:role/%s-cluster-role", awsAccount, name),
		"version": c.Version,
		"vpcConfig": map[string]any{
			"endpointPrivateAccess": true,
			"endpointPublicAccess":  true,
			"publicAccessCidrs":     []any{"0.0.0.0/0"},
			"securityGroupIds":      []any{fmt.Sprintf("sg-0%015x", hash(name, 9))},
			"subnetIds":             subnets,
		},
		"accessConfig": map[string]any{
			"authenticationMode":                      "API_AND_CONFIG_MAP",
			"bootstrapClusterCreatorAdminPermissions": true,
		},
		"enabledClusterLogTypes":  []any{"api", "audit", "authenticator", "controllerManager", "scheduler"},
		"kubernetesNetworkConfig": map[string]any{"ipFamily": "ipv4", "serviceIpv4Cidr": "172.20.0.0/16"},
		"upgradePolicy":           map[string]any{"supportType": "STANDARD"},
		"tags":                    eksTags(name),
	}
}

func eksAtProvider(c Cluster, version string, created time.Time, incarnation int, size Size) map[string]any {
	name := c.Name
	ap := map[string]any{}
	if size == Realistic {
		ap = eksForProvider(c, size)
		ap["platformVersion"] = "eks.12"
		ap["createdAt"] = created.UTC().Format(time.RFC3339)
		ap["certificateAuthority"] = []any{map[string]any{"data": certificateData(name, incarnation)}}
		ap["identity"] = []any{map[string]any{"oidc": []any{map[string]any{
			"issuer": fmt.Sprintf("https://oidc.eks.%s.amazonaws.com/id/%016X%016X", c.Region, hash(name, 2), hash(name, 3)),
		}}}}
		vpc, _ := ap["vpcConfig"].(map[string]any)
		vpc["clusterSecurityGroupId"] = fmt.Sprintf("sg-0%015x", hash(name, 4+incarnation))
		vpc["vpcId"] = fmt.Sprintf("vpc-0%015x", hash(name, 5))
		ap["tagsAll"] = eksTags(name)
	}
	ap["arn"] = fmt.Sprintf("arn:aws:eks:%s:%s:cluster/%s", c.Region, awsAccount, name)
	ap["id"] = name
	ap["version"] = version
	ap["status"] = StateActive
	ap["endpoint"] = fmt.Sprintf("https://%016X%016X.gr7.%s.eks.amazonaws.com", hash(name, incarnation), hash(name, 1), c.Region)
	return ap
}

func eksTags(name string) map[string]any {
	return map[string]any{
		"Name":        name,
		"team":        "platform",
		"environment": "production",
		"cost-center": "cc-4711",
		"managed-by":  "crossplane",
	}
}

// certificateData is as long as a real cluster CA bundle in base64.
func certificateData(name string, incarnation int) string {
	const size = 1476
	b := strings.Builder{}
	b.Grow(size + 16)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%016X", hash(name, 100+incarnation*1000+i))
	}
	return b.String()[:size]
}

// hash is a cheap, deterministic spread of a name and a salt, so that ids
// in the objects differ between clusters, and between incarnations of one
// cluster, the way real ones do.
func hash(name string, salt int) uint64 {
	h := uint64(14695981039346656037) ^ uint64(salt) //nolint:gosec // salt is a small non-negative int.
	for i := range len(name) {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return h
}
