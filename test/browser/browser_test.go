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

// Package browser tests the local demo the way a person sees it: it runs
// the demo, opens its timeline page in headless Chromium, waits until the
// timelines of the simulated clusters show their whole story, and keeps a
// screenshot. It is behind the browser build tag because it needs
// Chromium; `make test.browser` runs it.
package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// outputEnv names the directory the screenshot is written to.
const outputEnv = "BROWSER_OUTPUT_DIR"

// timelinesJS reads the timelines off the page's DOM: the cluster each one
// is about and the lifecycle of each of its steps, and the stream status.
const timelinesJS = `JSON.stringify({
  status: document.getElementById("status").dataset.state,
  timelines: Array.from(document.querySelectorAll("section.timeline")).map(s => ({
    cluster: s.dataset.cluster,
    lifecycles: Array.from(s.querySelectorAll("li.step")).map(li => li.dataset.lifecycle),
  })),
})`

// page is what timelinesJS returns.
type page struct {
	Status    string     `json:"status"`
	Timelines []timeline `json:"timelines"`
}

type timeline struct {
	Cluster    string   `json:"cluster"`
	Lifecycles []string `json:"lifecycles"`
}

func TestTimelinePage(t *testing.T) {
	chromium := ensureChromium(t)
	root := repoRoot(t)
	out := os.Getenv(outputEnv)
	if out == "" {
		out = filepath.Join(root, "_output", "browser")
	}
	if err := os.MkdirAll(out, 0o750); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 8*time.Minute)
	defer cancel()

	d := startDemo(ctx, t, root)
	base := "http://" + d.addr + "/"

	b := startChromium(ctx, t, chromium)
	session := b.open(ctx, t, base)

	// The page is open before the fleet's story starts; every step
	// arrives through the live stream.
	story := []string{"created", "ready", "upgraded", "degraded", "recovered", "deleting", "deleted"}
	want := page{Status: "live", Timelines: []timeline{
		{Cluster: "demo-eks-prod", Lifecycles: story},
		{Cluster: "demo-gke-prod", Lifecycles: story},
		{Cluster: "demo-aks-prod", Lifecycles: story},
		{Cluster: "team-a/demo-eks-staging", Lifecycles: story},
		// Out of sync for longer than the demo's 1m threshold, then four
		// failures and recoveries in a row: the first three arrive, the
		// fourth makes it flapping, and a minute without one is stable.
		{Cluster: "demo-eks-flaky", Lifecycles: []string{
			"created", "ready", "outOfSync", "inSync", "degraded", "recovered", "degraded", "flapping", "stable", "deleting", "deleted",
		}},
	}}
	var got page
	for {
		got = page{}
		raw := b.evaluate(ctx, t, session, timelinesJS)
		if err := json.Unmarshal([]byte(raw), &got); err != nil {
			t.Fatalf("decoding the page's timelines %q: %v", raw, err)
		}
		if complete(got, len(want.Timelines)) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the timelines did not complete in time; the page shows %+v\ndemo output:\n%s", got, d.output())
		case <-time.After(500 * time.Millisecond):
		}
	}
	if diff := cmp.Diff(want, sorted(got, want)); diff != "" {
		t.Errorf("\nThe page shows one live timeline per simulated cluster, each with its whole story in order.\ntimelines: -want, +got:\n%s", diff)
	}

	// Let the newest step's entrance animation finish.
	time.Sleep(time.Second)
	shot := filepath.Join(out, "timeline.png")
	b.screenshot(ctx, t, session, shot)
	t.Logf("screenshot: %s", shot)

	// Ctrl-C ends the demo cleanly: exit 0 (events were received) and the
	// control plane stopped.
	d.interrupt(t)
	events := 0
	for _, tl := range want.Timelines {
		events += len(tl.Lifecycles)
	}
	received := fmt.Sprintf("Received %d CDEvents", events)
	for _, s := range []string{"Timeline page:  " + base, received, "Control plane stopped"} {
		if !strings.Contains(d.output(), s) {
			t.Errorf("\nThe demo prints what it does.\ndemo output: want %q in:\n%s", s, d.output())
		}
	}
}

// complete says whether every expected timeline reached its end.
func complete(p page, n int) bool {
	done := 0
	for _, tl := range p.Timelines {
		if len(tl.Lifecycles) > 0 && tl.Lifecycles[len(tl.Lifecycles)-1] == "deleted" {
			done++
		}
	}
	return done >= n
}

