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
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// flushWriters bounds concurrent cursor writes: delivery progress is
// persisted behind delivery and must never crowd out ledger writes.
const flushWriters = 4

// SinkKey is how a sink is named in a ledger: an opaque hash of its id.
// ObservedClusters are cluster-scoped and readable beyond any one tenant,
// so they must not tell which ProviderConfigs exist or how their delivery
// goes; that lives on each ProviderConfig.
func SinkKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])[:20]
}

// storedKey reads the sink of a stored cursor. Ledgers written before sinks
// were hashed name them by id, which always holds a slash; their progress
// is kept under the key.
func storedKey(s string) string {
	if strings.Contains(s, "/") {
		return SinkKey(s)
	}
	return s
}

// Cursor is a sink's delivery progress on one record.
type Cursor struct {
	// Delivered is the highest seq the sink accepted.
	Delivered int64
	// Endpoint is the hash of the sink URL the progress was made with.
	Endpoint string
	// ID, when set, is the id of the event at Delivered. Events are sent
	// before their ledger write lands, and another writer's ledger (a
	// leader handover) may number them differently: progress is recorded
	// only while the event at Delivered is still the one delivered.
	ID string
}

// Cursor returns a sink's progress on a record; ok is false when the sink
// has never delivered anything of it.
func (lg *Ledger) Cursor(uid types.UID, sink string) (Cursor, bool) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	r, ok := lg.records[uid]
	if !ok {
		return Cursor{}, false
	}
	c, ok := r.cursor(SinkKey(sink))
	if !ok {
		return Cursor{}, false
	}
	return Cursor{Delivered: c.delivered, Endpoint: c.endpoint}, true
}

// SetCursor records a sink's progress in memory; Flush persists it. It never
// moves a cursor backwards for the same endpoint.
func (lg *Ledger) SetCursor(uid types.UID, sink string, c Cursor) {
	key := SinkKey(sink)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	r, ok := lg.records[uid]
	if !ok {
		return
	}
	if c.ID != "" {
		if id, ok := r.eventID(c.Delivered); ok && id != c.ID {
			return
		}
		if c.Delivered > r.lastSeq+int64(r.exposed()) {
			return
		}
	}
	cur, ok := r.cursor(key)
	if !ok {
		r.cursors = append(r.cursors, cursor{sink: lg.in(key)})
		cur = &r.cursors[len(r.cursors)-1]
	}
	if !ok || cur.endpoint != c.Endpoint {
		r.cursorsNew = true
	}
	if cur.endpoint == c.Endpoint && c.Delivered < cur.delivered {
		c.Delivered = cur.delivered
	}
	if *cur == (cursor{sink: cur.sink, endpoint: c.Endpoint, delivered: c.Delivered}) {
		return
	}
	cur.endpoint, cur.delivered = lg.in(c.Endpoint), c.Delivered
	r.cursorsDirty = true
	lg.trimEvents(r)
	if r.dirty && lg.delivered(r) {
		// The write waiting for this progress can go now, with it.
		lg.queue.Add(uid)
	}
}

// ForgetSink drops a removed sink's progress from every record.
func (lg *Ledger) ForgetSink(sink string) {
	key := SinkKey(sink)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	delete(lg.persisted, key)
	for _, r := range lg.records {
		for i := range r.cursors {
			if r.cursors[i].sink == key {
				r.cursors = append(r.cursors[:i], r.cursors[i+1:]...)
				r.cursorsDirty = true
				break
			}
		}
	}
}

// Event returns one event of a record's log, from memory when it is still
// there and from the API server otherwise. ok is false when the event is no
// longer in the log (pruned) or not recorded yet.
func (lg *Ledger) Event(ctx context.Context, uid types.UID, seq int64) (v1alpha1.LedgerEvent, bool, error) {
	lg.mu.Lock()
	r, ok := lg.records[uid]
	if ok {
		if i, sendable := r.sendable(seq, lg.early); sendable {
			// On its way to the ledger: sent now, with the id and
			// time the write records.
			events, _, _, _ := r.inflight()
			e := events[i]
			lg.mu.Unlock()
			return e, true, nil
		}
	}
	if !ok || seq > r.lastSeq || seq < r.firstSeq {
		lg.mu.Unlock()
		return v1alpha1.LedgerEvent{}, false, nil
	}
	for _, e := range r.events {
		if e.Seq == seq {
			lg.mu.Unlock()
			return e, true, nil
		}
	}
	name := r.ledgerName()
	lg.mu.Unlock()

	events, err := lg.Log(ctx, name)
	if err != nil {
		return v1alpha1.LedgerEvent{}, false, err
	}
	for _, e := range events {
		if e.Seq == seq {
			return e, true, nil
		}
	}
	return v1alpha1.LedgerEvent{}, false, nil
}

