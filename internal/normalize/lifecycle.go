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

package normalize

import (
	"slices"
	"sort"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/catalog"
)

// ReasonExternalCreateFailed is the reason of a failed transition caused by
// the crossplane.io/external-create-failed annotation when the object has
// no failing Synced condition to tell more.
const ReasonExternalCreateFailed = "ExternalCreateFailed"

// State is everything the lifecycle needs to know about a cluster's past.
// The provider persists exactly these fields in the ObservedCluster status
// (phase, created, facts.kubernetesVersion), so a restarted provider
// continues where it stopped. The zero State means the object was never
// seen.
type State struct {
	// Phase is the cluster's current phase; "" before first sight.
	Phase v1alpha1.Phase
	// Created is true once the created transition was emitted.
	Created bool
	// KubernetesVersion is the last version observed, to tell upgrades.
	KubernetesVersion string
	// Paused is true once paused was emitted, until resumed is.
	Paused bool
	// OutOfSync holds the outOfSync transitions emitted, one per
	// threshold, whose inSync is not emitted yet; sorted by threshold.
	OutOfSync []OutOfSync
	// SyncLost is when the cluster started to serve without being
	// reconciled: the later of Synced's turn to False and Ready's turn to
	// True, while both hold (and reconciliation is not paused); zero
	// otherwise. It is read from the object, so it is not persisted: the
	// first observation after a restart finds it again. Elapse measures
	// thresholds from it.
	SyncLost time.Time
	// SyncReason and SyncMessage are Synced's while SyncLost is set: what
	// an outOfSync emitted by Elapse says.
	SyncReason  string
	SyncMessage string
	// Recent holds the times of the latest degraded and recovered
	// transitions, oldest first, within the longest flap damping window.
	Recent []time.Time
	// Flaps holds the flapping episodes not ended yet, one per damping.
	Flaps []FlapEpisode
}

// OutOfSync is one outOfSync transition emitted: its threshold and its time.
type OutOfSync struct {
	After time.Duration
	Since time.Time
}

// Equal says whether two states are the same.
func (s State) Equal(o State) bool {
	return s.Phase == o.Phase && s.Created == o.Created && s.KubernetesVersion == o.KubernetesVersion &&
		s.Paused == o.Paused && s.SyncLost.Equal(o.SyncLost) && s.SyncReason == o.SyncReason &&
		s.SyncMessage == o.SyncMessage && slices.Equal(s.OutOfSync, o.OutOfSync) &&
		slices.EqualFunc(s.Recent, o.Recent, time.Time.Equal) && slices.Equal(s.Flaps, o.Flaps)
}

// A Transition is one lifecycle change of a cluster, with the time it
// happened in the object wherever the object records it.
type Transition struct {
	Lifecycle v1alpha1.Lifecycle
	Time      time.Time
	// Reason and Message come from the condition (or cloud state) that
	// caused the transition.
	Reason  string
	Message string
	// Replayed marks transitions the provider did not witness live.
	Replayed bool
	// KubernetesVersion observed at the transition; PreviousVersion only
	// for upgrades.
	KubernetesVersion string
	PreviousVersion   string
	// Value is what was observed when the object records no time of its
	// own for the transition and Time is the newest time the object
	// carries: the new Kubernetes version of an upgrade, else the cloud
	// state (or the Ready reason) that caused it. It tells apart, in the
	// transition's id, transitions that would otherwise share lifecycle
	// and time. Empty when the object records the transition's time. For
	// outOfSync and inSync it is the threshold, which tells apart the
	// transitions of sinks with different thresholds.
	Value string
	// After is the threshold of an outOfSync or inSync transition.
	After time.Duration
	// IncidentStart is, on inSync, the time of the outOfSync transition
	// it ends; on stable, the time of the flapping transition.
	IncidentStart time.Time
	// Flap is, on flapping and stable, the damping and the episode's
	// count.
	Flap *FlapCount
	// HeldFor lists, on degraded and recovered during flapping episodes,
	// the keys of the dampings whose sinks do not receive it.
	HeldFor []string
}

