//go:build e2e

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

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	extv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kerrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	xpv1 "github.com/crossplane/crossplane/apis/v2/core/v2"
	pkgv1 "github.com/crossplane/crossplane/apis/v2/pkg/v1"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/test/fixtures"
)

// What the test installs and where it finds it, relative to this package.
const (
	installDir = "../../examples/install"
	crdsDir    = "../../package/crds"
	// packageTag is the tag the package is pushed under.
	packageTag = "v0.0.0-e2e"

	providerName = "provider-cdevents"
	// The ServiceAccount the DeploymentRuntimeConfig pins and rbac.yaml
	// binds.
	providerServiceAccount = "provider-cdevents"
	clusterKindsBinding    = "provider-cdevents:cluster-kinds"
	// The container Crossplane runs a provider package in.
	runtimeContainer = "package-runtime"
)

// Time limits of the provider's reactions.
const (
	installTimeout = 2 * time.Minute
	eventTimeout   = time.Minute
)

// The cluster kinds whose fixture CRDs are installed.
var clusterKinds = []schema.GroupKind{
	{Group: "eks.aws.upbound.io", Kind: "Cluster"},
	{Group: "container.gcp.upbound.io", Kind: "Cluster"},
}

// TestProviderPackage installs the package into Crossplane and runs the
// provider twice: with the RBAC of examples/install, and without its
// binding until the binding is restored.
func TestProviderPackage(t *testing.T) {
	c := newCluster(t)

	if !t.Run("InstallsIntoCrossplane", c.testInstall) {
		t.FailNow()
	}

	c.step(t, "Installing the fixture CRDs of %v", clusterKinds)
	for _, gk := range clusterKinds {
		crd, err := fixtures.CRD(gk.Group, gk.Kind)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.kube.Create(t.Context(), crd); err != nil {
			t.Fatalf("creating CRD %s: %v", crd.Name, err)
		}
		c.waitEstablished(t, crd.Name)
	}

	s := newSink(t)
	pc := readmeProviderConfig(t)
	if err := unstructured.SetNestedField(pc.Object, s.srv.URL, "spec", "sink", "url"); err != nil {
		t.Fatal(err)
	}
	c.step(t, "Creating the ClusterProviderConfig %s of the installation README, with sink %s", pc.GetName(), s.srv.URL)
	if err := c.kube.Create(t.Context(), pc); err != nil {
		t.Fatalf("creating ClusterProviderConfig: %v", err)
	}
	c.providerConfig = pc.GetName()

	t.Run("DeliversClusterLifecycle", func(t *testing.T) { c.testLifecycle(t, s) })
	t.Run("ReportsMissingPermission", c.testMissingPermission)
}

