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
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
)

// hosts is a resolver with a fixed table; names it does not know fail to
// resolve.
type hosts map[string][]string

func (h hosts) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := h[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, 0, len(as))
	for _, a := range as {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func prefixes(ss ...string) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(ss))
	for _, s := range ss {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}

func TestEgressAllowed(t *testing.T) {
	type args struct {
		allow []netip.Prefix
		extra []netip.Prefix
		addr  string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   bool
	}{
		"Loopback4": {
			reason: "IPv4 loopback is denied by default.",
			args:   args{addr: "127.0.0.1"},
			want:   false,
		},
		"LoopbackRange": {
			reason: "All of 127.0.0.0/8 is loopback.",
			args:   args{addr: "127.1.2.3"},
			want:   false,
		},
		"Loopback6": {
			reason: "IPv6 loopback is denied by default.",
			args:   args{addr: "::1"},
			want:   false,
		},
		"MappedLoopback": {
			reason: "An IPv4-mapped IPv6 address is judged as the IPv4 address it carries.",
			args:   args{addr: "::ffff:127.0.0.1"},
			want:   false,
		},
		"Metadata": {
			reason: "The cloud metadata service is link-local and denied by default.",
			args:   args{addr: "169.254.169.254"},
			want:   false,
		},
		"MappedMetadata": {
			reason: "The metadata service cannot be reached through its IPv4-mapped form either.",
			args:   args{addr: "::ffff:169.254.169.254"},
			want:   false,
		},
		"LinkLocal6": {
			reason: "IPv6 link-local is denied by default, zone or not.",
			args:   args{addr: "fe80::1%eth0"},
			want:   false,
		},
		"Unspecified4": {
			reason: "0.0.0.0 reaches the local host and is denied.",
			args:   args{addr: "0.0.0.0"},
			want:   false,
		},
		"Unspecified6": {
			reason: ":: reaches the local host and is denied.",
			args:   args{addr: "::"},
			want:   false,
		},
		"Public4": {
			reason: "A public IPv4 address is allowed.",
			args:   args{addr: "192.0.2.10"},
			want:   true,
		},
		"Public6": {
			reason: "A public IPv6 address is allowed.",
			args:   args{addr: "2001:db8::10"},
			want:   true,
		},
		"PrivateByDefault": {
			reason: "Private ranges are allowed unless the administrator denies them.",
			args:   args{addr: "10.0.0.7"},
			want:   true,
		},
		"ExtraDeny": {
			reason: "An administrator's deny list adds to the defaults.",
			args:   args{extra: prefixes("10.0.0.0/8"), addr: "10.0.0.7"},
			want:   false,
		},
		"AllowWins": {
			reason: "An allowed prefix wins over a denied one.",
			args:   args{allow: prefixes("127.0.0.0/8"), addr: "127.0.0.1"},
			want:   true,
		},
		"AllowIsNarrow": {
			reason: "Allowing IPv4 loopback does not allow IPv6 loopback.",
			args:   args{allow: prefixes("127.0.0.0/8"), addr: "::1"},
			want:   false,
		},
		"AllowMapped": {
			reason: "An allowed IPv4 prefix also allows the IPv4-mapped form.",
			args:   args{allow: prefixes("127.0.0.0/8"), addr: "::ffff:127.0.0.1"},
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p := NewEgressPolicy(append(DefaultTenantDeny(), tc.args.extra...), tc.args.allow)
			got := p.Allowed(netip.MustParseAddr(tc.args.addr))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\np.Allowed(%s): -want, +got:\n%s", tc.reason, tc.args.addr, diff)
			}
		})
	}
}

func TestParseCIDRs(t *testing.T) {
	type want struct {
		prefixes []netip.Prefix
		err      error
	}
	cases := map[string]struct {
		reason string
		arg    string
		want   want
	}{
		"Empty": {
			reason: "An empty flag is an empty list.",
			arg:    "",
			want:   want{},
		},
		"Mixed": {
			reason: "CIDRs and bare addresses of both families, with blanks, are read in order.",
			arg:    " 10.0.0.0/8, ,fd00::/8,192.0.2.1,::1 ",
			want:   want{prefixes: prefixes("10.0.0.0/8", "fd00::/8", "192.0.2.1/32", "::1/128")},
		},
		"Invalid": {
			reason: "Anything else is an error naming the entry.",
			arg:    "10.0.0.0/8,example.com",
			want:   want{err: errors.Errorf(errFmtParseCIDR, "example.com")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseCIDRs(tc.arg)
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nParseCIDRs(%q): -want error, +got error:\n%s", tc.reason, tc.arg, diff)
			}
			if diff := cmp.Diff(tc.want.prefixes, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
				t.Errorf("\n%s\nParseCIDRs(%q): -want, +got:\n%s", tc.reason, tc.arg, diff)
			}
		})
	}
}

