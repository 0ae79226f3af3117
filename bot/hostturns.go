package bot

import (
	"context"
	"net/url"
	"strings"
	"sync"

	"github.com/newshound/newshound/alert"
	"github.com/newshound/newshound/feeds"
)

// hostTurns hands the feeds of one pass (pollAll) to its workers so that
// no worker waits for a host's slot while another host's feed could be
// fetched: a feed is handed out only while fewer feeds of its host are
// being fetched than the host allows at once
// (feeds.FetcherOptions.HostConcurrency of the feed's fetcher, which
// counts a host per fetcher), and the hosts take turns. A feed counts
// until its fetch is over, not its whole poll: the parse and the store's
// commit take no slot of the host. A feed is counted under the host of its configured URL (one
// moved permanently elsewhere may still wait for its new host's slot).
type hostTurns struct {
	limit func(hostKey) int

	mu      sync.Mutex
	queues  map[hostKey][]*alert.Feed
	order   []hostKey // the hosts with feeds waiting, the next turn first
	busy    map[hostKey]int
	left    int
	changed chan struct{} // closed, and replaced, when a feed is done
}

// hostKey names a host as one fetcher's politeness counts it; the zero
// value stands for feeds no host limits (file: URLs).
type hostKey struct {
	fetcher *feeds.Fetcher
	host    string
}

// newHostTurns queues list by key, each host's feeds in list order;
// limit says how many feeds of a host may be in flight at once.
func newHostTurns(list []*alert.Feed, key func(*alert.Feed) hostKey, limit func(hostKey) int) *hostTurns {
	t := &hostTurns{limit: limit, queues: map[hostKey][]*alert.Feed{}, busy: map[hostKey]int{},
		left: len(list), changed: make(chan struct{})}
	for _, f := range list {
		k := key(f)
		if _, ok := t.queues[k]; !ok {
			t.order = append(t.order, k)
		}
		t.queues[k] = append(t.queues[k], f)
	}
	return t
}

// next returns the next feed to poll, waiting while every host with feeds
// left has as many being fetched as it allows; ok is false once every
// feed was handed out or ctx is done. The caller calls done with k when
// the feed's fetch is over.
func (t *hostTurns) next(ctx context.Context) (f *alert.Feed, k hostKey, ok bool) {
	t.mu.Lock()
	for {
		if t.left == 0 || ctx.Err() != nil {
			t.mu.Unlock()
			return nil, hostKey{}, false
		}
		for i, k := range t.order {
			if t.busy[k] >= t.limit(k) {
				continue
			}
			q := t.queues[k]
			f, t.queues[k] = q[0], q[1:]
			t.order = append(t.order[:i], t.order[i+1:]...)
			if len(t.queues[k]) > 0 {
				t.order = append(t.order, k) // its next feed waits for the others' turns
			}
			t.busy[k]++
			t.left--
			t.mu.Unlock()
			return f, k, true
		}
		changed := t.changed
		t.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
		}
		t.mu.Lock()
	}
}

// done ends the fetch of a feed next handed out under k.
func (t *hostTurns) done(k hostKey) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.busy[k]--
	close(t.changed)
	t.changed = make(chan struct{})
}

// fetchHost is the host a feed's fetch counts against: its fetcher's
// politeness is per host name, whatever the port; a file: URL counts
// against none.
func fetchHost(fetcher *feeds.Fetcher, feedURL string) hostKey {
	u, err := url.Parse(strings.TrimSpace(feedURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return hostKey{}
	}
	return hostKey{fetcher, strings.ToLower(u.Hostname())}
}
