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

package ledger

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// churn creates n clusters with per-cluster labels, as Crossplane's
// composite label makes them, deletes them, and removes their records as
// Sweep does once their ledgers are gone.
func churn(t *testing.T, lg *Ledger, p *catalog.Profile, cycle, n int) {
	t.Helper()
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	for i := range n {
		obs := normalize.Observation{
			UID:        types.UID(fmt.Sprintf("uid-%d-%d", cycle, i)),
			Name:       fmt.Sprintf("cluster-%d-%d", cycle, i),
			Namespace:  fmt.Sprintf("team-%d-%d", cycle, i%50),
			APIVersion: "eks.aws.upbound.io/v1beta2",
			Kind:       "Cluster",
			Labels: map[string]string{
				"team":                     "platform",
				"crossplane.io/composite":  fmt.Sprintf("xcluster-%d-%d", cycle, i),
				"crossplane.io/claim-name": fmt.Sprintf("claim-%d-%d", cycle, i),
			},
			CreationTimestamp: at,
			Ready:             normalize.Condition{Status: "True", Reason: "Available", LastTransitionTime: at},
			Facts:             v1alpha1.Facts{CloudState: "ACTIVE", Region: fmt.Sprintf("region-%d", cycle), KubernetesVersion: "1.31"},
		}
		lg.Observe(p, eks, obs, false)
	}
	for i := range n {
		lg.Gone(types.UID(fmt.Sprintf("uid-%d-%d", cycle, i)), false)
	}
	for lg.queue.Len() > 0 {
		uid, _ := lg.queue.Get()
		lg.queue.Done(uid)
		lg.queue.Forget(uid)
	}
	lg.mu.Lock()
	for i := range n {
		lg.remove(types.UID(fmt.Sprintf("uid-%d-%d", cycle, i)))
	}
	lg.mu.Unlock()
}

// settledHeap collects garbage until the label sets of removed records are
// gone too (their entries go in cleanups that run after a collection).
func settledHeap(lg *Ledger) (uint64, int) {
	var ms runtime.MemStats
	sets := -1
	for range 20 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		lg.setsMu.Lock()
		n := len(lg.labelSets)
		lg.setsMu.Unlock()
		if n == sets {
			break
		}
		sets = n
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc, sets
}

// TestInterningDoesNotGrowWithChurn creates and deletes 1,000 clusters with
// per-cluster labels 20 times: what the ledger interns must not grow.
func TestInterningDoesNotGrowWithChurn(t *testing.T) {
	const cycles, clusters = 20, 1000
	p, ok := catalog.New().Lookup(eks)
	if !ok {
		t.Fatal("no built-in profile for upjet EKS")
	}
	lg := New(nil, nil)
	// The first cycle sizes the maps and queues that only ever hold the
	// live clusters; the interning tables must not grow after it.
	churn(t, lg, p, 0, clusters)
	before, setsBefore := settledHeap(lg)
	for c := 1; c <= cycles; c++ {
		churn(t, lg, p, c, clusters)
	}
	after, setsAfter := settledHeap(lg)
	growth := (float64(after) - float64(before)) / float64(before)
	t.Logf("heap after the first cycle %d B (%d label sets), after %d more cycles of %d clusters %d B (%d label sets): %+.1f%%",
		before, setsBefore, cycles, clusters, after, setsAfter, 100*growth)
	if setsAfter != 0 {
		t.Errorf("%d label sets are still interned with no record left", setsAfter)
	}
	if growth > 0.05 {
		t.Errorf("heap grew %.1f%% over %d create/delete cycles of %d clusters; want at most 5%%", 100*growth, cycles, clusters)
	}
	runtime.KeepAlive(lg)
}
