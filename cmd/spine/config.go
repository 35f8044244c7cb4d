package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// profile holds the defaults an environment chooses.
type profile struct {
	tokenTTL   time.Duration
	maxPerUser uint
	adminRate  uint
	accessLog  bool
	logLevel   string
	// keyExplicit: the signing key must be given with --key-file, never
	// generated.
	keyExplicit bool
}

var profiles = map[string]profile{
	"dev":   {tokenTTL: 24 * time.Hour, maxPerUser: 5, accessLog: true, logLevel: "info"},
	"test":  {tokenTTL: 24 * time.Hour, maxPerUser: 5, accessLog: false, logLevel: "warn"},
	"bench": {tokenTTL: 24 * time.Hour, maxPerUser: 5, accessLog: false, logLevel: "warn"},
	"prod":  {tokenTTL: 24 * time.Hour, maxPerUser: 5, adminRate: 200, accessLog: true, logLevel: "info", keyExplicit: true},
}

// serveConfig is every setting of `spine serve`.
type serveConfig struct {
	env            string
	addr           string
	data           string
	keyFile        string
	node           string
	demo           bool
	tokenTTL       time.Duration
	maxPerUser     uint
	accessLog      bool
	logLevel       string
	logFormat      string
	origins        string
	idleTimeout    time.Duration
	queueEvents    int
	queueBytes     int
	pingInterval   time.Duration
	postmarkLimit  int
	adminLimit     int
	clusterHost    string
	clusterPort    int
	requestTimeout time.Duration
	shutdownGrace  time.Duration
	maxStoreBytes  int64
	gcPercent      int
	debugAddr      string
	storeShards    int
	adminRate      uint
}

func serveFlags(stderr io.Writer) (*flag.FlagSet, *serveConfig) {
	c := &serveConfig{}
	fs := flag.NewFlagSet("spine serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.env, "env", "dev", "environment: dev, test, bench or prod; chooses the defaults below")
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "HTTP listen address")
	fs.StringVar(&c.data, "data", "./data", "data directory (bbolt file, signing key)")
	fs.StringVar(&c.keyFile, "key-file", "", "signing key file (default DATA/signing.key; required in prod)")
	fs.StringVar(&c.node, "node", "", "node name in logs and metrics (default the hostname)")
	fs.BoolVar(&c.demo, "demo", false, "create the `demo` tenant if there is none and print a token and curl lines")
	fs.DurationVar(&c.tokenTTL, "token-ttl", 0, "default token lifetime (env default 24h)")
	fs.UintVar(&c.maxPerUser, "max-conns-per-user", 0, "live sockets per (tenant, sub) unless the tenant sets its own (env default 5)")
	fs.UintVar(&c.adminRate, "admin-rate", 0, "admin API requests per second per tenant, bursts of twice that, unless the tenant sets its own; 0 = unlimited (env default: 200 in prod, else unlimited)")
	fs.BoolVar(&c.accessLog, "access-log", false, "log one line per HTTP request (env default: on in dev and prod)")
	fs.StringVar(&c.logLevel, "log-level", "", "debug, info, warn or error (env default)")
	fs.StringVar(&c.logFormat, "log-format", "text", "text or json")
	fs.StringVar(&c.origins, "allowed-origins", "", "comma-separated Origins allowed to open the event socket; * for any")
	fs.DurationVar(&c.idleTimeout, "idle-timeout", 10*time.Minute, "idle time after which a tenant or case actor passivates")
	fs.IntVar(&c.queueEvents, "socket-queue-events", 4096, "events queued per socket before it is closed with 4008")
	fs.IntVar(&c.queueBytes, "socket-queue-bytes", 4<<20, "bytes queued per socket before it is closed with 4008")
	fs.DurationVar(&c.pingInterval, "ping-interval", 25*time.Second, "socket keepalive ping interval")
	fs.IntVar(&c.postmarkLimit, "postmark-body-limit", 64<<20, "body limit of the Postmark webhook, bytes")
	fs.IntVar(&c.adminLimit, "admin-body-limit", 1<<20, "body limit of admin API writes, bytes")
	fs.StringVar(&c.clusterHost, "cluster-host", "127.0.0.1", "host of this member's cluster endpoint")
	fs.IntVar(&c.clusterPort, "cluster-port", 0, "port of this member's cluster endpoint (0 = any free port)")
	fs.DurationVar(&c.requestTimeout, "request-timeout", 5*time.Second, "timeout of one actor call")
	fs.DurationVar(&c.shutdownGrace, "shutdown-grace", 15*time.Second, "how long SIGTERM waits for in-flight work")
	fs.StringVar(&c.debugAddr, "debug-addr", "", "serve Go's pprof profiles on this address (keep it on loopback); empty = off")
	fs.IntVar(&c.gcPercent, "gc-percent", 300, "Go GC target percentage (GOGC); higher trades memory for CPU")
	fs.IntVar(&c.storeShards, "store-shards", 1, "bbolt files the store spreads tenants over, committed in parallel; helps when fsync, not CPU, is the limit (fixed once a data directory exists)")
	fs.Int64Var(&c.maxStoreBytes, "max-store-bytes", 0, "cap on the store's size, split evenly over its shards; writes beyond it answer 503 (0 = the disk is the limit)")
	return fs, c
}

// parseWithEnv applies SPINE_* variables as defaults, then the command line.
// It returns the names of flags set by either.
func parseWithEnv(fs *flag.FlagSet, args []string) (map[string]bool, error) {
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SPINE_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s: %w", name, err)
			}
		}
	})
	if envErr != nil {
		return nil, envErr
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set, nil
}

// parseCommand parses a command's flags (see parseWithEnv): flag.ErrHelp
// when help was asked for, errUsage for anything else wrong (the flag
// package has printed why).
func parseCommand(fs *flag.FlagSet, args []string) (map[string]bool, error) {
	set, err := parseWithEnv(fs, args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return nil, err
	case err != nil:
		return nil, errUsage
	}
	return set, nil
}

// applyProfile fills the settings the environment chooses and the user did
// not set.
func (c *serveConfig) applyProfile(set map[string]bool) error {
	p, ok := profiles[c.env]
	if !ok {
		return fmt.Errorf("unknown environment %q (dev, test, bench, prod)", c.env)
	}
	if !set["token-ttl"] {
		c.tokenTTL = p.tokenTTL
	}
	if !set["max-conns-per-user"] {
		c.maxPerUser = p.maxPerUser
	}
	if !set["admin-rate"] {
		c.adminRate = p.adminRate
	}
	if !set["access-log"] {
		c.accessLog = p.accessLog
	}
	if !set["log-level"] {
		c.logLevel = p.logLevel
	}
	if p.keyExplicit && c.keyFile == "" {
		return fmt.Errorf("environment %s needs an explicit signing key: --key-file (SPINE_KEY_FILE)", c.env)
	}
	if c.node == "" {
		c.node, _ = os.Hostname()
	}
	return nil
}
