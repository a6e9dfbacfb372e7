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

package bench

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// Error strings.
const (
	errFmtCreate    = "cannot create cluster %s"
	errFmtReady     = "cannot write ready status of cluster %s"
	errFmtState     = "cannot write cloud state of cluster %s"
	errFmtUnknown   = "cluster %s was not created by this fleet"
	errFmtDeleteAll = "cannot delete every %s"
	errFmtStillLeft = "%d %s left after deleting them all"
)

// Cloud states provider-upjet-aws copies from the EKS API into
// status.atProvider.status.
const (
	StateActive = "ACTIVE"
	StateFailed = "FAILED"
)

// EKS is the kind the fleet writes: eks.aws.upbound.io Cluster at its storage
// version, cluster-scoped.
var EKS = testkit.UpjetEKS //nolint:gochecknoglobals // An alias of a constant GVR.

// EKSKind is EKS's group and kind.
var EKSKind = schema.GroupKind{Group: EKS.Group, Kind: "Cluster"} //nolint:gochecknoglobals // A constant GroupKind.

// Size is how much of a real upjet EKS object the fleet writes.
type Size int

// Sizes of cluster objects.
const (
	// Realistic objects are as large as typical production ones, about
	// 6.5 KiB with managed fields: spec.forProvider in full, and a
	// status.atProvider that mirrors it plus what the cloud reports,
	// certificate authority data included. Their size drives what the API
	// server and every watcher spend per write.
	Realistic Size = iota
	// Compact objects hold only what the provider reads, about 1.5 KiB.
	Compact
)

func (s Size) String() string {
	if s == Compact {
		return "compact"
	}
	return "realistic"
}

// Fleet writes many upjet EKS cluster objects the way provider-upjet-aws and
// the managed reconciler do, fast: it remembers the last version of every
// object it wrote, so that each later status write is one API call, as it
// is for the real provider, whose managed reconciler writes what it just
// read.
type Fleet struct {
	res    dynamic.ResourceInterface
	labels map[string]string
	keep   bool
	size   Size

	mu   sync.Mutex
	objs map[string]*unstructured.Unstructured
}

// FleetOption tunes a Fleet.
type FleetOption func(*Fleet)

// WithoutCache makes the fleet forget objects once they are ready, for fleets
// so large that keeping them would distort the test process's heap. Later
// writes to them read the object first.
func WithoutCache() FleetOption {
	return func(f *Fleet) { f.keep = false }
}

// WithSize sets the size of the objects; the default is Realistic.
func WithSize(s Size) FleetOption {
	return func(f *Fleet) { f.size = s }
}

// NewFleet returns a fleet whose objects carry labels, written with dyn.
func NewFleet(dyn dynamic.Interface, labels map[string]string, opts ...FleetOption) *Fleet {
	f := &Fleet{res: dyn.Resource(EKS), labels: labels, keep: true, objs: map[string]*unstructured.Unstructured{}}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Names returns n cluster names with a prefix.
func Names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return out
}

// CreateReady creates every named cluster and makes it ready, with workers
// concurrent writers, as a provider reconciling a fleet would. progress, if
// not nil, is called after each cluster with the number done so far.
func (f *Fleet) CreateReady(ctx context.Context, names []string, workers int, at time.Time, progress func(done int)) error {
	work := make(chan string)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	done := 0
	for range workers {
		wg.Go(func() {
			for name := range work {
				if err := f.createReady(ctx, name, at); err != nil {
					errs <- err
					return
				}
				mu.Lock()
				done++
				n := done
				mu.Unlock()
				if progress != nil {
					progress(n)
				}
			}
		})
	}
	var err error
feed:
	for _, n := range names {
		select {
		case work <- n:
		case err = <-errs:
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err != nil {
		return err
	}
	select {
	case err = <-errs:
		return err
	default:
		return nil
	}
}

// createReady is one cluster's creation as the managed reconciler and upjet
// write it, compressed to two writes: the user's object with the
// annotations the reconciler adds around the async create, then the
// status Observe writes once the cloud reports the cluster ACTIVE.
func (f *Fleet) createReady(ctx context.Context, name string, at time.Time) error {
	u, err := f.res.Create(ctx, NewCluster(name, f.labels, at, f.size), metav1.CreateOptions{})
	if err != nil {
		return errors.Wrapf(err, errFmtCreate, name)
	}
	SetReady(u, at.Add(15*time.Minute), f.size)
	u, err = f.res.UpdateStatus(ctx, u, metav1.UpdateOptions{})
	if err != nil {
		return errors.Wrapf(err, errFmtReady, name)
	}
	if f.keep {
		f.mu.Lock()
		f.objs[name] = u
		f.mu.Unlock()
	}
	return nil
}

// SetCloudState writes the cloud state of one cluster with a single status
// write, as a refresh by provider-upjet-aws does. Concurrent calls for the
// same cluster are not allowed; calls for different clusters are.
func (f *Fleet) SetCloudState(ctx context.Context, name, state string) error {
	f.mu.Lock()
	u, ok := f.objs[name]
	f.mu.Unlock()
	if !ok && f.keep {
		return errors.Errorf(errFmtUnknown, name)
	}
	for attempt := 0; ; attempt++ {
		if u == nil {
			got, err := f.res.Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return errors.Wrapf(err, errFmtState, name)
			}
			u = got
		}
		testkit.SetField(u, state, "status", "atProvider", "status")
		got, err := f.res.UpdateStatus(ctx, u, metav1.UpdateOptions{})
		if kerrors.IsConflict(err) && attempt < 3 {
			u = nil
			continue
		}
		if err != nil {
			return errors.Wrapf(err, errFmtState, name)
		}
		if f.keep {
			f.mu.Lock()
			f.objs[name] = got
			f.mu.Unlock()
		}
		return nil
	}
}

// DeleteAll deletes every object of a resource with one call and waits
// until they are gone.
func DeleteAll(ctx context.Context, dyn dynamic.Interface, gvr schema.GroupVersionResource, timeout time.Duration) error {
	ri := dyn.Resource(gvr)
	if err := ri.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil && !kerrors.IsNotFound(err) {
		return errors.Wrapf(err, errFmtDeleteAll, gvr.Resource)
	}
	left := 0
	err := testkit.Eventually(timeout, func() error {
		l, err := ri.List(ctx, metav1.ListOptions{Limit: 1})
		if err != nil {
			return err
		}
		left = len(l.Items)
		if rem := l.GetRemainingItemCount(); rem != nil {
			left += int(*rem)
		}
		if left > 0 {
			return errors.Errorf(errFmtStillLeft, left, gvr.Resource)
		}
		return nil
	})
	return errors.Wrapf(err, errFmtDeleteAll, gvr.Resource)
}

// NewCluster is an upjet EKS Cluster as a user declares it, with the
// annotations the managed reconciler writes around an async create.
func NewCluster(name string, labels map[string]string, at time.Time, size Size) *unstructured.Unstructured {
	ts := at.UTC().Format(time.RFC3339)
	fp := map[string]any{"region": "us-east-1"}
	if size == Realistic {
		fp = forProvider(name)
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": EKS.GroupVersion().String(),
		"kind":       EKSKind.Kind,
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"deletionPolicy":    "Delete",
			"providerConfigRef": map[string]any{"name": "default"},
			"forProvider":       fp,
			"initProvider":      map[string]any{},
		},
	}}
	u.SetLabels(labels)
	testkit.Annotate(u, testkit.AnnotationExternalName, name)
	testkit.Annotate(u, testkit.AnnotationCreatePending, ts)
	testkit.Annotate(u, testkit.AnnotationCreateSucceeded, ts)
	return u
}

