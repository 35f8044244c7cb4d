package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casespine/spine/actors/calls"
	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/cluster"
	"github.com/casespine/spine/gateway/auth"
	"github.com/casespine/spine/gateway/live"
	"github.com/casespine/spine/persistence"
	"github.com/fasthttp/router"
	"github.com/fasthttp/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// Store is the read side the gateway needs: committed state, read directly.
type Store interface {
	Get(key []byte) ([]byte, bool, error)
	Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error)
	ReadLog(log []byte, after uint64, limit int) ([]persistence.Entry, error)
	LogHead(log []byte) (uint64, error)
}

// Published reports how far a tenant's event log has been published.
type Published interface {
	Published(clientID string) uint64
}

// Limits are per-route body limits in bytes.
type Limits struct {
	// Postmark inbound: Postmark accepts mail up to 35 MB with attachments,
	// which base64 and JSON inflate. Default 64 MiB.
	PostmarkBody int
	// Admin API writes. Default 1 MiB.
	AdminBody int
}

// SocketOptions configure the live event socket.
type SocketOptions struct {
	// DefaultMaxPerUser caps concurrent sockets per (tenant, sub) unless the
	// tenant sets its own. Default 5.
	DefaultMaxPerUser uint32
	// AllowedOrigins lists the Origin values browsers may connect from; "*"
	// allows any. Empty allows requests without Origin and same-host ones.
	AllowedOrigins []string
	// Live configures queues, frames, pings and leases.
	Live live.Options
}

// Options configures a Server.
type Options struct {
	Member    *cluster.Member      // required
	Store     Store                // required
	Auth      *auth.Auth           // required
	Bus       events.Bus           // required
	Published Published            // required
	Registry  *prometheus.Registry // required: /metrics serves it
	Metrics   *Metrics             // required: built on Registry
	Logger    *slog.Logger         // nil = discard
	// AccessLog logs one line per request at INFO. Default false.
	AccessLog bool
	Limits    Limits
	// AdminRate is each tenant's admin API requests per second (bursts of
	// twice that) unless the tenant sets its own. Default 0: unlimited.
	AdminRate uint32
	Sockets   SocketOptions
	// NodeName labels this node in responses and logs. Default "spine".
	NodeName string
}

// Server is the HTTP and WebSocket edge of one node.
type Server struct {
	opts     Options
	log      *slog.Logger
	srv      *fasthttp.Server
	hub      *live.Hub
	upgrader websocket.FastHTTPUpgrader
	origins  map[string]bool
	anyOrig  bool

	ready    atomic.Bool
	ln       net.Listener
	serveErr chan error
	stopOnce sync.Once
}

// New builds a server; Serve starts it.
func New(opts Options) (*Server, error) {
	if opts.Member == nil || opts.Store == nil || opts.Auth == nil || opts.Bus == nil || opts.Published == nil || opts.Registry == nil || opts.Metrics == nil {
		return nil, errors.New("gateway: member, store, auth, bus, published, registry and metrics are required")
	}
	if opts.Limits.PostmarkBody <= 0 {
		opts.Limits.PostmarkBody = 64 << 20
	}
	if opts.Limits.AdminBody <= 0 {
		opts.Limits.AdminBody = 1 << 20
	}
	if opts.Sockets.DefaultMaxPerUser == 0 {
		opts.Sockets.DefaultMaxPerUser = 5
	}
	if opts.NodeName == "" {
		opts.NodeName = "spine"
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{opts: opts, log: l, origins: map[string]bool{}, serveErr: make(chan error, 1)}
	for _, o := range opts.Sockets.AllowedOrigins {
		if o == "*" {
			s.anyOrig = true
		}
		s.origins[strings.TrimRight(o, "/")] = true
	}
	lopts := opts.Sockets.Live
	lopts.Logger = l
	lopts.OnOpen = func() { opts.Metrics.SocketsOpen.Inc() }
	lopts.OnClose = func(code int) {
		opts.Metrics.SocketsOpen.Dec()
		opts.Metrics.SocketCloses.WithLabelValues(strconv.Itoa(code)).Inc()
	}
	hub, err := live.NewHub(lopts, opts.Member.System(), opts.Bus, leases{opts.Member, opts.Sockets.DefaultMaxPerUser})
	if err != nil {
		return nil, err
	}
	s.hub = hub
	s.upgrader = websocket.FastHTTPUpgrader{
		HandshakeTimeout: 10 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  4096,
		WriteBufferPool:  &sync.Pool{},
		CheckOrigin:      s.checkOrigin,
	}
	s.srv = &fasthttp.Server{
		Handler:               s.middleware(s.routes().Handler),
		Name:                  "spine",
		ReadTimeout:           60 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		MaxRequestBodySize:    opts.Limits.AdminBody,
		HeaderReceived:        s.headerReceived,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		ReduceMemoryUsage:     false,
		Logger:                fasthttpLogger{l},
		ErrorHandler:          s.errorHandler,
	}
	return s, nil
}

// Serve accepts connections on ln until Shutdown. It returns once the
// listener is closed.
func (s *Server) Serve(ln net.Listener) error {
	s.ln = ln
	s.ready.Store(true)
	err := s.srv.Serve(ln)
	s.serveErr <- err
	return err
}

// Addr is the listening address once Serve runs.
func (s *Server) Addr() string {
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Shutdown drains the node's edge: stop accepting and mark not ready,
// finish in-flight requests, close every socket with 1001. Idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.stopOnce.Do(func() {
		s.ready.Store(false)
		herr := s.hub.Shutdown(ctx)
		serr := s.srv.ShutdownWithContext(ctx)
		err = errors.Join(herr, serr)
	})
	return err
}

