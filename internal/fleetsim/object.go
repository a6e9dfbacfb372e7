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
	"encoding/json"
	"time"

	corev1 "k8s.io/api/core/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/util/retry"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/meta"
	"github.com/crossplane/crossplane-runtime/v2/pkg/reconciler/managed"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"
)

// Annotations the managed reconciler of crossplane-runtime writes.
const (
	AnnotationExternalName    = meta.AnnotationKeyExternalName
	AnnotationCreatePending   = meta.AnnotationKeyExternalCreatePending
	AnnotationCreateSucceeded = meta.AnnotationKeyExternalCreateSucceeded
)

// TypeLastAsyncOperation is the condition upjet sets when an asynchronous
// create, update or delete finished.
const TypeLastAsyncOperation = "LastAsyncOperation"

// Clusters writes cluster objects of one kind the way their provider and
// the managed reconciler do: metadata and spec with Update, status through
// the status subresource, each read again and retried on conflicts.
type Clusters struct {
	ri        dynamic.NamespaceableResourceInterface
	gvr       schema.GroupVersionResource
	kind      string
	namespace string
	// flavor is what the simulator knows of the kind, if anything.
	flavor flavor
	known  bool
}

// NewClusters writes objects of gvr (kind names its Kind) in namespace (""
// for cluster-scoped kinds).
func NewClusters(dyn dynamic.Interface, gvr schema.GroupVersionResource, kind, namespace string) *Clusters {
	f, ok := lookupGVR(gvr)
	return &Clusters{ri: dyn.Resource(gvr), gvr: gvr, kind: kind, namespace: namespace, flavor: f, known: ok}
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
	got, err := c.res().Create(ctx, u, metav1.CreateOptions{})
	return got, errors.Wrap(err, errCreate)
}

// CreateObject creates a complete object, such as an upstream example.
func (c *Clusters) CreateObject(ctx context.Context, u *unstructured.Unstructured) error {
	_, err := c.res().Create(ctx, u, metav1.CreateOptions{})
	return errors.Wrap(err, errCreate)
}

// Get reads an object.
func (c *Clusters) Get(ctx context.Context, name string) (*unstructured.Unstructured, error) {
	return c.res().Get(ctx, name, metav1.GetOptions{})
}

// Update changes metadata or spec, retrying on conflicts as controllers do.
func (c *Clusters) Update(ctx context.Context, name string, fn func(u *unstructured.Unstructured)) error {
	return errors.Wrap(c.write(ctx, name, fn, func(u *unstructured.Unstructured) error {
		_, err := c.res().Update(ctx, u, metav1.UpdateOptions{})
		return err
	}), errUpdate)
}

// Status changes status through the status subresource, retrying on
// conflicts.
func (c *Clusters) Status(ctx context.Context, name string, fn func(u *unstructured.Unstructured)) error {
	return errors.Wrap(c.write(ctx, name, fn, func(u *unstructured.Unstructured) error {
		_, err := c.res().UpdateStatus(ctx, u, metav1.UpdateOptions{})
		return err
	}), errUpdateStatus)
}

// write reads an object, changes it with fn and writes it with put, again
// on conflicts.
func (c *Clusters) write(ctx context.Context, name string, fn func(u *unstructured.Unstructured), put func(u *unstructured.Unstructured) error) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		u, err := c.res().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		fn(u)
		return put(u)
	})
}

// Delete deletes an object and waits until it is gone.
func (c *Clusters) Delete(ctx context.Context, name string) error {
	if err := c.res().Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !kerrors.IsNotFound(err) {
		return errors.Wrap(err, errDelete)
	}
	return c.waitGone(ctx, name)
}

// waitGone waits until an object is gone.
func (c *Clusters) waitGone(ctx context.Context, name string) error {
	return poll(ctx, goneTimeout, func() error {
		_, err := c.res().Get(ctx, name, metav1.GetOptions{})
		if kerrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		return errors.Errorf(errFmtStillThere, name)
	})
}

