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

// Package dispatch connects the ledger to the sinks: it routes each
// cluster's recorded events to every sink whose config selects it, runs one
// outbox per sink, and moves each sink's cursor in the ledger as events are
// accepted. Sinks come and go with their ProviderConfigs; a new sink, or one
// whose URL changed, gets existing clusters under its replay policy.
package dispatch

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
	"github.com/crossplane-contrib/provider-cdevents/internal/normalize"
)

// Error strings.
const (
	errNewSender    = "cannot configure sink"
	errNewDLQSender = "cannot configure dead-letter sink"
	errBuildEvent   = "cannot build CDEvent"
	errReadLedger   = "cannot read ledger"
)

// Settings are everything the dispatcher needs of one sink, read from its
// ProviderConfig and Secrets by the config controller.
type Settings struct {
	// ID names the sink: ClusterProviderConfig/<name> or
	// ProviderConfig/<namespace>/<name>.
	ID string
	// Endpoint identifies the sink URL; progress made with another
	// endpoint does not count.
	Endpoint string
	// Since is when the endpoint was first seen. Clusters recorded later
	// get every event; earlier ones get the replay policy.
	Since  time.Time
	Routes Routes
	Replay v1alpha1.ReplayPolicy
	Events cdevent.Options
	Sink   deliver.SinkConfig
	// DeadLetter is the dead-letter sink, if any.
	DeadLetter *deliver.SinkConfig
	Retry      deliver.RetryPolicy
	// Cascade is the sink's cascade signal; nil when it wants none.
	Cascade *v1alpha1.CascadeSignal
	// Cascades is what the sink had received of its cascades, from its
	// config's status. Only a sink added anew reads it; a running sink's
	// own record is newer.
	Cascades []v1alpha1.CascadeRecord
}

// Stats describe one sink's delivery, for its config's status.
type Stats struct {
	Clusters int64
	// MatchedClusters counts the clusters the selector, expression
	// included, matches as they are now.
	MatchedClusters int64
	// SelectorErrors counts events whose expression failed to evaluate.
	SelectorErrors int64
	Delivered      int64
	Pending        int64
	DeadLettered   int64
	// Dropped counts events given up: refused by the sink with no
	// dead-letter sink, or by the dead-letter sink too.
	Dropped int64
	// LastDrop says why the latest event was given up; empty before any.
	LastDrop string
	// Attempted is true once any attempt was made, so Reachable means
	// something.
	Attempted    bool
	Reachable    bool
	LastDelivery *v1alpha1.DeliveryRecord
	LastError    *v1alpha1.ErrorRecord
	// Failing is true while the latest attempt failed.
	Failing bool
	// NotAllowed is true while the latest attempt was refused by the
	// egress policy: nothing was sent.
	NotAllowed bool
	// Cascades are the sink's cascades and how far it has received each,
	// for status.cascades.
	Cascades []v1alpha1.CascadeRecord
	// Endpoint is the sink endpoint the figures are for, and
	// DeliveredThrough its delivery watermark there (see
	// ledger.DeliveredThrough); empty when there is none yet.
	Endpoint         string
	DeliveredThrough string
	// WatermarkWanted is true when the last flush left delivery progress
	// to the watermark, which the config's status must then persist (see
	// ledger.WatermarkWanted); otherwise it rides the config's next status
	// write.
	WatermarkWanted bool
}

// Option configures a Dispatcher.
type Option func(*Dispatcher)

// WithLogger sets the logger.
func WithLogger(l logging.Logger) Option { return func(d *Dispatcher) { d.log = l } }

// WithWorkers sets concurrent deliveries per sink.
func WithWorkers(n int) Option { return func(d *Dispatcher) { d.workers = n } }

// WithDefaultSource sets the CDEvents source of sinks whose config names
// none.
func WithDefaultSource(src string) Option { return func(d *Dispatcher) { d.defaultSource = src } }

// WithMetrics sets the delivery metrics shared by every outbox.
func WithMetrics(m *deliver.Metrics) Option { return func(d *Dispatcher) { d.metrics = m } }

// Dispatcher routes recorded events to sinks.
type Dispatcher struct {
	ledger  *ledger.Ledger
	builder *cdevent.Builder
	log     logging.Logger
	workers int
	metrics *deliver.Metrics

	defaultSource string
	now           func() time.Time
	cascades      *cascades

	// mu guards sinks and ctx. Never hold it while stopping a sink or
	// calling the ledger: the ledger calls SinksFor with its own lock held.
	mu    sync.Mutex
	ctx   context.Context //nolint:containedctx // The dispatcher's lifetime, for outboxes started by Apply.
	sinks map[string]*sink

	// routes is a copy of every sink's routes that SinksFor reads without
	// a lock, so the ledger never waits on the dispatcher.
	routes atomic.Pointer[map[string]Routes]
}

