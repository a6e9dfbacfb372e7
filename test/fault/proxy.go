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

package fault

import (
	"context"
	"encoding/json"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// APIFaults says which faults the proxy injects and how often. Rates are
// probabilities per request, from 0 to 1.
type APIFaults struct {
	// ReadErrorRate answers a GET or LIST with 500, or with 429 and a
	// Retry-After header, instead of forwarding it.
	ReadErrorRate float64
	// ReadTimeoutRate holds a GET or LIST for TimeoutHold and then drops
	// the connection without an answer, as an overloaded load balancer
	// does.
	ReadTimeoutRate float64
	// TimeoutHold is how long a timed-out read is held.
	TimeoutHold time.Duration
	// WatchCutAfter cuts every watch after a random time between half
	// this long and this long; zero lets watches run.
	WatchCutAfter time.Duration
	// WatchGoneRate answers a watch with 410 Gone (reason Expired), as the
	// API server does when the requested resource version was compacted.
	WatchGoneRate float64
}

// Fault counters of the proxy.
const (
	FaultRead500     = "read-500"
	FaultRead429     = "read-429"
	FaultReadTimeout = "read-timeout"
	FaultWatchCut    = "watch-cut"
	FaultWatchGone   = "watch-410"
	FaultProxyDown   = "api-down"
)

// APIProxy is a plain-HTTP loopback reverse proxy in front of the API
// server. The provider's kubeconfig points at it; it forwards every request
// with the admin credentials of the local control plane and injects faults.
// It can go fully down (connections refused) and come back on the same
// address.
type APIProxy struct {
	addr   string
	proxy  *httputil.ReverseProxy
	mu     sync.Mutex
	faults APIFaults
	counts map[string]int
	srv    *http.Server
	ln     net.Listener
	rnd    *rand.Rand
}

// NewAPIProxy starts a proxy to the API server of cfg on a free loopback
// port.
func NewAPIProxy(cfg *rest.Config) (*APIProxy, error) {
	target, err := url.Parse(cfg.Host)
	if err != nil {
		return nil, errors.Wrap(err, "cannot parse the API server address")
	}
	// A dialer of its own keeps client-go from handing the proxy a
	// transport cached for every config alike: each proxy owns its
	// connections, so no proxy reuses another's idle connection to an API
	// server that has since gone (or to another on the same port).
	own := rest.CopyConfig(cfg)
	own.Dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	rt, err := rest.TransportFor(own)
	if err != nil {
		return nil, errors.Wrap(err, "cannot build a transport to the API server")
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = rt
	// Watches stream: flush every chunk at once.
	rp.FlushInterval = -1
	rp.ErrorLog = log.New(io.Discard, "", 0)
	p := &APIProxy{proxy: rp, counts: map[string]int{}, rnd: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))} //nolint:gosec // Fault timing, not security.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errors.Wrap(err, "cannot listen for the API proxy")
	}
	p.addr = l.Addr().String()
	p.serve(l)
	return p, nil
}

// URL of the proxy.
func (p *APIProxy) URL() string { return "http://" + p.addr }

// SetFaults changes the faults from now on.
func (p *APIProxy) SetFaults(f APIFaults) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = f
}

// Counts returns how many faults of each kind were injected so far.
func (p *APIProxy) Counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// ResetCounts forgets the faults counted so far.
func (p *APIProxy) ResetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
}

// Down stops listening and drops every open connection, watches included:
// clients get connection refused until Up.
func (p *APIProxy) Down() {
	p.mu.Lock()
	srv, ln := p.srv, p.ln
	p.srv, p.ln = nil, nil
	p.counts[FaultProxyDown]++
	p.mu.Unlock()
	if srv != nil {
		// Close the listener first: Serve may not have taken it yet.
		_ = ln.Close()
		_ = srv.Close()
	}
}

// Up listens again on the same address.
func (p *APIProxy) Up() error {
	var l net.Listener
	var err error
	// The kernel may take a moment to release the port.
	for range 50 {
		if l, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return errors.Wrapf(err, "cannot listen again on %s", p.addr)
	}
	p.serve(l)
	return nil
}