// Context is what Next needs to know about the observation besides the
// object. It holds no clock: every time a transition carries comes from
// the object, so that two replicas, or one replica before and after a
// restart, give the same transition the same time and id.
type Context struct {
	// Late means the provider did not witness the change live: first
	// sight of an object when the provider starts or discovers its kind.
	// Every transition emitted then is Replayed.
	Late bool
	// Now is when the observation is applied. It only decides whether a
	// threshold has passed (outOfSync is due); no transition carries it.
	Now time.Time
	// OutOfSyncAfter lists the thresholds sinks want outOfSync for.
	OutOfSyncAfter []time.Duration
	// Flapping lists the flap dampings sinks ask for.
	Flapping []Damping
}

// lifecycleOrder sorts the transitions of one observation.
func lifecycleOrder(l v1alpha1.Lifecycle) int {
	switch l {
	case v1alpha1.LifecycleCreated:
		return 0
	case v1alpha1.LifecycleReady:
		return 1
	case v1alpha1.LifecycleUpgraded:
		return 2
	case v1alpha1.LifecycleDegraded:
		return 3
	case v1alpha1.LifecycleRecovered:
		return 4
	case v1alpha1.LifecycleFailed:
		return 5
	case v1alpha1.LifecycleFlapping:
		return 6
	case v1alpha1.LifecycleStable:
		return 7
	case v1alpha1.LifecycleResumed:
		return 8
	case v1alpha1.LifecyclePaused:
		return 9
	case v1alpha1.LifecycleInSync:
		return 10
	case v1alpha1.LifecycleOutOfSync:
		return 11
	case v1alpha1.LifecycleDeleting:
		return 12
	case v1alpha1.LifecycleDeleted:
		return 13
	}
	return 14
}

// verdict is what an observation says about a cluster's health, before
// its history is taken into account.
type verdict int

const (
	// verdictUnknown: no Ready condition to go by.
	verdictUnknown verdict = iota
	// verdictProvisioning: being created, or Ready=True while the cloud
	// still provisions.
	verdictProvisioning
	// verdictHealthy: serving.
	verdictHealthy
	// verdictSick: exists but does not serve (Ready=False/Unavailable, a
	// degraded or deleting cloud state, or re-created after vanishing).
	verdictSick
	// verdictBroken: the cloud reports the cluster failed.
	verdictBroken
)

// cause is the condition or cloud state behind a verdict: the reason and
// message of a transition, and its time when the object records one.
type cause struct {
	reason  string
	message string
	at      time.Time
}

func readyCause(o Observation) cause {
	return cause{reason: o.Ready.Reason, message: o.Ready.Message, at: o.Ready.LastTransitionTime}
}

// cloudCause blames the cloud state. Its time is Ready's when the provider
// mapped the state to Ready=False/Unavailable (classic providers), so that
// both changed together; otherwise the object records no time for it.
func cloudCause(o Observation) cause {
	c := cause{reason: o.Facts.CloudState, message: "cloud state is " + o.Facts.CloudState}
	if o.Ready.Status == StatusFalse && o.Ready.Reason == ReasonUnavailable {
		c.at = o.Ready.LastTransitionTime
	}
	return c
}

func readyMeansHealthy(p *catalog.Profile) bool { return p == nil || p.ReadyMeansHealthy() }

func cloudHealth(p *catalog.Profile, o Observation) catalog.Health {
	if p == nil {
		return catalog.HealthUnknown
	}
	return p.CloudHealth(o.Facts.CloudState)
}

