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

// Package receiver is a CloudEvents HTTP receiver for CDEvents that keeps
// the most recent events in memory and shows them as one live timeline per
// cluster. It exists so that anyone can see what provider-cdevents sends
// without installing a CD dashboard: cmd/cdevents-receiver runs it on its
// own, and the local demo runs it in-process. It accepts any valid CDEvent,
// from this provider or another producer, in binary, structured or batch
// encoding, and rejects what is not valid against the CDEvents schemas.
package receiver

import (
	"crypto/subtle"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
)

// DefaultMaxBodyBytes bounds the size of one request. CDEvents from the
// provider are a few kilobytes.
const DefaultMaxBodyBytes = 1 << 20

// DefaultMaxSubscribers bounds how many live event streams are open at
// once; each holds a goroutine and a buffer of subscriberBuffer events.
const DefaultMaxSubscribers = 64

// defaultHeartbeat is how often an idle event stream sends a comment, so
// that proxies and browsers keep it open.
const defaultHeartbeat = 15 * time.Second

// Media types of the CloudEvents HTTP binding.
const (
	mediaStructured = "application/cloudevents+json"
	mediaBatch      = "application/cloudevents-batch+json"
)

const (
	errNewValidator    = "cannot create the CDEvents validator"
	errFmtReadEvent    = "cannot read a CloudEvent from the request (%s encoding)"
	errFmtInvalidEvent = "invalid CDEvent %q"
	errFmtParseEvent   = "cannot parse CDEvent %q"
	errUnauthorized    = "missing or wrong bearer token"
	errNoFlusher       = "streaming is not supported by this connection"
	errNoEvents        = "the batch holds no events"
	errTooManyStreams  = "too many open event streams; retry later"
)

// A Receiver accepts CDEvents over HTTP, keeps them in a Store, prints one
// line per event, and serves the timeline page and its API. A Receiver is
// safe for concurrent use.
type Receiver struct {
	store     *Store
	validator *cdevent.Validator
	log       logging.Logger
	token     string
	maxBody   int64
	heartbeat time.Duration
	// streams holds one token per open event stream.
	streams chan struct{}
	maxSubs int

	outMu sync.Mutex
	out   io.Writer
}

// An Option configures a Receiver.
type Option func(*Receiver)

// WithStore keeps events in s instead of a new Store of DefaultMaxEvents.
func WithStore(s *Store) Option { return func(r *Receiver) { r.store = s } }

// WithValidator validates events with v, for example one that also holds
// the schema files of a CDEvents spec checkout. By default the schemas
// embedded in the CDEvents SDK are used.
func WithValidator(v *cdevent.Validator) Option { return func(r *Receiver) { r.validator = v } }

// WithLogger logs rejected requests and duplicates to l.
func WithLogger(l logging.Logger) Option { return func(r *Receiver) { r.log = l } }

// WithPrinter writes every stored event to w as one line (see Event.Line),
// so a terminal shows the events as they arrive.
func WithPrinter(w io.Writer) Option { return func(r *Receiver) { r.out = w } }

// WithBearerToken makes the receiver accept events only with
// "Authorization: Bearer <token>", as a ProviderConfig with Secret
// credentials sends them. It guards ingestion only: the page and its API
// stay readable. An empty token accepts every sender.
func WithBearerToken(token string) Option { return func(r *Receiver) { r.token = token } }

// WithMaxBodyBytes bounds the size of one request.
func WithMaxBodyBytes(n int64) Option { return func(r *Receiver) { r.maxBody = n } }

// WithMaxSubscribers bounds how many live event streams may be open at
// once; more are refused with 503 until one closes.
func WithMaxSubscribers(n int) Option {
	return func(r *Receiver) {
		if n > 0 {
			r.maxSubs = n
		}
	}
}

// WithHeartbeat sets how often an idle event stream sends a keep-alive.
func WithHeartbeat(d time.Duration) Option { return func(r *Receiver) { r.heartbeat = d } }

// New returns a Receiver.
func New(opts ...Option) (*Receiver, error) {
	r := &Receiver{
		log:       logging.NewNopLogger(),
		maxBody:   DefaultMaxBodyBytes,
		heartbeat: defaultHeartbeat,
		maxSubs:   DefaultMaxSubscribers,
	}
	for _, o := range opts {
		o(r)
	}
	r.streams = make(chan struct{}, r.maxSubs)
	if r.store == nil {
		r.store = NewStore(DefaultMaxEvents)
	}
	if r.validator == nil {
		v, err := cdevent.NewValidator()
		if err != nil {
			return nil, errors.Wrap(err, errNewValidator)
		}
		r.validator = v
	}
	return r, nil
}

