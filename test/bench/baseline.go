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
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/google/uuid"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"

	"github.com/crossplane-contrib/provider-cdevents/apis/v1alpha1"
	"github.com/crossplane-contrib/provider-cdevents/internal/cdevent"
	"github.com/crossplane-contrib/provider-cdevents/internal/fleetsim"
)

// Watcher is the stateless baseline provider-cdevents is measured against:
// one informer on the fleet's kind that posts a CloudEvent for every update
// of a cluster object, and writes nothing to the API server. It keeps no
// ledger, so it can neither resend after a crash nor tell what happened
// while it was down: it is what exactness costs compared with nothing.
type Watcher struct {
	url     string
	client  *http.Client
	work    chan *unstructured.Unstructured
	workers int

	stop chan struct{}
	wg   sync.WaitGroup
}

// baselineWorkers is how many events the watcher posts at once, as many as
// the provider's default delivery workers per sink.
const baselineWorkers = 16

// Error strings of the watcher.
const (
	errWatcherSync = "the baseline watcher did not list the fleet's kind"
	errFmtPost     = "sink answered %d"
)

// NewWatcher returns a watcher that posts to url.
func NewWatcher(url string) *Watcher {
	return &Watcher{
		url:     url,
		client:  &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: baselineWorkers}},
		work:    make(chan *unstructured.Unstructured, 4096),
		workers: baselineWorkers,
		stop:    make(chan struct{}),
	}
}

// Start watches the fleet's kind with dyn and posts until Stop. It returns
// once the informer has listed the kind.
func (w *Watcher) Start(dyn dynamic.Interface) error {
	f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 0)
	inf := f.ForResource(fleetsim.UpjetEKS).Informer()
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(_, obj any) {
			if u, ok := obj.(*unstructured.Unstructured); ok {
				w.work <- u
			}
		},
	}); err != nil {
		return errors.Wrap(err, errWatcherSync)
	}
	f.Start(w.stop)
	for range w.workers {
		w.wg.Go(func() {
			for {
				select {
				case <-w.stop:
					return
				case u := <-w.work:
					_ = w.post(u)
				}
			}
		})
	}
	if !cache.WaitForCacheSync(w.stop, inf.HasSynced) {
		return errors.New(errWatcherSync)
	}
	return nil
}

// Stop stops the informer and the posting workers.
func (w *Watcher) Stop() {
	close(w.stop)
	w.wg.Wait()
	w.client.CloseIdleConnections()
}

// post sends one binary-mode CloudEvent about u, with the cluster's name
// and the lifecycle its cloud state means in customData, the part of a
// CDEvent the benchmark sink reads.
func (w *Watcher) post(u *unstructured.Unstructured) error {
	state, _, _ := unstructured.NestedString(u.Object, "status", "atProvider", "status")
	lc := v1alpha1.LifecycleRecovered
	if state == fleetsim.StateFailed {
		lc = v1alpha1.LifecycleDegraded
	}
	body, err := json.Marshal(map[string]any{
		"context": map[string]any{"id": uuid.NewString(), "type": "dev.cdevents.environment.modified.0.3.0"},
		"subject": map[string]any{"id": "/crossplane/" + u.GroupVersionKind().Group + "/" + u.GetKind() + "/" + u.GetName()},
		"customData": cdevent.CustomData{Crossplane: cdevent.ClusterData{
			Lifecycle: lc, Name: u.GetName(), UID: string(u.GetUID()), APIVersion: u.GetAPIVersion(), Kind: u.GetKind(),
		}},
	})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Ce-Specversion", cloudevents.VersionV1)
	req.Header.Set("Ce-Id", uuid.NewString())
	req.Header.Set("Ce-Source", "/crossplane/baseline")
	req.Header.Set("Ce-Type", "dev.cdevents.environment.modified.0.3.0")
	req.Header.Set("Ce-Time", time.Now().UTC().Format(time.RFC3339Nano))
	req.Header.Set("Content-Type", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	_ = resp.Body.Close()
	if resp.StatusCode >= 300 {
		return errors.Errorf(errFmtPost, resp.StatusCode)
	}
	return nil
}

// mutatingVerbs are the verbs of apiserver_request_total that write.
var mutatingVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true} //nolint:gochecknoglobals // A constant set.

// APIWrites counts, from the API server's own metrics
// (apiserver_request_total), the writes it served for one API group:
// whoever made them, whatever the answer.
func APIWrites(ctx context.Context, c *rest.Config, group string) (int64, error) {
	cs, err := kubernetes.NewForConfig(c)
	if err != nil {
		return 0, errors.Wrap(err, "cannot reach the API server's metrics")
	}
	raw, err := cs.Discovery().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return 0, errors.Wrap(err, "cannot read the API server's metrics")
	}
	return countWrites(raw, group), nil
}

// countWrites sums the apiserver_request_total samples of group with a
// mutating verb in the text exposition format.
func countWrites(raw []byte, group string) int64 {
	var n float64
	sc := bufio.NewScanner(bytes.NewReader(raw))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		rest, ok := strings.CutPrefix(line, "apiserver_request_total{")
		if !ok {
			continue
		}
		labels, value, ok := strings.Cut(rest, "} ")
		if !ok || !strings.Contains(labels, `group="`+group+`"`) {
			continue
		}
		verb := ""
		for _, l := range strings.Split(labels, ",") {
			if v, ok := strings.CutPrefix(l, `verb="`); ok {
				verb = strings.TrimSuffix(v, `"`)
			}
		}
		if !mutatingVerbs[verb] {
			continue
		}
		if f, err := strconv.ParseFloat(strings.Fields(value)[0], 64); err == nil {
			n += f
		}
	}
	return int64(n)
}

// RSS is this process's resident set size, from /proc; zero where there is
// none.
func RSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}

// PeakRSS samples RSS every 100ms until the returned function is called,
// which returns the highest reading.
func PeakRSS() func() uint64 {
	var mu sync.Mutex
	peak := RSS()
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r := RSS()
				mu.Lock()
				peak = max(peak, r)
				mu.Unlock()
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-stopped
		mu.Lock()
		defer mu.Unlock()
		return peak
	}
}
