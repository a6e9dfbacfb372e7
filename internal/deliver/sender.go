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
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/binding"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	"golang.org/x/net/http/httpguts"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/version"
)

// Defaults of a Sender.
const (
	// DefaultTimeout bounds one attempt when the sink sets none. It matches
	// the API default of spec.sink.timeout.
	DefaultTimeout = 10 * time.Second

	// DefaultMaxIdleConnsPerHost keeps enough warm connections for the
	// default number of outbox workers, with room to spare. Go's own default
	// of 2 exhausts ephemeral ports at about a thousand events a second.
	DefaultMaxIdleConnsPerHost = 64
)

const (
	// maxRetryAfter bounds a Retry-After a sink asks for, before the outbox
	// applies its own, usually much smaller, MaxBackoff.
	maxRetryAfter = 24 * time.Hour
	// maxBodyDrained is how much of a response body is read so that the
	// connection can be reused.
	maxBodyDrained = 64 << 10
	// minRedactedLen is the shortest static header or URL value that is
	// redacted from messages; shorter ones cannot carry a secret worth the
	// name and would mangle every message they happen to occur in. Secrets
	// given as credentials are redacted whatever their length.
	minRedactedLen = 4
	// redacted replaces every credential in messages.
	redacted = "[redacted]"
)

// Error strings.
const (
	errParseURL        = "cannot parse sink URL"
	errFmtURLScheme    = "cannot use sink URL scheme %q: only http and https are supported"
	errURLHost         = "cannot use sink URL without a host"
	errFmtEncoding     = "cannot use encoding %q: only Binary and Structured are supported"
	errTimeout         = "cannot use a negative timeout"
	errFmtHeaderName   = "cannot use header name %q"
	errFmtHeaderValue  = "cannot use the value of header %q: it holds characters not allowed in HTTP headers"
	errFmtHeaderReserv = "cannot set header %q: it is set by the CloudEvents HTTP binding or by the credentials"
	errFmtAuthScheme   = "cannot use authentication scheme %q: only Bearer, Basic and Header are supported"
	errAuthHeaderName  = "cannot use authentication scheme Header without a header name"
	errAuthEmpty       = "cannot authenticate with an empty credential"
	errAuthValue       = "cannot use the credential: it holds characters not allowed in HTTP headers"
	errCABundle        = "cannot parse CA bundle: it holds no PEM certificate"
	errClientCertPair  = "cannot use a client certificate without its key, or a key without its certificate"
	errClientCert      = "cannot load client certificate"
	errNewProtocol     = "cannot create CloudEvents HTTP protocol"
	errInvalidEvent    = "cannot send an invalid CloudEvent"
	errFmtEncode       = "cannot encode CloudEvent for sink %s"
	errFmtReach        = "cannot reach sink %s"
	errFmtNoAnswer     = "sink %s did not answer within %s"
	errFmtStatus       = "sink answered %d %s"
)

// Fixed reasons of a failed connection. A message about a sink says only
// these, never the error text of the network stack or the TLS library,
// which would tell a tenant how the provider's network looks (addresses,
// certificate names of internal services, whether a port is open).
const (
	reasonNotAllowed   = errNotAllowed
	reasonDNS          = "cannot resolve the sink's host"
	reasonRefused      = "connection refused"
	reasonClosed       = "connection closed by the sink"
	reasonUntrusted    = "the sink's TLS certificate is not trusted"
	reasonTLS          = "TLS handshake failed"
	reasonConnection   = "connection failed"
	reasonNoConnection = "no connection"
)

// TLSConfig holds the material a caller read from Secrets to secure the
// connection to a sink.
type TLSConfig struct {
	// CABundle is PEM CA certificates trusted in addition to the system
	// roots.
	CABundle []byte
	// ClientCert and ClientKey are a PEM certificate and key presented to
	// sinks that require mutual TLS.
	ClientCert []byte
	ClientKey  []byte
	// InsecureSkipVerify turns off verification of the sink's certificate.
	InsecureSkipVerify bool
}