// assess judges an observation's health. beenReady says the cluster was
// ready before, which turns a Ready=False/Creating (the cloud resource
// vanished and is being re-created) from provisioning into sick.
func assess(p *catalog.Profile, o Observation, beenReady bool) (verdict, cause) {
	cloud := cloudHealth(p, o)
	switch o.Ready.Status {
	case StatusTrue:
		if readyMeansHealthy(p) {
			return verdictHealthy, readyCause(o)
		}
		switch cloud {
		case catalog.HealthProvisioning:
			return verdictProvisioning, cloudCause(o)
		case catalog.HealthDegraded, catalog.HealthDeleting:
			return verdictSick, cloudCause(o)
		case catalog.HealthFailed:
			return verdictBroken, cloudCause(o)
		case catalog.HealthHealthy, catalog.HealthUnknown:
		}
		return verdictHealthy, readyCause(o)
	case StatusFalse:
		switch o.Ready.Reason {
		case ReasonCreating:
			switch {
			case beenReady:
				return verdictSick, readyCause(o)
			case cloud == catalog.HealthFailed:
				return verdictBroken, cloudCause(o)
			}
			return verdictProvisioning, readyCause(o)
		case ReasonUnavailable:
			switch cloud {
			case catalog.HealthHealthy:
				// Classic EKS reports an update as Unavailable; the
				// cloud says the cluster serves.
				return verdictHealthy, cloudCause(o)
			case catalog.HealthProvisioning:
				return verdictProvisioning, readyCause(o)
			case catalog.HealthFailed:
				return verdictBroken, cloudCause(o)
			case catalog.HealthDegraded, catalog.HealthDeleting, catalog.HealthUnknown:
			}
		}
		return verdictSick, readyCause(o)
	}
	return verdictUnknown, cause{}
}

// createFailure reports whether the object records a failed create: the
// external-create-failed annotation newer than external-create-succeeded,
// or an upjet LastAsyncOperation that failed to create.
func createFailure(o Observation) (cause, bool) {
	lao := o.LastAsyncOperation
	if lao.Status == StatusFalse && (lao.Reason == ReasonAsyncCreateFailure || lao.Reason == ReasonApplyFailure) {
		return cause{reason: lao.Reason, message: lao.Message, at: lao.LastTransitionTime}, true
	}
	if !o.CreateFailed.IsZero() && o.CreateFailed.After(o.CreateSucceeded) {
		c := cause{reason: ReasonExternalCreateFailed, at: o.CreateFailed}
		if o.Synced.Status == StatusFalse {
			c.reason, c.message = o.Synced.Reason, o.Synced.Message
		}
		return c, true
	}
	return cause{}, false
}

// exists reports whether the object shows that its cloud resource was
// created, or at least that its creation was accepted.
func exists(o Observation, beenReady bool) bool {
	switch {
	case beenReady,
		!o.CreateSucceeded.IsZero(),
		o.LastAsyncOperation.present(),
		o.Ready.Status == StatusTrue,
		o.Ready.Status == StatusFalse && o.Ready.Reason == ReasonCreating && o.Synced.Status == StatusTrue,
		o.Ready.Status == StatusFalse && (o.Ready.Reason == ReasonUnavailable || o.Ready.Reason == ReasonDeleting),
		o.Facts.CloudState != "",
		o.Facts.CloudID != "":
		return true
	}
	return false
}

// createdAt is the time of the created transition: when the create call
// succeeded, else when Ready turned Creating, else when the object was
// created.
func createdAt(o Observation) time.Time {
	switch {
	case !o.CreateSucceeded.IsZero():
		return o.CreateSucceeded
	case o.Ready.Reason == ReasonCreating && !o.Ready.LastTransitionTime.IsZero():
		return o.Ready.LastTransitionTime
	}
	return o.CreationTimestamp
}

// emitter collects the transitions of one observation.
type emitter struct {
	c       Context
	version string
	// latest stamps transitions the object records no time for, and
	// value tells them apart.
	latest time.Time
	value  string
	ts     []Transition
}

// add emits a transition at its time in the object; a zero at means the
// object records none, and the transition takes the newest time the object
// carries, told apart by the observed value.
func (e *emitter) add(l v1alpha1.Lifecycle, at time.Time, why cause) {
	value := ""
	if at.IsZero() {
		at, value = e.latest, e.value
		if value == "" {
			value = why.reason
		}
	}
	e.ts = append(e.ts, Transition{
		Lifecycle:         l,
		Time:              at,
		Reason:            why.reason,
		Message:           why.message,
		Replayed:          e.c.Late,
		KubernetesVersion: e.version,
		Value:             value,
	})
}

