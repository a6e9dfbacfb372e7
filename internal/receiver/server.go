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

package receiver

import (
	"context"
	"net"
	"net/http"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// shutdownTimeout bounds how long in-flight requests may take to finish
// once the server is asked to stop.
const shutdownTimeout = 5 * time.Second

// Timeouts of the server, so that a client that connects and sends
// slowly, or not at all, cannot hold connections open for ever. There is
// no write timeout: event streams write for as long as they are open, and
// their number is capped instead (WithMaxSubscribers).
const (
	// DefaultReadHeaderTimeout bounds reading a request's headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds reading a whole request, body included;
	// a batch of CDEvents is at most DefaultMaxBodyBytes.
	DefaultReadTimeout = 30 * time.Second
	// DefaultIdleTimeout closes kept-alive connections that send nothing.
	DefaultIdleTimeout = 2 * time.Minute
	// maxHeaderBytes bounds a request's headers.
	maxHeaderBytes = 64 << 10
)

// A ServeOption tunes Serve.
type ServeOption func(*http.Server)

// WithReadTimeouts sets how long reading a request's headers, and the
// whole request, may take.
func WithReadTimeouts(header, whole time.Duration) ServeOption {
	return func(s *http.Server) { s.ReadHeaderTimeout, s.ReadTimeout = header, whole }
}

const errServe = "cannot serve HTTP"

// Serve serves h on l until ctx is done, then shuts down gracefully. Open
// event streams end when ctx is done, so shutdown does not wait for them.
func Serve(ctx context.Context, l net.Listener, h http.Handler, opts ...ServeOption) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		ReadTimeout:       DefaultReadTimeout,
		IdleTimeout:       DefaultIdleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		// Requests, event streams included, end when ctx does.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	for _, o := range opts {
		o(srv)
	}
	errs := make(chan error, 1)
	go func() { errs <- srv.Serve(l) }()
	select {
	case err := <-errs:
		return errors.Wrap(err, errServe)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errs; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return errors.Wrap(err, errServe)
}
