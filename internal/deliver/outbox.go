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

// Package deliver sends CloudEvents to HTTP sinks reliably: at least once,
// in order per cluster, concurrently across clusters, without ever blocking
// the code that records events and with memory bounded by the number of
// clusters rather than the number of events. Events themselves stay in the
// ledger; an Outbox only remembers which clusters have something to send
// and how their retries are going, so a sink that is down for hours costs
// nothing but a timer per cluster.
package deliver

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"k8s.io/client-go/util/workqueue"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
)

// Defaults of an Outbox.
const (
	// DefaultWorkers is how many clusters an outbox delivers at once.
	DefaultWorkers = 16
	// DefaultDrainTimeout is how long a stopping outbox waits for the
	// attempts in flight.
	DefaultDrainTimeout = 10 * time.Second
)

const errAlreadyStarted = "cannot start an outbox twice"

// Pending is the oldest transition of a cluster a sink has not accepted:
// its environment event and, when incidents are on, its incident event.
// They are sent in order, and the transition is done only when all are
// accepted.
type Pending struct {
	// Seq is the transition's sequence number in the cluster's ledger.
	Seq int64
	// ID is the transition's id in the ledger, so that its progress is
	// recorded against the event that was delivered.
	ID string
	// Events are sent one after the other, in this order.
	Events []cloudevents.Event
}

// Outcome is how a transition left the outbox.
type Outcome int

// Outcomes of a transition.
const (
	// OutcomeDelivered means the sink accepted every event.
	OutcomeDelivered Outcome = iota
	// OutcomeDeadLettered means at least one event was handed to the
	// dead-letter sink instead.
	OutcomeDeadLettered
	// OutcomeDropped means at least one event was given up: the sink
	// refused it and there is no dead-letter sink, or the dead-letter
	// sink refused it too. The cluster's later events go on.
	OutcomeDropped
)

// String names an outcome for logs.
func (o Outcome) String() string {
	switch o {
	case OutcomeDeadLettered:
		return "DeadLettered"
	case OutcomeDropped:
		return "Dropped"
	case OutcomeDelivered:
	}
	return "Delivered"
}

// Reasons an event is given up, the reason label of
// cdevents_events_dropped_total.
const (
	// DropRejected: the sink refused the event on every attempt and there
	// is no dead-letter sink.
	DropRejected = "rejected"
	// DropDeadLetterFailed: the sink refused the event, and the
	// dead-letter sink refused it too or kept failing.
	DropDeadLetterFailed = "dead_letter_failed"
	// DropUnbuildable: the event could not be built from the ledger; a
	// bug, reported rather than left to block the cluster.
	DropUnbuildable = "unbuildable"
)

// Source is the ledger side of an outbox: it holds the events, and the
// progress of the sink through them, durably.
type Source interface {
	// Next returns the oldest transition of key the sink has not accepted
	// yet; ok is false when the key is up to date. An error is retried
	// with backoff.
	Next(ctx context.Context, key string) (p Pending, ok bool, err error)

	// Done records that p left the outbox with outcome o. The next Next for
	// key must not return p again unless that record was lost.
	Done(key string, p Pending, o Outcome)
}

// Sink receives one event per attempt. *Sender is the HTTP sink; the
// interface exists so the outbox can be tested, and reused, without HTTP.
type Sink interface {
	Send(ctx context.Context, e cloudevents.Event) Result
}

// Observer is told about every attempt on the sink, so the caller can keep
// status counters (reachable, last error) up to date. It is called from the
// outbox's workers and must not block.
type Observer interface {
	// Attempted reports the attempt-th consecutive attempt (from 1) to
	// send one event of p for key, its result and how long it took.
	Attempted(key string, p Pending, r Result, attempt int, latency time.Duration)
}

// DeadLetterObserver is told about every attempt on the dead-letter sink.
// An Observer may implement it too; they are kept apart because the
// dead-letter sink being down says nothing about the sink itself.
type DeadLetterObserver interface {
	// DeadLetterAttempted is Attempted for the dead-letter sink.
	DeadLetterAttempted(key string, p Pending, r Result, attempt int, latency time.Duration)
}

