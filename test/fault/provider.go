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

package fault

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// RepoRoot is the root of the repository this package lives in.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// BuildProvider builds ./cmd/provider with `go build` into dir and returns
// the binary's path.
func BuildProvider(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "provider")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/provider") //nolint:gosec // G204: a directory the suite made.
	cmd.Dir = RepoRoot()
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", errors.Wrapf(err, "cannot build the provider: %s", out)
	}
	return bin, nil
}

// FreePort returns a loopback port nothing listens on now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, errors.Wrap(err, "cannot find a free port")
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil //nolint:forcetypeassert // A TCP listener has a TCP address.
}

// ProviderOptions are how one provider process runs.
type ProviderOptions struct {
	Bin        string
	Kubeconfig string
	// Name names the replica in its log file.
	Name   string
	LogDir string
	// Args are extra flags.
	Args []string
}

// Provider is one provider process. It keeps its ports across restarts, as
// a pod does.
type Provider struct {
	opts        ProviderOptions
	MetricsPort int
	HealthPort  int

	mu       sync.Mutex
	cmd      *exec.Cmd
	done     chan struct{}
	restarts int
	// gen changes on every Start and Kill, so that a restart after an
	// exit nobody asked for never races with them.
	gen     int
	crashes int
}

// NewProvider picks the process's ports; Start runs it.
func NewProvider(opts ProviderOptions) (*Provider, error) {
	m, err := FreePort()
	if err != nil {
		return nil, err
	}
	h, err := FreePort()
	if err != nil {
		return nil, err
	}
	return &Provider{opts: opts, MetricsPort: m, HealthPort: h}, nil
}

// Start runs the process; its output is appended to <LogDir>/<Name>.log.
// Like a kubelet, it restarts the process a second after it exits on its
// own; Crashes counts those exits.
func (p *Provider) Start() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	return p.start()
}

// start runs the process; p.mu is held.
func (p *Provider) start() error {
	f, err := os.OpenFile(p.LogPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return errors.Wrap(err, "cannot open the provider's log")
	}
	fmt.Fprintf(f, "=== start %d at %s\n", p.restarts, time.Now().UTC().Format(time.RFC3339Nano))
	args := append([]string{
		"--kubeconfig=" + p.opts.Kubeconfig,
		"--metrics-bind-address=127.0.0.1:" + strconv.Itoa(p.MetricsPort),
		"--health-probe-bind-address=127.0.0.1:" + strconv.Itoa(p.HealthPort),
	}, p.opts.Args...)
	cmd := exec.Command(p.opts.Bin, args...) //nolint:gosec // The binary the suite built.
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, killed with the test binary.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return errors.Wrap(err, "cannot start the provider")
	}
	done := make(chan struct{})
	gen := p.gen
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(done)
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.gen != gen {
			return
		}
		p.crashes++
		p.mu.Unlock()
		time.Sleep(time.Second)
		p.mu.Lock()
		if p.gen == gen {
			_ = p.start()
		}
	}()
	p.cmd, p.done = cmd, done
	p.restarts++
	return nil
}

// Crashes counts the exits nobody asked for, and returns the last line
// the process logged before the latest one.
func (p *Provider) Crashes() (int, string) {
	p.mu.Lock()
	n := p.crashes
	p.mu.Unlock()
	if n == 0 {
		return 0, ""
	}
	b, _ := os.ReadFile(p.LogPath())
	last := ""
	for _, l := range strings.Split(string(b), "\n") {
		// A fatal error (kingpin prints "<app>: error: ..."), else an
		// error-level log line.
		if strings.Contains(l, ": error: ") || strings.Contains(l, `"level":"error"`) {
			last = l
		}
	}
	return n, last
}

func (p *Provider) current() (*exec.Cmd, chan struct{}) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd, p.done
}

// LogPath is where the process logs.
func (p *Provider) LogPath() string { return filepath.Join(p.opts.LogDir, p.opts.Name+".log") }

// Running says whether the process has not exited.
func (p *Provider) Running() bool {
	_, done := p.current()
	if done == nil {
		return false
	}
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Kill sends SIGKILL and waits for the process to go.
func (p *Provider) Kill() {
	p.mu.Lock()
	p.gen++
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if done == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// Stop sends SIGTERM, then SIGKILL after grace.
func (p *Provider) Stop(grace time.Duration) {
	p.mu.Lock()
	p.gen++
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if done == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(grace):
		p.Kill()
	}
}

// Metrics reads the process's Prometheus metrics: sample name (with its
// labels as written) to value.
func (p *Provider) Metrics(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(p.MetricsPort)+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, errors.Wrap(err, "cannot read the provider's metrics")
	}
	defer func() { _ = resp.Body.Close() }()
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		out[line[:i]] = v
	}
	return out, errors.Wrap(sc.Err(), "cannot read the provider's metrics")
}

// IsLeader says whether the process holds the leader Lease, from
// controller-runtime's leader_election_master_status metric.
func (p *Provider) IsLeader(ctx context.Context) bool {
	m, err := p.Metrics(ctx)
	if err != nil {
		return false
	}
	for k, v := range m {
		if strings.HasPrefix(k, "leader_election_master_status") && v == 1 {
			return true
		}
	}
	return false
}

// Ready says whether the process answers its readiness probe.
func (p *Provider) Ready(ctx context.Context) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(p.HealthPort)+"/readyz", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
