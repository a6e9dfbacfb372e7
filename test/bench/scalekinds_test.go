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
	"sync/atomic"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// The start-up and many-kinds scale runs. Like the others they run only
// when BENCH_SCALE selects them: startup sizes its fleet with
// BENCH_SCALE_CLUSTERS; kinds takes BENCH_SCALE_KINDS CRDs (default 1000)
// of BENCH_SCALE_KIND_OBJECTS objects each (default 10).
const (
	scaleStartup = "startup"
	scaleKinds   = "kinds"

	envScaleKinds          = "BENCH_SCALE_KINDS"
	defaultScaleKinds      = 1000
	envScaleKindObjects    = "BENCH_SCALE_KIND_OBJECTS"
	defaultScaleKindObject = 10

	// startupKinds is how many cluster kinds the start-up fleet spreads
	// over.
	startupKinds = 16
	// kindWriters create CRDs, objects and ClusterKinds concurrently.
	kindWriters = 16
	// kindsRate and kindsSeconds pace the transitions written on the
	// first and last kinds watched.
	kindsRate    = 10
	kindsSeconds = 30
	// quietMinute is how long an idle provider's API requests are counted,
	// once it has made none but watches for settle.
	quietMinute = time.Minute
	settle      = 20 * time.Second
	// kindsSlack is how much higher than the first kind's p99 the last
	// kind's may be and still count as the same: a few samples at p99 on a
	// shared machine vary by that much.
	kindsSlack = 100 * time.Millisecond
	// kindsGroupSuffix is the domain of the generated kinds' groups.
	kindsGroupSuffix = ".kinds.bench.cdevents.io"
	// kindsNamespace holds the start-up fleet's namespaced clusters.
	kindsNamespace = "bench-startup"
)

// benchKind is one cluster kind a scale run writes objects of.
type benchKind struct {
	crd  *apiextensionsv1.CustomResourceDefinition
	gvr  schema.GroupVersionResource
	gk   schema.GroupKind
	spec v1alpha1.ClusterKindSpec
	ns   string
}

func (k benchKind) schema() *apiextensionsv1.JSONSchemaProps {
	for _, v := range k.crd.Spec.Versions {
		if v.Name == k.gvr.Version && v.Schema != nil {
			return v.Schema.OpenAPIV3Schema
		}
	}
	return nil
}

func (k benchKind) res(dyn dynamic.Interface) dynamic.ResourceInterface {
	if k.ns != "" {
		return dyn.Resource(k.gvr).Namespace(k.ns)
	}
	return dyn.Resource(k.gvr)
}

func newBenchKind(crd *apiextensionsv1.CustomResourceDefinition, spec v1alpha1.ClusterKindSpec) benchKind {
	k := benchKind{crd: crd, spec: spec, gk: schema.GroupKind{Group: crd.Spec.Group, Kind: crd.Spec.Names.Kind}}
	for _, v := range crd.Spec.Versions {
		if v.Storage {
			k.gvr = schema.GroupVersionResource{Group: crd.Spec.Group, Version: v.Name, Resource: crd.Spec.Names.Plural}
		}
	}
	if crd.Spec.Scope == apiextensionsv1.NamespaceScoped {
		k.ns = kindsNamespace
	}
	return k
}