// DropObserver is told about every event an outbox gives up on, so that it
// can be counted and reported where users look. An Observer may implement
// it.
type DropObserver interface {
	// Dropped reports that event e of p for key was given up for reason
	// (DropRejected or DropDeadLetterFailed) after last failed.
	Dropped(key string, p Pending, e cloudevents.Event, reason string, last Result)
}

// nopObserver is the observer of an outbox nobody watches.
type nopObserver struct{}

// Attempted ignores the attempt.
func (nopObserver) Attempted(string, Pending, Result, int, time.Duration) {}

// OutboxOption tunes an Outbox.
type OutboxOption func(*Outbox)

// WithName names the sink in metrics (the sink label) and logs.
func WithName(name string) OutboxOption {
	return func(o *Outbox) { o.name = name }
}

// WithWorkers sets how many clusters are delivered at once.
func WithWorkers(n int) OutboxOption {
	return func(o *Outbox) {
		if n > 0 {
			o.workers = n
		}
	}
}

// WithRetryPolicy sets retries and backoff.
func WithRetryPolicy(p RetryPolicy) OutboxOption {
	return func(o *Outbox) { o.policy = p }
}

// WithDeadLetter sets the sink that receives events the sink refused, or
// could not take within the policy's retries. A nil sink, even a typed one,
// means none: refused events are then given up after their retries, and
// events the sink cannot take now wait for it.
func WithDeadLetter(s Sink) OutboxOption {
	return func(o *Outbox) {
		if sn, ok := s.(*Sender); ok && sn == nil {
			s = nil
		}
		o.dlq = s
	}
}

// WithObserver sets who is told about every attempt.
func WithObserver(ob Observer) OutboxOption {
	return func(o *Outbox) {
		if ob != nil {
			o.observer = ob
		}
	}
}

// WithMetrics sets the process's delivery metrics.
func WithMetrics(m *Metrics) OutboxOption {
	return func(o *Outbox) { o.metrics = m }
}

// WithLogger sets the logger.
func WithLogger(l logging.Logger) OutboxOption {
	return func(o *Outbox) { o.log = l }
}

// WithJitter sets the source of backoff jitter, a function returning values
// in [0, 1) that is safe for concurrent use, so tests are deterministic.
func WithJitter(fn func() float64) OutboxOption {
	return func(o *Outbox) {
		if fn != nil {
			o.jitter = fn
		}
	}
}

// WithDrainTimeout sets how long a stopping outbox waits for attempts in
// flight before cancelling them.
func WithDrainTimeout(d time.Duration) OutboxOption {
	return func(o *Outbox) {
		if d > 0 {
			o.drain = d
		}
	}
}

// keyState is what an outbox remembers about one key with work: where it is
// in its current transition and how its retries are going. It exists from
// the first Notify until Next says the key is up to date.
type keyState struct {
	// active is true while seq is being delivered.
	active bool
	seq    int64
	// index is the next event of the transition to send.
	index int
	// deadLetter is true once events[index] is headed for the dead-letter
	// sink.
	deadLetter bool
	// deadLettered is true when an event of the transition went to the
	// dead-letter sink.
	deadLettered bool
	// refused is true when the sink refused events[index] before it was
	// headed for the dead-letter sink; the sink will never take it.
	refused bool
	// dropped is true when an event of the transition was given up.
	dropped bool
	// attempts counts the failed attempts of events[index] on its current
	// target.
	attempts int
	// readFailures counts consecutive Next errors.
	readFailures int
	// notBefore holds a key back while it waits out a backoff, even when
	// it is notified again.
	notBefore time.Time
	// since is when the key began to wait: its oldest event the sink has
	// not accepted is about this old. It is kept until the key is up to
	// date, so a backlog shows its whole age.
	since time.Time
}

