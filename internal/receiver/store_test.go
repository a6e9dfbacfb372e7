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
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ev is a minimal event with a source and id, for store tests.
func ev(id string) Event { return Event{Source: "/s", ID: id} }

// ids returns the ids of events, in order.
func ids(es []Event) []string {
	out := make([]string, 0, len(es))
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

func TestStore(t *testing.T) {
	type args struct {
		limit int
		add   []Event
		since int64
	}
	type want struct {
		added []bool
		ids   []string
		seqs  []int64
		stats Stats
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"Empty": {
			reason: "A new store holds nothing.",
			args:   args{limit: 3},
			want:   want{},
		},
		"InOrder": {
			reason: "Events are numbered from 1 in arrival order.",
			args:   args{limit: 3, add: []Event{ev("a"), ev("b")}},
			want: want{
				added: []bool{true, true},
				ids:   []string{"a", "b"},
				seqs:  []int64{1, 2},
				stats: Stats{Stored: 2, Received: 2, LastSeq: 2},
			},
		},
		"BoundRespected": {
			reason: "A full store drops its oldest events; numbering goes on.",
			args:   args{limit: 3, add: []Event{ev("a"), ev("b"), ev("c"), ev("d"), ev("e")}},
			want: want{
				added: []bool{true, true, true, true, true},
				ids:   []string{"c", "d", "e"},
				seqs:  []int64{3, 4, 5},
				stats: Stats{Stored: 3, Received: 5, Dropped: 2, LastSeq: 5},
			},
		},
		"Since": {
			reason: "Since returns only events numbered above its argument.",
			args:   args{limit: 5, add: []Event{ev("a"), ev("b"), ev("c")}, since: 1},
			want: want{
				added: []bool{true, true, true},
				ids:   []string{"b", "c"},
				seqs:  []int64{2, 3},
				stats: Stats{Stored: 3, Received: 3, LastSeq: 3},
			},
		},
		"Duplicate": {
			reason: "An event with a source and id already held is not stored again.",
			args:   args{limit: 5, add: []Event{ev("a"), ev("b"), ev("a")}},
			want: want{
				added: []bool{true, true, false},
				ids:   []string{"a", "b"},
				seqs:  []int64{1, 2},
				stats: Stats{Stored: 2, Received: 2, Duplicates: 1, LastSeq: 2},
			},
		},
		"SameIDOtherSource": {
			reason: "Ids are unique per source only: the same id from another source is another event.",
			args:   args{limit: 5, add: []Event{ev("a"), {Source: "/other", ID: "a"}}},
			want: want{
				added: []bool{true, true},
				ids:   []string{"a", "a"},
				seqs:  []int64{1, 2},
				stats: Stats{Stored: 2, Received: 2, LastSeq: 2},
			},
		},
		"DroppedIsForgotten": {
			reason: "Once an event is dropped for the bound, its id is forgotten too, so memory stays bounded.",
			args:   args{limit: 2, add: []Event{ev("a"), ev("b"), ev("c"), ev("a")}},
			want: want{
				added: []bool{true, true, true, true},
				ids:   []string{"c", "a"},
				seqs:  []int64{3, 4},
				stats: Stats{Stored: 2, Received: 4, Dropped: 2, LastSeq: 4},
			},
		},
		"DefaultBound": {
			reason: "A bound below 1 means the default.",
			args:   args{limit: 0, add: []Event{ev("a")}},
			want: want{
				added: []bool{true},
				ids:   []string{"a"},
				seqs:  []int64{1},
				stats: Stats{Stored: 1, Received: 1, LastSeq: 1},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := NewStore(tc.args.limit)
			var added []bool
			for _, e := range tc.args.add {
				_, ok := s.Add(e)
				added = append(added, ok)
			}
			got := s.Since(tc.args.since)
			seqs := make([]int64, 0, len(got))
			for _, e := range got {
				seqs = append(seqs, e.Seq)
			}
			if diff := cmp.Diff(tc.want.added, added, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\nAdd(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.ids, ids(got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\nSince(...) ids: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.seqs, seqs, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("\n%s\nSince(...) seqs: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.stats, s.Stats()); diff != "" {
				t.Errorf("\n%s\nStats(): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestStoreStampsArrival(t *testing.T) {
	s := NewStore(2)
	s.now = func() time.Time { return t0 }
	got, _ := s.Add(Event{ID: "a", ReceivedAt: t0.Add(-time.Hour)})
	if diff := cmp.Diff(t0, got.ReceivedAt); diff != "" {
		t.Errorf("\nAdd(...) stamps the arrival time, whatever the event says.\nAdd(...).ReceivedAt: -want, +got:\n%s", diff)
	}
}

func TestSubscribe(t *testing.T) {
	s := NewStore(1000)
	ch, cancel := s.Subscribe()
	s.Add(ev("a"))
	s.Add(ev("b"))
	got := []string{(<-ch).ID, (<-ch).ID}
	if diff := cmp.Diff([]string{"a", "b"}, got); diff != "" {
		t.Errorf("\nA subscriber gets every new event in order.\n<-ch: -want, +got:\n%s", diff)
	}
	cancel()
	if _, open := <-ch; open {
		t.Errorf("\nEnding a subscription closes its channel.\n<-ch: channel still open")
	}
	cancel() // Ending twice is harmless.
}

func TestSlowSubscriberIsDropped(t *testing.T) {
	s := NewStore(subscriberBuffer * 2)
	ch, cancel := s.Subscribe()
	defer cancel()
	for i := range subscriberBuffer + 1 {
		s.Add(ev(strconv.Itoa(i)))
	}
	n := 0
	for range ch {
		n++
	}
	if diff := cmp.Diff(subscriberBuffer, n); diff != "" {
		t.Errorf("\nA subscriber that falls a full buffer behind gets what fitted, then its channel is closed rather than block senders.\nevents before close: -want, +got:\n%s", diff)
	}
}
