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

package catalog

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

// spec returns a valid profile spec, modified by fns.
func spec(fns ...func(*v1alpha1.ClusterKindSpec)) v1alpha1.ClusterKindSpec {
	s := v1alpha1.ClusterKindSpec{
		Group:    "example.org",
		Kind:     "Cluster",
		Provider: "example",
		Fields: v1alpha1.ProfileFields{
			CloudID:           []string{"status.atProvider.id"},
			Endpoint:          []string{"status.atProvider.endpoint"},
			KubernetesVersion: []string{"status.atProvider.version"},
			Region:            []string{"spec.forProvider.region", "status.atProvider.region"},
			CloudState:        []string{"status.atProvider.status"},
		},
		States: v1alpha1.CloudStates{Healthy: []string{"ACTIVE"}, Failed: []string{"FAILED"}},
	}
	for _, fn := range fns {
		fn(&s)
	}
	return s
}

// specPaths are the paths spec() reads.
var specPaths = []string{ //nolint:gochecknoglobals // A constant table.
	"metadata.annotations[crossplane.io/external-name]",
	"spec.forProvider.region",
	"status.atProvider.endpoint",
	"status.atProvider.id",
	"status.atProvider.region",
	"status.atProvider.status",
	"status.atProvider.version",
}

func TestCompile(t *testing.T) {
	type want struct {
		err               string
		gk                schema.GroupKind
		readyMeansHealthy bool
		hasCloudState     bool
		paths             []string
		ignored           string
	}
	cases := map[string]struct {
		reason string
		spec   v1alpha1.ClusterKindSpec
		want   want
	}{
		"Valid": {
			reason: "A valid spec compiles; the external name defaults to the annotation. It declares a failed state and leaves readyMeansHealthy unset, so the cloud state decides.",
			spec:   spec(),
			want: want{
				gk:            schema.GroupKind{Group: "example.org", Kind: "Cluster"},
				hasCloudState: true,
				paths: []string{
					"metadata.annotations[crossplane.io/external-name]",
					"spec.forProvider.region",
					"status.atProvider.endpoint",
					"status.atProvider.id",
					"status.atProvider.region",
					"status.atProvider.status",
					"status.atProvider.version",
				},
			},
		},
		"ReadyMeansHealthyFalse": {
			reason: "An explicit ReadyMeansHealthy=false is kept.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.ReadyMeansHealthy = ptrTo(false)
			}),
			want: want{
				gk:            schema.GroupKind{Group: "example.org", Kind: "Cluster"},
				hasCloudState: true,
				paths: []string{
					"metadata.annotations[crossplane.io/external-name]",
					"spec.forProvider.region",
					"status.atProvider.endpoint",
					"status.atProvider.id",
					"status.atProvider.region",
					"status.atProvider.status",
					"status.atProvider.version",
				},
			},
		},
		"HealthyStatesOnly": {
			reason: "Unset, readyMeansHealthy is true when the states declare nothing that means the cluster does not serve.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.States = v1alpha1.CloudStates{Healthy: []string{"ACTIVE"}, Provisioning: []string{"CREATING"}}
			}),
			want: want{
				gk:                schema.GroupKind{Group: "example.org", Kind: "Cluster"},
				readyMeansHealthy: true,
				hasCloudState:     true,
				paths:             specPaths,
			},
		},
		"ReadyMeansHealthyTrue": {
			reason: "An explicit readyMeansHealthy=true is kept, and the states it makes ignored while Ready=True are named.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.States.Degraded = []string{"Degraded"}
				s.ReadyMeansHealthy = ptrTo(true)
			}),
			want: want{
				gk:                schema.GroupKind{Group: "example.org", Kind: "Cluster"},
				readyMeansHealthy: true,
				hasCloudState:     true,
				paths:             specPaths,
				ignored: "states.degraded Degraded; states.failed FAILED are ignored while Ready=True because readyMeansHealthy is true: " +
					"they count only while the provider also reports Ready=False. Unset readyMeansHealthy, or set it false, to report them whatever Ready says",
			},
		},
		"NoCloudState": {
			reason: "A kind without cloud state needs no states.",
			spec: v1alpha1.ClusterKindSpec{
				Group: "example.org", Kind: "Cluster", Provider: "example",
				Fields: v1alpha1.ProfileFields{ExternalName: []string{"spec.name"}},
			},
			want: want{
				gk:                schema.GroupKind{Group: "example.org", Kind: "Cluster"},
				readyMeansHealthy: true,
				paths:             []string{"spec.name"},
			},
		},
		"NoGroup": {
			reason: "The group is required.",
			spec:   spec(func(s *v1alpha1.ClusterKindSpec) { s.Group = "" }),
			want:   want{err: errNoGroup},
		},
		"NoKind": {
			reason: "The kind is required.",
			spec:   spec(func(s *v1alpha1.ClusterKindSpec) { s.Kind = "" }),
			want:   want{err: errNoKind},
		},
		"NoProvider": {
			reason: "The provider is required.",
			spec:   spec(func(s *v1alpha1.ClusterKindSpec) { s.Provider = "" }),
			want:   want{err: errNoProvider},
		},
		"BadPath": {
			reason: "A malformed path is reported with its field.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.Fields.Endpoint = []string{"status..endpoint"}
			}),
			want: want{err: `cannot parse fields.endpoint path "status..endpoint": empty segment at offset 7`},
		},
		"SpecBulk": {
			reason: "A profile may not read deep into the spec outside forProvider and initProvider.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.Fields.Region = []string{"spec.writeConnectionSecretToRef.name"}
			}),
			want: want{err: `cannot read fields.region path "spec.writeConnectionSecretToRef.name": only metadata, status, spec.forProvider, spec.initProvider and direct fields of spec may be read`},
		},
		"OtherRoot": {
			reason: "A profile may not read outside metadata, spec and status.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.Fields.CloudID = []string{"data.token"}
			}),
			want: want{err: `cannot read fields.cloudId path "data.token": only metadata, status, spec.forProvider, spec.initProvider and direct fields of spec may be read`},
		},
		"WholeForProvider": {
			reason: "spec.forProvider itself is not a field.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.Fields.Region = []string{"spec.forProvider"}
			}),
			want: want{err: `cannot read fields.region path "spec.forProvider": only metadata, status, spec.forProvider, spec.initProvider and direct fields of spec may be read`},
		},
		"TooManyPaths": {
			reason: "At most eight paths per fact.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.Fields.Region = strings.Split("status.a,status.b,status.c,status.d,status.e,status.f,status.g,status.h,status.i", ",")
			}),
			want: want{err: "fields.region has more than 8 paths"},
		},
		"CloudStateWithoutStates": {
			reason: "A cloud state path without any state values is an error.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.States = v1alpha1.CloudStates{}
			}),
			want: want{err: errNoStates},
		},
		"StatesWithoutCloudState": {
			reason: "State values without a cloud state path are an error.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.Fields.CloudState = nil
			}),
			want: want{err: errStatesWithoutCS},
		},
		"AmbiguousState": {
			reason: "A state value in two classes is an error, whatever its case.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.States.Degraded = []string{"active"}
			}),
			want: want{err: `state "active" is listed as both Healthy and Degraded`},
		},
		"EmptyState": {
			reason: "An empty state value is an error.",
			spec: spec(func(s *v1alpha1.ClusterKindSpec) {
				s.States.Deleting = []string{" "}
			}),
			want: want{err: "states.deleting holds an empty value"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := Compile(tc.spec)
			got := want{}
			if err != nil {
				got.err = err.Error()
			} else {
				got = want{
					gk:                p.GroupKind(),
					readyMeansHealthy: p.ReadyMeansHealthy(),
					hasCloudState:     p.HasCloudState(),
					paths:             p.Paths(),
					ignored:           p.IgnoredStates(),
				}
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nCompile(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestCompileDoesNotAlias(t *testing.T) {
	s := spec()
	p, err := Compile(s)
	if err != nil {
		t.Fatalf("Compile(...): %v", err)
	}
	s.Fields.Endpoint[0] = "status.changed"
	s.Provider = "changed"
	if diff := cmp.Diff(spec(), p.Spec()); diff != "" {
		t.Errorf("\nChanging the spec after Compile must not change the profile.\np.Spec(): -want, +got:\n%s", diff)
	}
}

func TestCloudHealth(t *testing.T) {
	p, err := Compile(spec(func(s *v1alpha1.ClusterKindSpec) {
		s.States = v1alpha1.CloudStates{
			Healthy:      []string{"ACTIVE"},
			Provisioning: []string{"CREATING"},
			Degraded:     []string{"Degraded"},
			Failed:       []string{"FAILED"},
			Deleting:     []string{"deleting"},
		}
	}))
	if err != nil {
		t.Fatalf("Compile(...): %v", err)
	}
	cases := map[string]struct {
		reason string
		state  string
		want   Health
	}{
		"Healthy":      {reason: "Listed values map to their class.", state: "ACTIVE", want: HealthHealthy},
		"IgnoresCase":  {reason: "Matching ignores case.", state: "active", want: HealthHealthy},
		"IgnoresSpace": {reason: "Matching ignores surrounding space.", state: " CREATING ", want: HealthProvisioning},
		"Degraded":     {reason: "Listed values map to their class.", state: "DEGRADED", want: HealthDegraded},
		"Failed":       {reason: "Listed values map to their class.", state: "FAILED", want: HealthFailed},
		"Deleting":     {reason: "Listed values map to their class.", state: "Deleting", want: HealthDeleting},
		"Unlisted":     {reason: "A value in no list says nothing.", state: "PENDING", want: HealthUnknown},
		"Empty":        {reason: "No value says nothing.", state: "", want: HealthUnknown},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, p.CloudHealth(tc.state)); diff != "" {
				t.Errorf("\n%s\nCloudHealth(%q): -want, +got:\n%s", tc.reason, tc.state, diff)
			}
		})
	}
}

func TestFacts(t *testing.T) {
	p, err := Compile(spec())
	if err != nil {
		t.Fatalf("Compile(...): %v", err)
	}
	cases := map[string]struct {
		reason  string
		content map[string]any
		want    v1alpha1.Facts
	}{
		"AllFacts": {
			reason: "Every fact is read from its first non-empty path.",
			content: object(t, `{
				"metadata":{"annotations":{"crossplane.io/external-name":"prod-1"}},
				"spec":{"forProvider":{"region":"us-east-1"}},
				"status":{"atProvider":{"id":"c-1","endpoint":"https://x","version":"1.31","status":"ACTIVE","region":"eu-west-1"}}}`),
			want: v1alpha1.Facts{
				ExternalName: "prod-1", CloudID: "c-1", Endpoint: "https://x",
				KubernetesVersion: "1.31", Region: "us-east-1", CloudState: "ACTIVE",
			},
		},
		"ProviderConfig": {
			reason:  "The ProviderConfig a namespaced managed resource names is read as kind/name.",
			content: object(t, `{"spec":{"providerConfigRef":{"kind":"ProviderConfig","name":"team-a"}}}`),
			want:    v1alpha1.Facts{ProviderConfig: "ProviderConfig/team-a"},
		},
		"ProviderConfigClassic": {
			reason:  "A reference without a kind (cluster-scoped managed resources) is read as the name.",
			content: object(t, `{"spec":{"providerConfigRef":{"name":"default","policy":{"resolve":"Always"}}}}`),
			want:    v1alpha1.Facts{ProviderConfig: "default"},
		},
		"RegionFallback": {
			reason:  "An observe-only object without spec region falls back to the status.",
			content: object(t, `{"status":{"atProvider":{"region":"eu-west-1"}}}`),
			want:    v1alpha1.Facts{Region: "eu-west-1"},
		},
		"Bounded": {
			reason:  "An absurdly long value is bounded.",
			content: map[string]any{"status": map[string]any{"atProvider": map[string]any{"id": strings.Repeat("x", 5000)}}},
			want:    v1alpha1.Facts{CloudID: strings.Repeat("x", maxFactBytes)},
		},
		"Empty": {
			reason: "An empty object has no facts.",
			want:   v1alpha1.Facts{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, p.Facts(tc.content)); diff != "" {
				t.Errorf("\n%s\nFacts(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTrim(t *testing.T) {
	p, err := Compile(spec(func(s *v1alpha1.ClusterKindSpec) {
		s.Fields.Endpoint = []string{"status.atProvider.endpoints.publicEndpoint", "status.atProvider.endpoints.kubernetes"}
	}))
	if err != nil {
		t.Fatalf("Compile(...): %v", err)
	}
	long := strings.Repeat("é", MaxMessageBytes)
	cases := map[string]struct {
		reason  string
		content map[string]any
		want    map[string]any
	}{
		"KeepsWhatIsRead": {
			reason: "Only identifying metadata, crossplane.io annotations, conditions and profile fields are kept; lists are cut to the element read.",
			content: object(t, `{
				"apiVersion":"example.org/v1","kind":"Cluster",
				"metadata":{"name":"a","uid":"u","generation":3,"labels":{"env":"prod"},
					"annotations":{"crossplane.io/external-name":"a","kubectl.kubernetes.io/last-applied-configuration":"{...}"},
					"managedFields":[{"manager":"x"}],"finalizers":["f"]},
				"spec":{"forProvider":{"region":"us-east-1","roleArn":"arn:x","vpcConfig":{"subnetIds":["s"]}},"writeConnectionSecretToRef":{"name":"kc"},
					"providerConfigRef":{"kind":"ClusterProviderConfig","name":"prod","policy":{"resolve":"Always"}}},
				"status":{"conditions":[{"type":"Ready","status":"True","reason":"Available","lastTransitionTime":"2026-01-01T00:00:00Z","message":"`+long+`"}],
					"atProvider":{"id":"c-1","status":"ACTIVE","certificateAuthority":[{"data":"secret-ish"}],
						"endpoints":[{"kubernetes":"10.0.0.1:6443","publicEndpoint":"1.2.3.4:6443","privateEndpoint":"10.0.0.2:6443"},{"kubernetes":"other"}]}}}`),
			want: object(t, `{
				"apiVersion":"example.org/v1","kind":"Cluster",
				"metadata":{"name":"a","uid":"u","generation":3,"labels":{"env":"prod"},
					"annotations":{"crossplane.io/external-name":"a"}},
				"spec":{"forProvider":{"region":"us-east-1"},"providerConfigRef":{"kind":"ClusterProviderConfig","name":"prod"}},
				"status":{"conditions":[{"type":"Ready","status":"True","reason":"Available","lastTransitionTime":"2026-01-01T00:00:00Z","message":"`+long[:MaxMessageBytes]+`"}],
					"atProvider":{"id":"c-1","status":"ACTIVE",
						"endpoints":[{"kubernetes":"10.0.0.1:6443","publicEndpoint":"1.2.3.4:6443"}]}}}`),
		},
		"Malformed": {
			reason:  "Malformed content is trimmed to what is well formed.",
			content: object(t, `{"apiVersion":1,"metadata":"x","status":{"conditions":"x","atProvider":[]}}`),
			want:    map[string]any{},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := p.Trim(tc.content)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nTrim(...): -want, +got:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(p.Facts(tc.content), p.Facts(got)); diff != "" {
				t.Errorf("\n%s\nFacts(Trim(...)) must equal Facts(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	cases := map[string]struct {
		reason string
		s      string
		max    int
		want   string
	}{
		"Short":     {reason: "A short string is kept.", s: "abc", max: 5, want: "abc"},
		"Cut":       {reason: "A long string is cut.", s: "abcdef", max: 3, want: "abc"},
		"RuneSplit": {reason: "A multi-byte character is never split.", s: "aéb", max: 2, want: "a"},
		"Zero":      {reason: "A zero bound yields nothing.", s: "abc", max: 0, want: ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, Truncate(tc.s, tc.max)); diff != "" {
				t.Errorf("\n%s\nTruncate(%q, %d): -want, +got:\n%s", tc.reason, tc.s, tc.max, diff)
			}
		})
	}
}
