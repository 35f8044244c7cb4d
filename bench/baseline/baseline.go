package baseline

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

var answer = []byte(`{"status":"created","case_id":"baseline","message_id":"baseline"}`)

// Handler answers every request 200: JSON for POSTs (the webhook shape),
// "ok" for anything else (so /readyz works).
func Handler(ctx *fasthttp.RequestCtx) {
	if ctx.IsPost() {
		ctx.SetContentType("application/json")
		ctx.SetBody(answer)
		return
	}
	ctx.SetContentType("text/plain")
	ctx.SetBodyString("ok")
}

// Server is a running baseline.
type Server struct {
	srv  *fasthttp.Server
	ln   net.Listener
	wg   sync.WaitGroup
	err  error
	once sync.Once
}

// Start listens on addr (host:port; port 0 picks one) and serves until
// Shutdown.
func Start(addr string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		ln: ln,
		srv: &fasthttp.Server{
			Handler:               Handler,
			Name:                  "spine-bench-baseline",
			MaxRequestBodySize:    64 << 20, // like a real mail route
			ReadTimeout:           30 * time.Second,
			IdleTimeout:           time.Minute,
			NoDefaultDate:         true,
			NoDefaultServerHeader: true,
		},
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			s.err = err
		}
	}()
	return s, nil
}

// Addr returns the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Shutdown stops accepting, waits for open requests and the serving
// goroutine. It is idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		err = s.srv.ShutdownWithContext(ctx)
		s.wg.Wait()
		if err == nil {
			err = s.err
		}
	})
	return err
}
