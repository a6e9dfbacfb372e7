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
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
	"unique"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// eventIDSpace is the UUIDv5 namespace of ledger event ids. Changing it
// would change every id the provider ever produced: never do that.
var eventIDSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/crossplane-contrib/provider-cdevents/ledger-event"))

// EventID is the deterministic id of a transition: the same object, lifecycle,
// transition time and observed value always give the same id, so a
// transition detected again after a crash, before it was recorded, or by
// another replica, keeps its id. value is empty when the object records the
// transition's time; otherwise it tells apart transitions that share the
// object's newest time (see normalize.Transition.Value). An empty value
// gives the ids of earlier releases.
func EventID(uid types.UID, l v1alpha1.Lifecycle, t time.Time, value string) string {
	name := string(uid) + "/" + string(l) + "/" + t.UTC().Format(time.RFC3339Nano)
	if value != "" {
		name += "/" + value
	}
	return uuid.NewSHA1(eventIDSpace, []byte(name)).String()
}

// EventType is the CDEvents event kind a lifecycle maps to, recorded in the
// ledger so that kubectl shows what consumers receive.
func EventType(l v1alpha1.Lifecycle) string {
	switch l {
	case v1alpha1.LifecycleCreated:
		return "environment.created"
	case v1alpha1.LifecycleDeleted:
		return "environment.deleted"
	default:
		return "environment.modified"
	}
}

// maxNameLength keeps ledger names well inside the 253 bytes allowed, with
// room for the hash suffix.
const maxNameLength = 200

// NameFor is the name of the ObservedCluster of one watched object:
// readable (first label of the group, namespace, name) and unique per
// incarnation (a hash of the uid).
func NameFor(gk schema.GroupKind, namespace, name string, uid types.UID) string {
	prefix, _, _ := strings.Cut(gk.Group, ".")
	parts := []string{prefix}
	if namespace != "" {
		parts = append(parts, namespace)
	}
	parts = append(parts, name)
	base := strings.ToLower(strings.Join(parts, "-"))
	if len(base) > maxNameLength {
		base = strings.TrimRight(base[:maxNameLength], "-.")
	}
	sum := sha256.Sum256([]byte(uid))
	return base + "-" + hex.EncodeToString(sum[:])[:5]
}

// SubjectID is the CDEvents subject id of a cluster: hierarchical, stable
// and unique within the control plane.
func SubjectID(controlPlane string, gk schema.GroupKind, namespace, name string) string {
	parts := []string{"", controlPlane, gk.Group, gk.Kind}
	if namespace != "" {
		parts = append(parts, namespace)
	}
	return strings.Join(append(parts, name), "/")
}

// ShortKind shortens a kind for kubectl output: eks.aws.upbound.io/Cluster
// becomes eks.aws/Cluster.
func ShortKind(gk schema.GroupKind) string {
	g := gk.Group
	for _, suffix := range []string{".upbound.io", ".crossplane.io"} {
		g = strings.TrimSuffix(g, suffix)
	}
	return g + "/" + gk.Kind
}

// pending is a detected transition waiting for its ledger write, with the
// conditions of the object when it was detected.
type pending struct {
	normalize.Transition
	ready, synced string
}

// cursor is one sink's progress on one record. sink is the SinkKey of the
// sink's id.
type cursor struct {
	sink      string
	endpoint  string
	delivered int64
}