// String keeps the client key out of anything that prints a TLSConfig.
func (c TLSConfig) String() string {
	return fmt.Sprintf("{CABundle:%d bytes ClientCert:%d bytes ClientKey:%s InsecureSkipVerify:%t}", len(c.CABundle), len(c.ClientCert), redactedIfSet(len(c.ClientKey)), c.InsecureSkipVerify)
}

// GoString keeps the client key out of %#v.
func (c TLSConfig) GoString() string { return "deliver.TLSConfig" + c.String() }

// Auth is the credential a caller read from a Secret and how to present it.
type Auth struct {
	// Scheme is Bearer (the default when empty), Basic or Header.
	Scheme v1alpha1.AuthScheme
	// HeaderName carries the secret when Scheme is Header.
	HeaderName string
	// Secret is the credential. For Basic it is "username:password".
	Secret string
}

// String keeps the credential out of anything that prints an Auth.
func (a Auth) String() string {
	return fmt.Sprintf("{Scheme:%s HeaderName:%s Secret:%s}", a.Scheme, a.HeaderName, redactedIfSet(len(a.Secret)))
}

// GoString keeps the credential out of %#v.
func (a Auth) GoString() string { return "deliver.Auth" + a.String() }

func redactedIfSet(n int) string {
	if n == 0 {
		return "<none>"
	}
	return redacted
}

// SinkConfig is everything needed to reach one sink. It is a plain struct so
// that the caller, which reads ProviderConfigs and Secrets, fills it and this
// package never touches the API server.
type SinkConfig struct {
	// URL of the sink, http or https.
	URL string
	// Encoding is Binary (the default when empty) or Structured.
	Encoding v1alpha1.Encoding
	// Timeout bounds one attempt; zero means DefaultTimeout.
	Timeout time.Duration
	// Headers are static, non-secret headers added to every request.
	Headers map[string]string
	// TLS secures https sinks.
	TLS TLSConfig
	// Auth authenticates the provider to the sink; nil sends no
	// credential.
	Auth *Auth
	// Egress limits the addresses the sink may connect to; nil allows
	// every address. With a policy, requests go to the sink directly and
	// never through a proxy from the environment, which would hide the
	// address actually reached.
	Egress *EgressPolicy
}

// String names the sink without its secrets: the URL without user info or
// query, header names without values.
func (c SinkConfig) String() string {
	u := "<unparsable>"
	if pu, err := url.Parse(strings.TrimSpace(c.URL)); err == nil {
		u = redactURL(pu)
	}
	names := make([]string, 0, len(c.Headers))
	for k := range c.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	auth := "<none>"
	if c.Auth != nil {
		auth = c.Auth.String()
	}
	return fmt.Sprintf("{URL:%s Encoding:%s Timeout:%s Headers:%v TLS:%s Auth:%s Egress:%t}", u, c.Encoding, c.Timeout, names, c.TLS, auth, c.Egress != nil)
}

// GoString keeps secrets out of %#v.
func (c SinkConfig) GoString() string { return "deliver.SinkConfig" + c.String() }

// Class is what an attempt's outcome means for the event.
type Class int

// Classes of attempt results.
const (
	// Delivered means the sink accepted the event (2xx).
	Delivered Class = iota
	// Retryable means the sink may accept the event later: a network
	// error, a timeout, 408, 429 or any 5xx.
	Retryable
	// Rejected means the sink will not accept this event as it is: a 3xx,
	// a 4xx other than 408 and 429, or an event that could not be sent.
	Rejected
)

// String names a class for logs and metrics.
func (c Class) String() string {
	switch c {
	case Delivered:
		return "Delivered"
	case Retryable:
		return "Retryable"
	case Rejected:
		return "Rejected"
	}
	return "Class(" + strconv.Itoa(int(c)) + ")"
}

