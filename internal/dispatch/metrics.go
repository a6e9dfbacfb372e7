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

package dispatch

import (
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Collector exports, per sink, what an on-call engineer asks first: how far
// behind the sink is and how much it still owes. Both are read when
// Prometheus scrapes, from the outboxes and the ledger, so they cost
// nothing between scrapes and are never stale.
type Collector struct {
	d       *Dispatcher
	now     func() time.Time
	lag     *prometheus.Desc
	pending *prometheus.Desc
}

// NewCollector returns the per-sink collector of a dispatcher; register it
// with the provider's registry.
func NewCollector(d *Dispatcher) *Collector {
	return &Collector{
		d:   d,
		now: time.Now,
		lag: prometheus.NewDesc("cdevents_delivery_lag_seconds",
			"Age of the oldest event a sink has not accepted yet, by sink: how long its cluster has waited for this sink; 0 when the sink is up to date.",
			[]string{labelSink}, nil),
		pending: prometheus.NewDesc("cdevents_events_pending",
			"Events recorded in the ledger that a sink has not accepted yet, by sink.",
			[]string{labelSink}, nil),
	}
}

// labelSink names the sink label, as the delivery metrics do.
const labelSink = "sink"

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.pending
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	c.d.mu.Lock()
	sinks := make([]*sink, 0, len(c.d.sinks))
	for _, s := range c.d.sinks {
		sinks = append(sinks, s)
	}
	c.d.mu.Unlock()
	sort.Slice(sinks, func(i, j int) bool { return sinks[i].settings.ID < sinks[j].settings.ID })
	now := c.now()
	for _, s := range sinks {
		lag := 0.0
		if oldest := s.outbox.Oldest(); !oldest.IsZero() {
			lag = max(now.Sub(oldest).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, lag, s.settings.ID)
		if st, ok := c.d.Stats(s.settings.ID); ok {
			ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(st.Pending), s.settings.ID)
		}
	}
}
