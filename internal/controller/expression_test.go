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

package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	xpv2 "github.com/crossplane/crossplane/apis/v2/core/v2"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

func selectExpression(expr string) func(*v1alpha1.ProviderConfigSpec) {
	return func(s *v1alpha1.ProviderConfigSpec) {
		if s.Selector == nil {
			s.Selector = &v1alpha1.Selector{}
		}
		s.Selector.Expression = expr
	}
}

// waitConfigStatus waits until a ClusterProviderConfig's status passes check.
func waitConfigStatus(ctx context.Context, t *testing.T, name string, check func(*v1alpha1.ClusterProviderConfig) error) *v1alpha1.ClusterProviderConfig {
	t.Helper()
	pc := &v1alpha1.ClusterProviderConfig{}
	if err := testkit.Eventually(waitLong, func() error {
		if err := kubeClient(t).Get(ctx, types.NamespacedName{Name: name}, pc); err != nil {
			return err
		}
		return check(pc)
	}); err != nil {
		t.Fatalf("ClusterProviderConfig %s: %v", name, err)
	}
	return pc
}

// TestSelectorExpression selects transitions with CEL: an invalid
// expression makes the config Ready=False with the compiler's message and
// sends nothing; a valid one sends only what it selects, and
// status.matchedClusters shows its effect before anything is sent; an
// expression that fails on some clusters counts the failures and sends
// none of their events; one over previousLifecycle sends a recovery from a
// degradation.
func TestSelectorExpression(t *testing.T) {
	ctx := context.Background()
	crd := installCRD(t, "eks.aws.upbound.io", "Cluster")
	t.Cleanup(func() { uninstallCRD(t, crd) })
	startProvider(t)
	eks := fleetsim.NewClusters(dynClient(t), fleetsim.UpjetEKS, "Cluster", "")
	names := readyClusters(ctx, t, eks, "expr", "expr", 3)
	// Two production clusters; the third has no env label at all.
	for i, env := range []string{"prod", "prod"} {
		if err := eks.Update(ctx, names[i], func(u *unstructured.Unstructured) {
			l := u.GetLabels()
			l["env"] = env
			u.SetLabels(l)
		}); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		waitPhase(ctx, t, n, v1alpha1.PhaseReady)
	}

	bad := startSink(t)
	createConfig(ctx, t, clusterProviderConfig("expr-bad", bad.URL(), selectLabel("expr"), selectExpression("lifecycle == ")))
	pc := waitConfigStatus(ctx, t, "expr-bad", func(pc *v1alpha1.ClusterProviderConfig) error {
		c := pc.GetCondition(xpv2.TypeReady)
		if c.Status != corev1.ConditionFalse || !strings.Contains(c.Message, "Syntax error") {
			return fmt.Errorf("Ready %s: %s", c.Status, c.Message)
		}
		return nil
	})
	t.Logf("invalid expression: %s", pc.GetCondition(xpv2.TypeReady).Message)

	good := startSink(t)
	createConfig(ctx, t, clusterProviderConfig("expr-good", good.URL(), selectLabel("expr"),
		selectExpression("lifecycle == 'degraded' && labels[?'env'].orValue('') == 'prod'")))
	// Nothing is degraded yet: the selector matches no cluster now.
	waitConfigStatus(ctx, t, "expr-good", func(pc *v1alpha1.ClusterProviderConfig) error {
		if pc.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue || pc.Status.Clusters != 3 || pc.Status.MatchedClusters != 0 {
			return fmt.Errorf("ready %s, clusters %d, matched %d", pc.GetCondition(xpv2.TypeReady).Status, pc.Status.Clusters, pc.Status.MatchedClusters)
		}
		return nil
	})

	failing := startSink(t)
	createConfig(ctx, t, clusterProviderConfig("expr-failing", failing.URL(), selectLabel("expr"), selectExpression("labels['env'] == 'prod'")))

	// Degrade one production cluster and the unlabelled one.
	for _, n := range []string{names[0], names[2]} {
		if err := (fleetsim.Lifecycle{C: eks, Name: n}).CloudState(ctx, "FAILED", ""); err != nil {
			t.Fatal(err)
		}
	}
	if !good.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 1 }) {
		t.Fatalf("the valid expression's sink received nothing")
	}
	waitPhase(ctx, t, names[2], v1alpha1.PhaseDegraded)
	waitConfigStatus(ctx, t, "expr-good", func(pc *v1alpha1.ClusterProviderConfig) error {
		if pc.Status.MatchedClusters != 1 || pc.Status.Pending != 0 {
			return fmt.Errorf("matched %d, pending %d", pc.Status.MatchedClusters, pc.Status.Pending)
		}
		return nil
	})
	var got []string
	for _, r := range good.Received() {
		got = append(got, r.Summary.Name+"/"+string(r.Summary.Lifecycle))
	}
	if diff := cmp.Diff([]string{names[0] + "/degraded"}, got); diff != "" {
		t.Errorf("events the expression selects: -want, +got:\n%s", diff)
	}

	// The third config replays created and ready of the production
	// clusters, then their degraded; every event of the unlabelled
	// cluster fails the expression and is counted, not sent.
	waitConfigStatus(ctx, t, "expr-failing", func(pc *v1alpha1.ClusterProviderConfig) error {
		if pc.Status.SelectorErrors < 1 || pc.Status.Pending != 0 {
			return fmt.Errorf("selector errors %d, pending %d", pc.Status.SelectorErrors, pc.Status.Pending)
		}
		return nil
	})
	for _, r := range failing.Received() {
		if r.Summary.Name == names[2] {
			t.Errorf("an event whose expression failed was sent: %s %s", r.Summary.Name, r.Summary.Lifecycle)
		}
	}
	// A fourth config selects recoveries from a degradation by the
	// previous event's lifecycle, which delivery of the degraded event
	// has trimmed from memory by the time the recovery is sent.
	previous := startSink(t)
	createConfig(ctx, t, clusterProviderConfig("expr-previous", previous.URL(), selectLabel("expr"),
		selectExpression("lifecycle == 'recovered' && previousLifecycle == 'degraded'")))
	waitConfigStatus(ctx, t, "expr-previous", func(pc *v1alpha1.ClusterProviderConfig) error {
		if pc.GetCondition(xpv2.TypeReady).Status != corev1.ConditionTrue || pc.Status.Pending != 0 {
			return fmt.Errorf("ready %s, pending %d", pc.GetCondition(xpv2.TypeReady).Status, pc.Status.Pending)
		}
		return nil
	})
	if err := (fleetsim.Lifecycle{C: eks, Name: names[0]}).CloudState(ctx, "ACTIVE", ""); err != nil {
		t.Fatal(err)
	}
	if !previous.WaitFor(waitLong, func(rs []testkit.Received) bool { return len(rs) >= 1 }) {
		t.Fatalf("the previousLifecycle expression's sink received nothing")
	}

	time.Sleep(2 * time.Second)
	if n := len(bad.Received()); n != 0 {
		t.Errorf("the config with an invalid expression sent %d events", n)
	}
	got = nil
	for _, r := range previous.Received() {
		got = append(got, r.Summary.Name+"/"+string(r.Summary.Lifecycle))
	}
	if diff := cmp.Diff([]string{names[0] + "/recovered"}, got); diff != "" {
		t.Errorf("events selected by the previous lifecycle: -want, +got:\n%s", diff)
	}
}
