package storetest

import (
	"context"
	"testing"

	"github.com/newshound/newshound/store"
)

// testErrorTexts: a text from outside the process (an error quoting a
// server's answer, a response header) is kept the same on every backend,
// whatever bytes it holds: a NUL or bytes that are not UTF-8 become U+FFFD
// instead of failing the write on PostgreSQL alone.
func testErrorTexts(t *testing.T, h *harness) {
	ctx := context.Background()
	s := h.store(t)
	cases := []struct {
		name, text, want string
	}{
		{"plain", "HTTP 503", "HTTP 503"},
		{"nul", "HTTP 500: a\x00b", "HTTP 500: a\uFFFDb"},
		{"invalid utf-8", "HTTP 500: caf\xe9", "HTTP 500: caf\uFFFD"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			feed := string(rune('a' + i))
			st := store.FeedState{FeedID: feed, URL: "https://example.com/" + feed, ErrorCount: 1,
				LastError: c.text, DisabledReason: c.text, ETag: c.text, LastModified: c.text}
			if err := s.SaveFeedState(ctx, st); err != nil {
				t.Fatalf("SaveFeedState(%q): %v", c.text, err)
			}
			got, err := s.FeedState(ctx, feed)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range []struct{ field, got string }{
				{"LastError", got.LastError}, {"DisabledReason", got.DisabledReason},
				{"ETag", got.ETag}, {"LastModified", got.LastModified},
			} {
				if f.got != c.want {
					t.Errorf("FeedState.%s = %q, want %q", f.field, f.got, c.want)
				}
			}
			dest := "dest-" + feed
			commit(t, s, feed, poll(feed, []string{"k"}, alert(dest, "k")))
			a := pending(t, s, dest, h.clock.Now())
			if err := s.MarkFailed(ctx, a[0].ID, c.text, h.clock.Now()); err != nil {
				t.Fatalf("MarkFailed(%q): %v", c.text, err)
			}
			stats, err := s.OutboxStats(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range stats {
				if o.Destination == dest && o.LastError != c.want {
					t.Errorf("OutboxStats LastError = %q, want %q", o.LastError, c.want)
				}
			}
			if err := s.MarkDropped(ctx, a[0].ID, c.text); err != nil {
				t.Fatalf("MarkDropped(%q): %v", c.text, err)
			}
		})
	}
}
