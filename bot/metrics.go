package bot

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metrics are the service's Prometheus instruments. They are always
// counted; they are exported when Options.Registry is set (`run --metrics`).
type metrics struct {
	polls      *prometheus.CounterVec // by result: changed, unchanged, not_modified, error, not_fetched
	pollTime   prometheus.Histogram
	newItems   prometheus.Counter
	enqueued   prometheus.Counter
	delivered  *prometheus.CounterVec // by destination
	dropped    *prometheus.CounterVec // by destination: alerts a destination refused (400), or whose watch was removed
	missed     *prometheus.CounterVec // by destination: alerts a recipient missed while others got them (email)
	sendErrors *prometheus.CounterVec // by destination and kind: retry, gone, error
	storyEdits *prometheus.CounterVec // by destination: edits of a story's message
	listed     *prometheus.CounterVec // by destination: reports and updates listed under a story's message
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		polls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_polls_total", Help: "Feed polls by result (changed, unchanged, not_modified, error; not_fetched: the host had no free slot in time).",
		}, []string{"result"}),
		pollTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "newshound_poll_duration_seconds", Help: "Time to fetch, parse, match and record one feed.",
			Buckets: prometheus.ExponentialBuckets(0.01, 3, 8),
		}),
		newItems: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newshound_new_items_total", Help: "Items seen for the first time.",
		}),
		enqueued: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "newshound_alerts_enqueued_total", Help: "Alerts written to the outbox.",
		}),
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_alerts_delivered_total", Help: "Alerts a destination accepted.",
		}, []string{"destination"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_alerts_dropped_total", Help: "Alerts dropped: a destination refused them for good (a 400), or their watch was removed.",
		}, []string{"destination"}),
		missed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_alerts_missed_total", Help: "Alerts a recipient of a destination missed while its other recipients got them (an email recipient refused), one per alert and recipient.",
		}, []string{"destination"}),
		sendErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_send_errors_total", Help: "Failed sends by destination and kind (retry: rate limited, gone: destination paused, error: retried with back-off).",
		}, []string{"destination", "kind"}),
		storyEdits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_story_edits_total", Help: "Edits of a story's message to list further reports and updates.",
		}, []string{"destination"}),
		listed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_story_reports_listed_total", Help: "Further reports and updates listed under their story's message instead of posted.",
		}, []string{"destination"}),
	}
	if reg != nil {
		reg.MustRegister(m.polls, m.pollTime, m.newItems, m.enqueued, m.delivered, m.dropped, m.missed, m.sendErrors, m.storyEdits, m.listed)
	}
	return m
}

// forget deletes every series of each destination gone reports, in
// every vector with a destination label: a destination nothing sends to
// any more (a channel no watch names) must not stay in /metrics for
// ever, one more set of series per channel ever watched.
func (m *metrics) forget(gone func(dest string) bool) {
	dests := map[string]bool{}
	for _, v := range m.byDestination() {
		for _, dest := range labelValues(v, "destination") {
			dests[dest] = true
		}
	}
	for dest := range dests {
		if gone(dest) {
			m.forgetDestination(dest)
		}
	}
}

// forgetDestination deletes every series of dest.
func (m *metrics) forgetDestination(dest string) {
	for _, v := range m.byDestination() {
		v.DeletePartialMatch(prometheus.Labels{"destination": dest})
	}
}

// byDestination are the vectors with a destination label.
func (m *metrics) byDestination() []*prometheus.CounterVec {
	return []*prometheus.CounterVec{m.delivered, m.dropped, m.missed, m.sendErrors, m.storyEdits, m.listed}
}

// labelValues returns the values label takes among the series of c.
func labelValues(c prometheus.Collector, label string) []string {
	ch := make(chan prometheus.Metric)
	go func() {
		defer close(ch)
		c.Collect(ch)
	}()
	values := map[string]bool{}
	for m := range ch { // drained: the goroutine has ended when this ends
		var pb dto.Metric
		if m.Write(&pb) != nil {
			continue
		}
		for _, l := range pb.GetLabel() {
			if l.GetName() == label {
				values[l.GetValue()] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(values))
}
