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
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestSendClassification(t *testing.T) {
	type args struct {
		status  int
		header  map[string]string
		body    string
		slow    bool
		closed  bool
		timeout time.Duration
	}
	type want struct {
		result  Result
		message string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"OK": {
			reason: "A 200 is delivered.",
			args:   args{status: http.StatusOK},
			want:   want{result: Result{Class: Delivered, StatusCode: 200, Reachable: true}},
		},
		"Accepted": {
			reason: "A 202 is delivered.",
			args:   args{status: http.StatusAccepted},
			want:   want{result: Result{Class: Delivered, StatusCode: 202, Reachable: true}},
		},
		"NoContent": {
			reason: "A 204 is delivered.",
			args:   args{status: http.StatusNoContent},
			want:   want{result: Result{Class: Delivered, StatusCode: 204, Reachable: true}},
		},
		"BadRequest": {
			reason: "A 400 is rejected with its status only: the body is the sink's, and a tenant's sink may be any service the provider reaches.",
			args:   args{status: http.StatusBadRequest, body: "schema:\n missing field subject", header: map[string]string{"X-Internal": "instance-id-1234"}},
			want: want{
				result:  Result{Class: Rejected, StatusCode: 400, Reachable: true},
				message: "sink answered 400 Bad Request",
			},
		},
		"Unauthorized": {
			reason: "A 401 is rejected: the sink is up but will not take the event.",
			args:   args{status: http.StatusUnauthorized},
			want:   want{result: Result{Class: Rejected, StatusCode: 401, Reachable: true}, message: "sink answered 401 Unauthorized"},
		},
		"Forbidden": {
			reason: "A 403 is rejected.",
			args:   args{status: http.StatusForbidden},
			want:   want{result: Result{Class: Rejected, StatusCode: 403, Reachable: true}, message: "sink answered 403 Forbidden"},
		},
		"NotFound": {
			reason: "A 404 is rejected.",
			args:   args{status: http.StatusNotFound},
			want:   want{result: Result{Class: Rejected, StatusCode: 404, Reachable: true}, message: "sink answered 404 Not Found"},
		},
		"Redirect": {
			reason: "A redirect is not followed (the target would answer 200) and counts as a refusal.",
			args:   args{status: http.StatusFound, header: map[string]string{"Location": "/accepted"}},
			want:   want{result: Result{Class: Rejected, StatusCode: 302, Reachable: true}, message: "sink answered 302 Found"},
		},
		"RequestTimeout": {
			reason: "A 408 is retried.",
			args:   args{status: http.StatusRequestTimeout},
			want:   want{result: Result{Class: Retryable, StatusCode: 408, Reachable: true}, message: "sink answered 408 Request Timeout"},
		},
		"TooManyRequestsSeconds": {
			reason: "A 429 is retried after the delta seconds of its Retry-After; the sink is up.",
			args:   args{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "7"}},
			want:   want{result: Result{Class: Retryable, StatusCode: 429, Reachable: true, RetryAfter: 7 * time.Second}, message: "sink answered 429 Too Many Requests"},
		},
		"TooManyRequestsDate": {
			reason: "A 429 is retried at the HTTP-date of its Retry-After.",
			args:   args{status: http.StatusTooManyRequests, header: map[string]string{"Retry-After": testNow.Add(30 * time.Second).Format(http.TimeFormat)}},
			want:   want{result: Result{Class: Retryable, StatusCode: 429, Reachable: true, RetryAfter: 30 * time.Second}, message: "sink answered 429"},
		},
		"InternalServerError": {
			reason: "A 500 is retried, unlike the SDK's default, and the sink counts as unreachable.",
			args:   args{status: http.StatusInternalServerError},
			want:   want{result: Result{Class: Retryable, StatusCode: 500}, message: "sink answered 500 Internal Server Error"},
		},
		"BadGateway": {
			reason: "A 502 is retried.",
			args:   args{status: http.StatusBadGateway},
			want:   want{result: Result{Class: Retryable, StatusCode: 502}, message: "sink answered 502 Bad Gateway"},
		},
		"ServiceUnavailable": {
			reason: "A 503 is retried after its Retry-After.",
			args:   args{status: http.StatusServiceUnavailable, header: map[string]string{"Retry-After": "2"}},
			want:   want{result: Result{Class: Retryable, StatusCode: 503, RetryAfter: 2 * time.Second}, message: "sink answered 503 Service Unavailable"},
		},
		"ConnectionRefused": {
			reason: "A sink nobody listens on is retried and unreachable.",
			args:   args{closed: true},
			want:   want{result: Result{Class: Retryable}, message: "connection refused"},
		},
		"SlowSink": {
			reason: "A sink slower than the per-attempt timeout is retried and unreachable.",
			args:   args{slow: true, timeout: 50 * time.Millisecond},
			want:   want{result: Result{Class: Retryable}, message: "did not answer within 50ms"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.HandleFunc("/accepted", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
			mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if tc.args.slow {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
					return
				}
				for k, v := range tc.args.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tc.args.status)
				_, _ = io.WriteString(w, tc.args.body)
			})
			srv := httptest.NewServer(mux)
			t.Cleanup(srv.Close)
			url := srv.URL + "/"
			if tc.args.closed {
				url = "http://" + closedAddr(t) + "/"
			}
			s := newTestSender(t, SinkConfig{URL: url, Timeout: tc.args.timeout}, WithClock(func() time.Time { return testNow }))

			got := s.Send(context.Background(), testEvent("k", 1, 0))
			if diff := cmp.Diff(tc.want.result, got, cmpopts.IgnoreFields(Result{}, "Message")); diff != "" {
				t.Errorf("\n%s\ns.Send(...): -want, +got:\n%s", tc.reason, diff)
			}
			if !strings.Contains(got.Message, tc.want.message) {
				t.Errorf("\n%s\ns.Send(...).Message: want it to contain %q, got %q", tc.reason, tc.want.message, got.Message)
			}
			for _, leak := range []string{"missing field", "instance-id"} {
				if strings.Contains(got.Message, leak) {
					t.Errorf("\n%s\ns.Send(...).Message: %q repeats the sink's answer (%q)", tc.reason, got.Message, leak)
				}
			}
			if got.Delivered() != (got.Message == "") {
				t.Errorf("\n%s\ns.Send(...): a failure must say why and a delivery must not; got %q", tc.reason, got.Message)
			}
		})
	}
}

