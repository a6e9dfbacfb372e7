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
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

var (
	upjetEKS = schema.GroupKind{Group: "eks.aws.upbound.io", Kind: "Cluster"}
	// upjetEKSResource is the fixture CRD's storage version of upjet EKS clusters.
	upjetEKSResource = schema.GroupVersionResource{Group: "eks.aws.upbound.io", Version: "v1beta2", Resource: "clusters"}
	gke              = schema.GroupKind{Group: "container.gcp.crossplane.io", Kind: "Cluster"}
)

// recorder is a Ledger that records what it is told.
type recorder struct {
	mu    sync.Mutex
	kinds []schema.GroupKind
	calls []string
	// onCall, if set, runs before each call is recorded.
	onCall func(call string)
}

func (r *recorder) record(call string) {
	if r.onCall != nil {
		r.onCall(call)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, call)
}

func (r *recorder) Observe(_ *catalog.Profile, _ schema.GroupKind, obs normalize.Observation, late bool) {
	r.record(fmt.Sprintf("observe %s late=%t", obs.Name, late))
}
func (r *recorder) Gone(uid types.UID, late bool) {
	r.record(fmt.Sprintf("gone %s late=%t", uid, late))
}
func (r *recorder) Resync(gk schema.GroupKind, live map[types.UID]bool) {
	uids := make([]string, 0, len(live))
	for u := range live {
		uids = append(uids, string(u))
	}
	sort.Strings(uids)
	r.record(fmt.Sprintf("resync %s %v", gk, uids))
}
func (r *recorder) KindGone(gk schema.GroupKind) { r.record("kind gone " + gk.String()) }
func (r *recorder) Kinds() []schema.GroupKind    { return r.kinds }

