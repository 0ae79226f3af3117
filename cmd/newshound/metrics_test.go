package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestServeMetricsServesMetricsAndHealthz(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- serveMetrics(ctx, ln, newRegistry()) }()
	base := "http://" + ln.Addr().String()
	if body := get(t, base+"/metrics"); !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics lacks the Go runtime's go_goroutines:\n%s", body)
	}
	if got := get(t, base+"/healthz"); got != "ok\n" {
		t.Errorf("/healthz = %q, want ok", got)
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
