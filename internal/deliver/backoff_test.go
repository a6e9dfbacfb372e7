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
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func TestDelay(t *testing.T) {
	p := RetryPolicy{BackoffDelay: time.Second, MaxBackoff: time.Minute}
	type args struct {
		p          RetryPolicy
		attempt    int
		retryAfter time.Duration
		jitter     float64
	}
	type want struct {
		d time.Duration
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"FirstNoJitter": {
			reason: "Equal jitter waits at least half the backoff.",
			args:   args{p: p, attempt: 1, jitter: 0},
			want:   want{d: 500 * time.Millisecond},
		},
		"FirstHalfJitter": {
			reason: "The jitter spreads over the other half.",
			args:   args{p: p, attempt: 1, jitter: 0.5},
			want:   want{d: 750 * time.Millisecond},
		},
		"Third": {
			reason: "The backoff doubles with every attempt.",
			args:   args{p: p, attempt: 3, jitter: 0},
			want:   want{d: 2 * time.Second},
		},
		"Capped": {
			reason: "The backoff stops growing at MaxBackoff.",
			args:   args{p: p, attempt: 7, jitter: 0.999},
			want:   want{d: 30*time.Second + time.Duration(0.999*float64(30*time.Second))},
		},
		"NoOverflow": {
			reason: "A huge attempt count stays at MaxBackoff.",
			args:   args{p: p, attempt: 1 << 30, jitter: 0},
			want:   want{d: 30 * time.Second},
		},
		"ZeroAttempt": {
			reason: "An attempt count below one counts as the first.",
			args:   args{p: p, attempt: 0, jitter: 0},
			want:   want{d: 500 * time.Millisecond},
		},
		"RetryAfterLonger": {
			reason: "A Retry-After longer than the backoff is honoured exactly.",
			args:   args{p: p, attempt: 1, retryAfter: 10 * time.Second, jitter: 0.5},
			want:   want{d: 10 * time.Second},
		},
		"RetryAfterShorter": {
			reason: "A Retry-After shorter than the backoff does not shorten it.",
			args:   args{p: p, attempt: 4, retryAfter: time.Second, jitter: 0},
			want:   want{d: 4 * time.Second},
		},
		"RetryAfterCapped": {
			reason: "A Retry-After is capped at MaxBackoff.",
			args:   args{p: p, attempt: 1, retryAfter: time.Hour, jitter: 0},
			want:   want{d: time.Minute},
		},
		"Defaults": {
			reason: "A zero policy uses the API defaults, 1s doubling to 5m.",
			args:   args{p: RetryPolicy{}, attempt: 20, jitter: 0},
			want:   want{d: 150 * time.Second},
		},
		"DelayAboveMax": {
			reason: "A first delay above the cap is held to the cap.",
			args:   args{p: RetryPolicy{BackoffDelay: time.Hour, MaxBackoff: time.Minute}, attempt: 1, jitter: 0},
			want:   want{d: 30 * time.Second},
		},
		"JitterOutOfRange": {
			reason: "A jitter source out of [0, 1) is treated as zero.",
			args:   args{p: p, attempt: 1, jitter: 7},
			want:   want{d: 500 * time.Millisecond},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.args.p.Delay(tc.args.attempt, tc.args.retryAfter, tc.args.jitter)
			if diff := cmp.Diff(tc.want.d, got); diff != "" {
				t.Errorf("\n%s\np.Delay(%d, %s, %v): -want, +got:\n%s", tc.reason, tc.args.attempt, tc.args.retryAfter, tc.args.jitter, diff)
			}
		})
	}
}

func TestRetryPolicyFrom(t *testing.T) {
	type args struct {
		d *v1alpha1.Delivery
	}
	type want struct {
		p RetryPolicy
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Nil": {
			reason: "No delivery block means the API defaults.",
			args:   args{},
			want:   want{p: RetryPolicy{Retry: 10, BackoffDelay: time.Second, MaxBackoff: 5 * time.Minute}},
		},
		"Partial": {
			reason: "Unset fields keep their defaults.",
			args:   args{d: &v1alpha1.Delivery{Retry: ptr.To[int32](0)}},
			want:   want{p: RetryPolicy{Retry: 0, BackoffDelay: time.Second, MaxBackoff: 5 * time.Minute}},
		},
		"Full": {
			reason: "Every field is read.",
			args: args{d: &v1alpha1.Delivery{
				Retry:        ptr.To[int32](3),
				BackoffDelay: &metav1.Duration{Duration: 200 * time.Millisecond},
				MaxBackoff:   &metav1.Duration{Duration: time.Minute},
			}},
			want: want{p: RetryPolicy{Retry: 3, BackoffDelay: 200 * time.Millisecond, MaxBackoff: time.Minute}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := RetryPolicyFrom(tc.args.d)
			if diff := cmp.Diff(tc.want.p, got); diff != "" {
				t.Errorf("\n%s\nRetryPolicyFrom(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
