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

package controller

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
)

func TestConfigGateWait(t *testing.T) {
	s := runtime.NewScheme()
	if err := v1alpha1.SchemeBuilder.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	configs := []client.Object{
		&v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "platform"}},
		&v1alpha1.ProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: "team-a"}},
	}
	const timeout = 2 * time.Second
	// during reconciles its configs this long after wait began.
	const later = 100 * time.Millisecond
	type want struct {
		Waited   bool // until the configs of during were reconciled
		Returned bool // before the timeout
	}
	cases := map[string]struct {
		reason string
		before []string // reconciled before wait
		during []string // reconciled while it waits
		// listFailures is how many lists fail first; -1 for all.
		listFailures int
		want         want
	}{
		"AllReconciledBefore": {
			reason: "Configs reconciled before discovery would start hold nothing back.",
			before: []string{"ClusterProviderConfig/platform", "ProviderConfig/team-a/team"},
			want:   want{Waited: false, Returned: true},
		},
		"ReconciledWhileWaiting": {
			reason: "Discovery starts once the last existing config was reconciled.",
			before: []string{"ClusterProviderConfig/platform"},
			during: []string{"ProviderConfig/team-a/team"},
			want:   want{Waited: true, Returned: true},
		},
		"NeverReconciled": {
			reason: "A config that is never reconciled holds discovery back no longer than the timeout.",
			before: []string{"ClusterProviderConfig/platform"},
			want:   want{Waited: true, Returned: false},
		},
		"ListFailsOnce": {
			reason:       "A list that fails is tried again: a refused read is no evidence that there are no configs to wait for.",
			during:       []string{"ClusterProviderConfig/platform", "ProviderConfig/team-a/team"},
			listFailures: 1,
			want:         want{Waited: true, Returned: true},
		},
		"CannotList": {
			reason:       "Configs that cannot be listed within the timeout hold discovery back no longer: it then starts as it would without the gate.",
			listFailures: -1,
			want:         want{Waited: true, Returned: false},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(s).WithObjects(configs...)
			failures := tc.listFailures
			b = b.WithInterceptorFuncs(interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, l client.ObjectList, o ...client.ListOption) error {
				if failures != 0 {
					failures--
					return errors.New("the API server is unavailable")
				}
				return c.List(ctx, l, o...)
			}})
			g := newConfigGate()
			for _, id := range tc.before {
				g.reconciled(id)
			}
			go func() {
				time.Sleep(later)
				for _, id := range tc.during {
					g.reconciled(id)
				}
			}()
			start := time.Now()
			g.wait(context.Background(), b.Build(), timeout, logging.NewNopLogger())
			took := time.Since(start)
			got := want{Waited: took >= later, Returned: took < timeout}
			if tc.listFailures < 0 && time.Since(start) > 2*timeout {
				t.Errorf("\n%s\nwait(...) took %s, more than twice its timeout %s", tc.reason, time.Since(start), timeout)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("\n%s\nwait(...): -want, +got:\n%s", tc.reason, diff)
			}
		})
	}
}
