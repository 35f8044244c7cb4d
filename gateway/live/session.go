package live

import (
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/casespine/spine/actors/events"
	"github.com/fasthttp/websocket"
)

// session is one live socket.
type session struct {
	h    *Hub
	conn *websocket.Conn
	p    Params

	mu         sync.Mutex
	queue      []*events.Event
	spare      []*events.Event
	qbytes     int
	lastOffset uint64
	closeCode  int
	started    bool // conn is set and the writer runs

	wake       chan struct{} // a token: the queue or closeCode changed
	done       chan struct{} // closed when the reader is done
	writerDone chan struct{}

	releaseOnce sync.Once
	released    atomic.Bool // set before the lease is released
	watchdog    *time.Timer
	watchOnce   sync.Once
}

func newSession(h *Hub, p Params) *session {
	return &session{
		h: h, p: p,
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

// Deliver queues an event for the writer. It never blocks: a full queue
// closes the session with 4008. Events at or below the last offset
// delivered (a republish after a restart) are dropped, so each event reaches
// a connection at most once.
func (s *session) Deliver(ev *events.Event) {
	s.mu.Lock()
	if s.closeCode != 0 || ev.Offset <= s.lastOffset {
		s.mu.Unlock()
		return
	}
	s.lastOffset = ev.Offset
	if len(s.queue) >= s.h.opts.QueueEvents || s.qbytes+len(ev.Payload) > s.h.opts.QueueBytes {
		s.closeCode = CloseSlowConsumer
		s.queue, s.qbytes = nil, 0
		s.mu.Unlock()
		s.signal()
		s.armWatchdog()
		return
	}
	s.queue = append(s.queue, ev)
	s.qbytes += len(ev.Payload)
	first := len(s.queue) == 1
	s.mu.Unlock()
	if first {
		s.signal()
	}
}

func (s *session) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// requestClose asks the writer to close the socket with code; the first
// code asked for wins.
func (s *session) requestClose(code int) {
	s.mu.Lock()
	if s.closeCode == 0 {
		s.closeCode = code
		s.queue, s.qbytes = nil, 0
	}
	s.mu.Unlock()
	s.signal()
	s.armWatchdog()
}

// armWatchdog drops the TCP connection if the close handshake has not ended
// in time (a client that stopped reading never lets the close frame out).
// A session still waiting for its connection arms it when it starts.
func (s *session) armWatchdog() {
	s.mu.Lock()
	started := s.started
	s.mu.Unlock()
	if !started {
		return
	}
	s.watchOnce.Do(func() {
		t := time.AfterFunc(s.h.opts.WriteTimeout+time.Second, func() { _ = s.conn.Close() })
		s.mu.Lock()
		s.watchdog = t
		s.mu.Unlock()
	})
}

func (s *session) release() {
	s.releaseOnce.Do(func() {
		s.released.Store(true)
		if err := s.h.leases.Release(s.p.ClientID, s.p.Sub, s.p.ConnID); err != nil {
			s.h.log.Warn("could not release a connection lease; it expires with its TTL", "client_id", s.p.ClientID, "err", err)
		}
	})
}

// run serves the session until the connection is done; cancel ends its
// subscription.
func (s *session) run(cancel func()) {
	s.mu.Lock()
	s.started = true
	closing := s.closeCode != 0
	s.mu.Unlock()
	if closing {
		s.armWatchdog()
	}
	pid := s.h.system.Root.Spawn(actor.PropsFromProducer(func() actor.Actor { return &controller{s: s} }))
	go s.writeLoop()
	s.readLoop()

	close(s.done)
	cancel()
	s.release()
	<-s.writerDone
	s.h.system.Root.Stop(pid)
	_ = s.conn.Close()
	s.mu.Lock()
	code, watchdog := s.closeCode, s.watchdog
	s.mu.Unlock()
	if watchdog != nil {
		watchdog.Stop()
	}
	if s.h.opts.OnClose != nil {
		s.h.opts.OnClose(code)
	}
}

// readLoop reads until the connection fails or closes. Clients send no data
// frames; control frames are handled by the library's handlers.
func (s *session) readLoop() {
	c := s.conn
	c.SetReadLimit(4096)
	wait := 2*s.h.opts.PingInterval + s.h.opts.WriteTimeout
	_ = c.SetReadDeadline(time.Now().Add(wait))
	c.SetPongHandler(func(string) error { return c.SetReadDeadline(time.Now().Add(wait)) })
	c.SetPingHandler(func(data string) error {
		_ = c.SetReadDeadline(time.Now().Add(wait))
		err := c.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(s.h.opts.WriteTimeout))
		if errors.Is(err, websocket.ErrCloseSent) {
			return nil
		}
		return err
	})
	c.SetCloseHandler(func(code int, text string) error {
		// The client closes: free the slot before it can see the close complete.
		s.release()
		s.mu.Lock()
		if s.closeCode == 0 {
			s.closeCode = code
		}
		s.mu.Unlock()
		_ = c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
		return nil
	})
	for {
		_, _, err := c.NextReader()
		if err != nil {
			return
		}
		s.requestClose(CloseBadFrame)
	}
}

func (s *session) writeLoop() {
	defer close(s.writerDone)
	ping := time.NewTicker(s.h.opts.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-s.wake:
		case <-ping.C:
			if err := s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.h.opts.WriteTimeout)); err != nil {
				_ = s.conn.Close()
				return
			}
			continue
		case <-s.done:
			return
		}
		for {
			s.mu.Lock()
			batch, code := s.queue, s.closeCode
			s.queue, s.spare, s.qbytes = s.spare, nil, 0
			s.mu.Unlock()
			if code != 0 {
				s.sendClose(code)
				return
			}
			if len(batch) == 0 {
				break
			}
			if err := s.write(batch); err != nil {
				_ = s.conn.Close()
				return
			}
			clear(batch)
			s.mu.Lock()
			if s.spare == nil {
				s.spare = batch[:0]
			}
			s.mu.Unlock()
		}
	}
}

