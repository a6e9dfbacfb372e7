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
	"time"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// Defaults of a RetryPolicy, the same as the API's.
const (
	DefaultRetry        = 10
	DefaultBackoffDelay = time.Second
	DefaultMaxBackoff   = 5 * time.Minute
)

// RetryPolicy is a sink's delivery block in the form the outbox uses.
type RetryPolicy struct {
	// Retry is how many times an event is retried on a target after its
	// first attempt fails: after Retry+1 failed attempts it moves on to
	// the dead-letter sink, or is given up if the sink refused it and
	// there is nowhere else to put it. An event the sink merely cannot
	// take now (Retryable) is never given up. Zero moves on after the
	// first failure.
	Retry int
	// BackoffDelay is the delay after the first failed attempt; it doubles
	// with every further one. Zero means DefaultBackoffDelay.
	BackoffDelay time.Duration
	// MaxBackoff caps every delay, Retry-After included. Zero means
	// DefaultMaxBackoff.
	MaxBackoff time.Duration
}

// DefaultRetryPolicy is the policy of a sink without a delivery block.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Retry: DefaultRetry, BackoffDelay: DefaultBackoffDelay, MaxBackoff: DefaultMaxBackoff}
}

// RetryPolicyFrom reads a ProviderConfig's delivery block, filling what it
// leaves out with the API defaults.
func RetryPolicyFrom(d *v1alpha1.Delivery) RetryPolicy {
	p := DefaultRetryPolicy()
	if d == nil {
		return p
	}
	if d.Retry != nil {
		p.Retry = max(int(*d.Retry), 0)
	}
	if d.BackoffDelay != nil {
		p.BackoffDelay = d.BackoffDelay.Duration
	}
	if d.MaxBackoff != nil {
		p.MaxBackoff = d.MaxBackoff.Duration
	}
	return p
}

// limits returns the first delay and the cap, defaulted and consistent.
func (p RetryPolicy) limits() (base, ceiling time.Duration) {
	base, ceiling = p.BackoffDelay, p.MaxBackoff
	if base <= 0 {
		base = DefaultBackoffDelay
	}
	if ceiling <= 0 {
		ceiling = DefaultMaxBackoff
	}
	return min(base, ceiling), ceiling
}

// Delay is how long to wait after the attempt-th consecutive failure
// (attempt >= 1) before trying again.
//
// The exponential delay BackoffDelay * 2^(attempt-1), capped at MaxBackoff,
// gets equal jitter: the wait is half of it plus a random share of the other
// half. Full jitter (a random share of all of it) spreads retries more, but
// can come out near zero and hammer a sink that is trying to recover; equal
// jitter always waits at least half the backoff and still breaks up the
// herds of keys that failed together. jitter is that random share, in
// [0, 1), injected so the result is deterministic in tests.
//
// A Retry-After the sink asked for is honoured when it is longer than the
// backoff, without jitter, and capped at MaxBackoff like every other delay.
func (p RetryPolicy) Delay(attempt int, retryAfter time.Duration, jitter float64) time.Duration {
	base, ceiling := p.limits()
	d := base
	// Doubling stops at the cap, long before it could overflow.
	for i := 1; i < attempt; i++ {
		if d >= ceiling/2 {
			d = ceiling
			break
		}
		d *= 2
	}
	d = equalJitter(min(d, ceiling), jitter)
	if retryAfter > d {
		d = min(retryAfter, ceiling)
	}
	return d
}

func equalJitter(d time.Duration, jitter float64) time.Duration {
	if jitter < 0 || jitter >= 1 {
		jitter = 0
	}
	half := d / 2
	return d - half + time.Duration(jitter*float64(half))
}
