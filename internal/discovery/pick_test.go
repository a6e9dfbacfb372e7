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

package discovery

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
	"k8s.io/apimachinery/pkg/watch"
	restwatch "k8s.io/client-go/rest/watch"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// TestPickingClient lists and watches upjet EKS clusters on a real API
// server through the client that decodes only what the profile reads: it
// must observe every object exactly as the dynamic client's whole objects
// do, keep none of the rest, and keep the API server's errors' reasons.
func TestPickingClient(t *testing.T) {
	cfg, ri, p := upjetEKSEnv(t)
	gvr := upjetEKSResource
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	pk, err := newPickers(cfg)
	if err != nil {
		t.Fatal(err)
	}
	picking, err := pk.forKind(gvr, p)
	if err != nil {
		t.Fatal(err)
	}

	const n, pageSize = 5, 2
	for i := range n {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "eks.aws.upbound.io/v1beta2",
			"kind":       "Cluster",
			"metadata": map[string]any{
				"name":        fmt.Sprintf("pick-%d", i),
				"labels":      map[string]any{"team": "payments"},
				"annotations": map[string]any{"crossplane.io/external-name": fmt.Sprintf("ext-%d", i), "note": strings.Repeat("x", 2000)},
			},
			"spec": map[string]any{"forProvider": map[string]any{
				"region": "eu-west-1", "version": "1.31",
				"tags": map[string]any{"owner": "payments", "cost-center": "42"},
			}},
		}}
		u, err := ri.Create(ctx, u, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{
			"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-03-01T10:05:00Z", "message": "",
		}}, "status", "conditions")
		_ = unstructured.SetNestedField(u.Object, "ACTIVE", "status", "atProvider", "status")
		_ = unstructured.SetNestedField(u.Object, "https://example.eks.amazonaws.com", "status", "atProvider", "endpoint")
		if _, err := ri.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	observations := func(l *observedList) map[string]normalize.Observation {
		out := map[string]normalize.Observation{}
		for _, o := range l.Items {
			out[o.obs.Name] = o.obs
		}
		return out
	}
	whole, err := listObserved(ctx, ri, p, pageSize, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	picked, err := listObserved(ctx, picking, p, pageSize, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("listObserved with the picking client: %v", err)
	}
	if len(whole.Items) != n {
		t.Fatalf("%d clusters listed, want %d", len(whole.Items), n)
	}
	if diff := cmp.Diff(observations(whole), observations(picked)); diff != "" {
		t.Errorf("observations listed: -dynamic client, +picking client:\n%s", diff)
	}
	page, err := picking.List(ctx, metav1.ListOptions{Limit: pageSize})
	if err != nil {
		t.Fatal(err)
	}
	if page.GetContinue() == "" || len(page.Items) != pageSize {
		t.Errorf("a page of %d items with continue %q, want %d and a continue token", len(page.Items), page.GetContinue(), pageSize)
	}
	for _, it := range page.Items {
		if _, found, _ := unstructured.NestedFieldNoCopy(it.Object, "spec", "forProvider", "tags"); found {
			t.Errorf("listed object keeps spec.forProvider.tags, which nothing reads")
		}
		if _, found, _ := unstructured.NestedFieldNoCopy(it.Object, "metadata", "annotations", "note"); found {
			t.Errorf("listed object keeps an annotation nothing reads")
		}
	}

	// A watch from the list's version sees a change and a deletion, and
	// observes the changed object as a read of the whole one does.
	w, err := picking.Watch(ctx, metav1.ListOptions{ResourceVersion: picked.ResourceVersion})
	if err != nil {
		t.Fatalf("Watch: %v", err)
	}
	defer w.Stop()
	u, err := ri.Get(ctx, "pick-1", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(u.Object, "UPDATING", "status", "atProvider", "status")
	if u, err = ri.UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := ri.Delete(ctx, "pick-2", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	next := func() watch.Event {
		t.Helper()
		select {
		case ev := <-w.ResultChan():
			return ev
		case <-ctx.Done():
			t.Fatal("no watch event")
		}
		return watch.Event{}
	}
	ev := next()
	got, ok := ev.Object.(*unstructured.Unstructured)
	if ev.Type != watch.Modified || !ok {
		t.Fatalf("watch event %s of %T, want MODIFIED of an unstructured object", ev.Type, ev.Object)
	}
	if diff := cmp.Diff(normalize.Observe(p, u), normalize.Observe(p, got)); diff != "" {
		t.Errorf("observation of a watched change: -whole object, +picked:\n%s", diff)
	}
	if got.GetResourceVersion() != u.GetResourceVersion() {
		t.Errorf("watched resource version %q, want %q", got.GetResourceVersion(), u.GetResourceVersion())
	}
	if ev := next(); ev.Type != watch.Deleted {
		t.Errorf("watch event %s, want DELETED", ev.Type)
	} else if d, ok := ev.Object.(*unstructured.Unstructured); !ok || d.GetName() != "pick-2" || d.GetUID() == "" {
		t.Errorf("deleted object %v, want pick-2 with its uid", ev.Object)
	}

	// Errors keep the reason and message the API server gave.
	if _, err := picking.List(ctx, metav1.ListOptions{Limit: 1, Continue: "not-a-token"}); !kerrors.IsBadRequest(err) || !strings.Contains(err.Error(), "continue") {
		t.Errorf("List with a bad continue token: %v, want the API server's BadRequest about the continue token", err)
	}
	missing, err := pk.forKind(schema.GroupVersionResource{Group: upjetEKS.Group, Version: "v1beta2", Resource: "missing"}, p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := missing.List(ctx, metav1.ListOptions{}); !kerrors.IsNotFound(err) {
		t.Errorf("List of a resource that does not exist: %v, want NotFound", err)
	}
}

// TestPickingDecoder decodes what a watch carries besides objects: an
// error event's Status must keep its reason, or the reflector would not
// know to list again after its watch expired.
func TestPickingDecoder(t *testing.T) {
	type want struct {
		expired bool
		object  map[string]any
		err     bool
	}
	cases := map[string]struct {
		reason string
		data   string
		want   want
	}{
		"Expired": {
			reason: "A Status decodes whole, as a metav1.Status.",
			data:   `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (42)","reason":"Expired","code":410}`,
			want:   want{expired: true},
		},
		"Object": {
			reason: "Anything else decodes picked: a Status of another group is an object like any other.",
			data:   `{"kind":"Status","apiVersion":"example.org/v1","metadata":{"name":"a","resourceVersion":"7"},"spec":{"x":1}}`,
			want:   want{object: map[string]any{"kind": "Status", "apiVersion": "example.org/v1", "metadata": map[string]any{"name": "a", "resourceVersion": "7"}}},
		},
		"Broken": {
			reason: "Broken JSON is an error, which the watch reports as an error event.",
			data:   `{"kind":`,
			want:   want{err: true},
		},
	}
	d := pickingDecoder{fields: normalize.Fields(nil)}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			obj, _, err := d.Decode([]byte(tc.data), nil, nil)
			if (err != nil) != tc.want.err {
				t.Fatalf("\n%s\nDecode(...): error %v, want error %t", tc.reason, err, tc.want.err)
			}
			if err != nil {
				return
			}
			if got := kerrors.IsResourceExpired(kerrors.FromObject(obj)); got != tc.want.expired {
				t.Errorf("\n%s\nIsResourceExpired(FromObject(%T)) = %t, want %t", tc.reason, obj, got, tc.want.expired)
			}
			if tc.want.object != nil {
				u, ok := obj.(*unstructured.Unstructured)
				if !ok {
					t.Fatalf("\n%s\nDecode(...) = %T, want an unstructured object", tc.reason, obj)
				}
				if diff := cmp.Diff(tc.want.object, u.Object); diff != "" {
					t.Errorf("\n%s\nDecode(...): -want, +got:\n%s", tc.reason, diff)
				}
			}
		})
	}
}