// poll calls fn until it returns nil, ctx is done or timeout passed, and
// returns fn's last error.
func poll(ctx context.Context, timeout time.Duration, fn func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		if err := sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

// goneTimeout bounds how long Delete waits for finalizers to let go.
const goneTimeout = 30 * time.Second

// SetCondition sets a Crossplane condition that changed at the given time,
// the way crossplane-runtime's SetConditions does: one condition per type,
// carrying the object's generation, and a condition equal to the one
// already there (type, status, reason, message, generation) keeps the
// existing lastTransitionTime.
func SetCondition(u *unstructured.Unstructured, typ, status, reason string, at time.Time) {
	setConditions(u, at, xpv2.Condition{Type: xpv2.ConditionType(typ), Status: corev1.ConditionStatus(status), Reason: xpv2.ConditionReason(reason)})
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

// setConditions sets conditions that changed at the given time the way
// crossplane-runtime does; see SetCondition.
func setConditions(u *unstructured.Unstructured, at time.Time, cs ...xpv2.Condition) {
	st := &xpv2.ConditionedStatus{}
	if raw, ok, _ := unstructured.NestedSlice(u.Object, "status", "conditions"); ok {
		// Conditions this package or an API server wrote always decode.
		b, _ := json.Marshal(raw)
		_ = json.Unmarshal(b, &st.Conditions)
	}
	for i := range cs {
		cs[i].LastTransitionTime = metav1.NewTime(at)
		cs[i] = cs[i].WithObservedGeneration(u.GetGeneration())
	}
	st.SetConditions(cs...)
	out := make([]any, 0, len(st.Conditions))
	for _, c := range st.Conditions {
		m := map[string]any{
			"type":               string(c.Type),
			"status":             string(c.Status),
			"reason":             string(c.Reason),
			"lastTransitionTime": c.LastTransitionTime.UTC().Format(time.RFC3339),
		}
		if c.Message != "" {
			m["message"] = c.Message
		}
		if c.ObservedGeneration != 0 {
			m["observedGeneration"] = c.ObservedGeneration
		}
		out = append(out, m)
	}
	_ = unstructured.SetNestedSlice(u.Object, out, "status", "conditions")
}

// asyncSuccess is the condition upjet sets when an asynchronous operation
// finished without error.
func asyncSuccess() xpv2.Condition {
	return xpv2.Condition{Type: xpv2.ConditionType(TypeLastAsyncOperation), Status: "True", Reason: "Success"}
}

// annotateCreate writes the annotations the managed reconciler writes
// around the create call, the external name included when it is missing.
func annotateCreate(u *unstructured.Unstructured, at time.Time) {
	if meta.GetExternalName(u) == "" {
		meta.SetExternalName(u, u.GetName())
	}
	Annotate(u, AnnotationCreatePending, at.UTC().Format(time.RFC3339))
	Annotate(u, AnnotationCreateSucceeded, at.UTC().Format(time.RFC3339))
}

// setCreating is what the managed reconciler writes once the create call
// returned: upjet creates asynchronously.
func setCreating(u *unstructured.Unstructured, at time.Time) {
	setConditions(u, at, xpv2.Creating(), xpv2.ReconcileSuccess())
}

// setReady is what upjet's Observe writes once the cluster exists: the
// whole observation, ACTIVE where the kind has a cloud state, and
// Ready=True.
func setReady(u *unstructured.Unstructured, f flavor, c Cluster, version string, incarnation int, size Size, at time.Time) {
	created := at
	if t, err := time.Parse(time.RFC3339, u.GetAnnotations()[AnnotationCreateSucceeded]); err == nil {
		created = t
	}
	ap := f.atProvider(c, version, created, incarnation, size)
	if !f.hasCloudState {
		delete(ap, "status")
	}
	_ = unstructured.SetNestedMap(u.Object, ap, "status", "atProvider")
	setConditions(u, at, asyncSuccess(), xpv2.Available(), xpv2.ReconcileSuccess())
}

// setCloudState writes the cloud's view of the cluster, and the Kubernetes
// version it reports when version is not empty, as a refresh by upjet
// does.
func setCloudState(u *unstructured.Unstructured, f flavor, state, version string) {
	if state != "" {
		SetField(u, state, "status", "atProvider", "status")
	}
	if version != "" {
		SetField(u, version, "status", "atProvider", f.observedVersion())
	}
}

// setDeleting is what the managed reconciler writes once the object is
// being deleted, with the cloud state upjet reports meanwhile.
func setDeleting(u *unstructured.Unstructured, f flavor, at time.Time) {
	if f.hasCloudState {
		setCloudState(u, f, StateDeleting, "")
	}
	setConditions(u, at, xpv2.Deleting(), xpv2.ReconcileSuccess())
}

// A Lifecycle drives one cluster object through what its upstream provider
// and the managed reconciler write, one step at a time, each step at the
// time the caller gives: tests choose the times the provider must report.
// Flavors the simulator knows get their full status; other kinds get the
// conditions only.
type Lifecycle struct {
	C    *Clusters
	Name string
	// Incarnation counts re-creations of the cloud resource: a new one
	// gets a new endpoint.
	Incarnation int
	// Size of the status written; Realistic by default.
	Size Size
}

// CreateRequested writes what the managed reconciler writes around an
// async create: the external name, the pending and succeeded annotations
// (two writes, one before and one after the create call), then
// Ready=False/Creating with Synced=True.
func (l Lifecycle) CreateRequested(ctx context.Context, at time.Time) error {
	ts := at.UTC().Format(time.RFC3339)
	if err := l.C.Update(ctx, l.Name, func(u *unstructured.Unstructured) {
		if meta.GetExternalName(u) == "" {
			meta.SetExternalName(u, l.Name)
		}
		Annotate(u, AnnotationCreatePending, ts)
	}); err != nil {
		return err
	}
	if err := l.C.Update(ctx, l.Name, func(u *unstructured.Unstructured) { Annotate(u, AnnotationCreateSucceeded, ts) }); err != nil {
		return err
	}
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) { setCreating(u, at) })
}

