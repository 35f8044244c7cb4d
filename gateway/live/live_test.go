package live

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/casespine/spine/actors/events"
	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// fakeLeases records releases and which leases are held. Like the tenant
// actor, a Renew of a lease it does not hold takes it (again).
type fakeLeases struct {
	mu         sync.Mutex
	released   []string
	held       map[string]bool
	renewOK    bool
	renewDelay time.Duration // a Renew's round trip
	renews     int
}

func (f *fakeLeases) renewCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.renews
}

func (f *fakeLeases) hold(connID string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.held == nil {
		f.held = map[string]bool{}
	}
	f.held[connID] = true
}

func (f *fakeLeases) Renew(_, _, connID string, _ time.Duration) (bool, error) {
	f.mu.Lock()
	delay := f.renewDelay
	f.renews++
	f.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay) // stands in for the round trip to the tenant actor
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.renewOK && f.held != nil {
		f.held[connID] = true
	}
	return f.renewOK, nil
}

func (f *fakeLeases) Release(_, _, connID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, connID)
	delete(f.held, connID)
	return nil
}

func (f *fakeLeases) holding() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.held)
}

func (f *fakeLeases) releases() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.released...)
}

type rig struct {
	hub    *Hub
	bus    *events.MemoryBus
	leases *fakeLeases
	url    string
	n      int
	mu     sync.Mutex
}

// newRig serves hub sessions on a real loopback fasthttp server.
func newRig(t testing.TB, opts Options) *rig {
	t.Helper()
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	r := &rig{bus: events.NewMemoryBus(), leases: &fakeLeases{renewOK: true}}
	hub, err := NewHub(opts, sys, r.bus, r.leases)
	if err != nil {
		t.Fatal(err)
	}
	r.hub = hub
	up := websocket.FastHTTPUpgrader{CheckOrigin: func(*fasthttp.RequestCtx) bool { return true }}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		r.mu.Lock()
		r.n++
		p := Params{ClientID: string(ctx.QueryArgs().Peek("cid")), Sub: "u", ConnID: fmt.Sprintf("conn-%d", r.n), Expires: time.Now().Add(time.Hour)}
		r.mu.Unlock()
		if exp := ctx.QueryArgs().Peek("exp"); len(exp) > 0 {
			d, _ := time.ParseDuration(string(exp))
			p.Expires = time.Now().Add(d)
		}
		r.leases.hold(p.ConnID)
		pending := hub.Prepare(p)
		if len(ctx.QueryArgs().Peek("pre")) > 0 {
			// Committed after the subscription, before the client has its socket.
			r.bus.Publish(ev(p.ClientID, 1, `{"pre":true}`))
		}
		if err := up.Upgrade(ctx, pending.Serve); err != nil {
			pending.Abort()
		}
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() {
		_ = ln.Close()
		sys.Shutdown()
	})
	r.url = "ws://" + ln.Addr().String() + "/"
	return r
}

func (r *rig) dial(t testing.TB, query string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(r.url+"?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func ev(cid string, off uint64, payload string) *events.Event {
	return &events.Event{ClientID: cid, Offset: off, Payload: []byte(payload)}
}

// readUntilClose reads frames until the close frame and returns the events
// seen and the close code.
func readUntilClose(t *testing.T, c *websocket.Conn) ([]string, int) {
	t.Helper()
	var got []string
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	for {
		_, data, err := c.ReadMessage()
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return got, ce.Code
		}
		if err != nil {
			t.Fatalf("read: %v (after %d events)", err, len(got))
		}
		got = append(got, strings.Split(string(data), "\n")...)
	}
}

func TestDeliversInOrderOncePerOffset(t *testing.T) {
	r := newRig(t, Options{})
	c := r.dial(t, "cid=a")
	waitFor(t, "subscription", func() bool { return r.bus.Subscribers("a") == 1 })
	for i := uint64(1); i <= 500; i++ {
		r.bus.Publish(ev("a", i, fmt.Sprintf(`{"offset":%d}`, i)))
		if i%100 == 0 {
			r.bus.Publish(ev("a", i, `{"dup":true}`)) // a republished offset is dropped
			r.bus.Publish(ev("b", i, `{"other":true}`))
		}
	}
	var got []string
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	for len(got) < 500 {
		_, data, err := c.ReadMessage()
		if err != nil {
			t.Fatalf("after %d events: %v", len(got), err)
		}
		got = append(got, strings.Split(string(data), "\n")...)
	}
	for i, g := range got {
		if want := fmt.Sprintf(`{"offset":%d}`, i+1); g != want {
			t.Fatalf("event %d = %s, want %s", i, g, want)
		}
	}
}

