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
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func cascadeFixture() Cascade {
	member := func(name string, start time.Duration, end time.Duration) CascadeMember {
		m := CascadeMember{
			Environment: v1alpha1.Environment{ID: "/cp/eks.aws.upbound.io/Cluster/" + name, Name: name},
			Ref:         v1alpha1.ResourceRef{APIVersion: "eks.aws.upbound.io/v1beta1", Kind: "Cluster", Name: name},
			Start:       transition.Add(start),
			StartEvent:  "opened-" + name,
		}
		if end > 0 {
			m.End = transition.Add(end)
		}
		return m
	}
	return Cascade{
		ID: "c0ffee", SubjectID: "/crossplane/cp/cascades/aws/us-east-1/1772600767", Group: "aws/us-east-1",
		By: v1alpha1.CascadeByProviderRegion, MinClusters: 2, Window: 5 * time.Minute,
		Detected: transition.Add(time.Minute), Resolved: transition.Add(40 * time.Minute),
		Members: []CascadeMember{member("a", 0, 30*time.Minute), member("b", time.Minute, 40*time.Minute), member("c", 20*time.Minute, 35*time.Minute)},
	}
}

// TestBuildCascade checks what a cascade's incident events say, and that
// they validate against the CDEvents schemas of every spec version.
func TestBuildCascade(t *testing.T) {
	opts := []ValidatorOption{}
	if dir := os.Getenv(EnvSchemas); dir != "" {
		opts = append(opts, WithSchemaDir(dir))
	}
	v, err := NewValidator(opts...)
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(WithValidator(v))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		Type         string
		Time         time.Time
		Subject      string
		Environments []string
		Links        []string
		Resolved     string
	}
	cases := map[string]struct {
		reason   string
		resolved bool
		spec     v1alpha1.SpecVersion
		want     want
	}{
		"Detected": {
			reason: "The detected event is at the detection time and names the clusters the cascade began with.",
			want: want{
				Type: "dev.cdevents.incident.detected.0.3.0", Time: transition.Add(time.Minute), Subject: "/crossplane/cp/cascades/aws/us-east-1/1772600767",
				Environments: []string{"a", "b"}, Links: []string{"opened-a", "opened-b"},
			},
		},
		"Resolved": {
			reason:   "The resolved event is at the last recovery and names every cluster that joined.",
			resolved: true,
			want: want{
				Type: "dev.cdevents.incident.resolved.0.3.0", Time: transition.Add(40 * time.Minute), Subject: "/crossplane/cp/cascades/aws/us-east-1/1772600767",
				Environments: []string{"a", "b", "c"}, Links: []string{"opened-a", "opened-b", "opened-c"}, Resolved: "2026-03-04T05:46:07Z",
			},
		},
		"DetectedSpec03": {
			reason: "Older spec versions get their own incident types.",
			spec:   v1alpha1.SpecVersion03,
			want: want{
				Type: "dev.cdevents.incident.detected.0.1.0", Time: transition.Add(time.Minute), Subject: "/crossplane/cp/cascades/aws/us-east-1/1772600767",
				Environments: []string{"a", "b"}, Links: []string{"opened-a", "opened-b"},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			ce, err := b.BuildCascade(cascadeFixture(), tc.resolved, Options{Source: source, SpecVersion: tc.spec})
			if err != nil {
				t.Fatalf("BuildCascade(...): %v", err)
			}
			if err := v.Validate(ce); err != nil {
				t.Errorf("v.Validate(...): %v", err)
			}
			again, err := b.BuildCascade(cascadeFixture(), tc.resolved, Options{Source: source, SpecVersion: tc.spec})
			if err != nil || again.ID() != ce.ID() || !again.Time().Equal(ce.Time()) || string(again.Data()) != string(ce.Data()) {
				t.Errorf("building the same cascade again gave another event (%v)", err)
			}
			ev, err := Parse(ce)
			if err != nil {
				t.Fatal(err)
			}
			cd := CascadeData{}
			if err := ev.GetCustomDataAs(&cd); err != nil {
				t.Fatal(err)
			}
			got := want{Type: ce.Type(), Time: ce.Time(), Subject: ce.Subject(), Resolved: cd.Crossplane.Cascade.Resolved}
			for _, e := range cd.Crossplane.Cascade.Environments {
				got.Environments = append(got.Environments, e.Name)
			}
			for _, l := range cd.Links {
				got.Links = append(got.Links, l.ContextID)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nBuildCascade(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
	d, _ := b.BuildCascade(cascadeFixture(), false, Options{Source: source})
	r, _ := b.BuildCascade(cascadeFixture(), true, Options{Source: source})
	if d.ID() == r.ID() {
		t.Errorf("detected and resolved share the id %s", d.ID())
	}
	if _, err := b.BuildCascade(Cascade{ID: "x", Detected: transition}, false, Options{Source: source}); err == nil {
		t.Errorf("BuildCascade of a cascade without clusters: want an error")
	}
}
