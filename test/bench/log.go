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
	"fmt"
	"slices"
	"sync"

	"github.com/crossplane/crossplane-runtime/v2/pkg/logging"
)

// Warnings is a provider logger that keeps count of Info messages and
// drops Debug ones. The provider logs at Info only what an operator must
// see (a write that keeps failing, transitions dropped because ledger
// writes fall behind), so a benchmark reports them next to its figures
// instead of flooding its output.
type Warnings struct {
	mu     sync.Mutex
	counts map[string]int
	sample map[string]string
}

// NewWarnings returns an empty counter.
func NewWarnings() *Warnings {
	return &Warnings{counts: map[string]int{}, sample: map[string]string{}}
}

// Logger returns a logger that counts into w.
func (w *Warnings) Logger() logging.Logger { return warnLogger{w: w} }

// Summary lists each distinct message with its count and its first
// structured data, sorted; nil when there was none.
func (w *Warnings) Summary() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := make([]string, 0, len(w.counts))
	for msg, n := range w.counts {
		out = append(out, fmt.Sprintf("%dx %q %s", n, msg, w.sample[msg]))
	}
	slices.Sort(out)
	if len(out) == 0 {
		return nil
	}
	return out
}

// Reset forgets the messages counted so far.
func (w *Warnings) Reset() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.counts = map[string]int{}
	w.sample = map[string]string{}
}

type warnLogger struct {
	w  *Warnings
	kv []any
}

func (l warnLogger) Info(msg string, kv ...any) {
	l.w.mu.Lock()
	defer l.w.mu.Unlock()
	if l.w.counts[msg] == 0 {
		l.w.sample[msg] = fmt.Sprint(append(slices.Clone(l.kv), kv...))
	}
	l.w.counts[msg]++
}

func (l warnLogger) Debug(string, ...any) {}

func (l warnLogger) WithValues(kv ...any) logging.Logger {
	return warnLogger{w: l.w, kv: append(slices.Clone(l.kv), kv...)}
}