// Record is the provider's in-memory view of one watched cluster and its
// ledger. It is kept small: the provider holds one per cluster, and the
// event bodies only while some sink still needs them. What few clusters
// have (an open outage, signals, a deletion, a ledger named otherwise) is
// held behind pointers, allocated only for those that have it.
type Record struct {
	uid types.UID
	// kind is the object's kind, API version and provider, shared with
	// every record of the same.
	kind      unique.Handle[objectKind]
	namespace string
	objName   string
	labelSet  *labelSet // the record's labels, shared between records with the same labels
	facts     v1alpha1.Facts
	// conditions are the object's Ready and Synced conditions as the
	// ledger shows them, shared with every record that has the same.
	conditions unique.Handle[conditions]

	// detected is the lifecycle state the transitions detected lead to;
	// storedPhase is the phase written to the ledger, which detected runs
	// ahead of by the transitions in unrecorded.
	detected    state
	storedPhase v1alpha1.Phase
	unrecorded  []pending

	// firstSeq and lastSeq bound the ledger's event log; events holds the
	// newest of them while some sink may still need them.
	firstSeq int64
	lastSeq  int64
	events   []v1alpha1.LedgerEvent
	pruned   int64

	cursors []cursor

	// lastID is the id of the newest recorded event, which the next one
	// links to (see links).
	lastID eventID

	created int64 // ledger creation time in Unix nanoseconds; 0 until it exists
	rv      int64 // resourceVersion of the ledger's last write or read (see watermark.go)
	// latest is the newest time the object carried (Unix seconds) at the
	// last observation that changed the ledger; a deletion is stamped
	// with it.
	latest int64
	// rare holds what few records have; nil for most.
	rare *rareFields
	// dropped counts transitions never recorded because writes fell
	// behind (see maxUnrecorded).
	dropped uint32
	gone    bool // the watched object no longer exists
	// before is the lifecycle of the event just before those in events
	// (the one at lastSeq when events is empty): the newest one trimmed
	// from memory. A sink whose selector reads previousLifecycle gets it
	// from here rather than from a read of the ledger per event.
	before lifecycleCode

	// dirty marks a record whose ledger needs a status write;
	// cursorsDirty one whose delivery progress needs flushing;
	// cursorsNew one with a sink's progress that no write carried yet,
	// which no delivery watermark can stand for (see watermark.go).
	dirty        bool
	cursorsDirty bool
	cursorsNew   bool
}

// objectKind is what every object of one kind and API version shares.
type objectKind struct {
	gk       schema.GroupKind
	version  string // API version of the watched object
	provider string
}

// kindOf is the interned objectKind of its arguments.
func kindOf(gk schema.GroupKind, version, provider string) unique.Handle[objectKind] {
	return unique.Make(objectKind{gk: gk, version: version, provider: provider})
}

// objectKind is the record's kind; zero before it is known.
func (r *Record) objectKind() objectKind {
	if r.kind == (unique.Handle[objectKind]{}) {
		return objectKind{}
	}
	return r.kind.Value()
}

func (r *Record) gk() schema.GroupKind { return r.objectKind().gk }

func (r *Record) version() string { return r.objectKind().version }

func (r *Record) provider() string { return r.objectKind().provider }

// conditions are an object's Ready and Synced conditions, as the ledger
// shows them.
type conditions struct {
	ready, synced string
}

// setConditions sets the record's Ready and Synced conditions.
func (r *Record) setConditions(ready, synced string) {
	r.conditions = unique.Handle[conditions]{}
	if ready != "" || synced != "" {
		r.conditions = unique.Make(conditions{ready: ready, synced: synced})
	}
}

// conds returns the record's Ready and Synced conditions.
func (r *Record) conds() (string, string) {
	if r.conditions == (unique.Handle[conditions]{}) {
		return "", ""
	}
	c := r.conditions.Value()
	return c.ready, c.synced
}

// rareFields are the parts of a record that few clusters have.
type rareFields struct {
	// nameOverride and subjectOverride are set only for ledgers written
	// under another naming (an older release, another control-plane
	// name); otherwise both are derived.
	nameOverride    string
	subjectOverride string
	// incident is when the open outage began (the time of the degraded
	// or failed event), so the event that ends it can name it;
	// incidentID is that event's id, which the ending event links to.
	incident   *metav1.Time
	incidentID string
	// lastID is the id of the newest recorded event when it is not of
	// the form eventID holds (a ledger edited by hand).
	lastID    string
	deletedAt *metav1.Time
}

// fields returns the record's rare part, allocating it.
func (r *Record) fields() *rareFields {
	if r.rare == nil {
		r.rare = &rareFields{}
	}
	return r.rare
}

