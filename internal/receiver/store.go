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
	"sync"
	"time"
)

// DefaultMaxEvents is how many events a Store keeps unless told otherwise.
const DefaultMaxEvents = 10000

// subscriberBuffer is how many events a live subscriber may fall behind
// before it is dropped; a dropped subscriber reconnects and resumes from
// the last sequence number it saw.
const subscriberBuffer = 256

// Stats count what a Store has seen since it was made.
type Stats struct {
	// Stored is the number of events held now.
	Stored int `json:"stored"`
	// Received counts distinct events accepted.
	Received int64 `json:"received"`
	// Dropped counts the oldest events evicted to respect the bound.
	Dropped int64 `json:"dropped"`
	// Duplicates counts events received again with a source and id already
	// held: CloudEvents are delivered at least once.
	Duplicates int64 `json:"duplicates"`
	// LastSeq is the sequence number of the newest event, 0 when none.
	LastSeq int64 `json:"lastSeq"`
}

// A Store keeps the most recent events in memory, in arrival order, and
// fans new ones out to live subscribers. It is bounded, so a receiver left
// running for days does not grow without limit, and it drops redelivered
// events (same source and id) so an at-least-once sender does not show the
// same transition twice. A Store is safe for concurrent use.
type Store struct {
	mu    sync.Mutex
	max   int
	ring  []Event
	head  int // index of the oldest event in ring
	n     int // number of events in ring
	seen  map[string]int64
	stats Stats
	subs  map[chan Event]struct{}
	now   func() time.Time
}

// NewStore returns a Store that keeps at most limit events; limit < 1 means
// DefaultMaxEvents.
func NewStore(limit int) *Store {
	if limit < 1 {
		limit = DefaultMaxEvents
	}
	return &Store{
		max:  limit,
		ring: make([]Event, limit),
		seen: map[string]int64{},
		subs: map[chan Event]struct{}{},
		now:  time.Now,
	}
}

func dedupKey(e Event) string { return e.Source + "\x00" + e.ID }

// Add stores e, numbered and stamped with its arrival time, evicting the
// oldest event when the store is full, and returns it. It returns false,
// and stores nothing, when an event with the same source and id is held.
func (s *Store) Add(e Event) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := dedupKey(e)
	if _, dup := s.seen[key]; dup {
		s.stats.Duplicates++
		return Event{}, false
	}
	if s.n == s.max {
		old := s.ring[s.head]
		delete(s.seen, dedupKey(old))
		s.ring[s.head] = Event{}
		s.head = (s.head + 1) % s.max
		s.n--
		s.stats.Dropped++
	}
	s.stats.LastSeq++
	s.stats.Received++
	e.Seq = s.stats.LastSeq
	e.ReceivedAt = s.now().UTC()
	s.ring[(s.head+s.n)%s.max] = e
	s.n++
	s.seen[key] = e.Seq
	for ch := range s.subs {
		select {
		case ch <- e:
		default:
			// Too slow: let it go rather than block every sender. It
			// resumes from its last sequence number when it reconnects.
			delete(s.subs, ch)
			close(ch)
		}
	}
	return e, true
}

// Since returns the held events numbered above seq, oldest first.
func (s *Store) Since(seq int64) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Event, 0, s.n)
	for i := range s.n {
		e := s.ring[(s.head+i)%s.max]
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

// Stats returns the store's counters.
func (s *Store) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.Stored = s.n
	return st
}

// Subscribe returns a channel that receives every event added from now on,
// and a function that ends the subscription. The channel is closed when
// the subscription ends, or when the subscriber falls too far behind.
func (s *Store) Subscribe() (<-chan Event, func()) {
	ch := make(chan Event, subscriberBuffer)
	s.mu.Lock()
	s.subs[ch] = struct{}{}
	s.mu.Unlock()
	return ch, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if _, ok := s.subs[ch]; ok {
			delete(s.subs, ch)
			close(ch)
		}
	}
}
