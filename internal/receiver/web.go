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
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strconv"
	"time"
)

// The page is plain HTML, CSS and JavaScript: nothing to build, nothing
// fetched from elsewhere.
//
//go:embed web
var web embed.FS

// EventsResponse is the body of GET /api/events.
type EventsResponse struct {
	// Events are the held events numbered above ?since=, oldest first.
	Events []Event `json:"events"`
	// Stats are the store's counters.
	Stats Stats `json:"stats"`
}

func servePage(w http.ResponseWriter, _ *http.Request) {
	b, err := web.ReadFile("web/index.html")
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		// The directory is embedded at build time; it cannot be missing.
		panic(err)
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// since reads the sequence number a client has seen: the Last-Event-ID
// header of a reconnecting EventSource, else ?since=, else 0.
func since(req *http.Request) int64 {
	for _, v := range []string{req.Header.Get("Last-Event-ID"), req.URL.Query().Get("since")} {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			return n
		}
	}
	return 0
}

// events serves the held events as JSON.
func (r *Receiver) events(w http.ResponseWriter, req *http.Request) {
	// Stats first: an event added in between is then in Events too, never
	// counted but missing.
	resp := EventsResponse{Stats: r.store.Stats()}
	resp.Events = r.store.Since(since(req))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// stream serves the events as Server-Sent Events: first those held above
// the client's last sequence number, then each new one as it arrives.
// Each message is one Event as JSON, with its sequence number as id, so an
// EventSource that reconnects resumes where it stopped.
func (r *Receiver) stream(w http.ResponseWriter, req *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, errNoFlusher, http.StatusInternalServerError)
		return
	}
	select {
	case r.streams <- struct{}{}:
		defer func() { <-r.streams }()
	default:
		// An EventSource retries by itself.
		w.Header().Set("Retry-After", "5")
		http.Error(w, errTooManyStreams, http.StatusServiceUnavailable)
		return
	}
	// A stream outlives the server's read timeout, which is meant for
	// reading requests: lift it for this one.
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	// Subscribe before reading the backlog, so nothing added in between
	// is missed; what is seen twice is skipped by sequence number.
	live, cancel := r.store.Subscribe()
	defer cancel()

	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	last := since(req)
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	for _, e := range r.store.Since(last) {
		if writeSSE(w, e) != nil {
			return
		}
		last = e.Seq
	}
	fl.Flush()

	tick := time.NewTicker(r.heartbeat)
	defer tick.Stop()
	for {
		select {
		case <-req.Context().Done():
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
			fl.Flush()
		case e, ok := <-live:
			if !ok {
				// Fell behind: end the stream; the client reconnects with
				// Last-Event-ID and gets the rest from the backlog.
				return
			}
			if e.Seq <= last {
				continue
			}
			if writeSSE(w, e) != nil {
				return
			}
			last = e.Seq
			fl.Flush()
		}
	}
}

// writeSSE writes one event message. JSON from encoding/json holds no
// newlines, so one data line carries it.
func writeSSE(w http.ResponseWriter, e Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "id: %d\nevent: cdevent\ndata: %s\n\n", e.Seq, b)
	return err
}
