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

package config

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/test"
	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/deliver"
	"github.com/crossplane-contrib/provider-cdevents/internal/dispatch"
)

// secretReader serves one Secret per namespace/name with every key the
// provider reads, and records what was asked for.
type secretReader struct {
	mu    sync.Mutex
	reads []types.NamespacedName
}

func (s *secretReader) reader() client.Reader {
	return &test.MockClient{MockGet: func(_ context.Context, key client.ObjectKey, obj client.Object) error {
		s.mu.Lock()
		s.reads = append(s.reads, key)
		s.mu.Unlock()
		sec, ok := obj.(*corev1.Secret)
		if !ok {
			return errors.New("not a Secret")
		}
		sec.SetNamespace(key.Namespace)
		sec.SetName(key.Name)
		sec.Data = map[string][]byte{"token": []byte("t0ken-" + key.Namespace), "ca.crt": []byte("not PEM")}
		return nil
	}}
}

func (s *secretReader) namespaces() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.reads {
		out = append(out, r.Namespace)
	}
	return out
}

func TestSecretNamespaceBoundary(t *testing.T) {
	type args struct {
		configNS string
		refNS    string
	}
	type want struct {
		err   error
		reads []string
	}
	cases := map[string]struct {
		reason string
		args   args
		want   want
	}{
		"TenantOwnNamespaceImplicit": {
			reason: "A ProviderConfig's reference without a namespace reads its own namespace.",
			args:   args{configNS: "team-a"},
			want:   want{reads: []string{"team-a"}},
		},
		"TenantOwnNamespaceExplicit": {
			reason: "A ProviderConfig may name its own namespace.",
			args:   args{configNS: "team-a", refNS: "team-a"},
			want:   want{reads: []string{"team-a"}},
		},
		"TenantForeignNamespace": {
			reason: "A ProviderConfig may not read another namespace's Secret, and nothing is read.",
			args:   args{configNS: "team-a", refNS: "team-b"},
			want:   want{err: errors.Errorf(errFmtForeignNS, "team-a", "team-b")},
		},
		"TenantProviderNamespace": {
			reason: "Not even the provider's own namespace.",
			args:   args{configNS: "team-a", refNS: "crossplane-system"},
			want:   want{err: errors.Errorf(errFmtForeignNS, "team-a", "crossplane-system")},
		},
		"ClusterWithoutNamespace": {
			reason: "A ClusterProviderConfig must say which namespace; nothing is guessed.",
			args:   args{},
			want:   want{err: errors.New(errNoSecretNS)},
		},
		"ClusterAnyNamespace": {
			reason: "A ClusterProviderConfig, the administrator's, reads the namespace it names.",
			args:   args{refNS: "crossplane-system"},
			want:   want{reads: []string{"crossplane-system"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sr := &secretReader{}
			r := &Reconciler{secrets: sr.reader()}
			_, err := r.secret(context.Background(), tc.args.configNS, tc.args.refNS, "sink-token")
			if diff := cmp.Diff(tc.want.err, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nr.secret(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if diff := cmp.Diff(tc.want.reads, sr.namespaces()); diff != "" {
				t.Errorf("\n%s\nr.secret(...): Secrets read in namespaces: -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

// TestSettingsStayInNamespace checks every Secret reference of a spec, not
// only one: a ProviderConfig that names a foreign namespace anywhere gets
// an error and reads nothing there.
func TestSettingsStayInNamespace(t *testing.T) {
	foreign := "team-b"
	cases := map[string]struct {
		reason string
		spec   v1alpha1.ProviderConfigSpec
	}{
		"Credentials": {
			reason: "The credentials Secret.",
			spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/"}, Credentials: &v1alpha1.Credentials{
				Source: v1alpha1.CredentialsSourceSecret, SecretRef: &v1alpha1.SecretKeySelector{Namespace: foreign, Name: "s", Key: "token"},
			}},
		},
		"CABundle": {
			reason: "The CA bundle Secret.",
			spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/", TLS: &v1alpha1.TLSConfig{
				CABundleSecretRef: &v1alpha1.SecretKeySelector{Namespace: foreign, Name: "s", Key: "ca.crt"},
			}}},
		},
		"ClientCert": {
			reason: "The client certificate Secret.",
			spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/", TLS: &v1alpha1.TLSConfig{
				ClientCertSecretRef: &v1alpha1.SecretReference{Namespace: foreign, Name: "s"},
			}}},
		},
		"DeadLetterCABundle": {
			reason: "The dead-letter sink's CA bundle Secret.",
			spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/"}, Delivery: &v1alpha1.Delivery{DeadLetterSink: &v1alpha1.Sink{
				URL: "https://dlq.example/", TLS: &v1alpha1.TLSConfig{CABundleSecretRef: &v1alpha1.SecretKeySelector{Namespace: foreign, Name: "s", Key: "ca.crt"}},
			}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sr := &secretReader{}
			r := &Reconciler{secrets: sr.reader(), now: testNow, tenant: true}
			pc := &v1alpha1.ProviderConfig{Spec: tc.spec}
			pc.SetNamespace("team-a")
			_, err := r.settings(context.Background(), "ProviderConfig/team-a/x", pc)
			if err == nil || !strings.Contains(err.Error(), "own namespace") {
				t.Errorf("\n%s\nr.settings(...): want an error about the own namespace, got %v", tc.reason, err)
			}
			for _, ns := range sr.namespaces() {
				if ns != "team-a" {
					t.Errorf("\n%s\nr.settings(...): read a Secret in namespace %q", tc.reason, ns)
				}
			}
		})
	}
}

