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
	"encoding/json"
	"slices"

	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
	"github.com/crossplane-contrib/provider-cdevents/internal/replay"
)

// Error strings.
const (
	errCreateLedger = "cannot create ObservedCluster"
	errPatchLedger  = "cannot patch ObservedCluster status"
	errGetLedger    = "cannot get ObservedCluster"
	errListLedgers  = "cannot list ObservedClusters"
	errDeleteLedger = "cannot delete ObservedCluster"
	errMarshalPatch = "cannot marshal ObservedCluster patch"
)

// snapshot is what one ledger write sends, taken under the lock so that
// observations arriving meanwhile wait for the next write.
type snapshot struct {
	name     string
	exists   bool
	lastSeq  int64
	firstSeq int64
	events   []v1alpha1.LedgerEvent
	prune    int // events to remove from the head of the log
	pruned   int64
	state    normalize.State
	status   v1alpha1.ObservedClusterStatus
	consumed int // transitions of unrecorded this write covers
	// sinks, when set, is delivery progress folded into this write,
	// saving a separate progress write.
	sinks      []v1alpha1.SinkCursor
	incident   *metav1.Time
	incidentID string
	lastID     string
	// guard is the resourceVersion a write to a ledger whose log is
	// empty must find, since there is no lastSeq to test.
	guard string
	// token registers the write with the delivery watermarks until it
	// lands or fails.
	token uint64
	// newCursors says sinks carries progress of a sink no write carried
	// before.
	newCursors bool
}

func (lg *Ledger) writeNext(ctx context.Context) bool {
	uid, shutdown := lg.queue.Get()
	if shutdown {
		return false
	}
	defer lg.queue.Done(uid)
	if err := lg.write(ctx, uid); err != nil {
		if ctx.Err() == nil {
			lg.metrics.writeFailed()
			lg.log.Info("Cannot record cluster lifecycle; will retry", "uid", uid, "error", err)
		}
		lg.queue.AddRateLimited(uid)
		return true
	}
	lg.queue.Forget(uid)
	return true
}

// write brings one record's ledger up to date.
func (lg *Ledger) write(ctx context.Context, uid types.UID) error {
	for adopted := false; ; adopted = true {
		s, ok := lg.snapshot(uid)
		if !ok {
			return nil
		}
		var rv string
		var err error
		if !s.exists {
			rv, err = lg.create(ctx, s)
		} else {
			rv, err = lg.patch(ctx, s)
		}
		if err == nil {
			lg.commit(uid, s, rv)
			return nil
		}
		lg.unwritten(uid, s)
		if !kerrors.IsAlreadyExists(err) && !kerrors.IsInvalid(err) && !kerrors.IsNotFound(err) && !kerrors.IsConflict(err) {
			return err
		}
		// Another writer (during a leader handover) created or changed
		// the ledger, or it was deleted by hand: read it back and adopt
		// it. Never overwrite what another writer recorded: the next
		// write is guarded by the log's last seq (or, for an empty log,
		// the resourceVersion just read), and fails again if it moved.
		lg.reload(ctx, uid)
		if adopted || !kerrors.IsAlreadyExists(err) {
			return err
		}
		// A ledger that already existed is adopted and written at once.
	}
}

// unwritten marks a record whose write failed as still needing one, so the
// retry writes it again.
func (lg *Ledger) unwritten(uid types.UID, s snapshot) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	lg.endWrite(s.token)
	if r, ok := lg.records[uid]; ok {
		r.dirty = true
		r.cursorsDirty = r.cursorsDirty || s.sinks != nil
		r.cursorsNew = r.cursorsNew || s.newCursors
	}
}

