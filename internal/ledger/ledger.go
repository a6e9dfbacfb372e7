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

// Package ledger keeps one ObservedCluster per watched cluster object: the
// durable record of its lifecycle transitions and of each sink's delivery
// progress. It is what makes the provider lossless across sink outages and
// restarts: every transition gets its seq, deterministic id and time when it
// is detected, is sent while its ledger write is in flight, and is written
// together with the delivery progress that follows it; on start the ledgers
// are compared with the live objects so that clusters deleted while the
// provider was down still get their deleted event. The provider never writes to the objects it watches; this is the
// only place it keeps state.
package ledger

import (
	"context"
	"hash/maphash"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unique"
	"weak"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/workqueue"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// Defaults.
const (
	// DefaultMaxEvents bounds each ledger's event log. A cluster rarely
	// makes more than a handful of transitions; the bound only matters for
	// a cluster that flaps for days while a sink is unreachable.
	DefaultMaxEvents = 100
	// DefaultKeepEvents is how much history a ledger keeps of events every
	// sink has received: between this many and twice as many (see
	// pruneCount), besides the events replays need (see pinned). Every
	// write of a ledger costs in proportion to its size, so delivered
	// history is kept short.
	DefaultKeepEvents = 8
	// DefaultCachedEvents is how many undelivered event bodies a record
	// keeps in memory; older ones are read back from the API server.
	DefaultCachedEvents = 8
	// DefaultWriters is the number of concurrent ledger writers.
	DefaultWriters = 4
	// DefaultCoalesce is how long a ledger write waits, at most, for the
	// sinks to take the events it records.
	DefaultCoalesce = time.Second
	// maxUnrecorded bounds transitions waiting for a ledger write; a
	// record this far behind is being written as fast as the API allows.
	maxUnrecorded = 64
)

// A Notifier learns that a record's ledger gained events or changed, so that
// delivery can pick them up. It must not block.
type Notifier interface {
	Recorded(uid types.UID)
}

// NotifierFn adapts a function to a Notifier.
type NotifierFn func(uid types.UID)

// Recorded calls fn.
func (fn NotifierFn) Recorded(uid types.UID) { fn(uid) }

// A Router tells which sinks receive a record, so the ledger knows when
// every sink has a deleted cluster's last event, and what signals those
// sinks ask for, so it records them for each setting. It is asked on every
// observation and flush, so it gets the record's view without the names
// (as in Routing: LedgerName, Ref.APIVersion and Env are empty).
type Router interface {
	SinksFor(v View) []string
	SignalsFor(v View) Signals
}

// Signals are the settings of the sinks that receive a cluster that shape
// the signals recorded for it.
type Signals struct {
	// OutOfSyncAfter lists the outOfSync thresholds, sorted.
	OutOfSyncAfter []time.Duration
	// Flapping lists the flap dampings, sorted by key.
	Flapping []normalize.Damping
}

// Option configures a Ledger.
type Option func(*Ledger)

// WithLogger sets the logger.
func WithLogger(l logging.Logger) Option { return func(lg *Ledger) { lg.log = l } }

// WithNotifier sets who learns about new events.
func WithNotifier(n Notifier) Option { return func(lg *Ledger) { lg.notify = n } }

// WithControlPlaneName sets the control plane name used in subject ids.
func WithControlPlaneName(n string) Option { return func(lg *Ledger) { lg.controlPlane = n } }

// WithClock replaces time.Now, for tests.
func WithClock(now func() time.Time) Option { return func(lg *Ledger) { lg.now = now } }

// WithMaxEvents bounds each ledger's event log.
func WithMaxEvents(n int) Option { return func(lg *Ledger) { lg.maxEvents = n } }

// WithKeepEvents sets how many delivered events each ledger keeps as
// history, at least; up to twice as many gather between prunes.
func WithKeepEvents(n int) Option { return func(lg *Ledger) { lg.keepEvents = max(n, 1) } }

// WithWriters sets the number of concurrent ledger writers.
func WithWriters(n int) Option { return func(lg *Ledger) { lg.writers = n } }

// WithRetention sets how long a deleted cluster's ledger is kept once every
// sink has its deleted event.
func WithRetention(d time.Duration) Option { return func(lg *Ledger) { lg.retention = d } }

// WithCoalesce sets how long a ledger write may wait for the sinks to take
// the events it records, so that the events and the delivery progress that
// follows them land in one write. Zero writes at once.
func WithCoalesce(d time.Duration) Option { return func(lg *Ledger) { lg.coalesce = d } }

// WithSendBeforeRecorded says whether transitions are sent while their
// ledger write is in flight (the default), or only once it has landed. The
// README's "Reliability" says what a crash can cost either way.
func WithSendBeforeRecorded(early bool) Option { return func(lg *Ledger) { lg.early = early } }

// WithMetrics sets the ledger's metrics.
func WithMetrics(m *Metrics) Option { return func(lg *Ledger) { lg.metrics = m } }

// Metrics are the ledger's metrics, registered once with the registry the
// caller chooses.
type Metrics struct {
	transitionsDropped prometheus.Counter
	writeFailures      prometheus.Counter
}

// NewMetrics creates the ledger's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		transitionsDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cdevents_ledger_transitions_dropped_total",
			Help: "Lifecycle transitions detected but never recorded, because a cluster's ledger writes fell more than 64 transitions behind; the newest are kept.",
		}),
		writeFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "cdevents_ledger_write_failures_total",
			Help: "Ledger writes (ObservedCluster creates and status patches) the API server did not accept; each is retried with backoff.",
		}),
	}
	for _, c := range []prometheus.Collector{m.transitionsDropped, m.writeFailures} {
		if err := reg.Register(c); err != nil {
			return nil, errors.Wrap(err, "cannot register ledger metrics")
		}
	}
	return m, nil
}