// Outbox delivers the events of many keys (clusters) to one sink. Notify
// wakes a key; workers take keys off a deduplicating queue, so one key is
// never handled by two workers at once and its events go out in order,
// while different keys go out in parallel. A key that fails waits out its
// backoff on a timer without holding a worker.
type Outbox struct {
	sink     Sink
	src      Source
	name     string
	workers  int
	policy   RetryPolicy
	dlq      Sink
	observer Observer
	metrics  *Metrics
	log      logging.Logger
	jitter   func() float64
	drain    time.Duration
	now      func() time.Time

	// keys holds the keys to process; Notify feeds it. It runs no
	// goroutine, so an outbox that is never started costs nothing.
	keys *workqueue.Typed[string]
	// queue wraps keys with timers for backoff; Start creates it.
	queue   workqueue.TypedDelayingInterface[string]
	started atomic.Bool
	stopped atomic.Bool

	mu    sync.Mutex
	state map[string]*keyState
}

// NewOutbox returns an outbox that sends the events src holds to sink. Keys
// may be notified before Start; nothing is sent until then. An Outbox runs
// once: Start it, and when its context is done, build a new one.
func NewOutbox(sink Sink, src Source, opts ...OutboxOption) *Outbox {
	o := &Outbox{
		sink:     sink,
		src:      src,
		name:     "default",
		workers:  DefaultWorkers,
		policy:   DefaultRetryPolicy(),
		observer: nopObserver{},
		log:      logging.NewNopLogger(),
		jitter:   rand.Float64,
		drain:    DefaultDrainTimeout,
		now:      time.Now,
		state:    map[string]*keyState{},
	}
	for _, fn := range opts {
		fn(o)
	}
	o.log = o.log.WithValues("sink", o.name)
	// Unnamed, the queue reports no metrics of its own: cdevents_outbox_keys
	// says what matters, per sink.
	o.keys = workqueue.NewTypedWithConfig(workqueue.TypedQueueConfig[string]{})
	return o
}

// Notify says key may have events to send. It never blocks on delivery and
// costs nothing when key is already waiting: the outbox holds each key at
// most once, however often it is notified.
func (o *Outbox) Notify(key string) {
	if o.stopped.Load() {
		return
	}
	o.mu.Lock()
	if _, ok := o.state[key]; !ok {
		o.state[key] = &keyState{since: o.now()}
		o.metrics.waiting(o.name, len(o.state))
	}
	o.mu.Unlock()
	o.keys.Add(key)
}

// Oldest is when the key that has waited longest began to wait: the age of
// the oldest event the sink has not accepted, about. It is the zero time
// when no key waits.
func (o *Outbox) Oldest() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	var oldest time.Time
	for _, st := range o.state {
		if oldest.IsZero() || st.since.Before(oldest) {
			oldest = st.since
		}
	}
	return oldest
}

// Waiting is the number of keys that may have events to send: queued,
// being sent, or waiting out a backoff.
func (o *Outbox) Waiting() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.state)
}

// Start delivers until ctx is done, then stops taking keys, waits up to the
// drain timeout for attempts in flight (cancelling them after that), and
// returns. Keys left waiting keep their events in the Source; the next
// outbox of the sink picks them up when they are notified again.
func (o *Outbox) Start(ctx context.Context) error {
	if !o.started.CompareAndSwap(false, true) {
		return errors.New(errAlreadyStarted)
	}
	o.queue = workqueue.NewTypedDelayingQueueWithConfig(workqueue.TypedDelayingQueueConfig[string]{Queue: o.keys})
	// Attempts outlive ctx by up to the drain timeout, so that a stop does
	// not cut off an event the sink is about to accept.
	sendCtx, cancelSends := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSends()

	var wg sync.WaitGroup
	for range o.workers {
		wg.Go(func() { o.work(ctx, sendCtx) })
	}
	o.log.Debug("Outbox started", "workers", o.workers)

	<-ctx.Done()
	o.stopped.Store(true)
	o.queue.ShutDown()

	drained := make(chan struct{})
	go func() {
		wg.Wait()
		close(drained)
	}()
	t := time.NewTimer(o.drain)
	defer t.Stop()
	select {
	case <-drained:
	case <-t.C:
		o.log.Info("Delivery attempts still in flight after the drain timeout; cancelling them", "timeout", o.drain)
		cancelSends()
		<-drained
	}
	o.log.Debug("Outbox stopped")
	return nil
}