// catalogKinds returns n built-in cluster kinds with their CRDs: the fixture
// CRDs of test/fixtures first, then, for built-in kinds without a fixture,
// the DigitalOcean fixture renamed to the kind's group and kind (its
// atProvider keeps unknown fields, so any kind's facts fit).
func catalogKinds(n int) ([]benchKind, error) {
	crds, err := fixtures.CRDs()
	if err != nil {
		return nil, err
	}
	builtins := map[schema.GroupKind]v1alpha1.ClusterKindSpec{}
	for _, s := range catalog.Builtins() {
		builtins[schema.GroupKind{Group: s.Group, Kind: s.Kind}] = s
	}
	var out []benchKind
	have := map[schema.GroupKind]bool{}
	var template *apiextensionsv1.CustomResourceDefinition
	for _, c := range crds {
		gk := schema.GroupKind{Group: c.Spec.Group, Kind: c.Spec.Names.Kind}
		if c.Spec.Group == "kubernetes.digitalocean.crossplane.io" {
			template = c
		}
		s, ok := builtins[gk]
		if !ok || len(out) == n {
			continue
		}
		out = append(out, newBenchKind(c, s))
		have[gk] = true
	}
	if template == nil {
		return nil, errors.New("no DigitalOcean fixture CRD to derive kinds from")
	}
	for _, s := range catalog.Builtins() {
		gk := schema.GroupKind{Group: s.Group, Kind: s.Kind}
		if len(out) == n {
			break
		}
		if have[gk] {
			continue
		}
		c := template.DeepCopy()
		c.Spec.Group = s.Group
		c.Spec.Names.Kind = s.Kind
		c.Spec.Names.ListKind = s.Kind + "List"
		c.Spec.Names.Singular = strings.ToLower(s.Kind)
		c.Spec.Names.Plural = strings.ToLower(s.Kind) + "s"
		c.Name = c.Spec.Names.Plural + "." + s.Group
		c.Spec.Scope = apiextensionsv1.ClusterScoped
		if strings.Contains(s.Group, ".m.") {
			c.Spec.Scope = apiextensionsv1.NamespaceScoped
		}
		out = append(out, newBenchKind(c, s))
		have[gk] = true
	}
	if len(out) < n {
		return nil, errors.Errorf("only %d built-in cluster kinds, %d wanted", len(out), n)
	}
	return out, nil
}

// generatedKinds returns n small CRDs of cluster-like kinds unknown to the
// built-in catalog, one group each, with the ClusterKinds that declare
// them.
func generatedKinds(n int) []benchKind {
	out := make([]benchKind, 0, n)
	for i := range n {
		group := fmt.Sprintf("k%04d%s", i, kindsGroupSuffix)
		preserve := true
		obj := apiextensionsv1.JSONSchemaProps{Type: "object", XPreserveUnknownFields: &preserve}
		conds := apiextensionsv1.JSONSchemaProps{
			Type:         "array",
			XListType:    ptrTo("map"),
			XListMapKeys: []string{"type"},
			Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{
				Type:     "object",
				Required: []string{"type", "status"},
				Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"type": {Type: "string"}, "status": {Type: "string"}, "reason": {Type: "string"}, "message": {Type: "string"},
					"lastTransitionTime": {Type: "string", Format: "date-time"}, "observedGeneration": {Type: "integer", Format: "int64"},
				},
			}},
		}
		crd := &apiextensionsv1.CustomResourceDefinition{
			ObjectMeta: metav1.ObjectMeta{Name: "clusters." + group, Labels: map[string]string{labelKey: scaleKinds}},
			Spec: apiextensionsv1.CustomResourceDefinitionSpec{
				Group: group,
				Names: apiextensionsv1.CustomResourceDefinitionNames{
					Kind: "Cluster", ListKind: "ClusterList", Plural: "clusters", Singular: "cluster",
					Categories: []string{"crossplane", "managed"},
				},
				Scope: apiextensionsv1.ClusterScoped,
				Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
					Name: "v1alpha1", Served: true, Storage: true,
					Subresources: &apiextensionsv1.CustomResourceSubresources{Status: &apiextensionsv1.CustomResourceSubresourceStatus{}},
					Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
						Type: "object",
						Properties: map[string]apiextensionsv1.JSONSchemaProps{
							"apiVersion": {Type: "string"}, "kind": {Type: "string"}, "metadata": {Type: "object"},
							"spec": obj,
							"status": {Type: "object", Properties: map[string]apiextensionsv1.JSONSchemaProps{
								"conditions": conds,
								"atProvider": obj,
							}},
						},
					}},
				}},
			},
		}
		spec := v1alpha1.ClusterKindSpec{
			Group: group, Kind: "Cluster", Provider: "bench",
			Fields: v1alpha1.ProfileFields{
				CloudID:  []string{"status.atProvider.id"},
				Endpoint: []string{"status.atProvider.endpoint"},
				Region:   []string{"spec.forProvider.region"},
			},
		}
		out = append(out, newBenchKind(crd, spec))
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }

