package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/newshound/newshound/bot"
)

func TestServeMetricsServesMetricsAndProbes(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	health := func() bot.Health {
		return bot.Health{Live: true, Ready: false, Reasons: []string{"destination desk failing for 2m0s: HTTP 503"}}
	}
	go func() { done <- serveMetrics(ctx, ln, newRegistry(), health) }()
	base := "http://" + ln.Addr().String()
	if body := get(t, base+"/metrics"); !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics lacks the Go runtime's go_goroutines:\n%s", body)
	}
	if got := get(t, base+"/healthz"); got != `{"live":true,"reasons":["destination desk failing for 2m0s: HTTP 503"]}`+"\n" {
		t.Errorf("/healthz = %q, want live", got)
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"ready":false`) || !strings.Contains(string(body), "HTTP 503") {
		t.Errorf("/readyz = %d %s, want 503 with the reason", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serveMetrics: %v", err)
	}
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