func TestSendInvalidEvent(t *testing.T) {
	srv := newSinkServer(t, nil)
	s := newTestSender(t, SinkConfig{URL: srv.URL})
	e := testEvent("k", 1, 0)
	e.SetSource("")

	got := s.Send(context.Background(), e)
	want := Result{Class: Rejected}
	if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Result{}, "Message")); diff != "" {
		t.Errorf("\nAn event that breaks the CloudEvents spec is never sent and never retried.\ns.Send(...): -want, +got:\n%s", diff)
	}
	if !strings.HasPrefix(got.Message, errInvalidEvent) {
		t.Errorf("s.Send(...).Message: want prefix %q, got %q", errInvalidEvent, got.Message)
	}
	if srv.count() != 0 {
		t.Errorf("s.Send(...): an invalid event reached the sink %d times", srv.count())
	}
}

func TestParseRetryAfter(t *testing.T) {
	type args struct {
		value string
	}
	type want struct {
		d time.Duration
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Empty":        {reason: "No header, no delay.", args: args{value: ""}, want: want{d: 0}},
		"Zero":         {reason: "Zero seconds is no delay.", args: args{value: "0"}, want: want{d: 0}},
		"Seconds":      {reason: "Delta seconds.", args: args{value: "120"}, want: want{d: 2 * time.Minute}},
		"Spaces":       {reason: "Surrounding spaces are ignored.", args: args{value: " 5 "}, want: want{d: 5 * time.Second}},
		"Negative":     {reason: "A negative number is not a valid delta.", args: args{value: "-1"}, want: want{d: 0}},
		"Fraction":     {reason: "A fraction is not a valid delta.", args: args{value: "1.5"}, want: want{d: 0}},
		"Huge":         {reason: "A delta beyond a day is held to a day.", args: args{value: "9999999"}, want: want{d: maxRetryAfter}},
		"Overflow":     {reason: "A delta too large for any integer is held to a day.", args: args{value: "99999999999999999999999"}, want: want{d: maxRetryAfter}},
		"Date":         {reason: "An IMF-fixdate.", args: args{value: testNow.Add(90 * time.Second).Format(http.TimeFormat)}, want: want{d: 90 * time.Second}},
		"DateRFC850":   {reason: "The obsolete RFC 850 date form.", args: args{value: testNow.Add(time.Minute).Format(time.RFC850)}, want: want{d: time.Minute}},
		"DatePast":     {reason: "A date in the past is no delay.", args: args{value: testNow.Add(-time.Minute).Format(http.TimeFormat)}, want: want{d: 0}},
		"DateFarAhead": {reason: "A date years ahead is held to a day.", args: args{value: testNow.AddDate(3, 0, 0).Format(http.TimeFormat)}, want: want{d: maxRetryAfter}},
		"Garbage":      {reason: "Anything else is no delay.", args: args{value: "soon"}, want: want{d: 0}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := parseRetryAfter(tc.args.value, testNow)
			if diff := cmp.Diff(tc.want.d, got); diff != "" {
				t.Errorf("\n%s\nparseRetryAfter(%q): -want, +got:\n%s", tc.reason, tc.args.value, diff)
			}
		})
	}
}

