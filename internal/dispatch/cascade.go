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
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cascade"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/ledger"
)

// How cascades are tracked and kept.
const (
	// cascadeKeyPrefix starts the outbox key of a cascade; the keys of
	// clusters are object uids, which never start with it.
	cascadeKeyPrefix = "cascade/"
	// CascadeHorizon is how long a resolved cascade is remembered, in the
	// config's status and in memory. A cascade resolved longer ago than
	// this, found again in the ledgers after a restart, is not sent.
	CascadeHorizon = 24 * time.Hour
	// MaxCascadeRecords bounds status.cascades; the oldest resolved
	// cascades go first.
	MaxCascadeRecords = 64
	// cascadeRetry is how soon a failed ledger read is tried again.
	cascadeRetry = 5 * time.Second
)

const errSeedCascades = "cannot read the ledgers' incidents"

// cascadeCluster is what the cascade tracker keeps of a cluster that had
// incidents: enough to group it and to name it in a cascade's events.
// Clusters that never had one cost only the seq read up to.
type cascadeCluster struct {
	incidents []cascade.Incident
	view      ledger.View
}

// cascades tracks the incidents of every cluster, from the ledgers, and
// finds each cascade-enabled sink's cascades in them. Incidents are the
// same for every sink; which clusters count, how they are grouped and how
// many make a cascade is each sink's own.
//
// It starts when the first sink asks for cascades: it reads every ledger's
// log once, then follows the events recorded from then on. A ledger read
// that fails is retried; nothing is concluded from it.
type cascades struct {
	d *Dispatcher

	mu       sync.Mutex
	enabled  bool
	seeded   bool
	clusters map[types.UID]*cascadeCluster
	// scanned is, per cluster, the seq of the newest event read.
	scanned map[types.UID]int64
	dirty   map[types.UID]bool
	sinks   map[string]bool
	wake    chan struct{}
	// swept is when clusters whose ledgers are gone were last dropped.
	swept time.Time
}

func newCascades(d *Dispatcher) *cascades {
	return &cascades{
		d:        d,
		clusters: map[types.UID]*cascadeCluster{},
		scanned:  map[types.UID]int64{},
		dirty:    map[types.UID]bool{},
		sinks:    map[string]bool{},
		wake:     make(chan struct{}, 1),
	}
}

func (c *cascades) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// recorded notes that a cluster's ledger changed. It never blocks.
func (c *cascades) recorded(uid types.UID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.enabled {
		// Reading every ledger when tracking starts covers this.
		return
	}
	c.dirty[uid] = true
	c.poke()
}

// evaluate asks for every cascade of a sink to be found again, once the
// incidents are known: when the sink is added or its settings change.
func (c *cascades) evaluate(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.enabled = true
	c.sinks[id] = true
	c.poke()
}

// run tracks incidents and cascades until ctx is done.
func (c *cascades) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
		if !c.step(ctx) {
			// Try again later; a read failed.
			select {
			case <-ctx.Done():
				return
			case <-time.After(cascadeRetry):
				c.poke()
			}
		}
	}
}

// step does the work waiting: the first read of every ledger, then the
// clusters whose ledgers changed, then the sinks to look at. It returns
// false when a read failed and some work is left.
func (c *cascades) step(ctx context.Context) bool {
	c.mu.Lock()
	enabled, seeded := c.enabled, c.seeded
	c.mu.Unlock()
	if !enabled {
		return true
	}
	if !seeded {
		if err := c.seed(ctx); err != nil {
			c.d.log.Info("Cannot read the ledgers to track cascades; retrying", "error", errors.Wrap(err, errSeedCascades))
			return false
		}
	}
	c.mu.Lock()
	dirty := c.dirty
	c.dirty = map[types.UID]bool{}
	sinks := c.sinks
	c.sinks = map[string]bool{}
	c.mu.Unlock()

	c.sweep()
	ok := true
	groups := map[string]map[string]bool{} // sink id -> groups to look at
	for uid := range dirty {
		if err := c.update(ctx, uid); err != nil {
			ok = false
			c.mu.Lock()
			c.dirty[uid] = true
			c.mu.Unlock()
			continue
		}
		c.mu.Lock()
		cl := c.clusters[uid]
		c.mu.Unlock()
		if cl == nil {
			continue
		}
		for _, s := range c.d.cascadeSinks() {
			if key, in := s.cascadeGroup(cl.view); in {
				if groups[s.settings.ID] == nil {
					groups[s.settings.ID] = map[string]bool{}
				}
				groups[s.settings.ID][key] = true
			}
		}
	}
	for _, s := range c.d.cascadeSinks() {
		if sinks[s.settings.ID] {
			s.findCascades(c.snapshot(), nil)
			continue
		}
		if g := groups[s.settings.ID]; len(g) > 0 {
			s.findCascades(c.snapshot(), g)
		}
	}
	return ok
}