func (m *Metrics) writeFailed() {
	if m == nil {
		return
	}
	m.writeFailures.Inc()
}

func (m *Metrics) dropped(n int) {
	if m == nil {
		return
	}
	m.transitionsDropped.Add(float64(n))
}

// Ledger records lifecycle transitions of watched clusters into
// ObservedClusters and serves them to delivery.
type Ledger struct {
	kube         client.Client
	reader       client.Reader
	log          logging.Logger
	notify       Notifier
	router       Router
	controlPlane string
	now          func() time.Time
	maxEvents    int
	keepEvents   int
	writers      int
	retention    time.Duration
	metrics      *Metrics

	queue workqueue.TypedRateLimitingInterface[types.UID]
	// timers holds records to look at again when an outOfSync becomes
	// due: no change of the object may come to trigger it.
	timers workqueue.TypedDelayingInterface[types.UID]

	mu      sync.Mutex
	records map[types.UID]*Record
	loaded  bool

	// labelSets holds every label set some record uses, weakly: a set no
	// record holds any more is collected and its entry removed, so churn
	// of per-cluster labels does not grow it. Strings are interned with
	// the unique package, which drops them the same way.
	setsMu    sync.Mutex
	labelSets map[string]weak.Pointer[labelSet]

	// bySubject finds the newest record of a subject id (by a hash of
	// it), so that a cluster deleted and created again under the same
	// name is linked to its previous incarnation. preds and succs hold
	// those links, which only recreated clusters have.
	seed      maphash.Seed
	bySubject map[uint64]*Record
	preds     map[types.UID]types.UID
	succs     map[types.UID]types.UID

	// coalesce is how long a record's write may wait for its sinks to
	// take its new events, so that both land in one write.
	coalesce time.Duration
	// early sends transitions while their ledger write is in flight.
	early bool
	// woken are records that gained events while mu is held; delivery
	// learns of them once it is released.
	woken []types.UID

	// guards holds the resourceVersion of ledgers whose log is empty, as
	// last read or written: a write to such a ledger has no lastSeq to
	// test, so it tests this instead.
	guards map[types.UID]string

	// Delivery watermarks (see watermark.go). maxRV is the newest ledger
	// resourceVersion written or read; floors holds, per ledger write in
	// flight, maxRV when it began; persisted holds each sink's durable
	// watermark, by SinkKey; through caches the computed ones.
	maxRV          int64
	rvOpaque       bool
	writeTokens    uint64
	floors         map[uint64]int64
	persisted      map[string]watermark
	through        map[string]int64
	throughCeiling int64
	throughAt      time.Time
	// deferred are records whose progress write the last flush left to
	// the next status refresh's watermark, when deferToWatermark; wanted
	// is the watermark, by sink key, that refresh must persist at least
	// (see watermarksWorthWriting), until a status write persists it.
	deferred         map[types.UID]bool
	wanted           map[string]int64
	deferToWatermark bool
}