// SetReady writes what the managed reconciler and upjet's Observe write once
// the async create finished and the cloud reports ACTIVE.
func SetReady(u *unstructured.Unstructured, at time.Time, size Size) {
	name := u.GetName()
	ap := map[string]any{
		"arn":      "arn:aws:eks:us-east-1:123456789012:cluster/" + name,
		"id":       name,
		"status":   StateActive,
		"version":  "1.31",
		"endpoint": fmt.Sprintf("https://%032X.gr7.us-east-1.eks.amazonaws.com", hash(name, 1)),
	}
	if size == Realistic {
		ap = atProvider(name)
	}
	_ = unstructured.SetNestedField(u.Object, ap, "status", "atProvider")
	testkit.SetCondition(u, "Synced", "True", "ReconcileSuccess", at)
	testkit.SetCondition(u, "LastAsyncOperation", "True", "Success", at)
	testkit.SetCondition(u, "Ready", "True", "Available", at)
}

func forProvider(name string) map[string]any {
	subnets := make([]any, 0, 4)
	for i := range 4 {
		subnets = append(subnets, fmt.Sprintf("subnet-0%015x", hash(name, i)))
	}
	return map[string]any{
		"region":  "us-east-1",
		"roleArn": "arn:aws:iam::123456789012:role/" + name + "-cluster-role",
		"version": "1.31",
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
		"tags":                    tags(name),
	}
}

func atProvider(name string) map[string]any {
	ap := forProvider(name)
	endpoint := fmt.Sprintf("https://%032X.gr7.us-east-1.eks.amazonaws.com", hash(name, 1))
	ap["arn"] = "arn:aws:eks:us-east-1:123456789012:cluster/" + name
	ap["id"] = name
	ap["status"] = StateActive
	ap["endpoint"] = endpoint
	ap["platformVersion"] = "eks.12"
	ap["createdAt"] = "2026-01-01T00:00:00Z"
	ap["certificateAuthority"] = []any{map[string]any{"data": certificateData(name)}}
	ap["identity"] = []any{map[string]any{"oidc": []any{map[string]any{
		"issuer": fmt.Sprintf("https://oidc.eks.us-east-1.amazonaws.com/id/%032X", hash(name, 2)),
	}}}}
	vpc, _ := ap["vpcConfig"].(map[string]any)
	vpc["clusterSecurityGroupId"] = fmt.Sprintf("sg-0%015x", hash(name, 3))
	vpc["vpcId"] = fmt.Sprintf("vpc-0%015x", hash(name, 4))
	ap["tagsAll"] = tags(name)
	return ap
}

func tags(name string) map[string]any {
	return map[string]any{
		"Name":        name,
		"team":        "platform",
		"environment": "production",
		"cost-center": "cc-4711",
		"managed-by":  "crossplane",
	}
}

// certificateData is as long as a real cluster CA bundle in base64.
func certificateData(name string) string {
	const size = 1476
	b := strings.Builder{}
	b.Grow(size)
	for i := 0; b.Len() < size; i++ {
		fmt.Fprintf(&b, "%016X", hash(name, 100+i))
	}
	return b.String()[:size]
}

// hash is a cheap, deterministic spread of a name and a salt, so that ids
// in the objects differ between clusters the way real ones do.
func hash(name string, salt int) uint64 {
	h := uint64(14695981039346656037) ^ uint64(salt) //nolint:gosec // salt is a small non-negative int.
	for i := range len(name) {
		h ^= uint64(name[i])
		h *= 1099511628211
	}
	return h
}