// trim drops the rare part once it holds nothing.
func (r *Record) trim() {
	if r.rare != nil && *r.rare == (rareFields{}) {
		r.rare = nil
	}
}

func (r *Record) nameOverride() string {
	if r.rare == nil {
		return ""
	}
	return r.rare.nameOverride
}

func (r *Record) subjectOverride() string {
	if r.rare == nil {
		return ""
	}
	return r.rare.subjectOverride
}

// deletedAt is when the record's ledger recorded the deletion; nil before.
func (r *Record) deletedAt() *metav1.Time {
	if r.rare == nil {
		return nil
	}
	return r.rare.deletedAt
}

func (r *Record) setDeletedAt(t *metav1.Time) {
	if t == nil && r.rare == nil {
		return
	}
	r.fields().deletedAt = t
	r.trim()
}

// links returns the open outage (when it began and the id of the event
// that began it) and the id of the newest recorded event, which the next
// event links to.
func (r *Record) links() (*metav1.Time, string, string) {
	if r.rare == nil {
		return nil, "", r.lastID.String()
	}
	last := r.rare.lastID
	if last == "" {
		last = r.lastID.String()
	}
	return r.rare.incident, r.rare.incidentID, last
}

// setLinks sets what links returns.
func (r *Record) setLinks(incident *metav1.Time, incidentID, lastID string) {
	id, ok := parseEventID(lastID)
	r.lastID = id
	if ok {
		lastID = ""
	}
	if incident == nil && incidentID == "" && lastID == "" && r.rare == nil {
		return
	}
	f := r.fields()
	f.incident, f.incidentID, f.lastID = incident, incidentID, lastID
	r.trim()
}

// labels are the record's labels, shared with every record that has the
// same; never to be modified.
func (r *Record) labels() map[string]string {
	if r.labelSet == nil {
		return nil
	}
	return r.labelSet.m
}

// eventID holds an event id in the 16 bytes of the UUID that every id the
// provider makes is, rather than in a 36-byte string per cluster. The zero
// eventID is no id.
type eventID [16]byte

// parseEventID returns the eventID of s, and whether s is exactly what its
// String gives back: the empty id, or a UUID in canonical form.
func parseEventID(s string) (eventID, bool) {
	if s == "" {
		return eventID{}, true
	}
	u, err := uuid.Parse(s)
	if err != nil || u == (uuid.UUID{}) || u.String() != s {
		return eventID{}, false
	}
	return eventID(u), true
}

// String is the id in canonical form; "" for the zero eventID.
func (id eventID) String() string {
	if id == (eventID{}) {
		return ""
	}
	return uuid.UUID(id).String()
}

// state is a normalize.State as a record holds it: the signals' parts
// (out of sync, flap tracking), which nearly every cluster has empty, are
// held behind a pointer allocated only for clusters that have them.
type state struct {
	phase             v1alpha1.Phase
	kubernetesVersion string
	signals           *signalState
	created           bool
	paused            bool
}

// signalState is the signals' part of a normalize.State.
type signalState struct {
	outOfSync   []normalize.OutOfSync
	syncLost    time.Time
	syncReason  string
	syncMessage string
	recent      []time.Time
	flaps       []normalize.FlapEpisode
}

// packState is s as a record holds it. state() gives s back unchanged.
func packState(s normalize.State) state {
	p := state{phase: s.Phase, kubernetesVersion: s.KubernetesVersion, created: s.Created, paused: s.Paused}
	if s.OutOfSync != nil || s.SyncLost != (time.Time{}) || s.SyncReason != "" || s.SyncMessage != "" || s.Recent != nil || s.Flaps != nil {
		p.signals = &signalState{
			outOfSync: s.OutOfSync, syncLost: s.SyncLost, syncReason: s.SyncReason, syncMessage: s.SyncMessage,
			recent: s.Recent, flaps: s.Flaps,
		}
	}
	return p
}