// New returns a Ledger that writes with kube and reads ledgers with reader
// (an uncached reader: ObservedClusters are not kept in an informer cache,
// the records here are all the provider needs).
func New(kube client.Client, reader client.Reader, opts ...Option) *Ledger {
	lg := &Ledger{
		kube:         kube,
		reader:       reader,
		log:          logging.NewNopLogger(),
		notify:       NotifierFn(func(types.UID) {}),
		controlPlane: "crossplane",
		now:          time.Now,
		maxEvents:    DefaultMaxEvents,
		keepEvents:   DefaultKeepEvents,
		writers:      DefaultWriters,
		retention:    24 * time.Hour,
		coalesce:     DefaultCoalesce,
		early:        true,
		records:      map[types.UID]*Record{},
		labelSets:    map[string]weak.Pointer[labelSet]{},
		seed:         maphash.MakeSeed(),
		bySubject:    map[uint64]*Record{},
		preds:        map[types.UID]types.UID{},
		succs:        map[types.UID]types.UID{},
		guards:       map[types.UID]string{},
		floors:       map[uint64]int64{},
		persisted:    map[string]watermark{},
		deferred:     map[types.UID]bool{},
	}
	for _, o := range opts {
		o(lg)
	}
	lg.queue = workqueue.NewTypedRateLimitingQueueWithConfig(
		workqueue.NewTypedItemExponentialFailureRateLimiter[types.UID](100*time.Millisecond, time.Minute),
		workqueue.TypedRateLimitingQueueConfig[types.UID]{Name: "ledger"})
	lg.timers = workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[types.UID]{Name: "ledger-timers"})
	return lg
}

// SetRouter tells the ledger which sinks receive which records. Delivery
// calls it once it is set up.
func (lg *Ledger) SetRouter(r Router) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	lg.router = r
}

// SetNotifier sets who learns about new events, for wiring that creates
// delivery after the ledger.
func (lg *Ledger) SetNotifier(n Notifier) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	lg.notify = n
}

// in interns s: the same group, version, phase or condition string is
// shared by every record instead of being held once per cluster. Strings no
// record uses any more are freed.
func (lg *Ledger) in(s string) string {
	if s == "" {
		return ""
	}
	return unique.Make(s).Value()
}

// Observe records what discovery saw of one object. late says the provider
// did not witness the change live (first sight at start or of a newly
// discovered kind). It never blocks on the API server.
func (lg *Ledger) Observe(p *catalog.Profile, gk schema.GroupKind, obs normalize.Observation, late bool) {
	if obs.UID == "" {
		return
	}
	lg.mu.Lock()
	defer lg.wakeAndUnlock()
	r, ok := lg.records[obs.UID]
	if !ok {
		r = &Record{
			uid:       obs.UID,
			kind:      kindOf(gk, "", ""),
			namespace: lg.in(obs.Namespace),
			objName:   obs.Name,
		}
		lg.records[obs.UID] = r
		lg.succeed(r)
	}
	if r.gone {
		// A late event about an object already recorded gone changes
		// nothing: uids are never reused.
		return
	}
	changed := lg.refresh(r, p, obs)
	c := lg.context(r, late)
	next, ts := normalize.Next(p, r.detected.state(), obs, c)
	r.detected = lg.packState(next)
	lg.add(r, ts)
	lg.schedule(r, c)
	if changed || len(ts) > 0 {
		// The newest time the object carries is kept only with what
		// is written anyway, so that what a deletion is stamped with
		// is what the ledger holds, live or after a restart.
		r.latest = max(r.latest, obs.Latest.Unix())
		r.dirty = true
		lg.scheduleWrite(r)
	}
}