// frameBufs holds the buffers frames are assembled in, so an idle socket
// holds none.
var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// write sends batch as frames of at most FrameEvents events each. A frame
// is assembled whole and written with one system call: the library's
// streaming writer would cut it into buffer-sized fragments.
func (s *session) write(batch []*events.Event) error {
	if err := s.conn.SetWriteDeadline(time.Now().Add(s.h.opts.WriteTimeout)); err != nil {
		return err
	}
	bp := frameBufs.Get().(*[]byte)
	defer func() {
		if cap(*bp) <= 1<<20 { // don't keep what one huge frame grew
			frameBufs.Put(bp)
		}
	}()
	for i := 0; i < len(batch); {
		buf := (*bp)[:0]
		for n := 0; i < len(batch) && n < s.h.opts.FrameEvents; n++ {
			if n > 0 {
				buf = append(buf, '\n')
			}
			buf = append(buf, batch[i].Payload...)
			i++
		}
		*bp = buf
		if err := s.conn.WriteMessage(websocket.TextMessage, buf); err != nil {
			return err
		}
	}
	return nil
}

// sendClose frees the lease, then sends the close frame, then gives the
// client a moment to answer before the reader gives up.
func (s *session) sendClose(code int) {
	s.release()
	deadline := time.Now().Add(s.h.opts.WriteTimeout)
	if err := s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, Reason(code)), deadline); err != nil {
		_ = s.conn.Close()
		return
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(time.Second))
}

// Messages of the session actor.
type (
	renewTick  struct{}
	expireTick struct{}
)

// controller is the session actor: lease renewal and token expiry.
type controller struct {
	s             *session
	expire, renew *time.Timer
}

func (c *controller) Receive(ctx actor.Context) {
	s := c.s
	switch ctx.Message().(type) {
	case *actor.Started:
		c.expire = c.after(ctx, time.Until(s.p.Expires), expireTick{})
		c.renew = c.after(ctx, s.h.opts.LeaseTTL/3, renewTick{})
	case renewTick:
		if s.released.Load() {
			return // closing: a renewal now would take the slot back
		}
		ok, err := s.h.leases.Renew(s.p.ClientID, s.p.Sub, s.p.ConnID, s.h.opts.LeaseTTL)
		if ok && s.released.Load() {
			// Released while the renewal was in flight, which may have taken
			// the slot again (the tenant re-takes lost leases): give it back.
			if err := s.h.leases.Release(s.p.ClientID, s.p.Sub, s.p.ConnID); err != nil {
				s.h.log.Warn("could not release a connection lease; it expires with its TTL", "client_id", s.p.ClientID, "err", err)
			}
			return
		}
		switch {
		case err != nil:
			s.h.log.Warn("could not renew a connection lease; retrying", "client_id", s.p.ClientID, "err", err)
			c.renew = c.after(ctx, time.Second, renewTick{})
		case !ok:
			s.requestClose(CloseOverCap)
		default:
			c.renew = c.after(ctx, s.h.opts.LeaseTTL/3, renewTick{})
		}
	case expireTick:
		s.requestClose(CloseTokenInvalid)
	case *actor.Stopping:
		for _, t := range []*time.Timer{c.expire, c.renew} {
			if t != nil {
				t.Stop()
			}
		}
	}
}

func (c *controller) after(ctx actor.Context, d time.Duration, msg any) *time.Timer {
	self, root := ctx.Self(), ctx.ActorSystem().Root
	return time.AfterFunc(max(d, 0), func() { root.Send(self, msg) })
}
