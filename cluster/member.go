package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	pcluster "github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/clusterproviders/test"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"github.com/casespine/spine/cluster/grainpb"
)

// Providers of cluster membership.
const (
	// ProviderMemory is an in-process registry: a cluster of this one node.
	ProviderMemory = "memory"
)

// Options configures a Member.
type Options struct {
	// Name of the cluster; members with the same name form one. Default "spine".
	Name string
	// Host the remote endpoint binds and advertises. Default "127.0.0.1".
	Host string
	// Port of the remote endpoint; 0 picks a free one. Default 0.
	Port int
	// Provider of membership. Default ProviderMemory (a single node).
	Provider string
	// Store the grains read and commit through. Required.
	Store Store
	// IdleTimeout after which an idle grain passivates. Default 10 minutes.
	IdleTimeout time.Duration
	// RequestTimeout of one grain call attempt. Default 5 seconds.
	RequestTimeout time.Duration
	// Retries of a grain call that timed out or hit a dead letter (every
	// mutating message is idempotent). Default 3.
	Retries int
	// CommitTimeout bounds a handler's wait for its commit. Default 4 seconds.
	CommitTimeout time.Duration
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// Logger for Spine's messages. Nil = discard.
	Logger *slog.Logger
	// ActorLogger receives protoactor's own log. Nil = Logger at WARN and above.
	ActorLogger *slog.Logger
}

// Member is this node's cluster membership and actor system.
type Member struct {
	opts    Options
	system  *actor.ActorSystem
	cluster *pcluster.Cluster
	calls   []pcluster.GrainCallOption

	stopOnce sync.Once
}

// Start joins (or, alone, forms) the cluster. It takes about a second: the
// library waits for membership to settle.
func Start(opts Options) (*Member, error) {
	if opts.Store == nil {
		return nil, errors.New("cluster: a store is required")
	}
	if opts.Name == "" {
		opts.Name = "spine"
	}
	if opts.Host == "" {
		opts.Host = "127.0.0.1"
	}
	if opts.Provider == "" {
		opts.Provider = ProviderMemory
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 10 * time.Minute
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 5 * time.Second
	}
	if opts.Retries <= 0 {
		opts.Retries = 3
	}
	if opts.CommitTimeout <= 0 {
		opts.CommitTimeout = 4 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	actorLog := opts.ActorLogger
	if actorLog == nil {
		actorLog = slog.New(minLevel{opts.Logger.Handler(), slog.LevelWarn})
	}
	if opts.Provider != ProviderMemory {
		return nil, fmt.Errorf("cluster: unknown provider %q", opts.Provider)
	}
	port := opts.Port
	if port == 0 {
		p, err := freePort(opts.Host)
		if err != nil {
			return nil, err
		}
		port = p
	}

	system := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return actorLog.With("component", "protoactor")
	}))
	system.Extensions.Register(&deps{store: opts.Store, now: opts.Now, log: opts.Logger, commitTTL: opts.CommitTimeout})

	tenantKind := grainpb.NewTenantKind(func() grainpb.Tenant { return &tenantGrain{} }, opts.IdleTimeout)
	caseKind := grainpb.NewCaseKind(func() grainpb.Case { return &caseGrain{} }, opts.IdleTimeout)
	callKind := grainpb.NewCallKind(func() grainpb.Call { return &callGrain{} }, opts.IdleTimeout)
	provider := test.NewTestProvider(test.NewInMemAgent())
	cfg := pcluster.Configure(opts.Name, provider, disthash.New(), remote.Configure(opts.Host, port),
		pcluster.WithKinds(tenantKind, caseKind, callKind),
		pcluster.WithRequestTimeout(opts.RequestTimeout),
	)
	c := pcluster.New(system, cfg)
	c.StartMember()
	return &Member{
		opts: opts, system: system, cluster: c,
		calls: []pcluster.GrainCallOption{pcluster.WithTimeout(opts.RequestTimeout), pcluster.WithRetryCount(opts.Retries)},
	}, nil
}

// System is this node's actor system, for node-local actors (sockets).
func (m *Member) System() *actor.ActorSystem { return m.system }

// Address is the member's remote address.
func (m *Member) Address() string { return m.system.Address() }

// Shutdown leaves the cluster gracefully, handing grains over. It is
// idempotent and takes about two seconds (the library waits for gossip).
func (m *Member) Shutdown(ctx context.Context) error {
	m.stopOnce.Do(func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			m.cluster.Shutdown(true)
		}()
		select {
		case <-done:
		case <-ctx.Done():
		}
	})
	return nil
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("cluster: pick a port: %w", err)
	}
	defer l.Close()
	_, p, _ := net.SplitHostPort(l.Addr().String())
	return strconv.Atoi(p)
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	level slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.level && h.Handler.Enabled(ctx, l)
}
func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.level}
}
func (h minLevel) WithGroup(n string) slog.Handler { return minLevel{h.Handler.WithGroup(n), h.level} }
