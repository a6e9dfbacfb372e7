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

package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/crossplane-contrib/provider-cdevents/internal/receiver"
)

func TestPrefixWriter(t *testing.T) {
	cases := map[string]struct {
		reason string
		writes []string
		want   string
	}{
		"OneLine": {
			reason: "A line gets the prefix.",
			writes: []string{"a\n"},
			want:   "event  a\n",
		},
		"SeveralLinesAtOnce": {
			reason: "Every line of one write gets the prefix.",
			writes: []string{"a\nb\n"},
			want:   "event  a\nevent  b\n",
		},
		"Nothing": {
			reason: "An empty write writes nothing.",
			writes: []string{""},
			want:   "",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := &bytes.Buffer{}
			w := &prefixWriter{w: b, prefix: "event  "}
			for _, s := range tc.writes {
				n, err := w.Write([]byte(s))
				if err != nil || n != len(s) {
					t.Errorf("\n%s\nWrite(%q): got %d, %v", tc.reason, s, n, err)
				}
			}
			if diff := cmp.Diff(tc.want, b.String()); diff != "" {
				t.Errorf("\n%s\noutput: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestWriteKubeconfig(t *testing.T) {
	cfg := &rest.Config{
		Host: "https://127.0.0.1:6443",
		TLSClientConfig: rest.TLSClientConfig{
			CAData: []byte("ca"), CertData: []byte("cert"), KeyData: []byte("key"),
		},
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := writeKubeconfig(cfg, path); err != nil {
		t.Fatalf("writeKubeconfig(): %v", err)
	}
	got, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatalf("loading the written kubeconfig: %v", err)
	}
	want := []string{cfg.Host, "ca", "cert", "key"}
	if diff := cmp.Diff(want, []string{got.Host, string(got.CAData), string(got.CertData), string(got.KeyData)}); diff != "" {
		t.Errorf("\nThe kubeconfig reaches the same API server with the same credentials.\nloaded config: -want, +got:\n%s", diff)
	}
}

func TestPrintSummary(t *testing.T) {
	ev := func(timeline, lifecycle string) receiver.Event {
		return receiver.Event{Timeline: timeline, Lifecycle: lifecycle, Type: "dev.cdevents.environment.modified.0.3.0", SubjectID: timeline}
	}
	b := &bytes.Buffer{}
	printSummary(b, []receiver.Event{
		ev("/demo/b", "created"), ev("/demo/a", "created"), ev("/demo/b", "ready"),
	}, receiver.Stats{Received: 3, Duplicates: 1})
	want := "==> Received 3 CDEvents (1 redelivered, ignored)\n" +
		"    /demo/a  created\n" +
		"    /demo/b  created -> ready\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("\nThe summary lists each timeline's lifecycles in order, timelines sorted by name.\nprintSummary(...): -want, +got:\n%s", diff)
	}
}