func (lg *Ledger) snapshot(uid types.UID) (snapshot, bool) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	r, ok := lg.records[uid]
	if !ok || !r.dirty {
		return snapshot{}, false
	}
	s := snapshot{
		name:     r.ledgerName(),
		exists:   r.hasLedger(),
		lastSeq:  r.lastSeq,
		firstSeq: r.firstSeq,
		state:    r.detected.state(),
		consumed: len(r.unrecorded),
		pruned:   r.pruned,
	}
	if r.lastSeq == 0 {
		s.guard = lg.guards[uid]
	}
	s.events, s.incident, s.incidentID, s.lastID = r.inflight()
	for _, e := range s.events {
		if e.Lifecycle == v1alpha1.LifecycleDeleted && r.deletedAt() == nil {
			now := metav1.NewTime(lg.now())
			r.setDeletedAt(&now)
		}
	}
	seq := r.lastSeq + int64(len(s.events))
	if first := s.logStart(); first > 0 {
		s.prune = lg.pruneCount(first, seq, lg.lowestCursor(r))
		if low := lg.lowestCursor(r); s.prune > 0 && low < first+int64(s.prune)-1 {
			// Only a sink unreachable for very long while the cluster
			// flaps makes the log drop events it has not received.
			s.pruned += first + int64(s.prune) - 1 - max(low, first-1)
		}
	}
	s.status = r.status(lg.controlPlane, s.events)
	s.status.Phase = s.state.Phase
	s.status.Created = s.state.Created
	s.status.Paused = s.state.Paused
	s.status.OpenIncident = openIncident(s.incident, s.incidentID)
	s.status.Flapping, s.status.RecentTransitions = flapStatus(s.state)
	s.status.OutOfSync = outOfSyncEpisodes(s.state)
	s.status.Facts.KubernetesVersion = r.facts.KubernetesVersion
	s.status.Pruned = s.pruned
	if r.cursorsDirty {
		// Progress made on events of this write lands with them.
		s.sinks = r.sinkCursors(seq)
		s.newCursors = r.cursorsNew
		r.cursorsDirty, r.cursorsNew = false, false
	}
	r.dirty = false
	s.token = lg.beginWrite()
	return s, true
}

// pruneCount says how many events to drop from the head of a log holding
// seqs first..last, when every sink has received up to low. Events every
// sink has are kept only as recent history (keepEvents), which keeps each
// ledger, and so each write of it, small; events some sink still needs are
// dropped only beyond the hard bound (maxEvents). A prune reads the ledger
// (to pin what replays need, see pinned), so delivered history is pruned
// only once at least keepEvents can go at once: a long-lived ledger holds
// keepEvents to twice as many, and is read once per keepEvents writes.
func (lg *Ledger) pruneCount(first, last, low int64) int {
	size := int(last - first + 1)
	delivered := max(int(min(low, last)-first+1), 0)
	prune := 0
	if size >= 2*lg.keepEvents {
		prune = min(size-lg.keepEvents, delivered)
		if prune < lg.keepEvents {
			prune = 0
		}
	}
	if size-prune > lg.maxEvents {
		prune = size - lg.maxEvents
	}
	return prune
}

// pinned is what of a ledger's events, oldest first, must outlive a prune
// that leaves the log beginning at first: those below first that a Current
// replay of the cluster in its phase needs (replay.Current). A sink added
// later is then brought to the cluster's present state however long its
// history: without them, it would never get the created event of a
// cluster that made more transitions than the log keeps.
func pinned(events []v1alpha1.LedgerEvent, first int64, phase v1alpha1.Phase) []v1alpha1.LedgerEvent {
	needed := replay.Current(events, phase)
	var out []v1alpha1.LedgerEvent
	for _, e := range events {
		if e.Seq >= first {
			break
		}
		if _, ok := slices.BinarySearch(needed, e.Seq); ok {
			out = append(out, e)
		}
	}
	return out
}

// samePins says whether two lists of pinned events hold the same seqs.
func samePins(a, b []v1alpha1.LedgerEvent) bool {
	return slices.EqualFunc(a, b, func(x, y v1alpha1.LedgerEvent) bool { return x.Seq == y.Seq })
}

// ref names a ledger for writes whose answer only needs metadata: the API
// server then returns metadata instead of the whole ledger, which is
// cheaper for both sides.
func ref(name string) *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(v1alpha1.ObservedClusterGroupVersionKind)
	m.SetName(name)
	return m
}

// trackIncident opens an outage on a degraded or failed event and stamps
// the event that ends it with the outage's start. It returns the outage
// still open after e.
func trackIncident(open *metav1.Time, e *v1alpha1.LedgerEvent) *metav1.Time {
	switch e.Lifecycle { //nolint:exhaustive // Only these open or close an outage.
	case v1alpha1.LifecycleDegraded, v1alpha1.LifecycleFailed:
		if open == nil {
			t := e.Time
			return &t
		}
	case v1alpha1.LifecycleRecovered, v1alpha1.LifecycleReady, v1alpha1.LifecycleDeleted:
		if open != nil && e.Lifecycle != v1alpha1.LifecycleDeleted {
			e.IncidentStart = open
		}
		return nil
	}
	return open
}