// hosts is a resolver with a fixed table.
type hosts map[string][]string

func (h hosts) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	as, ok := h[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	out := make([]netip.Addr, 0, len(as))
	for _, a := range as {
		out = append(out, netip.MustParseAddr(a))
	}
	return out, nil
}

func tenantEgress() *deliver.EgressPolicy {
	return deliver.NewEgressPolicy(deliver.DefaultTenantDeny(), nil, deliver.WithResolver(hosts{
		"sink.example":     {"192.0.2.10"},
		"internal.example": {"127.0.0.1"},
	}))
}

func TestAllowed(t *testing.T) {
	secret := &v1alpha1.Credentials{Source: v1alpha1.CredentialsSourceSecret, SecretRef: &v1alpha1.SecretKeySelector{Name: "s", Key: "token"}}
	type args struct {
		tenant bool
		policy Policy
		spec   v1alpha1.ProviderConfigSpec
	}
	cases := map[string]struct {
		reason string
		args   args
		want   error
	}{
		"TenantPublic": {
			reason: "A tenant's https sink on an allowed address is allowed.",
			args:   args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/"}, Credentials: secret}},
		},
		"TenantLoopback": {
			reason: "A tenant's sink on loopback is refused.",
			args:   args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://127.0.0.1:8443/"}}},
			want:   notAllowed(errSinkNotAllowed + ": " + (&deliver.NotAllowedError{}).Error()),
		},
		"TenantNameToLoopback": {
			reason: "A tenant's sink whose name resolves to loopback is refused.",
			args:   args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://internal.example/"}}},
			want:   notAllowed(errSinkNotAllowed + ": " + (&deliver.NotAllowedError{}).Error()),
		},
		"TenantDeadLetterMetadata": {
			reason: "A tenant's dead-letter sink on the metadata service is refused.",
			args: args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/"}, Delivery: &v1alpha1.Delivery{
				DeadLetterSink: &v1alpha1.Sink{URL: "http://169.254.169.254/latest/meta-data/"},
			}}},
			want: notAllowed(errDLQNotAllowed + ": " + (&deliver.NotAllowedError{}).Error()),
		},
		"TenantInsecureTLS": {
			reason: "A tenant may not turn TLS verification off unless allowed.",
			args:   args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/", TLS: &v1alpha1.TLSConfig{InsecureSkipVerify: true}}}},
			want:   notAllowed(errInsecureTLS),
		},
		"TenantInsecureTLSDeadLetter": {
			reason: "Nor for the dead-letter sink.",
			args: args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/"}, Delivery: &v1alpha1.Delivery{
				DeadLetterSink: &v1alpha1.Sink{URL: "https://sink.example/dlq", TLS: &v1alpha1.TLSConfig{InsecureSkipVerify: true}},
			}}},
			want: notAllowed(errInsecureTLS),
		},
		"TenantInsecureTLSAllowed": {
			reason: "The administrator may allow it.",
			args:   args{tenant: true, policy: Policy{TenantAllowInsecureTLS: true}, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "https://sink.example/", TLS: &v1alpha1.TLSConfig{InsecureSkipVerify: true}}}},
		},
		"TenantPlaintextCredentials": {
			reason: "A tenant may not send credentials over plain http unless allowed.",
			args:   args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "http://sink.example/"}, Credentials: secret}},
			want:   notAllowed(errPlaintextCreds),
		},
		"TenantPlaintextUserInfo": {
			reason: "User info in an http URL is a credential in plain text too.",
			args:   args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "http://user:pw@sink.example/"}}},
			want:   notAllowed(errPlaintextCreds),
		},
		"TenantPlaintextCredentialsAllowed": {
			reason: "The administrator may allow it.",
			args:   args{tenant: true, policy: Policy{TenantAllowPlaintextCredentials: true}, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "http://sink.example/"}, Credentials: secret}},
		},
		"TenantPlainHTTPNoCredentials": {
			reason: "Plain http without credentials is allowed: events are not secret.",
			args:   args{tenant: true, spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "http://sink.example/"}}},
		},
		"AdminLoopback": {
			reason: "A ClusterProviderConfig is the administrator's and not limited by default.",
			args:   args{spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: "http://user:pw@127.0.0.1/", TLS: &v1alpha1.TLSConfig{InsecureSkipVerify: true}}, Credentials: secret}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &Reconciler{tenant: tc.args.tenant, policy: tc.args.policy}
			if tc.args.tenant {
				r.egress = tenantEgress()
			}
			err := r.allowed(context.Background(), &tc.args.spec)
			if diff := cmp.Diff(tc.want, err, test.EquateErrors()); diff != "" {
				t.Errorf("\n%s\nr.allowed(...): -want error, +got error:\n%s", tc.reason, diff)
			}
			if err != nil && !IsNotAllowed(err) {
				t.Errorf("\n%s\nr.allowed(...): %v is not a NotAllowedError", tc.reason, err)
			}
		})
	}
}

