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

package dispatch

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/filter"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
	"github.com/crossplane-contrib/provider-cdevents/internal/replay"
)

// Equal says whether two settings reach and shape a sink the same way.
// Compiled expressions are compared by their source.
func (s Settings) Equal(o Settings) bool {
	if !s.Routes.Equal(o.Routes) {
		return false
	}
	s.Routes, o.Routes = Routes{}, Routes{}
	s.Cascades, o.Cascades = nil, nil
	return reflect.DeepEqual(s, o)
}

// plan is a replay owed to a sink for one cluster: the seqs to send, with
// their events when they were read in bulk, then the cursor to jump to.
type plan struct {
	seqs   []int64
	events map[int64]v1alpha1.LedgerEvent
	// previous is, by seq, the lifecycle of the event before each one
	// replayed, when the events the plan was given hold it: a selector
	// that reads previousLifecycle then costs the replay no ledger read.
	previous map[int64]v1alpha1.Lifecycle
	end      int64
	// backlog says the plan is not a replay but events the sink fell
	// behind on, read back at once: they are not sent marked replayed.
	backlog bool
}

// sink is one sink's delivery: its outbox, the replays it is owed, and its
// figures. It is the outbox's Source and Observer.
type sink struct {
	d        *Dispatcher
	settings Settings
	sender   *deliver.Sender
	dlq      *deliver.Sender
	outbox   *deliver.Outbox
	cancel   context.CancelFunc
	done     chan struct{}

	mu    sync.Mutex
	plans map[types.UID]*plan
	stats Stats
	// cascades are the sink's cascades, by id.
	cascades map[string]*cascadeState
}

func newSink(d *Dispatcher, st Settings, sender, dlq *deliver.Sender) *sink {
	s := &sink{d: d, settings: st, sender: sender, dlq: dlq, plans: map[types.UID]*plan{}, cascades: map[string]*cascadeState{}}
	opts := []deliver.OutboxOption{
		deliver.WithWorkers(d.workers),
		deliver.WithRetryPolicy(st.Retry),
		deliver.WithObserver(s),
		deliver.WithName(st.ID),
		deliver.WithLogger(d.log),
	}
	if dlq != nil {
		opts = append(opts, deliver.WithDeadLetter(dlq))
	}
	if d.metrics != nil {
		opts = append(opts, deliver.WithMetrics(d.metrics))
	}
	s.outbox = deliver.NewOutbox(sender, s, opts...)
	return s
}

func (s *sink) start(ctx context.Context) {
	ctx, s.cancel = context.WithCancel(ctx)
	s.done = make(chan struct{})
	go func() {
		defer close(s.done)
		_ = s.outbox.Start(ctx)
	}()
}

func (s *sink) stop() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	s.sender.Close()
	if s.dlq != nil {
		s.dlq.Close()
	}
}

// inherit carries figures and owed replays over from the sink this one
// replaces, so a settings change neither resets status counters nor
// forgets replays in progress.
func (s *sink) inherit(old *sink) {
	old.mu.Lock()
	stats := old.stats
	plans := old.plans
	cascades := make(map[string]*cascadeState, len(old.cascades))
	for id, st := range old.cascades {
		// A new URL has received nothing of the cascades still open:
		// they are sent to it again, with the same ids.
		if s.settings.Endpoint == old.settings.Endpoint || st.record.Sent == v1alpha1.CascadeResolved {
			cascades[id] = &cascadeState{episode: st.episode, record: *st.record.DeepCopy()}
		}
	}
	old.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = stats
	for id, st := range cascades {
		if _, ok := s.cascades[id]; !ok {
			s.cascades[id] = st
		}
	}
	if s.settings.Endpoint == old.settings.Endpoint && s.settings.Since.Equal(old.settings.Since) {
		for uid, p := range plans {
			if _, ok := s.plans[uid]; !ok {
				s.plans[uid] = p
			}
		}
	}
}

func (s *sink) notify(uid types.UID) { s.outbox.Notify(string(uid)) }

func (s *sink) snapshot() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Clusters, st.Pending = 0, 0
	if s.settings.Cascade != nil || len(s.cascades) > 0 {
		st.Cascades = s.cascadeRecordsLocked()
	}
	return st
}

// owesReplay says whether a cluster the sink has no progress on gets the
// replay policy (it was recorded before the sink's endpoint was first seen)
// rather than every event.
func (s *sink) owesReplay(v ledger.View) bool {
	return v.CreatedAt.Before(s.settings.Since)
}