// New returns a Dispatcher that reads events from lg and builds them with b.
func New(lg *ledger.Ledger, b *cdevent.Builder, opts ...Option) *Dispatcher {
	d := &Dispatcher{
		ledger:  lg,
		builder: b,
		log:     logging.NewNopLogger(),
		workers: 16,
		sinks:   map[string]*sink{},

		defaultSource: "/crossplane/crossplane",
		now:           time.Now,
	}
	d.cascades = newCascades(d)
	for _, o := range opts {
		o(d)
	}
	return d
}

// Start runs every sink's outbox until ctx is done.
func (d *Dispatcher) Start(ctx context.Context) error {
	d.mu.Lock()
	d.ctx = ctx
	for _, s := range d.sinks {
		d.startLocked(s)
	}
	d.mu.Unlock()
	cascadesDone := make(chan struct{})
	go func() {
		defer close(cascadesDone)
		d.cascades.run(ctx)
	}()
	<-ctx.Done()
	<-cascadesDone
	d.mu.Lock()
	sinks := make([]*sink, 0, len(d.sinks))
	for _, s := range d.sinks {
		sinks = append(sinks, s)
	}
	d.mu.Unlock()
	for _, s := range sinks {
		s.stop()
	}
	return nil
}

// publishRoutesLocked refreshes the lock-free copy of every sink's routes.
// d.mu must be held.
func (d *Dispatcher) publishRoutesLocked() {
	m := make(map[string]Routes, len(d.sinks))
	for id, s := range d.sinks {
		m[id] = s.settings.Routes
	}
	d.routes.Store(&m)
}