func (r *recorder) Calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func TestSweepMissingKinds(t *testing.T) {
	type args struct {
		listed bool
		names  []string
		crds   map[string]schema.GroupKind
		kinds  []schema.GroupKind
	}
	cases := map[string]struct {
		reason string
		args   args
		want   []string
	}{
		"ReadFailed": {
			reason: "A CRD of the kind's group that could not be read may be the kind's: nothing is gone.",
			args: args{
				listed: true,
				names:  []string{"clusters.eks.aws.upbound.io"},
				kinds:  []schema.GroupKind{upjetEKS},
			},
		},
		"OtherCRDOfGroupUnread": {
			reason: "One unread CRD of the group is enough to leave the group's kinds alone.",
			args: args{
				listed: true,
				names:  []string{"clusters.eks.aws.upbound.io", "nodegroups.eks.aws.upbound.io"},
				crds:   map[string]schema.GroupKind{"nodegroups.eks.aws.upbound.io": {Group: upjetEKS.Group, Kind: "NodeGroup"}},
				kinds:  []schema.GroupKind{upjetEKS},
			},
		},
		"AbsentFromList": {
			reason: "A kind no listed CRD can define is gone.",
			args: args{
				listed: true,
				names:  []string{"clusters.container.gcp.crossplane.io"},
				crds:   map[string]schema.GroupKind{"clusters.container.gcp.crossplane.io": gke},
				kinds:  []schema.GroupKind{upjetEKS, gke},
			},
			want: []string{"kind gone Cluster.eks.aws.upbound.io"},
		},
		"GroupReadDefinesOtherKinds": {
			reason: "Every CRD of the group was read and none defines the kind: it is gone.",
			args: args{
				listed: true,
				names:  []string{"nodegroups.eks.aws.upbound.io"},
				crds:   map[string]schema.GroupKind{"nodegroups.eks.aws.upbound.io": {Group: upjetEKS.Group, Kind: "NodeGroup"}},
				kinds:  []schema.GroupKind{upjetEKS},
			},
			want: []string{"kind gone Cluster.eks.aws.upbound.io"},
		},
		"NotListedYet": {
			reason: "Before the CRD list there is no evidence at all.",
			args: args{
				kinds: []schema.GroupKind{upjetEKS},
			},
		},
		"UnknownGroup": {
			reason: "Kinds of groups outside the catalog are not judged: their CRDs are not read.",
			args: args{
				listed: true,
				kinds:  []schema.GroupKind{{Group: "example.org", Kind: "Cluster"}},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{kinds: tc.args.kinds}
			e := &Engine{catalog: catalog.New(), ledger: rec, log: logging.NewNopLogger(), crdsListed: tc.args.listed,
				names: map[string]bool{}, crds: map[string]crdInfo{}}
			for _, n := range tc.args.names {
				e.names[n] = true
			}
			for n, gk := range tc.args.crds {
				e.crds[n] = crdInfo{gk: gk}
			}
			e.sweepMissingKinds()
			if diff := cmp.Diff(tc.want, rec.Calls()); diff != "" {
				t.Errorf("\n%s\nsweepMissingKinds(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func object(name string, rv int) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("eks.aws.upbound.io/v1beta2")
	u.SetKind("Cluster")
	u.SetName(name)
	u.SetUID(types.UID("uid-" + name))
	u.SetResourceVersion(fmt.Sprint(rv))
	return u
}

func TestKindStore(t *testing.T) {
	type step func(s *kindStore)
	replace := func(names ...string) step {
		return func(s *kindStore) {
			l := make([]any, 0, len(names))
			for i, n := range names {
				l = append(l, object(n, i+1))
			}
			_ = s.Replace(l, "10")
		}
	}
	add := func(n string) step { return func(s *kindStore) { _ = s.Add(object(n, 1)) } }
	del := func(n string) step { return func(s *kindStore) { _ = s.Delete(object(n, 1)) } }
	stop := func(s *kindStore) { s.stop() }
	cases := map[string]struct {
		reason string
		steps  []step
		want   []string
	}{
		"FirstListLate": {
			reason: "Objects of the first list were not seen changing; a later list's were, and both resync the kind.",
			steps:  []step{replace("a"), add("b"), replace("a", "b")},
			want: []string{
				"observe a late=true", "resync Cluster.eks.aws.upbound.io [uid-a]",
				"observe b late=false",
				"observe a late=false", "observe b late=false", "resync Cluster.eks.aws.upbound.io [uid-a uid-b]",
			},
		},
		"Stopped": {
			reason: "A stopped store passes nothing on, whatever its reflector still delivers.",
			steps:  []step{replace("a"), stop, replace(), add("b"), del("a")},
			want:   []string{"observe a late=true", "resync Cluster.eks.aws.upbound.io [uid-a]"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rec := &recorder{}
			s := &kindStore{gk: upjetEKS, ledger: rec, log: logging.NewNopLogger(), synced: make(chan struct{})}
			for _, st := range tc.steps {
				st(s)
			}
			if diff := cmp.Diff(tc.want, rec.Calls()); diff != "" {
				t.Errorf("\n%s\nkindStore: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestKindWatchStop stops a watch while its reflector hands a list to the
// ledger: stop must return only once the list is done, and nothing may
// reach the ledger after it returned.
func TestKindWatchStop(t *testing.T) {
	gvr := schema.GroupVersionResource{Group: upjetEKS.Group, Version: "v1beta2", Resource: "clusters"}
	var objs []runtime.Object
	for i := range 5 {
		objs = append(objs, object(fmt.Sprintf("c%d", i), i+1))
	}
	scheme := runtime.NewScheme()
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(scheme, map[schema.GroupVersionResource]string{gvr: "ClusterList"}, objs...)
	// The watch never delivers anything; only the list matters here.
	dyn.PrependWatchReactor("clusters", func(k8stesting.Action) (bool, watchInterface, error) {
		return true, newIdleWatch(), nil
	})

	inList := make(chan struct{})
	release := make(chan struct{})
	var stopped atomic.Bool
	var afterStop atomic.Int32
	var once sync.Once
	rec := &recorder{onCall: func(string) {
		if stopped.Load() {
			afterStop.Add(1)
		}
		once.Do(func() {
			close(inList)
			<-release
		})
	}}
	p, _ := catalog.New().Lookup(upjetEKS)
	w := newKindWatch(context.Background(), dyn.Resource(gvr), crdInfo{gk: upjetEKS, gvr: gvr}, p, rec, logging.NewNopLogger(), newRetryGate(logging.NewNopLogger(), nil), DefaultListPageSize, nil)

	select {
	case <-inList:
	case <-time.After(30 * time.Second):
		t.Fatal("the reflector never listed")
	}
	returned := make(chan struct{})
	go func() {
		w.stop()
		stopped.Store(true)
		close(returned)
	}()
	select {
	case <-returned:
		t.Error("stop returned while the list was still being handed to the ledger")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	select {
	case <-returned:
	case <-time.After(30 * time.Second):
		t.Fatal("stop did not return")
	}
	time.Sleep(200 * time.Millisecond)
	if n := afterStop.Load(); n > 0 {
		t.Errorf("the ledger was called %d times after stop returned", n)
	}
	select {
	case <-w.done:
	default:
		t.Error("the reflector was still running after stop returned")
	}
}

// fullObject is a listed cluster with everything an upjet EKS object
// carries, most of which nothing reads.
func fullObject(i int) *unstructured.Unstructured {
	name := fmt.Sprintf("c%d", i)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "eks.aws.upbound.io/v1beta2",
		"kind":       "Cluster",
		"metadata": map[string]any{
			"name": name, "uid": "uid-" + name, "resourceVersion": fmt.Sprint(10 + i), "generation": int64(2),
			"creationTimestamp": "2026-03-01T10:00:00Z",
			"labels":            map[string]any{"team": "a", "crossplane.io/composite": "x-" + name},
			"annotations":       map[string]any{"crossplane.io/external-name": name, "kubectl.kubernetes.io/last-applied-configuration": "{...}"},
			"managedFields": []any{
				map[string]any{"manager": "provider", "operation": "Update", "time": "2026-03-01T10:05:00Z", "fieldsType": "FieldsV1", "fieldsV1": map[string]any{"f:status": map[string]any{}}},
			},
		},
		"spec": map[string]any{"forProvider": map[string]any{"region": "us-east-1", "roleArn": "arn:aws:iam::1:role/x", "version": "1.31"}},
		"status": map[string]any{
			"atProvider": map[string]any{"status": "ACTIVE", "version": "1.31", "endpoint": "https://x", "arn": "arn:aws:eks:us-east-1:1:cluster/" + name, "certificateAuthority": []any{map[string]any{"data": "AAAA"}}},
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-03-01T10:05:00Z"}},
		},
	}}
}

func TestListObserved(t *testing.T) {
	p, _ := catalog.New().Lookup(upjetEKS)
	const n, pageSize = 5, 2
	type want struct {
		requests []metav1.ListOptions
		rv       string
	}
	cases := map[string]struct {
		reason string
		opts   metav1.ListOptions
		want   want
	}{
		"AnyVersion": {
			reason: "The reflector's first list, from any version, is made consistent, then paged with continue tokens.",
			opts:   metav1.ListOptions{ResourceVersion: "0", Limit: 500},
			want: want{
				requests: []metav1.ListOptions{{Limit: pageSize}, {Limit: pageSize, Continue: "2"}, {Limit: pageSize, Continue: "4"}},
				rv:       "42",
			},
		},
		"RelistFromVersion": {
			reason: "A relist from the last version seen asks for state not older than it (a paged list from a bare version would be exactly that old state); later pages follow the continue token alone.",
			opts:   metav1.ListOptions{ResourceVersion: "17"},
			want: want{
				requests: []metav1.ListOptions{{ResourceVersion: "17", ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, Limit: pageSize}, {Limit: pageSize, Continue: "2"}, {Limit: pageSize, Continue: "4"}},
				rv:       "42",
			},
		},
		"ExactVersionAsked": {
			reason: "A caller that asks for an exact version gets it.",
			opts:   metav1.ListOptions{ResourceVersion: "17", ResourceVersionMatch: metav1.ResourceVersionMatchExact},
			want: want{
				requests: []metav1.ListOptions{{ResourceVersion: "17", ResourceVersionMatch: metav1.ResourceVersionMatchExact, Limit: pageSize}, {Limit: pageSize, Continue: "2"}, {Limit: pageSize, Continue: "4"}},
				rv:       "42",
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []metav1.ListOptions
			pages := pagerResource{fn: func(o metav1.ListOptions) *unstructured.UnstructuredList {
				got = append(got, o)
				from := 0
				if o.Continue != "" {
					_, _ = fmt.Sscan(o.Continue, &from)
				}
				l := &unstructured.UnstructuredList{Object: map[string]any{}}
				for i := from; i < min(from+int(o.Limit), n); i++ {
					l.Items = append(l.Items, *fullObject(i))
				}
				if from+int(o.Limit) < n {
					l.SetContinue(fmt.Sprint(from + int(o.Limit)))
				} else {
					l.SetResourceVersion("42")
				}
				return l
			}}
			l, err := listObserved(context.Background(), pages, p, pageSize, tc.opts)
			if err != nil {
				t.Fatalf("listObserved: %v", err)
			}
			if diff := cmp.Diff(tc.want.requests, got); diff != "" {
				t.Errorf("\n%s\nrequests: -want, +got:\n%s", tc.reason, diff)
			}
			if l.ResourceVersion != tc.want.rv {
				t.Errorf("\n%s\nresource version %q, want %q", tc.reason, l.ResourceVersion, tc.want.rv)
			}
			var obs []normalize.Observation
			for _, o := range l.Items {
				obs = append(obs, o.obs)
			}
			var wantObs []normalize.Observation
			for i := range n {
				wantObs = append(wantObs, normalize.Observe(p, fullObject(i)))
			}
			if diff := cmp.Diff(wantObs, obs); diff != "" {
				t.Errorf("\n%s\nobservations: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// pagerResource is a resource that answers lists with fn; nothing else.
type pagerResource struct {
	dynamic.ResourceInterface
	fn func(o metav1.ListOptions) *unstructured.UnstructuredList
}

func (p pagerResource) List(_ context.Context, o metav1.ListOptions) (*unstructured.UnstructuredList, error) {
	return p.fn(o), nil
}

type watchInterface = watch.Interface

// idleWatch is a watch on which nothing happens.
type idleWatch struct {
	ch   chan watch.Event
	once sync.Once
}

func newIdleWatch() *idleWatch { return &idleWatch{ch: make(chan watch.Event)} }

func (w *idleWatch) Stop()                          { w.once.Do(func() { close(w.ch) }) }
func (w *idleWatch) ResultChan() <-chan watch.Event { return w.ch }
