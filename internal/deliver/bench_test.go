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

package deliver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
)

// BenchmarkOutboxLoopback measures raw delivery: b.N events spread over 64
// clusters, through one outbox with the default workers, to a loopback sink
// that accepts everything. It reports events per second.
func BenchmarkOutboxLoopback(b *testing.B) {
	const clusters = 64
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		received.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)

	keys := map[string][]Pending{}
	for i := range b.N {
		k := "cluster-" + strconv.Itoa(i%clusters)
		seq := int64(len(keys[k]) + 1)
		keys[k] = append(keys[k], Pending{Seq: seq, Events: []cloudevents.Event{testEvent(k, seq, 0)}})
	}
	src := newMemSource(keys)
	o := NewOutbox(newTestSender(b, SinkConfig{URL: srv.URL}), src)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)

	b.ReportAllocs()
	b.ResetTimer()
	begin := time.Now()
	go func() { errc <- o.Start(ctx) }()
	for k := range keys {
		o.Notify(k)
	}
	for src.doneCount() < src.total {
		<-src.doneSignal
	}
	elapsed := time.Since(begin)
	b.StopTimer()

	cancel()
	if err := <-errc; err != nil {
		b.Fatalf("o.Start(...): %v", err)
	}
	if got := received.Load(); got != int64(b.N) {
		b.Fatalf("the sink received %d events, want %d", got, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