// testInstall applies examples/install with the Provider pointing at the
// pushed package, and checks what Crossplane makes of it.
func (c *cluster) testInstall(t *testing.T) {
	ctx := t.Context()
	// In file order, as `kubectl apply -f examples/install/` creates them:
	// the Provider comes before the RBAC it needs at run time.
	objs := readManifests(t, installDir)
	ref := c.registry + "/provider-cdevents:" + packageTag
	for _, o := range objs {
		if o.GetKind() == "Provider" {
			if err := unstructured.SetNestedField(o.Object, ref, "spec", "package"); err != nil {
				t.Fatal(err)
			}
		}
		c.step(t, "Creating %s %s", o.GetKind(), o.GetName())
		if err := c.kube.Create(ctx, o); err != nil {
			t.Fatalf("creating %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}

	c.step(t, "Waiting for the ProviderRevision")
	rev := &pkgv1.ProviderRevision{}
	eventually(t, installTimeout, "a ProviderRevision of "+providerName, func(ctx context.Context) (bool, string) {
		l := &pkgv1.ProviderRevisionList{}
		if err := c.kube.List(ctx, l, client.MatchingLabels{"pkg.crossplane.io/package": providerName}); err != nil {
			return false, err.Error()
		}
		if len(l.Items) == 0 {
			return false, "none yet; Provider conditions: " + c.providerConditions(ctx)
		}
		*rev = l.Items[0]
		return true, ""
	})
	c.step(t, "ProviderRevision %s created (image %s)", rev.Name, rev.Spec.Package)

	for _, name := range crdNames(t) {
		c.step(t, "Waiting for CRD %s to be Established", name)
		c.waitEstablished(t, name)
	}

	c.step(t, "Checking the ServiceAccount %s/%s", crossplaneNamespace, providerServiceAccount)
	sa := &corev1.ServiceAccount{}
	eventually(t, installTimeout, "the provider's ServiceAccount", func(ctx context.Context) (bool, string) {
		err := c.kube.Get(ctx, types.NamespacedName{Namespace: crossplaneNamespace, Name: providerServiceAccount}, sa)
		return err == nil, fmt.Sprint(err)
	})

	c.step(t, "Checking the Deployment Crossplane made of the package and the DeploymentRuntimeConfig")
	c.checkDeployment(t, rev, ref)

	role := "crossplane:provider:" + rev.Name + ":system"
	c.step(t, "Checking the RBAC manager's ClusterRole and ClusterRoleBinding %s", role)
	c.checkSystemRBAC(t, role)

	// Without a kubelet the provider's Deployment never becomes Available,
	// so the revision's runtime is reported unhealthy; everything Crossplane
	// can decide without running it is done and reported.
	c.step(t, "Checking the ProviderRevision's conditions")
	want := map[xpv1.ConditionType]corev1.ConditionStatus{
		pkgv1.TypeRevisionHealthy: corev1.ConditionTrue,
		pkgv1.TypeRuntimeHealthy:  corev1.ConditionFalse,
	}
	eventually(t, installTimeout, "the ProviderRevision's conditions", func(ctx context.Context) (bool, string) {
		if err := c.kube.Get(ctx, types.NamespacedName{Name: rev.Name}, rev); err != nil {
			return false, err.Error()
		}
		got := map[xpv1.ConditionType]corev1.ConditionStatus{}
		for ct := range want {
			got[ct] = rev.GetCondition(ct).Status
		}
		return cmp.Diff(want, got) == "", describeConditions(rev.Status.Conditions)
	})
	c.step(t, "ProviderRevision conditions: %s", describeConditions(rev.Status.Conditions))
	c.step(t, "Provider conditions: %s", c.providerConditions(ctx))
}

// checkDeployment checks that Crossplane created the provider's Deployment
// with the package as its image, the pinned ServiceAccount and the
// arguments of the DeploymentRuntimeConfig.
func (c *cluster) checkDeployment(t *testing.T, rev *pkgv1.ProviderRevision, image string) {
	t.Helper()
	var d appsv1.Deployment
	eventually(t, installTimeout, "the provider's Deployment", func(ctx context.Context) (bool, string) {
		l := &appsv1.DeploymentList{}
		if err := c.kube.List(ctx, l, client.InNamespace(crossplaneNamespace)); err != nil {
			return false, err.Error()
		}
		for _, i := range l.Items {
			for _, o := range i.OwnerReferences {
				if o.UID == rev.UID {
					d = i
					return true, ""
				}
			}
		}
		return false, fmt.Sprintf("%d Deployments, none owned by %s", len(l.Items), rev.Name)
	})
	type podSpec struct {
		ServiceAccount string
		Image          string
		Args           []string
	}
	got := podSpec{ServiceAccount: d.Spec.Template.Spec.ServiceAccountName}
	for _, ctr := range d.Spec.Template.Spec.Containers {
		if ctr.Name == runtimeContainer {
			got.Image, got.Args = ctr.Image, ctr.Args
		}
	}
	want := podSpec{ServiceAccount: providerServiceAccount, Image: image, Args: runtimeArgs(t)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("\nCrossplane should run the package under the pinned ServiceAccount with the DeploymentRuntimeConfig's arguments.\nDeployment %s: -want, +got:\n%s", d.Name, diff)
	}
}

// checkSystemRBAC checks the ClusterRole the RBAC manager grants the
// provider, and that it is bound to the pinned ServiceAccount.
func (c *cluster) checkSystemRBAC(t *testing.T, name string) {
	t.Helper()
	role := &rbacv1.ClusterRole{}
	binding := &rbacv1.ClusterRoleBinding{}
	eventually(t, installTimeout, "the RBAC manager's ClusterRole and binding "+name, func(ctx context.Context) (bool, string) {
		if err := c.kube.Get(ctx, types.NamespacedName{Name: name}, role); err != nil {
			return false, "ClusterRole: " + err.Error()
		}
		if err := c.kube.Get(ctx, types.NamespacedName{Name: name}, binding); err != nil {
			return false, "ClusterRoleBinding: " + err.Error()
		}
		return len(binding.Subjects) > 0, fmt.Sprintf("subjects %v", binding.Subjects)
	})
	want := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: crossplaneNamespace, Name: providerServiceAccount}}
	if diff := cmp.Diff(want, binding.Subjects); diff != "" {
		t.Errorf("\nThe RBAC manager should bind the provider's own permissions to the pinned ServiceAccount.\nClusterRoleBinding %s: -want, +got:\n%s", name, diff)
	}
	groups := map[string]bool{}
	for _, r := range role.Rules {
		for _, g := range r.APIGroups {
			groups[g] = true
		}
	}
	for _, g := range []string{v1alpha1.Group, extv1.GroupName} {
		if !groups[g] {
			t.Errorf("ClusterRole %s grants nothing in %s; the provider needs its own kinds and, with safe-start, CRDs", name, g)
		}
	}
}

// testLifecycle runs the provider with the rights of its ServiceAccount,
// drives an EKS cluster object through creation, readiness and deletion as
// upjet's provider-aws would, and checks the CDEvents the sink receives.
func (c *cluster) testLifecycle(t *testing.T, s *sink) {
	p := c.startProvider(t, "provider-cdevents")
	for _, gk := range clusterKinds {
		c.step(t, "Waiting for the provider to watch %s", gk)
		p.waitMetric(t, watchedMetric(gk), "1")
	}

	ctx := t.Context()
	name := "e2e-prod-1"
	gvk := schema.GroupVersionKind{Group: "eks.aws.upbound.io", Version: "v1beta2", Kind: "Cluster"}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetName(name)
	u.Object["spec"] = map[string]any{"forProvider": map[string]any{"region": "us-east-1", "version": "1.31"}}
	c.step(t, "Creating %s %s", gvk.GroupKind(), name)
	if err := c.kube.Create(ctx, u); err != nil {
		t.Fatalf("creating the EKS cluster: %v", err)
	}

	c.step(t, "Marking it Creating, as upjet does once the cloud accepted the create")
	c.update(t, u, func(u *unstructured.Unstructured) {
		u.SetAnnotations(map[string]string{
			"crossplane.io/external-name":             name,
			"crossplane.io/external-create-pending":   time.Now().UTC().Format(time.RFC3339),
			"crossplane.io/external-create-succeeded": time.Now().UTC().Format(time.RFC3339),
		})
	})
	c.updateStatus(t, u, map[string]any{}, condition("Ready", "False", "Creating"), condition("Synced", "True", "ReconcileSuccess"))
	c.waitEvents(t, s, name, "environment.created/created")

	c.step(t, "Marking it ACTIVE and Ready, as upjet does once EKS reports the cluster active")
	c.updateStatus(t, u, map[string]any{
		"arn":      "arn:aws:eks:us-east-1:123456789012:cluster/" + name,
		"id":       name,
		"endpoint": "https://0123456789ABCDEF.gr7.us-east-1.eks.amazonaws.com",
		"status":   "ACTIVE",
		"version":  "1.31",
	}, condition("Ready", "True", "Available"), condition("Synced", "True", "ReconcileSuccess"))
	c.waitEvents(t, s, name, "environment.created/created", "environment.modified/ready")

	c.step(t, "Deleting it; it has no finalizer, so it is gone at once")
	if err := c.kube.Delete(ctx, u); err != nil {
		t.Fatalf("deleting the EKS cluster: %v", err)
	}
	eventually(t, eventTimeout, "the EKS cluster to be gone", func(ctx context.Context) (bool, string) {
		err := c.kube.Get(ctx, client.ObjectKeyFromObject(u), u.DeepCopy())
		return kerrors.IsNotFound(err), fmt.Sprint(err)
	})
	c.waitEvents(t, s, name, "environment.created/created", "environment.modified/ready", "environment.deleted/deleted")

	for _, r := range s.about(name) {
		c.step(t, "Received %s", r.summary)
	}
	if errs := s.invalid(); len(errs) > 0 {
		t.Errorf("the sink received %d events that break the CDEvents spec or binding: %v", len(errs), errs)
	}
	if !p.running() {
		t.Errorf("the provider exited: %v", p.err)
	}
}

// testMissingPermission runs the provider without the binding of
// examples/install: it may not watch the cluster kinds, and must say so in
// the ClusterProviderConfig's status, a metric and a log line, and keep
// running.
func (c *cluster) testMissingPermission(t *testing.T) {
	ctx := t.Context()
	c.step(t, "Deleting ClusterRoleBinding %s", clusterKindsBinding)
	if err := c.kube.Delete(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: clusterKindsBinding}}); err != nil {
		t.Fatalf("deleting the binding: %v", err)
	}
	user := "system:serviceaccount:" + crossplaneNamespace + ":" + providerServiceAccount
	eventually(t, eventTimeout, user+" to lose list on EKS clusters", func(ctx context.Context) (bool, string) {
		r := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
			User:               user,
			ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Group: "eks.aws.upbound.io", Resource: "clusters"},
		}}
		if err := c.kube.Create(ctx, r); err != nil {
			return false, err.Error()
		}
		return !r.Status.Allowed, fmt.Sprintf("allowed=%t", r.Status.Allowed)
	})

	p := c.startProvider(t, "provider-cdevents-without-binding")

	want := make([]string, 0, len(clusterKinds))
	for _, gk := range clusterKinds {
		want = append(want, gk.Group+"/"+gk.Kind)
	}
	sort.Strings(want)
	c.step(t, "Waiting for ClusterProviderConfig %s to list %v as unwatchable", c.providerConfig, want)
	c.waitUnwatchable(t, want)

	for _, gk := range clusterKinds {
		c.step(t, "Waiting for %s to be reported unwatched on the metrics endpoint", gk)
		p.waitMetric(t, watchedMetric(gk), "0")
	}

	c.step(t, "Looking for the log line about EKS clusters")
	eventually(t, eventTimeout, "a log line saying the provider may not watch EKS clusters", func(context.Context) (bool, string) {
		for _, l := range strings.Split(p.logText(t), "\n") {
			if strings.Contains(l, "Not allowed to watch") && strings.Contains(l, "eks.aws.upbound.io") {
				c.step(t, "Logged: %s", strings.TrimSpace(l))
				return true, ""
			}
		}
		return false, "no such line yet"
	})

	c.step(t, "Checking the provider keeps running")
	time.Sleep(3 * time.Second)
	if !p.running() {
		t.Fatalf("the provider exited: %v", p.err)
	}
	code, _, err := get(ctx, p.readyz)
	if err != nil || code != http.StatusOK {
		t.Errorf("the provider is not ready after reporting the missing permission: HTTP %d, %v", code, err)
	}

	c.step(t, "Granting the permission again: the provider must pick it up without a restart")
	binding := &rbacv1.ClusterRoleBinding{}
	for _, o := range readManifests(t, installDir) {
		if o.GetKind() == "ClusterRoleBinding" && o.GetName() == clusterKindsBinding {
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, binding); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := c.kube.Create(ctx, binding); err != nil {
		t.Fatalf("creating the binding again: %v", err)
	}
	for _, gk := range clusterKinds {
		c.step(t, "Waiting for the provider to watch %s again", gk)
		p.waitMetric(t, watchedMetric(gk), "1")
	}
	c.waitUnwatchable(t, nil)
}

