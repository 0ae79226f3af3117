package main

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/newshound/newshound/bot"
)

// serveMetrics serves Prometheus metrics at /metrics, liveness at /healthz
// (the service's loops turn) and readiness at /readyz (store writable, no
// destination failing or paused for long, not every feed failing) on ln
// until ctx ends, then shuts the server down. The probes answer 200 or
// 503 with a JSON body of reasons.
func serveMetrics(ctx context.Context, ln net.Listener, g prometheus.Gatherer, health func() bot.Health) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := health()
		writeProbe(w, h.Live, map[string]any{"live": h.Live, "reasons": h.Reasons})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		h := health()
		writeProbe(w, h.Ready, map[string]any{"ready": h.Ready, "reasons": h.Reasons})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	err := srv.Serve(ln)
	cancel()
	<-stopped
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func writeProbe(w http.ResponseWriter, ok bool, body map[string]any) {
	if body["reasons"] == nil || len(body["reasons"].([]string)) == 0 {
		body["reasons"] = []string{}
	}
	w.Header().Set("Content-Type", "application/json")
	if !ok {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(body)
}

// newRegistry is a metrics registry with newshound's process and Go
// runtime collectors.
func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}
