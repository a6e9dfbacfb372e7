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
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// planted is a credential that must never show up in any output.
const planted = "tok-5b0e7d1c-planted"

// echoServer refuses every request and echoes it, credentials included, in
// the body: the worst a sink can do to our messages.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		var b strings.Builder
		fmt.Fprintf(&b, "%s %s\n", r.Method, r.URL.String())
		names := make([]string, 0, len(r.Header))
		for k := range r.Header {
			names = append(names, k)
		}
		// Headers that may authenticate first, so they fit in the part of
		// the body that ends up in messages.
		routine := func(k string) bool {
			for _, p := range []string{"Ce-", "Content-", "Accept-", "User-Agent"} {
				if strings.HasPrefix(k, p) {
					return true
				}
			}
			return false
		}
		sort.Slice(names, func(i, j int) bool {
			if routine(names[i]) != routine(names[j]) {
				return !routine(names[i])
			}
			return names[i] < names[j]
		})
		for _, k := range names {
			fmt.Fprintf(&b, "%s: %s\n", k, strings.Join(r.Header[k], ","))
		}
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, b.String())
	}))
	t.Cleanup(s.Close)
	return s
}

func TestCredentialsNeverInOutput(t *testing.T) {
	echo := echoServer(t)
	refused := closedAddr(t)
	echoHost := strings.TrimPrefix(echo.URL, "http://")

	// Every form the credential may take on the wire.
	forms := []string{
		planted,
		base64.StdEncoding.EncodeToString([]byte(planted)),
		base64.StdEncoding.EncodeToString([]byte("bot:" + planted)),
	}

	type args struct {
		c SinkConfig
	}
	cases := map[string]struct {
		reason string
		args   args
	}{
		"Bearer": {
			reason: "A bearer token echoed by the sink is redacted.",
			args:   args{c: SinkConfig{URL: echo.URL, Auth: &Auth{Scheme: v1alpha1.AuthSchemeBearer, Secret: planted}}},
		},
		"Basic": {
			reason: "Basic credentials, raw or encoded, are redacted.",
			args:   args{c: SinkConfig{URL: echo.URL, Auth: &Auth{Scheme: v1alpha1.AuthSchemeBasic, Secret: "bot:" + planted}}},
		},
		"Header": {
			reason: "An API key header is redacted.",
			args:   args{c: SinkConfig{URL: echo.URL, Auth: &Auth{Scheme: v1alpha1.AuthSchemeHeader, HeaderName: "X-API-Key", Secret: planted}}},
		},
		"UserInfo": {
			reason: "Credentials in the URL's user info, and the header net/http derives from them, are redacted.",
			args:   args{c: SinkConfig{URL: "http://bot:" + planted + "@" + echoHost + "/hook"}},
		},
		"UserInfoUnreachable": {
			reason: "Credentials in the URL's user info stay out of network errors.",
			args:   args{c: SinkConfig{URL: "http://bot:" + planted + "@" + refused + "/hook"}},
		},
		"QueryToken": {
			reason: "A token in the URL's query is redacted.",
			args:   args{c: SinkConfig{URL: echo.URL + "/hook?token=" + planted}},
		},
		"QueryTokenUnreachable": {
			reason: "A token in the URL's query stays out of network errors.",
			args:   args{c: SinkConfig{URL: "http://" + refused + "/hook?token=" + planted}},
		},
		"StaticHeader": {
			reason: "A secret misplaced in a static header is redacted too.",
			args:   args{c: SinkConfig{URL: echo.URL, Headers: map[string]string{"X-Token": planted}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var outputs []string
			c := tc.args.c
			c.Timeout = 2 * time.Second
			outputs = append(outputs,
				fmt.Sprintf("%v", c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c),
				fmt.Sprint(c.Auth), fmt.Sprintf("%+v", c.Auth), fmt.Sprintf("%#v", c.Auth))

			s := newTestSender(t, c)
			outputs = append(outputs, s.Endpoint())
			r := s.Send(context.Background(), testEvent("a", 1, 0))
			if r.Delivered() {
				t.Fatalf("\n%s\ns.Send(...): want a failure to inspect, got a delivery", tc.reason)
			}
			outputs = append(outputs, r.Message, r.Error())

			// The same sink, and itself as dead-letter sink, behind an
			// outbox that logs everything at debug level.
			logs := &lockedBuffer{}
			log := logging.NewLogrLogger(funcr.New(logs.write, funcr.Options{Verbosity: 1}))
			keys := map[string][]Pending{"a": transitions("a", 1, 1)}
			ob := &recordingObserver{}
			o := NewOutbox(s, newMemSource(keys), WithLogger(log), WithObserver(ob),
				WithDeadLetter(newTestSender(t, c)), WithRetryPolicy(RetryPolicy{Retry: 1, BackoffDelay: time.Millisecond, MaxBackoff: 2 * time.Millisecond}))
			stop := startOutbox(t, o)
			o.Notify("a")
			waitFor(t, 10*time.Second, "a few attempts", func() bool { return len(ob.all()) >= 4 })
			stop()
			ob.mu.Lock()
			outputs = append(outputs, ob.messages...)
			ob.mu.Unlock()
			outputs = append(outputs, logs.String())
			if !strings.Contains(logs.String(), "dead-letter") {
				t.Errorf("\n%s\nthe outbox logged nothing about its attempts; the check below would prove nothing:\n%s", tc.reason, logs.String())
			}

			for i, out := range outputs {
				for _, f := range forms {
					if strings.Contains(out, f) {
						t.Errorf("\n%s\noutput %d holds the credential (%q):\n%s", tc.reason, i, f, out)
					}
				}
			}
		})
	}
}

func TestSecretNeverInConfigErrors(t *testing.T) {
	cases := map[string]struct {
		reason string
		c      SinkConfig
	}{
		"UnparsableURL": {
			reason: "A URL that does not parse is not quoted.",
			c:      SinkConfig{URL: "http://bot:" + planted + "@[::1"},
		},
		"HeaderValue": {
			reason: "A header value that is refused is not quoted.",
			c:      SinkConfig{URL: "http://sink.example/", Headers: map[string]string{"X-Token": planted + "\n"}},
		},
		"CredentialValue": {
			reason: "A credential that is refused is not quoted.",
			c:      SinkConfig{URL: "http://sink.example/", Auth: &Auth{Secret: planted + "\r\n"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := NewSender(tc.c)
			if err == nil {
				t.Fatalf("\n%s\nNewSender(...): want an error, got none", tc.reason)
			}
			if strings.Contains(err.Error(), planted) {
				t.Errorf("\n%s\nNewSender(...): the error holds the credential: %v", tc.reason, err)
			}
		})
	}
}