// waitUnwatchable waits until the ClusterProviderConfig's
// status.unwatchableKinds is want.
func (c *cluster) waitUnwatchable(t *testing.T, want []string) {
	t.Helper()
	eventually(t, eventTimeout, fmt.Sprintf("status.unwatchableKinds %v", want), func(ctx context.Context) (bool, string) {
		pc := &v1alpha1.ClusterProviderConfig{}
		if err := c.kube.Get(ctx, types.NamespacedName{Name: c.providerConfig}, pc); err != nil {
			return false, err.Error()
		}
		return cmp.Diff(want, pc.Status.UnwatchableKinds, cmpopts.EquateEmpty()) == "", fmt.Sprintf("%v", pc.Status.UnwatchableKinds)
	})
}

// providerProcess is the provider running on the host, and where it
// serves metrics and probes.
type providerProcess struct {
	*process
	metrics string
	readyz  string
	// token authenticates metrics requests when the provider serves them
	// securely.
	token string
}

// startProvider runs the provider binary with a kubeconfig holding a token
// of the provider's ServiceAccount, so it has exactly the rights it would
// have in its pod, and with the arguments of the DeploymentRuntimeConfig.
func (c *cluster) startProvider(t *testing.T, name string) *providerProcess {
	t.Helper()
	c.step(t, "Requesting a token for ServiceAccount %s/%s", crossplaneNamespace, providerServiceAccount)
	tr, err := c.clientset.CoreV1().ServiceAccounts(crossplaneNamespace).CreateToken(t.Context(), providerServiceAccount,
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("requesting a token: %v", err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["e2e"] = &clientcmdapi.Cluster{Server: c.cfg.Host, CertificateAuthorityData: c.cfg.CAData}
	kc.AuthInfos[providerServiceAccount] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["e2e"] = &clientcmdapi.Context{Cluster: "e2e", AuthInfo: providerServiceAccount}
	kc.CurrentContext = "e2e"
	path := filepath.Join(c.dir, name+".kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}

	// With --metrics-secure, metrics are scraped over HTTPS with a token
	// allowed to get /metrics: here the provider's own, bound to the
	// metrics-reader ClusterRole of rbac.yaml as a scraper's would be.
	scheme, token := "http", ""
	if slices.Contains(runtimeArgs(t), "--metrics-secure") {
		scheme, token = "https", tr.Status.Token
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: "e2e:provider-cdevents-metrics"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "provider-cdevents:metrics-reader"},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Namespace: crossplaneNamespace, Name: providerServiceAccount}},
		}
		if err := c.kube.Create(t.Context(), crb); err != nil && !kerrors.IsAlreadyExists(err) {
			t.Fatalf("binding the metrics reader: %v", err)
		}
	}

	metrics, probes := freePort(t), freePort(t)
	// The installed runtime elects a leader; here two processes of the
	// test run one after the other against one control plane and the
	// first is not stopped, so election is turned off (the fault suite
	// runs replicas with it on).
	args := slices.DeleteFunc(runtimeArgs(t), func(a string) bool { return a == "--leader-election" })
	args = append(args,
		"--kubeconfig="+path,
		"--debug",
		"--no-leader-election",
		fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
		fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probes),
	)
	c.step(t, "Starting %s %s", c.paths.providerBin, strings.Join(args, " "))
	p := &providerProcess{
		process: start(t, c.logDir, name, []string{"KUBECONFIG="}, c.paths.providerBin, args...),
		metrics: fmt.Sprintf("%s://127.0.0.1:%d/metrics", scheme, metrics),
		readyz:  fmt.Sprintf("http://127.0.0.1:%d/readyz", probes),
		token:   token,
	}
	c.procs = append(c.procs, p.process)
	c.waitHTTP(t, p.process, p.readyz)
	return p
}

