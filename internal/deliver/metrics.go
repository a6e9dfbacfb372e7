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
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/crossplane/crossplane-runtime/v2/pkg/errors"
)

// Values of the result label of cdevents_delivery_attempts_total.
const (
	ResultDelivered    = "delivered"
	ResultRetried      = "retried"
	ResultRejected     = "rejected"
	ResultDeadLettered = "dead_lettered"
	ResultDropped      = "dropped"
)

const errRegisterMetrics = "cannot register delivery metrics"

// Label names.
const (
	labelSink   = "sink"
	labelType   = "type"
	labelResult = "result"
	labelReason = "reason"
)

// Metrics are the delivery metrics of every outbox of the process, told
// apart by the sink label. They are registered once, with the registry the
// caller chooses, so tests and the provider never share global state.
type Metrics struct {
	events   *prometheus.CounterVec
	duration *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	keys     *prometheus.GaugeVec
	drops    *prometheus.CounterVec
}

// NewMetrics creates the delivery metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	m := &Metrics{
		events: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cdevents_delivery_attempts_total",
			Help: "Delivery attempts of CDEvents by sink, event type and result (delivered, retried, rejected, dead_lettered, dropped).",
		}, []string{labelSink, labelType, labelResult}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "cdevents_delivery_duration_seconds",
			Help:    "Duration of delivery attempts the sink accepted.",
			Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{labelSink}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cdevents_retries_total",
			Help: "Delivery attempts scheduled again after a failure, by sink.",
		}, []string{labelSink}),
		keys: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "cdevents_outbox_keys",
			Help: "Clusters with events waiting for a sink, by sink.",
		}, []string{labelSink}),
		drops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cdevents_events_dropped_total",
			Help: "CDEvents given up, by sink and reason: rejected (the sink refused every attempt and there is no dead-letter sink), dead_letter_failed (the dead-letter sink refused it too, or kept failing) or unbuildable (the event could not be built).",
		}, []string{labelSink, labelReason}),
	}
	for _, c := range []prometheus.Collector{m.events, m.duration, m.retries, m.keys, m.drops} {
		if err := reg.Register(c); err != nil {
			return nil, errors.Wrap(err, errRegisterMetrics)
		}
	}
	return m, nil
}

// Forget deletes the series of a sink whose config was removed, so that
// its last values do not linger.
func (m *Metrics) Forget(sink string) {
	if m == nil {
		return
	}
	l := prometheus.Labels{labelSink: sink}
	m.events.DeletePartialMatch(l)
	m.duration.DeletePartialMatch(l)
	m.retries.DeletePartialMatch(l)
	m.keys.DeletePartialMatch(l)
	m.drops.DeletePartialMatch(l)
}

func (m *Metrics) event(sink, eventType, result string) {
	if m == nil {
		return
	}
	m.events.WithLabelValues(sink, eventType, result).Inc()
}

func (m *Metrics) delivered(sink string, d time.Duration) {
	if m == nil {
		return
	}
	m.duration.WithLabelValues(sink).Observe(d.Seconds())
}

func (m *Metrics) retried(sink string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(sink).Inc()
}

// Dropped counts an event given up for reason.
func (m *Metrics) Dropped(sink, reason string) {
	if m == nil {
		return
	}
	m.drops.WithLabelValues(sink, reason).Inc()
}

func (m *Metrics) waiting(sink string, n int) {
	if m == nil {
		return
	}
	m.keys.WithLabelValues(sink).Set(float64(n))
}
