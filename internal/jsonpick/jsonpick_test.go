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

package jsonpick

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	kjson "k8s.io/apimachinery/pkg/util/json"
)

// object is a managed resource of the shape the provider watches, with the
// parts a decoder gets wrong: escapes, numbers of every kind, strings
// holding brackets and quotes, lists of objects, empty values.
const object = `{
  "apiVersion": "eks.aws.upbound.io/v1beta2",
  "kind": "Cluster",
  "metadata": {
    "name": "prod-eu",
    "uid": "6a1d0c2e-4b57-4a7e-9b0e-0d5e3a1f2c3b",
    "generation": 7,
    "labels": {"team": "payments", "tier": "gold"},
    "annotations": {
      "crossplane.io/external-name": "prod-eu",
      "kubectl.kubernetes.io/last-applied-configuration": "{\"spec\":{\"forProvider\":{\"region\":\"eu-west-1\"}},\"x\":[1,2,{\"y\":\"}]\"}]}\n",
      "crossplane.io/paused": "false"
    },
    "managedFields": [
      {"manager": "crossplane", "operation": "Update", "time": "2026-03-01T10:00:00Z", "fieldsV1": {"f:spec": {"f:forProvider": {}}}},
      {"manager": "provider", "operation": "Update", "subresource": "status", "time": "2026-03-01T10:05:00Z", "fieldsV1": {"f:status": {".": {}}}}
    ]
  },
  "spec": {
    "forProvider": {
      "region": "eu-west-1",
      "version": "1.31",
      "vpcConfig": [{"subnetIds": ["a", "b"], "endpointPublicAccess": true, "publicAccessCidrs": []}],
      "tags": {}
    },
    "providerConfigRef": {"name": "default"}
  },
  "status": {
    "atProvider": {
      "arn": "arn:aws:eks:eu-west-1:123456789012:cluster/prod-eu",
      "endpoint": "https://ABC.gr7.eu-west-1.eks.amazonaws.com",
      "status": "ACTIVE",
      "platformVersion": "eks.12",
      "size": -1.5e3,
      "big": 123456789012345678901234567890,
      "count": -42,
      "ratio": 0.25,
      "zero": 0,
      "none": null,
      "text": "caf\u00e9 \ud83d\ude00 tab\there \"quoted\" back\\slash \/ \u0041",
      "lone": "\ud800x"
    },
    "conditions": [
      {"type": "Ready", "status": "True", "reason": "Available", "lastTransitionTime": "2026-03-01T10:05:00Z", "message": "", "observedGeneration": 7},
      {"type": "Synced", "status": "True", "reason": "ReconcileSuccess", "lastTransitionTime": "2026-03-01T10:00:00Z"}
    ]
  }
}`

// kubernetes decodes data as Kubernetes' unstructured decoding does.
func kubernetes(t testing.TB, data string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := kjson.Unmarshal([]byte(data), &m); err != nil {
		t.Fatalf("cannot decode: %v", err)
	}
	return m
}