// Store returns the store the receiver keeps events in.
func (r *Receiver) Store() *Store { return r.store }

// Handler serves everything on one port: CloudEvents are POSTed to any
// path; GET / is the timeline page, /api/events the held events as JSON,
// /api/stream the live Server-Sent Events stream, /healthz a liveness
// probe.
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	r.routeIngest(mux)
	r.routeUI(mux)
	return mux
}

// IngestHandler serves only what senders need: POST of CloudEvents to any
// path, and /healthz. Use it with UIHandler to keep the page off the port
// that senders reach.
func (r *Receiver) IngestHandler() http.Handler {
	mux := http.NewServeMux()
	r.routeIngest(mux)
	mux.HandleFunc("GET /healthz", healthz)
	return mux
}

// UIHandler serves only the timeline page, its API and /healthz.
func (r *Receiver) UIHandler() http.Handler {
	mux := http.NewServeMux()
	r.routeUI(mux)
	return mux
}

func (r *Receiver) routeIngest(mux *http.ServeMux) {
	mux.HandleFunc("POST /", r.receive)
}

func (r *Receiver) routeUI(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", servePage)
	mux.Handle("GET /static/", staticHandler())
	mux.HandleFunc("GET /api/events", r.events)
	mux.HandleFunc("GET /api/stream", r.stream)
	mux.HandleFunc("GET /healthz", healthz)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok\n")
}

// receive accepts one CloudEvent (binary or structured) or a batch. Every
// event must be a valid CDEvent, or none of the request is stored.
func (r *Receiver) receive(w http.ResponseWriter, req *http.Request) {
	if r.token != "" && !r.authorized(req) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cdevents-receiver"`)
		r.reject(w, req, http.StatusUnauthorized, errors.New(errUnauthorized))
		return
	}
	req.Body = http.MaxBytesReader(w, req.Body, r.maxBody)

	encoding := encodingOf(req)
	var ces []cloudevents.Event
	switch encoding {
	case EncodingBatch:
		batch, err := cloudevents.NewEventsFromHTTPRequest(req)
		if err != nil {
			r.reject(w, req, statusOf(err), errors.Wrapf(err, errFmtReadEvent, encoding))
			return
		}
		if len(batch) == 0 {
			r.reject(w, req, http.StatusBadRequest, errors.New(errNoEvents))
			return
		}
		ces = batch
	default:
		ce, err := cloudevents.NewEventFromHTTPRequest(req)
		if err != nil {
			r.reject(w, req, statusOf(err), errors.Wrapf(err, errFmtReadEvent, encoding))
			return
		}
		ces = []cloudevents.Event{*ce}
	}

	events := make([]Event, 0, len(ces))
	for _, ce := range ces {
		if err := r.validator.Validate(ce); err != nil {
			r.reject(w, req, http.StatusBadRequest, errors.Wrapf(err, errFmtInvalidEvent, ce.ID()))
			return
		}
		e, err := newEvent(ce, encoding)
		if err != nil {
			r.reject(w, req, http.StatusBadRequest, errors.Wrapf(err, errFmtParseEvent, ce.ID()))
			return
		}
		events = append(events, e)
	}
	for _, e := range events {
		stored, ok := r.store.Add(e)
		if !ok {
			r.log.Debug("Ignored a redelivered event", "id", e.ID, "source", e.Source)
			continue
		}
		r.print(stored)
	}
	w.WriteHeader(http.StatusAccepted)
}

// authorized compares the bearer token in constant time.
func (r *Receiver) authorized(req *http.Request) bool {
	got, ok := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(r.token)) == 1
}

func (r *Receiver) reject(w http.ResponseWriter, req *http.Request, status int, err error) {
	r.log.Info("Rejected a request", "status", status, "remote", req.RemoteAddr, "error", err)
	http.Error(w, err.Error(), status)
}

func (r *Receiver) print(e Event) {
	if r.out == nil {
		return
	}
	r.outMu.Lock()
	defer r.outMu.Unlock()
	_, _ = fmt.Fprintln(r.out, e.Line())
}

// encodingOf tells the CloudEvents HTTP encoding of a request from its
// content type: structured and batch have their own media types, anything
// else is binary (attributes in ce-* headers).
func encodingOf(req *http.Request) string {
	mt, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil {
		return EncodingBinary
	}
	switch mt {
	case mediaStructured:
		return EncodingStructured
	case mediaBatch:
		return EncodingBatch
	}
	return EncodingBinary
}

// statusOf is 413 for a body over the limit, else 400.
func statusOf(err error) int {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}