// watchedMetric is the sample line prefix of the discovery gauge of gk.
func watchedMetric(gk schema.GroupKind) string {
	return fmt.Sprintf("cdevents_cluster_kind_watched{group=%q,kind=%q}", gk.Group, gk.Kind)
}

// waitMetric waits until the metrics endpoint shows sample with value.
func (p *providerProcess) waitMetric(t *testing.T, sample, value string) {
	t.Helper()
	eventually(t, eventTimeout, sample+" "+value, func(ctx context.Context) (bool, string) {
		if !p.running() {
			t.Fatalf("%s exited: %v\n%s", p.name, p.err, tail(p.logText(t), 40))
		}
		code, body, err := getWithToken(ctx, p.metrics, p.token)
		if err == nil && code != http.StatusOK {
			return false, fmt.Sprintf("HTTP %d", code)
		}
		if err != nil {
			return false, err.Error()
		}
		for _, l := range strings.Split(body, "\n") {
			if strings.HasPrefix(l, sample+" ") {
				return strings.TrimPrefix(l, sample+" ") == value, l
			}
		}
		return false, "no such sample"
	})
}

// waitEvents waits until the sink holds exactly want about the cluster
// object name, in that order.
func (c *cluster) waitEvents(t *testing.T, s *sink, name string, want ...string) {
	t.Helper()
	c.step(t, "Waiting for the sink to receive %s", want[len(want)-1])
	eventually(t, eventTimeout, fmt.Sprintf("events %v about %s", want, name), func(context.Context) (bool, string) {
		got := names(s.about(name))
		return cmp.Diff(want, got) == "", fmt.Sprintf("%v", got)
	})
}

