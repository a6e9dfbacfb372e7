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

package discovery

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/serializer/streaming"
)

func TestFrameReader(t *testing.T) {
	big := `{"type":"MODIFIED","object":{"kind":"Cluster","metadata":{"name":"big"},"spec":{"note":"` + strings.Repeat("x", 100<<10) + `"}}}`
	type want struct {
		types []string
		err   string
	}
	cases := map[string]struct {
		reason string
		stream string
		want   want
	}{
		"NewlineDelimited": {
			reason: "Events as the API server writes them, one per line, are cut one by one.",
			stream: `{"type":"ADDED","object":{"kind":"Cluster","metadata":{"name":"a {\"}"}}}` + "\n" + `{"type":"DELETED","object":{"kind":"Cluster"}}` + "\n",
			want:   want{types: []string{"ADDED", "DELETED"}},
		},
		"BackslashRuns": {
			reason: "A quote closes a string after an even run of backslashes, not after an odd one, whatever brackets the string holds.",
			stream: `{"type":"ADDED","object":{"metadata":{"name":"x\\","note":"\\\"}{\\"}}}` + `{"type":"DELETED","object":{"note":"]\"\\\\"}}`,
			want:   want{types: []string{"ADDED", "DELETED"}},
		},
		"NoDelimiter": {
			reason: "Events need no newline between them: the reader finds where each value ends.",
			stream: `{"type":"ADDED","object":{}}{"type":"BOOKMARK","object":{}}  `,
			want:   want{types: []string{"ADDED", "BOOKMARK"}},
		},
		"LargerThanTheDecoderBuffer": {
			reason: "An event larger than the decoder's buffer arrives whole, over several reads.",
			stream: big + "\n" + `{"type":"ADDED","object":{}}`,
			want:   want{types: []string{"MODIFIED", "ADDED"}},
		},
		"CutInsideAnEvent": {
			reason: "A stream that ends inside an event is an error, not a shorter event.",
			stream: `{"type":"ADDED","object":{}}` + "\n" + `{"type":"MODIFIED","obj`,
			want:   want{types: []string{"ADDED"}, err: errFrameTrailing},
		},
		"Broken": {
			reason: "Something that is not an event is an error.",
			stream: `{"type":"ADDED","object":{}}]`,
			want:   want{types: []string{"ADDED"}, err: `watch event does not start with an object or a list: ']'`},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// One byte at a time: every event spans many reads of the stream.
			r := frameReaders{}.NewFrameReader(io.NopCloser(iotest.OneByteReader(strings.NewReader(tc.stream))))
			d := streaming.NewDecoder(r, eventDecoder{})
			var got []string
			var err error
			for {
				var ev metav1.WatchEvent
				if _, _, err = d.Decode(nil, &ev); err != nil {
					break
				}
				got = append(got, ev.Type)
			}
			if diff := cmp.Diff(tc.want.types, got); diff != "" {
				t.Errorf("\n%s\nevents: -want, +got:\n%s", tc.reason, diff)
			}
			gotErr := ""
			if !errors.Is(err, io.EOF) {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.want.err, gotErr); diff != "" {
				t.Errorf("\n%s\nerror at the end: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
