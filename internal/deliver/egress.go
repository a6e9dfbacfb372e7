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
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Error strings of the egress policy.
const (
	errFmtParseCIDR = "cannot parse %q as a CIDR or an IP address"
	errNotAllowed   = "the sink's address is not allowed by the provider's egress policy"
	errFmtDialAddr  = "cannot check the address %q against the egress policy"
)

// lookupTimeout bounds resolving a sink's host before use, so a slow DNS
// server cannot hold a reconcile.
const lookupTimeout = 5 * time.Second

// DefaultTenantDeny are the addresses a namespaced ProviderConfig's sink may
// never reach unless the administrator allows them: loopback (the
// provider's own pod, sidecars and metrics), link-local (cloud metadata
// services such as 169.254.169.254) and the unspecified addresses, which
// reach the local host. The API server's addresses are added at start.
func DefaultTenantDeny() []netip.Prefix {
	return []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("::1/128"),
		netip.MustParsePrefix("169.254.0.0/16"),
		netip.MustParsePrefix("fe80::/10"),
		netip.MustParsePrefix("0.0.0.0/32"),
		netip.MustParsePrefix("::/128"),
	}
}

// A Resolver looks up the addresses of a host name. *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// EgressOption tunes an EgressPolicy.
type EgressOption func(*EgressPolicy)

// WithResolver sets how host names are resolved when a sink is checked
// before use, so tests can point a name at any address.
func WithResolver(r Resolver) EgressOption {
	return func(p *EgressPolicy) {
		if r != nil {
			p.resolver = r
		}
	}
}

// An EgressPolicy says which addresses a sink may connect to. It is what
// keeps a tenant's sink URL from turning the provider, which runs inside the
// control plane's network with cluster-wide read access, into a proxy to
// the metadata service, the API server or the provider itself. It is checked
// in the dialer, on the address actually connected to, so a host name that
// resolves to a denied address later (DNS rebinding) is refused too. An
// allowed prefix wins over a denied one. An EgressPolicy is immutable and
// safe for concurrent use.
type EgressPolicy struct {
	deny     []netip.Prefix
	allow    []netip.Prefix
	resolver Resolver
}