// sorted orders got's timelines like want's, so that the comparison does
// not depend on which cluster's first event arrived first. Timelines want
// does not name go last.
func sorted(got, want page) page {
	out := page{Status: got.Status}
	used := map[int]bool{}
	for _, w := range want.Timelines {
		for i, g := range got.Timelines {
			if !used[i] && g.Cluster == w.Cluster {
				out.Timelines = append(out.Timelines, g)
				used[i] = true
				break
			}
		}
	}
	for i, g := range got.Timelines {
		if !used[i] {
			out.Timelines = append(out.Timelines, g)
		}
	}
	return out
}

// ensureChromium returns the Chromium binary, installing Debian's package
// when it is missing and the test runs as root.
func ensureChromium(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return chromiumPath
	}
	if os.Geteuid() != 0 {
		t.Fatalf("Chromium is not installed (%s is missing) and this test does not run as root, so it cannot install it. Install it with: sudo apt-get install -y chromium", chromiumPath)
	}
	aptGet, err := exec.LookPath("apt-get")
	if err != nil {
		t.Fatalf("Chromium is not installed (%s is missing) and there is no apt-get to install Debian's chromium package with; install Chromium at %s", chromiumPath, chromiumPath)
	}
	install := func() ([]byte, error) {
		cmd := exec.CommandContext(t.Context(), aptGet, "install", "-y", "--no-install-recommends", "chromium")
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		return cmd.CombinedOutput()
	}
	t.Logf("Chromium is missing: running apt-get install -y chromium")
	if out, err := install(); err != nil {
		t.Logf("apt-get install failed (%v); updating the package lists and trying again:\n%s", err, tail(out))
		if out, err := exec.CommandContext(t.Context(), aptGet, "update").CombinedOutput(); err != nil {
			t.Fatalf("Chromium is not installed and apt-get update failed, so it cannot be installed: %v\n%s", err, tail(out))
		}
		if out, err := install(); err != nil {
			t.Fatalf("Chromium is not installed and apt-get install -y chromium failed: %v\n%s", err, tail(out))
		}
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("apt-get install -y chromium succeeded but %s is still missing: %v", chromiumPath, err)
	}
	return chromiumPath
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// repoRoot is two directories up from this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Clean(filepath.Join(wd, "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("cannot find the repository root from %s: %v", wd, err)
	}
	return root
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// demo is the running demo.
type demo struct {
	cmd  *exec.Cmd
	addr string
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan error
}

func (d *demo) Write(p []byte) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.Write(p)
}

func (d *demo) output() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.buf.String()
}

// startDemo builds and starts the demo in bounded mode, with a quicker
// story than by default, and waits until its receiver answers.
func startDemo(ctx context.Context, t *testing.T, root string) *demo {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "demo")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/demo")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/demo: %v\n%s", err, out)
	}
	d := &demo{addr: freeAddr(t), done: make(chan error, 1)}
	d.cmd = exec.CommandContext(ctx, bin, "--for", "5m", "--interval", "2s", "--listen", d.addr, "--state-dir", t.TempDir())
	d.cmd.Dir = root
	d.cmd.Stdout = d
	d.cmd.Stderr = d
	if err := d.cmd.Start(); err != nil {
		t.Fatalf("starting the demo: %v", err)
	}
	go func() { d.done <- d.cmd.Wait() }()
	t.Cleanup(func() {
		if d.cmd.ProcessState == nil {
			d.interrupt(t)
		}
	})

	for {
		resp, err := http.Get("http://" + d.addr + "/healthz") //nolint:noctx // Loopback, bounded by the loop.
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d
			}
		}
		select {
		case err := <-d.done:
			t.Fatalf("the demo exited before serving its page: %v\n%s", err, d.output())
		case <-ctx.Done():
			t.Fatalf("the demo's receiver did not answer in time\n%s", d.output())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// interrupt stops the demo as Ctrl-C does and expects a clean exit.
func (d *demo) interrupt(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Errorf("interrupting the demo: %v", err)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("\nThe demo exits 0 on Ctrl-C once events were received.\nexit: %v\n%s", err, d.output())
		}
	case <-time.After(90 * time.Second):
		_ = d.cmd.Process.Kill()
		t.Errorf("the demo did not stop within 90s of Ctrl-C\n%s", d.output())
	}
}

// browser is headless Chromium driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe): JSON messages separated by NUL bytes,
// written to its fd 3 and read from its fd 4. No websocket, no npm.
type browser struct {
	in  io.Writer
	mu  sync.Mutex
	id  int
	res map[int]chan reply
}