// prepareReplay reads the ledgers in bulk, page by page, and plans the
// replay of every cluster the sink is owed one for, so a new sink of a large
// fleet does not cost one API read per cluster.
func (s *sink) prepareReplay(ctx context.Context) error {
	if s.settings.Replay == v1alpha1.ReplayNone {
		return nil
	}
	needed := 0
	for _, rt := range s.d.ledger.Routings(s.settings.ID) {
		if _, progressed := s.counted(rt); !progressed && s.settings.Routes.Matches(rt.View) && s.owesReplay(rt.View) {
			needed++
		}
	}
	if needed == 0 {
		return nil
	}
	return s.d.ledger.EachLedger(ctx, func(oc *v1alpha1.ObservedCluster) {
		uid := oc.Status.ResourceRef.UID
		v, ok := s.d.ledger.View(uid)
		if !ok || !s.settings.Routes.Matches(v) || !s.owesReplay(v) {
			return
		}
		if _, ok := s.progress(uid); ok {
			return
		}
		p := s.plan(uid, oc.Status.History(), oc.Status.Phase, oc.Status.LastSeq)
		s.mu.Lock()
		if _, exists := s.plans[uid]; !exists {
			s.plans[uid] = p
		}
		s.mu.Unlock()
	})
}

// progress is the sink's cursor on a cluster, if it counts for the sink's
// current endpoint.
func (s *sink) progress(uid types.UID) (ledger.Cursor, bool) {
	c, ok := s.d.ledger.Cursor(uid, s.settings.ID)
	if !ok || c.Endpoint != s.settings.Endpoint {
		return ledger.Cursor{}, false
	}
	return c, true
}

// counted is progress as a Routing of the sink carries it.
func (s *sink) counted(rt ledger.Routing) (ledger.Cursor, bool) {
	if !rt.HasCursor || rt.Cursor.Endpoint != s.settings.Endpoint {
		return ledger.Cursor{}, false
	}
	return rt.Cursor, true
}

// carried is where the sink stood on a cluster under its previous URL, if
// it had progress there: the events after it were never accepted anywhere,
// so the new URL gets them whatever the replay policy, which covers only
// what the previous URL already had.
func (s *sink) carried(uid types.UID) (int64, bool) {
	c, ok := s.d.ledger.Cursor(uid, s.settings.ID)
	if !ok || c.Endpoint == s.settings.Endpoint {
		return 0, false
	}
	return c.Delivered, true
}

// plan is the replay of one cluster, given every event its ledger holds:
// what brings the sink to the cluster's state, then every later event.
// After a URL change it covers only the events the previous URL accepted,
// and the ones it had not follow. The plan keeps the bodies of the events
// it replays, which it was given: the oldest may be pinned events, which
// the ledger does not keep in memory.
func (s *sink) plan(uid types.UID, events []v1alpha1.LedgerEvent, phase v1alpha1.Phase, last int64) *plan {
	p := &plan{end: last}
	if carry, ok := s.carried(uid); ok {
		var had []v1alpha1.LedgerEvent
		for _, e := range events {
			if e.Seq <= carry {
				had = append(had, e)
			}
		}
		events, phase, p.end = had, replay.PhaseAfter(had), carry
	}
	p.keep(events, ReplayPlan(s.settings.Replay, events, phase))
	return p
}

// keep makes seqs, ascending, the plan's events, with the bodies events
// holds of them and the lifecycle of the event before each, when events
// holds that one too.
func (p *plan) keep(events []v1alpha1.LedgerEvent, seqs []int64) {
	p.seqs = seqs
	p.events = make(map[int64]v1alpha1.LedgerEvent, len(seqs))
	p.previous = make(map[int64]v1alpha1.Lifecycle, len(seqs))
	for i, e := range events {
		if _, ok := slices.BinarySearch(seqs, e.Seq); ok {
			p.events[e.Seq] = e
			if i > 0 && events[i-1].Seq == e.Seq-1 {
				p.previous[e.Seq] = events[i-1].Lifecycle
			}
		}
	}
}

