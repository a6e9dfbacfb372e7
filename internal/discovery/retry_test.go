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
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
)

func TestPassing(t *testing.T) {
	gr := schema.GroupResource{Group: "eks.aws.upbound.io", Resource: "clusters"}
	cases := map[string]struct {
		reason string
		err    error
		want   bool
	}{
		"BadGateway": {
			reason: "A proxy in front of a restarting API server answers 502 without a Status body.",
			err:    kerrors.NewGenericServerResponse(http.StatusBadGateway, "GET", gr, "", "", 0, true),
			want:   true,
		},
		"InternalError": {
			reason: "An API server that cannot reach etcd answers 500.",
			err:    kerrors.NewInternalError(errors.New("etcdserver: request timed out")),
			want:   true,
		},
		"TooManyRequests": {
			reason: "Priority and fairness throttles during a rollout.",
			err:    kerrors.NewTooManyRequests("slow down", 1),
			want:   true,
		},
		"ServiceUnavailable": {
			reason: "An API server shutting down answers 503.",
			err:    kerrors.NewServiceUnavailable("shutting down"),
			want:   true,
		},
		"ConnectionRefused": {
			reason: "Nothing listens while the API server restarts.",
			err:    &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED},
			want:   true,
		},
		"UnexpectedEOF": {
			reason: "The connection was cut while the answer was read.",
			err:    errors.Wrap(io.ErrUnexpectedEOF, "cannot read"),
			want:   true,
		},
		"Forbidden": {
			reason: "Missing RBAC is the engine's to report, not to retry here.",
			err:    kerrors.NewForbidden(gr, "", errors.New("no")),
			want:   false,
		},
		"NotFound": {
			reason: "A kind whose CRD went is the engine's to act on.",
			err:    kerrors.NewNotFound(gr, ""),
			want:   false,
		},
		"Expired": {
			reason: "An expired resource version makes the reflector list afresh.",
			err:    kerrors.NewResourceExpired("too old resource version"),
			want:   false,
		},
		"Gone": {
			reason: "410 Gone makes the reflector list afresh.",
			err:    &kerrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure, Code: http.StatusGone, Reason: metav1.StatusReasonGone}},
			want:   false,
		},
		"Canceled": {
			reason: "A watch that is stopped is not retried.",
			err:    context.Canceled,
			want:   false,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, passing(tc.err)); diff != "" {
				t.Errorf("\n%s\npassing(%v): -want, +got:\n%s", tc.reason, tc.err, diff)
			}
		})
	}
}

func TestDo(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	forbidden := kerrors.NewForbidden(schema.GroupResource{Resource: "clusters"}, "", errors.New("no"))
	type want struct {
		Value    int
		Err      error
		Calls    int
		Failures float64
	}
	cases := map[string]struct {
		reason string
		errs   []error // answers before the call succeeds
		cancel bool
		want   want
	}{
		"Succeeds": {
			reason: "A call that succeeds is made once.",
			want:   want{Value: 1, Calls: 1},
		},
		"PassingFailures": {
			reason: "Failures that pass are retried until the call succeeds, and counted.",
			errs:   []error{refused, kerrors.NewServiceUnavailable("restarting"), refused},
			want:   want{Value: 4, Calls: 4, Failures: 3},
		},
		"MeaningfulFailure": {
			reason: "An answer that means something is returned at once.",
			errs:   []error{refused, forbidden},
			want:   want{Value: 2, Err: forbidden, Calls: 2, Failures: 1},
		},
		"Canceled": {
			reason: "A stopped watch returns instead of retrying.",
			errs:   []error{refused, refused, refused, refused, refused, refused},
			cancel: true,
			want:   want{Value: 1, Err: refused, Calls: 1},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			failures := prometheus.NewCounter(prometheus.CounterOpts{Name: "failures"})
			g := newRetryGate(logging.NewNopLogger(), failures)
			g.base, g.max = time.Millisecond, 4*time.Millisecond
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			calls := 0
			v, err := do(ctx, g, "list", func(context.Context) (int, error) {
				calls++
				if tc.cancel {
					cancel()
				}
				if calls <= len(tc.errs) {
					return calls, tc.errs[calls-1]
				}
				return calls, nil
			})
			got := want{Value: v, Err: err, Calls: calls, Failures: testutil.ToFloat64(failures)}
			if diff := cmp.Diff(tc.want, got, cmp.Comparer(errors.Is)); diff != "" {
				t.Errorf("\n%s\ndo(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestRetryGateBacksOffAndOpens(t *testing.T) {
	g := newRetryGate(logging.NewNopLogger(), nil)
	now := time.Unix(1_000, 0)
	g.now = func() time.Time { return now }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}

	var delays []time.Duration
	for range 7 {
		g.failed("list", refused)
		delays = append(delays, g.delay)
		now = g.until
	}
	want := []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}
	if diff := cmp.Diff(want, delays); diff != "" {
		t.Errorf("delays while the API server cannot answer: -want, +got:\n%s", diff)
	}
	g.succeeded()
	if err := g.wait(context.Background()); err != nil {
		t.Errorf("wait after success: %v", err)
	}
	g.failed("list", refused)
	if diff := cmp.Diff(250*time.Millisecond, g.delay); diff != "" {
		t.Errorf("delay of the next outage starts again from the base: -want, +got:\n%s", diff)
	}
}