// Ready writes what Observe writes once the async create finished and the
// cloud reports the cluster running version.
func (l Lifecycle) Ready(ctx context.Context, at time.Time, version string) error {
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) {
		if !l.C.known {
			setConditions(u, at, asyncSuccess(), xpv2.Available(), xpv2.ReconcileSuccess())
			return
		}
		setReady(u, l.C.flavor, l.C.describe(u), version, l.Incarnation, l.Size, at)
	})
}

// CloudState writes the cloud's state and, when not empty, the Kubernetes
// version it reports, as a refresh would; Ready stays as it is, as upjet
// leaves it.
func (l Lifecycle) CloudState(ctx context.Context, state, version string) error {
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) { setCloudState(u, l.C.flavor, state, version) })
}

// Conditions sets conditions that changed at the given time, such as
// Ready=False/Unavailable when a provider reports an outage that way.
func (l Lifecycle) Conditions(ctx context.Context, at time.Time, cs ...xpv2.Condition) error {
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) { setConditions(u, at, cs...) })
}

// DeleteRequested sets the deletionTimestamp (the object carries the
// managed reconciler's finalizer) and writes Ready=False/Deleting; Gone then
// removes the finalizer.
func (l Lifecycle) DeleteRequested(ctx context.Context, at time.Time) error {
	if err := l.C.Update(ctx, l.Name, func(u *unstructured.Unstructured) { meta.AddFinalizer(u, managed.FinalizerName) }); err != nil {
		return err
	}
	if err := l.C.res().Delete(ctx, l.Name, metav1.DeleteOptions{}); err != nil {
		return errors.Wrap(err, errDelete)
	}
	return l.C.Status(ctx, l.Name, func(u *unstructured.Unstructured) { setDeleting(u, l.C.flavor, at) })
}

// Gone removes the finalizer once the cloud resource is gone, and waits
// until the object has disappeared.
func (l Lifecycle) Gone(ctx context.Context) error {
	if err := l.C.Update(ctx, l.Name, func(u *unstructured.Unstructured) { meta.RemoveFinalizer(u, managed.FinalizerName) }); err != nil && !kerrors.IsNotFound(err) {
		return err
	}
	return l.C.Delete(ctx, l.Name)
}

// describe is the simulated cluster an object is, as far as it tells.
func (c *Clusters) describe(u *unstructured.Unstructured) Cluster {
	region, _, _ := unstructured.NestedString(u.Object, "spec", "forProvider", c.flavor.regionField)
	version, _, _ := unstructured.NestedString(u.Object, "spec", "forProvider", c.flavor.versionField)
	return Cluster{Name: u.GetName(), Namespace: u.GetNamespace(), Region: region, Version: version, Labels: u.GetLabels()}
}