// NewEgressPolicy returns a policy that refuses the addresses of deny
// unless they are also in allow.
func NewEgressPolicy(deny, allow []netip.Prefix, opts ...EgressOption) *EgressPolicy {
	p := &EgressPolicy{
		deny:     normalizePrefixes(deny),
		allow:    normalizePrefixes(allow),
		resolver: net.DefaultResolver,
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

// normalizePrefixes unmaps IPv4-mapped prefixes, masks host bits, and sorts and
// deduplicates, so that two policies built from the same flags are equal
// and messages listing them are deterministic.
func normalizePrefixes(in []netip.Prefix) []netip.Prefix {
	seen := map[netip.Prefix]bool{}
	out := make([]netip.Prefix, 0, len(in))
	for _, p := range in {
		if !p.IsValid() {
			continue
		}
		a := p.Addr()
		bits := p.Bits()
		if a.Is4In6() && bits >= 96 {
			a, bits = a.Unmap(), bits-96
		}
		p = netip.PrefixFrom(a, bits).Masked()
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// Deny returns the denied prefixes.
func (p *EgressPolicy) Deny() []netip.Prefix { return append([]netip.Prefix(nil), p.deny...) }

// Allow returns the allowed prefixes.
func (p *EgressPolicy) Allow() []netip.Prefix { return append([]netip.Prefix(nil), p.allow...) }

// Allowed says whether a sink may connect to a. IPv4-mapped IPv6
// addresses are judged as the IPv4 address they carry; a zone is ignored.
func (p *EgressPolicy) Allowed(a netip.Addr) bool {
	if p == nil {
		return true
	}
	a = a.Unmap().WithZone("")
	for _, pr := range p.allow {
		if pr.Contains(a) {
			return true
		}
	}
	for _, pr := range p.deny {
		if pr.Contains(a) {
			return false
		}
	}
	return true
}

// NotAllowedError is returned when a sink would connect to an address the
// egress policy denies. Its message names no address: it reaches the status
// of a tenant's ProviderConfig, which must not learn how the provider's
// network looks.
type NotAllowedError struct {
	// Addr is the refused address, for the provider's own logs.
	Addr netip.Addr
}

// Error says the sink is not allowed, without the address.
func (e *NotAllowedError) Error() string { return errNotAllowed }

// IsNotAllowed says whether err, or an error it wraps, is a refusal of the
// egress policy.
func IsNotAllowed(err error) bool {
	var na *NotAllowedError
	return errors.As(err, &na)
}

// control is a net.Dialer Control function: it runs after the host name is
// resolved and before each connection attempt, with the address actually
// dialled.
func (p *EgressPolicy) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		// Never let through what cannot be checked.
		return errors.Wrapf(err, errFmtDialAddr, address)
	}
	if !p.Allowed(ap.Addr()) {
		return &NotAllowedError{Addr: ap.Addr()}
	}
	return nil
}

// CheckURL resolves the host of a sink URL and refuses it when any of its
// addresses is denied, so that a refused sink shows as such before anything
// is sent. A host that cannot be resolved is not refused here: delivery
// reports it as unreachable, and the dialer checks whatever it resolves to
// later.
func (p *EgressPolicy) CheckURL(ctx context.Context, raw string) error {
	if p == nil {
		return nil
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Hostname() == "" {
		// Not a refusal: NewSender reports the URL itself as invalid.
		return nil
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if !p.Allowed(a) {
			return &NotAllowedError{Addr: a}
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	addrs, err := p.resolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		// Not a refusal: delivery reports a sink that does not resolve
		// as unreachable.
		return nil
	}
	for _, a := range addrs {
		if !p.Allowed(a) {
			return &NotAllowedError{Addr: a}
		}
	}
	return nil
}

// ParseCIDRs reads a comma-separated list of CIDRs, as the provider's
// egress flags take them. A bare IP address means that one address.
// Blank entries are ignored.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p)
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, errors.Errorf(errFmtParseCIDR, f)
		}
		out = append(out, netip.PrefixFrom(a.WithZone(""), a.BitLen()))
	}
	return out, nil
}

// AddrPrefixes turns the hosts that are IP addresses (bare, host:port, or
// in URLs such as a rest.Config's Host) into single-address prefixes,
// without any lookup, and returns the host names among them.
func AddrPrefixes(hosts ...string) ([]netip.Prefix, []string) {
	var out []netip.Prefix
	var names []string
	for _, h := range hosts {
		h = hostOf(h)
		if h == "" {
			continue
		}
		if a, err := netip.ParseAddr(h); err == nil {
			a = a.Unmap().WithZone("")
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		names = append(names, h)
	}
	return normalizePrefixes(out), names
}

// HostPrefixes resolves hosts (host names, IP addresses, host:port pairs or
// URLs such as a rest.Config's Host) into single-address prefixes, for
// denying the API server. Hosts that cannot be resolved are skipped.
func HostPrefixes(ctx context.Context, r Resolver, hosts ...string) []netip.Prefix {
	if r == nil {
		r = net.DefaultResolver
	}
	out, names := AddrPrefixes(hosts...)
	for _, h := range names {
		addrs, err := r.LookupNetIP(ctx, "ip", h)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			a = a.Unmap().WithZone("")
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return normalizePrefixes(out)
}

// hostOf strips a scheme, port and path from a host given in any of the
// shapes a rest.Config or the environment uses.
func hostOf(h string) string {
	h = strings.TrimSpace(h)
	if h == "" {
		return ""
	}
	if strings.Contains(h, "://") {
		u, err := url.Parse(h)
		if err != nil {
			return ""
		}
		return u.Hostname()
	}
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}
