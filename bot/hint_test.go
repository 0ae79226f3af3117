package bot

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/newshound/newshound/config"
)

// TestFeedHintHoldsWhileTheFeedIsUnchanged: "a feed on this default
// interval honours [its hints], up to one poll an hour" (examples/
// newshound.yaml, README). A feed asking for a poll an hour (<ttl>60</ttl>)
// was polled an hour after its first poll, then every 10 minutes: a 304,
// or a body the same as before, is not parsed, and the hint was read only
// from a parsed document. It holds until the feed says otherwise.
func TestFeedHintHoldsWhileTheFeedIsUnchanged(t *testing.T) {
	t.Parallel() // seconds of real waits for the poll loop, on a server and store of its own
	tests := []struct {
		name string
		etag bool // the server answers If-None-Match with 304; else it sends the same body
	}{
		{"304", true},
		{"the same body again", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const body = `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><ttl>60</ttl>` +
				`<item><guid>w1</guid><title>Weather stays mild</title><link>https://wire.example/1</link></item></channel></rss>`
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tt.etag {
					if r.Header.Get("If-None-Match") == `"v1"` {
						w.WriteHeader(http.StatusNotModified)
						return
					}
					w.Header().Set("ETag", `"v1"`)
				}
				w.Header().Set("Content-Type", "application/rss+xml")
				w.Write([]byte(body))
			}))
			defer srv.Close()
			h := newHarness(t, config.Subscription{Name: "aleppo", Query: "aleppo"})
			h.cfg.Defaults.AllowPrivateNetworks = true
			h.cfg.Defaults.HostGap = 0
			h.cfg.Feeds = []config.Feed{{Name: "wire", URL: srv.URL, Interval: 10 * time.Minute}}

			h.runOnce() // first sight, parsed: next poll in an hour
			clk := &clock{}
			t0 := h.clock
			// A second before the poll is due: at the due time the service
			// may poll before the state is read.
			clk.set(t0.Add(time.Hour - time.Second))
			_, svc, halt := runService(t, h, clk)
			defer halt()
			wire := pollerState(t, svc, "wire")
			if got, want := wire().NextPoll, t0.Add(time.Hour); !got.Equal(want) {
				t.Fatalf("first sight at %v: next poll %v, want %v (the feed's ttl)", t0, got, want)
			}
			for poll := 1; poll <= 3; poll++ {
				at := t0.Add(time.Duration(poll) * time.Hour)
				clk.set(at)
				waitUntilState(t, "the feed is polled", func() bool { return wire().LastPolled.Equal(at) }, wire)
				if got, want := wire().NextPoll, at.Add(time.Hour); !got.Equal(want) {
					t.Fatalf("poll %d at %v: next poll %v, want %v (the feed's ttl)", poll+1, at, got, want)
				}
			}
		})
	}
}