// TimedByObject says whether the transition's time is one the object
// records for it (a condition's lastTransitionTime, an annotation, a
// timestamp), not the newest time the object happens to carry nor one the
// provider worked out from what it recorded. Such a transition, if the
// provider forgets it before its ledger write lands, is found again from
// the object with the same time and id for as long as the object shows
// it; any other could be found again later with another time, and so
// another id, so its ledger write goes out at once instead of waiting to
// carry its delivery progress.
func (t Transition) TimedByObject() bool {
	switch t.Lifecycle { //nolint:exhaustive // The others are not timed by the object.
	case v1alpha1.LifecycleCreated, v1alpha1.LifecycleReady, v1alpha1.LifecycleDegraded,
		v1alpha1.LifecycleRecovered, v1alpha1.LifecycleFailed, v1alpha1.LifecycleDeleting:
		return t.Value == ""
	case v1alpha1.LifecycleOutOfSync, v1alpha1.LifecycleInSync:
		return true
	}
	return false
}

// TimedByRecords says whether the transition's time is one the provider
// worked out from what it recorded (deleted, stamped with the newest time
// the ledger holds; flapping and stable, from the recorded recent
// transitions) rather than one read from the object. Only such a
// transition must be recorded before it is sent: forgotten in a crash, it
// would be worked out again from a ledger that lacks it, with another
// time. Every other transition is found again from the object: with the
// same time if the object records it (TimedByObject), and with the newest
// time the object carries otherwise, the same unless the object was
// written again in between.
func (t Transition) TimedByRecords() bool {
	switch t.Lifecycle { //nolint:exhaustive // The others are read from the object.
	case v1alpha1.LifecycleDeleted, v1alpha1.LifecycleFlapping, v1alpha1.LifecycleStable:
		return true
	}
	return false
}

func (e *emitter) done() []Transition {
	sort.SliceStable(e.ts, func(i, j int) bool {
		return lifecycleOrder(e.ts[i].Lifecycle) < lifecycleOrder(e.ts[j].Lifecycle)
	})
	return e.ts
}

