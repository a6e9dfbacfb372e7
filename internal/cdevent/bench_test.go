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

package cdevent

import (
	"testing"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// BenchmarkBuild measures building one typical event, a 0.5
// environment.modified for a ready cluster with every fact known,
// validation included; and a degradation with its incident.
func BenchmarkBuild(b *testing.B) {
	bld, err := NewBuilder()
	if err != nil {
		b.Fatalf("NewBuilder(): %v", err)
	}
	cases := map[string]struct {
		e v1alpha1.LedgerEvent
		o Options
		n int
	}{
		"Ready": {e: ledgerEvent(v1alpha1.LifecycleReady), o: Options{Source: source}, n: 1},
		"DegradedWithIncident": {
			e: ledgerEvent(v1alpha1.LifecycleDegraded),
			o: Options{Source: source, Incidents: true},
			n: 2,
		},
	}
	s := subject()
	for name, tc := range cases {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				evs, err := bld.Build(s, tc.e, tc.o)
				if err != nil {
					b.Fatalf("Build(...): %v", err)
				}
				if len(evs) != tc.n {
					b.Fatalf("Build(...): want %d events, got %d", tc.n, len(evs))
				}
			}
		})
	}
}
