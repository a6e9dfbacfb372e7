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

package bench

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ProcessCPU is the user and system CPU time this process has used. The
// benchmark process hosts the provider and the sink, and in most runs the
// writers' API client, so a difference of two readings is their sum.
func ProcessCPU() time.Duration {
	ru := syscall.Rusage{}
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// ChildrenCPU is the CPU time used so far by this process's running
// children: the local control plane's kube-apiserver and etcd, not a load
// driver run from this same binary. It reads /proc, so it is zero where
// there is none.
func ChildrenCPU() time.Duration {
	me := strconv.Itoa(os.Getpid())
	self, _ := os.Readlink("/proc/self/exe")
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	tick := clockTick()
	var total time.Duration
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		ppid, ticks, ok := parseStat(string(b))
		if !ok || ppid != me {
			continue
		}
		if exe, _ := os.Readlink(filepath.Join(filepath.Dir(p), "exe")); self != "" && exe == self {
			continue
		}
		total += time.Duration(ticks) * tick
	}
	return total
}

// ChildCPU is the CPU time used so far by one running child process.
func ChildCPU(pid int) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	_, ticks, ok := parseStat(string(b))
	if !ok {
		return 0
	}
	return time.Duration(ticks) * clockTick()
}

// parseStat reads the parent pid and the user plus system clock ticks
// from a /proc/<pid>/stat line. The command name may hold spaces and
// parentheses, so fields are counted from its closing parenthesis.
func parseStat(line string) (ppid string, ticks int64, ok bool) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 {
		return "", 0, false
	}
	f := strings.Fields(line[i+1:])
	// After the name: state(0) ppid(1) ... utime(11) stime(12).
	if len(f) < 13 {
		return "", 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return "", 0, false
	}
	return f[1], u + s, true
}

// clockTick is the length of one /proc clock tick, read from the auxiliary
// vector (AT_CLKTCK); 10ms where it cannot be read.
func clockTick() time.Duration {
	const atClkTck = 17
	b, err := os.ReadFile("/proc/self/auxv")
	if err == nil {
		for i := 0; i+16 <= len(b); i += 16 {
			k, v := binary.NativeEndian.Uint64(b[i:]), binary.NativeEndian.Uint64(b[i+8:])
			if k == atClkTck && v > 0 {
				return time.Second / time.Duration(v) //nolint:gosec // A clock rate is small.
			}
		}
	}
	return 10 * time.Millisecond
}

// LiveHeap is the heap in use after a full collection: what the process
// keeps, not what it has yet to free.
func LiveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	ms := runtime.MemStats{}
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// LoadAvg is the 1-minute load average, to judge whether the machine was
// busy with something else while a figure was taken.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return "?"
	}
	return f[0]
}

// Requests counts the API requests a client makes, by what they do, so a
// benchmark can say how many writes the provider spends per transition.
type Requests struct {
	mu     sync.Mutex
	counts map[string]int64
	took   map[string][]time.Duration
	// others counts OtherWrites by method and resource path.
	others map[string]int64
}

// NewRequests returns an empty counter.
func NewRequests() *Requests {
	return &Requests{counts: map[string]int64{}, took: map[string][]time.Duration{}, others: map[string]int64{}}
}

// Request classes.
const (
	// LedgerWrites are writes to ObservedClusters that record events or
	// facts: their creation and status patches.
	LedgerWrites = "ledger-writes"
	// CursorWrites are writes to ObservedClusters that only persist
	// delivery progress.
	CursorWrites = "cursor-writes"
	// OtherWrites are every other write.
	OtherWrites = "other-writes"
	// Reads are gets, lists and watches.
	Reads = "reads"
	// Watches counts the watches among Reads, apart: each starts a
	// long-running request, and renewing them is most of what an idle
	// provider asks.
	Watches = "watches"
)

// Wrap is a rest.Config WrapTransport that counts every request.
func (c *Requests) Wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFn(func(r *http.Request) (*http.Response, error) {
		class := Classify(r.Method, r.URL.Path, peek(r))
		c.add(class)
		if IsWatch(r.URL) {
			c.add(Watches)
		}
		if class == OtherWrites {
			c.addOther(r.Method + " " + r.URL.Path)
		}
		begin := time.Now()
		resp, err := rt.RoundTrip(r)
		if class != Reads {
			c.tookFor(class, time.Since(begin))
		}
		return resp, err
	})
}

// peek returns a copy of a request's body, leaving the body to be sent
// untouched; nil when the request cannot replay its body.
func peek(r *http.Request) []byte {
	if r.GetBody == nil {
		return nil
	}
	body, err := r.GetBody()
	if err != nil {
		return nil
	}
	defer body.Close()
	b, err := io.ReadAll(body)
	if err != nil {
		return nil
	}
	return b
}

func (c *Requests) add(class string) {
	c.mu.Lock()
	c.counts[class]++
	c.mu.Unlock()
}

func (c *Requests) addOther(what string) {
	c.mu.Lock()
	c.others[what]++
	c.mu.Unlock()
}

// Others returns the OtherWrites so far by method and path.
func (c *Requests) Others() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.others)
}

func (c *Requests) tookFor(class string, d time.Duration) {
	c.mu.Lock()
	c.took[class] = append(c.took[class], d)
	c.mu.Unlock()
}

// ForgetLatencies drops the latencies recorded so far, so that a heap
// reading does not count them.
func (c *Requests) ForgetLatencies() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.took = map[string][]time.Duration{}
}

// Finished counts the completed writes of a class, for Latencies.
func (c *Requests) Finished(class string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.took[class])
}

// Latencies returns how long the writes of a class took, from the n-th
// completed on: pass a Finished taken earlier to see only what happened
// since.
func (c *Requests) Latencies(class string, from int) []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	ds := c.took[class]
	if from >= len(ds) {
		return nil
	}
	return slices.Clone(ds[from:])
}

// Count returns the requests of a class so far.
func (c *Requests) Count(class string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[class]
}

// Classify names the class of a request from its method, path and body.
func Classify(method, path string, body []byte) string {
	switch method {
	case http.MethodGet, http.MethodHead:
		return Reads
	}
	if !strings.Contains(path, "/observedclusters") {
		return OtherWrites
	}
	if method == http.MethodPatch && bytes.Contains(body, []byte(`"/status/sinks"`)) && !bytes.Contains(body, []byte(`"/status/events`)) {
		return CursorWrites
	}
	return LedgerWrites
}

type roundTripperFn func(*http.Request) (*http.Response, error)

func (fn roundTripperFn) RoundTrip(r *http.Request) (*http.Response, error) { return fn(r) }
