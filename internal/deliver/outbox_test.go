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

package deliver

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
)

// fastRetries keeps retry tests quick.
var fastRetries = RetryPolicy{Retry: 10, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond}

// startOutbox runs o until the returned stop is called, which waits for
// Start to return.
func startOutbox(t *testing.T, o *Outbox) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- o.Start(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Errorf("o.Start(...): %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func notifyAll(o *Outbox, keys map[string][]Pending) {
	for k := range keys {
		o.Notify(k)
	}
}

// attemptsOf counts requests per event id.
func attemptsOf(reqs []request) map[string]int {
	out := map[string]int{}
	for _, r := range reqs {
		out[r.ID]++
	}
	return out
}

func TestOutboxDelivery(t *testing.T) {
	type args struct {
		keys       map[string][]Pending
		sink       func(id string, previous int) int
		deadLetter func(id string, previous int) int
		policy     RetryPolicy
		failReads  int
	}
	type want struct {
		done        map[string][]done
		accepted    map[string][]string
		deadLetters map[string][]string
		attempts    map[string]int
	}
	ok := func(string, int) int { return http.StatusOK }
	three := map[string][]Pending{"a": transitions("a", 3, 2), "b": transitions("b", 3, 2), "c": transitions("c", 3, 2)}
	delivered := func(n int) []done {
		d := make([]done, 0, n)
		for s := 1; s <= n; s++ {
			d = append(d, done{Seq: int64(s), Outcome: OutcomeDelivered})
		}
		return d
	}
	each := func(ps map[string][]Pending, n int) map[string]int {
		out := map[string]int{}
		for _, p := range ps {
			for _, id := range expectedIDs(p) {
				out[id] = n
			}
		}
		return out
	}

	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"RetriesUntilAccepted": {
			reason: "A sink that answers 503 twice to every event gets every event, per key in order, each retried with the id of its first attempt.",
			args: args{
				keys: three,
				sink: func(_ string, previous int) int {
					if previous < 2 {
						return http.StatusServiceUnavailable
					}
					return http.StatusOK
				},
				policy: fastRetries,
			},
			want: want{
				done:     map[string][]done{"a": delivered(3), "b": delivered(3), "c": delivered(3)},
				accepted: map[string][]string{"a": expectedIDs(three["a"]), "b": expectedIDs(three["b"]), "c": expectedIDs(three["c"])},
				attempts: each(three, 3),
			},
		},
		"ReadErrorsRetried": {
			reason: "A ledger that cannot be read for a while delays delivery but loses nothing.",
			args:   args{keys: three, sink: ok, policy: fastRetries, failReads: 4},
			want: want{
				done:     map[string][]done{"a": delivered(3), "b": delivered(3), "c": delivered(3)},
				accepted: map[string][]string{"a": expectedIDs(three["a"]), "b": expectedIDs(three["b"]), "c": expectedIDs(three["c"])},
				attempts: each(three, 1),
			},
		},
		"RejectedGoesToDeadLetter": {
			reason: "An event the sink refuses is retried Retry times, then goes to the dead-letter sink and is done as dead-lettered; the next one is sent normally.",
			args: args{
				keys: map[string][]Pending{"a": transitions("a", 2, 1)},
				sink: func(id string, _ int) int {
					if id == "a-1-0" {
						return http.StatusBadRequest
					}
					return http.StatusOK
				},
				deadLetter: ok,
				policy:     fastRetries,
			},
			want: want{
				done:        map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDeadLettered}, {Seq: 2, Outcome: OutcomeDelivered}}},
				accepted:    map[string][]string{"a": {"a-2-0"}},
				deadLetters: map[string][]string{"a": {"a-1-0"}},
				attempts:    map[string]int{"a-1-0": 11, "a-2-0": 1},
			},
		},
		"ExhaustedRetriesGoToDeadLetter": {
			reason: "An event the sink keeps failing goes to the dead-letter sink after Retry retries.",
			args: args{
				keys: map[string][]Pending{"a": transitions("a", 2, 1)},
				sink: func(id string, _ int) int {
					if id == "a-1-0" {
						return http.StatusServiceUnavailable
					}
					return http.StatusOK
				},
				deadLetter: ok,
				policy:     RetryPolicy{Retry: 3, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
			},
			want: want{
				done:        map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDeadLettered}, {Seq: 2, Outcome: OutcomeDelivered}}},
				accepted:    map[string][]string{"a": {"a-2-0"}},
				deadLetters: map[string][]string{"a": {"a-1-0"}},
				attempts:    map[string]int{"a-1-0": 4, "a-2-0": 1},
			},
		},
		"DeadLetterRetriedUntilAccepted": {
			reason: "A dead-letter sink that fails now and then is retried with backoff until it accepts; the sink is not tried again.",
			args: args{
				keys: map[string][]Pending{"a": transitions("a", 1, 1)},
				sink: func(string, int) int { return http.StatusForbidden },
				deadLetter: func(_ string, previous int) int {
					if previous < 2 {
						return http.StatusBadGateway
					}
					return http.StatusOK
				},
				policy: fastRetries,
			},
			want: want{
				done:        map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDeadLettered}}},
				deadLetters: map[string][]string{"a": {"a-1-0"}},
				attempts:    map[string]int{"a-1-0": 11},
			},
		},
		"RejectedGivenUpWithoutDeadLetter": {
			reason: "Without a dead-letter sink an event the sink refuses on every attempt is given up after Retry retries, and the next one goes out.",
			args: args{
				keys: map[string][]Pending{"a": transitions("a", 2, 1)},
				sink: func(id string, _ int) int {
					if id == "a-1-0" {
						return http.StatusRequestEntityTooLarge
					}
					return http.StatusOK
				},
				policy: RetryPolicy{Retry: 3, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
			},
			want: want{
				done:     map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDropped}, {Seq: 2, Outcome: OutcomeDelivered}}},
				accepted: map[string][]string{"a": {"a-2-0"}},
				attempts: map[string]int{"a-1-0": 4, "a-2-0": 1},
			},
		},
		"DeadLetterRefusesToo": {
			reason: "An event the sink and the dead-letter sink both refuse is given up, and the next one goes out.",
			args: args{
				keys: map[string][]Pending{"a": transitions("a", 2, 1)},
				sink: func(id string, _ int) int {
					if id == "a-1-0" {
						return http.StatusBadRequest
					}
					return http.StatusOK
				},
				deadLetter: func(string, int) int { return http.StatusBadRequest },
				policy:     RetryPolicy{Retry: 2, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
			},
			want: want{
				done:     map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDropped}, {Seq: 2, Outcome: OutcomeDelivered}}},
				accepted: map[string][]string{"a": {"a-2-0"}},
				attempts: map[string]int{"a-1-0": 3, "a-2-0": 1},
			},
		},
		"DeadLetterKeepsFailing": {
			reason: "An event the sink refuses and the dead-letter sink cannot take within Retry retries is given up.",
			args: args{
				keys:       map[string][]Pending{"a": transitions("a", 1, 1)},
				sink:       func(string, int) int { return http.StatusBadRequest },
				deadLetter: func(string, int) int { return http.StatusServiceUnavailable },
				policy:     RetryPolicy{Retry: 2, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
			},
			want: want{
				done:     map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDropped}}},
				attempts: map[string]int{"a-1-0": 3},
			},
		},
		"OutageOfBothLosesNothing": {
			reason: "An event the sink cannot take now, and the dead-letter sink cannot either, goes back to the sink and is delivered when it recovers.",
			args: args{
				keys: map[string][]Pending{"a": transitions("a", 1, 1)},
				sink: func(_ string, previous int) int {
					if previous < 5 {
						return http.StatusServiceUnavailable
					}
					return http.StatusOK
				},
				deadLetter: func(string, int) int { return http.StatusBadGateway },
				policy:     RetryPolicy{Retry: 1, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond},
			},
			want: want{
				done:     map[string][]done{"a": delivered(1)},
				accepted: map[string][]string{"a": {"a-1-0"}},
				attempts: map[string]int{"a-1-0": 6},
			},
		},
		"PartlyDeadLettered": {
			reason: "When one event of a transition is dead-lettered the rest still go to the sink, in order, and the transition is dead-lettered.",
			args: args{
				keys: map[string][]Pending{"a": transitions("a", 1, 2)},
				sink: func(id string, _ int) int {
					if id == "a-1-0" {
						return http.StatusUnprocessableEntity
					}
					return http.StatusOK
				},
				deadLetter: ok,
				policy:     fastRetries,
			},
			want: want{
				done:        map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDeadLettered}}},
				accepted:    map[string][]string{"a": {"a-1-1"}},
				deadLetters: map[string][]string{"a": {"a-1-0"}},
				attempts:    map[string]int{"a-1-0": 11, "a-1-1": 1},
			},
		},
		"EmptyTransition": {
			reason: "A transition with no event for this sink is done without a request.",
			args:   args{keys: map[string][]Pending{"a": {{Seq: 1}}}, sink: ok, policy: fastRetries},
			want: want{
				done:     map[string][]done{"a": delivered(1)},
				attempts: map[string]int{},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sink := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, previous int) int {
				return tc.args.sink(r.Header.Get("Ce-Id"), previous)
			})
			src := newMemSource(tc.args.keys)
			src.failReads = tc.args.failReads
			opts := []OutboxOption{WithRetryPolicy(tc.args.policy), WithJitter(fixedJitter(0.5)), WithName(name)}
			var dlq *sinkServer
			if tc.args.deadLetter != nil {
				dlq = newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, previous int) int {
					return tc.args.deadLetter(r.Header.Get("Ce-Id"), previous)
				})
				opts = append(opts, WithDeadLetter(newTestSender(t, SinkConfig{URL: dlq.URL})))
			}
			o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src, opts...)
			stop := startOutbox(t, o)
			notifyAll(o, tc.args.keys)
			waitFor(t, 10*time.Second, "every transition to be done", func() bool { return src.doneCount() == src.total })
			waitFor(t, 5*time.Second, "every key to be up to date", func() bool { return o.Waiting() == 0 })
			stop()

			if diff := cmp.Diff(tc.want.done, src.allDone()); diff != "" {
				t.Errorf("\n%s\nSource.Done calls: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.accepted, sink.accepted(), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\nevents the sink accepted, per key: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.attempts, attemptsOf(sink.all())); diff != "" {
				t.Errorf("\n%s\nrequests to the sink per event id: -want, +got:\n%s", tc.reason, diff)
			}
			var deadLetters map[string][]string
			if dlq != nil {
				deadLetters = dlq.accepted()
			}
			if diff := cmp.Diff(tc.want.deadLetters, deadLetters, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\nevents the dead-letter sink accepted, per key: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// attemptRecord is one Observer call.
type attemptRecord struct {
	Key        string
	Seq        int64
	Class      Class
	Attempt    int
	DeadLetter bool
}

// recordingObserver records every attempt, on the sink and the dead-letter
// sink.
type recordingObserver struct {
	mu       sync.Mutex
	attempts []attemptRecord
	messages []string
	drops    []dropRecord
}

// dropRecord is one DropObserver call.
type dropRecord struct {
	Key    string
	Seq    int64
	ID     string
	Reason string
	Class  Class
}

func (r *recordingObserver) Attempted(key string, p Pending, res Result, attempt int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, attemptRecord{Key: key, Seq: p.Seq, Class: res.Class, Attempt: attempt})
	r.messages = append(r.messages, res.Message)
}

func (r *recordingObserver) DeadLetterAttempted(key string, p Pending, res Result, attempt int, _ time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.attempts = append(r.attempts, attemptRecord{Key: key, Seq: p.Seq, Class: res.Class, Attempt: attempt, DeadLetter: true})
	r.messages = append(r.messages, res.Message)
}

func (r *recordingObserver) Dropped(key string, p Pending, e cloudevents.Event, reason string, last Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drops = append(r.drops, dropRecord{Key: key, Seq: p.Seq, ID: e.ID(), Reason: reason, Class: last.Class})
}

func (r *recordingObserver) dropped() []dropRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]dropRecord(nil), r.drops...)
}