// Next applies one observation of a cluster to its state and returns the
// new state and the transitions it made, in lifecycle order. It is the
// lifecycle state machine. Repeating an observation emits nothing.
//
// Signals (crossplane-runtime and upjet conditions and annotations, and the
// cloud state the profile names):
//
//	exists    external-create-succeeded present; or Ready=False/Creating
//	          with Synced=True; or an upjet LastAsyncOperation present; or
//	          Ready=True, False/Unavailable or False/Deleting; or a cloud
//	          state or cloud id reported; or ready before.
//	healthy   Ready=True, and where Ready alone does not mean healthy
//	          (upjet kinds with a cloud state) a cloud state that is
//	          healthy or says nothing; or Ready=False/Unavailable while the
//	          cloud state is healthy (classic EKS reports UPDATING so).
//	          A healthy cloud state while Ready is not yet True is still
//	          provisioning: upjet keeps Ready=Creating until its
//	          asynchronous create returns, and Ready then tells the truth.
//	sick      Ready=False/Unavailable (cloud state not healthy); a cloud
//	          state degraded or deleting while Ready=True; Ready=False/
//	          Creating after ready (the cloud resource vanished and is
//	          being re-created); Ready=False for any other reason.
//	broken    a failed cloud state, while Ready=True, Creating or
//	          Unavailable.
//	createFail external-create-failed newer than external-create-
//	          succeeded, or LastAsyncOperation=False/AsyncCreateFailure or
//	          ApplyFailure.
//
// Transitions, by previous phase (first sight starts from Pending; a
// missing Ready condition changes no phase):
//
//	from                    on                      emits                  to
//	any but Deleting        deletionTimestamp set   created (if exists and deleting
//	                                                not yet), deleting
//	Deleting                anything                nothing                Deleting
//	Pending, Provisioning,  healthy                 created (if not yet),  Ready
//	Failed                                          ready
//	Pending, Provisioning   createFail or broken    created (if exists and Failed
//	                                                not yet), failed
//	Failed                  createFail or broken    nothing                Failed
//	Pending, Provisioning,  otherwise               created (if exists and Provisioning once
//	Failed                                          not yet)               created, else Pending
//	Ready                   healthy                 upgraded if the        Ready
//	                                                version changed
//	Ready                   sick or broken          degraded               Degraded
//	Degraded                healthy                 recovered (+upgraded)  Ready
//	Degraded                sick or broken          nothing (+upgraded)    Degraded
//	Ready, Degraded         provisioning, unknown   nothing (+upgraded)    unchanged
//	Deleted                 anything                nothing                Deleted
//
// A failed create is only a create failure before the cluster was ready;
// afterwards the same signals are sick at most. Synced=False changes no
// phase by itself; it gives the signals below.
//
// Signals, besides the phase, of a created cluster that is not deleting:
//
//	paused    the crossplane.io/paused annotation is "true" or Synced is
//	          False/ReconcilePaused, and paused was not emitted yet;
//	          resumed once neither holds.
//	outOfSync Ready=True and Synced=False (not paused) while Ready or
//	          Degraded, for at least a threshold of c.OutOfSyncAfter as
//	          c.Now tells, once per threshold (see Elapse); inSync for
//	          each open one once Synced=True.
//	flapping  a degraded or recovered that makes more than a damping's
//	          Transitions within its Window, once per damping of
//	          c.Flapping; the degraded and recovered of the episode name
//	          the damping in HeldFor. stable a Window after the last of
//	          them (see Elapse), or at the deletion.
//
// Upgraded is emitted when the observed Kubernetes version changes from
// one non-empty value to another while the cluster is and was Ready or
// Degraded; a version first reported while provisioning is carried by the
// ready transition instead.
//
// Times are pure functions of the object, never of the provider's clock:
// created, the succeeded annotation, else Ready's lastTransitionTime while
// Ready is Creating, else creationTimestamp. ready, Ready's
// lastTransitionTime. degraded and failed, the lastTransitionTime of the
// condition that changed (Ready, LastAsyncOperation) or the failed
// annotation. recovered, Ready's lastTransitionTime where Ready alone tells
// health. deleting, deletionTimestamp. upgraded, and any transition the
// object records no time for (one driven by a cloud state while Ready does
// not change), o.Latest: the newest time the object carries, with the
// observed value (the new version, the cloud state) in Value so that its
// id differs from another transition of the same lifecycle at that time.
// Reason and Message: the condition (Ready, LastAsyncOperation, Synced for
// a failed create call) or the cloud state that caused the transition.
func Next(p *catalog.Profile, prev State, o Observation, c Context) (State, []Transition) {
	if prev.Phase == v1alpha1.PhaseDeleted {
		return prev, nil
	}
	s := prev
	if s.Phase == "" {
		s.Phase = v1alpha1.PhasePending
	}
	version := o.Facts.KubernetesVersion
	if version == "" {
		version = prev.KubernetesVersion
	}
	s.KubernetesVersion = version
	if prev.Phase == v1alpha1.PhaseDeleting {
		return s, nil
	}

	e := &emitter{c: c, version: version, latest: o.Latest, value: o.Facts.CloudState}
	beenReady := prev.Phase == v1alpha1.PhaseReady || prev.Phase == v1alpha1.PhaseDegraded
	created := func() {
		if !s.Created {
			e.add(v1alpha1.LifecycleCreated, createdAt(o), readyCause(o))
			s.Created = true
		}
	}
	if exists(o, beenReady) {
		created()
	}

	if !o.DeletionTimestamp.IsZero() {
		s.SyncLost, s.SyncReason, s.SyncMessage = time.Time{}, "", ""
		why := cause{}
		if o.Ready.Reason == ReasonDeleting {
			why = readyCause(o)
		}
		s = e.endFlaps(s, o.DeletionTimestamp)
		e.add(v1alpha1.LifecycleDeleting, o.DeletionTimestamp, why)
		s.Phase = v1alpha1.PhaseDeleting
		return s, e.done()
	}

	v, why := assess(p, o, beenReady)
	failWhy, failed := createFailure(o)
	switch {
	case v == verdictHealthy:
		created()
		switch prev.Phase {
		case v1alpha1.PhaseReady:
		case v1alpha1.PhaseDegraded:
			at := time.Time{}
			if o.Ready.Status == StatusTrue && (readyMeansHealthy(p) || !p.HasCloudState()) {
				at = o.Ready.LastTransitionTime
			}
			e.add(v1alpha1.LifecycleRecovered, at, why)
		default:
			at := time.Time{}
			if o.Ready.Status == StatusTrue {
				at = o.Ready.LastTransitionTime
			}
			e.add(v1alpha1.LifecycleReady, at, why)
		}
		s.Phase = v1alpha1.PhaseReady
	case beenReady && (v == verdictSick || v == verdictBroken):
		if prev.Phase == v1alpha1.PhaseReady {
			e.add(v1alpha1.LifecycleDegraded, why.at, why)
		}
		s.Phase = v1alpha1.PhaseDegraded
	case beenReady:
		// Provisioning or unknown after ready says nothing new.
	case failed || v == verdictBroken:
		if !failed {
			failWhy = why
		}
		if prev.Phase != v1alpha1.PhaseFailed {
			e.add(v1alpha1.LifecycleFailed, failWhy.at, failWhy)
		}
		s.Phase = v1alpha1.PhaseFailed
	case prev.Phase == v1alpha1.PhaseFailed && v == verdictUnknown:
		// Nothing tells that a new create is under way.
	case s.Created:
		s.Phase = v1alpha1.PhaseProvisioning
	default:
		s.Phase = v1alpha1.PhasePending
	}

	stillUp := s.Phase == v1alpha1.PhaseReady || s.Phase == v1alpha1.PhaseDegraded
	if beenReady && stillUp && prev.KubernetesVersion != "" && o.Facts.KubernetesVersion != "" &&
		o.Facts.KubernetesVersion != prev.KubernetesVersion {
		e.value = o.Facts.KubernetesVersion
		e.add(v1alpha1.LifecycleUpgraded, time.Time{}, cause{})
		e.ts[len(e.ts)-1].PreviousVersion = prev.KubernetesVersion
	}
	e.value = ""
	s = e.flap(s)
	s = e.pause(s, o)
	s = e.sync(s, o)
	return s, e.done()
}