// lowestCursor is the least delivered seq of the sinks that route r.
func (lg *Ledger) lowestCursor(r *Record) int64 {
	if lg.router == nil {
		return r.lastSeq
	}
	low := r.lastSeq
	for _, sink := range lg.router.SinksFor(r.routingView()) {
		c, ok := r.cursor(SinkKey(sink))
		if !ok {
			return 0
		}
		low = min(low, c.delivered)
	}
	return low
}

// create creates a record's ledger and writes its status in full. It
// returns the resourceVersion written. A ledger that already exists belongs
// to another writer (or to an earlier attempt whose answer was lost): create
// then fails with AlreadyExists, and the caller adopts it.
//
// The ledger is created with nothing but its name, so that the API server
// never tracks its managed fields: it tracks none for an object created
// with none and updated without server-side apply. They would be about a
// third of a ledger, and their upkeep would add 30 to 50% to what every
// ledger write costs kube-apiserver; only the provider writes ledgers, so
// they would say nothing. Users find the ledger of an object with the ObservedCluster's
// selectable fields (status.resourceRef) rather than labels.
func (lg *Ledger) create(ctx context.Context, s snapshot) (string, error) {
	oc := &v1alpha1.ObservedCluster{}
	oc.SetName(s.name)
	if err := lg.kube.Create(ctx, oc); err != nil {
		return "", errors.Wrap(err, errCreateLedger)
	}
	// The status subresource ignores status on create; write it in full,
	// guarded by the resourceVersion the create returned, so that a
	// writer that got in between is not overwritten.
	p, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"resourceVersion": oc.GetResourceVersion()},
		"status":   s.status,
	})
	if err != nil {
		return "", errors.Wrap(err, errMarshalPatch)
	}
	m := ref(s.name)
	if err := lg.kube.Status().Patch(ctx, m, client.RawPatch(types.MergePatchType, p)); err != nil {
		return "", errors.Wrap(err, errPatchLedger)
	}
	return m.GetResourceVersion(), nil
}

type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// patch appends new events and refreshes the rest of the status with one
// JSON patch. It never sends the whole event log: only what changed. It
// returns the resourceVersion written.
func (lg *Ledger) patch(ctx context.Context, s snapshot) (string, error) {
	if s.lastSeq == 0 {
		return lg.patchEmpty(ctx, s)
	}
	// Guard against a concurrent writer: the log must end where we think
	// it does.
	// Room for the test, the pins, every field set below, and the log's
	// changes: the slice never grows on a ledger write.
	ops := make([]patchOp, 0, 24+len(s.events)+s.prune)
	ops = append(ops, patchOp{Op: "test", Path: "/status/lastSeq", Value: s.lastSeq})
	if s.prune > 0 {
		pins, changed, err := lg.pinsAfterPrune(ctx, s)
		if err != nil {
			return "", err
		}
		if changed {
			ops = append(ops, patchOp{Op: "add", Path: "/status/pinnedEvents", Value: nonNilSlice(pins)})
		}
	}
	if s.firstSeq == 0 && len(s.events) > 0 {
		ops = append(ops, patchOp{Op: "add", Path: "/status/events", Value: s.events})
	} else {
		for _, e := range s.events {
			ops = append(ops, patchOp{Op: "add", Path: "/status/events/-", Value: e})
		}
	}
	for range s.prune {
		ops = append(ops, patchOp{Op: "remove", Path: "/status/events/0"})
	}
	st := s.status
	set := func(path string, v any) { ops = append(ops, patchOp{Op: "add", Path: "/status/" + path, Value: v}) }
	set("resourceRef", st.ResourceRef)
	set("phase", st.Phase)
	set("created", st.Created)
	set("paused", st.Paused)
	set("openIncident", nullable(st.OpenIncident))
	set("flapping", nonNilSlice(st.Flapping))
	set("recentTransitions", nonNilSlice(st.RecentTransitions))
	set("outOfSync", nonNilSlice(st.OutOfSync))
	set("environment", st.Environment)
	set("facts", st.Facts)
	set("ready", st.Ready)
	set("synced", st.Synced)
	set("provider", st.Provider)
	set("labels", nonNil(st.Labels))
	if len(s.events) > 0 {
		set("lastSeq", st.LastSeq)
	}
	if st.DeletedAt != nil {
		set("deletedAt", st.DeletedAt)
	}
	if st.Pruned > 0 {
		set("pruned", st.Pruned)
	}
	if st.DroppedTransitions > 0 {
		set("droppedTransitions", st.DroppedTransitions)
	}
	if st.LatestObjectTime != nil {
		set("latestObjectTime", st.LatestObjectTime)
	}
	if s.sinks != nil {
		set("sinks", s.sinks)
	}
	return lg.jsonPatch(ctx, s.name, ops)
}