// Result is the outcome of one attempt to send one event. It says what to
// do next (Class, RetryAfter) and what to report (Reachable, Message)
// without exposing the transport.
type Result struct { //nolint:errname // A Result is an outcome, delivered or not; Error only reads its message.
	// Class of the outcome.
	Class Class
	// StatusCode of the sink's answer; 0 when there was none.
	StatusCode int
	// Reachable is true when the sink gave an HTTP answer other than a
	// 5xx: it is up, even if it refused the event. It is false on network
	// errors, timeouts, 5xx answers and events that could not be sent.
	Reachable bool
	// RetryAfter is the delay a Retryable answer asked for with a
	// Retry-After header; 0 when none.
	RetryAfter time.Duration
	// Message describes a failure; empty when Delivered. It is a status
	// code or a fixed reason: it never holds a credential, a header value,
	// URL user info, or anything the sink or the network said, so it may
	// be shown to the tenant who owns the sink.
	Message string
	// NotAllowed is true when the egress policy refused the sink's
	// address: nothing was sent.
	NotAllowed bool
}

// Delivered is true when the sink accepted the event.
func (r Result) Delivered() bool { return r.Class == Delivered }

// Error returns the failure message, so a Result reads like an error where
// one is reported; empty when Delivered.
func (r Result) Error() string { return r.Message }

// SenderOption tunes a Sender.
type SenderOption func(*senderOptions)

type senderOptions struct {
	userAgent      string
	maxIdlePerHost int
	now            func() time.Time
}

// WithUserAgent sets the User-Agent header of every request, so sink
// operators can tell which provider build is calling.
func WithUserAgent(ua string) SenderOption {
	return func(o *senderOptions) { o.userAgent = ua }
}

// WithMaxIdleConnsPerHost sets how many idle connections to the sink are
// kept for reuse; raise it with the number of outbox workers.
func WithMaxIdleConnsPerHost(n int) SenderOption {
	return func(o *senderOptions) {
		if n > 0 {
			o.maxIdlePerHost = n
		}
	}
}

// WithClock sets the clock that turns a Retry-After HTTP-date into a delay,
// so tests are deterministic.
func WithClock(now func() time.Time) SenderOption {
	return func(o *senderOptions) {
		if now != nil {
			o.now = now
		}
	}
}

// Sender sends CloudEvents to one HTTP sink, one attempt at a time. Retries
// belong to the Outbox, which knows about ordering and backoff; the Sender
// only tells it what each attempt means. A Sender is safe for concurrent
// use.
type Sender struct {
	protocol   *cehttp.Protocol
	transport  *http.Transport
	structured bool
	timeout    time.Duration
	endpoint   string
	redact     *strings.Replacer
	now        func() time.Time
}

