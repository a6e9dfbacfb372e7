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
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/types"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// TestCursorsAreOpaque: a cursor set under a sink's id is found under that
// id, and the status rendered for the cluster-scoped ObservedCluster
// names neither the config nor its namespace.
func TestCursorsAreOpaque(t *testing.T) {
	const id = "ProviderConfig/team-a/sink"
	uid := types.UID("u1")
	lg := New(nil, nil)
	lg.records[uid] = &Record{uid: uid, lastSeq: 3}
	lg.SetCursor(uid, id, Cursor{Delivered: 2, Endpoint: "e1"})

	got, ok := lg.Cursor(uid, id)
	if diff := cmp.Diff(Cursor{Delivered: 2, Endpoint: "e1"}, got); diff != "" || !ok {
		t.Errorf("lg.Cursor(...): -want, +got:\n%s", diff)
	}
	want := []v1alpha1.SinkCursor{{Sink: SinkKey(id), Endpoint: "e1", DeliveredSeq: 2}}
	rendered := lg.records[uid].sinkCursors(3)
	if diff := cmp.Diff(want, rendered); diff != "" {
		t.Errorf("sinkCursors(): -want, +got:\n%s", diff)
	}
	b, err := json.Marshal(rendered)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range []string{"ProviderConfig", "team-a", "sink\":\"" + id} {
		if strings.Contains(string(b), leak) {
			t.Errorf("the ObservedCluster's sinks %s show %q", b, leak)
		}
	}

	lg.ForgetSink(id)
	if _, ok := lg.Cursor(uid, id); ok {
		t.Errorf("lg.Cursor(...) after ForgetSink: still there")
	}
}

func TestStoredKey(t *testing.T) {
	cases := map[string]struct {
		reason string
		stored string
		want   string
	}{
		"LegacyID": {
			reason: "A ledger written before sinks were hashed names the sink by id: its progress is kept under the key.",
			stored: "ClusterProviderConfig/platform",
			want:   SinkKey("ClusterProviderConfig/platform"),
		},
		"Key": {
			reason: "A key stays as it is.",
			stored: SinkKey("ProviderConfig/team-a/sink"),
			want:   SinkKey("ProviderConfig/team-a/sink"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, storedKey(tc.stored)); diff != "" {
				t.Errorf("\n%s\nstoredKey(%q): -want, +got:\n%s", tc.reason, tc.stored, diff)
			}
		})
	}
}

// TestRoutings proves that a walk, and Routing for one record, see what
// View shows but the names, and the asked sink's progress only.
func TestRoutings(t *testing.T) {
	const id = "ClusterProviderConfig/platform"
	uid := types.UID("u1")
	lg := newTestLedger(t)
	lg.Observe(eksProfile(t), eks, readyObs(uid, "prod", at(10), at(10)), false)
	s, ok := lg.snapshot(uid)
	if !ok {
		t.Fatal("nothing to write after the first observation")
	}
	lg.commit(uid, s, "1")
	lg.SetCursor(uid, id, Cursor{Delivered: 1, Endpoint: "e1"})
	full, ok := lg.View(uid)
	if !ok {
		t.Fatal("no view of a recorded cluster")
	}
	named := func(v View) View {
		v.LedgerName, v.Ref.APIVersion, v.Env = full.LedgerName, full.Ref.APIVersion, full.Env
		return v
	}

	type want struct {
		cursor    Cursor
		hasCursor bool
	}
	cases := map[string]struct {
		reason string
		sink   string
		want   want
	}{
		"Sink": {
			reason: "The sink's progress comes with the record.",
			sink:   id,
			want:   want{cursor: Cursor{Delivered: 1, Endpoint: "e1"}, hasCursor: true},
		},
		"OtherSink": {
			reason: "Another sink has no progress on the record.",
			sink:   "ClusterProviderConfig/other",
		},
		"NoSink": {
			reason: "A walk for no sink carries no progress.",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := lg.Routings(tc.sink)
			if len(got) != 1 {
				t.Fatalf("%s\n%d routings of one record", tc.reason, len(got))
			}
			if got[0].LedgerName != "" || got[0].Env != (v1alpha1.Environment{}) {
				t.Errorf("%s\nthe walk built names: %q, %+v", tc.reason, got[0].LedgerName, got[0].Env)
			}
			if diff := cmp.Diff(full, named(got[0].View)); diff != "" {
				t.Errorf("%s\nview but the names: -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want, want{cursor: got[0].Cursor, hasCursor: got[0].HasCursor}, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("%s\nprogress: -want, +got:\n%s", tc.reason, diff)
			}
			one, ok := lg.Routing(uid, tc.sink)
			if diff := cmp.Diff(got[0], one); diff != "" || !ok {
				t.Errorf("%s\nRouting(uid) against Routings()[0]: found %t, -want, +got:\n%s", tc.reason, ok, diff)
			}
		})
	}
}