// FuzzTenantSettings turns arbitrary ProviderConfig specs into sink
// settings the way the controller does: policy, Secrets, then the sender.
// It must never panic, every refusal must say why, and whatever a tenant's
// spec passes must keep the tenant's boundary: Secrets from its own
// namespace only, no denied address, no insecure TLS, no credential over
// plain http.
func FuzzTenantSettings(f *testing.F) {
	for _, spec := range []v1alpha1.ProviderConfigSpec{
		{Sink: v1alpha1.Sink{URL: "https://sink.example/"}},
		{Sink: v1alpha1.Sink{URL: "http://127.0.0.1:8080/", Headers: map[string]string{"Metadata-Flavor": "Google"}}},
		{Sink: v1alpha1.Sink{URL: "https://sink.example/", TLS: &v1alpha1.TLSConfig{InsecureSkipVerify: true, CABundleSecretRef: &v1alpha1.SecretKeySelector{Namespace: "team-b", Name: "ca", Key: "ca.crt"}}}},
		{Sink: v1alpha1.Sink{URL: "http://u:p@sink.example/"}, Credentials: &v1alpha1.Credentials{Source: v1alpha1.CredentialsSourceSecret, SecretRef: &v1alpha1.SecretKeySelector{Name: "s", Key: "token"}, Scheme: v1alpha1.AuthSchemeHeader}},
		{Sink: v1alpha1.Sink{URL: "https://sink.example/"}, Delivery: &v1alpha1.Delivery{DeadLetterSink: &v1alpha1.Sink{URL: "http://[::ffff:169.254.169.254]/"}}},
		{Sink: v1alpha1.Sink{URL: "https://internal.example/"}, Credentials: &v1alpha1.Credentials{Source: v1alpha1.CredentialsSourceSecret}},
	} {
		b, err := json.Marshal(spec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, true)
		f.Add(b, false)
	}
	f.Fuzz(func(t *testing.T, raw []byte, tenant bool) {
		spec := v1alpha1.ProviderConfigSpec{}
		if err := json.Unmarshal(raw, &spec); err != nil {
			return
		}
		sr := &secretReader{}
		r := &Reconciler{secrets: sr.reader(), now: testNow, tenant: tenant, egress: tenantEgress()}
		var pc v1alpha1.Config = &v1alpha1.ClusterProviderConfig{Spec: spec}
		if tenant {
			p := &v1alpha1.ProviderConfig{Spec: spec}
			p.SetNamespace("team-a")
			pc = p
		}
		ctx := context.Background()
		if err := r.allowed(ctx, &spec); err != nil {
			if err.Error() == "" || !IsNotAllowed(err) {
				t.Fatalf("r.allowed(...): a refusal without a message, or of the wrong kind: %#v", err)
			}
			if len(sr.namespaces()) > 0 {
				t.Fatalf("r.allowed(...): read Secrets %v before refusing", sr.namespaces())
			}
			return
		}
		st, err := r.settings(ctx, "id", pc)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("r.settings(...): an error without a message: %#v", err)
			}
			return
		}
		for _, sc := range []*deliver.SinkConfig{&st.Sink, st.DeadLetter} {
			if sc == nil {
				continue
			}
			s, err := deliver.NewSender(*sc)
			if err != nil {
				if err.Error() == "" {
					t.Fatalf("deliver.NewSender(...): an error without a message: %#v", err)
				}
				continue
			}
			s.Close()
			if !tenant {
				continue
			}
			if sc.Egress == nil {
				t.Fatalf("a tenant's sink has no egress policy")
			}
			if sc.TLS.InsecureSkipVerify {
				t.Fatalf("a tenant's sink skips TLS verification")
			}
			u, err := url.Parse(strings.TrimSpace(sc.URL))
			if err != nil {
				t.Fatalf("NewSender accepted a URL that does not parse: %v", err)
			}
			if u.Scheme == "http" && (sc.Auth != nil || u.User != nil) {
				t.Fatalf("a tenant's credential goes over plain http")
			}
			if a, err := netip.ParseAddr(u.Hostname()); err == nil && !sc.Egress.Allowed(a) {
				t.Fatalf("a tenant's sink at denied address %s was accepted", a)
			}
		}
		if tenant {
			for _, ns := range sr.namespaces() {
				if ns != "team-a" {
					t.Fatalf("a tenant's config read a Secret in namespace %q", ns)
				}
			}
		}
	})
}

