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

package discovery

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	utilnet "k8s.io/apimachinery/pkg/util/net"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
)

// Backoff of lists and watches while the API server cannot answer them.
// client-go's reflector backs off by itself too, but its delay grows to
// 30-60 s and shrinks again only after two quiet minutes: two API server
// restarts in a row (a rollout) would leave every cluster kind unwatched
// for minutes after the API server is back. The retry gate keeps those
// failures from the reflector and probes the API server at most every few
// seconds.
const (
	outageRetryBase = 250 * time.Millisecond
	outageRetryMax  = 5 * time.Second
)

// A retryGate holds back the lists and watches of one watch while the API
// server fails them for reasons that pass (it restarts, it throttles, it is
// unreachable), and lets them go again once one succeeds.
type retryGate struct {
	log      logging.Logger
	failures prometheus.Counter // may be nil
	base     time.Duration
	max      time.Duration
	now      func() time.Time

	mu    sync.Mutex
	delay time.Duration // zero while the API server answers
	until time.Time     // no request before this
	since time.Time     // when the current outage began
}

// newRetryGate returns a gate that logs to log and counts every failure in
// failures, when not nil.
func newRetryGate(log logging.Logger, failures prometheus.Counter) *retryGate {
	return &retryGate{log: log, failures: failures, base: outageRetryBase, max: outageRetryMax, now: time.Now}
}

// do runs call until it succeeds, fails for a reason that does not pass, or
// ctx is done. Calls wait for the gate: while the API server is down, a
// watch tries again every few seconds at most.
func do[T any](ctx context.Context, g *retryGate, what string, call func(context.Context) (T, error)) (T, error) {
	for {
		if err := g.wait(ctx); err != nil {
			var zero T
			return zero, err
		}
		v, err := call(ctx)
		switch {
		case err == nil:
			g.succeeded()
			return v, nil
		case ctx.Err() != nil || !passing(err):
			return v, err
		}
		g.failed(what, err)
	}
}

// wait returns when the gate is open, or ctx is done.
func (g *retryGate) wait(ctx context.Context) error {
	g.mu.Lock()
	d := g.until.Sub(g.now())
	g.mu.Unlock()
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failed closes the gate for the next delay.
func (g *retryGate) failed(what string, err error) {
	if g.failures != nil {
		g.failures.Inc()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if g.delay == 0 {
		g.since = now
		g.log.Info("The API server cannot answer; retrying until it does", "request", what, "error", err)
	} else {
		g.log.Debug("The API server still cannot answer", "request", what, "error", err, "since", g.since)
	}
	g.delay = min(max(2*g.delay, g.base), g.max)
	// Up to a quarter less, so the watches of many kinds do not all try at
	// one instant.
	g.until = now.Add(g.delay - time.Duration(rand.Int64N(int64(g.delay)/4+1))) //nolint:gosec // Jitter, not security.
}

// succeeded opens the gate.
func (g *retryGate) succeeded() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.delay == 0 {
		return
	}
	g.log.Info("The API server answers again", "after", g.now().Sub(g.since).Round(time.Millisecond))
	g.delay, g.until, g.since = 0, time.Time{}, time.Time{}
}

// passing tells whether a failed list or watch may succeed when simply made
// again: the API server is restarting, throttling, overloaded or
// unreachable. Answers that mean something (forbidden, not found, expired,
// invalid) are left to the reflector and the engine, which act on them.
func passing(err error) bool {
	switch {
	case kerrors.IsForbidden(err), kerrors.IsUnauthorized(err), kerrors.IsNotFound(err),
		kerrors.IsGone(err), kerrors.IsResourceExpired(err), kerrors.IsBadRequest(err),
		kerrors.IsInvalid(err), kerrors.IsMethodNotSupported(err), kerrors.IsNotAcceptable(err),
		kerrors.IsUnsupportedMediaType(err), kerrors.IsRequestEntityTooLargeError(err):
		return false
	case kerrors.IsInternalError(err), kerrors.IsServerTimeout(err), kerrors.IsTimeout(err),
		kerrors.IsTooManyRequests(err), kerrors.IsServiceUnavailable(err), kerrors.IsUnexpectedServerError(err):
		return true
	case utilnet.IsConnectionRefused(err), utilnet.IsConnectionReset(err), utilnet.IsProbableEOF(err),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var status kerrors.APIStatus
	if errors.As(err, &status) {
		return status.Status().Code >= 500
	}
	return false
}