// packState is s as a record holds it, its Kubernetes version interned.
func (lg *Ledger) packState(s normalize.State) state {
	p := packState(s)
	p.kubernetesVersion = lg.in(p.kubernetesVersion)
	return p
}

// state is the normalize.State s holds.
func (s state) state() normalize.State {
	out := normalize.State{Phase: s.phase, Created: s.created, KubernetesVersion: s.kubernetesVersion, Paused: s.paused}
	if sig := s.signals; sig != nil {
		out.OutOfSync, out.SyncLost, out.SyncReason, out.SyncMessage = sig.outOfSync, sig.syncLost, sig.syncReason, sig.syncMessage
		out.Recent, out.Flaps = sig.recent, sig.flaps
	}
	return out
}

// watched says whether the state waits for time to pass: a cluster that
// serves out of sync, or a flapping episode that may end.
func (s state) watched() bool {
	return s.signals != nil && (!s.signals.syncLost.IsZero() || len(s.signals.flaps) > 0)
}

// View is a read-only copy of what routing and event building need from a
// record.
type View struct {
	UID        types.UID
	LedgerName string
	GroupKind  schema.GroupKind
	Ref        v1alpha1.ResourceRef
	Provider   string
	Labels     map[string]string
	Env        v1alpha1.Environment
	Facts      v1alpha1.Facts
	Phase      v1alpha1.Phase
	FirstSeq   int64
	// LastSeq is the seq of the newest event, written or on its way to
	// the ledger; RecordedSeq that of the newest written.
	LastSeq     int64
	RecordedSeq int64
	// CreatedAt is when the ledger was created; before it exists, the
	// time the view was taken, since the ledger is about to be.
	CreatedAt time.Time
	Deleted   bool
}

// latestTime is the newest time the object carried, as the ledger holds it.
func (r *Record) latestTime() time.Time {
	if r.latest == 0 {
		return time.Time{}
	}
	return time.Unix(r.latest, 0).UTC()
}

// ledgerName is the name of the record's ObservedCluster.
func (r *Record) ledgerName() string {
	if n := r.nameOverride(); n != "" {
		return n
	}
	return NameFor(r.gk(), r.namespace, r.objName, r.uid)
}

// hasLedger says whether the record's ObservedCluster exists.
func (r *Record) hasLedger() bool { return r.created != 0 }

// environment is the cluster as a CDEvents environment.
func (r *Record) environment(controlPlane string) v1alpha1.Environment {
	id := r.subjectOverride()
	if id == "" {
		id = SubjectID(controlPlane, r.gk(), r.namespace, r.objName)
	}
	name := r.objName
	if r.facts.ExternalName != "" {
		name = r.facts.ExternalName
	}
	return v1alpha1.Environment{ID: id, Name: name, URI: r.facts.Endpoint}
}

func (r *Record) view(controlPlane string) View {
	v := r.routingView()
	v.LedgerName = r.ledgerName()
	v.Ref.APIVersion = r.version()
	v.Env = r.environment(controlPlane)
	return v
}

// routingView is view without the names built for each call (the ledger's
// name and the environment) that a walk over the fleet has no use for: it
// allocates nothing.
func (r *Record) routingView() View {
	return View{
		UID:       r.uid,
		GroupKind: r.gk(),
		Ref: v1alpha1.ResourceRef{
			Kind:      r.gk().Kind,
			Namespace: r.namespace,
			Name:      r.objName,
			UID:       r.uid,
		},
		Provider:    r.provider(),
		Labels:      r.labels(),
		Facts:       r.facts,
		Phase:       r.storedPhase,
		FirstSeq:    r.firstSeq,
		LastSeq:     r.lastSeq + int64(len(r.unrecorded)),
		RecordedSeq: r.lastSeq,
		CreatedAt:   time.Unix(0, r.created),
		Deleted:     r.storedPhase == v1alpha1.PhaseDeleted,
	}
}

