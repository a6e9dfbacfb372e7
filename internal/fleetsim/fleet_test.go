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

package fleetsim

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestAdopt has a fleet adopt the clusters another fleet created: it must
// take exactly those with its labels and change them without an error,
// as the fleet that created them would.
func TestAdopt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	mine := map[string]string{"fleet": "adopt"}
	creator := NewFleet(client, mine, WithSize(Compact), WithoutCache())
	names := Names("adopt", 3)
	if err := creator.CreateReady(ctx, names, 2, time.Now().Truncate(time.Second), nil); err != nil {
		t.Fatal(err)
	}
	other := NewFleet(client, map[string]string{"fleet": "other"}, WithSize(Compact))
	if err := other.CreateReady(ctx, Names("other", 2), 1, time.Now().Truncate(time.Second), nil); err != nil {
		t.Fatal(err)
	}

	adopter := NewFleet(client, mine, WithSize(Compact))
	n, err := adopter.Adopt(ctx)
	if err != nil {
		t.Fatalf("Adopt: %v", err)
	}
	if n != len(names) {
		t.Errorf("Adopt adopted %d clusters, want %d (only those with its labels)", n, len(names))
	}
	if err := adopter.SetCloudState(ctx, names[1], StateFailed); err != nil {
		t.Fatalf("SetCloudState of an adopted cluster: %v", err)
	}
	u, err := adopter.res.Get(ctx, names[1], metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedString(u.Object, "status", "atProvider", "status"); got != StateFailed {
		t.Errorf("cloud state %q after SetCloudState, want %q", got, StateFailed)
	}
	if err := adopter.SetCloudState(ctx, "adopt-99999", StateFailed); err == nil {
		t.Errorf("SetCloudState of a cluster it did not adopt: no error")
	}
}
