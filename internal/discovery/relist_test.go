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
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// TestRelistSeesNewerState lists, on a real API server, from a resource
// version older than the latest change, as the reflector does after its
// watch expired: the list must show the change. A paged list from a bare
// resource version is served exactly at that version, so a relist would see
// the past and the reflector would go round in that past until etcd
// compacts it.
func TestRelistSeesNewerState(t *testing.T) {
	_, ri, p := upjetEKSEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	const n, pageSize = 5, 2
	for i := range n {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "eks.aws.upbound.io/v1beta2",
			"kind":       "Cluster",
			"metadata":   map[string]any{"name": fmt.Sprintf("relist-%d", i)},
			"spec":       map[string]any{"forProvider": map[string]any{"region": "us-east-1", "version": "1.31"}},
		}}
		if _, err := ri.Create(ctx, u, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := ri.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	old := before.GetResourceVersion()

	// Every cluster turns Ready after the version the relist starts from.
	var changed int64
	for i := range n {
		u, err := ri.Get(ctx, fmt.Sprintf("relist-%d", i), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_ = unstructured.SetNestedSlice(u.Object, []any{map[string]any{
			"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-03-01T10:05:00Z",
		}}, "status", "conditions")
		u, err = ri.UpdateStatus(ctx, u, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		changed, _ = strconv.ParseInt(u.GetResourceVersion(), 10, 64)
	}
	// A reflector relists long after the changes; here they are
	// milliseconds old, and a busy API server's watch cache, which serves
	// lists from a version, may not hold them yet. Wait until it does.
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		_, err := ri.List(ctx, metav1.ListOptions{ResourceVersion: strconv.FormatInt(changed, 10), ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, Limit: 1})
		return err == nil, nil
	})
	if err != nil {
		t.Fatalf("the API server's cache never reached resource version %d: %v", changed, err)
	}

	l, err := listObserved(ctx, ri, p, pageSize, metav1.ListOptions{ResourceVersion: old})
	if err != nil {
		t.Fatalf("listObserved from resource version %s: %v", old, err)
	}
	got := map[string]string{}
	for _, o := range l.Items {
		got[o.obs.Name] = o.obs.Ready.Status
	}
	want := map[string]string{}
	for i := range n {
		want[fmt.Sprintf("relist-%d", i)] = "True"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Ready of each cluster listed from resource version %s, older than its change: -want, +got:\n%s", old, diff)
	}
	if rv, _ := strconv.ParseInt(l.ResourceVersion, 10, 64); rv < changed {
		t.Errorf("list resource version %s, want at least %d (the last change)", l.ResourceVersion, changed)
	}
}

// upjetEKSEnv starts a real API server with the fixture CRDs, stopped when
// the test ends, and returns its config, the upjet EKS clusters' resource
// and their profile.
func upjetEKSEnv(t *testing.T) (*rest.Config, dynamic.ResourceInterface, *catalog.Profile) {
	t.Helper()
	env, cfg, err := testenv.Start(fixtures.CRDDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := catalog.New().Lookup(upjetEKS)
	return cfg, dyn.Resource(upjetEKSResource), p
}
