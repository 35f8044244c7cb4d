package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/cluster"
	"github.com/casespine/spine/gateway"
	"github.com/casespine/spine/gateway/auth"
	"github.com/casespine/spine/gateway/live"
	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/sharded"
	"github.com/prometheus/client_golang/prometheus"
)

// node is one running Spine node and the order its parts stop in.
type node struct {
	cfg    *serveConfig
	log    *slog.Logger
	store  *sharded.Store
	relay  *events.Relay
	member *cluster.Member
	server *gateway.Server
	auth   *auth.Auth
	ln     net.Listener
	served chan error
	debug  *http.Server
}

// serveDebug serves net/http/pprof on its own listener, apart from the API.
func (n *node) serveDebug(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("debug listener: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	n.debug = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = n.debug.Serve(ln) }()
	n.log.Info("pprof listening", "addr", ln.Addr().String())
	return nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, cfg := serveFlags(stderr)
	set, err := parseCommand(fs, args)
	if err != nil {
		return err
	}
	if err := cfg.applyProfile(set); err != nil {
		return err
	}
	n, err := startNode(cfg, stderr)
	if err != nil {
		return err
	}
	n.log.Info("spine node ready", "addr", n.ln.Addr().String(), "data", cfg.data, "env", cfg.env)
	if cfg.demo {
		if err := n.printDemo(stdout); err != nil {
			n.log.Error("could not set up the demo tenant", "err", err)
		}
	}
	select {
	case <-ctx.Done():
		n.log.Info("shutting down", "grace", cfg.shutdownGrace)
	case err := <-n.served:
		n.log.Error("HTTP server stopped", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownGrace)
	defer cancel()
	return n.shutdown(sctx)
}

func newLogger(cfg *serveConfig, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.logLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	o := &slog.HandlerOptions{Level: level}
	switch cfg.logFormat {
	case "json":
		return slog.New(slog.NewJSONHandler(w, o)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, o)), nil
	}
	return nil, fmt.Errorf("log format %q: text or json", cfg.logFormat)
}

// startNode builds and starts every part, in dependency order: the signing
// key, the store, the relay (recovering unpublished events), the cluster
// member, then the HTTP server.
func startNode(cfg *serveConfig, logOut io.Writer) (_ *node, err error) {
	log, err := newLogger(cfg, logOut)
	if err != nil {
		return nil, err
	}
	log = log.With("node", cfg.node)
	if cfg.gcPercent != 0 {
		debug.SetGCPercent(cfg.gcPercent)
	}
	if err := os.MkdirAll(cfg.data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	var key []byte
	if cfg.keyFile != "" {
		key, err = auth.LoadKeyFile(cfg.keyFile)
	} else {
		key, err = auth.LoadOrCreateKey(cfg.data, true)
	}
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	a, err := auth.New(auth.Options{Key: key, DefaultTTL: cfg.tokenTTL})
	if err != nil {
		return nil, err
	}

	n := &node{cfg: cfg, log: log, auth: a, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			_ = n.shutdown(context.Background())
		}
	}()
	reg := prometheus.NewRegistry()
	metrics := gateway.NewMetrics(reg)
	bus := events.NewMemoryBus()
	var relay *events.Relay
	n.store, err = openStore(cfg, log, func(a []persistence.Appended) { relay.OnCommit(a) }, metrics.ObserveCommit)
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	relay, err = events.NewRelay(events.RelayOptions{
		Store: n.store, Bus: bus, Logger: log,
		OnPublish: func(k int) { metrics.EventsEmitted.Add(float64(k)) },
	})
	if err != nil {
		return nil, err
	}
	n.relay = relay
	if err := relay.Recover(context.Background()); err != nil {
		return nil, fmt.Errorf("publish leftover events: %w", err)
	}
	relay.Start()

	n.member, err = cluster.Start(cluster.Options{
		Host: cfg.clusterHost, Port: cfg.clusterPort, Store: n.store,
		IdleTimeout: cfg.idleTimeout, RequestTimeout: cfg.requestTimeout, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	var origins []string
	for _, o := range strings.Split(cfg.origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	n.server, err = gateway.New(gateway.Options{
		Member: n.member, Store: n.store, Auth: a, Bus: bus, Published: relay,
		Registry: reg, Metrics: metrics, Logger: log, AccessLog: cfg.accessLog, NodeName: cfg.node,
		Limits:    gateway.Limits{PostmarkBody: cfg.postmarkLimit, AdminBody: cfg.adminLimit},
		AdminRate: uint32(cfg.adminRate),
		Sockets: gateway.SocketOptions{
			DefaultMaxPerUser: uint32(cfg.maxPerUser), AllowedOrigins: origins,
			Live: live.Options{QueueEvents: cfg.queueEvents, QueueBytes: cfg.queueBytes, PingInterval: cfg.pingInterval},
		},
	})
	if err != nil {
		return nil, err
	}
	n.ln, err = net.Listen("tcp", cfg.addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	go func() { n.served <- n.server.Serve(n.ln) }()
	if cfg.debugAddr != "" {
		if err := n.serveDebug(cfg.debugAddr); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// shutdown stops the node in the written order: the edge (stop accepting,
// finish in-flight requests, close sockets with 1001), the cluster member
// (hand grains over), the relay (publish what is queued, persist the
// watermark), the store.
func (n *node) shutdown(ctx context.Context) error {
	var errs []error
	if n.server != nil {
		errs = append(errs, n.server.Shutdown(ctx))
	}
	if n.debug != nil {
		errs = append(errs, n.debug.Shutdown(ctx))
	}
	if n.member != nil {
		errs = append(errs, n.member.Shutdown(ctx))
	}
	if n.relay != nil {
		errs = append(errs, n.relay.Shutdown(ctx))
	}
	if n.store != nil {
		errs = append(errs, n.store.Close())
	}
	err := errors.Join(errs...)
	if err != nil {
		n.log.Error("shutdown", "err", err)
	} else {
		n.log.Info("stopped")
	}
	return err
}