// NewSender validates a sink's configuration and prepares its connection
// pool. Errors never quote a credential or the URL.
func NewSender(c SinkConfig, opts ...SenderOption) (*Sender, error) {
	o := senderOptions{
		userAgent:      "provider-cdevents/" + version.Version,
		maxIdlePerHost: DefaultMaxIdleConnsPerHost,
		now:            time.Now,
	}
	for _, fn := range opts {
		fn(&o)
	}

	u, err := url.Parse(strings.TrimSpace(c.URL))
	if err != nil {
		// The parse error quotes the URL, which may carry user info.
		return nil, errors.New(errParseURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.Errorf(errFmtURLScheme, u.Scheme)
	}
	if u.Host == "" {
		return nil, errors.New(errURLHost)
	}

	var structured bool
	switch c.Encoding {
	case "", v1alpha1.EncodingBinary:
	case v1alpha1.EncodingStructured:
		structured = true
	default:
		return nil, errors.Errorf(errFmtEncoding, c.Encoding)
	}

	timeout := c.Timeout
	if timeout < 0 {
		return nil, errors.New(errTimeout)
	}
	if timeout == 0 {
		timeout = DefaultTimeout
	}

	headers, secrets, err := requestHeaders(c)
	if err != nil {
		return nil, err
	}
	if o.userAgent != "" && headers.Get("User-Agent") == "" {
		headers.Set("User-Agent", o.userAgent)
	}
	secrets = append(secrets, urlSecrets(u)...)

	tc, err := tlsConfig(c.TLS)
	if err != nil {
		return nil, err
	}
	dialer := &net.Dialer{
		Timeout:   min(timeout, 30*time.Second),
		KeepAlive: 30 * time.Second,
	}
	proxy := http.ProxyFromEnvironment
	if c.Egress != nil {
		// Checked on every address dialled, after resolution.
		dialer.Control = c.Egress.control
		proxy = nil
	}
	t := &http.Transport{
		Proxy:       proxy,
		DialContext: dialer.DialContext,
		// A custom TLS configuration switches HTTP/2 off unless asked for.
		ForceAttemptHTTP2:     true,
		TLSClientConfig:       tc,
		MaxIdleConns:          2 * o.maxIdlePerHost,
		MaxIdleConnsPerHost:   o.maxIdlePerHost,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ExpectContinueTimeout: time.Second,
	}
	hc := http.Client{
		Transport: t,
		Timeout:   timeout,
		// A redirect is a refusal: following it could hand the
		// credentials to another host or lead past the egress policy's
		// pre-flight check, and a CloudEvents sink has no reason to move.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}

	popts := []cehttp.Option{cehttp.WithTarget(u.String()), cehttp.WithClient(hc)}
	for k, vs := range headers {
		for _, v := range vs {
			popts = append(popts, cehttp.WithHeader(k, v))
		}
	}
	p, err := cehttp.New(popts...)
	if err != nil {
		// The protocol's own errors may quote the URL.
		return nil, errors.New(errNewProtocol)
	}

	return &Sender{
		protocol:   p,
		transport:  t,
		structured: structured,
		timeout:    timeout,
		endpoint:   redactURL(u),
		redact:     newRedactor(secrets),
		now:        o.now,
	}, nil
}

// reserved says whether a header is set by the CloudEvents HTTP binding or
// by net/http, so that a static header or credential must not fight it.
func reserved(canonical string) bool {
	switch canonical {
	case "Content-Type", "Content-Length", "Content-Encoding", "Transfer-Encoding",
		"Connection", "Host", "Te", "Trailer", "Upgrade":
		return true
	}
	return strings.HasPrefix(canonical, "Ce-")
}

// requestHeaders returns the headers of every request and the values to keep
// out of messages.
func requestHeaders(c SinkConfig) (http.Header, []string, error) {
	h := http.Header{}
	var secrets []string

	authName := ""
	if c.Auth != nil {
		a := c.Auth
		if a.Secret == "" {
			return nil, nil, errors.New(errAuthEmpty)
		}
		if !httpguts.ValidHeaderFieldValue(a.Secret) {
			return nil, nil, errors.New(errAuthValue)
		}
		var value string
		switch a.Scheme {
		case "", v1alpha1.AuthSchemeBearer:
			authName, value = "Authorization", "Bearer "+a.Secret
		case v1alpha1.AuthSchemeBasic:
			enc := base64.StdEncoding.EncodeToString([]byte(a.Secret))
			authName, value = "Authorization", "Basic "+enc
			secrets = append(secrets, enc)
		case v1alpha1.AuthSchemeHeader:
			if a.HeaderName == "" {
				return nil, nil, errors.New(errAuthHeaderName)
			}
			if !httpguts.ValidHeaderFieldName(a.HeaderName) {
				return nil, nil, errors.Errorf(errFmtHeaderName, a.HeaderName)
			}
			authName, value = a.HeaderName, a.Secret
		default:
			return nil, nil, errors.Errorf(errFmtAuthScheme, a.Scheme)
		}
		authName = http.CanonicalHeaderKey(authName)
		if reserved(authName) {
			return nil, nil, errors.Errorf(errFmtHeaderReserv, authName)
		}
		h.Set(authName, value)
		secrets = append(secrets, value, a.Secret)
	}

	for k, v := range c.Headers {
		if !httpguts.ValidHeaderFieldName(k) {
			return nil, nil, errors.Errorf(errFmtHeaderName, k)
		}
		ck := http.CanonicalHeaderKey(k)
		if reserved(ck) || ck == authName {
			return nil, nil, errors.Errorf(errFmtHeaderReserv, k)
		}
		if !httpguts.ValidHeaderFieldValue(v) {
			// The value itself is not quoted: it may be a misplaced secret.
			return nil, nil, errors.Errorf(errFmtHeaderValue, k)
		}
		h.Set(ck, v)
		if len(v) >= minRedactedLen {
			secrets = append(secrets, v)
		}
	}
	return h, secrets, nil
}

// urlSecrets are the parts of a URL that may authenticate: user info and
// query values.
func urlSecrets(u *url.URL) []string {
	var s []string
	if u.User != nil {
		s = append(s, u.User.String())
		if n := u.User.Username(); len(n) >= minRedactedLen {
			s = append(s, n)
		}
		if p, ok := u.User.Password(); ok {
			// net/http turns user info into a Basic Authorization header,
			// which a sink may echo back.
			s = append(s, p, base64.StdEncoding.EncodeToString([]byte(u.User.Username()+":"+p)))
		}
	}
	for _, vs := range u.Query() {
		for _, v := range vs {
			if len(v) >= minRedactedLen {
				s = append(s, v, url.QueryEscape(v))
			}
		}
	}
	return s
}

// redactURL is how a sink is named in messages: scheme, host and path, with
// no user info and no query.
func redactURL(u *url.URL) string {
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	s := r.String()
	if u.RawQuery != "" {
		s += "?" + redacted
	}
	return s
}

// newRedactor replaces every secret with a marker, longest first so that a
// secret containing another is removed whole.
func newRedactor(secrets []string) *strings.Replacer {
	seen := map[string]bool{}
	var uniq []string
	for _, s := range secrets {
		if s != "" && !seen[s] {
			seen[s] = true
			uniq = append(uniq, s)
		}
	}
	// Insertion sort: a handful of entries.
	for i := 1; i < len(uniq); i++ {
		for j := i; j > 0 && len(uniq[j]) > len(uniq[j-1]); j-- {
			uniq[j], uniq[j-1] = uniq[j-1], uniq[j]
		}
	}
	pairs := make([]string, 0, 2*len(uniq))
	for _, s := range uniq {
		pairs = append(pairs, s, redacted)
	}
	return strings.NewReplacer(pairs...)
}

func tlsConfig(c TLSConfig) (*tls.Config, error) {
	tc := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Off unless the ProviderConfig asks for it, for throwaway sinks.
		InsecureSkipVerify: c.InsecureSkipVerify, //nolint:gosec // Explicit user opt-in, documented in the API.
	}
	if len(c.CABundle) > 0 {
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(c.CABundle) {
			return nil, errors.New(errCABundle)
		}
		tc.RootCAs = pool
	}
	if (len(c.ClientCert) == 0) != (len(c.ClientKey) == 0) {
		return nil, errors.New(errClientCertPair)
	}
	if len(c.ClientCert) > 0 {
		kp, err := tls.X509KeyPair(c.ClientCert, c.ClientKey)
		if err != nil {
			return nil, errors.Wrap(err, errClientCert)
		}
		tc.Certificates = []tls.Certificate{kp}
	}
	return tc, nil
}

// Endpoint names the sink for logs: its URL without user info or query.
func (s *Sender) Endpoint() string { return s.endpoint }

// Close releases idle connections. In-flight sends are not interrupted.
func (s *Sender) Close() { s.transport.CloseIdleConnections() }

// Send makes exactly one attempt to deliver e and says what it means. It
// returns when the sink answered, the per-attempt timeout passed, or ctx
// was cancelled.
func (s *Sender) Send(ctx context.Context, e cloudevents.Event) Result {
	if err := e.Validate(); err != nil {
		return Result{Class: Rejected, Message: s.clean(errors.Wrap(err, errInvalidEvent).Error())}
	}
	if s.structured {
		ctx = binding.WithForceStructured(ctx)
	} else {
		ctx = binding.WithForceBinary(ctx)
	}

	resp, err := s.protocol.Request(ctx, binding.ToMessage(&e))
	var hr *cehttp.Result
	if !errors.As(err, &hr) {
		if resp != nil {
			_ = resp.Finish(nil)
		}
		return s.transportFailure(err)
	}

	var header http.Header
	if m, ok := resp.(*cehttp.Message); ok && m != nil {
		header = m.Header
		if m.BodyReader != nil {
			// Drain so the connection goes back to the pool.
			_, _ = io.Copy(io.Discard, io.LimitReader(m.BodyReader, maxBodyDrained))
		}
	}
	if resp != nil {
		_ = resp.Finish(nil)
	}
	return s.answer(hr.StatusCode, header)
}

// answer classifies an HTTP answer. The message is the status code and its
// standard text: the body and headers of a refusal are the sink's words,
// and a sink a tenant names may be any service the provider can reach.
func (s *Sender) answer(code int, header http.Header) Result {
	r := Result{StatusCode: code, Reachable: code < 500}
	switch {
	case code >= 200 && code < 300:
		r.Class = Delivered
		return r
	case code == http.StatusRequestTimeout, code == http.StatusTooManyRequests, code >= 500:
		r.Class = Retryable
		r.RetryAfter = parseRetryAfter(header.Get("Retry-After"), s.now())
	default:
		r.Class = Rejected
	}
	r.Message = s.clean(strings.TrimSpace(fmt.Sprintf(errFmtStatus, code, http.StatusText(code))))
	return r
}

// transportFailure classifies an attempt that got no HTTP answer.
func (s *Sender) transportFailure(err error) Result {
	var ue *url.Error
	if !errors.As(err, &ue) {
		// The request could not even be written: retrying will not help.
		msg := fmt.Sprintf(errFmtEncode, s.endpoint)
		if err != nil {
			msg += ": " + err.Error()
		}
		return Result{Class: Rejected, Message: s.clean(msg)}
	}
	if IsNotAllowed(ue) {
		// Nothing was sent. Retryable, so events wait for the config or
		// the policy to change instead of being dead-lettered.
		return Result{Class: Retryable, NotAllowed: true, Message: s.clean(fmt.Sprintf(errFmtReach, s.endpoint) + ": " + reasonNotAllowed)}
	}
	var msg string
	if ue.Timeout() {
		msg = fmt.Sprintf(errFmtNoAnswer, s.endpoint, s.timeout)
	} else {
		msg = fmt.Sprintf(errFmtReach, s.endpoint) + ": " + failureReason(ue.Err)
	}
	return Result{Class: Retryable, Message: s.clean(msg)}
}

// failureReason names why a connection failed with a fixed reason.
func failureReason(err error) string {
	var (
		dns       *net.DNSError
		unknownCA x509.UnknownAuthorityError
		invalid   x509.CertificateInvalidError
		hostname  x509.HostnameError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
		alert     tls.AlertError
	)
	switch {
	case err == nil:
		return reasonNoConnection
	case errors.As(err, &dns):
		return reasonDNS
	case errors.As(err, &verify), errors.As(err, &unknownCA), errors.As(err, &invalid), errors.As(err, &hostname):
		return reasonUntrusted
	case errors.As(err, &record), errors.As(err, &alert):
		return reasonTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return reasonRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return reasonClosed
	}
	if strings.Contains(err.Error(), "tls: ") {
		// The TLS stack reports some failures, such as a refused client
		// certificate, only as text.
		return reasonTLS
	}
	return reasonConnection
}

// clean removes every credential from a message.
func (s *Sender) clean(msg string) string { return s.redact.Replace(msg) }

// parseRetryAfter reads a Retry-After header: delta seconds or an
// HTTP-date. Anything else, or a time in the past, means no delay.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseUint(v, 10, 64); err == nil {
		if n > uint64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		return time.Duration(n) * time.Second
	} else if allDigits(v) {
		// Too large for uint64.
		return maxRetryAfter
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	switch {
	case d < 0:
		return 0
	case d > maxRetryAfter:
		return maxRetryAfter
	}
	return d
}

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}