// seed reads every ledger's log once.
func (c *cascades) seed(ctx context.Context) error {
	clusters := map[types.UID]*cascadeCluster{}
	scanned := map[types.UID]int64{}
	err := c.d.ledger.EachLedger(ctx, func(oc *v1alpha1.ObservedCluster) {
		uid := oc.Status.ResourceRef.UID
		scanned[uid] = oc.Status.LastSeq
		inc := cascade.Track(nil, string(uid), oc.Status.History())
		inc = cascade.Reopen(inc, string(uid), oc.Status.OpenIncident)
		if len(inc) == 0 {
			return
		}
		cl := &cascadeCluster{incidents: inc}
		if v, ok := c.d.ledger.View(uid); ok {
			cl.view = v
		}
		clusters[uid] = cl
	})
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for uid, seq := range scanned {
		c.scanned[uid] = max(c.scanned[uid], seq)
		// A ledger read while events were being recorded may be
		// behind: look again.
		c.dirty[uid] = true
	}
	for uid, cl := range clusters {
		c.clusters[uid] = cl
	}
	c.seeded = true
	return nil
}

// update reads the events recorded for a cluster since it was last looked
// at and folds them into its incidents.
func (c *cascades) update(ctx context.Context, uid types.UID) error {
	v, ok := c.d.ledger.View(uid)
	c.mu.Lock()
	cl, scanned := c.clusters[uid], c.scanned[uid]
	c.mu.Unlock()
	if !ok {
		// Forgotten once deleted and delivered: its incidents ended
		// with its deleted event, and are kept for the cascades they
		// belong to until sweep drops them.
		return nil
	}
	if cl == nil {
		cl = &cascadeCluster{}
	}
	events, err := c.d.ledger.Events(ctx, uid, scanned+1, v.RecordedSeq)
	if err != nil {
		return errors.Wrap(err, errReadLedger)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.scanned[uid] = max(scanned, v.RecordedSeq)
	next := &cascadeCluster{view: v, incidents: cascade.Track(slices.Clone(cl.incidents), string(uid), events)}
	if len(next.incidents) > 0 {
		c.clusters[uid] = next
	}
	return nil
}

// sweep drops, once an hour, the clusters whose ledgers are gone and whose
// incidents all ended longer than CascadeHorizon ago: no cascade the sinks
// remember can need them.
func (c *cascades) sweep() {
	now := c.d.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if now.Sub(c.swept) < time.Hour {
		return
	}
	c.swept = now
	for uid, cl := range c.clusters {
		if _, ok := c.d.ledger.Routing(uid, ""); ok {
			continue
		}
		if !slices.ContainsFunc(cl.incidents, func(i cascade.Incident) bool { return i.Open() || now.Sub(i.End) < CascadeHorizon }) {
			delete(c.clusters, uid)
			delete(c.scanned, uid)
		}
	}
	for uid := range c.scanned {
		if _, ok := c.clusters[uid]; !ok {
			if _, known := c.d.ledger.Routing(uid, ""); !known {
				delete(c.scanned, uid)
			}
		}
	}
}

// snapshot is every tracked cluster, as of now.
func (c *cascades) snapshot() map[types.UID]*cascadeCluster {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[types.UID]*cascadeCluster, len(c.clusters))
	for uid, cl := range c.clusters {
		out[uid] = cl
	}
	return out
}

// cascadeSinks lists the sinks that ask for cascades.
func (d *Dispatcher) cascadeSinks() []*sink {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []*sink
	for _, s := range d.sinks {
		if s.settings.Cascade != nil {
			out = append(out, s)
		}
	}
	return out
}

// cascadeState is one cascade of a sink and how far the sink has it.
type cascadeState struct {
	episode cascade.Episode
	// record is what status holds of it.
	record v1alpha1.CascadeRecord
}

// cascadeGroup is the group a cluster is in for the sink, if the sink
// receives the cluster at all: a namespaced ProviderConfig counts only
// the clusters of its own namespace.
func (s *sink) cascadeGroup(v ledger.View) (string, bool) {
	if v.UID == "" || !s.settings.Routes.Matches(v) {
		return "", false
	}
	return cascade.Group(s.settings.Cascade.Grouping(), v.Provider, v.Ref.Namespace, v.Facts)
}

