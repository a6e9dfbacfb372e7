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

package testkit

import (
	"context"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"
)

// Kinds the integration tests drive, at their storage versions.
var (
	// UpjetEKS is eks.aws.upbound.io/v1beta2 Cluster (cluster-scoped).
	UpjetEKS = schema.GroupVersionResource{Group: "eks.aws.upbound.io", Version: "v1beta2", Resource: "clusters"}
	// UpjetEKSNamespaced is eks.aws.m.upbound.io/v1beta1 Cluster.
	UpjetEKSNamespaced = schema.GroupVersionResource{Group: "eks.aws.m.upbound.io", Version: "v1beta1", Resource: "clusters"}
	// UpjetGKE is container.gcp.upbound.io/v1beta2 Cluster.
	UpjetGKE = schema.GroupVersionResource{Group: "container.gcp.upbound.io", Version: "v1beta2", Resource: "clusters"}
)

// Annotations and condition values the upstream managed reconciler writes.
const (
	AnnotationExternalName    = "crossplane.io/external-name"
	AnnotationCreatePending   = "crossplane.io/external-create-pending"
	AnnotationCreateSucceeded = "crossplane.io/external-create-succeeded"
)

// Clusters writes cluster objects of one kind the way their provider does.
type Clusters struct {
	ri        dynamic.NamespaceableResourceInterface
	gvr       schema.GroupVersionResource
	kind      string
	namespace string
}

// NewClusters drives objects of gvr (kind names its Kind) in namespace ("" for
// cluster-scoped kinds).
func NewClusters(dyn dynamic.Interface, gvr schema.GroupVersionResource, kind, namespace string) *Clusters {
	return &Clusters{ri: dyn.Resource(gvr), gvr: gvr, kind: kind, namespace: namespace}
}

func (c *Clusters) res() dynamic.ResourceInterface {
	if c.namespace == "" {
		return c.ri
	}
	return c.ri.Namespace(c.namespace)
}

// Create creates an object with the given spec.forProvider and labels, as a
// user would.
func (c *Clusters) Create(ctx context.Context, name string, forProvider map[string]any, labels map[string]string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": c.gvr.GroupVersion().String(),
		"kind":       c.kind,
		"metadata":   map[string]any{"name": name},
		"spec":       map[string]any{"forProvider": forProvider},
	}}
	if c.namespace != "" {
		u.SetNamespace(c.namespace)
	}
	u.SetLabels(labels)
	return c.res().Create(ctx, u, metav1.CreateOptions{})
}

// CreateObject creates a complete object, such as an upstream example.
func (c *Clusters) CreateObject(ctx context.Context, u *unstructured.Unstructured) error {
	_, err := c.res().Create(ctx, u, metav1.CreateOptions{})
	return err
}

// Get reads an object.
func (c *Clusters) Get(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	return c.res().Get(ctx, name, metav1.GetOptions{})
}

// Update changes metadata or spec, retrying on conflicts as controllers do.
func (c *Clusters) Update(ctx context.Context, name string, fn func(u *unstructured.Unstructured)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := c.res().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		fn(u)
		_, err = c.res().Update(ctx, u, metav1.UpdateOptions{})
		return err
	})
}

// Status changes status through the status subresource.
func (c *Clusters) Status(ctx context.Context, name string, fn func(u *unstructured.Unstructured)) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := c.res().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		fn(u)
		_, err = c.res().UpdateStatus(ctx, u, metav1.UpdateOptions{})
		return err
	})
}

// Delete deletes an object and waits until it is gone.
func (c *Clusters) Delete(ctx context.Context, name string) error {
	if err := c.res().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !kerrors.IsNotFound(err) {
		return err
	}
	return Eventually(30*time.Second, func() error {
		_, err := c.res().Get(ctx, name, metav1.GetOptions{})
		if kerrors.IsNotFound(err) {
			return nil
		}
		if err == nil {
			return errStillThere
		}
		return err
	})
}

type sentinel string

func (s sentinel) Error() string { return string(s) }

const errStillThere = sentinel("object still exists")