// exposed is how many of the transitions on their way to the ledger may be
// sent before their write lands: those in front of the first whose time
// the provider worked out from its records (see
// normalize.Transition.TimedByRecords). Events of a cluster go out in
// order, so one that must be recorded first holds back those behind it
// until the write lands.
//
// None while nothing of the cluster is recorded: its first write creates
// the ledger, then writes its status, and a crash between the two leaves a
// ledger that names no object. Were the object deleted before the restart,
// nothing would tell the successor that the cluster existed, and whatever
// had been sent of it (a created, a ready) would never be followed by its
// deleted.
func (r *Record) exposed() int {
	if r.lastSeq == 0 {
		return 0
	}
	for i, t := range r.unrecorded {
		if t.TimedByRecords() {
			return i
		}
	}
	return len(r.unrecorded)
}

// timedByObject says whether every transition on its way to the ledger
// carries a time the object records for it, so that its write may wait for
// the sinks to carry their progress too: a crash while it waits costs no
// other id (see normalize.Transition.TimedByObject).
func (r *Record) timedByObject() bool {
	for _, t := range r.unrecorded {
		if !t.TimedByObject() {
			return false
		}
	}
	return true
}

func (r *Record) cursor(sink string) (*cursor, bool) {
	for i := range r.cursors {
		if r.cursors[i].sink == sink {
			return &r.cursors[i], true
		}
	}
	return nil, false
}

// sinkCursors renders every sink's progress for a ledger whose log ends at
// last; never nil. Events are sent while their ledger write is in flight,
// so a sink may be ahead of what is written: its progress is persisted only
// up to last, since after a crash the seqs past it may be given to other
// transitions.
func (r *Record) sinkCursors(last int64) []v1alpha1.SinkCursor {
	out := make([]v1alpha1.SinkCursor, 0, len(r.cursors))
	for _, c := range r.cursors {
		out = append(out, v1alpha1.SinkCursor{Sink: c.sink, Endpoint: c.endpoint, DeliveredSeq: min(c.delivered, last)})
	}
	return out
}

// inflight builds the events of the transitions detected but not written
// yet, numbered after the ledger's log and linked to it, and returns the
// outage still open after them, the id of the event that opened it, and
// the id of the last. They are sent while their write is in flight; their
// ids, times and links are those the write records.
func (r *Record) inflight() ([]v1alpha1.LedgerEvent, *metav1.Time, string, string) {
	open, openID, lastID := r.links()
	if len(r.unrecorded) == 0 {
		return nil, open, openID, lastID
	}
	events := make([]v1alpha1.LedgerEvent, 0, len(r.unrecorded))
	seq := r.lastSeq
	for _, t := range r.unrecorded {
		seq++
		e := v1alpha1.LedgerEvent{
			Seq:               seq,
			ID:                EventID(r.uid, t.Lifecycle, t.Time, t.Value),
			Lifecycle:         t.Lifecycle,
			Type:              EventType(t.Lifecycle),
			Time:              metav1.NewTime(t.Time),
			Replayed:          t.Replayed,
			Reason:            t.Reason,
			Message:           t.Message,
			KubernetesVersion: t.KubernetesVersion,
			PreviousVersion:   t.PreviousVersion,
			Ready:             t.ready,
			Synced:            t.synced,
		}
		signalFields(&e, r.uid, t.Transition)
		var prev *v1alpha1.LedgerEvent
		if len(events) > 0 {
			prev = &events[len(events)-1]
		}
		flapFields(&e, r.uid, t.Transition, prev, open, openID)
		open, openID, lastID = linkEvent(&e, open, openID, lastID)
		events = append(events, e)
	}
	return events, open, openID, lastID
}

// rewind takes back progress past the written log: the transitions not
// written yet were numbered anew.
func (r *Record) rewind() {
	for i := range r.cursors {
		r.cursors[i].delivered = min(r.cursors[i].delivered, r.lastSeq)
	}
}

// lifecycleCode names a lifecycle in one byte; 0 is none or unknown.
type lifecycleCode uint8

