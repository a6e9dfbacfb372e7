//go:build browser

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

package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/util/teststorage"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
	"github.com/crossplane-contrib/provider-cdevents/internal/testenv"
	"github.com/crossplane-contrib/provider-cdevents/internal/testkit"
)

// The dashboard's run: a small fleet lives through its lifecycle while one
// sink works and another is down, then refuses some events.
const (
	dashboardClusters = 24
	dashboardRun      = 80 * time.Second
	scrapeEvery       = 2 * time.Second
	queryStep         = 5 * time.Second
)

// dashboard is the part of a Grafana dashboard this test renders.
type dashboard struct {
	Title  string  `json:"title"`
	Panels []panel `json:"panels"`
}

type panel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	GridPos struct {
		X int `json:"x"`
		Y int `json:"y"`
		W int `json:"w"`
		H int `json:"h"`
	} `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr         string `json:"expr"`
		LegendFormat string `json:"legendFormat"`
	} `json:"targets"`
}

// series is one line of a panel.
type series struct {
	name   string
	points []promql.FPoint
}

// TestDashboard renders examples/observability/dashboard.json from the
// provider's real metrics: the provider runs on the local control plane
// while a fleet changes and two sinks answer (one well, one badly), its
// registry is scraped into a Prometheus TSDB, every panel's PromQL is
// evaluated by Prometheus' own engine, and the panels are drawn on a page
// that headless Chromium screenshots. Grafana itself cannot be installed
// here; what the page shows is exactly what the queries return.
func TestDashboard(t *testing.T) {
	chromium := ensureChromium(t)
	root := repoRoot(t)
	out := os.Getenv(outputEnv)
	if out == "" {
		out = filepath.Join(root, "_output", "browser")
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(root, "examples", "observability", "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	env, cfg, err := testenv.Start(filepath.Join(root, "package", "crds"), filepath.Join(root, "test", "fixtures", "crds", "eks.aws.upbound.io_clusters.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	p, err := testkit.StartProvider(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Stop() })
	kube, err := testkit.Client(cfg)
	if err != nil {
		t.Fatal(err)
	}

	healthy, err := testkit.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(healthy.Close)
	flaky, err := testkit.NewSink()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(flaky.Close)
	// Down for the first 30 seconds, then up, but refusing one request in
	// five as malformed.
	start := time.Now()
	flaky.Respond(func(n int, _ http.Header) int {
		switch {
		case time.Since(start) < 30*time.Second:
			return http.StatusServiceUnavailable
		case n%5 == 0:
			return http.StatusBadRequest
		}
		return http.StatusAccepted
	})
	for name, url := range map[string]string{"cdviz": healthy.URL(), "broker": flaky.URL()} {
		pc := &v1alpha1.ClusterProviderConfig{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.ProviderConfigSpec{
			Sink: v1alpha1.Sink{URL: url},
			Delivery: &v1alpha1.Delivery{
				Retry:        ptr(int32(3)),
				BackoffDelay: &metav1.Duration{Duration: 200 * time.Millisecond},
				MaxBackoff:   &metav1.Duration{Duration: 2 * time.Second},
			},
		}}
		if err := kube.Create(ctx, pc); err != nil {
			t.Fatal(err)
		}
	}

	st := teststorage.New(t)
	t.Cleanup(func() { _ = st.Close() })
	proc := prometheus.NewRegistry()
	proc.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	var wg sync.WaitGroup
	scrapeCtx, stopScrape := context.WithCancel(ctx)
	wg.Go(func() {
		tick := time.NewTicker(scrapeEvery)
		defer tick.Stop()
		for {
			scrape(t, st, p.Registry, proc)
			select {
			case <-scrapeCtx.Done():
				return
			case <-tick.C:
			}
		}
	})

	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	driveFleet(ctx, t, fleetsim.NewClusters(dyn, fleetsim.UpjetEKS, "Cluster", ""), dashboardRun)
	stopScrape()
	wg.Wait()
	end := time.Now()

	eng := promql.NewEngine(promql.EngineOpts{MaxSamples: 50_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	rendered := make([][]series, len(d.Panels))
	withData := 0
	for i, pn := range d.Panels {
		if pn.Type == "row" {
			continue
		}
		for _, tg := range pn.Targets {
			rendered[i] = append(rendered[i], evaluate(ctx, t, eng, st, tg.Expr, tg.LegendFormat, start, end)...)
		}
		if len(rendered[i]) > 0 {
			withData++
		} else {
			t.Logf("panel %q has no data in this run", pn.Title)
		}
	}
	for i, pn := range d.Panels {
		if strings.Contains(pn.Title, "Delivery lag") || strings.Contains(pn.Title, "delivered") || strings.Contains(pn.Title, "Failed attempts") {
			if len(rendered[i]) == 0 {
				t.Errorf("panel %q shows nothing, though the run delivered, failed and lagged", pn.Title)
			}
		}
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(renderPage(d, rendered, start, end)))
	}))
	t.Cleanup(srv.Close)
	b := startChromium(ctx, t, chromium)
	session := b.open(ctx, t, srv.URL)
	time.Sleep(2 * time.Second)
	shot := filepath.Join(out, "dashboard.png")
	b.screenshot(ctx, t, session, shot)
	t.Logf("%d of the dashboard's panels have data; screenshot: %s", withData, shot)
}

func ptr[T any](v T) *T { return &v }

// driveFleet creates clusters that become ready, degrade, recover, upgrade
// and are deleted over the run, spread out so that the panels show change.
func driveFleet(ctx context.Context, t *testing.T, eks *fleetsim.Clusters, run time.Duration) {
	t.Helper()
	t0 := time.Now().Add(-time.Hour).Truncate(time.Second)
	step := run / time.Duration(dashboardClusters+8)
	for i := range dashboardClusters {
		name := fmt.Sprintf("dash-%02d", i)
		if _, err := eks.Create(ctx, name, map[string]any{"region": "eu-west-1"}, map[string]string{"env": "prod"}); err != nil {
			t.Fatal(err)
		}
		l := fleetsim.Lifecycle{C: eks, Name: name}
		if err := l.CreateRequested(ctx, t0); err != nil {
			t.Fatal(err)
		}
		if err := l.Ready(ctx, t0.Add(time.Minute), "1.31"); err != nil {
			t.Fatal(err)
		}
		// Earlier clusters move on while later ones are created.
		if i >= 4 {
			prev := fleetsim.Lifecycle{C: eks, Name: fmt.Sprintf("dash-%02d", i-4)}
			var err error
			switch i % 4 {
			case 0:
				err = prev.CloudState(ctx, "FAILED", "")
			case 1:
				err = prev.CloudState(ctx, "ACTIVE", "1.32")
			case 2:
				err = eks.Delete(ctx, prev.Name)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		select {
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(step):
		}
	}
	select {
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	case <-time.After(8 * step):
	}
}

// scrape appends one sample of every series of the registries to st, as
// Prometheus would scrape the provider's /metrics.
func scrape(t *testing.T, st *teststorage.TestStorage, gs ...prometheus.Gatherer) {
	t.Helper()
	ts := time.Now().UnixMilli()
	app := st.Appender(context.Background())
	add := func(name string, base []string, v float64, extra ...string) {
		kv := append(append([]string{labels.MetricName, name, "job", "provider-cdevents", "pod", "provider-cdevents-0"}, base...), extra...)
		if _, err := app.Append(0, labels.FromStrings(kv...), ts, v); err != nil {
			t.Errorf("appending %s: %v", name, err)
		}
	}
	for _, g := range gs {
		mfs, err := g.Gather()
		if err != nil {
			t.Errorf("gathering metrics: %v", err)
			continue
		}
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				var base []string
				for _, l := range m.GetLabel() {
					base = append(base, l.GetName(), l.GetValue())
				}
				switch mf.GetType() {
				case dto.MetricType_COUNTER:
					add(mf.GetName(), base, m.GetCounter().GetValue())
				case dto.MetricType_GAUGE:
					add(mf.GetName(), base, m.GetGauge().GetValue())
				case dto.MetricType_UNTYPED:
					add(mf.GetName(), base, m.GetUntyped().GetValue())
				case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
					h := m.GetHistogram()
					for _, b := range h.GetBucket() {
						add(mf.GetName()+"_bucket", base, float64(b.GetCumulativeCount()), "le", fmt.Sprint(b.GetUpperBound()))
					}
					add(mf.GetName()+"_bucket", base, float64(h.GetSampleCount()), "le", "+Inf")
					add(mf.GetName()+"_sum", base, h.GetSampleSum())
					add(mf.GetName()+"_count", base, float64(h.GetSampleCount()))
				case dto.MetricType_SUMMARY:
					add(mf.GetName()+"_sum", base, m.GetSummary().GetSampleSum())
					add(mf.GetName()+"_count", base, float64(m.GetSummary().GetSampleCount()))
				}
			}
		}
	}
	if err := app.Commit(); err != nil {
		t.Errorf("committing samples: %v", err)
	}
}

var legendLabel = regexp.MustCompile(`\{\{\s*(\w+)\s*\}\}`)

// evaluate runs one panel query over the run and names its series by the
// target's legend format.
func evaluate(ctx context.Context, t *testing.T, eng *promql.Engine, st *teststorage.TestStorage, expr, legend string, start, end time.Time) []series {
	t.Helper()
	q, err := eng.NewRangeQuery(ctx, st, nil, expr, start, end, queryStep)
	if err != nil {
		t.Errorf("query %q: %v", expr, err)
		return nil
	}
	defer q.Close()
	r := q.Exec(ctx)
	if r.Err != nil {
		t.Errorf("query %q: %v", expr, r.Err)
		return nil
	}
	m, err := r.Matrix()
	if err != nil {
		t.Errorf("query %q: %v", expr, err)
		return nil
	}
	var out []series
	for _, s := range m {
		if len(s.Floats) == 0 {
			continue
		}
		name := legendLabel.ReplaceAllStringFunc(legend, func(m string) string {
			return s.Metric.Get(legendLabel.FindStringSubmatch(m)[1])
		})
		if name == "" {
			name = s.Metric.String()
		}
		// The engine reuses its buffers once the query is closed.
		out = append(out, series{name: name, points: append([]promql.FPoint(nil), s.Floats...)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// palette colours series as Grafana's default palette does.
var palette = []string{"#73bf69", "#f2cc0c", "#8ab8ff", "#ff780a", "#f2495c", "#5794f2", "#b877d9", "#705da0", "#37872d", "#fade2a"}

// format renders a value in a panel's unit.
func format(v float64, unit string) string {
	switch {
	case math.IsNaN(v):
		return "-"
	case unit == "bytes":
		return fmt.Sprintf("%.0f MiB", v/(1<<20))
	case unit == "s" && math.Abs(v) < 1 && v != 0:
		return fmt.Sprintf("%.0f ms", v*1000)
	case unit == "s":
		return fmt.Sprintf("%.1f s", v)
	case unit == "ops":
		return fmt.Sprintf("%.3g/s", v)
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.3g", v)
}

// renderPage draws the dashboard's panels on its 24-column grid, in the
// dark theme Grafana uses by default.
func renderPage(d dashboard, rendered [][]series, start, end time.Time) string {
	var b strings.Builder
	const rowHeight = 34
	fmt.Fprintf(&b, `<!doctype html><html><head><meta charset="utf-8"><title>%s</title><style>