func testNow() time.Time { return time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC) }

type unwatchable []string

func (u unwatchable) Unwatchable() []string { return u }

// noSinks knows no sink: report then reports the kinds only.
type noSinks struct{}

func (noSinks) Apply(dispatch.Settings) error       { return nil }
func (noSinks) Remove(string)                       {}
func (noSinks) Stats(string) (dispatch.Stats, bool) { return dispatch.Stats{}, false }
func (noSinks) Persisted(string, string, string)    {}

func TestReportUnwatchableKinds(t *testing.T) {
	cases := map[string]struct {
		reason string
		kinds  unwatchable
		before []string
		want   []string
	}{
		"NoneIsNil": {
			reason: "With every kind watched the list is nil, as the API server returns an empty one: the status is unchanged and not written again.",
			kinds:  unwatchable{},
		},
		"Listed": {
			reason: "Kinds the provider may not watch are listed.",
			kinds:  unwatchable{"eks.aws.upbound.io/Cluster"},
			want:   []string{"eks.aws.upbound.io/Cluster"},
		},
		"Cleared": {
			reason: "Kinds watched again are no longer listed.",
			kinds:  unwatchable{},
			before: []string{"eks.aws.upbound.io/Cluster"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pc := &v1alpha1.ClusterProviderConfig{}
			pc.Status.UnwatchableKinds = tc.before
			r := &Reconciler{kinds: tc.kinds, sinks: noSinks{}}
			r.report(pc, "ClusterProviderConfig/x")
			if diff := cmp.Diff(tc.want, pc.Status.UnwatchableKinds); diff != "" {
				t.Errorf("\n%s\nreport(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}

func TestSameAsStored(t *testing.T) {
	at := time.Date(2026, 12, 6, 17, 0, 0, 0, time.UTC)
	// What a sink reports: nanoseconds and a monotonic clock reading.
	live := time.Now()
	// What the API server gives back: whole seconds, local time.
	stored := metav1.NewTime(live.Truncate(time.Second).Local())
	cases := map[string]struct {
		reason string
		a, b   v1alpha1.ProviderConfigStatus
		want   bool
	}{
		"LiveTimeAsStored": {
			reason: "A time the sinks report and the same time read back are stored alike.",
			a:      v1alpha1.ProviderConfigStatus{LastDelivery: &v1alpha1.DeliveryRecord{Time: stored, Type: "t", Subject: "s"}},
			b:      v1alpha1.ProviderConfigStatus{LastDelivery: &v1alpha1.DeliveryRecord{Time: metav1.NewTime(live), Type: "t", Subject: "s"}},
			want:   true,
		},
		"EmptyListAsNone": {
			reason: "An empty list is stored as none.",
			a:      v1alpha1.ProviderConfigStatus{},
			b:      v1alpha1.ProviderConfigStatus{UnwatchableKinds: []string{}},
			want:   true,
		},
		"NewerDelivery": {
			reason: "A later delivery is a change.",
			a:      v1alpha1.ProviderConfigStatus{LastDelivery: &v1alpha1.DeliveryRecord{Time: metav1.NewTime(at)}},
			b:      v1alpha1.ProviderConfigStatus{LastDelivery: &v1alpha1.DeliveryRecord{Time: metav1.NewTime(at.Add(time.Second))}},
		},
		"MoreDelivered": {
			reason: "A figure that moved is a change.",
			a:      v1alpha1.ProviderConfigStatus{Delivered: 1},
			b:      v1alpha1.ProviderConfigStatus{Delivered: 2},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sameAsStored(&tc.a, &tc.b); got != tc.want {
				t.Errorf("\n%s\nsameAsStored(...): want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}

func TestMustWrite(t *testing.T) {
	now := testNow()
	at := func(s int) *v1alpha1.DeliveryRecord {
		return &v1alpha1.DeliveryRecord{Time: metav1.NewTime(now.Add(time.Duration(s) * time.Second)), Type: "t", Subject: "s"}
	}
	ready := func(reason string) []xpv2.Condition {
		return []xpv2.Condition{{Type: v1alpha1.TypeSinkReachable, Status: corev1.ConditionTrue, Reason: xpv2.ConditionReason(reason), LastTransitionTime: metav1.NewTime(now)}}
	}
	stored := v1alpha1.ProviderConfigStatus{Clusters: 40, Delivered: 100, LastDelivery: at(-30), DeliveredThrough: "500"}
	stored.Conditions = ready("Reachable")
	moved := func(fn func(s *v1alpha1.ProviderConfigStatus)) v1alpha1.ProviderConfigStatus {
		s := *stored.DeepCopy()
		fn(&s)
		return s
	}
	figures := moved(func(s *v1alpha1.ProviderConfigStatus) {
		s.Delivered, s.LastDelivery, s.DeliveredThrough = 104, at(-2), "520"
	})
	type args struct {
		// storedPending is what the stored status says the sink lacks.
		storedPending int64
		refreshed     v1alpha1.ProviderConfigStatus
		wanted        bool
		// lastWritten is how long ago the status was last written;
		// negative: never, by this provider.
		lastWritten time.Duration
	}
	cases := map[string]struct {
		reason string
		args   args
		want   bool
	}{
		"Unchanged": {
			reason: "Nothing changed: nothing to write.",
			args:   args{refreshed: stored, wanted: true},
		},
		"FiguresSoon": {
			reason: "Figures alone written 10s ago wait: a quiet fleet's sinks must not each cost a status write per transition.",
			args:   args{refreshed: figures, lastWritten: 10 * time.Second},
		},
		"FiguresDue": {
			reason: "Figures alone are written once the interval has passed.",
			args:   args{refreshed: figures, lastWritten: time.Minute},
			want:   true,
		},
		"FiguresNeverWritten": {
			reason: "A config this provider never wrote gets its figures at once.",
			args:   args{refreshed: figures, lastWritten: -1},
			want:   true,
		},
		"WatermarkWanted": {
			reason: "A watermark the ledger counts on is written at the next refresh.",
			args:   args{refreshed: figures, wanted: true, lastWritten: 10 * time.Second},
			want:   true,
		},
		"WantedButUnchanged": {
			reason: "A wanted watermark already stored needs no write for the figures around it.",
			args: args{refreshed: moved(func(s *v1alpha1.ProviderConfigStatus) { s.Delivered = 104 }), wanted: true,
				lastWritten: 10 * time.Second},
		},
		"Condition": {
			reason: "A condition that changed is written at once.",
			args: args{refreshed: moved(func(s *v1alpha1.ProviderConfigStatus) {
				s.Delivered = 104
				s.Conditions = ready("Rejecting")
			}), lastWritten: time.Second},
			want: true,
		},
		"FellBehind": {
			reason: "A sink that was caught up and now lacks events is news.",
			args:   args{refreshed: moved(func(s *v1alpha1.ProviderConfigStatus) { s.Pending = 3 }), lastWritten: time.Second},
			want:   true,
		},
		"StillBehind": {
			reason: "How far behind a sink that was behind is, is a figure.",
			args:   args{storedPending: 4, refreshed: moved(func(s *v1alpha1.ProviderConfigStatus) { s.Pending = 9 }), lastWritten: time.Second},
		},
		"MoreClusters": {
			reason: "The clusters a sink receives change with the fleet, not with every event: written at once.",
			args:   args{refreshed: moved(func(s *v1alpha1.ProviderConfigStatus) { s.Clusters = 41 }), lastWritten: time.Second},
			want:   true,
		},
		"Dropped": {
			reason: "Events given up are written at once.",
			args:   args{refreshed: moved(func(s *v1alpha1.ProviderConfigStatus) { s.Dropped = 1 }), lastWritten: time.Second},
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &Reconciler{now: testNow, figuresEvery: time.Minute, written: map[string]time.Time{}}
			if tc.args.lastWritten >= 0 {
				r.written["ClusterProviderConfig/x"] = now.Add(-tc.args.lastWritten)
			}
			before := *stored.DeepCopy()
			before.Pending = tc.args.storedPending
			if got := r.mustWrite("ClusterProviderConfig/x", &before, &tc.args.refreshed, tc.args.wanted); got != tc.want {
				t.Errorf("\n%s\nmustWrite(...): want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}

func TestSameCascades(t *testing.T) {
	detected := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	rec := func(at time.Time, sent v1alpha1.CascadeStage) []v1alpha1.CascadeRecord {
		return []v1alpha1.CascadeRecord{{ID: "c", Group: "aws/us-east-1", Detected: metav1.NewTime(at), Clusters: 3, Sent: sent}}
	}
	cases := map[string]struct {
		reason string
		a, b   []v1alpha1.CascadeRecord
		want   bool
	}{
		"OtherLocation": {
			reason: "A time read back from the API server is the same time in another location: no status write.",
			a:      rec(detected.In(time.FixedZone("X", 3600)), v1alpha1.CascadeDetected),
			b:      rec(detected, v1alpha1.CascadeDetected),
			want:   true,
		},
		"Sent": {
			reason: "A cascade that reached the sink changes the status.",
			a:      rec(detected, v1alpha1.CascadeDetected),
			b:      rec(detected, v1alpha1.CascadeResolved),
		},
		"NoneAndEmpty": {
			reason: "No cascades is no cascades.",
			a:      nil,
			b:      []v1alpha1.CascadeRecord{},
			want:   true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := sameCascades(tc.a, tc.b); got != tc.want {
				t.Errorf("\n%s\nsameCascades(...): want %t, got %t", tc.reason, tc.want, got)
			}
		})
	}
}

// TestSinkSince proves that a config's sink is dated from when it was
// declared: clusters recorded after a config was created get every event,
// however late the provider first reconciles it.
func TestSinkSince(t *testing.T) {
	const url = "https://sink.example/"
	created := metav1.NewTime(testNow().Add(-time.Hour))
	earlier := metav1.NewTime(testNow().Add(-24 * time.Hour))
	type want struct {
		since    time.Time
		endpoint string
	}
	cases := map[string]struct {
		reason string
		status v1alpha1.ProviderConfigStatus
		want   want
	}{
		"NeverReconciled": {
			reason: "A config reconciled for the first time dates its sink from its creation, not from when the provider read it.",
			want:   want{since: created.Time, endpoint: Endpoint(url)},
		},
		"Reconciled": {
			reason: "A config reconciled before keeps the date it has.",
			status: v1alpha1.ProviderConfigStatus{SinkSince: &earlier, SinkEndpoint: Endpoint(url)},
			want:   want{since: earlier.Time, endpoint: Endpoint(url)},
		},
		"URLChanged": {
			reason: "A URL changed since dates from when the provider first saw it.",
			status: v1alpha1.ProviderConfigStatus{SinkSince: &earlier, SinkEndpoint: Endpoint("https://old.example/")},
			want:   want{since: testNow(), endpoint: Endpoint(url)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := &Reconciler{now: testNow}
			pc := &v1alpha1.ClusterProviderConfig{Spec: v1alpha1.ProviderConfigSpec{Sink: v1alpha1.Sink{URL: url}}, Status: tc.status}
			pc.SetName("platform")
			pc.SetCreationTimestamp(created)
			st, err := r.settings(context.Background(), "ClusterProviderConfig/platform", pc)
			if err != nil {
				t.Fatalf("\n%s\nr.settings(...): %v", tc.reason, err)
			}
			got := want{since: st.Since, endpoint: pc.Status.SinkEndpoint}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("\n%s\nr.settings(...): -want, +got:\n%s", tc.reason, diff)
			}
			if pc.Status.SinkSince == nil || !pc.Status.SinkSince.Time.Equal(tc.want.since) {
				t.Errorf("\n%s\nstatus.sinkSince: got %v, want %v", tc.reason, pc.Status.SinkSince, tc.want.since)
			}
		})
	}
}