// Events returns a record's recorded events with seqs from to to that its
// log still holds: from memory when it has them all, otherwise from one
// read of the ledger, never one read per event.
func (lg *Ledger) Events(ctx context.Context, uid types.UID, from, to int64) ([]v1alpha1.LedgerEvent, error) {
	lg.mu.Lock()
	r, ok := lg.records[uid]
	if !ok {
		lg.mu.Unlock()
		return nil, nil
	}
	from, to = max(from, r.firstSeq), min(to, r.lastSeq)
	if from > to {
		lg.mu.Unlock()
		return nil, nil
	}
	out := make([]v1alpha1.LedgerEvent, 0, to-from+1)
	for _, e := range r.events {
		if e.Seq >= from && e.Seq <= to {
			out = append(out, e)
		}
	}
	name := r.ledgerName()
	lg.mu.Unlock()
	if int64(len(out)) == to-from+1 {
		return out, nil
	}
	events, err := lg.Log(ctx, name)
	if err != nil {
		return nil, err
	}
	out = out[:0]
	for _, e := range events {
		if e.Seq >= from && e.Seq <= to {
			out = append(out, e)
		}
	}
	return out, nil
}

// Log reads every event a ledger holds from the API server, oldest first:
// the events pruning kept for replays, then its log.
func (lg *Ledger) Log(ctx context.Context, ledgerName string) ([]v1alpha1.LedgerEvent, error) {
	oc := &v1alpha1.ObservedCluster{}
	if err := lg.reader.Get(ctx, types.NamespacedName{Name: ledgerName}, oc); err != nil {
		return nil, errors.Wrap(err, errGetLedger)
	}
	return oc.Status.History(), nil
}

// Flush persists the delivery progress changed since the last flush that
// no delivery watermark covers (see watermark.go): a ledger whose sinks
// have all its events and that a persisted watermark covers needs no write;
// one that the current watermarks cover waits, once, for the next status
// refresh to persist them, when that costs fewer writes than the ledgers'
// own (see watermarksWorthWriting). A crash loses at most one flush interval of
// progress: those events are sent again, with the same ids.
func (lg *Ledger) Flush(ctx context.Context) {
	lg.flush(ctx, false)
}

// flush is Flush; final writes what waits for a watermark too, since no
// status refresh follows the last flush.
func (lg *Ledger) flush(ctx context.Context, final bool) {
	type dirty struct {
		uid   types.UID
		name  string
		sinks []v1alpha1.SinkCursor
		added bool
	}
	var work []dirty
	lg.mu.Lock()
	through, ceiling, ok := lg.deliveredThrough()
	if !ok {
		through = nil
	}
	deferred := map[types.UID]bool{}
	// Progress is left to the watermarks only if they are worth a status
	// write of each sink's config, which the next refresh then makes.
	var wanted map[string]int64
	if !final && lg.deferToWatermark {
		wanted = lg.watermarksWorthWriting(through, ceiling)
	}
	for _, r := range lg.records {
		if !r.cursorsDirty || !r.hasLedger() || r.dirty || r.lastSeq == 0 {
			// A record waiting for its write gets its progress
			// written with it. So does one whose log is empty: there
			// is no progress to persist on it yet, and a write would
			// move the resourceVersion its next ledger write is
			// guarded by.
			continue
		}
		durable, soon := lg.progressCovered(r, through, ceiling)
		switch {
		case r.cursorsNew:
			// A watermark raises only progress some write carried.
		case durable:
			r.cursorsDirty = false
			continue
		case soon && wanted != nil && !lg.deferred[r.uid]:
			deferred[r.uid] = true
			continue
		}
		d := dirty{uid: r.uid, name: r.ledgerName(), sinks: r.sinkCursors(r.lastSeq), added: r.cursorsNew}
		r.cursorsDirty, r.cursorsNew = false, false
		work = append(work, d)
	}
	lg.deferred, lg.wanted = deferred, wanted
	lg.mu.Unlock()
	if len(work) == 0 {
		return
	}

	ch := make(chan dirty)
	var wg sync.WaitGroup
	for range flushWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for d := range ch {
				rv, err := lg.writeCursors(ctx, d.name, d.sinks)
				switch {
				case err == nil:
					lg.cursorsWritten(d.uid, rv)
				case kerrors.IsNotFound(err):
				default:
					lg.log.Debug("Cannot persist delivery progress; will retry", "ledger", d.name, "error", err)
					lg.mu.Lock()
					if r, ok := lg.records[d.uid]; ok {
						r.cursorsDirty = true
						r.cursorsNew = r.cursorsNew || d.added
					}
					lg.mu.Unlock()
				}
			}
		}()
	}
	for _, d := range work {
		select {
		case ch <- d:
		case <-ctx.Done():
		}
	}
	close(ch)
	wg.Wait()
}