func TestSlowConsumerClosedWith4008WithoutSlowingOthers(t *testing.T) {
	r := newRig(t, Options{QueueEvents: 64, QueueBytes: 1 << 20, WriteTimeout: 10 * time.Second})
	slow := r.dial(t, "cid=a")
	fast := r.dial(t, "cid=a")
	waitFor(t, "subscriptions", func() bool { return r.bus.Subscribers("a") == 2 })

	// The fast client reads everything as it comes.
	var fastN atomic.Int64
	fastErr := make(chan error, 1)
	go func() {
		_ = fast.SetReadDeadline(time.Now().Add(30 * time.Second))
		for fastN.Load() < 400 {
			_, data, err := fast.ReadMessage()
			if err != nil {
				fastErr <- err
				return
			}
			fastN.Add(int64(bytes.Count(data, []byte("\n")) + 1))
		}
		fastErr <- nil
	}()
	// The slow one reads nothing while 400 events of 64 KiB are published,
	// each as soon as the fast client has the previous ones: far more than
	// the slow socket's buffers and queue hold.
	big := `{"pad":"` + strings.Repeat("x", 64<<10) + `"}`
	for i := uint64(1); i <= 400; i++ {
		r.bus.Publish(ev("a", i, big))
		waitFor(t, "the fast client to keep up", func() bool { return fastN.Load() >= int64(i)-4 })
	}
	if err := <-fastErr; err != nil || fastN.Load() != 400 {
		t.Fatalf("the fast client got %d of 400 events: %v", fastN.Load(), err)
	}
	// Now the slow client reads: what was buffered, then close 4008.
	got, code := readUntilClose(t, slow)
	if code != CloseSlowConsumer {
		t.Fatalf("close code %d, want %d", code, CloseSlowConsumer)
	}
	if len(got) >= 400 {
		t.Fatalf("the slow client got all %d events, so nothing overflowed", len(got))
	}
	waitFor(t, "the slow session's lease release", func() bool { return len(r.leases.releases()) == 1 })
}

func TestExpiryAndShutdownClose(t *testing.T) {
	r := newRig(t, Options{})
	exp := r.dial(t, "cid=a&exp=300ms")
	if _, code := readUntilClose(t, exp); code != CloseTokenInvalid {
		t.Fatalf("expiry close %d", code)
	}
	c := r.dial(t, "cid=a")
	waitFor(t, "session", func() bool { return r.hub.Count() == 1 })
	done := make(chan error, 1)
	go func() { done <- r.hub.Shutdown(t.Context()) }()
	if _, code := readUntilClose(t, c); code != CloseGoingAway {
		t.Fatalf("shutdown close %d", code)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "releases", func() bool { return len(r.leases.releases()) == 2 })
}

func TestLostLeaseClosesWith4029(t *testing.T) {
	r := newRig(t, Options{LeaseTTL: 300 * time.Millisecond})
	r.leases.mu.Lock()
	r.leases.renewOK = false
	r.leases.mu.Unlock()
	c := r.dial(t, "cid=a")
	if _, code := readUntilClose(t, c); code != CloseOverCap {
		t.Fatalf("close %d, want 4029", code)
	}
}

func TestClientCloseReleasesBeforeEcho(t *testing.T) {
	r := newRig(t, Options{})
	c := r.dial(t, "cid=a")
	waitFor(t, "session", func() bool { return r.hub.Count() == 1 })
	if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, code := readUntilClose(t, c); code != 1000 {
		t.Fatalf("echo %d", code)
	}
	// The echo was written after the release.
	if n := len(r.leases.releases()); n != 1 {
		t.Fatalf("%d releases when the close completed", n)
	}
}

func TestEventsBeforeTheSocketOpensAreKept(t *testing.T) {
	r := newRig(t, Options{})
	c := r.dial(t, "cid=a&pre=1")
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, data, err := c.ReadMessage()
	if err != nil || string(data) != `{"pre":true}` {
		t.Fatalf("first frame %q, %v", data, err)
	}
}

// A renewal racing the close must not take the slot back.
func TestClosedSocketsHoldNoLease(t *testing.T) {
	r := newRig(t, Options{LeaseTTL: 15 * time.Millisecond})
	r.leases.mu.Lock()
	r.leases.renewDelay = 5 * time.Millisecond
	r.leases.mu.Unlock()
	for i := 0; i < 30; i++ {
		c := r.dial(t, "cid=a")
		waitFor(t, "session", func() bool { return r.hub.Count() == 1 })
		// Close from the client side while renewals run.
		before := r.leases.renewCount()
		waitFor(t, "renewals", func() bool { return r.leases.renewCount() >= before+2 })
		if err := c.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(1000, ""), time.Now().Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		readUntilClose(t, c)
		waitFor(t, "the session to end", func() bool { return r.hub.Count() == 0 })
	}
	// Any renewal still in flight finishes within its round trip; after that
	// nothing may be held.
	deadline := time.Now().Add(200 * time.Millisecond)
	for time.Now().Before(deadline) {
		if n := r.leases.holding(); n != 0 {
			t.Fatalf("%d leases held after every socket closed", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