// scheduleWrite queues a record's ledger write. Its new events are sent while
// the write waits: the write goes out as soon as every sink that receives
// the cluster has them, so that the transitions and the delivery progress
// that follows them land in one write, and at the latest after the
// coalescing window, so that a sink that is down or slow does not hold
// back the record. A transition stamped with the newest time the object
// carries, or one that must be recorded first, is written at once: the
// former would be found again with another time if the object were
// written again before a crash's restart, so its window is kept to the
// write's own latency, and its progress is left to the sink's delivery
// watermark. lg.mu must be held.
func (lg *Ledger) scheduleWrite(r *Record) {
	if !lg.early || lg.coalesce <= 0 || len(r.unrecorded) == 0 || r.exposed() < len(r.unrecorded) || !r.timedByObject() || lg.delivered(r) {
		lg.queue.Add(r.uid)
		return
	}
	lg.queue.AddAfter(r.uid, lg.coalesce)
}

// delivered says whether every sink that receives a record has all its
// events, those on their way to the ledger included. lg.mu must be held.
func (lg *Ledger) delivered(r *Record) bool {
	if lg.router == nil {
		return true
	}
	last := r.lastSeq + int64(r.exposed())
	for _, sink := range lg.router.SinksFor(r.routingView()) {
		c, ok := r.cursor(SinkKey(sink))
		if !ok || c.delivered < last {
			return false
		}
	}
	return true
}

// wakeAndUnlock releases lg.mu, then tells delivery about the records that
// gained events while it was held: delivery reads the ledger, so it must
// not be called with the lock held.
func (lg *Ledger) wakeAndUnlock() {
	woken := lg.woken
	lg.woken = nil
	notify := lg.notify
	lg.mu.Unlock()
	for _, uid := range woken {
		notify.Recorded(uid)
	}
}

// subjectHash hashes a record's subject id without building it.
func (lg *Ledger) subjectHash(r *Record) uint64 {
	var h maphash.Hash
	h.SetSeed(lg.seed)
	if id := r.subjectOverride(); id != "" {
		_, _ = h.WriteString(id)
		return h.Sum64()
	}
	for _, part := range []string{"/", lg.controlPlane, "/", r.gk().Group, "/", r.gk().Kind, "/"} {
		_, _ = h.WriteString(part)
	}
	if r.namespace != "" {
		_, _ = h.WriteString(r.namespace)
		_, _ = h.WriteString("/")
	}
	_, _ = h.WriteString(r.objName)
	return h.Sum64()
}

// sameSubject says whether two records describe the same subject id.
func (lg *Ledger) sameSubject(a, b *Record) bool {
	return a.environment(lg.controlPlane).ID == b.environment(lg.controlPlane).ID
}

// succeed indexes a record first seen live and links it to the previous
// incarnation of its subject, if the ledger holds one. Two objects of one
// kind cannot share a namespace and name, so an older one still thought
// live was deleted while nobody watched: it is recorded gone now, before
// anything of its successor. lg.mu must be held.
func (lg *Ledger) succeed(r *Record) {
	h := lg.subjectHash(r)
	if old, ok := lg.bySubject[h]; ok && old != r && lg.sameSubject(old, r) {
		lg.link(old, r)
		if !old.gone {
			lg.log.Debug("A cluster was replaced by a new object of the same name while it was not watched", "ledger", old.ledgerName(), "successor", r.ledgerName())
			lg.gone(old, true)
		}
	}
	lg.bySubject[h] = r
}

// link records that next is the incarnation of a subject after prev.
func (lg *Ledger) link(prev, next *Record) {
	lg.preds[next.uid] = prev.uid
	lg.succs[prev.uid] = next.uid
}

// unlink forgets a record that is removed from the ledger.
func (lg *Ledger) unlink(r *Record) {
	h := lg.subjectHash(r)
	if lg.bySubject[h] == r {
		delete(lg.bySubject, h)
	}
	if next, ok := lg.succs[r.uid]; ok {
		delete(lg.preds, next)
		delete(lg.succs, r.uid)
	}
	if prev, ok := lg.preds[r.uid]; ok {
		delete(lg.succs, prev)
		delete(lg.preds, r.uid)
	}
	delete(lg.guards, r.uid)
}