// SetCondition sets a Crossplane condition the way the runtime's
// SetConditions does: one per type, lastTransitionTime changing only when
// the status does.
func SetCondition(u *unstructured.Unstructured, typ, status, reason string, at time.Time) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	c := map[string]any{"type": typ, "status": status, "reason": reason, "lastTransitionTime": at.UTC().Format(time.RFC3339)}
	for i, existing := range conds {
		m, ok := existing.(map[string]any)
		if !ok || m["type"] != typ {
			continue
		}
		if m["status"] == status {
			c["lastTransitionTime"] = m["lastTransitionTime"]
		}
		conds[i] = c
		_ = unstructured.SetNestedSlice(u.Object, conds, "status", "conditions")
		return
	}
	_ = unstructured.SetNestedSlice(u.Object, append(conds, c), "status", "conditions")
}

// SetField sets a value under status.atProvider or elsewhere.
func SetField(u *unstructured.Unstructured, v any, path ...string) {
	_ = unstructured.SetNestedField(u.Object, v, path...)
}

// Annotate sets an annotation.
func Annotate(u *unstructured.Unstructured, k, v string) {
	a := u.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[k] = v
	u.SetAnnotations(a)
}

// UpjetEKSLifecycle drives one upjet EKS cluster through what provider-upjet-aws
// writes, step by step.
type UpjetEKSLifecycle struct {
	C    *Clusters
	Name string
}

// CreateRequested writes what the managed reconciler writes around an async
// Create: the pending and succeeded annotations, then Ready=False/Creating
// with Synced=True; the cloud reports CREATING.
func (l UpjetEKSLifecycle) CreateRequested(ctx context.Context, at time.Time) error {
	if err := l.C.Update(ctx, l.Name, func(u *unstructured.Unstructured) {
		Annotate(u, AnnotationExternalName, l.Name)
		Annotate(u, AnnotationCreatePending, at.UTC().Format(time.RFC3339))
		Annotate(u, AnnotationCreateSucceeded, at.UTC().Format(time.RFC3339))
	}); err != nil {
		return err
	}
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) {
		SetCondition(u, "Ready", "False", "Creating", at)
		SetCondition(u, "Synced", "True", "ReconcileSuccess", at)
	})
}

// Ready writes what Observe writes once the async create finished and the
// cloud reports ACTIVE.
func (l UpjetEKSLifecycle) Ready(ctx context.Context, at time.Time, version string) error {
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) {
		SetField(u, "ACTIVE", "status", "atProvider", "status")
		SetField(u, version, "status", "atProvider", "version")
		SetField(u, "https://"+l.Name+".gr7.us-east-1.eks.amazonaws.com", "status", "atProvider", "endpoint")
		SetField(u, "arn:aws:eks:us-east-1:123456789012:cluster/"+l.Name, "status", "atProvider", "arn")
		SetField(u, l.Name, "status", "atProvider", "id")
		SetCondition(u, "LastAsyncOperation", "True", "Success", at)
		SetCondition(u, "Ready", "True", "Available", at)
	})
}

// CloudState writes the cloud's status and version as a refresh would.
func (l UpjetEKSLifecycle) CloudState(ctx context.Context, state, version string) error {
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) {
		SetField(u, state, "status", "atProvider", "status")
		if version != "" {
			SetField(u, version, "status", "atProvider", "version")
		}
	})
}

// DeleteRequested sets the deletionTimestamp (the object carries the
// managed reconciler's finalizer) and writes Ready=False/Deleting; Gone then
// removes the finalizer.
func (l UpjetEKSLifecycle) DeleteRequested(ctx context.Context, at time.Time) error {
	if err := l.C.Update(ctx, l.Name, func(u *unstructured.Unstructured) {
		u.SetFinalizers(append(u.GetFinalizers(), "finalizer.managedresource.crossplane.io"))
	}); err != nil {
		return err
	}
	if err := l.C.res().Delete(ctx, l.Name, metav1.DeleteOptions{}); err != nil {
		return err
	}
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) {
		SetField(u, "DELETING", "status", "atProvider", "status")
		SetCondition(u, "Ready", "False", "Deleting", at)
	})
}

// Gone removes the finalizer once the cloud resource is gone, so the object
// disappears.
func (l UpjetEKSLifecycle) Gone(ctx context.Context) error {
	if err := l.C.Update(ctx, l.Name, func(u *unstructured.Unstructured) { u.SetFinalizers(nil) }); err != nil && !kerrors.IsNotFound(err) {
		return err
	}
	return l.C.Delete(ctx, l.Name)
}
