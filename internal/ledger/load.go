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
	"context"
	"sort"
	"time"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// pageSize bounds the memory one page of ledgers takes while listing.
const pageSize = 500

// Load reads every existing ledger into memory. It runs once, before
// discovery starts, so that objects seen at start are compared with what
// was recorded before the restart rather than treated as new.
func (lg *Ledger) Load(ctx context.Context) error {
	n := 0
	var strays []stray
	err := lg.EachLedger(ctx, func(oc *v1alpha1.ObservedCluster) {
		lg.mu.Lock()
		defer lg.mu.Unlock()
		st := oc.Status
		uid := st.ResourceRef.UID
		if uid == "" {
			if lg.now().Sub(oc.GetCreationTimestamp().Time) >= strayAge {
				strays = append(strays, stray{name: oc.GetName(), rv: oc.GetResourceVersion()})
			}
			return
		}
		r, ok := lg.records[uid]
		if !ok {
			r = &Record{uid: uid}
			lg.records[uid] = r
		}
		r.kind = kindOf(schema.GroupKind{Group: st.Group, Kind: st.ResourceRef.Kind}, st.ResourceRef.APIVersion, st.Provider)
		r.namespace = lg.in(st.ResourceRef.Namespace)
		r.objName = st.ResourceRef.Name
		if n := oc.GetName(); n != r.ledgerName() {
			r.fields().nameOverride = n
		}
		if id := st.Environment.ID; id != SubjectID(lg.controlPlane, r.gk(), r.namespace, r.objName) {
			r.fields().subjectOverride = id
		}
		lg.setLabels(r, st.Labels)
		r.facts = st.Facts
		r.setConditions(st.Ready, st.Synced)
		lg.adopt(r, oc)
		lg.applyWatermarks(r)
		r.gone = st.Phase == v1alpha1.PhaseDeleted
		n++
	})
	if err != nil {
		return err
	}
	lg.mu.Lock()
	lg.linkLoaded()
	lg.loaded = true
	uids := make([]types.UID, 0, len(lg.records))
	for uid := range lg.records {
		uids = append(uids, uid)
	}
	notify := lg.notify
	lg.mu.Unlock()
	lg.log.Debug("Loaded ledgers", "count", n)
	// Sinks configured before the ledgers were read learn about them now:
	// some may owe events from before the restart.
	for _, uid := range uids {
		notify.Recorded(uid)
	}
	lg.removeStrays(ctx, strays)
	return nil
}

// strayAge is how old a ledger without status must be before it is taken
// for a stray: its writer creates it and writes its status at once, and
// retries that write for as long as the API server refuses it, so a younger
// one may still be written.
const strayAge = 10 * time.Minute

// strayDeleteTimeout bounds each stray's removal, so that an API server
// that does not answer holds up the start by little.
const strayDeleteTimeout = 10 * time.Second

// A stray is a ledger left without status: a writer died between creating
// it and writing its status.
type stray struct{ name, rv string }

// removeStrays deletes the ledgers left without status. They name no object
// and hold nothing, and nothing of their cluster was sent, since a
// cluster's first events wait for its ledger's first write: were its object
// still there, its record would only fail to create its ledger and adopt
// this one. A stray written meanwhile (its resourceVersion moved) is left
// alone, and a failure costs nothing but a row that stays until the next
// start.
func (lg *Ledger) removeStrays(ctx context.Context, strays []stray) {
	for _, s := range strays {
		oc := &v1alpha1.ObservedCluster{}
		oc.SetName(s.name)
		dctx, cancel := context.WithTimeout(ctx, strayDeleteTimeout)
		err := lg.kube.Delete(dctx, oc, client.Preconditions{ResourceVersion: &s.rv})
		cancel()
		switch {
		case kerrors.IsNotFound(err) || kerrors.IsConflict(err):
			// Removed or written by another writer since it was listed.
		case err != nil:
			lg.log.Info("Cannot remove a ledger left without status; it stays until the next start", "ledger", s.name, "error", err)
		default:
			lg.log.Info("Removed a ledger left without status by a writer that stopped between creating it and writing it; it named no cluster and held nothing", "ledger", s.name)
		}
	}
}

// EachLedger lists every ObservedCluster page by page, so that memory stays
// bounded however many clusters there are.
func (lg *Ledger) EachLedger(ctx context.Context, fn func(oc *v1alpha1.ObservedCluster)) error {
	cont := ""
	for {
		l := &v1alpha1.ObservedClusterList{}
		if err := lg.reader.List(ctx, l, client.Limit(pageSize), client.Continue(cont)); err != nil {
			return errors.Wrap(err, errListLedgers)
		}
		for i := range l.Items {
			fn(&l.Items[i])
		}
		cont = l.GetContinue()
		if cont == "" {
			return nil
		}
	}
}

// linkLoaded indexes every record by subject and links the incarnations of
// each subject in order: those recorded gone first, each group oldest
// ledger first. lg.mu must be held.
func (lg *Ledger) linkLoaded() {
	groups := map[uint64][]*Record{}
	for _, r := range lg.records {
		h := lg.subjectHash(r)
		groups[h] = append(groups[h], r)
	}
	for h, rs := range groups {
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].gone != rs[j].gone {
				return rs[i].gone
			}
			if rs[i].created != rs[j].created {
				return rs[i].created < rs[j].created
			}
			return rs[i].uid < rs[j].uid
		})
		for i := 1; i < len(rs); i++ {
			if lg.sameSubject(rs[i-1], rs[i]) {
				lg.link(rs[i-1], rs[i])
			}
		}
		lg.bySubject[h] = rs[len(rs)-1]
	}
}