// Gone records that a cluster's object disappeared (a watch DELETE, or
// missing when the provider starts): it emits deleted once, whether or not
// deleting was seen first. Its time is last, the latest time the final
// object carried as the caller recorded it (in practice its
// deletionTimestamp): the object itself is gone, and what was recorded of
// it is the same whether the deletion is seen live or after a restart.
func Gone(prev State, last time.Time, c Context) (State, []Transition) {
	if prev.Phase == v1alpha1.PhaseDeleted {
		return prev, nil
	}
	s := prev
	s.Phase = v1alpha1.PhaseDeleted
	e := &emitter{c: c, version: prev.KubernetesVersion}
	e.add(v1alpha1.LifecycleDeleted, last, cause{})
	return s, e.done()
}

// Normalize is the (profile, old object, new object) form of Next: the
// state before is what first sight of oldObj leads to (nil oldObj is
// first sight of newObj), and a nil newObj means the object is gone, at the
// latest time oldObj carries. It suits callers that hold objects rather
// than states; it cannot know a past that oldObj does not show (such as a
// degradation already reported), which State carries.
func Normalize(p *catalog.Profile, oldObj, newObj *unstructured.Unstructured, c Context) []Transition {
	var prev State
	var last time.Time
	if oldObj != nil {
		o := Observe(p, oldObj)
		prev, _ = Next(p, State{}, o, Context{})
		last = o.Latest
	}
	if newObj == nil {
		if oldObj == nil {
			return nil
		}
		_, ts := Gone(prev, last, c)
		return ts
	}
	_, ts := Next(p, prev, Observe(p, newObj), c)
	return ts
}