// pinsAfterPrune reads a ledger about to be pruned, since the events a
// prune removes were delivered and are no longer in memory, and says which
// events it must pin (see pinned) and whether they differ from those it
// pins now. It reads the API server's watch cache, which costs it about a
// third of a read from etcd, and etcd only when the cache does not show
// the ledger as the write expects it yet. A ledger that is not where the
// write expects it even then (another writer moved it) fails as a
// conflict, and is read back like one.
func (lg *Ledger) pinsAfterPrune(ctx context.Context, s snapshot) ([]v1alpha1.LedgerEvent, bool, error) {
	expected := func(st v1alpha1.ObservedClusterStatus) bool {
		return st.LastSeq == s.lastSeq && firstSeqOf(st.Events) == s.firstSeq
	}
	oc := &v1alpha1.ObservedCluster{}
	if err := lg.reader.Get(ctx, types.NamespacedName{Name: s.name}, oc, &client.GetOptions{Raw: &metav1.GetOptions{ResourceVersion: "0"}}); err != nil {
		return nil, false, errors.Wrap(err, errGetLedger)
	}
	if !expected(oc.Status) {
		oc = &v1alpha1.ObservedCluster{}
		if err := lg.reader.Get(ctx, types.NamespacedName{Name: s.name}, oc); err != nil {
			return nil, false, errors.Wrap(err, errGetLedger)
		}
	}
	st := oc.Status
	if !expected(st) {
		return nil, false, errors.Wrap(kerrors.NewConflict(v1alpha1.ObservedClusterGroupVersionKind.GroupVersion().WithResource("observedclusters").GroupResource(), s.name,
			errors.Errorf("its log holds seqs %d to %d, not %d to %d", firstSeqOf(st.Events), st.LastSeq, s.firstSeq, s.lastSeq)), errPatchLedger)
	}
	history := append(st.History(), s.events...)
	pins := pinned(history, s.logStart()+int64(s.prune), s.state.Phase)
	return pins, !samePins(pins, st.PinnedEvents), nil
}

// logStart is the first seq of the log the write leaves before its prune:
// the written log's, or, for a log written empty so far, its first new
// event's; 0 when the log stays empty.
func (s snapshot) logStart() int64 {
	if s.firstSeq != 0 {
		return s.firstSeq
	}
	return firstSeqOf(s.events)
}

func firstSeqOf(events []v1alpha1.LedgerEvent) int64 {
	if len(events) == 0 {
		return 0
	}
	return events[0].Seq
}

// patchEmpty writes the whole status of a ledger whose log is empty. Such a
// ledger may have no status at all: a writer that died between creating it
// and writing its status leaves it so, and a patch of the status's fields
// would then fail for ever on the missing parent. An empty log has no
// lastSeq to test, so the write is guarded by the resourceVersion the
// ledger had when last read or written: whatever it holds was seen.
func (lg *Ledger) patchEmpty(ctx context.Context, s snapshot) (string, error) {
	var ops []patchOp
	if s.guard != "" {
		ops = append(ops, patchOp{Op: "test", Path: "/metadata/resourceVersion", Value: s.guard})
	}
	st := s.status
	if s.prune > 0 {
		st.PinnedEvents = pinned(st.Events, firstSeqOf(st.Events)+int64(s.prune), s.state.Phase)
	}
	st.Events = st.Events[min(s.prune, len(st.Events)):]
	ops = append(ops, patchOp{Op: "add", Path: "/status", Value: st})
	return lg.jsonPatch(ctx, s.name, ops)
}

// jsonPatch applies ops to a ledger's status and returns the
// resourceVersion written.
func (lg *Ledger) jsonPatch(ctx context.Context, name string, ops []patchOp) (string, error) {
	b, err := json.Marshal(ops)
	if err != nil {
		return "", errors.Wrap(err, errMarshalPatch)
	}
	m := ref(name)
	if err := lg.kube.Status().Patch(ctx, m, client.RawPatch(types.JSONPatchType, b)); err != nil {
		return "", errors.Wrap(err, errPatchLedger)
	}
	return m.GetResourceVersion(), nil
}