// BenchmarkWatchEventDecode decodes one watch event of an upjet EKS
// cluster of about 6 KB the dynamic client's way (the envelope, then the
// whole object into maps) and the picking client's way.
func BenchmarkWatchEventDecode(b *testing.B) {
	tags := map[string]any{}
	for i := range 12 {
		tags[fmt.Sprintf("tag-%d", i)] = strings.Repeat("v", 24)
	}
	fields := map[string]any{}
	for i := range 30 {
		fields[fmt.Sprintf("f:field%d", i)] = map[string]any{}
	}
	obj := map[string]any{
		"apiVersion": "eks.aws.upbound.io/v1beta2", "kind": "Cluster",
		"metadata": map[string]any{
			"name": "prod-eu", "uid": "6a1d0c2e-4b57-4a7e-9b0e-0d5e3a1f2c3b", "resourceVersion": "123456", "generation": 3,
			"creationTimestamp": "2026-03-01T10:00:00Z", "labels": map[string]any{"team": "payments"},
			"annotations": map[string]any{"crossplane.io/external-name": "prod-eu", "crossplane.io/external-create-succeeded": "2026-03-01T10:00:05Z"},
			"finalizers":  []any{"finalizer.managedresource.crossplane.io"},
			"managedFields": []any{
				map[string]any{"manager": "crossplane", "operation": "Update", "time": "2026-03-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:spec": fields}},
				map[string]any{"manager": "provider", "operation": "Update", "subresource": "status", "time": "2026-03-01T10:05:00Z", "fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:status": fields}},
			},
		},
		"spec": map[string]any{"forProvider": map[string]any{
			"region": "eu-west-1", "version": "1.31", "roleArn": "arn:aws:iam::123456789012:role/eks", "tags": tags,
			"vpcConfig": map[string]any{"subnetIds": []any{"subnet-1", "subnet-2", "subnet-3"}, "endpointPublicAccess": true},
		}, "providerConfigRef": map[string]any{"name": "default"}},
		"status": map[string]any{
			"atProvider": map[string]any{
				"arn": "arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu", "status": "ACTIVE", "tags": tags, "tagsAll": tags,
				"endpoint":             "https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com",
				"certificateAuthority": map[string]any{"data": strings.Repeat("QUJD", 350)},
			},
			"conditions": []any{
				map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-03-01T10:05:00Z"},
				map[string]any{"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-03-01T10:00:00Z"},
			},
		},
	}
	raw, err := json.Marshal(map[string]any{"type": "MODIFIED", "object": obj})
	if err != nil {
		b.Fatal(err)
	}
	p, _ := catalog.New().Lookup(upjetEKS)
	b.Logf("watch event of %d bytes", len(raw))
	raw = append(raw, '\n')
	observe := func(b *testing.B, d *restwatch.Decoder) {
		b.Helper()
		b.ReportAllocs()
		for b.Loop() {
			_, obj, err := d.Decode()
			if err != nil {
				b.Fatal(err)
			}
			_ = normalize.Observe(p, obj.(*unstructured.Unstructured)) //nolint:forcetypeassert // Decoded as unstructured.
		}
	}
	b.Run("Whole", func(b *testing.B) {
		// As the dynamic client decodes a watch: client-go's JSON framer,
		// the event's envelope, then the whole object into maps.
		s := runtime.NewScheme()
		metav1.AddToGroupVersion(s, schema.GroupVersion{Version: "v1"})
		events := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, s, s, kjson.SerializerOptions{})
		frames := kjson.Framer.NewFrameReader(io.NopCloser(&repeatReader{data: raw}))
		observe(b, restwatch.NewDecoder(streaming.NewDecoder(frames, events), unstructured.UnstructuredJSONScheme))
	})
	b.Run("Picked", func(b *testing.B) {
		frames := frameReaders{}.NewFrameReader(io.NopCloser(&repeatReader{data: raw}))
		observe(b, restwatch.NewDecoder(streaming.NewDecoder(frames, eventDecoder{}), pickingDecoder{fields: normalize.Fields(p)}))
	})
}

// repeatReader reads data over and over, as a watch stream of one event
// repeated.
type repeatReader struct {
	data []byte
	off  int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := copy(p, r.data[r.off:])
	r.off = (r.off + n) % len(r.data)
	return n, nil
}