// work handles one key at a time until the queue shuts down.
func (o *Outbox) work(ctx, sendCtx context.Context) {
	for {
		key, shutdown := o.queue.Get()
		if shutdown {
			return
		}
		if ctx.Err() == nil {
			o.process(ctx, sendCtx, key)
		}
		o.queue.Done(key)
	}
}

// keyState returns the state of key, creating it if a Notify raced with
// the key being forgotten.
func (o *Outbox) keyState(key string) *keyState {
	o.mu.Lock()
	defer o.mu.Unlock()
	st, ok := o.state[key]
	if !ok {
		st = &keyState{since: o.now()}
		o.state[key] = st
		o.metrics.waiting(o.name, len(o.state))
	}
	return st
}

// forget drops a key that is up to date.
func (o *Outbox) forget(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.state, key)
	if len(o.state) == 0 {
		// Go maps never shrink: after a replay of a large fleet, start
		// afresh rather than hold its buckets for good.
		o.state = map[string]*keyState{}
	}
	o.metrics.waiting(o.name, len(o.state))
}

// later requeues key after d, and holds it back until then even if it is
// notified again.
func (o *Outbox) later(key string, st *keyState, d time.Duration) {
	st.notBefore = o.now().Add(d)
	o.queue.AddAfter(key, d)
}

// process moves one key forward by at most one transition. Only one worker
// processes a key at a time, so its state needs no lock.
func (o *Outbox) process(ctx, sendCtx context.Context, key string) {
	st := o.keyState(key)
	if wait := st.notBefore.Sub(o.now()); wait > 0 {
		o.queue.AddAfter(key, wait)
		return
	}

	p, ok, err := o.src.Next(sendCtx, key)
	if err != nil {
		if sendCtx.Err() != nil {
			return
		}
		st.readFailures++
		d := o.policy.Delay(st.readFailures, 0, o.jitter())
		o.log.Debug("Cannot read the next event to send; retrying", "key", key, "delay", d, "error", err)
		o.later(key, st, d)
		return
	}
	st.readFailures = 0
	if !ok {
		o.forget(key)
		return
	}
	if !st.active || st.seq != p.Seq || st.index > len(p.Events) {
		*st = keyState{active: true, seq: p.Seq, since: st.since}
	}

	for st.index < len(p.Events) {
		if ctx.Err() != nil {
			// Stopping: finish nothing new; the ledger keeps the rest.
			return
		}
		if !o.attempt(sendCtx, key, st, p) {
			return
		}
	}

	outcome := OutcomeDelivered
	switch {
	case st.dropped:
		outcome = OutcomeDropped
	case st.deadLettered:
		outcome = OutcomeDeadLettered
	}
	o.src.Done(key, p, outcome)
	*st = keyState{since: st.since}
	// Come back for the next transition after the keys already waiting,
	// so that one busy cluster cannot starve the others.
	o.queue.Add(key)
}