func nonNilSlice[T any](e []T) []T {
	if e == nil {
		return []T{}
	}
	return e
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// commit makes a successful write, which left the ledger at
// resourceVersion rv, the record's new stored state.
func (lg *Ledger) commit(uid types.UID, s snapshot, rv string) {
	lg.mu.Lock()
	// The write leaves the watermarks' floors in the same hold that
	// shows its events in the record.
	lg.endWrite(s.token)
	r, ok := lg.records[uid]
	if !ok {
		lg.mu.Unlock()
		return
	}
	lg.sawRV(r, rv)
	if !r.hasLedger() {
		r.created = lg.now().UnixNano()
	}
	r.storedPhase = s.state.Phase
	r.pruned = s.pruned
	r.setLinks(s.incident, s.incidentID, s.lastID)
	r.unrecorded = append([]pending(nil), r.unrecorded[min(s.consumed, len(r.unrecorded)):]...)
	if len(s.events) > 0 {
		if r.firstSeq == 0 {
			r.firstSeq = s.events[0].Seq
		}
		r.lastSeq = s.events[len(s.events)-1].Seq
		r.events = append(r.events, s.events...)
	}
	if s.prune > 0 {
		r.firstSeq += int64(s.prune)
	}
	if r.lastSeq == 0 && rv != "" {
		lg.guards[uid] = rv
	} else {
		delete(lg.guards, uid)
	}
	lg.trimEvents(r)
	notify := lg.notify
	lg.mu.Unlock()
	if len(s.events) > 0 || !s.exists {
		notify.Recorded(uid)
	}
}

// trimEvents drops event bodies that every routed sink has, and keeps at
// most DefaultCachedEvents of the rest; older ones are read back when needed.
func (lg *Ledger) trimEvents(r *Record) {
	low := lg.lowestCursor(r)
	i := 0
	for i < len(r.events) && (r.events[i].Seq <= low || r.events[i].Seq < r.firstSeq) {
		i++
	}
	if keep := len(r.events) - i; keep > DefaultCachedEvents {
		i = len(r.events) - DefaultCachedEvents
	}
	if i > 0 {
		r.before = codeOf(r.events[i-1].Lifecycle)
		r.events = append([]v1alpha1.LedgerEvent(nil), r.events[i:]...)
	}
	if len(r.events) == 0 {
		r.events = nil
	}
}

// knownIDs maps each seq the record holds in memory, written or on its way
// to the ledger, to its event's id.
func (r *Record) knownIDs() map[int64]string {
	ids := make(map[int64]string, len(r.events)+len(r.unrecorded))
	for _, e := range r.events {
		ids[e.Seq] = e.ID
	}
	for i, t := range r.unrecorded {
		ids[r.lastSeq+int64(i)+1] = EventID(r.uid, t.Lifecycle, t.Time, t.Value)
	}
	return ids
}

// keepProgress keeps delivery progress that a ledger read back does not
// hold yet (progress on events sent while their write was in flight, or
// made since the last write) wherever the ledger numbers those events as
// the record did: a conflict with a write of our own (a progress write
// that moved the resourceVersion a write was guarded by, an answer lost
// and retried) must not make a sink receive them again. Progress on seqs
// another writer numbered differently, or that cannot be compared, is
// dropped, and those events are sent again, with their ids. known are the
// record's ids before the read, recorded the ledger's log as read; r's
// seqs and unrecorded transitions are as adopted. lg.mu must be held.
func (lg *Ledger) keepProgress(r *Record, ahead []cursor, known map[int64]string, recorded []v1alpha1.LedgerEvent) {
	now := make(map[int64]string, len(recorded)+len(r.unrecorded))
	for _, e := range recorded {
		now[e.Seq] = e.ID
	}
	for i, t := range r.unrecorded {
		now[r.lastSeq+int64(i)+1] = EventID(r.uid, t.Lifecycle, t.Time, t.Value)
	}
	for _, c := range ahead {
		stored, ok := r.cursor(c.sink)
		from := int64(0)
		switch {
		case ok && stored.endpoint != c.endpoint:
			continue
		case ok:
			from = stored.delivered
		}
		if c.delivered <= from || c.delivered > r.lastSeq+int64(len(r.unrecorded)) {
			continue
		}
		same := true
		for seq := from + 1; seq <= c.delivered && same; seq++ {
			id, ok := known[seq]
			same = ok && id != "" && now[seq] == id
		}
		if !same {
			continue
		}
		if !ok {
			r.cursors = append(r.cursors, cursor{sink: c.sink, endpoint: c.endpoint})
			stored = &r.cursors[len(r.cursors)-1]
			r.cursorsNew = true
		}
		stored.delivered = c.delivered
		r.cursorsDirty = true
	}
}

// reload reads a ledger back from the API server after a write conflict.
func (lg *Ledger) reload(ctx context.Context, uid types.UID) {
	lg.mu.Lock()
	r, ok := lg.records[uid]
	if !ok {
		lg.mu.Unlock()
		return
	}
	name := r.ledgerName()
	lg.mu.Unlock()
	oc := &v1alpha1.ObservedCluster{}
	err := lg.reader.Get(ctx, types.NamespacedName{Name: name}, oc)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	switch {
	case kerrors.IsNotFound(err):
		// Deleted by hand: start a new ledger for the object.
		r.created, r.rv = 0, 0
		r.firstSeq, r.lastSeq, r.events, r.before = 0, 0, nil, 0
		r.storedPhase = ""
		r.detected = state{}
		r.unrecorded = nil
		r.cursors = nil
		delete(lg.guards, uid)
		r.dirty = true
	case err == nil:
		lg.adopt(r, oc)
		r.dirty = true
	}
}

// adopt makes a record match a ledger read from the API server: at start,
// or when another writer created or changed it. Transitions detected here
// that the ledger already holds (the same id) are not recorded again.
func (lg *Ledger) adopt(r *Record, oc *v1alpha1.ObservedCluster) {
	st := oc.Status
	known := r.knownIDs()
	r.created = oc.GetCreationTimestamp().UnixNano()
	lg.sawRV(r, oc.GetResourceVersion())
	stored := storedState(st)
	// What the state reads from the object rather than the ledger is
	// kept: no change of the object may come to read it again.
	detected := r.detected.state()
	stored.SyncLost, stored.SyncReason, stored.SyncMessage = detected.SyncLost, detected.SyncReason, detected.SyncMessage
	r.storedPhase = stored.Phase
	if len(r.unrecorded) > 0 && len(st.Events) > 0 {
		recorded := make(map[string]bool, len(st.Events))
		for _, e := range st.Events {
			recorded[e.ID] = true
		}
		kept := r.unrecorded[:0]
		for _, t := range r.unrecorded {
			if !recorded[EventID(r.uid, t.Lifecycle, t.Time, t.Value)] {
				kept = append(kept, t)
			}
		}
		r.unrecorded = kept
	}
	if len(r.unrecorded) == 0 {
		r.detected = lg.packState(stored)
		r.unrecorded = nil
	}
	if st.LastSeq == 0 {
		lg.guards[r.uid] = oc.GetResourceVersion()
	} else {
		delete(lg.guards, r.uid)
	}
	// The newest object time the ledger holds; ledgers of earlier
	// releases lack it, and their newest event time stands in.
	latest := int64(0)
	if st.LatestObjectTime != nil {
		latest = st.LatestObjectTime.Unix()
	}
	for _, e := range st.Events {
		latest = max(latest, e.Time.Unix())
	}
	if latest <= 0 {
		latest = oc.GetCreationTimestamp().Unix()
	}
	r.latest = max(r.latest, latest)
	r.dropped = max(r.dropped, uint32(min(max(st.DroppedTransitions, 0), int64(^uint32(0)))))
	r.lastSeq = st.LastSeq
	r.firstSeq = 0
	if len(st.Events) > 0 {
		r.firstSeq = st.Events[0].Seq
	}
	r.pruned = st.Pruned
	r.setDeletedAt(st.DeletedAt)
	var incident *metav1.Time
	var incidentID, lastID string
	for i := range st.Events {
		e := st.Events[i]
		incident, incidentID, lastID = linkEvent(&e, incident, incidentID, lastID)
	}
	if oi := st.OpenIncident; oi != nil {
		// The log may no longer hold the event that began it.
		start := oi.Start
		incident, incidentID = &start, oi.Event
	}
	r.setLinks(incident, incidentID, lastID)
	ahead := r.cursors
	r.cursors = nil
	for _, c := range st.Sinks {
		r.cursors = append(r.cursors, cursor{sink: lg.in(storedKey(c.Sink)), endpoint: lg.in(c.Endpoint), delivered: c.DeliveredSeq})
	}
	lg.keepProgress(r, ahead, known, st.Events)
	r.events, r.before = nil, 0
	low := lg.lowestCursor(r)
	for _, e := range st.Events {
		if e.Seq > low {
			r.events = append(r.events, e)
		} else {
			r.before = codeOf(e.Lifecycle)
		}
	}
	lg.trimEvents(r)
}