// headerReceived applies each route's body limit before the body is read.
func (s *Server) headerReceived(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if strings.HasPrefix(string(h.RequestURI()), "/webhooks/postmark/") {
		return fasthttp.RequestConfig{MaxRequestBodySize: s.opts.Limits.PostmarkBody, ReadTimeout: 5 * time.Minute}
	}
	return fasthttp.RequestConfig{MaxRequestBodySize: s.opts.Limits.AdminBody}
}

// errorHandler answers requests fasthttp rejects before routing.
func (s *Server) errorHandler(ctx *fasthttp.RequestCtx, err error) {
	if errors.Is(err, fasthttp.ErrBodyTooLarge) {
		writeProblem(ctx, errTooLarge)
		ctx.SetConnectionClose()
		return
	}
	writeProblem(ctx, errBadJSON)
	ctx.SetConnectionClose()
}

func (s *Server) checkOrigin(ctx *fasthttp.RequestCtx) bool {
	origin := string(ctx.Request.Header.Peek("Origin"))
	if origin == "" || s.anyOrig || s.origins[strings.TrimRight(origin, "/")] {
		return true
	}
	o := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	return o == string(ctx.Host())
}

func (s *Server) routes() *router.Router {
	r := router.New()
	r.SaveMatchedRoutePath = true
	r.RedirectTrailingSlash = false
	r.HandleMethodNotAllowed = true
	r.NotFound = func(ctx *fasthttp.RequestCtx) { writeProblem(ctx, errNotFound) }
	r.MethodNotAllowed = func(ctx *fasthttp.RequestCtx) { writeProblem(ctx, errMethod) }
	r.PanicHandler = nil // the middleware recovers

	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", s.metricsHandler())

	r.POST("/admin/clients", s.authed(s.createTenant))
	r.GET("/admin/clients/{cid}", s.tenantScoped(s.getTenant))
	r.POST("/admin/clients/{cid}/tokens", s.tenantScoped(s.issueToken))
	r.GET("/admin/clients/{cid}/cases", s.tenantScoped(listOf(s, cases.List)))
	r.GET("/admin/clients/{cid}/cases/{case_id}", s.tenantScoped(s.getCase))
	r.GET("/admin/clients/{cid}/cases/{case_id}/messages", s.tenantScoped(s.listMessages))
	r.GET("/admin/clients/{cid}/event-log", s.tenantScoped(s.eventLog))
	r.POST("/admin/clients/{cid}/calls", s.tenantScoped(s.startCall))
	r.GET("/admin/clients/{cid}/calls", s.tenantScoped(listOf(s, calls.List)))
	r.GET("/admin/clients/{cid}/calls/{call_id}", s.tenantScoped(s.getCall))
	r.POST("/admin/clients/{cid}/calls/{call_id}/active", s.tenantScoped(s.transition(calls.StatusActive)))
	r.POST("/admin/clients/{cid}/calls/{call_id}/end", s.tenantScoped(s.transition(calls.StatusEnded)))
	r.GET("/admin/clients/{cid}/events", s.eventsSocket)
	r.POST("/admin/runtime/gc", s.authed(s.runtimeGC))

	r.POST("/webhooks/postmark/{cid}/{token}", s.postmark)
	return r
}

func (s *Server) healthz(ctx *fasthttp.RequestCtx) {
	writeJSON(ctx, 200, map[string]string{"status": "ok", "node": s.opts.NodeName})
}

func (s *Server) readyz(ctx *fasthttp.RequestCtx) {
	if !s.ready.Load() {
		writeJSON(ctx, 503, map[string]string{"status": "not ready"})
		return
	}
	writeJSON(ctx, 200, map[string]string{"status": "ready", "node": s.opts.NodeName})
}

// fasthttpLogger sends fasthttp's own messages to slog at DEBUG.
type fasthttpLogger struct{ l *slog.Logger }

func (f fasthttpLogger) Printf(format string, args ...any) {
	if f.l.Enabled(context.Background(), slog.LevelDebug) {
		f.l.Debug("fasthttp", "msg", strings.TrimSpace(fmt.Sprintf(format, args...)))
	}
}
