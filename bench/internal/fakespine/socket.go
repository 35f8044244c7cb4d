package fakespine

import (
	"bytes"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

var sessionSeq atomic.Int64

// session is one open socket: a bounded queue and one writer that batches
// whatever is queued into one newline-separated frame.
type session struct {
	n     int64
	conn  *websocket.Conn
	queue chan []byte
	stop  chan struct{}
	once  sync.Once
	code  atomic.Int32
}

func (x *session) send(raw []byte) {
	select {
	case x.queue <- raw:
	default:
		x.close(4008) // slow consumer
	}
}

func (x *session) close(code int) {
	x.once.Do(func() {
		x.code.Store(int32(code))
		close(x.stop)
	})
}

func (x *session) writer(wg *sync.WaitGroup) {
	defer wg.Done()
	var buf bytes.Buffer
	for {
		select {
		case <-x.stop:
			_ = x.conn.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(int(x.code.Load()), ""), time.Now().Add(time.Second))
			// Let the reader see the client's answer, but not wait forever.
			_ = x.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
			return
		case raw := <-x.queue:
			buf.Reset()
			buf.Write(raw)
		batch:
			for i := 0; i < 15; i++ {
				select {
				case more := <-x.queue:
					buf.WriteByte('\n')
					buf.Write(more)
				default:
					break batch
				}
			}
			_ = x.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if err := x.conn.WriteMessage(websocket.TextMessage, buf.Bytes()); err != nil {
				x.close(websocket.CloseAbnormalClosure)
			}
		}
	}
}

var upgrader = websocket.FastHTTPUpgrader{
	ReadBufferSize:  1024,
	WriteBufferSize: 4096,
	CheckOrigin:     func(*fasthttp.RequestCtx) bool { return true },
}

func (s *Server) upgrade(ctx *fasthttp.RequestCtx, t *tenant, c claims) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		problem(ctx, 503, "shutting down")
		return
	}
	if t.conns[c.sub] >= t.cap && s.o.Fault != IgnoreCap {
		s.mu.Unlock()
		ctx.Response.Header.Set("Retry-After", "1")
		problem(ctx, 429, "over the per-user connection cap")
		return
	}
	t.conns[c.sub]++
	s.sessionWG.Add(1)
	// Subscribe before the upgrade answers, so that an event committed
	// after the client sees its socket open is never missed.
	x := &session{n: sessionSeq.Add(1), queue: make(chan []byte, 8192), stop: make(chan struct{})}
	s.opened++
	drop := s.o.Fault == DropIdle && s.opened == s.o.FaultAt
	t.sessions[x] = true
	s.mu.Unlock()
	release := func() {
		s.mu.Lock()
		delete(t.sessions, x)
		delete(s.held, x)
		t.conns[c.sub]--
		s.mu.Unlock()
		s.sessionWG.Done()
	}
	err := upgrader.Upgrade(ctx, func(conn *websocket.Conn) {
		x.conn = conn
		var wg sync.WaitGroup
		wg.Add(1)
		go x.writer(&wg)
		if drop {
			x.close(4008)
		}
		// Read until the client closes; the library answers its close frame.
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				break
			}
		}
		s.mu.Lock()
		delete(t.sessions, x)
		s.mu.Unlock()
		x.close(websocket.CloseNormalClosure)
		wg.Wait()
		conn.Close()
		release()
	})
	if err != nil {
		release()
	}
}
