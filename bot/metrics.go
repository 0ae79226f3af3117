package bot

import (
	"maps"
	"slices"
	"sync"
	"time"

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
	// movesDropped counts, by reason, the story moves dropped unstored:
	// refused (the store never takes them), failing (failing alone while
	// others are stored), queue_full (movesQueue's bound).
	movesDropped *prometheus.CounterVec
	retired      retired // destinations whose series go
}

func newMetrics(reg prometheus.Registerer, now func() time.Time) *metrics {
	m := &metrics{
		retired: retired{since: map[string]time.Time{}, now: now},
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
		movesDropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "newshound_story_moves_dropped_total", Help: "Story moves (a re-split's, a merge's) dropped unstored, their reports left in the story the store has them under: refused (the store never takes them), failing (failing alone while other moves are stored), queue_full (over 1000 waiting for a store in an outage).",
		}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.polls, m.pollTime, m.newItems, m.enqueued, m.movesDropped, destinationSeries{m})
		m.retired.scraped = true
	}
	return m
}

// retireAfter is how long the series of a destination nothing sends to
// any more (a channel no watch names) stay in /metrics after its last
// counts, once the outbox holds nothing more for it: long enough for
// every scraper (Prometheus's default interval is a minute) to read
// them, the alerts dropped with its watch among them; short enough that
// the page does not grow by a set of series per channel ever watched.
const retireAfter = 10 * time.Minute

// retired are the destinations whose series go: each with the time of
// its last counts, or the zero time while alerts for it are left in the
// outbox (pending, held, or in a back-off as long as a day's
// Retry-After), which are still to be counted: deleted before they are,
// the series would start again from 0, which Prometheus takes for a
// counter reset. Their series are deleted by the first scrape that
// comes retireAfter after the last counts, once that scrape has read
// them (see destinationSeries), so no count is lost between two scrapes;
// without a registry, where nothing scrapes, at once.
type retired struct {
	mu      sync.Mutex
	since   map[string]time.Time
	now     func() time.Time
	scraped bool // a registry reads the series: deletion waits for a scrape
}

// retire marks for deletion the series of each destination gone
// reports, in every vector with a destination label (a destination
// already marked keeps its mark), and takes back the mark of one that is
// no longer gone (watched again). A destination marked now is taken to
// have alerts left until a pass has read the outbox (outboxHolds).
func (m *metrics) retire(gone func(dest string) bool) {
	dests := map[string]bool{}
	for _, v := range m.byDestination() {
		for _, dest := range labelValues(v, "destination") {
			dests[dest] = true
		}
	}
	m.retired.mu.Lock()
	for dest := range m.retired.since {
		dests[dest] = true
	}
	m.retired.mu.Unlock()
	for dest := range dests {
		dests[dest] = gone(dest)
	}
	m.retired.mu.Lock()
	for dest, isGone := range dests {
		_, marked := m.retired.since[dest]
		switch {
		case !isGone:
			delete(m.retired.since, dest)
		case !marked:
			m.retired.since[dest] = time.Time{}
		}
	}
	m.retired.mu.Unlock()
}

// outboxHolds takes in pending, the destinations the outbox holds alerts
// for: a retired one among them keeps its series whatever its last
// counts' age; one no longer among them has had its last counts, now.
func (m *metrics) outboxHolds(pending []string) {
	m.retired.mu.Lock()
	now := m.retired.now()
	for dest, since := range m.retired.since {
		switch {
		case slices.Contains(pending, dest):
			m.retired.since[dest] = time.Time{}
		case since.IsZero():
			m.retired.since[dest] = now
		}
	}
	m.retired.mu.Unlock()
	m.sweepUnscraped()
}

// retiredWaiting reports whether a retired destination had alerts left
// in the outbox when it was last read.
func (m *metrics) retiredWaiting() bool {
	m.retired.mu.Lock()
	defer m.retired.mu.Unlock()
	for _, since := range m.retired.since {
		if since.IsZero() {
			return true
		}
	}
	return false
}

// sweepUnscraped deletes every retired destination's series at once
// where no registry reads them: nothing can show their last counts, and
// memory must not keep a set per channel ever watched either.
func (m *metrics) sweepUnscraped() {
	if !m.retired.scraped {
		m.sweep(0)
	}
}

// sweep deletes the series of the destinations whose last counts are at
// least age old.
func (m *metrics) sweep(age time.Duration) {
	m.retired.mu.Lock()
	defer m.retired.mu.Unlock()
	now := m.retired.now()
	for dest, since := range m.retired.since {
		if since.IsZero() || now.Sub(since) < age {
			continue
		}
		delete(m.retired.since, dest)
		for _, v := range m.byDestination() {
			v.DeletePartialMatch(prometheus.Labels{"destination": dest})
		}
	}
}

// destinationSeries exports the vectors with a destination label, and
// after each scrape's read of them deletes the series retired long
// enough: that scrape has shown their last counts.
type destinationSeries struct{ m *metrics }

func (d destinationSeries) Describe(ch chan<- *prometheus.Desc) {
	for _, v := range d.m.byDestination() {
		v.Describe(ch)
	}
}

func (d destinationSeries) Collect(ch chan<- prometheus.Metric) {
	for _, v := range d.m.byDestination() {
		v.Collect(ch)
	}
	d.m.sweep(retireAfter)
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