// update changes an object's metadata or spec, retrying on conflicts.
func (c *cluster) update(t *testing.T, u *unstructured.Unstructured, fn func(*unstructured.Unstructured)) {
	t.Helper()
	eventually(t, eventTimeout, "updating "+u.GetName(), func(ctx context.Context) (bool, string) {
		if err := c.kube.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
			return false, err.Error()
		}
		fn(u)
		err := c.kube.Update(ctx, u)
		return err == nil, fmt.Sprint(err)
	})
}

// updateStatus sets status.atProvider and status.conditions the way
// upjet writes them: a condition keeps its lastTransitionTime unless it
// changed.
func (c *cluster) updateStatus(t *testing.T, u *unstructured.Unstructured, atProvider map[string]any, conds ...cond) {
	t.Helper()
	eventually(t, eventTimeout, "updating the status of "+u.GetName(), func(ctx context.Context) (bool, string) {
		if err := c.kube.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
			return false, err.Error()
		}
		fleetsim.SetField(u, atProvider, "status", "atProvider")
		for _, cd := range conds {
			fleetsim.SetCondition(u, cd.typ, cd.status, cd.reason, time.Now())
		}
		err := c.kube.Status().Update(ctx, u)
		return err == nil, fmt.Sprint(err)
	})
}

// cond is a Crossplane condition.
type cond struct{ typ, status, reason string }