// Predecessor returns the previous incarnation of a cluster: the record of
// an older object with the same subject id (deleted, then created again
// under the same name), while the ledger still holds it. Delivery sends the
// predecessor's last events to a sink before any of the successor's.
func (lg *Ledger) Predecessor(uid types.UID) (types.UID, bool) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	prev, ok := lg.preds[uid]
	return prev, ok
}

// Successor returns the next incarnation of a cluster, if any: the record
// that waits for this one's events to be delivered.
func (lg *Ledger) Successor(uid types.UID) (types.UID, bool) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	next, ok := lg.succs[uid]
	return next, ok
}

// refresh copies the reportable parts of an observation into the record and
// says whether any of them changed.
func (lg *Ledger) refresh(r *Record, p *catalog.Profile, obs normalize.Observation) bool {
	facts := obs.Facts
	ready, synced := obs.Ready.String(), obs.Synced.String()
	wasReady, wasSynced := r.conds()
	changed := r.facts != facts || wasReady != ready || wasSynced != synced ||
		r.provider() != p.Provider() || r.version() != obs.APIVersion || !equalLabels(r.labels(), obs.Labels)
	if !changed {
		return false
	}
	if facts.ExternalName == r.objName {
		// Most objects are named as their external resource: the name
		// is held once.
		facts.ExternalName = r.objName
	}
	facts.CloudState = lg.in(facts.CloudState)
	facts.Region = lg.in(facts.Region)
	facts.KubernetesVersion = lg.in(facts.KubernetesVersion)
	r.facts = facts
	r.setConditions(ready, synced)
	r.kind = kindOf(r.gk(), obs.APIVersion, p.Provider())
	lg.setLabels(r, obs.Labels)
	return true
}

// labelSet is one interned set of labels. Records hold it, so that it lives
// exactly as long as some record uses it.
type labelSet struct {
	m map[string]string
}

// setLabels gives a record its labels, shared with every record that has
// the same labels: fleets carry a handful of label sets over thousands of
// clusters. The shared maps are never modified.
func (lg *Ledger) setLabels(r *Record, m map[string]string) {
	s := lg.internLabels(m)
	r.labelSet = s
}

// internLabels returns the shared set of labels equal to m, nil for none.
func (lg *Ledger) internLabels(m map[string]string) *labelSet {
	if len(m) == 0 {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(m[k])
		b.WriteByte(0)
	}
	key := b.String()

	lg.setsMu.Lock()
	defer lg.setsMu.Unlock()
	if wp, ok := lg.labelSets[key]; ok {
		if s := wp.Value(); s != nil {
			return s
		}
	}
	own := make(map[string]string, len(m))
	for k, v := range m {
		own[lg.in(k)] = lg.in(v)
	}
	s := &labelSet{m: own}
	wp := weak.Make(s)
	lg.labelSets[key] = wp
	runtime.AddCleanup(s, lg.dropLabelSet, labelSetKey{key: key, wp: wp})
	return s
}

// labelSetKey names an entry of labelSets for its cleanup.
type labelSetKey struct {
	key string
	wp  weak.Pointer[labelSet]
}

// dropLabelSet removes the entry of a collected label set, unless the
// labels were interned again since.
func (lg *Ledger) dropLabelSet(k labelSetKey) {
	lg.setsMu.Lock()
	defer lg.setsMu.Unlock()
	if lg.labelSets[k.key] == k.wp {
		delete(lg.labelSets, k.key)
	}
}