func TestNewSender(t *testing.T) {
	_, badPairErr := tls.X509KeyPair([]byte("not a cert"), []byte("not a key"))

	type args struct {
		c SinkConfig
	}
	type want struct {
		err error
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Minimal": {
			reason: "A URL is all a sink needs.",
			args:   args{c: SinkConfig{URL: "http://sink.example/"}},
		},
		"Everything": {
			reason: "Every setting together is fine.",
			args: args{c: SinkConfig{
				URL:      "https://sink.example/hook",
				Encoding: v1alpha1.EncodingStructured,
				Timeout:  time.Second,
				Headers:  map[string]string{"X-Team": "platform"},
				TLS:      TLSConfig{InsecureSkipVerify: true},
				Auth:     &Auth{Scheme: v1alpha1.AuthSchemeHeader, HeaderName: "X-API-Key", Secret: "s3cret"},
			}},
		},
		"UnparsableURL": {
			reason: "A URL that does not parse is refused without quoting it.",
			args:   args{c: SinkConfig{URL: "http://user:pa ss@[::1"}},
			want:   want{err: errors.New(errParseURL)},
		},
		"Scheme": {
			reason: "Only http and https are supported.",
			args:   args{c: SinkConfig{URL: "ftp://sink.example/"}},
			want:   want{err: errors.Errorf(errFmtURLScheme, "ftp")},
		},
		"NoHost": {
			reason: "A URL must name a host.",
			args:   args{c: SinkConfig{URL: "http:///hook"}},
			want:   want{err: errors.New(errURLHost)},
		},
		"Encoding": {
			reason: "Unknown encodings are refused.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Encoding: "Batch"}},
			want:   want{err: errors.Errorf(errFmtEncoding, "Batch")},
		},
		"NegativeTimeout": {
			reason: "A negative timeout is refused.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Timeout: -time.Second}},
			want:   want{err: errors.New(errTimeout)},
		},
		"EmptyCredential": {
			reason: "Credentials without a value are a configuration error, not anonymous access.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Auth: &Auth{}}},
			want:   want{err: errors.New(errAuthEmpty)},
		},
		"CredentialWithNewline": {
			reason: "A credential that would split the header is refused without quoting it.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Auth: &Auth{Secret: "s3cret\nX-Evil: 1"}}},
			want:   want{err: errors.New(errAuthValue)},
		},
		"HeaderSchemeWithoutName": {
			reason: "The Header scheme needs a header name.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Auth: &Auth{Scheme: v1alpha1.AuthSchemeHeader, Secret: "s3cret"}}},
			want:   want{err: errors.New(errAuthHeaderName)},
		},
		"UnknownScheme": {
			reason: "Unknown schemes are refused.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Auth: &Auth{Scheme: "Digest", Secret: "s3cret"}}},
			want:   want{err: errors.Errorf(errFmtAuthScheme, "Digest")},
		},
		"AuthInCloudEventsHeader": {
			reason: "A credential header may not be a CloudEvents attribute.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Auth: &Auth{Scheme: v1alpha1.AuthSchemeHeader, HeaderName: "ce-id", Secret: "s3cret"}}},
			want:   want{err: errors.Errorf(errFmtHeaderReserv, "Ce-Id")},
		},
		"ReservedHeader": {
			reason: "A static header may not override the binding's Content-Type.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Headers: map[string]string{"content-type": "text/plain"}}},
			want:   want{err: errors.Errorf(errFmtHeaderReserv, "content-type")},
		},
		"CloudEventsHeader": {
			reason: "A static header may not set a CloudEvents attribute.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Headers: map[string]string{"Ce-Source": "/elsewhere"}}},
			want:   want{err: errors.Errorf(errFmtHeaderReserv, "Ce-Source")},
		},
		"HeaderCollidesWithAuth": {
			reason: "A static header may not fight the credentials.",
			args: args{c: SinkConfig{
				URL:     "http://sink.example/",
				Headers: map[string]string{"authorization": "Bearer other"},
				Auth:    &Auth{Secret: "s3cret"},
			}},
			want: want{err: errors.Errorf(errFmtHeaderReserv, "authorization")},
		},
		"HeaderName": {
			reason: "Header names must be HTTP tokens.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Headers: map[string]string{"X Team": "platform"}}},
			want:   want{err: errors.Errorf(errFmtHeaderName, "X Team")},
		},
		"HeaderValue": {
			reason: "Header values may not hold line breaks, and are not quoted in the error.",
			args:   args{c: SinkConfig{URL: "http://sink.example/", Headers: map[string]string{"X-Team": "a\r\nb"}}},
			want:   want{err: errors.Errorf(errFmtHeaderValue, "X-Team")},
		},
		"CABundle": {
			reason: "A CA bundle without a PEM certificate is an error, not an empty trust store.",
			args:   args{c: SinkConfig{URL: "https://sink.example/", TLS: TLSConfig{CABundle: []byte("not PEM")}}},
			want:   want{err: errors.New(errCABundle)},
		},
		"CertWithoutKey": {
			reason: "A client certificate needs its key.",
			args:   args{c: SinkConfig{URL: "https://sink.example/", TLS: TLSConfig{ClientCert: []byte("cert")}}},
			want:   want{err: errors.New(errClientCertPair)},
		},
		"BadClientCert": {
			reason: "A client certificate that does not load is an error.",
			args:   args{c: SinkConfig{URL: "https://sink.example/", TLS: TLSConfig{ClientCert: []byte("not a cert"), ClientKey: []byte("not a key")}}},
			want:   want{err: errors.Wrap(badPairErr, errClientCert)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := NewSender(tc.args.c)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nNewSender(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if s != nil {
				s.Close()
			}
		})
	}
}

