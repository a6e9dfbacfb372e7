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

package controller

import (
	"context"
	"slices"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/controller/config"
)

// DefaultConfigWait bounds how long discovery waits at start for the
// provider configs that exist to be reconciled once.
const DefaultConfigWait = 30 * time.Second

// configGate holds discovery back at start until every provider config
// that exists has been reconciled once. The ledger judges clusters with the
// signals of the sinks that route them (the flap damping, the out-of-sync
// thresholds): a cluster observed before its sinks are known would be
// judged without them, so a provider that restarts in the middle of a
// flapping episode would send the flaps it should hold back.
type configGate struct {
	mu      sync.Mutex
	seen    map[string]bool
	changed chan struct{}
}

func newConfigGate() *configGate {
	return &configGate{seen: map[string]bool{}, changed: make(chan struct{})}
}

// reconciled records that the config whose sink is id has an outcome.
func (g *configGate) reconciled(id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen[id] {
		return
	}
	g.seen[id] = true
	close(g.changed)
	g.changed = make(chan struct{})
}

// missing returns the ids of want not reconciled yet, and a channel closed
// at the next change.
func (g *configGate) missing(want []string) ([]string, <-chan struct{}) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []string
	for _, id := range want {
		if !g.seen[id] {
			out = append(out, id)
		}
	}
	return out, g.changed
}

// wait returns once every provider config that r lists has been reconciled
// once, or after timeout, or when ctx is done. Configs created meanwhile
// are not waited for; neither are those it cannot list within timeout:
// discovery then starts as it would have without the gate, and says so. A
// list that fails is tried again within the timeout: one refused read says
// nothing about the configs there are.
func (g *configGate) wait(ctx context.Context, r client.Reader, timeout time.Duration, log logging.Logger) {
	lctx, cancel := context.WithTimeout(ctx, timeout)
	want, err := listUntil(lctx, r)
	cancel()
	if err != nil {
		log.Info("Cannot list provider configs; watching clusters without waiting for their sinks", "error", err, "after", timeout)
		return
	}
	missing, changed := g.missing(want)
	if len(missing) == 0 {
		return
	}
	log.Debug("Waiting for provider configs before watching clusters", "configs", missing)
	t := time.NewTimer(timeout)
	defer t.Stop()
	for len(missing) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			log.Info("Provider configs not reconciled in time; watching clusters without their sinks' signals until they are", "configs", missing, "after", timeout)
			return
		case <-changed:
		}
		missing, changed = g.missing(want)
	}
}

// listUntil lists the sink ids of every provider config, trying again after
// a failure (after half a second, doubling up to 4 s) until ctx is done; it
// then returns the last error.
func listUntil(ctx context.Context, r client.Reader) ([]string, error) {
	delay := 500 * time.Millisecond
	for {
		ids, err := configIDs(ctx, r)
		if err == nil {
			return ids, nil
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(delay):
		}
		delay = min(2*delay, 4*time.Second)
	}
}

// configIDs lists the sink ids of every provider config.
func configIDs(ctx context.Context, r client.Reader) ([]string, error) {
	var ids []string
	cpcs := &v1alpha1.ClusterProviderConfigList{}
	if err := r.List(ctx, cpcs); err != nil {
		return nil, errors.Wrap(err, "cannot list ClusterProviderConfigs")
	}
	for _, c := range cpcs.Items {
		ids = append(ids, config.ID(v1alpha1.ClusterProviderConfigKind, "", c.GetName()))
	}
	pcs := &v1alpha1.ProviderConfigList{}
	if err := r.List(ctx, pcs); err != nil {
		return nil, errors.Wrap(err, "cannot list ProviderConfigs")
	}
	for _, c := range pcs.Items {
		ids = append(ids, config.ID(v1alpha1.ProviderConfigKind, c.GetNamespace(), c.GetName()))
	}
	slices.Sort(ids)
	return ids, nil
}