func (r *recordingObserver) all() []attemptRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]attemptRecord(nil), r.attempts...)
}

func TestOutboxObserver(t *testing.T) {
	sink := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, previous int) int {
		switch {
		case r.Header.Get("Ce-Id") == "a-2-0":
			return http.StatusBadRequest
		case previous < 2:
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	dlq := newSinkServer(t, func(_ http.ResponseWriter, _ *http.Request, previous int) int {
		if previous < 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	keys := map[string][]Pending{"a": transitions("a", 2, 1)}
	src := newMemSource(keys)
	ob := &recordingObserver{}
	o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src,
		WithRetryPolicy(RetryPolicy{Retry: 2, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond}),
		WithJitter(fixedJitter(0)), WithObserver(ob),
		WithDeadLetter(newTestSender(t, SinkConfig{URL: dlq.URL})))
	startOutbox(t, o)
	notifyAll(o, keys)
	waitFor(t, 10*time.Second, "every transition to be done", func() bool { return src.doneCount() == src.total })

	want := []attemptRecord{
		{Key: "a", Seq: 1, Class: Retryable, Attempt: 1},
		{Key: "a", Seq: 1, Class: Retryable, Attempt: 2},
		{Key: "a", Seq: 1, Class: Delivered, Attempt: 3},
		{Key: "a", Seq: 2, Class: Rejected, Attempt: 1},
		{Key: "a", Seq: 2, Class: Rejected, Attempt: 2},
		{Key: "a", Seq: 2, Class: Rejected, Attempt: 3},
		{Key: "a", Seq: 2, Class: Retryable, Attempt: 1, DeadLetter: true},
		{Key: "a", Seq: 2, Class: Delivered, Attempt: 2, DeadLetter: true},
	}
	if diff := cmp.Diff(want, ob.all()); diff != "" {
		t.Errorf("\nThe observer hears of every attempt, numbered per event and target, with dead-letter attempts kept apart.\nattempts: -want, +got:\n%s", diff)
	}
}

func TestOutboxNeverDropsWithoutDeadLetter(t *testing.T) {
	sink := newSinkServer(t, func(http.ResponseWriter, *http.Request, int) int { return http.StatusServiceUnavailable })
	keys := map[string][]Pending{"a": transitions("a", 1, 1)}
	src := newMemSource(keys)
	ob := &recordingObserver{}
	o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src,
		WithRetryPolicy(RetryPolicy{Retry: 2, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond}), WithObserver(ob))
	stop := startOutbox(t, o)
	o.Notify("a")
	waitFor(t, 10*time.Second, "six attempts", func() bool { return sink.count() >= 6 })
	stop()

	const reason = "Without a dead-letter sink an event the sink cannot take now stays pending and is retried past Retry, never done: an outage loses nothing."
	if diff := cmp.Diff(map[string][]done{}, src.allDone()); diff != "" {
		t.Errorf("\n%s\nSource.Done calls: -want, +got:\n%s", reason, diff)
	}
	for i, a := range ob.all() {
		want := attemptRecord{Key: "a", Seq: 1, Class: Retryable, Attempt: i + 1}
		if diff := cmp.Diff(want, a); diff != "" {
			t.Errorf("\n%s\nattempt %d: -want, +got:\n%s", reason, i+1, diff)
		}
	}
	if diff := cmp.Diff([]dropRecord(nil), ob.dropped()); diff != "" {
		t.Errorf("\n%s\nevents given up: -want, +got:\n%s", reason, diff)
	}
	if diff := cmp.Diff(1, o.Waiting()); diff != "" {
		t.Errorf("\n%s\no.Waiting(): -want, +got:\n%s", reason, diff)
	}
}

func TestOutboxGivesUpVisibly(t *testing.T) {
	type args struct {
		sink       int
		deadLetter int
	}
	type want struct {
		drops []dropRecord
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"RefusedNoDeadLetter": {
			reason: "An event the sink refuses, with no dead-letter sink, is given up as rejected, once, and the observer hears of it.",
			args:   args{sink: http.StatusBadRequest},
			want:   want{drops: []dropRecord{{Key: "a", Seq: 1, ID: "a-1-0", Reason: DropRejected, Class: Rejected}}},
		},
		"DeadLetterRefuses": {
			reason: "An event both sinks refuse is given up as dead_letter_failed.",
			args:   args{sink: http.StatusUnprocessableEntity, deadLetter: http.StatusForbidden},
			want:   want{drops: []dropRecord{{Key: "a", Seq: 1, ID: "a-1-0", Reason: DropDeadLetterFailed, Class: Rejected}}},
		},
		"DeadLetterDown": {
			reason: "An event the sink refuses and the dead-letter sink cannot take is given up as dead_letter_failed.",
			args:   args{sink: http.StatusBadRequest, deadLetter: http.StatusServiceUnavailable},
			want:   want{drops: []dropRecord{{Key: "a", Seq: 1, ID: "a-1-0", Reason: DropDeadLetterFailed, Class: Retryable}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sink := newSinkServer(t, func(http.ResponseWriter, *http.Request, int) int { return tc.args.sink })
			keys := map[string][]Pending{"a": transitions("a", 1, 1)}
			src := newMemSource(keys)
			ob := &recordingObserver{}
			opts := []OutboxOption{WithRetryPolicy(RetryPolicy{Retry: 1, BackoffDelay: time.Millisecond, MaxBackoff: 5 * time.Millisecond}), WithObserver(ob)}
			if tc.args.deadLetter != 0 {
				dlq := newSinkServer(t, func(http.ResponseWriter, *http.Request, int) int { return tc.args.deadLetter })
				opts = append(opts, WithDeadLetter(newTestSender(t, SinkConfig{URL: dlq.URL})))
			}
			o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src, opts...)
			startOutbox(t, o)
			o.Notify("a")
			waitFor(t, 10*time.Second, "the transition to be done", func() bool { return src.doneCount() == 1 })
			waitFor(t, 5*time.Second, "the key to be up to date", func() bool { return o.Waiting() == 0 })

			if diff := cmp.Diff(map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDropped}}}, src.allDone()); diff != "" {
				t.Errorf("\n%s\nSource.Done calls: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.drops, ob.dropped()); diff != "" {
				t.Errorf("\n%s\nevents given up: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOutboxRetryAfter(t *testing.T) {
	type args struct {
		retryAfter string
		policy     RetryPolicy
	}
	type want struct {
		minGap time.Duration
		maxGap time.Duration
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Honoured": {
			reason: "A 429 with Retry-After: 1 holds the next attempt back a second, far beyond the backoff.",
			args:   args{retryAfter: "1", policy: RetryPolicy{Retry: 10, BackoffDelay: 5 * time.Millisecond, MaxBackoff: 5 * time.Second}},
			want:   want{minGap: time.Second, maxGap: 3 * time.Second},
		},
		"CappedAtMaxBackoff": {
			reason: "A Retry-After longer than MaxBackoff waits only MaxBackoff.",
			args:   args{retryAfter: "3600", policy: RetryPolicy{Retry: 10, BackoffDelay: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}},
			want:   want{minGap: 20 * time.Millisecond, maxGap: 900 * time.Millisecond},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sink := newSinkServer(t, func(w http.ResponseWriter, _ *http.Request, previous int) int {
				if previous == 0 {
					w.Header().Set("Retry-After", tc.args.retryAfter)
					return http.StatusTooManyRequests
				}
				return http.StatusOK
			})
			keys := map[string][]Pending{"a": transitions("a", 1, 1)}
			src := newMemSource(keys)
			o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src, WithRetryPolicy(tc.args.policy), WithJitter(fixedJitter(0)))
			startOutbox(t, o)
			o.Notify("a")
			waitFor(t, 10*time.Second, "the transition to be done", func() bool { return src.doneCount() == 1 })

			reqs := sink.all()
			if len(reqs) != 2 {
				t.Fatalf("\n%s\nrequests: want 2, got %d", tc.reason, len(reqs))
			}
			gap := reqs[1].At.Sub(reqs[0].At)
			if gap < tc.want.minGap || gap > tc.want.maxGap {
				t.Errorf("\n%s\ngap between attempts: want [%s, %s], got %s", tc.reason, tc.want.minGap, tc.want.maxGap, gap)
			}
		})
	}
}

func TestOutboxSlowKeyDoesNotBlockOthers(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	sink := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, _ int) int {
		if r.Header.Get("Ce-Subject") == "slow" {
			select {
			case arrived <- struct{}{}:
			default:
			}
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		return http.StatusOK
	})
	keys := map[string][]Pending{"slow": transitions("slow", 2, 1)}
	for _, k := range []string{"a", "b", "c", "d"} {
		keys[k] = transitions(k, 3, 1)
	}
	src := newMemSource(keys)
	o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src, WithWorkers(2), WithRetryPolicy(fastRetries))
	startOutbox(t, o)
	o.Notify("slow")
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the slow key never reached the sink")
	}
	notifyAll(o, keys)

	waitFor(t, 10*time.Second, "the other keys to be done while the slow one hangs", func() bool {
		return src.doneCount() == src.total-2
	})
	if got := src.doneOf("slow"); len(got) != 0 {
		t.Errorf("\nThe hanging key cannot be done before its sink answers.\nSource.Done(slow): %v", got)
	}
	close(release)
	waitFor(t, 10*time.Second, "the slow key to be done", func() bool { return src.doneCount() == src.total })

	want := map[string][]string{}
	for k, ps := range keys {
		want[k] = expectedIDs(ps)
	}
	if diff := cmp.Diff(want, sink.accepted()); diff != "" {
		t.Errorf("\nEvery key is delivered in order.\nevents the sink accepted, per key: -want, +got:\n%s", diff)
	}
}