// Close stops the proxy for good.
func (p *APIProxy) Close() {
	p.Down()
}

func (p *APIProxy) serve(l net.Listener) {
	srv := &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	p.mu.Lock()
	p.srv, p.ln = srv, l
	p.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// decision is what the proxy does with one request.
type decision struct {
	status   int
	hold     time.Duration
	cutAfter time.Duration
	gone     bool
}

func (p *APIProxy) decide(r *http.Request) decision {
	p.mu.Lock()
	defer p.mu.Unlock()
	f := p.faults
	if r.Method != http.MethodGet {
		return decision{}
	}
	if isWatch(r) {
		if f.WatchGoneRate > 0 && p.rnd.Float64() < f.WatchGoneRate {
			p.counts[FaultWatchGone]++
			return decision{gone: true}
		}
		if f.WatchCutAfter > 0 {
			return decision{cutAfter: f.WatchCutAfter/2 + time.Duration(p.rnd.Int64N(int64(f.WatchCutAfter/2)+1))}
		}
		return decision{}
	}
	x := p.rnd.Float64()
	switch {
	case x < f.ReadErrorRate/2:
		p.counts[FaultRead500]++
		return decision{status: http.StatusInternalServerError}
	case x < f.ReadErrorRate:
		p.counts[FaultRead429]++
		return decision{status: http.StatusTooManyRequests}
	case x < f.ReadErrorRate+f.ReadTimeoutRate:
		p.counts[FaultReadTimeout]++
		return decision{hold: f.TimeoutHold}
	}
	return decision{}
}

func (p *APIProxy) count(fault string) {
	p.mu.Lock()
	p.counts[fault]++
	p.mu.Unlock()
}

// ServeHTTP forwards one request, or injects a fault instead.
func (p *APIProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d := p.decide(r)
	switch {
	case d.gone:
		writeStatus(w, http.StatusGone, metav1.StatusReasonExpired, "too old resource version: injected by the fault proxy")
		return
	case d.status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", "1")
		writeStatus(w, d.status, metav1.StatusReasonTooManyRequests, "injected by the fault proxy")
		return
	case d.status != 0:
		writeStatus(w, d.status, metav1.StatusReasonInternalError, "injected by the fault proxy")
		return
	case d.hold > 0:
		select {
		case <-time.After(d.hold):
		case <-r.Context().Done():
		}
		// Drop the connection without an answer.
		panic(http.ErrAbortHandler)
	case d.cutAfter > 0:
		ctx, cancel := context.WithTimeout(r.Context(), d.cutAfter)
		// The reverse proxy aborts the handler when the copy is cut, so
		// count in a deferred call.
		defer func() {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				p.count(FaultWatchCut)
			}
			cancel()
		}()
		p.proxy.ServeHTTP(w, r.WithContext(ctx))
		return
	}
	p.proxy.ServeHTTP(w, r)
}

func isWatch(r *http.Request) bool {
	w := r.URL.Query().Get("watch")
	b, _ := strconv.ParseBool(w)
	return b
}

// writeStatus answers with a metav1.Status, as the API server does.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	s := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Code:     int32(code), //nolint:gosec // An HTTP status code.
	}
	b, _ := json.Marshal(s)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// WriteKubeconfig writes a kubeconfig that points at the proxy, without
// credentials (the proxy adds them), into dir and returns its path.
func (p *APIProxy) WriteKubeconfig(dir string) (string, error) {
	c := clientcmdapi.NewConfig()
	c.Clusters["fault"] = &clientcmdapi.Cluster{Server: p.URL()}
	c.AuthInfos["fault"] = &clientcmdapi.AuthInfo{}
	c.Contexts["fault"] = &clientcmdapi.Context{Cluster: "fault", AuthInfo: "fault"}
	c.CurrentContext = "fault"
	path := filepath.Join(dir, "kubeconfig")
	if err := clientcmd.WriteToFile(*c, path); err != nil {
		return "", errors.Wrap(err, "cannot write the provider's kubeconfig")
	}
	if _, err := os.Stat(path); err != nil {
		return "", errors.Wrap(err, "cannot write the provider's kubeconfig")
	}
	return path, nil
}