func equalLabels(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// add queues detected transitions for the ledger writer, and wakes delivery
// to send them now: they carry their final seqs, ids and times.
func (lg *Ledger) add(r *Record, ts []normalize.Transition) {
	if len(ts) == 0 {
		return
	}
	ready, synced := r.conds()
	for _, t := range ts {
		r.unrecorded = append(r.unrecorded, pending{Transition: t, ready: ready, synced: synced})
	}
	if over := len(r.unrecorded) - maxUnrecorded; over > 0 {
		// Keep the newest transitions: the state they lead to is what
		// the ledger must end up in. What is lost is counted, in the
		// ledger and in a metric, and said.
		lost := make([]string, 0, over)
		for _, t := range r.unrecorded[:over] {
			lost = append(lost, string(t.Lifecycle)+"@"+t.Time.UTC().Format(time.RFC3339))
		}
		r.dropped += uint32(over) //nolint:gosec // over is at most len(ts), a handful.
		lg.metrics.dropped(over)
		lg.log.Info("Dropped lifecycle transitions that were never recorded: ledger writes for this cluster fell too far behind; they will never be sent",
			"ledger", r.ledgerName(), "dropped", over, "transitions", lost, "droppedTotal", r.dropped, "limit", maxUnrecorded)
		r.unrecorded = append([]pending(nil), r.unrecorded[over:]...)
		// The transitions kept move down to the seqs of those dropped;
		// progress past what is written counts no more.
		r.rewind()
	}
	if lg.early {
		lg.woken = append(lg.woken, r.uid)
	}
}

// Gone records that a watched object no longer exists. late says it vanished
// while the provider was not watching.
func (lg *Ledger) Gone(uid types.UID, late bool) {
	lg.mu.Lock()
	defer lg.wakeAndUnlock()
	r, ok := lg.records[uid]
	if !ok || r.gone {
		return
	}
	lg.gone(r, late)
}

func (lg *Ledger) gone(r *Record, late bool) {
	next, ts := normalize.Gone(r.detected.state(), r.latestTime(), normalize.Context{Late: late})
	r.detected = lg.packState(next)
	r.gone = true
	lg.add(r, ts)
	r.dirty = true
	lg.scheduleWrite(r)
}

// Resync compares the records of one kind with the objects that exist:
// records of that kind whose uid is not live were deleted while nobody was
// watching. Discovery calls it after every full list of a kind.
func (lg *Ledger) Resync(gk schema.GroupKind, live map[types.UID]bool) {
	lg.mu.Lock()
	defer lg.wakeAndUnlock()
	for uid, r := range lg.records {
		if r.gk() == gk && !r.gone && !live[uid] {
			lg.log.Debug("Cluster vanished while it was not watched", "ledger", r.ledgerName())
			lg.gone(r, true)
		}
	}
}

// KindGone records every cluster of a kind whose CRD was deleted as gone:
// deleting a CRD deletes all its objects.
func (lg *Ledger) KindGone(gk schema.GroupKind) {
	lg.Resync(gk, nil)
}

// Kinds lists the kinds of the clusters that are not recorded gone.
func (lg *Ledger) Kinds() []schema.GroupKind {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	seen := map[schema.GroupKind]bool{}
	var out []schema.GroupKind
	for _, r := range lg.records {
		if !r.gone && !seen[r.gk()] {
			seen[r.gk()] = true
			out = append(out, r.gk())
		}
	}
	return out
}

// Queued says how many records wait for a ledger write.
func (lg *Ledger) Queued() int { return lg.queue.Len() }

// Run runs the ledger writers and the periodic cursor flush and cleanup
// until ctx is done. Load must have returned first.
func (lg *Ledger) Run(ctx context.Context, flushEvery time.Duration) error {
	lg.mu.Lock()
	// Leaving progress to the next persisted watermark saves writes only
	// if one is persisted before the next flush would write it.
	lg.deferToWatermark = flushEvery >= WatermarkPersistedEvery
	lg.mu.Unlock()
	var wg sync.WaitGroup
	for range lg.writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for lg.writeNext(ctx) {
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(flushEvery)
		defer t.Stop()
		sweep := time.NewTicker(time.Minute)
		defer sweep.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				lg.Flush(ctx)
			case <-sweep.C:
				lg.Sweep(ctx)
			}
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for lg.elapseNext() {
		}
	}()
	<-ctx.Done()
	lg.timers.ShutDown()
	lg.queue.ShutDownWithDrain()
	wg.Wait()
	// On the way out, write what still waited for its sinks or its
	// window, then delivery progress, so that a clean restart neither
	// detects those transitions again nor re-sends anything.
	final, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	lg.writeDirty(final)  //nolint:contextcheck // ctx is done; the last writes need their own deadline.
	lg.flush(final, true) //nolint:contextcheck // Likewise.
	return nil
}

