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
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

const testEventType = "dev.cdevents.environment.modified.0.3.0"

// testEvent is event i of transition seq of key, with an id that says so.
func testEvent(key string, seq int64, i int) cloudevents.Event {
	e := cloudevents.NewEvent()
	e.SetID(eventID(key, seq, i))
	e.SetSource("/crossplane/test")
	e.SetType(testEventType)
	e.SetSubject(key)
	e.SetTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	_ = e.SetData(cloudevents.ApplicationJSON, map[string]string{"key": key})
	return e
}

func eventID(key string, seq int64, i int) string {
	return key + "-" + strconv.FormatInt(seq, 10) + "-" + strconv.Itoa(i)
}

// transitions builds n transitions of key with m events each.
func transitions(key string, n, m int) []Pending {
	ps := make([]Pending, 0, n)
	for s := 1; s <= n; s++ {
		p := Pending{Seq: int64(s)}
		for i := range m {
			p.Events = append(p.Events, testEvent(key, int64(s), i))
		}
		ps = append(ps, p)
	}
	return ps
}

// expectedIDs lists the ids of ps in sending order.
func expectedIDs(ps []Pending) []string {
	var ids []string
	for _, p := range ps {
		for _, e := range p.Events {
			ids = append(ids, e.ID())
		}
	}
	return ids
}

// done is one Done call.
type done struct {
	Seq     int64
	Outcome Outcome
}

// memSource is a Source over in-memory transitions.
type memSource struct {
	mu         sync.Mutex
	pending    map[string][]Pending
	done       map[string][]done
	failReads  int
	total      int
	doneSignal chan struct{}
}

func newMemSource(keys map[string][]Pending) *memSource {
	s := &memSource{pending: map[string][]Pending{}, done: map[string][]done{}, doneSignal: make(chan struct{}, 1)}
	for k, ps := range keys {
		s.pending[k] = append([]Pending(nil), ps...)
		s.total += len(ps)
	}
	return s
}

func (s *memSource) Next(_ context.Context, key string) (Pending, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failReads > 0 {
		s.failReads--
		return Pending{}, false, errors.New("cannot read ledger")
	}
	ps := s.pending[key]
	if len(ps) == 0 {
		return Pending{}, false, nil
	}
	return ps[0], true, nil
}

func (s *memSource) Done(key string, p Pending, o Outcome) {
	s.mu.Lock()
	if ps := s.pending[key]; len(ps) > 0 && ps[0].Seq == p.Seq {
		s.pending[key] = ps[1:]
	}
	s.done[key] = append(s.done[key], done{Seq: p.Seq, Outcome: o})
	s.mu.Unlock()
	select {
	case s.doneSignal <- struct{}{}:
	default:
	}
}

func (s *memSource) doneCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, d := range s.done {
		n += len(d)
	}
	return n
}

func (s *memSource) doneOf(key string) []done {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]done(nil), s.done[key]...)
}

func (s *memSource) allDone() map[string][]done {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string][]done{}
	for k, d := range s.done {
		out[k] = append([]done(nil), d...)
	}
	return out
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// request is what a test sink saw of one request.
type request struct {
	ID      string
	Subject string
	At      time.Time
	Status  int
}

// sinkServer is a CloudEvents sink whose answer to each request is decided
// by respond, given how many times it has seen the event before.
type sinkServer struct {
	*httptest.Server

	mu       sync.Mutex
	requests []request
	seen     map[string]int
	respond  func(w http.ResponseWriter, r *http.Request, previous int) int
}

func newSinkServer(t *testing.T, respond func(w http.ResponseWriter, r *http.Request, previous int) int) *sinkServer {
	t.Helper()
	s := &sinkServer{seen: map[string]int{}, respond: respond}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *sinkServer) serve(w http.ResponseWriter, r *http.Request) {
	// Reading the body lets the server notice a client that gives up.
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	id := r.Header.Get("Ce-Id")
	s.mu.Lock()
	prev := s.seen[id]
	s.seen[id]++
	s.mu.Unlock()
	code := http.StatusOK
	if s.respond != nil {
		code = s.respond(w, r, prev)
	}
	s.mu.Lock()
	s.requests = append(s.requests, request{ID: id, Subject: r.Header.Get("Ce-Subject"), At: time.Now(), Status: code})
	s.mu.Unlock()
	w.WriteHeader(code)
}

func (s *sinkServer) all() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]request(nil), s.requests...)
}

// accepted lists, per subject, the ids the sink answered 2xx to, in order.
func (s *sinkServer) accepted() map[string][]string {
	out := map[string][]string{}
	for _, r := range s.all() {
		if r.Status/100 == 2 {
			out[r.Subject] = append(out[r.Subject], r.ID)
		}
	}
	return out
}

func (s *sinkServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.requests)
}

// newTestSender builds a Sender or fails the test.
func newTestSender(tb testing.TB, c SinkConfig, opts ...SenderOption) *Sender {
	tb.Helper()
	s, err := NewSender(c, opts...)
	if err != nil {
		tb.Fatalf("NewSender(...): %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// closedAddr is a loopback address nobody listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// pki is a test CA with a server and a client certificate, all PEM.
type pki struct {
	caPEM      []byte
	caPool     *x509.CertPool
	serverCert tls.Certificate
	clientCert []byte
	clientKey  []byte
}

func newPKI(t *testing.T) pki {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "deliver test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}

	issue := func(serial int64, cn string, usage x509.ExtKeyUsage) ([]byte, []byte) {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: cn},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
			DNSNames:     []string{"localhost"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kDER})
	}

	sCert, sKey := issue(2, "sink", x509.ExtKeyUsageServerAuth)
	serverCert, err := tls.X509KeyPair(sCert, sKey)
	if err != nil {
		t.Fatal(err)
	}
	cCert, cKey := issue(3, "provider", x509.ExtKeyUsageClientAuth)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pki{
		caPEM:      pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		caPool:     pool,
		serverCert: serverCert,
		clientCert: cCert,
		clientKey:  cKey,
	}
}

// tlsServer starts an https sink with the PKI's server certificate; with
// mTLS it requires a client certificate signed by the CA.
func tlsServer(t *testing.T, p pki, mTLS bool, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.EnableHTTP2 = true
	s.TLS = &tls.Config{Certificates: []tls.Certificate{p.serverCert}, MinVersion: tls.VersionTLS12}
	if mTLS {
		s.TLS.ClientAuth = tls.RequireAndVerifyClientCert
		s.TLS.ClientCAs = p.caPool
	}
	// Handshake failures are expected in these tests; keep them quiet.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.StartTLS()
	t.Cleanup(s.Close)
	return s
}

// lockedBuffer collects log lines from many goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) write(prefix, args string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(&l.b, "%s %s\n", prefix, args)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// fixedJitter makes backoff deterministic.
func fixedJitter(f float64) func() float64 { return func() float64 { return f } }