func TestOutboxNotifyDeduplicates(t *testing.T) {
	type args struct {
		keys    []string
		repeats int
	}
	type want struct {
		queued  int
		waiting int
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"OneKey": {
			reason: "A key notified 100,000 times is held once.",
			args:   args{keys: []string{"a"}, repeats: 100_000},
			want:   want{queued: 1, waiting: 1},
		},
		"ThreeKeys": {
			reason: "Memory follows distinct keys, not notifications.",
			args:   args{keys: []string{"a", "b", "c"}, repeats: 30_000},
			want:   want{queued: 3, waiting: 3},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := NewOutbox(nil, newMemSource(nil))
			for range tc.args.repeats {
				for _, k := range tc.args.keys {
					o.Notify(k)
				}
			}
			got := want{queued: o.keys.Len(), waiting: o.Waiting()}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nqueue: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOutboxStop(t *testing.T) {
	type args struct {
		releaseAfter time.Duration
		drain        time.Duration
	}
	type want struct {
		done     map[string][]done
		maxAfter time.Duration
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"DrainsInFlight": {
			reason: "Stopping waits for the attempt in flight, which completes and is done.",
			args:   args{releaseAfter: 50 * time.Millisecond, drain: 5 * time.Second},
			want:   want{done: map[string][]done{"a": {{Seq: 1, Outcome: OutcomeDelivered}}}, maxAfter: 3 * time.Second},
		},
		"CancelsAfterDrainTimeout": {
			reason: "Stopping cancels an attempt still in flight after the drain timeout; the event stays pending.",
			args:   args{releaseAfter: time.Hour, drain: 50 * time.Millisecond},
			want:   want{done: map[string][]done{}, maxAfter: 3 * time.Second},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			arrived := make(chan struct{}, 1)
			sink := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, _ int) int {
				select {
				case arrived <- struct{}{}:
				default:
				}
				select {
				case <-time.After(tc.args.releaseAfter):
				case <-r.Context().Done():
				}
				return http.StatusOK
			})
			keys := map[string][]Pending{"a": transitions("a", 2, 1)}
			src := newMemSource(keys)
			o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src, WithDrainTimeout(tc.args.drain), WithRetryPolicy(fastRetries))
			stop := startOutbox(t, o)
			o.Notify("a")
			select {
			case <-arrived:
			case <-time.After(5 * time.Second):
				t.Fatal("the first attempt never reached the sink")
			}
			begin := time.Now()
			stop()
			took := time.Since(begin)

			if diff := cmp.Diff(tc.want.done, src.allDone()); diff != "" {
				t.Errorf("\n%s\nSource.Done calls: -want, +got:\n%s", tc.reason, diff)
			}
			if took > tc.want.maxAfter {
				t.Errorf("\n%s\nStart returned %s after its context was cancelled; want at most %s", tc.reason, took, tc.want.maxAfter)
			}
			if n := sink.count(); n > 1 {
				t.Errorf("\n%s\nno attempt may start after the stop; the sink saw %d", tc.reason, n)
			}
			before := o.Waiting()
			o.Notify("late")
			if diff := cmp.Diff(before, o.Waiting()); diff != "" {
				t.Errorf("\n%s\nNotify after stop must be ignored: o.Waiting(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestOutboxStartTwice(t *testing.T) {
	o := NewOutbox(nil, newMemSource(nil))
	startOutbox(t, o)
	waitFor(t, time.Second, "the outbox to start", o.started.Load)
	err := o.Start(context.Background())
	if diff := cmp.Diff(errors.New(errAlreadyStarted), err, test.EquateErrors()); diff != "" {
		t.Errorf("\nAn outbox runs once.\no.Start(...): -want error, +got error:\n%s", diff)
	}
}

func TestOutboxManyKeys(t *testing.T) {
	keys := map[string][]Pending{}
	for i := range 200 {
		k := "k" + strconv.Itoa(i)
		keys[k] = transitions(k, 3, 2)
	}
	sink := newSinkServer(t, func(_ http.ResponseWriter, _ *http.Request, previous int) int {
		if previous == 0 {
			return http.StatusBadGateway
		}
		return http.StatusNoContent
	})
	src := newMemSource(keys)
	o := NewOutbox(newTestSender(t, SinkConfig{URL: sink.URL}), src, WithRetryPolicy(fastRetries))
	startOutbox(t, o)
	notifyAll(o, keys)
	waitFor(t, 30*time.Second, "every transition to be done", func() bool { return src.doneCount() == src.total })

	want := map[string][]string{}
	for k, ps := range keys {
		want[k] = expectedIDs(ps)
	}
	if diff := cmp.Diff(want, sink.accepted()); diff != "" {
		t.Errorf("\nWith many keys and a flaky sink, every key is still delivered completely and in order.\nevents the sink accepted, per key: -want, +got:\n%s", diff)
	}
}

// TestOutboxOldest: the age of a sink's backlog is the age of the key that
// has waited longest, kept across its transitions until it is up to date.
func TestOutboxOldest(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	o := NewOutbox(nil, nil)
	o.now = func() time.Time { return now }
	if !o.Oldest().IsZero() {
		t.Errorf("Oldest() of an empty outbox: want the zero time")
	}
	o.Notify("a")
	now = now.Add(time.Minute)
	o.Notify("b")
	o.Notify("a")
	if got, want := o.Oldest(), now.Add(-time.Minute); !got.Equal(want) {
		t.Errorf("Oldest(): want %s (a, notified first), got %s", want, got)
	}
	o.forget("a")
	if got := o.Oldest(); !got.Equal(now) {
		t.Errorf("Oldest() once a is up to date: want %s, got %s", now, got)
	}
}