func TestDecode(t *testing.T) {
	type args struct {
		paths [][]string
		data  string
	}
	type want struct {
		out map[string]any
		err string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"KeepsChosenFields": {
			reason: "Only the chosen fields are kept; a path that ends at an object keeps all of it.",
			args: args{
				paths: [][]string{{"kind"}, {"metadata", "name"}, {"metadata", "labels"}, {"metadata", "annotations", "crossplane.io/paused"}},
				data:  object,
			},
			want: want{out: map[string]any{
				"kind": "Cluster",
				"metadata": map[string]any{
					"name":        "prod-eu",
					"labels":      map[string]any{"team": "payments", "tier": "gold"},
					"annotations": map[string]any{"crossplane.io/paused": "false"},
				},
			}},
		},
		"ListsApplyToEveryElement": {
			reason: "A path that meets a list applies to every element, so a list of conditions keeps every condition, reduced.",
			args: args{
				paths: [][]string{{"status", "conditions", "type"}, {"metadata", "managedFields", "time"}, {"spec", "forProvider", "vpcConfig", "subnetIds"}},
				data:  object,
			},
			want: want{out: map[string]any{
				"metadata": map[string]any{"managedFields": []any{
					map[string]any{"time": "2026-03-01T10:00:00Z"},
					map[string]any{"time": "2026-03-01T10:05:00Z"},
				}},
				"spec": map[string]any{"forProvider": map[string]any{"vpcConfig": []any{map[string]any{"subnetIds": []any{"a", "b"}}}}},
				"status": map[string]any{"conditions": []any{
					map[string]any{"type": "Ready"},
					map[string]any{"type": "Synced"},
				}},
			}},
		},
		"ValuesDecodeAsKubernetesDoes": {
			reason: "Numbers, escapes, surrogate pairs, a lone surrogate and null decode as Kubernetes' unstructured decoding does.",
			args:   args{paths: [][]string{{"status", "atProvider"}}, data: object},
			want: want{out: map[string]any{
				"status": map[string]any{"atProvider": kubernetes(t, object)["status"].(map[string]any)["atProvider"]},
			}},
		},
		"ScalarsOnThePathAreKept": {
			reason: "A scalar where the path expects an object is kept: reading through it gives what the whole object gives.",
			args:   args{paths: [][]string{{"spec", "forProvider", "region"}}, data: `{"spec": "oops"}`},
			want:   want{out: map[string]any{"spec": "oops"}},
		},
		"NothingKept": {
			reason: "Empty fields keep nothing but still check the object's extent.",
			args:   args{data: object},
			want:   want{out: map[string]any{}},
		},
		"NotAnObject": {
			reason: "The top-level value must be an object.",
			args:   args{paths: [][]string{{}}, data: `[1]`},
			want:   want{err: errNotObject},
		},
		"TrailingData": {
			reason: "Nothing may follow the object.",
			args:   args{data: `{} {}`},
			want:   want{err: errTrailing},
		},
		"Truncated": {
			reason: "A truncated object is an error, in a kept part or a skipped one.",
			args:   args{data: `{"spec": {"a": "b"`},
			want:   want{err: "invalid JSON: unexpected end at offset 18"},
		},
		"TruncatedString": {
			reason: "An unterminated string in a skipped part is an error.",
			args:   args{data: `{"spec": "abc`},
			want:   want{err: "invalid JSON: unexpected end at offset 13"},
		},
		"LeadingZero": {
			reason: "A number with a leading zero is not JSON.",
			args:   args{paths: [][]string{{"n"}}, data: `{"n": 012}`},
			want:   want{err: `invalid JSON: bad number "012" at offset 6`},
		},
		"ControlCharacter": {
			reason: "A raw control character in a kept string is not JSON.",
			args:   args{paths: [][]string{{"s"}}, data: "{\"s\": \"a\x01\"}"},
			want:   want{err: "invalid JSON: control character in string at offset 8"},
		},
		"BadEscape": {
			reason: "An unknown escape is an error.",
			args:   args{paths: [][]string{{"s"}}, data: `{"s": "\q"}`},
			want:   want{err: "invalid JSON: bad escape at offset 7"},
		},
		"MissingColon": {
			reason: "Members need a colon.",
			args:   args{data: `{"s" 1}`},
			want:   want{err: `invalid JSON: unexpected '1' at offset 5`},
		},
		"TooDeep": {
			reason: "Nesting is bounded, kept or skipped.",
			args:   args{data: `{"a":` + strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2) + `}`},
			want:   want{err: "invalid JSON: nested deeper than 1000 at offset 1005"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := &Fields{}
			for _, p := range tc.args.paths {
				f.Keep(p...)
			}
			got, err := f.Decode([]byte(tc.args.data))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.want.err, gotErr); diff != "" {
				t.Errorf("\n%s\nDecode(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.out, got); tc.want.err == "" && diff != "" {
				t.Errorf("\n%s\nDecode(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestValue(t *testing.T) {
	type want struct {
		value string
		typ   string
		err   string
	}
	cases := map[string]struct {
		reason string
		data   string
		want   want
	}{
		"WatchEvent": {
			reason: "A watch event's type is read and its object's extent returned as it is.",
			data:   `{"type":"MODIFIED","object":{"kind":"Cluster","metadata":{"name":"a \"}"}}}`,
			want:   want{value: `{"kind":"Cluster","metadata":{"name":"a \"}"}}`, typ: "MODIFIED"},
		},
		"ObjectFirst": {
			reason: "Members may come in any order.",
			data:   ` { "object" : [1, 2] , "type" : "ERROR" } `,
			want:   want{value: `[1, 2]`, typ: "ERROR"},
		},
		"NoSuchKey": {
			reason: "A missing member is nil, not an error.",
			data:   `{"type":"BOOKMARK"}`,
			want:   want{typ: "BOOKMARK"},
		},
		"Broken": {
			reason: "A broken envelope is an error.",
			data:   `{"type":"ADDED","object":{`,
			want:   want{err: "invalid JSON: unexpected end at offset 26", typ: "ADDED"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var typ string
			got, err := Value([]byte(tc.data), "object", map[string]*string{"type": &typ})
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if diff := cmp.Diff(tc.want.err, gotErr); diff != "" {
				t.Errorf("\n%s\nValue(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.value, string(got)); diff != "" {
				t.Errorf("\n%s\nValue(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.typ, typ); diff != "" {
				t.Errorf("\n%s\nValue(...) type: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// FuzzDecodeAll checks that keeping everything decodes whatever
// Kubernetes decodes into an object, to the same value, and that no input
// makes Decode panic.
func FuzzDecodeAll(f *testing.F) {
	for _, s := range []string{object, `{}`, `{"a":[{},[],"",0,-0.0,1e400]}`, `{"a":"\ud83d\ude00\ud800\u0041"}`, "{\"a\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	all := (&Fields{}).Keep()
	some := (&Fields{}).Keep("a", "b")
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = some.Decode(data)
		got, err := all.Decode(data)
		var want map[string]any
		if kjson.Unmarshal(data, &want) != nil || want == nil {
			return
		}
		if err != nil {
			t.Fatalf("Kubernetes decodes %q, Decode does not: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Decode(%q): -kubernetes, +got:\n%s", data, diff)
		}
	})
}

// TestDecodeAgreesOnMutations decodes many mutations of the seeds of
// FuzzDecodeAll: keeping everything must decode what Kubernetes decodes,
// to the same value, and nothing may panic, whatever is kept.
func TestDecodeAgreesOnMutations(t *testing.T) {
	seeds := []string{object, `{"a":[{},[],"",0,-0.0,1e400]}`, `{"a":"\ud83d\ude00\ud800\u0041"}`, "{\"a\":\"\xff\"}"}
	const tokens = "{}[]\",:\\u0"
	all := (&Fields{}).Keep()
	some := (&Fields{}).Keep("spec", "forProvider").Keep("status", "conditions", "type")
	r := rand.New(rand.NewPCG(1, 2))
	agreed := 0
	for range 20000 {
		data := []byte(seeds[r.IntN(len(seeds))])
		for k := r.IntN(4); k >= 0; k-- {
			switch r.IntN(3) {
			case 0:
				data = data[:r.IntN(len(data)+1)]
			case 1:
				if len(data) > 0 {
					data[r.IntN(len(data))] = byte(r.IntN(256))
				}
			default:
				at := r.IntN(len(data) + 1)
				data = append(data[:at:at], append([]byte{tokens[r.IntN(len(tokens))]}, data[at:]...)...)
			}
		}
		_, _ = some.Decode(data)
		got, err := all.Decode(data)
		var want map[string]any
		if kjson.Unmarshal(data, &want) != nil || want == nil {
			continue
		}
		agreed++
		if err != nil {
			t.Fatalf("Kubernetes decodes %q, Decode does not: %v", data, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("Decode(%q): -kubernetes, +got:\n%s", data, diff)
		}
	}
	if agreed < 1000 {
		t.Errorf("only %d of the mutations were valid JSON; the test checks too little", agreed)
	}
}

func TestStringEnd(t *testing.T) {
	cases := map[string]struct {
		reason string
		data   string
		from   int
		want   int
	}{
		"Plain": {
			reason: "The first quote closes a string without backslashes.",
			data:   `"abc"x`, from: 1, want: 4,
		},
		"Empty": {
			reason: "The quote right after the opening one closes an empty string.",
			data:   `""`, from: 1, want: 1,
		},
		"EscapedQuote": {
			reason: "A quote after one backslash is part of the string.",
			data:   `"a\"b"`, from: 1, want: 5,
		},
		"EscapedBackslash": {
			reason: "A quote after two backslashes closes the string.",
			data:   `"a\\"b"`, from: 1, want: 4,
		},
		"OddRun": {
			reason: "A quote after three backslashes is part of the string.",
			data:   `"\\\"}"`, from: 1, want: 6,
		},
		"FromInside": {
			reason: "Looking from inside the string, backslashes before from still count.",
			data:   `"ab\"c"`, from: 4, want: 6,
		},
		"Unterminated": {
			reason: "Data that ends inside the string has no end.",
			data:   `"abc\"`, from: 1, want: -1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := StringEnd([]byte(tc.data), tc.from); got != tc.want {
				t.Errorf("%s\nStringEnd(%s, %d): got %d, want %d", tc.reason, tc.data, tc.from, got, tc.want)
			}
		})
	}
}