type reply struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Message string `json:"message"`
	} `json:"error"`
}

func startChromium(ctx context.Context, t *testing.T, bin string) *browser {
	t.Helper()
	toChrome, chromeIn, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	chromeOut, fromChrome, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1440,1000",
		"--user-data-dir="+t.TempDir(), "--remote-debugging-pipe", "about:blank")
	cmd.ExtraFiles = []*os.File{toChrome, fromChrome} // fd 3 and fd 4
	logs := &bytes.Buffer{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	_ = toChrome.Close()
	_ = fromChrome.Close()
	t.Cleanup(func() {
		_ = chromeIn.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("chromium stderr:\n%s", tail(logs.Bytes()))
		}
	})

	b := &browser{in: chromeIn, res: map[int]chan reply{}}
	go func() {
		r := bufio.NewReader(chromeOut)
		for {
			msg, err := r.ReadBytes(0)
			if err != nil {
				return
			}
			m := struct {
				ID int `json:"id"`
				reply
			}{}
			if json.Unmarshal(msg[:len(msg)-1], &m) != nil || m.ID == 0 {
				continue // An event; not needed.
			}
			b.mu.Lock()
			ch := b.res[m.ID]
			delete(b.res, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m.reply
			}
		}
	}()
	return b
}

// call sends one DevTools command and waits for its result.
func (b *browser) call(ctx context.Context, t *testing.T, session, method string, params any, result any) {
	t.Helper()
	b.mu.Lock()
	b.id++
	id := b.id
	ch := make(chan reply, 1)
	b.res[id] = ch
	b.mu.Unlock()
	msg := map[string]any{"id": id, "method": method, "params": params}
	if session != "" {
		msg["sessionId"] = session
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.in.Write(append(raw, 0)); err != nil {
		t.Fatalf("sending %s to chromium: %v", method, err)
	}
	select {
	case r := <-ch:
		if r.Error != nil {
			t.Fatalf("chromium: %s: %s", method, r.Error.Message)
		}
		if result != nil {
			if err := json.Unmarshal(r.Result, result); err != nil {
				t.Fatalf("chromium: %s: decoding %s: %v", method, r.Result, err)
			}
		}
	case <-ctx.Done():
		t.Fatalf("chromium did not answer %s: %v", method, ctx.Err())
	}
}

// open opens url in a new tab and returns the DevTools session of it.
func (b *browser) open(ctx context.Context, t *testing.T, url string) string {
	t.Helper()
	target := struct {
		TargetID string `json:"targetId"`
	}{}
	b.call(ctx, t, "", "Target.createTarget", map[string]any{"url": url}, &target)
	attached := struct {
		SessionID string `json:"sessionId"`
	}{}
	b.call(ctx, t, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.call(ctx, t, attached.SessionID, "Page.enable", map[string]any{}, nil)
	return attached.SessionID
}

// evaluate runs a JavaScript expression that returns a string.
func (b *browser) evaluate(ctx context.Context, t *testing.T, session, expr string) string {
	t.Helper()
	r := struct {
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}{}
	b.call(ctx, t, session, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r)
	if r.ExceptionDetails != nil {
		// The page may not have loaded yet.
		return "{}"
	}
	return r.Result.Value
}

// screenshot captures the whole page as a PNG file.
func (b *browser) screenshot(ctx context.Context, t *testing.T, session, path string) {
	t.Helper()
	metrics := struct {
		CSSContentSize struct {
			Width  float64 `json:"width"`
			Height float64 `json:"height"`
		} `json:"cssContentSize"`
	}{}
	b.call(ctx, t, session, "Page.getLayoutMetrics", map[string]any{}, &metrics)
	shot := struct {
		Data string `json:"data"`
	}{}
	b.call(ctx, t, session, "Page.captureScreenshot", map[string]any{
		"format":                "png",
		"captureBeyondViewport": true,
		"clip": map[string]any{
			"x": 0, "y": 0, "scale": 1,
			"width":  metrics.CSSContentSize.Width,
			"height": metrics.CSSContentSize.Height,
		},
	}, &shot)
	img, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if cfg.Width < 800 || cfg.Height < 300 {
		t.Errorf("\nThe screenshot shows the whole page.\nsize: want at least 800x300, got %dx%d", cfg.Width, cfg.Height)
	}
	if err := os.WriteFile(path, img, 0o600); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "screenshot %dx%d written to %s\n", cfg.Width, cfg.Height, path)
}