func TestSendEncoding(t *testing.T) {
	type args struct {
		encoding v1alpha1.Encoding
	}
	type seen struct {
		ContentType string
		CEID        string
		CESpec      string
		BodyID      string
		BodyKey     string
	}
	type want struct {
		seen seen
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Default": {
			reason: "Binary is the default: attributes in ce-* headers, the data as the body.",
			args:   args{},
			want:   want{seen: seen{ContentType: "application/json", CEID: "k-1-0", CESpec: "1.0", BodyKey: "k"}},
		},
		"Binary": {
			reason: "Binary: attributes in ce-* headers, the data as the body.",
			args:   args{encoding: v1alpha1.EncodingBinary},
			want:   want{seen: seen{ContentType: "application/json", CEID: "k-1-0", CESpec: "1.0", BodyKey: "k"}},
		},
		"Structured": {
			reason: "Structured: one JSON envelope, no ce-* headers.",
			args:   args{encoding: v1alpha1.EncodingStructured},
			want:   want{seen: seen{ContentType: "application/cloudevents+json", BodyID: "k-1-0", BodyKey: "k"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			var got seen
			srv := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, _ int) int {
				body, _ := io.ReadAll(r.Body)
				var envelope struct {
					ID   string            `json:"id"`
					Key  string            `json:"key"`
					Data map[string]string `json:"data"`
				}
				_ = json.Unmarshal(body, &envelope)
				mu.Lock()
				defer mu.Unlock()
				got = seen{
					ContentType: r.Header.Get("Content-Type"),
					CEID:        r.Header.Get("Ce-Id"),
					CESpec:      r.Header.Get("Ce-Specversion"),
					BodyID:      envelope.ID,
					BodyKey:     envelope.Key + envelope.Data["key"],
				}
				return http.StatusAccepted
			})
			s := newTestSender(t, SinkConfig{URL: srv.URL, Encoding: tc.args.encoding})
			if r := s.Send(context.Background(), testEvent("k", 1, 0)); !r.Delivered() {
				t.Fatalf("s.Send(...): %s", r.Message)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tc.want.seen, got); diff != "" {
				t.Errorf("\n%s\nrequest seen by the sink: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSendHeaders(t *testing.T) {
	type args struct {
		c SinkConfig
	}
	type want struct {
		headers map[string]string
	}
	watched := []string{"Authorization", "X-Api-Key", "X-Team", "User-Agent"}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"None": {
			reason: "Without credentials nothing authenticates the request.",
			args:   args{c: SinkConfig{}},
			want:   want{headers: map[string]string{"User-Agent": "provider-cdevents/test"}},
		},
		"Bearer": {
			reason: "Bearer sends the secret as a bearer token.",
			args:   args{c: SinkConfig{Auth: &Auth{Scheme: v1alpha1.AuthSchemeBearer, Secret: "t0ken"}}},
			want:   want{headers: map[string]string{"Authorization": "Bearer t0ken", "User-Agent": "provider-cdevents/test"}},
		},
		"DefaultSchemeIsBearer": {
			reason: "An empty scheme is Bearer, as in the API.",
			args:   args{c: SinkConfig{Auth: &Auth{Secret: "t0ken"}}},
			want:   want{headers: map[string]string{"Authorization": "Bearer t0ken", "User-Agent": "provider-cdevents/test"}},
		},
		"Basic": {
			reason: "Basic sends base64 of the secret, which is user:password.",
			args:   args{c: SinkConfig{Auth: &Auth{Scheme: v1alpha1.AuthSchemeBasic, Secret: "bot:pa55"}}},
			want: want{headers: map[string]string{
				"Authorization": "Basic " + base64.StdEncoding.EncodeToString([]byte("bot:pa55")),
				"User-Agent":    "provider-cdevents/test",
			}},
		},
		"Header": {
			reason: "Header sends the secret verbatim in the named header.",
			args:   args{c: SinkConfig{Auth: &Auth{Scheme: v1alpha1.AuthSchemeHeader, HeaderName: "x-api-key", Secret: "k3y"}}},
			want:   want{headers: map[string]string{"X-Api-Key": "k3y", "User-Agent": "provider-cdevents/test"}},
		},
		"StaticHeaders": {
			reason: "Static headers go with every request, next to the credentials.",
			args:   args{c: SinkConfig{Headers: map[string]string{"x-team": "platform"}, Auth: &Auth{Secret: "t0ken"}}},
			want: want{headers: map[string]string{
				"Authorization": "Bearer t0ken",
				"X-Team":        "platform",
				"User-Agent":    "provider-cdevents/test",
			}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			got := map[string]string{}
			srv := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, _ int) int {
				mu.Lock()
				defer mu.Unlock()
				for _, h := range watched {
					if v := r.Header.Get(h); v != "" {
						got[h] = v
					}
				}
				return http.StatusOK
			})
			c := tc.args.c
			c.URL = srv.URL
			s := newTestSender(t, c, WithUserAgent("provider-cdevents/test"))
			if r := s.Send(context.Background(), testEvent("k", 1, 0)); !r.Delivered() {
				t.Fatalf("s.Send(...): %s", r.Message)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tc.want.headers, got); diff != "" {
				t.Errorf("\n%s\nheaders seen by the sink: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSendTLS(t *testing.T) {
	p := newPKI(t)
	type args struct {
		mTLS bool
		tls  TLSConfig
	}
	type want struct {
		class     Class
		reachable bool
		message   string
		proto     int
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"UnknownCA": {
			reason: "Verification is on by default: a sink signed by an unknown CA is not trusted.",
			args:   args{},
			want:   want{class: Retryable, message: "certificate"},
		},
		"CABundle": {
			reason: "The CA bundle is trusted, over HTTP/2.",
			args:   args{tls: TLSConfig{CABundle: p.caPEM}},
			want:   want{class: Delivered, reachable: true, proto: 2},
		},
		"InsecureSkipVerify": {
			reason: "Verification can be switched off explicitly.",
			args:   args{tls: TLSConfig{InsecureSkipVerify: true}},
			want:   want{class: Delivered, reachable: true, proto: 2},
		},
		"MutualTLS": {
			reason: "A sink that requires a client certificate accepts ours.",
			args:   args{mTLS: true, tls: TLSConfig{CABundle: p.caPEM, ClientCert: p.clientCert, ClientKey: p.clientKey}},
			want:   want{class: Delivered, reachable: true, proto: 2},
		},
		"MutualTLSWithoutClientCert": {
			// With TLS 1.3 the client learns of the refusal after its
			// handshake, as an alert or a reset depending on timing, so
			// the message is not checked.
			reason: "A sink that requires a client certificate refuses the connection without one.",
			args:   args{mTLS: true, tls: TLSConfig{CABundle: p.caPEM}},
			want:   want{class: Retryable, message: "cannot reach sink https://127.0.0.1:"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var mu sync.Mutex
			proto := 0
			srv := tlsServer(t, p, tc.args.mTLS, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				proto = r.ProtoMajor
				mu.Unlock()
				w.WriteHeader(http.StatusOK)
			}))
			s := newTestSender(t, SinkConfig{URL: srv.URL, TLS: tc.args.tls, Timeout: 5 * time.Second})
			got := s.Send(context.Background(), testEvent("k", 1, 0))
			if diff := cmp.Diff(tc.want.class, got.Class); diff != "" {
				t.Errorf("\n%s\ns.Send(...).Class: -want, +got:\n%s\nmessage: %s", tc.reason, diff, got.Message)
			}
			if diff := cmp.Diff(tc.want.reachable, got.Reachable); diff != "" {
				t.Errorf("\n%s\ns.Send(...).Reachable: -want, +got:\n%s", tc.reason, diff)
			}
			if !strings.Contains(got.Message, tc.want.message) {
				t.Errorf("\n%s\ns.Send(...).Message: want it to contain %q, got %q", tc.reason, tc.want.message, got.Message)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tc.want.proto, proto); diff != "" {
				t.Errorf("\n%s\nHTTP major version seen by the sink: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSenderReusesConnections(t *testing.T) {
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := newSinkServer(t, func(_ http.ResponseWriter, r *http.Request, _ int) int {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		return http.StatusOK
	})
	s := newTestSender(t, SinkConfig{URL: srv.URL})
	for i := range 20 {
		if r := s.Send(context.Background(), testEvent("k", int64(i), 0)); !r.Delivered() {
			t.Fatalf("s.Send(...): %s", r.Message)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if diff := cmp.Diff(1, len(conns)); diff != "" {
		t.Errorf("\nSequential sends keep one connection alive.\nconnections seen by the sink: -want, +got:\n%s", diff)
	}
}