// condition is a Crossplane condition of the given type, status and reason.
func condition(typ, status, reason string) cond {
	return cond{typ: typ, status: status, reason: reason}
}

// waitEstablished waits until a CRD is Established.
func (c *cluster) waitEstablished(t *testing.T, name string) {
	t.Helper()
	eventually(t, installTimeout, "CRD "+name+" to be Established", func(ctx context.Context) (bool, string) {
		crd := &extv1.CustomResourceDefinition{}
		if err := c.kube.Get(ctx, types.NamespacedName{Name: name}, crd); err != nil {
			return false, err.Error()
		}
		for _, cd := range crd.Status.Conditions {
			if cd.Type == extv1.Established && cd.Status == extv1.ConditionTrue {
				return true, ""
			}
		}
		return false, fmt.Sprintf("conditions %v", crd.Status.Conditions)
	})
}

// providerConditions describes the Provider's conditions, for progress
// and failure messages.
func (c *cluster) providerConditions(ctx context.Context) string {
	p := &pkgv1.Provider{}
	if err := c.kube.Get(ctx, types.NamespacedName{Name: providerName}, p); err != nil {
		return err.Error()
	}
	return describeConditions(p.Status.Conditions)
}

// describeConditions renders conditions as type=status(reason), sorted.
func describeConditions(cs []xpv1.Condition) string {
	out := make([]string, 0, len(cs))
	for _, cd := range cs {
		s := fmt.Sprintf("%s=%s(%s)", cd.Type, cd.Status, cd.Reason)
		if cd.Message != "" {
			s += ": " + cd.Message
		}
		out = append(out, s)
	}
	sort.Strings(out)
	return strings.Join(out, "; ")
}

// readManifests reads every object of the YAML files of dir.
func readManifests(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	for _, f := range files {
		out = append(out, decodeFile(t, f)...)
	}
	return out
}

// crdNames are the names of the package's CRDs.
func crdNames(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(crdsDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		for _, o := range decodeFile(t, f) {
			out = append(out, o.GetName())
		}
	}
	if len(out) == 0 {
		t.Fatalf("no CRDs in %s", crdsDir)
	}
	return out
}

// readmeProviderConfig is the first ClusterProviderConfig that the
// installation README shows.
func readmeProviderConfig(t *testing.T) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(installDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	blocks := strings.Split(string(b), "```yaml\n")
	for _, blk := range blocks[1:] {
		doc, _, _ := strings.Cut(blk, "```")
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			continue // A multi-document block: not the one.
		}
		if u.GetKind() == v1alpha1.ClusterProviderConfigKind {
			return u
		}
	}
	t.Fatalf("no ClusterProviderConfig in %s/README.md", installDir)
	return nil
}

// runtimeArgs are the provider arguments the DeploymentRuntimeConfig of
// examples/install sets.
func runtimeArgs(t *testing.T) []string {
	t.Helper()
	for _, o := range readManifests(t, installDir) {
		if o.GetKind() != "DeploymentRuntimeConfig" {
			continue
		}
		ctrs, _, _ := unstructured.NestedSlice(o.Object, "spec", "deploymentTemplate", "spec", "template", "spec", "containers")
		for _, ctr := range ctrs {
			m, _ := ctr.(map[string]any)
			if m["name"] != runtimeContainer {
				continue
			}
			args, _, _ := unstructured.NestedStringSlice(m, "args")
			return args
		}
	}
	return nil
}

// decodeFile reads the objects of one YAML file.
func decodeFile(t *testing.T, path string) []*unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []*unstructured.Unstructured
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("reading %s: %v", path, err)
		}
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(doc, &u.Object); err != nil {
			t.Fatalf("decoding %s: %v", path, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}