// begin decides where a sink starts on a cluster it has no progress on. A
// replay, Current or All, reads the ledger once and follows a plan, so that
// its events are sent marked replayed however the cluster's history is
// held (pinned events, a log in memory or not), with one read per cluster
// rather than one per event.
func (s *sink) begin(ctx context.Context, v ledger.View) (int64, error) {
	if !s.owesReplay(v) {
		return 0, nil
	}
	if s.settings.Replay == v1alpha1.ReplayNone {
		if carry, ok := s.carried(v.UID); ok {
			return carry, nil
		}
		// What is recorded is existing history; what is on its way
		// to the ledger is new, and sent.
		return v.RecordedSeq, nil
	}
	s.mu.Lock()
	_, planned := s.plans[v.UID]
	s.mu.Unlock()
	if !planned {
		events, err := s.d.ledger.Log(ctx, v.LedgerName)
		if err != nil {
			return 0, errors.Wrap(err, errReadLedger)
		}
		p := s.plan(v.UID, events, v.Phase, v.RecordedSeq)
		s.mu.Lock()
		s.plans[v.UID] = p
		s.mu.Unlock()
	}
	return 0, nil
}

// Next returns the oldest event of a cluster the sink has not accepted. It
// implements deliver.Source. A cluster deleted and created again under the
// same name is two records with one subject id: the new one waits until the
// sink has every event of the old one, its deleted event last, so the sink
// never sees the new created before the old deleted. When a record has
// nothing left to send, the incarnation waiting for it is woken.
func (s *sink) Next(ctx context.Context, key string) (deliver.Pending, bool, error) {
	if isCascadeKey(key) {
		return s.nextCascade(key)
	}
	p, ok, err := s.next(ctx, key)
	if err == nil && !ok {
		if next, waits := s.d.ledger.Successor(types.UID(key)); waits && s.finished(types.UID(key)) {
			s.notify(next)
		}
	}
	return p, ok, err
}

// finished says whether the sink has everything it will ever get of a
// record: it is recorded deleted, and the sink does not receive it or has
// received all of it.
func (s *sink) finished(uid types.UID) bool {
	rt, ok := s.d.ledger.Routing(uid, s.settings.ID)
	if !ok || !rt.Deleted {
		return false
	}
	if !s.settings.Routes.Matches(rt.View) {
		return true
	}
	c, ok := s.counted(rt)
	return ok && c.Delivered >= rt.LastSeq
}

// waitsForPredecessor says whether a record must wait for the previous
// incarnation of its cluster: while that one is not recorded deleted yet, or
// the sink has not received all of it. It wakes the predecessor when that
// one has something to send.
func (s *sink) waitsForPredecessor(uid types.UID) bool {
	prev, ok := s.d.ledger.Predecessor(uid)
	if !ok {
		return false
	}
	pv, ok := s.d.ledger.Routing(prev, s.settings.ID)
	if !ok {
		// Not written yet: its events, deleted included, are coming.
		return true
	}
	if !s.settings.Routes.Matches(pv.View) {
		return false
	}
	c, ok := s.counted(pv)
	switch {
	case !ok || c.Delivered < pv.LastSeq:
		// It has events to send; once it has sent its last it wakes
		// this record.
		s.notify(prev)
		return true
	case !pv.Deleted:
		// Its deleted event is not recorded yet; recording it wakes
		// it, and it wakes this record when done.
		return true
	}
	return false
}

func (s *sink) next(ctx context.Context, key string) (deliver.Pending, bool, error) {
	uid := types.UID(key)
	v, ok := s.d.ledger.View(uid)
	if !ok || !s.settings.Routes.Matches(v) {
		return deliver.Pending{}, false, nil
	}
	if s.waitsForPredecessor(uid) {
		return deliver.Pending{}, false, nil
	}
	c, ok := s.progress(uid)
	if !ok {
		s.mu.Lock()
		if p := s.plans[uid]; p != nil && p.backlog {
			// A backlog belongs to progress the sink no longer has.
			delete(s.plans, uid)
		}
		s.mu.Unlock()
		start, err := s.begin(ctx, v)
		if err != nil {
			return deliver.Pending{}, false, err
		}
		c = ledger.Cursor{Delivered: start, Endpoint: s.settings.Endpoint}
		s.d.ledger.SetCursor(uid, s.settings.ID, c)
	}

	for {
		p, err := s.planFor(ctx, v, c)
		if err != nil {
			return deliver.Pending{}, false, err
		}
		if p == nil {
			break
		}
		pending, ok, err := s.follow(ctx, v, p, &c)
		if err != nil || ok {
			return pending, ok, err
		}
	}

	for seq := c.Delivered + 1; seq <= v.LastSeq; seq++ {
		e, ok, err := s.d.ledger.Event(ctx, uid, seq)
		if err != nil {
			return deliver.Pending{}, false, err
		}
		if !ok {
			if seq < v.FirstSeq {
				// Pruned from a full log before this sink got it.
				s.d.log.Info("Events were pruned from a full ledger before a sink received them", "sink", s.settings.ID, "ledger", v.LedgerName, "from", seq, "to", v.FirstSeq-1)
				seq = v.FirstSeq - 1
				continue
			}
			return deliver.Pending{}, false, nil
		}
		accepted, err := s.accepts(ctx, v, e, nil)
		if err != nil {
			return deliver.Pending{}, false, err
		}
		if !accepted {
			s.d.ledger.SetCursor(uid, s.settings.ID, ledger.Cursor{Delivered: seq, Endpoint: s.settings.Endpoint, ID: e.ID})
			continue
		}
		return s.pending(v, e, false)
	}
	return deliver.Pending{}, false, nil
}

