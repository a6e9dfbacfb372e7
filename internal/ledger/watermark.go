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

package ledger

import (
	"strconv"
	"time"
)

// A delivery watermark is how a sink's progress survives a restart without
// a progress write per cluster. Delivery progress rides every ledger write
// (folded into it), so what a crash could lose is progress made after a
// ledger's last write: events recorded first and sent after, and events
// sent while their write was in flight but accepted after it landed.
// Rather than write every such ledger again, the provider keeps one figure
// per sink: a ledger resourceVersion W such that every ledger the sink
// receives whose last write is at or below W had all its events accepted.
// The API server gives resourceVersions from one increasing sequence across
// all objects of a store, so one figure covers every ledger written before
// it; a ledger written after it falls back on the progress its own last
// write carried. The figure is persisted in the sink's config status: by a
// status write of its own when a flush finds that cheaper than writing the
// ledgers it covers (see watermarksWorthWriting), and by every other status
// write of the config. After a restart it raises the progress of every
// ledger it covers.
//
// W must never cover an event the sink has not accepted. Three rules keep
// it so: a ledger the sink receives that has events the sink has not
// accepted holds W below its own resourceVersion; a ledger write in flight
// holds W at the newest resourceVersion known when the write began (the
// write lands above it); and W only covers ledgers the provider has seen
// written or read, never a resourceVersion it merely expects.

// WatermarkPersistedEvery is how often the config controller's status
// refresh runs, which persists the watermarks a flush left progress to. A
// flush leaves progress to them only when it flushes less often than that.
const WatermarkPersistedEvery = 10 * time.Second

// throughCacheFor is how long a computed set of watermarks is reused: each
// computation walks every record.
const throughCacheFor = time.Second

// watermark is one sink's durable watermark, for the sink endpoint it was
// made with.
type watermark struct {
	endpoint string
	rv       int64
}

// parseRV reads a resourceVersion as the integer the API server's store
// makes it. Kubernetes calls resourceVersions opaque; a store whose
// resourceVersions are not increasing integers turns watermarks off (each
// ledger's own progress is then written, as without them).
func parseRV(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v > 0
}

// sawRV notes a resourceVersion written or read. lg.mu must be held.
func (lg *Ledger) sawRV(r *Record, rv string) {
	if rv == "" {
		return
	}
	v, ok := parseRV(rv)
	if !ok {
		lg.rvOpaque = true
		return
	}
	r.rv = v
	lg.maxRV = max(lg.maxRV, v)
	// A record read back (another writer's ledger) may now hold the
	// watermarks lower than those cached.
	lg.throughAt = time.Time{}
}

// beginWrite registers a ledger write about to be sent: until it lands or
// fails, no watermark passes the newest resourceVersion known now. It
// returns the write's token. lg.mu must be held.
func (lg *Ledger) beginWrite() uint64 {
	lg.writeTokens++
	lg.floors[lg.writeTokens] = lg.maxRV
	return lg.writeTokens
}

// endWrite forgets a write that landed or failed. lg.mu must be held, and,
// for a write that landed, the record must show it in the same hold.
func (lg *Ledger) endWrite(token uint64) {
	delete(lg.floors, token)
	lg.throughAt = time.Time{}
}

// deliveredThrough computes every sink's watermark at once, by sink key,
// whatever endpoint each record's progress was made with, and caches them
// for a second: Flush uses them only to leave a record's progress write to
// the next status refresh, which persists the exact watermark of each sink
// (DeliveredThrough). Sinks absent from the map are at the ceiling. ok is
// false when no watermark can be given. lg.mu must be held.
func (lg *Ledger) deliveredThrough() (map[string]int64, int64, bool) {
	if lg.rvOpaque || lg.maxRV == 0 {
		return nil, 0, false
	}
	if !lg.throughAt.IsZero() && lg.now().Sub(lg.throughAt) < throughCacheFor {
		return lg.through, lg.throughCeiling, true
	}
	ceiling := lg.maxRV
	for _, f := range lg.floors {
		ceiling = min(ceiling, f)
	}
	out := map[string]int64{}
	if lg.router != nil {
		for _, r := range lg.records {
			if !r.hasLedger() || r.rv == 0 || r.rv > ceiling {
				// Not written yet (its write will land above the
				// ceiling), or above any watermark anyway.
				continue
			}
			sinks := lg.router.SinksFor(r.routingView())
			for _, sink := range sinks {
				key := SinkKey(sink)
				c, ok := r.cursor(key)
				if ok && c.delivered >= r.lastSeq {
					continue
				}
				w, seen := out[key]
				if !seen {
					w = ceiling
				}
				out[key] = min(w, r.rv-1)
			}
		}
	}
	lg.through, lg.throughCeiling, lg.throughAt = out, ceiling, lg.now()
	return out, ceiling, true
}

// DeliveredThrough returns a sink's watermark for its current endpoint:
// every ledger the sink receives (routed says which) whose resourceVersion
// is at or below it had all its events accepted, or given up, by the sink
// at that endpoint. Its config status persists it, and tells the ledger so
// with Persisted. ok is false when there is none yet.
func (lg *Ledger) DeliveredThrough(sink, endpoint string, routed func(View) bool) (string, bool) {
	key := SinkKey(sink)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if lg.rvOpaque || lg.maxRV == 0 {
		return "", false
	}
	w := lg.maxRV
	for _, f := range lg.floors {
		w = min(w, f)
	}
	for _, r := range lg.records {
		if !r.hasLedger() || r.rv == 0 || r.rv > w {
			continue
		}
		if c, ok := r.cursor(key); ok && c.endpoint == endpoint && c.delivered >= r.lastSeq {
			continue
		}
		if routed(r.routingView()) {
			w = r.rv - 1
		}
	}
	if w <= 0 {
		return "", false
	}
	return strconv.FormatInt(w, 10), true
}