// pool runs fn for 0..n-1, in that order of start, from workers
// goroutines, and returns the first error.
func pool(n, workers int, fn func(i int) error) error {
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range workers {
		wg.Go(func() {
			for i := range work {
				if err := fn(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	return first
}

var crdResource = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs creates CRDs with a bounded pool of writers, and waits until
// the API server serves every one.
func installCRDs(ctx context.Context, dyn dynamic.Interface, kinds []benchKind, timeout time.Duration) error {
	res := dyn.Resource(crdResource)
	err := pool(len(kinds), kindWriters, func(i int) error {
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(kinds[i].crd)
		if err != nil {
			return err
		}
		u := &unstructured.Unstructured{Object: m}
		u.SetAPIVersion("apiextensions.k8s.io/v1")
		u.SetKind("CustomResourceDefinition")
		delete(u.Object, "status")
		_, err = res.Create(ctx, u, metav1.CreateOptions{})
		if err != nil && !strings.Contains(err.Error(), "already exists") {
			return errors.Wrapf(err, "create CRD %s", kinds[i].crd.Name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, k := range kinds {
		want[k.crd.Name] = true
	}
	last := time.Now()
	return testkit.Eventually(timeout, func() error {
		l, err := res.List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		n := 0
		for _, c := range l.Items {
			if !want[c.GetName()] {
				continue
			}
			cs, _, _ := unstructured.NestedSlice(c.Object, "status", "conditions")
			for _, x := range cs {
				m, _ := x.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					n++
				}
			}
		}
		if n < len(want) {
			if time.Since(last) > 15*time.Second {
				last = time.Now()
				progress("  %d/%d CRDs established", n, len(want))
			}
			return errors.Errorf("%d of %d CRDs established", n, len(want))
		}
		// The API server serves a kind a moment after it is Established.
		for _, k := range []benchKind{kinds[0], kinds[len(kinds)-1]} {
			if _, err := k.res(dyn).List(ctx, metav1.ListOptions{Limit: 1}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ensureNamespace creates a namespace unless it exists.
func ensureNamespace(ctx context.Context, dyn dynamic.Interface, name string) error {
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	_, err := dyn.Resource(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}).Create(ctx, ns, metav1.CreateOptions{})
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		return err
	}
	return nil
}

// createReadyObject creates one cluster of a kind as its provider leaves a
// cluster that exists and is ready, with two writes: the object with the
// managed reconciler's create annotations, then its status with Ready and
// Synced True and, where the profile reads a cloud state, a healthy one.
func createReadyObject(ctx context.Context, dyn dynamic.Interface, k benchKind, name, label string, at time.Time) error {
	s := k.schema()
	u := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{}}}
	if s != nil {
		FillRequired(u.Object, s)
		if spec, ok := s.Properties["spec"]; ok {
			m, _ := u.Object["spec"].(map[string]any)
			FillRequired(m, &spec)
		}
	}
	u.SetAPIVersion(k.gvr.GroupVersion().String())
	u.SetKind(k.gk.Kind)
	u.SetName(name)
	u.SetNamespace(k.ns)
	u.SetLabels(map[string]string{labelKey: label})
	ts := at.UTC().Format(time.RFC3339)
	fleetsim.Annotate(u, fleetsim.AnnotationExternalName, name)
	fleetsim.Annotate(u, fleetsim.AnnotationCreatePending, ts)
	fleetsim.Annotate(u, fleetsim.AnnotationCreateSucceeded, ts)
	res := k.res(dyn)
	got, err := res.Create(ctx, u, metav1.CreateOptions{})
	if err != nil {
		return errors.Wrapf(err, "create %s %s", k.gk, name)
	}
	ready := at.Add(15 * time.Minute)
	fleetsim.SetCondition(got, string(xpv2.TypeReady), "True", string(xpv2.ReasonAvailable), ready)
	fleetsim.SetCondition(got, string(xpv2.TypeSynced), "True", string(xpv2.ReasonReconcileSuccess), ready)
	if len(k.spec.Fields.CloudState) > 0 && len(k.spec.States.Healthy) > 0 {
		_ = unstructured.SetNestedField(got.Object, k.spec.States.Healthy[0], strings.Split(k.spec.Fields.CloudState[0], ".")...)
	}
	_ = unstructured.SetNestedField(got.Object, k.gk.Group+"/"+name, "status", "atProvider", "id")
	if _, err := res.UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
		return errors.Wrapf(err, "make %s %s ready", k.gk, name)
	}
	return nil
}

// createReadyObjects creates names[i] of kinds[kindOf(i)] for every i, ready,
// with a bounded pool of writers.
func createReadyObjects(ctx context.Context, dyn dynamic.Interface, kinds []benchKind, names []string, kindOf func(i int) int, label string) error {
	at := time.Now().Add(-time.Hour).Truncate(time.Second)
	var done atomic.Int64
	step := int64(max(len(names)/10, 1))
	start := time.Now()
	return pool(len(names), kindWriters, func(i int) error {
		err := createReadyObject(ctx, dyn, kinds[kindOf(i)], names[i], label, at)
		if d := done.Add(1); d%step == 0 {
			progress("  %d/%d objects written after %s", d, len(names), time.Since(start).Round(time.Second))
		}
		return err
	})
}

// deleteKinds deletes every object of the kinds, then, when crds is set,
// the CRDs, so the next benchmark starts from the fleet reset leaves.
func deleteKinds(b *testing.B, dyn dynamic.Interface, kinds []benchKind, crds bool) {
	b.Helper()
	ctx := context.Background()
	err := pool(len(kinds), kindWriters, func(i int) error {
		k := kinds[i]
		if err := k.res(dyn).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			return err
		}
		if crds {
			return dyn.Resource(crdResource).Delete(ctx, k.crd.Name, metav1.DeleteOptions{})
		}
		return nil
	})
	if err != nil {
		b.Logf("cleaning up the kinds: %v", err)
	}
}

// BenchmarkScaleStartup records a fleet spread over 16 built-in cluster
// kinds and delivers it, then starts a new provider and measures until it
// is caught up: every kind watched and listed, every cluster observed with
// its ledger read, nothing pending and nothing sent again.
func BenchmarkScaleStartup(b *testing.B) {
	scaleSelected(b, scaleStartup)
	reset(b)
	ctx := context.Background()
	n := envInt(b, envScaleClusters, defaultScaleClusters)
	const label = scaleStartup
	dyn := dynClient(b)
	kinds, err := catalogKinds(startupKinds)
	if err != nil {
		b.Fatalf("cluster kinds: %v", err)
	}
	if err := ensureNamespace(ctx, dyn, kindsNamespace); err != nil {
		b.Fatalf("namespace: %v", err)
	}
	if err := installCRDs(ctx, dyn, kinds, 5*time.Minute); err != nil {
		b.Fatalf("install the CRDs of %d kinds: %v", len(kinds), err)
	}
	// Runs after the providers stop.
	b.Cleanup(func() { deleteKinds(b, dyn, kinds, false) })

	sink := NewSink(WithValidator(validator(b), 100))
	sink.Start()
	b.Cleanup(sink.Close)
	p := mustStartProvider(b, limitDefault)
	kube := kubeClient(b)
	if err := createConfig(ctx, kube, label, sink.URL(), label); err != nil {
		b.Fatalf("create ClusterProviderConfig: %v", err)
	}
	if err := waitConfigured(ctx, kube, label); err != nil {
		b.Fatalf("ClusterProviderConfig %s: %v", label, err)
	}
	if err := waitWatching(p, kinds, 2*time.Minute); err != nil {
		b.Fatalf("%v", err)
	}
	names := fleetsim.Names(label, n)
	progress("startup: creating %d ready clusters over %d kinds (%s to change; not measured)", n, len(kinds), envScaleClusters)
	setup := time.Now()
	if err := createReadyObjects(ctx, dyn, kinds, names, func(i int) int { return i % len(kinds) }, label); err != nil {
		b.Fatalf("create fleet: %v", err)
	}
	if err := sink.WaitDistinct(2*n, stallLimit, 15*time.Minute); err != nil {
		reportWarnings(b, p.warns)
		b.Fatalf("fleet of %d, created and ready events: %v", n, err)
	}
	if _, err := waitQuiet(p, flushInterval+2*time.Second, 5*time.Minute); err != nil {
		b.Fatalf("%v", err)
	}
	progress("startup: %d clusters recorded and delivered in %s; restarting the provider", n, time.Since(setup).Round(time.Second))
	reportWarnings(b, p.warns)
	if err := p.Stop(); err != nil {
		b.Fatalf("stop provider: %v", err)
	}
	before := sink.Tally().Accepted

	start := time.Now()
	q, err := startProvider(limitDefault)
	if err != nil {
		b.Fatalf("start provider: %v", err)
	}
	b.Cleanup(func() { _ = q.Stop() })
	err = testkit.Eventually(5*time.Minute, func() error {
		st, ok := q.Pipeline.Dispatcher.Stats("ClusterProviderConfig/" + label)
		if !ok {
			return errors.New("the sink is not configured yet")
		}
		d := q.Pipeline.Discovery
		for _, k := range kinds {
			if !d.IsWatching(k.gk) {
				return errors.Errorf("%s is not watched yet", k.gk)
			}
		}
		if got := len(q.Pipeline.Ledger.Routings("")); got < n || !d.Synced() || st.Pending > 0 || q.Pipeline.Ledger.Queued() > 0 {
			return errors.Errorf("%d of %d clusters known, %d events pending", got, n, st.Pending)
		}
		return nil
	})
	caughtUp := time.Since(start)
	if err != nil {
		b.Fatalf("start-up on %d clusters of %d kinds: %v", n, len(kinds), err)
	}
	reads, watches := q.reqs.Count(Reads), q.reqs.Count(Watches)
	lw, cw, ow := q.reqs.Count(LedgerWrites), q.reqs.Count(CursorWrites), q.reqs.Count(OtherWrites)
	writes := lw + cw + ow
	time.Sleep(flushInterval)
	resent := sink.Tally().Accepted - before
	reportWarnings(b, q.warns)
	b.ReportMetric(caughtUp.Seconds(), "caught-up-s")
	b.ReportMetric(float64(resent), "resent")
	b.ReportMetric(float64(reads+writes), "api-requests")
	note := ""
	if n != defaultScaleClusters {
		note = fmt.Sprintf(" [%s=%d: not the %d clusters the target names]", envScaleClusters, n, defaultScaleClusters)
	}
	b.Logf("start-up on %d recorded clusters over %d kinds: caught up (every kind watched and listed, every ledger read, nothing pending) after %s (target <= %s: %s)%s; events sent again: %d; load %s",
		n, len(kinds), caughtUp.Round(time.Millisecond), targetCaughtUp, verdict(caughtUp <= targetCaughtUp && resent == 0 && n >= defaultScaleClusters), note, resent, LoadAvg())
	b.Logf("  API requests until caught up: %d reads (gets and lists; %d of them watches), %d writes (ledger %d, progress %d, other %d)",
		reads, watches, writes, lw, cw, ow)
	var ks []string
	for i, k := range kinds {
		ks = append(ks, fmt.Sprintf("%s (%d)", k.gk, (n-i+len(kinds)-1)/len(kinds)))
	}
	b.Logf("  kinds (clusters): %s", strings.Join(ks, ", "))
}

// waitWatching waits until the provider watches every kind.
func waitWatching(p *running, kinds []benchKind, timeout time.Duration) error {
	return testkit.Eventually(timeout, func() error {
		n := 0
		for _, k := range kinds {
			if p.Pipeline.Discovery.IsWatching(k.gk) {
				n++
			}
		}
		if n < len(kinds) || !p.Pipeline.Discovery.Synced() {
			return errors.Errorf("%d of %d kinds watched", n, len(kinds))
		}
		return nil
	})
}

// BenchmarkScaleKinds declares many cluster-like kinds the built-in catalog
// does not know through ClusterKinds, each with a few objects, and measures
// how soon every watch has listed them all, whether the kinds watched last
// deliver as fast as the first (all watches share the provider's HTTP/2
// connections to the API server, which caps the streams of each), and what
// an idle provider asks of the API server.
func BenchmarkScaleKinds(b *testing.B) {
	scaleSelected(b, scaleKinds)
	reset(b)
	ctx := context.Background()
	nk := envInt(b, envScaleKinds, defaultScaleKinds)
	per := envInt(b, envScaleKindObjects, defaultScaleKindObject)
	const label = scaleKinds
	dyn := dynClient(b)
	kinds := generatedKinds(nk)

	progress("kinds: installing %d CRDs (%s to change; not measured)", nk, envScaleKinds)
	setup := time.Now()
	if err := installCRDs(ctx, dyn, kinds, 45*time.Minute); err != nil {
		b.Fatalf("install %d CRDs: %v", nk, err)
	}
	crdSetup := time.Since(setup)
	progress("kinds: %d CRDs established after %s", nk, crdSetup.Round(time.Second))
	// Runs after the provider stops.
	b.Cleanup(func() {
		progress("kinds: deleting the objects and CRDs")
		deleteKinds(b, dyn, kinds, true)
		deleteClusterKinds(b)
	})
	total := nk * per
	names := make([]string, total)
	for i := range names {
		names[i] = fmt.Sprintf("kinds-%04d-%02d", i/per, i%per)
	}
	progress("kinds: creating %d ready objects, %d per kind (%s to change; not measured)", total, per, envScaleKindObjects)
	if err := createReadyObjects(ctx, dyn, kinds, names, func(i int) int { return i / per }, label); err != nil {
		b.Fatalf("create objects: %v", err)
	}

	sink := NewSink(WithValidator(validator(b), 100))
	sink.Start()
	b.Cleanup(sink.Close)
	p := mustStartProvider(b, limitDefault)
	kube := kubeClient(b)
	if err := createConfig(ctx, kube, label, sink.URL(), label); err != nil {
		b.Fatalf("create ClusterProviderConfig: %v", err)
	}
	if err := waitConfigured(ctx, kube, label); err != nil {
		b.Fatalf("ClusterProviderConfig %s: %v", label, err)
	}
	apiPort := Port(cfg.Host)
	connsBefore := Connections(apiPort)

	// The ClusterKinds, in order; the provider starts a watch per kind as
	// it takes them in. When each watch started is recorded as it is seen.
	progress("kinds: declaring %d ClusterKinds; measuring until every watch has synced", nk)
	started := map[schema.GroupKind]time.Time{}
	var order []schema.GroupKind
	stopWatch := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			for _, gk := range p.Pipeline.Discovery.Watching() {
				if _, ok := started[gk]; !ok && strings.HasSuffix(gk.Group, kindsGroupSuffix) {
					started[gk] = time.Now()
					order = append(order, gk)
				}
			}
			select {
			case <-stopWatch:
				return
			case <-t.C:
			}
		}
	}()
	u0 := p.usage()
	start := time.Now()
	err := pool(nk, kindWriters, func(i int) error {
		ck := &v1alpha1.ClusterKind{ObjectMeta: metav1.ObjectMeta{Name: strings.TrimSuffix(kinds[i].gk.Group, kindsGroupSuffix) + "-bench", Labels: map[string]string{labelKey: label}}, Spec: kinds[i].spec}
		return kube.Create(ctx, ck)
	})
	if err != nil {
		b.Fatalf("create ClusterKinds: %v", err)
	}
	declared := time.Since(start)
	last := time.Now()
	err = testkit.Eventually(60*time.Minute, func() error {
		w := 0
		for _, k := range kinds {
			if p.Pipeline.Discovery.IsWatching(k.gk) {
				w++
			}
		}
		got := len(p.Pipeline.Ledger.Routings(""))
		if time.Since(last) > 15*time.Second {
			last = time.Now()
			progress("  after %s: %d/%d kinds watched, %d/%d objects recorded", time.Since(start).Round(time.Second), w, nk, got, total)
		}
		if w < nk || got < total || !p.Pipeline.Discovery.Synced() || p.Pipeline.Ledger.Queued() > 0 {
			return errors.Errorf("%d of %d kinds watched, %d of %d objects recorded", w, nk, got, total)
		}
		return nil
	})
	synced := time.Since(start)
	close(stopWatch)
	<-watched
	if err != nil {
		reportWarnings(b, p.warns)
		dumpGoroutines(b)
		b.Fatalf("%d kinds of %d objects: %v", nk, per, err)
	}
	syncSpent := p.since(u0)
	connsSynced := Connections(apiPort)
	if err := sink.WaitDistinct(2*total, stallLimit, 15*time.Minute); err != nil {
		b.Errorf("created and ready events of %d objects: %v", total, err)
	}
	delivered := time.Since(start)
	if _, err := waitQuiet(p, 2*time.Second, 5*time.Minute); err != nil {
		b.Logf("%v", err)
	}

	// Transitions on the objects of the first and the last kind watched.
	first, lastKind := order[0], order[len(order)-1]
	byGK := map[schema.GroupKind]int{}
	for i, k := range kinds {
		byGK[k.gk] = i
	}
	clusters := map[string]*fleetsim.Clusters{}
	kindOf := map[string]schema.GroupKind{}
	var flipNames []string
	for _, gk := range []schema.GroupKind{first, lastKind} {
		k := kinds[byGK[gk]]
		c := fleetsim.NewClusters(dyn, k.gvr, k.gk.Kind, "")
		for j := range per {
			n := names[byGK[gk]*per+j]
			clusters[n] = c
			kindOf[n] = gk
			flipNames = append(flipNames, n)
		}
	}
	progress("kinds: %d transitions/s for %ds on the %d objects of the first and the last kind watched (%s, %s)", kindsRate, kindsSeconds, len(flipNames), first, lastKind)
	tr := newTransitions()
	base := sink.Tally().Distinct
	count := paced(flipNames, kindsRate, kindsSeconds, func(name string) {
		tr.mu.Lock()
		k := len(tr.writes[name])
		tr.mu.Unlock()
		cond, lc := xpv2.Unavailable(), v1alpha1.LifecycleDegraded
		if k%2 == 1 {
			cond, lc = xpv2.Available(), v1alpha1.LifecycleRecovered
		}
		l := fleetsim.Lifecycle{C: clusters[name], Name: name}
		err := l.Conditions(ctx, time.Now(), cond)
		done := time.Now()
		tr.mu.Lock()
		defer tr.mu.Unlock()
		if err != nil {
			tr.errs = append(tr.errs, err)
			return
		}
		tr.writes[name] = append(tr.writes[name], Write{Lifecycle: lc, Done: done})
	})
	end := time.Now()
	tr.check(b)
	dr := drain(b, sink, base, count, end)
	events := ByCluster(sink.Events())
	lat := map[schema.GroupKind]Latencies{}
	for _, gk := range []schema.GroupKind{first, lastKind} {
		ws := map[string][]Write{}
		for n, w := range tr.writes {
			if kindOf[n] == gk {
				ws[n] = w
			}
		}
		l, errs := Match(ws, events)
		for i, err := range errs {
			if i == 5 {
				b.Errorf("... and %d more clusters", len(errs)-5)
				break
			}
			b.Error(err)
		}
		lat[gk] = Summarize(l)
	}
	checkSink(b, sink)

	// A quiet minute: nothing changes, and the provider should ask the API
	// server for next to nothing. It begins once the provider has made no
	// request but watches for settle: delivery progress flushed, and each
	// config's status caught up with the figures of the transitions.
	settled, err := waitIdle(p, settle, 5*time.Minute)
	if err != nil {
		b.Logf("%v", err)
	}
	classes := []string{Reads, Watches, LedgerWrites, CursorWrites, OtherWrites}
	q0 := map[string]int64{}
	for _, c := range classes {
		q0[c] = p.reqs.Count(c)
	}
	o0 := p.reqs.Others()
	progress("kinds: counting the provider's API requests over a quiet minute")
	time.Sleep(quietMinute)
	q := map[string]int64{}
	for _, c := range classes {
		q[c] = p.reqs.Count(c) - q0[c]
	}
	quietTotal := q[Reads] + q[LedgerWrites] + q[CursorWrites] + q[OtherWrites]
	reportWarnings(b, p.warns)

	lf, ll := lat[first], lat[lastKind]
	same := ll.N > 0 && lf.N > 0 && ll.P99 <= max(2*lf.P99, lf.P99+kindsSlack)
	full := nk >= defaultScaleKinds && per >= defaultScaleKindObject
	note := ""
	if !full {
		note = fmt.Sprintf(" [%s=%d, %s=%d: not the %d kinds of %d objects the target names]", envScaleKinds, nk, envScaleKindObjects, per, defaultScaleKinds, defaultScaleKindObject)
	}
	b.ReportMetric(synced.Seconds(), "synced-s")
	b.ReportMetric(ms(lf.P99), "first-kind-p99-ms")
	b.ReportMetric(ms(ll.P99), "last-kind-p99-ms")
	b.ReportMetric(float64(quietTotal), "quiet-minute-requests")
	b.Logf("%d ClusterKind-declared kinds of %d objects each (%d objects), CRDs established in %s (not measured)%s",
		nk, per, total, crdSetup.Round(time.Second), note)
	b.Logf("  every watch synced, all %d objects recorded, %s after the first ClusterKind (all %d declared in %s); their created and ready events delivered after %s; %s",
		total, synced.Round(time.Millisecond), nk, declared.Round(time.Millisecond), delivered.Round(time.Millisecond), syncSpent.writes(2*total))
	b.Logf("  first kind watched %s, last %s, %s after the first",
		first, lastKind, started[lastKind].Sub(started[first]).Round(time.Millisecond))
	b.Logf("  status write -> sink, %d transitions at %d/s: first kind p50 %s p99 %s max %s (n=%d); last kind p50 %s p99 %s max %s (n=%d) (target: last p99 within 2x or %s of the first: %s); %s",
		count, kindsRate, Ms(lf.P50), Ms(lf.P99), Ms(lf.Max), lf.N, Ms(ll.P50), Ms(ll.P99), Ms(ll.Max), ll.N, kindsSlack, verdict(same && full), dr)
	b.Logf("  connections from this process to the API server (provider and benchmark clients): %d before the ClusterKinds, %d with every kind watched",
		connsBefore, connsSynced)
	b.Logf("  provider API requests over a quiet minute (from %s after the transitions ended), counted on its REST config's transport: %d (reads %d, of them watches %d; ledger writes %d, progress writes %d, other writes %d) (target about 0: %s); load %s",
		settled.Sub(end).Round(time.Second), quietTotal, q[Reads], q[Watches], q[LedgerWrites], q[CursorWrites], q[OtherWrites], verdict(quietTotal-q[Watches] == 0 && full), LoadAvg())
	for what, c := range p.reqs.Others() {
		if d := c - o0[what]; d > 0 {
			b.Logf("    other writes: %dx %s", d, what)
		}
	}
	if q[Watches] > 0 {
		b.Logf("  each watch is renewed every 5-10 minutes (client-go's reflector asks the API server to end it then): %d watches renew about %d times a minute",
			len(p.Pipeline.Discovery.Watching()), len(p.Pipeline.Discovery.Watching())*2/15)
	}
}

// deleteClusterKinds deletes the ClusterKinds a run declared.
func deleteClusterKinds(b *testing.B) {
	b.Helper()
	err := kubeClient(b).DeleteAllOf(context.Background(), &v1alpha1.ClusterKind{}, client.MatchingLabels{labelKey: scaleKinds})
	if err != nil {
		b.Logf("delete ClusterKinds: %v", err)
	}
}

// waitIdle waits until the provider has made no API request but watches for
// quiet, and returns when that began.
func waitIdle(p *running, quiet, timeout time.Duration) (time.Time, error) {
	count := func() int64 {
		n := p.reqs.Count(Reads) - p.reqs.Count(Watches)
		for _, c := range []string{LedgerWrites, CursorWrites, OtherWrites} {
			n += p.reqs.Count(c)
		}
		return n
	}
	last, since := count(), time.Now()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		if c := count(); c != last {
			last, since = c, time.Now()
			continue
		}
		if time.Since(since) >= quiet {
			return time.Now(), nil
		}
	}
	return time.Now(), errors.Errorf("the provider still makes requests after %s", timeout)
}
