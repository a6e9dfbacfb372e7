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

// Package observability holds a Grafana dashboard and Prometheus alerts for
// provider-cdevents. Its test parses every PromQL expression in them with
// Prometheus' own parser and checks that every metric they name is one the
// provider registers, so neither can rot when a metric is renamed.
package observability

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	xpcontroller "github.com/crossplane/crossplane-runtime/v2/pkg/controller"
	"github.com/crossplane/crossplane-runtime/v2/pkg/feature"
	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
	"github.com/crossplane/crossplane-runtime/v2/pkg/ratelimiter"

	"github.com/crossplane-contrib/provider-cdevents/internal/controller"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// query is one PromQL expression and where it was found.
type query struct {
	where string
	expr  string
}

// dashboardQueries reads the expression of every panel target.
func dashboardQueries(t *testing.T, path string) []query {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				RefID string `json:"refId"`
				Expr  string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []query
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			out = append(out, query{where: fmt.Sprintf("%s: panel %q target %s", path, p.Title, tg.RefID), expr: tg.Expr})
		}
	}
	return out
}

// ruleQueries reads the expression of every alerting and recording rule.
func ruleQueries(t *testing.T, path string) []query {
	t.Helper()
	raw, err := os.ReadFile(filepath.Clean(path))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	groups, _, err := unstructured.NestedSlice(u.Object, "spec", "groups")
	if err != nil {
		t.Fatalf("%s: spec.groups: %v", path, err)
	}
	var out []query
	for _, g := range groups {
		rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rules {
			m := r.(map[string]any)
			name, _ := m["alert"].(string)
			expr, _ := m["expr"].(string)
			out = append(out, query{where: fmt.Sprintf("%s: alert %s", path, name), expr: expr})
		}
	}
	return out
}

// metricNames lists the metrics an expression reads.
func metricNames(e parser.Expr) []string {
	var out []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				out = append(out, m.Value)
			}
		}
		return nil
	})
	return out
}

// recorder keeps every collector registered through it, so the test sees
// the metrics the provider defines even before they have a series.
type recorder struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

// fqName reads a metric's name from its description, which has no other
// accessor.
var fqName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exported lists every metric name provider-cdevents serves: what its
// pipeline registers, set up exactly as cmd/provider sets it up, and what
// controller-runtime's registry holds (Go runtime, process, work queues,
// REST client). Histograms are listed with their _bucket, _sum and _count
// series.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	env, cfg, err := testenv.Start(filepath.Join("..", "..", "package", "crds"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	s, err := testkit.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 s,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Registerer: prometheus.NewRegistry()}
	if _, err := controller.SetupPipeline(mgr, controller.Options{
		Options: xpcontroller.Options{
			Logger: logging.NewNopLogger(), GlobalRateLimiter: ratelimiter.NewGlobal(1),
			MaxConcurrentReconciles: 1, Features: &feature.Flags{},
		},
		Registerer: rec,
	}); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range rec.collectors {
		histogram := false
		switch c.(type) {
		case *prometheus.HistogramVec, *prometheus.SummaryVec, prometheus.Histogram:
			histogram = true
		}
		ch := make(chan *prometheus.Desc, 64)
		go func() {
			c.Describe(ch)
			close(ch)
		}()
		for d := range ch {
			m := fqName.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("cannot read the name of %s", d)
			}
			names[m[1]] = true
			if histogram {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					names[m[1]+suffix] = true
				}
			}
		}
	}
	mfs, err := metrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	return names
}

func ptr[T any](v T) *T { return &v }

// TestQueries parses every expression of the dashboard and the alerts and
// checks that each metric they read is one the provider exports.
func TestQueries(t *testing.T) {
	queries := append(dashboardQueries(t, "dashboard.json"), ruleQueries(t, "prometheusrule.yaml")...)
	if len(queries) < 10 {
		t.Fatalf("found only %d expressions: the files were not read as expected", len(queries))
	}
	names := exported(t)
	var ours []string
	for n := range names {
		if strings.HasPrefix(n, "cdevents_") {
			ours = append(ours, n)
		}
	}
	sort.Strings(ours)
	t.Logf("the provider exports %d cdevents_ series names: %s", len(ours), strings.Join(ours, ", "))

	used := map[string]bool{}
	for _, q := range queries {
		e, err := parser.ParseExpr(q.expr)
		if err != nil {
			t.Errorf("%s: cannot parse %q: %v", q.where, q.expr, err)
			continue
		}
		ms := metricNames(e)
		if len(ms) == 0 {
			t.Errorf("%s: %q reads no metric", q.where, q.expr)
		}
		for _, m := range ms {
			used[m] = true
			if !names[m] {
				t.Errorf("%s: %q reads %s, which the provider does not export", q.where, q.expr, m)
			}
		}
	}
	// The alerts the dashboard and rules promise are there.
	for _, m := range []string{"cdevents_delivery_lag_seconds", "cdevents_events_dropped_total", "cdevents_cluster_kind_watched", "cdevents_ledger_write_failures_total"} {
		if !used[m] {
			t.Errorf("no expression reads %s", m)
		}
	}
	if !slices.Contains(ours, "cdevents_delivery_attempts_total") {
		t.Errorf("the provider should count delivery attempts as cdevents_delivery_attempts_total")
	}
}