// Persisted tells the ledger a sink's watermark for an endpoint is durable:
// read from its config status at start, or written there since. Every
// ledger it covers counts as delivered to the sink up to its last event,
// which raises progress a restart read from older writes, and spares those
// ledgers a progress write of their own.
func (lg *Ledger) Persisted(sink, endpoint, rv string) {
	v, ok := parseRV(rv)
	if !ok {
		return
	}
	key := SinkKey(sink)
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if w, ok := lg.persisted[key]; ok && w.endpoint == endpoint && w.rv >= v {
		return
	}
	lg.persisted[key] = watermark{endpoint: lg.in(endpoint), rv: v}
	if w, ok := lg.wanted[key]; ok && v >= w {
		delete(lg.wanted, key)
	}
	for _, r := range lg.records {
		lg.applyWatermark(r, key)
	}
}

// applyWatermark raises one sink's progress on a record its durable
// watermark covers: the sink had every event of the record's ledger as
// written at or below the watermark. Only progress made with the
// watermark's endpoint is raised; a record the sink has no progress on
// at all is left to the sink's replay policy. lg.mu must be held.
func (lg *Ledger) applyWatermark(r *Record, key string) {
	w, ok := lg.persisted[key]
	if !ok || !r.hasLedger() || r.rv == 0 || r.rv > w.rv {
		return
	}
	c, ok := r.cursor(key)
	if !ok || c.endpoint != w.endpoint || c.delivered >= r.lastSeq {
		return
	}
	c.delivered = r.lastSeq
	lg.trimEvents(r)
}

// applyWatermarks raises every sink's progress on one record its durable
// watermark covers. lg.mu must be held.
func (lg *Ledger) applyWatermarks(r *Record) {
	for key := range lg.persisted {
		lg.applyWatermark(r, key)
	}
}

// WatermarkWanted says whether the last flush left progress to a sink's
// watermark, which its config's status refresh must then write, whether or
// not anything else changed. Otherwise the watermark rides the config's
// next status write, and the flush writes per ledger what no persisted
// watermark covers.
func (lg *Ledger) WatermarkWanted(sink string) bool {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	_, ok := lg.wanted[SinkKey(sink)]
	return ok
}

// watermarksWorthWriting says which sinks' watermarks a flush should leave
// progress to: those whose persisting spares more ledgers a progress write
// of their own than it takes status writes. A record whose progress waits
// to be persisted, that no persisted watermark covers but the current ones
// do, costs either one progress write of its ledger (for all its sinks at
// once) or a status write of the config of each sink whose persisted
// watermark falls short of it. On a busy fleet a sink's watermark covers
// hundreds of such records per flush, and one status write spares them
// all; on a quiet one a few records would need the status writes of all
// their sinks, and their own writes are cheaper. It returns, by sink key,
// the watermark each sink must persist at least, or nil when the progress
// writes are no more than the status writes. Records the last flush left
// to a watermark are not counted: this flush writes those still not
// covered. lg.mu must be held.
func (lg *Ledger) watermarksWorthWriting(through map[string]int64, ceiling int64) map[string]int64 {
	if lg.router == nil || through == nil {
		return nil
	}
	records, sinks := 0, map[string]int64{}
	for _, r := range lg.records {
		if !r.cursorsDirty || !r.hasLedger() || r.dirty || r.lastSeq == 0 || r.cursorsNew || lg.deferred[r.uid] {
			// As in flush: nothing a watermark could persist.
			continue
		}
		if durable, soon := lg.progressCovered(r, through, ceiling); durable || !soon {
			continue
		}
		records++
		for _, sink := range lg.router.SinksFor(r.routingView()) {
			key := SinkKey(sink)
			c, ok := r.cursor(key)
			if w, persisted := lg.persisted[key]; ok && persisted && w.endpoint == c.endpoint && r.rv <= w.rv {
				continue
			}
			sinks[key] = max(sinks[key], r.rv)
		}
	}
	if records <= len(sinks) {
		return nil
	}
	return sinks
}

// progressCovered says whether a record's delivery progress needs no write
// of its own: every sink that receives it has all its events and a
// watermark covers the ledger. durable says whether those watermarks are
// persisted; otherwise they are the current ones, which the next status
// refresh persists. lg.mu must be held.
func (lg *Ledger) progressCovered(r *Record, through map[string]int64, ceiling int64) (durable, soon bool) {
	if lg.router == nil || !r.hasLedger() || r.rv == 0 {
		return false, false
	}
	durable, soon = true, true
	for _, sink := range lg.router.SinksFor(r.routingView()) {
		key := SinkKey(sink)
		c, ok := r.cursor(key)
		if !ok || c.delivered < r.lastSeq {
			return false, false
		}
		if w, ok := lg.persisted[key]; !ok || w.endpoint != c.endpoint || r.rv > w.rv {
			durable = false
		}
		w, held := through[key]
		if !held {
			w = ceiling
		}
		if through == nil || r.rv > w {
			soon = false
		}
	}
	return durable, soon
}