// attempt sends events[index] of p once, to the sink or the dead-letter
// sink, and moves st on. It returns false when the key must wait.
func (o *Outbox) attempt(sendCtx context.Context, key string, st *keyState, p Pending) bool {
	e := p.Events[st.index]
	target, dead := o.sink, st.deadLetter
	if dead {
		target = o.dlq
	}

	begin := time.Now()
	r := target.Send(sendCtx, e)
	latency := time.Since(begin)
	if sendCtx.Err() != nil {
		// Cancelled by a stop that ran out of time: it says nothing of the
		// sink. The event stays pending.
		return false
	}
	st.attempts++
	o.observe(key, p, r, st.attempts, latency, dead)

	if r.Delivered() {
		if dead {
			o.metrics.event(o.name, e.Type(), ResultDeadLettered)
			st.deadLettered = true
			o.log.Debug("Event handed to the dead-letter sink", "key", key, "seq", p.Seq, "id", e.ID(), "type", e.Type())
		} else {
			o.metrics.event(o.name, e.Type(), ResultDelivered)
			o.metrics.delivered(o.name, latency)
		}
		st.index++
		st.attempts = 0
		st.deadLetter = false
		st.refused = false
		return true
	}

	if r.Class == Rejected {
		o.metrics.event(o.name, e.Type(), ResultRejected)
	} else {
		o.metrics.event(o.name, e.Type(), ResultRetried)
	}

	// Every target gets one attempt and policy.Retry retries, with
	// backoff, before the event moves on.
	delay := o.policy.Delay(st.attempts, r.RetryAfter, o.jitter())
	switch {
	case st.attempts <= o.policy.Retry:
		o.log.Debug("Event not accepted; retrying", "key", key, "seq", p.Seq, "id", e.ID(), "deadLetter", dead, "attempt", st.attempts, "class", r.Class.String(), "error", r.Message)
		o.retry(key, st, delay)
		return false
	case !dead && o.dlq != nil:
		o.log.Debug("Sink did not accept an event; handing it to the dead-letter sink", "key", key, "seq", p.Seq, "id", e.ID(), "attempt", st.attempts, "error", r.Message)
		st.deadLetter = true
		st.refused = r.Class == Rejected
		st.attempts = 0
		return true
	case !dead && r.Class == Rejected:
		// The sink will never take it and there is nowhere else to
		// put it: give it up, visibly, rather than hold back every
		// later event of the cluster.
		return o.drop(key, st, p, e, DropRejected, r)
	case !dead:
		// The sink cannot take it now: an outage loses nothing, the
		// event waits for the sink however long it takes.
		o.log.Debug("Sink did not accept an event and there is no dead-letter sink; retrying", "key", key, "seq", p.Seq, "id", e.ID(), "attempt", st.attempts, "error", r.Message)
		o.retry(key, st, delay)
		return false
	case st.refused:
		// Neither the sink nor the dead-letter sink will take it.
		return o.drop(key, st, p, e, DropDeadLetterFailed, r)
	default:
		// The sink could not take it, and the dead-letter sink cannot
		// either: nothing refused it for good, so it goes back to the
		// sink rather than being lost.
		o.log.Debug("Dead-letter sink did not accept an event the sink could not take; trying the sink again", "key", key, "seq", p.Seq, "id", e.ID(), "attempt", st.attempts, "error", r.Message)
		st.deadLetter = false
		st.attempts = 0
		o.retry(key, st, delay)
		return false
	}
}

// drop gives up events[index] of p, says so everywhere (metric, log,
// observer) and moves on to the next event.
func (o *Outbox) drop(key string, st *keyState, p Pending, e cloudevents.Event, reason string, r Result) bool {
	o.metrics.event(o.name, e.Type(), ResultDropped)
	o.metrics.Dropped(o.name, reason)
	o.log.Info("Gave up on an event: it was refused on every attempt; the cluster's later events go on",
		"key", key, "seq", p.Seq, "id", e.ID(), "type", e.Type(), "reason", reason, "attempts", st.attempts, "deadLetter", st.deadLetter, "error", r.Message)
	if d, ok := o.observer.(DropObserver); ok {
		d.Dropped(key, p, e, reason, r)
	}
	st.dropped = true
	st.index++
	st.attempts = 0
	st.deadLetter = false
	st.refused = false
	return true
}

func (o *Outbox) retry(key string, st *keyState, d time.Duration) {
	o.metrics.retried(o.name)
	o.later(key, st, d)
}

func (o *Outbox) observe(key string, p Pending, r Result, attempt int, latency time.Duration, dead bool) {
	if !dead {
		o.observer.Attempted(key, p, r, attempt, latency)
		return
	}
	if d, ok := o.observer.(DeadLetterObserver); ok {
		d.DeadLetterAttempted(key, p, r, attempt, latency)
	}
}