// writeCursors persists delivery progress and returns the resourceVersion
// written.
func (lg *Ledger) writeCursors(ctx context.Context, name string, sinks []v1alpha1.SinkCursor) (string, error) {
	b, err := json.Marshal([]patchOp{{Op: "add", Path: "/status/sinks", Value: sinks}})
	if err != nil {
		return "", errors.Wrap(err, errMarshalPatch)
	}
	m := ref(name)
	if err := lg.kube.Status().Patch(ctx, m, client.RawPatch(types.JSONPatchType, b)); err != nil {
		return "", err
	}
	return m.GetResourceVersion(), nil
}

// cursorsWritten moves the guard of a ledger whose log is empty past a
// progress write of our own, so the next ledger write does not take it for
// another writer's.
func (lg *Ledger) cursorsWritten(uid types.UID, rv string) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if r, ok := lg.records[uid]; ok {
		lg.sawRV(r, rv)
	}
	if _, guarded := lg.guards[uid]; guarded && rv != "" {
		lg.guards[uid] = rv
	}
}

// remove forgets a record whose ledger was removed, and every reference
// to it. lg.mu must be held.
func (lg *Ledger) remove(uid types.UID) {
	if r, ok := lg.records[uid]; ok {
		lg.unlink(r)
		delete(lg.records, uid)
	}
}

// Sweep deletes the ledgers of deleted clusters once every sink that
// receives them has the deleted event and the retention period has passed.
func (lg *Ledger) Sweep(ctx context.Context) {
	var names []types.UID
	lg.mu.Lock()
	now := lg.now()
	for uid, r := range lg.records {
		if !r.gone || r.storedPhase != v1alpha1.PhaseDeleted || len(r.unrecorded) > 0 || r.dirty || r.cursorsDirty {
			continue
		}
		if r.deletedAt() == nil || now.Sub(r.deletedAt().Time) < lg.retention {
			continue
		}
		if lg.lowestCursor(r) < r.lastSeq {
			continue
		}
		names = append(names, uid)
	}
	lg.mu.Unlock()

	for _, uid := range names {
		lg.mu.Lock()
		r, ok := lg.records[uid]
		name := ""
		if ok {
			name = r.ledgerName()
		}
		lg.mu.Unlock()
		if err := lg.kube.Delete(ctx, ref(name)); err != nil && !kerrors.IsNotFound(err) {
			lg.log.Info("Cannot remove the ledger of a deleted cluster", "ledger", name, "error", errors.Wrap(err, errDeleteLedger))
			continue
		}
		lg.mu.Lock()
		lg.remove(uid)
		lg.mu.Unlock()
		lg.log.Debug("Removed the ledger of a deleted cluster", "ledger", name, "retention", lg.retention.String())
	}
}

// PreviousLifecycle returns the lifecycle of the event before seq in a
// record's log, which a sink's selector expression reads as
// previousLifecycle. It comes from memory whenever the record holds that
// event or it is the newest one trimmed, which covers a sink sending the
// events of a cluster in order: an expression then costs no ledger read per
// event, which would cost the API server a third of a ledger write. Only
// an older event is read back. ok is false when the log no longer holds it.
func (lg *Ledger) PreviousLifecycle(ctx context.Context, uid types.UID, seq int64) (v1alpha1.Lifecycle, bool, error) {
	if seq <= 1 {
		return "", false, nil
	}
	lg.mu.Lock()
	if r, ok := lg.records[uid]; ok {
		if l, ok := r.lifecycleAt(seq-1, lg.early); ok {
			lg.mu.Unlock()
			return l, true, nil
		}
	}
	lg.mu.Unlock()
	e, ok, err := lg.Event(ctx, uid, seq-1)
	return e.Lifecycle, ok, err
}

// Holds says whether a record holds the body of the event at seq in
// memory, recorded or on its way to the ledger, so that sending it costs no
// ledger read.
func (lg *Ledger) Holds(uid types.UID, seq int64) bool {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	r, ok := lg.records[uid]
	if !ok {
		return false
	}
	if _, sendable := r.sendable(seq, lg.early); sendable {
		return true
	}
	for _, e := range r.events {
		if e.Seq == seq {
			return true
		}
	}
	return false
}