body{margin:0;background:#111217;color:#ccccdc;font:13px Inter,Helvetica,Arial,sans-serif}
header{padding:12px 16px;font-size:18px;border-bottom:1px solid #2c3235}
header small{color:#8e8e8e;font-size:12px;margin-left:12px}
.grid{position:relative;margin:8px}
.panel{position:absolute;box-sizing:border-box;background:#181b1f;border:1px solid #2c3235;border-radius:2px;padding:6px 8px;overflow:hidden}
.panel h3{margin:0 0 4px;font-size:13px;font-weight:500;color:#ccccdc}
.row{position:absolute;font-size:15px;font-weight:500;padding-top:8px}
.legend{font-size:11px;color:#ccccdc;line-height:15px}
.legend span{display:inline-block;width:12px;height:3px;margin:0 4px 2px 8px;vertical-align:middle}
.stat{display:flex;flex-wrap:wrap;gap:6px 18px;align-items:baseline;margin-top:6px}
.stat div{font-size:28px;font-weight:500}
.stat small{display:block;font-size:11px;color:#8e8e8e}
.nodata{color:#8e8e8e;margin-top:30px;text-align:center}
</style></head><body><header>%s<small>%s to %s, rendered from the provider's metrics by Prometheus' query engine</small></header><div class="grid">`,
		html.EscapeString(d.Title), html.EscapeString(d.Title), start.UTC().Format("15:04:05"), end.UTC().Format("15:04:05 MST"))
	const colWidth = 1420.0 / 24
	maxY := 0
	for i, p := range d.Panels {
		x, y := float64(p.GridPos.X)*colWidth, p.GridPos.Y*rowHeight
		w, h := float64(p.GridPos.W)*colWidth-6, p.GridPos.H*rowHeight-6
		maxY = max(maxY, y+h)
		if p.Type == "row" {
			fmt.Fprintf(&b, `<div class="row" style="left:%.0fpx;top:%dpx">%s</div>`, x, y, html.EscapeString(p.Title))
			continue
		}
		fmt.Fprintf(&b, `<div class="panel" style="left:%.0fpx;top:%dpx;width:%.0fpx;height:%dpx"><h3>%s</h3>`, x, y, w, h, html.EscapeString(p.Title))
		ss := rendered[i]
		switch {
		case len(ss) == 0:
			b.WriteString(`<div class="nodata">No data</div>`)
		case p.Type == "stat":
			b.WriteString(`<div class="stat">`)
			for j, s := range ss {
				v := s.points[len(s.points)-1].F
				fmt.Fprintf(&b, `<div style="color:%s">%s<small>%s</small></div>`, palette[j%len(palette)], format(v, p.FieldConfig.Defaults.Unit), html.EscapeString(s.name))
			}
			b.WriteString(`</div>`)
		default:
			drawChart(&b, ss, p.FieldConfig.Defaults.Unit, w-16, float64(h)-58, start, end)
		}
		b.WriteString(`</div>`)
	}
	fmt.Fprintf(&b, `</div><div style="height:%dpx"></div></body></html>`, maxY+24)
	return b.String()
}

// drawChart draws series as lines on shared axes, with a legend.
func drawChart(b *strings.Builder, ss []series, unit string, w, h float64, start, end time.Time) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range ss {
		for _, p := range s.points {
			lo, hi = math.Min(lo, p.F), math.Max(hi, p.F)
		}
	}
	lo = math.Min(lo, 0)
	if hi <= lo {
		hi = lo + 1
	}
	const axis = 56.0
	fmt.Fprintf(b, `<svg width="%.0f" height="%.0f" style="display:block">`, w, h)
	for k := 0; k <= 2; k++ {
		v := lo + (hi-lo)*float64(k)/2
		y := h - 14 - (h-20)*float64(k)/2
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" stroke="#2c3235"/><text x="0" y="%.1f" fill="#8e8e8e" font-size="10">%s</text>`, axis, w, y, y, y+3, format(v, unit))
	}
	span := end.Sub(start).Seconds()
	for k := 0; k <= 4; k++ {
		tm := start.Add(time.Duration(float64(k) / 4 * span * float64(time.Second)))
		x := axis + (w-axis-4)*float64(k)/4
		fmt.Fprintf(b, `<text x="%.0f" y="%.0f" fill="#8e8e8e" font-size="10" text-anchor="middle">%s</text>`, math.Min(math.Max(x, axis+20), w-24), h-1, tm.UTC().Format("15:04:05"))
	}
	for j, s := range ss {
		var pts []string
		for _, p := range s.points {
			x := axis + (w-axis-4)*(float64(p.T)/1000-float64(start.Unix()))/span
			y := h - 14 - (h-20)*(p.F-lo)/(hi-lo)
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, palette[j%len(palette)], strings.Join(pts, " "))
	}
	b.WriteString(`</svg><div class="legend">`)
	for j, s := range ss {
		fmt.Fprintf(b, `<span style="background:%s"></span>%s`, palette[j%len(palette)], html.EscapeString(s.name))
	}
	b.WriteString(`</div>`)
}