// findCascades finds the sink's cascades in the groups named, or in every
// group when groups is nil, and wakes delivery of those that changed.
func (s *sink) findCascades(clusters map[types.UID]*cascadeCluster, groups map[string]bool) {
	cs := s.settings.Cascade
	byGroup := map[string][]cascade.Incident{}
	for _, cl := range clusters {
		key, in := s.cascadeGroup(cl.view)
		if !in || (groups != nil && !groups[key]) || len(cl.incidents) == 0 {
			continue
		}
		byGroup[key] = append(byGroup[key], cl.incidents...)
	}
	now := s.d.now()
	var wake []string
	s.mu.Lock()
	for key, incidents := range byGroup {
		for _, ep := range cascade.Episodes(key, incidents, int(cs.MinClusters), cs.WindowDuration()) {
			st, known := s.cascades[ep.ID]
			if !known {
				st, known = s.sameCascadeLocked(key, ep)
			}
			if !known {
				// Resolved before the sink's URL was first seen, or
				// too long ago to be remembered as sent: history,
				// not news.
				if !ep.Open() && (ep.Resolved.Before(s.settings.Since) || now.Sub(ep.Resolved) > CascadeHorizon) {
					continue
				}
				st = &cascadeState{record: v1alpha1.CascadeRecord{ID: ep.ID}}
				s.cascades[ep.ID] = st
			}
			st.episode = ep
			if st.record.Detected.IsZero() {
				st.record.Group = key
				st.record.Detected = metav1.NewTime(ep.Detected)
			}
			st.record.Clusters = int32(len(ep.Clusters())) //nolint:gosec // Bounded by the number of clusters.
			if !ep.Open() && st.record.Resolved == nil {
				st.record.Resolved = &metav1.Time{Time: ep.Resolved}
			}
			if st.record.Sent != v1alpha1.CascadeResolved {
				wake = append(wake, cascadeKeyPrefix+st.record.ID)
			}
		}
	}
	s.pruneCascadesLocked(now)
	s.mu.Unlock()
	for _, k := range wake {
		s.outbox.Notify(k)
	}
}

// sameCascadeLocked finds the cascade an episode found again is, when its
// detection moved: an incident that began earlier, in the same group, was
// recorded late. It is the one that shares a member with it; it keeps its
// id and detection time, which the sink may have received already. s.mu
// must be held.
func (s *sink) sameCascadeLocked(group string, ep cascade.Episode) (*cascadeState, bool) {
	for _, st := range s.cascades {
		if st.record.Group != group {
			continue
		}
		for _, m := range st.episode.Members {
			if slices.ContainsFunc(ep.Members, func(o cascade.Incident) bool { return o.StartID == m.StartID }) {
				return st, true
			}
		}
	}
	return nil, false
}

// pruneCascadesLocked forgets resolved cascades the sink has received that
// are older than the horizon, and keeps status.cascades bounded. s.mu
// must be held.
func (s *sink) pruneCascadesLocked(now time.Time) {
	for id, st := range s.cascades {
		if st.record.Sent == v1alpha1.CascadeResolved && st.record.Resolved != nil && now.Sub(st.record.Resolved.Time) > CascadeHorizon {
			delete(s.cascades, id)
		}
	}
	if len(s.cascades) <= MaxCascadeRecords {
		return
	}
	recs := s.cascadeRecordsLocked()
	// Oldest resolved first, then oldest.
	slices.SortStableFunc(recs, func(a, b v1alpha1.CascadeRecord) int {
		ar, br := a.Sent == v1alpha1.CascadeResolved, b.Sent == v1alpha1.CascadeResolved
		switch {
		case ar && !br:
			return -1
		case br && !ar:
			return 1
		}
		return a.Detected.Compare(b.Detected.Time)
	})
	for _, r := range recs[:len(recs)-MaxCascadeRecords] {
		delete(s.cascades, r.ID)
	}
}