// codeOf is the code of a lifecycle; 0 for one it does not know.
func codeOf(l v1alpha1.Lifecycle) lifecycleCode {
	for c := lifecycleCode(1); ; c++ {
		switch c.lifecycle() {
		case "":
			return 0
		case l:
			return c
		}
	}
}

// lifecycle is the lifecycle a code names; empty for 0 and past the last.
func (c lifecycleCode) lifecycle() v1alpha1.Lifecycle {
	switch c {
	case 1:
		return v1alpha1.LifecycleCreated
	case 2:
		return v1alpha1.LifecycleReady
	case 3:
		return v1alpha1.LifecycleUpgraded
	case 4:
		return v1alpha1.LifecycleDegraded
	case 5:
		return v1alpha1.LifecycleRecovered
	case 6:
		return v1alpha1.LifecycleFailed
	case 7:
		return v1alpha1.LifecycleDeleting
	case 8:
		return v1alpha1.LifecycleDeleted
	case 9:
		return v1alpha1.LifecycleOutOfSync
	case 10:
		return v1alpha1.LifecycleInSync
	case 11:
		return v1alpha1.LifecyclePaused
	case 12:
		return v1alpha1.LifecycleResumed
	case 13:
		return v1alpha1.LifecycleFlapping
	case 14:
		return v1alpha1.LifecycleStable
	}
	return ""
}

// sendable says whether the event at seq is on its way to the ledger and
// may be sent before its write lands (early says transitions are), and
// which of the unrecorded transitions it is.
func (r *Record) sendable(seq int64, early bool) (int, bool) {
	i := seq - r.lastSeq - 1
	return int(i), early && i >= 0 && i < int64(r.exposed())
}

// lifecycleAt is the lifecycle of the event at seq, if the record holds it
// in memory: on its way to the ledger (when early, transitions are sent
// before their write), among its events, or the newest one trimmed.
func (r *Record) lifecycleAt(seq int64, early bool) (v1alpha1.Lifecycle, bool) {
	if i, ok := r.sendable(seq, early); ok {
		return r.unrecorded[i].Lifecycle, true
	}
	next := r.lastSeq + 1
	if len(r.events) > 0 {
		next = r.events[0].Seq
	}
	if seq == next-1 && r.before != 0 {
		return r.before.lifecycle(), true
	}
	for _, e := range r.events {
		if e.Seq == seq {
			return e.Lifecycle, true
		}
	}
	return "", false
}

// eventID is the id of the event at seq, if the record holds it in memory.
func (r *Record) eventID(seq int64) (string, bool) {
	if i := seq - r.lastSeq - 1; i >= 0 && i < int64(len(r.unrecorded)) {
		t := r.unrecorded[i]
		return EventID(r.uid, t.Lifecycle, t.Time, t.Value), true
	}
	for _, e := range r.events {
		if e.Seq == seq {
			return e.ID, true
		}
	}
	return "", false
}

// status renders the full ledger status of a record, for the first write.
func (r *Record) status(controlPlane string, events []v1alpha1.LedgerEvent) v1alpha1.ObservedClusterStatus {
	v := r.view(controlPlane)
	ready, synced := r.conds()
	s := v1alpha1.ObservedClusterStatus{
		ResourceRef: v.Ref,
		Group:       r.gk().Group,
		ShortKind:   ShortKind(r.gk()),
		Provider:    r.provider(),
		Labels:      r.labels(),
		Phase:       r.detected.phase,
		Created:     r.detected.created,
		Environment: v.Env,
		Facts:       r.facts,
		Ready:       ready,
		Synced:      synced,
		Events:      events,
		DeletedAt:   r.deletedAt(),
		Pruned:      r.pruned,

		DroppedTransitions: int64(r.dropped),
	}
	if t := r.latestTime(); !t.IsZero() {
		s.LatestObjectTime = &metav1.Time{Time: t}
	}
	if len(events) > 0 {
		s.LastSeq = events[len(events)-1].Seq
	}
	if len(r.cursors) > 0 {
		s.Sinks = r.sinkCursors(r.lastSeq + int64(len(events)))
	}
	return s
}