func TestCheckURL(t *testing.T) {
	r := hosts{
		"sink.example":     {"192.0.2.10"},
		"rebind.example":   {"127.0.0.1"},
		"metadata.example": {"169.254.169.254"},
		"mixed.example":    {"192.0.2.10", "::1"},
		"v6.example":       {"2001:db8::10"},
	}
	cases := map[string]struct {
		reason string
		url    string
		want   bool
	}{
		"PublicName":    {reason: "A name resolving to allowed addresses is allowed.", url: "https://sink.example/events", want: true},
		"IPv4Literal":   {reason: "A denied IPv4 literal is refused without a lookup.", url: "http://127.0.0.1:8080/", want: false},
		"IPv6Literal":   {reason: "A denied IPv6 literal is refused.", url: "http://[::1]:8080/", want: false},
		"MappedLiteral": {reason: "An IPv4-mapped literal is refused like its IPv4 address.", url: "http://[::ffff:169.254.169.254]/", want: false},
		"NameToLoop":    {reason: "A name resolving to loopback is refused.", url: "http://rebind.example/", want: false},
		"NameToMeta":    {reason: "A name resolving to the metadata service is refused.", url: "http://metadata.example/computeMetadata/v1/", want: false},
		"MixedName":     {reason: "A name with any denied address is refused.", url: "https://mixed.example/", want: false},
		"PublicV6":      {reason: "A name resolving to an allowed IPv6 address is allowed.", url: "https://v6.example/", want: true},
		"Unresolvable":  {reason: "A name that does not resolve is not refused: delivery reports it unreachable.", url: "https://nowhere.example/", want: true},
		"UserInfo":      {reason: "User info does not hide the host.", url: "http://user:pw@127.0.0.1/", want: false},
	}
	p := NewEgressPolicy(DefaultTenantDeny(), nil, WithResolver(r))
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := p.CheckURL(context.Background(), tc.url)
			if got := err == nil; got != tc.want {
				t.Errorf("\n%s\np.CheckURL(%q): want allowed %t, got error %v", tc.reason, tc.url, tc.want, err)
			}
			if err != nil && (!IsNotAllowed(err) || err.Error() == "" || strings.Contains(err.Error(), "127.0.0.1") || strings.Contains(err.Error(), "169.254")) {
				t.Errorf("\n%s\np.CheckURL(%q): want a NotAllowedError that names no address, got %v", tc.reason, tc.url, err)
			}
		})
	}
}

func TestHostPrefixes(t *testing.T) {
	r := hosts{"api.example": {"192.0.2.1", "2001:db8::1"}}
	got := HostPrefixes(context.Background(), r, "https://api.example:6443", "10.96.0.1", "[fd00::1]:443", "https://unknown.example", "")
	want := prefixes("10.96.0.1/32", "192.0.2.1/32", "2001:db8::1/128", "fd00::1/128")
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); diff != "" {
		t.Errorf("HostPrefixes(...): -want, +got:\n%s", diff)
	}
}

// TestSendEgress sends to real loopback servers through the dialer's
// check: literal addresses, a host name that resolves to a denied address,
// and a redirect to a denied address are all refused without a request.
func TestSendEgress(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	port := srv.Listener.Addr().(*net.TCPAddr).Port

	// A second server on another loopback address, only reachable through
	// a redirect from the first.
	var targetHits atomic.Int64
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	target := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		targetHits.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	_ = target.Listener.Close()
	target.Listener = ln
	target.Start()
	t.Cleanup(target.Close)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target.URL+"/", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)

	type want struct {
		class      Class
		notAllowed bool
		hits       int64
		targetHits int64
	}
	cases := map[string]struct {
		reason string
		url    string
		policy *EgressPolicy
		want   want
	}{
		"LoopbackLiteral": {
			reason: "A sink at 127.0.0.1 is refused by default and gets nothing.",
			url:    srv.URL + "/",
			policy: NewEgressPolicy(DefaultTenantDeny(), nil),
			want:   want{class: Retryable, notAllowed: true},
		},
		"LoopbackName": {
			reason: "localhost resolves to loopback: the dialer checks the resolved address, not the name.",
			url:    "http://localhost:" + strconv.Itoa(port) + "/",
			policy: NewEgressPolicy(DefaultTenantDeny(), nil),
			want:   want{class: Retryable, notAllowed: true},
		},
		"Allowed": {
			reason: "With 127.0.0.0/8 allowed, the same sink is delivered to.",
			url:    "http://localhost:" + strconv.Itoa(port) + "/",
			policy: NewEgressPolicy(DefaultTenantDeny(), prefixes("127.0.0.0/8")),
			want:   want{class: Delivered, hits: 1},
		},
		"NoPolicy": {
			reason: "Without a policy every address is reachable.",
			url:    srv.URL + "/",
			want:   want{class: Delivered, hits: 1},
		},
		"Redirect": {
			reason: "A redirect to a denied address is not followed: it is a refusal, and the target gets nothing.",
			url:    redirector.URL + "/",
			policy: NewEgressPolicy(DefaultTenantDeny(), prefixes("127.0.0.1/32")),
			want:   want{class: Rejected},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			hits.Store(0)
			targetHits.Store(0)
			s := newTestSender(t, SinkConfig{URL: tc.url, Egress: tc.policy})
			got := s.Send(context.Background(), testEvent("k", 1, 0))
			if diff := cmp.Diff(tc.want, want{class: got.Class, notAllowed: got.NotAllowed, hits: hits.Load(), targetHits: targetHits.Load()}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\ns.Send(...): -want, +got:\n%s\nmessage: %s", tc.reason, diff, got.Message)
			}
			if got.NotAllowed && (!strings.Contains(got.Message, errNotAllowed) || strings.Contains(got.Message, "127.0.0.1:"+strconv.Itoa(port)+"->")) {
				t.Errorf("\n%s\ns.Send(...).Message: want the fixed egress reason, got %q", tc.reason, got.Message)
			}
		})
	}
}
