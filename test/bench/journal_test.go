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
	"encoding/json"
	"fmt"
	"os"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// journalResource is the kind BenchmarkJournalWrite writes batches of
// transitions to. It exists in the benchmark only.
var journalResource = schema.GroupVersionResource{Group: "journal.bench.cdevents.crossplane.io", Version: "v1", Resource: "journals"}

// BenchmarkJournalWrite reports what recording transitions costs the API
// server (kube-apiserver and etcd CPU per transition) if several clusters'
// transitions were written together, as entries of one journal object,
// instead of one ledger write each: one ledger per cluster costs a write per
// transition however the writes are timed, because a busy fleet's
// transitions fall on different clusters. For batches of 1, 10 and 50
// transitions it creates 2,000 transitions' worth of journal objects (each
// entry a cluster's uid, its seq and the event, validated against the
// ledger's own event schema) and then deletes them, as a journal would once
// its entries were folded into their ledgers; and, alternately, it writes
// the same 2,000 transitions the provider's way, one JSON patch each to
// ledgers of 4 events. Folding entries into ledgers costs ledger writes of
// its own, fewer the longer it waits; that part is not measured here.
func BenchmarkJournalWrite(b *testing.B) {
	ctx := context.Background()
	if err := installJournalCRD(); err != nil {
		b.Fatalf("journal CRD: %v", err)
	}
	const transitions = 2000
	batches := []int{0, 1, 10, 50, 0, 50, 10, 1, 0}
	for _, k := range batches {
		if k == 0 {
			ms := ledgerWriteCost(ctx, b, 4, false, transitions)
			b.ReportMetric(ms, "controlplane-ms/transition-ledger-patch")
			b.Logf("one ledger patch per transition (ledgers of 4 events): %.2f ms of kube-apiserver and etcd CPU per transition; load %s", ms, LoadAvg())
			continue
		}
		create, del := journalCost(ctx, b, k, transitions)
		b.ReportMetric(create, fmt.Sprintf("controlplane-ms/transition-journal-%d-create", k))
		b.ReportMetric(del, fmt.Sprintf("controlplane-ms/transition-journal-%d-delete", k))
		b.Logf("journal of %2d transitions per object: %.2f ms per transition to create, %.2f ms to delete, %.2f in all (%d objects); load %s",
			k, create, del, create+del, transitions/k, LoadAvg())
	}
}

// journalCost creates journal objects of k transitions each until n
// transitions are written, then deletes them, and returns the control
// plane's CPU per transition of each part, in milliseconds.
func journalCost(ctx context.Context, b *testing.B, k, n int) (create, del float64) {
	b.Helper()
	dyn := dynClient(b).Resource(journalResource)
	stamp := time.Now().UnixNano()
	names := make([]string, 0, n/k)
	time.Sleep(2 * time.Second)
	cp0 := ChildrenCPU()
	for i := 0; i < n; i += k {
		entries := make([]any, 0, k)
		for j := range k {
			e, err := entryOf(fmt.Sprintf("cluster-%d-%d", (i+j)%200, stamp), int64(5+(i+j)/200))
			if err != nil {
				b.Fatal(err)
			}
			entries = append(entries, e)
		}
		u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{"entries": entries}}}
		u.SetAPIVersion(journalResource.GroupVersion().String())
		u.SetKind("Journal")
		u.SetName(fmt.Sprintf("journal-%d-%d-%d", k, i, stamp))
		if _, err := dyn.Create(ctx, u, metav1.CreateOptions{}); err != nil {
			b.Fatalf("create journal: %v", err)
		}
		names = append(names, u.GetName())
	}
	created := ChildrenCPU()
	for _, name := range names {
		if err := dyn.Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			b.Fatalf("delete journal: %v", err)
		}
	}
	deleted := ChildrenCPU()
	perTransition := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(n) }
	return perTransition(created - cp0), perTransition(deleted - created)
}

// entryOf is a journal entry: which cluster, which seq, and the event as
// the ledger records it.
func entryOf(uid string, seq int64) (map[string]any, error) {
	raw, err := json.Marshal(sizedEvent(seq))
	if err != nil {
		return nil, err
	}
	e := map[string]any{}
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, err
	}
	return map[string]any{"uid": uid, "seq": seq, "event": e}, nil
}

// installJournalCRD installs the journal kind, its entries' events checked
// against the schema the ObservedCluster CRD gives a ledger's events, so
// that the API server validates a journal entry as much as a ledger event.
func installJournalCRD() error {
	raw, err := os.ReadFile("../../package/crds/cdevents.crossplane.io_observedclusters.yaml")
	if err != nil {
		return err
	}
	oc := &apiextensionsv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(raw, oc); err != nil {
		return errors.Wrap(err, "cannot decode the ObservedCluster CRD")
	}
	if len(oc.Spec.Versions) == 0 || oc.Spec.Versions[0].Schema == nil {
		return errors.New("the ObservedCluster CRD has no schema")
	}
	events, ok := oc.Spec.Versions[0].Schema.OpenAPIV3Schema.Properties["status"].Properties["events"]
	if !ok || events.Items == nil || events.Items.Schema == nil {
		return errors.New("the ObservedCluster CRD has no schema for status.events")
	}
	entry := apiextensionsv1.JSONSchemaProps{
		Type:     "object",
		Required: []string{"uid", "seq", "event"},
		Properties: map[string]apiextensionsv1.JSONSchemaProps{
			"uid":   {Type: "string"},
			"seq":   {Type: "integer", Format: "int64"},
			"event": *events.Items.Schema,
		},
	}
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: journalResource.Resource + "." + journalResource.Group},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: journalResource.Group,
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: journalResource.Resource, Singular: "journal", Kind: "Journal", ListKind: "JournalList"},
			Scope: apiextensionsv1.ClusterScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: journalResource.Version, Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object",
					Properties: map[string]apiextensionsv1.JSONSchemaProps{
						"spec": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"entries": {Type: "array", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &entry}},
						}},
					},
				}},
			}},
		},
	}
	_, err = envtest.InstallCRDs(cfg, envtest.CRDInstallOptions{CRDs: []*apiextensionsv1.CustomResourceDefinition{crd}, MaxTime: time.Minute})
	return err
}
