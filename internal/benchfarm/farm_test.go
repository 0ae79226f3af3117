package benchfarm

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestFarm(t *testing.T) {
	f := New(Options{Feeds: 4, Items: 3})
	srv := httptest.NewServer(f.Handler())
	defer srv.Close()
	get := func(path, etag string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	resp, body := get("/f/1", "")
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != http.StatusOK || etag == "" || resp.Header.Get("Last-Modified") == "" {
		t.Fatalf("first fetch: %s, ETag %q, Last-Modified %q", resp.Status, etag, resp.Header.Get("Last-Modified"))
	}
	if n := strings.Count(body, "<item>"); n != 3 {
		t.Errorf("%d items, want 3", n)
	}
	if words := len(strings.Fields(body)) / 3; words < 100 {
		t.Errorf("about %d words an item, want 100–300", words)
	}
	if strings.Contains(body, DefaultMarker) || strings.Contains(body, "Bulletin") {
		t.Error("an item carries the marker before any round")
	}
	if resp, _ := get("/f/1", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("conditional GET with the current ETag: %s, want 304", resp.Status)
	}

	// Half the feeds change per round, rotating; every other new item matches.
	if r := f.Advance(0.5, 0.5); r.Changed != 2 || r.Matching != 1 {
		t.Errorf("round 1 = %+v, want 2 changed, 1 matching", r)
	}
	if r := f.Advance(0.5, 0.5); r.Changed != 2 || r.Matching != 1 {
		t.Errorf("round 2 = %+v, want 2 changed, 1 matching", r)
	}
	resp, body = get("/f/1", etag)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("ETag") == etag {
		t.Errorf("changed feed: %s, ETag %q (was %q): want a new document", resp.Status, resp.Header.Get("ETag"), etag)
	}
	if !strings.Contains(body, "Bulletin: ") {
		t.Error("feed 1's new item does not carry the marker (the first new item of each round matches)")
	}

	// Posting the item's link to the fake Discord counts it as posted.
	s := f.Stats(time.Time{})
	if s.Published != 2 || s.Posted != 0 || len(s.Missing) != 2 {
		t.Fatalf("stats before posting = %+v, want 2 published, none posted", s)
	}
	msg, _ := json.Marshal(map[string]any{"embeds": []map[string]string{{"url": s.Missing[0]}, {"url": s.Missing[1]}}})
	post, err := http.Post(srv.URL+"/api/v9/channels/42/messages", "application/json", bytes.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]string
	json.NewDecoder(post.Body).Decode(&answer)
	post.Body.Close()
	if answer["id"] == "" || answer["channel_id"] != "42" {
		t.Errorf("fake Discord answered %v, want a message id and the channel", answer)
	}
	s = f.Stats(time.Time{})
	if s.Posted != 2 || len(s.Missing) != 0 || s.Latencies != 2 || s.LatencyP99 < s.LatencyP50 || s.Messages != 1 {
		t.Errorf("stats after posting = %+v, want both posted with latencies, one message", s)
	}
	if s := f.Stats(time.Now().Add(time.Hour)); s.Latencies != 0 {
		t.Errorf("latencies since a later time = %d, want 0", s.Latencies)
	}
}

func TestServeManyHosts(t *testing.T) {
	f := New(Options{Feeds: 3, Hosts: 3, Items: 2})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan Addrs, 1)
	done := make(chan error, 1)
	go func() { done <- f.Serve(ctx, func(a Addrs) { ready <- a }) }()
	var a Addrs
	select {
	case a = <-ready:
	case err := <-done:
		t.Skipf("cannot listen on several loopback addresses here: %v", err)
	}
	for i := range 3 {
		u := a.FeedURL(i)
		if !strings.Contains(u, "127.0.0."+string(rune('1'+i))+":") {
			t.Errorf("feed %d at %s, want host 127.0.0.%d", i, u, i+1)
		}
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", u, resp.Status)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}