// cascadeRecordsLocked lists the sink's cascades for status, oldest first.
// s.mu must be held.
func (s *sink) cascadeRecordsLocked() []v1alpha1.CascadeRecord {
	if len(s.cascades) == 0 {
		// As status reads back without any: an empty list would make
		// every refresh of the status a write.
		return nil
	}
	out := make([]v1alpha1.CascadeRecord, 0, len(s.cascades))
	for _, st := range s.cascades {
		out = append(out, *st.record.DeepCopy())
	}
	slices.SortFunc(out, func(a, b v1alpha1.CascadeRecord) int {
		if c := a.Detected.Compare(b.Detected.Time); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}

// seedCascades takes what the sink had received of its cascades from its
// config's status, so that a restarted provider neither repeats nor loses
// them.
func (s *sink) seedCascades(records []v1alpha1.CascadeRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range records {
		if _, ok := s.cascades[r.ID]; !ok && r.ID != "" {
			s.cascades[r.ID] = &cascadeState{record: *r.DeepCopy()}
		}
	}
}

// nextCascade returns what the sink has not received of a cascade: its
// detected event, its resolved event, or both in that order when it was
// resolved before the sink got either.
func (s *sink) nextCascade(key string) (deliver.Pending, bool, error) {
	id := strings.TrimPrefix(key, cascadeKeyPrefix)
	s.mu.Lock()
	st, ok := s.cascades[id]
	var (
		ep   cascade.Episode
		sent v1alpha1.CascadeStage
	)
	if ok {
		ep, sent = st.episode, st.record.Sent
		// What the sink may have received already names it.
		ep.ID, ep.Detected, ep.Group = st.record.ID, st.record.Detected.Time, st.record.Group
	}
	s.mu.Unlock()
	if !ok || len(ep.Members) == 0 || sent == v1alpha1.CascadeResolved || (sent == v1alpha1.CascadeDetected && ep.Open()) {
		// Unknown, not found in the ledgers (yet), or up to date.
		return deliver.Pending{}, false, nil
	}
	c := s.d.cascadeEvent(ep, s.settings.Cascade)
	o := s.settings.Events
	p := deliver.Pending{Seq: 1}
	if sent == "" {
		ev, err := s.d.builder.BuildCascade(c, false, o)
		if err != nil {
			return s.unbuildableCascade(key, ep, err)
		}
		p.Events, p.ID = append(p.Events, ev), ev.ID()
	}
	if !ep.Open() {
		ev, err := s.d.builder.BuildCascade(c, true, o)
		if err != nil {
			return s.unbuildableCascade(key, ep, err)
		}
		p.Seq, p.Events, p.ID = 2, append(p.Events, ev), ev.ID()
	}
	return p, true, nil
}

// unbuildableCascade gives up a cascade whose event cannot be built, a
// bug, loudly: it is counted and logged, and marked as sent so it does not
// block the sink.
func (s *sink) unbuildableCascade(key string, ep cascade.Episode, err error) (deliver.Pending, bool, error) {
	s.d.log.Info("Cannot build a cascade's CDEvent; giving it up", "sink", s.settings.ID, "cascade", ep.ID, "error", err)
	s.d.metrics.Dropped(s.settings.ID, deliver.DropUnbuildable)
	s.mu.Lock()
	s.stats.Dropped++
	s.stats.LastDrop = "gave up on cascade " + ep.ID + " (" + deliver.DropUnbuildable + "): " + err.Error()
	s.mu.Unlock()
	s.cascadeDone(key, 2)
	return deliver.Pending{}, false, errors.Wrap(err, errBuildEvent)
}

// cascadeDone records how far the sink has a cascade: 1 when it has the
// detected event, 2 when it has the resolved one too.
func (s *sink) cascadeDone(key string, seq int64) {
	id := strings.TrimPrefix(key, cascadeKeyPrefix)
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.cascades[id]
	if !ok {
		return
	}
	switch {
	case seq >= 2:
		st.record.Sent = v1alpha1.CascadeResolved
	case st.record.Sent == "":
		st.record.Sent = v1alpha1.CascadeDetected
	}
}

// cascadeEvent is what a cascade's events are built from: its episode and
// the clusters as their ledgers name them.
func (d *Dispatcher) cascadeEvent(ep cascade.Episode, cs *v1alpha1.CascadeSignal) cdevent.Cascade {
	clusters := d.cascades.snapshot()
	c := cdevent.Cascade{
		ID:          ep.ID,
		SubjectID:   d.defaultSource + "/cascades/" + ep.Group + "/" + strconv.FormatInt(ep.Detected.Unix(), 10),
		Group:       ep.Group,
		By:          cs.Grouping(),
		MinClusters: int(cs.MinClusters),
		Window:      cs.WindowDuration(),
		Detected:    ep.Detected,
		Resolved:    ep.Resolved,
	}
	for _, m := range ep.Members {
		cm := cdevent.CascadeMember{Start: m.Start, StartEvent: m.StartID, End: m.End}
		if cl, ok := clusters[types.UID(m.Cluster)]; ok && cl.view.UID != "" {
			cm.Environment, cm.Ref = cl.view.Env, cl.view.Ref
		} else {
			cm.Environment.ID = m.Cluster
		}
		c.Members = append(c.Members, cm)
	}
	return c
}

// isCascadeKey says whether an outbox key is a cascade's.
func isCascadeKey(key string) bool { return strings.HasPrefix(key, cascadeKeyPrefix) }