// planFor returns the plan the sink follows next on a cluster: the replay it
// is owed, or, for a sink whose next events the record no longer holds in
// memory (it fell behind on a cluster that changed often while the sink
// was down), a backlog of them read from the ledger at once, as many as
// memory holds of a record's events, rather than one read of the whole
// ledger per event. nil when the sink sends from memory.
func (s *sink) planFor(ctx context.Context, v ledger.View, c ledger.Cursor) (*plan, error) {
	s.mu.Lock()
	p := s.plans[v.UID]
	if p != nil && p.backlog && p.end > v.RecordedSeq {
		// The ledger holds fewer events than when the backlog was
		// read: it was deleted and begun again, and its seqs name
		// other events now.
		delete(s.plans, v.UID)
		p = nil
	}
	s.mu.Unlock()
	from := c.Delivered + 1
	if p != nil || from < v.FirstSeq || from > v.RecordedSeq || s.d.ledger.Holds(v.UID, from) {
		return p, nil
	}
	events, err := s.d.ledger.Events(ctx, v.UID, from-1, min(v.RecordedSeq, from+ledger.DefaultCachedEvents-1))
	if err != nil {
		return nil, errors.Wrap(err, errReadLedger)
	}
	var seqs []int64
	for _, e := range events {
		if e.Seq >= from {
			seqs = append(seqs, e.Seq)
		}
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	p = &plan{end: seqs[len(seqs)-1], backlog: true}
	p.keep(events, seqs)
	s.mu.Lock()
	s.plans[v.UID] = p
	s.mu.Unlock()
	return p, nil
}

// follow sends the next event of a plan the sink has not accepted, and
// drops the plan once none is left, moving the sink's cursor c to its end.
func (s *sink) follow(ctx context.Context, v ledger.View, p *plan, c *ledger.Cursor) (deliver.Pending, bool, error) {
	for _, seq := range p.seqs {
		if seq <= c.Delivered {
			continue
		}
		e, ok := p.events[seq]
		if !ok {
			var err error
			if e, ok, err = s.d.ledger.Event(ctx, v.UID, seq); err != nil {
				return deliver.Pending{}, false, err
			}
		}
		if !ok {
			continue
		}
		accepted, err := s.accepts(ctx, v, e, p.previous)
		if err != nil {
			return deliver.Pending{}, false, err
		}
		if !accepted {
			continue
		}
		return s.pending(v, e, !p.backlog)
	}
	s.mu.Lock()
	delete(s.plans, v.UID)
	if len(s.plans) == 0 {
		// Go maps never shrink: drop the buckets of a finished replay.
		s.plans = map[types.UID]*plan{}
	}
	s.mu.Unlock()
	if p.end > c.Delivered {
		c.Delivered = p.end
		s.d.ledger.SetCursor(v.UID, s.settings.ID, *c)
	}
	return deliver.Pending{}, false, nil
}

// accepts says whether the sink receives event e of cluster v under its
// selector. An expression that fails to evaluate does not accept: the
// failure is counted in the sink's figures and logged, and the event is not
// sent. The error is only for a ledger read the expression needed (the
// previous event's lifecycle, unless previous has it by seq), which is
// retried.
func (s *sink) accepts(ctx context.Context, v ledger.View, e v1alpha1.LedgerEvent, previous map[int64]v1alpha1.Lifecycle) (bool, error) {
	var prev v1alpha1.Lifecycle
	if x := s.settings.Routes.Expression; x != nil && x.Uses(filter.VarPreviousLifecycle) && e.Seq > 1 && s.settings.Routes.Wants(e.Lifecycle) {
		l, ok := previous[e.Seq]
		if !ok {
			var err error
			if l, _, err = s.d.ledger.PreviousLifecycle(ctx, v.UID, e.Seq); err != nil {
				return false, errors.Wrap(err, errReadLedger)
			}
		}
		prev = l
	}
	ok, err := s.settings.Routes.Accepts(v, e, prev)
	if err != nil {
		s.mu.Lock()
		s.stats.SelectorErrors++
		s.mu.Unlock()
		s.d.log.Debug("The selector's expression failed on an event; not sending it", "sink", s.settings.ID, "ledger", v.LedgerName, "seq", e.Seq, "error", err)
		return false, nil
	}
	return ok, nil
}

func (s *sink) pending(v ledger.View, e v1alpha1.LedgerEvent, replay bool) (deliver.Pending, bool, error) {
	if replay {
		e.Replayed = true
	}
	o := s.settings.Events
	if e.IncidentStart != nil {
		o.IncidentStart = e.IncidentStart.Time
	}
	evs, err := s.d.events(v, e, o)
	if err != nil {
		// An event that cannot be built would block the cluster forever;
		// this is a bug, reported loudly, counted as given up, and
		// skipped.
		s.d.log.Info("Cannot build a CDEvent; giving it up", "sink", s.settings.ID, "ledger", v.LedgerName, "seq", e.Seq, "id", e.ID, "error", err)
		s.d.metrics.Dropped(s.settings.ID, deliver.DropUnbuildable)
		s.mu.Lock()
		s.stats.Dropped++
		s.stats.LastDrop = fmt.Sprintf("gave up on %s event %s (%s): %s", e.Lifecycle, e.ID, deliver.DropUnbuildable, err)
		s.mu.Unlock()
		s.d.ledger.SetCursor(v.UID, s.settings.ID, ledger.Cursor{Delivered: e.Seq, Endpoint: s.settings.Endpoint, ID: e.ID})
		return deliver.Pending{}, false, err
	}
	return deliver.Pending{Seq: e.Seq, ID: e.ID, Events: evs}, true, nil
}

// Done records that a transition left the outbox, delivered, dead-lettered
// or given up: the sink's cursor moves past it. It implements
// deliver.Source. The figures are counted per event, by the observer
// methods.
func (s *sink) Done(key string, p deliver.Pending, _ deliver.Outcome) {
	if isCascadeKey(key) {
		s.cascadeDone(key, p.Seq)
		return
	}
	s.d.ledger.SetCursor(types.UID(key), s.settings.ID, ledger.Cursor{Delivered: p.Seq, Endpoint: s.settings.Endpoint, ID: p.ID})
}

// Attempted records the result of one delivery attempt. It implements
// deliver.Observer.
func (s *sink) Attempted(_ string, p deliver.Pending, r deliver.Result, _ int, _ time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Attempted = true
	s.stats.Reachable = r.Reachable
	s.stats.Failing = !r.Delivered()
	s.stats.NotAllowed = r.NotAllowed
	if r.Delivered() {
		s.stats.Delivered++
		if len(p.Events) > 0 {
			e := p.Events[0]
			s.stats.LastDelivery = &v1alpha1.DeliveryRecord{Time: metav1.Now(), Type: e.Type(), Subject: e.Subject()}
		}
		return
	}
	s.stats.LastError = &v1alpha1.ErrorRecord{Time: metav1.Now(), Message: r.Error()}
	if len(p.Events) > 0 {
		s.stats.LastError.Subject = p.Events[0].Subject()
	}
}

// DeadLetterAttempted counts the events the dead-letter sink accepted. It
// implements deliver.DeadLetterObserver.
func (s *sink) DeadLetterAttempted(_ string, _ deliver.Pending, r deliver.Result, _ int, _ time.Duration) {
	if !r.Delivered() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.DeadLettered++
}

// Dropped counts an event given up, for the config's status and events. It
// implements deliver.DropObserver.
func (s *sink) Dropped(_ string, _ deliver.Pending, e cloudevents.Event, reason string, last deliver.Result) {
	msg := fmt.Sprintf("gave up on %s %s (%s): %s", e.Type(), e.ID(), reason, last.Error())
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Dropped++
	s.stats.LastDrop = msg
	s.stats.LastError = &v1alpha1.ErrorRecord{Time: metav1.Now(), Message: msg, Subject: e.Subject()}
}