// writeDirty writes every record that needs a write, a few at a time.
func (lg *Ledger) writeDirty(ctx context.Context) {
	lg.mu.Lock()
	var uids []types.UID
	for uid, r := range lg.records {
		if r.dirty {
			uids = append(uids, uid)
		}
	}
	lg.mu.Unlock()
	ch := make(chan types.UID)
	var wg sync.WaitGroup
	for range flushWriters {
		wg.Go(func() {
			for uid := range ch {
				if err := lg.write(ctx, uid); err != nil {
					lg.log.Info("Cannot record cluster lifecycle before stopping; it is detected again at the next start", "uid", uid, "error", err)
				}
			}
		})
	}
	for _, uid := range uids {
		select {
		case ch <- uid:
		case <-ctx.Done():
		}
	}
	close(ch)
	wg.Wait()
}

// Loaded says whether the existing ledgers have been read.
func (lg *Ledger) Loaded() bool {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	return lg.loaded
}

// known says whether delivery may see a record: once it has a ledger, or,
// when transitions are sent before they are written, once it has any.
func (lg *Ledger) known(r *Record) bool {
	return r.hasLedger() || (lg.early && r.exposed() > 0)
}

// view is what delivery sees of a record: its events on their way to the
// ledger too, when they are sent before they are written.
func (lg *Ledger) view(r *Record) View {
	return lg.seen(r, r.view(lg.controlPlane))
}

// seen completes a record's view with what the ledger knows beyond the
// record: when a ledger not created yet counts as created, and which of
// its events delivery may see.
func (lg *Ledger) seen(r *Record, v View) View {
	if !r.hasLedger() {
		// Its events are new: the ledger that will hold them is
		// created now, as far as any sink can tell.
		v.CreatedAt = lg.now()
	}
	if lg.early {
		v.LastSeq = v.RecordedSeq + int64(r.exposed())
	} else {
		v.LastSeq = v.RecordedSeq
	}
	return v
}

// View returns what routing and event building need of a record.
func (lg *Ledger) View(uid types.UID) (View, bool) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	r, ok := lg.records[uid]
	if !ok || !lg.known(r) {
		return View{}, false
	}
	return lg.view(r), true
}

// Routing is what a walk over the fleet needs of one record: its view
// without the names (LedgerName, Ref.APIVersion and Env are empty; View
// has them), which a walk has no use for and would build for every record
// at every status refresh and metrics scrape, and one sink's progress on
// it.
type Routing struct {
	View
	// Cursor is the sink's progress on the record; HasCursor says
	// whether it has any.
	Cursor    Cursor
	HasCursor bool
}

// Routings returns every record that has a ledger or events on their way
// to one, with the progress of sink on it (none for ""), under one hold
// of the lock and with one allocation.
func (lg *Ledger) Routings(sink string) []Routing {
	key := routingKey(sink)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	out := make([]Routing, 0, len(lg.records))
	for _, r := range lg.records {
		if lg.known(r) {
			out = append(out, lg.routing(r, key))
		}
	}
	return out
}

// Routing is Routings for one record: what routing needs of it on each
// event, where View would build its names for nothing.
func (lg *Ledger) Routing(uid types.UID, sink string) (Routing, bool) {
	key := routingKey(sink)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	r, ok := lg.records[uid]
	if !ok || !lg.known(r) {
		return Routing{}, false
	}
	return lg.routing(r, key), true
}

// routingKey is the key of a Routing's sink: none for no sink.
func routingKey(sink string) string {
	if sink == "" {
		return ""
	}
	return SinkKey(sink)
}

// routing is a record's Routing for the sink whose key is key (none for
// ""). lg.mu must be held.
func (lg *Ledger) routing(r *Record, key string) Routing {
	rt := Routing{View: lg.seen(r, r.routingView())}
	if key != "" {
		if c, ok := r.cursor(key); ok {
			rt.Cursor, rt.HasCursor = Cursor{Delivered: c.delivered, Endpoint: c.endpoint}, true
		}
	}
	return rt
}