// Apply adds a sink or updates its settings. Changing how the sink is
// reached restarts its outbox; progress is kept in the ledger, so nothing is
// lost or sent twice with another id.
func (d *Dispatcher) Apply(st Settings) error {
	if st.Events.Source == "" {
		st.Events.Source = d.defaultSource
	}
	// Configs are reconciled every few seconds; unchanged settings cost
	// nothing, not even a new HTTP client.
	d.mu.Lock()
	cur, ok := d.sinks[st.ID]
	d.mu.Unlock()
	if ok && cur.settings.Equal(st) {
		return nil
	}
	sender, err := deliver.NewSender(st.Sink)
	if err != nil {
		return errors.Wrap(err, errNewSender)
	}
	var dlq *deliver.Sender
	if st.DeadLetter != nil {
		if dlq, err = deliver.NewSender(*st.DeadLetter); err != nil {
			sender.Close()
			return errors.Wrap(err, errNewDLQSender)
		}
	}
	d.mu.Lock()
	old, ok := d.sinks[st.ID]
	if ok && old.settings.Equal(st) {
		d.mu.Unlock()
		sender.Close()
		if dlq != nil {
			dlq.Close()
		}
		return nil
	}
	s := newSink(d, st, sender, dlq)
	if !ok {
		s.seedCascades(st.Cascades)
	}
	d.sinks[st.ID] = s
	d.publishRoutesLocked()
	d.mu.Unlock()
	if !ok || !old.settings.Routes.Equal(st.Routes) {
		d.ledger.SignalsChanged()
	}

	// Stop the old outbox without holding the lock: its workers may be
	// waiting on the ledger, which may be waiting on routing.
	if ok {
		old.stop()
		s.inherit(old)
	}
	if st.Cascade != nil {
		d.cascades.evaluate(st.ID)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx != nil && d.sinks[st.ID] == s {
		d.startLocked(s)
	}
	return nil
}

// Remove stops a sink whose config was deleted and forgets its progress.
func (d *Dispatcher) Remove(id string) {
	d.mu.Lock()
	s, ok := d.sinks[id]
	delete(d.sinks, id)
	d.publishRoutesLocked()
	d.mu.Unlock()
	if !ok {
		return
	}
	d.ledger.SignalsChanged()
	s.stop()
	if d.metrics != nil {
		d.metrics.Forget(id)
	}
	d.ledger.ForgetSink(id)
}

// Persisted tells the ledger that a sink's delivery watermark for an
// endpoint is durable in its config's status. The config controller calls
// it with what it read before it applies the sink's settings, so that a
// restarted provider does not send again what the watermark says was
// delivered, and after each status write.
func (d *Dispatcher) Persisted(id, endpoint, deliveredThrough string) {
	if deliveredThrough == "" || endpoint == "" {
		return
	}
	d.ledger.Persisted(id, endpoint, deliveredThrough)
}

// Stats returns one sink's delivery figures.
func (d *Dispatcher) Stats(id string) (Stats, bool) {
	d.mu.Lock()
	s, ok := d.sinks[id]
	d.mu.Unlock()
	if !ok {
		return Stats{}, false
	}
	st := s.snapshot()
	st.Endpoint = s.settings.Endpoint
	st.DeliveredThrough, _ = d.ledger.DeliveredThrough(id, s.settings.Endpoint, s.settings.Routes.Matches)
	st.WatermarkWanted = d.ledger.WatermarkWanted(id)
	for _, rt := range d.ledger.Routings(s.settings.ID) {
		v, c := rt.View, rt.Cursor
		if !s.settings.Routes.Matches(v) {
			continue
		}
		if !v.Deleted {
			st.Clusters++
			if ok, _ := s.settings.Routes.Selects(v); ok {
				st.MatchedClusters++
			}
		}
		switch {
		case !rt.HasCursor || c.Endpoint != s.settings.Endpoint:
			if v.CreatedAt.After(s.settings.Since) {
				st.Pending += v.LastSeq
			}
		case c.Delivered < v.LastSeq:
			st.Pending += v.LastSeq - c.Delivered
		}
	}
	return st, true
}

// Recorded wakes every sink that receives a cluster whose ledger changed.
// It implements ledger.Notifier and never blocks.
func (d *Dispatcher) Recorded(uid types.UID) {
	d.cascades.recorded(uid)
	rt, ok := d.ledger.Routing(uid, "")
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.sinks {
		if s.settings.Routes.Matches(rt.View) {
			s.notify(uid)
		}
	}
}

// SinksFor lists the sinks that receive a cluster. It implements
// ledger.Router; it takes no lock, so the ledger may call it with its own
// lock held.
func (d *Dispatcher) SinksFor(v ledger.View) []string {
	routes := d.routes.Load()
	if routes == nil {
		return nil
	}
	var out []string
	for id, r := range *routes {
		if r.Matches(v) {
			out = append(out, id)
		}
	}
	return out
}

// SignalsFor lists, sorted, the outOfSync thresholds of the sinks that
// receive a cluster and want outOfSync, and their flap dampings. It
// implements ledger.Router; it takes no lock, so the ledger may call it with
// its own lock held.
func (d *Dispatcher) SignalsFor(v ledger.View) ledger.Signals {
	routes := d.routes.Load()
	if routes == nil {
		return ledger.Signals{}
	}
	var out ledger.Signals
	for _, r := range *routes {
		if !r.Matches(v) {
			continue
		}
		if r.WantsOutOfSync() && !slices.Contains(out.OutOfSyncAfter, r.OutOfSyncThreshold()) {
			out.OutOfSyncAfter = append(out.OutOfSyncAfter, r.OutOfSyncThreshold())
		}
		if r.Flapping != nil && !slices.Contains(out.Flapping, *r.Flapping) {
			out.Flapping = append(out.Flapping, *r.Flapping)
		}
	}
	slices.Sort(out.OutOfSyncAfter)
	slices.SortFunc(out.Flapping, func(a, b normalize.Damping) int { return strings.Compare(a.Key(), b.Key()) })
	return out
}

func (d *Dispatcher) startLocked(s *sink) {
	s.start(d.ctx)
	// Wake every cluster the sink receives: it may be new, have pending
	// events from before a restart, or be owed a replay.
	go func() {
		if err := s.prepareReplay(d.ctx); err != nil && d.ctx.Err() == nil {
			d.log.Info("Cannot prepare replay for a sink; clusters are replayed one by one instead", "sink", s.settings.ID, "error", err)
		}
		for _, rt := range d.ledger.Routings("") {
			if s.settings.Routes.Matches(rt.View) {
				s.notify(rt.UID)
			}
		}
	}()
}

// subject is the cluster as its events describe it.
func subject(v ledger.View) cdevent.Subject {
	return cdevent.Subject{Environment: v.Env, Ref: v.Ref, Provider: v.Provider, Facts: v.Facts}
}

// events builds the CloudEvents of one ledger event for a sink.
func (d *Dispatcher) events(v ledger.View, e v1alpha1.LedgerEvent, o cdevent.Options) ([]cloudevents.Event, error) {
	evs, err := d.builder.Build(subject(v), e, o)
	return evs, errors.Wrap(err, errBuildEvent)
}
