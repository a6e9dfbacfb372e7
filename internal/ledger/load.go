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
	err := lg.EachLedger(ctx, func(oc *v1alpha1.ObservedCluster) {
		lg.mu.Lock()
		defer lg.mu.Unlock()
		st := oc.Status
		uid := st.ResourceRef.UID
		if uid == "" {
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
	return nil
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
