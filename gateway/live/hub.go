package live

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/casespine/spine/actors/events"
	"github.com/fasthttp/websocket"
)

// Leases is the session's view of its per-user connection lease, kept by the
// tenant actor.
type Leases interface {
	// Renew extends the lease; false means the slot is gone and can't be had
	// again within the cap.
	Renew(clientID, sub, connID string, ttl time.Duration) (bool, error)
	// Release frees the slot. It must be idempotent.
	Release(clientID, sub, connID string) error
}

// Options configures a Hub. Zero fields take the documented defaults.
type Options struct {
	// QueueEvents bounds the events queued for one socket. Default 4096.
	QueueEvents int
	// QueueBytes bounds the bytes queued for one socket. Default 4 MiB.
	QueueBytes int
	// FrameEvents bounds the events merged into one frame. Default 256.
	FrameEvents int
	// PingInterval between server pings; a client silent for two intervals
	// is dropped. Default 25 s.
	PingInterval time.Duration
	// WriteTimeout of one frame write. Default 5 s.
	WriteTimeout time.Duration
	// LeaseTTL of a connection lease; renewed every third of it. Default 60 s.
	LeaseTTL time.Duration
	// OnOpen and OnClose, if set, observe sessions (metrics).
	OnOpen  func()
	OnClose func(code int)
	Logger  *slog.Logger // nil = discard
}

// Hub tracks this node's sessions.
type Hub struct {
	opts   Options
	log    *slog.Logger
	system *actor.ActorSystem
	bus    events.Bus
	leases Leases

	mu       sync.Mutex
	sessions map[*session]struct{}
	closing  bool
	wg       sync.WaitGroup
}

// NewHub returns a hub whose sessions subscribe to bus and spawn their
// actors in system.
func NewHub(opts Options, system *actor.ActorSystem, bus events.Bus, leases Leases) (*Hub, error) {
	if system == nil || bus == nil || leases == nil {
		return nil, errors.New("live: hub needs an actor system, a bus and leases")
	}
	if opts.QueueEvents <= 0 {
		opts.QueueEvents = 4096
	}
	if opts.QueueBytes <= 0 {
		opts.QueueBytes = 4 << 20
	}
	if opts.FrameEvents <= 0 {
		opts.FrameEvents = 256
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 25 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 5 * time.Second
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 60 * time.Second
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Hub{opts: opts, log: l, system: system, bus: bus, leases: leases, sessions: map[*session]struct{}{}}, nil
}

// Params describe an authenticated connection whose lease is already held.
type Params struct {
	ClientID, Sub, ConnID string
	// Expires is when the token expires; the socket closes with 4001 then.
	Expires time.Time
}

// Pending is a session subscribed to its tenant's events before its
// socket exists: events committed from then on are queued for it, so a
// client that sees the upgrade answered misses nothing. Serve it with the
// upgraded connection, or Abort it if the upgrade fails.
type Pending struct {
	s      *session
	cancel func()
	state  atomic.Int32 // pendingWaiting, pendingServed or pendingAborted
	timer  *time.Timer
}

const (
	pendingWaiting int32 = iota
	pendingServed
	pendingAborted
)

// prepareTimeout bounds how long a prepared session waits for its
// connection: if the upgrade answer never reached the client, the hijacked
// connection never comes, and the subscription and lease must not leak.
const prepareTimeout = 15 * time.Second

// Prepare subscribes a session for p. Call it before answering the upgrade.
func (h *Hub) Prepare(p Params) *Pending {
	s := newSession(h, p)
	pd := &Pending{s: s, cancel: h.bus.Subscribe(p.ClientID, s)}
	pd.timer = time.AfterFunc(prepareTimeout, func() {
		if pd.state.CompareAndSwap(pendingWaiting, pendingAborted) {
			pd.cancel()
			s.release()
		}
	})
	return pd
}

// Abort drops a prepared session whose upgrade failed. It does not release
// the lease: the caller still owns it then.
func (pd *Pending) Abort() {
	if pd.state.CompareAndSwap(pendingWaiting, pendingAborted) {
		pd.timer.Stop()
		pd.cancel()
	}
}

// Serve runs the session on conn until it closes. Call it from the hijacked
// connection's goroutine; it returns when the connection is done, with the
// lease released.
func (pd *Pending) Serve(conn *websocket.Conn) {
	s, h := pd.s, pd.s.h
	if !pd.state.CompareAndSwap(pendingWaiting, pendingServed) {
		_ = conn.Close() // too late: the session was given up
		return
	}
	pd.timer.Stop()
	s.conn = conn
	h.mu.Lock()
	closing := h.closing
	if !closing {
		h.sessions[s] = struct{}{}
		h.wg.Add(1)
	}
	h.mu.Unlock()
	if closing {
		s.requestClose(CloseGoingAway)
		s.run(pd.cancel)
		return
	}
	defer func() {
		h.mu.Lock()
		delete(h.sessions, s)
		h.mu.Unlock()
		h.wg.Done()
	}()
	if h.opts.OnOpen != nil {
		h.opts.OnOpen()
	}
	s.run(pd.cancel)
}

// Serve prepares and serves a session in one step (for callers that have
// nothing to answer before the socket exists).
func (h *Hub) Serve(conn *websocket.Conn, p Params) { h.Prepare(p).Serve(conn) }

// Count is the number of open sessions.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

// Shutdown closes every session with 1001 and waits for them to end (or for
// ctx). It is idempotent; sessions arriving later are closed at once.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closing = true
	all := make([]*session, 0, len(h.sessions))
	for s := range h.sessions {
		all = append(all, s)
	}
	h.mu.Unlock()
	for _, s := range all {
		s.requestClose(CloseGoingAway)
	}
	done := make(chan struct{})
	go func() { h.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, s := range all {
			_ = s.conn.Close()
		}
		return ctx.Err()
	}
}
