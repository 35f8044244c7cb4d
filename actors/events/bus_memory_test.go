package events_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/actors/internal/actortest"
)

func ev(cid string, offset uint64) *events.Event {
	return &events.Event{ClientID: cid, Offset: offset, Payload: []byte(fmt.Sprintf(`{"offset":%d}`, offset))}
}

func TestMemoryBusDeliversToTheTenantsSubscribers(t *testing.T) {
	bus := events.NewMemoryBus()
	a1, a2, b := &actortest.Recorder{}, &actortest.Recorder{}, &actortest.Recorder{}
	bus.Subscribe("acme", a1)
	bus.Subscribe("acme", a2)
	bus.Subscribe("globex", b)
	bus.Publish(ev("nobody", 1)) // no subscribers: dropped
	shared := ev("acme", 1)
	bus.Publish(shared)
	bus.Publish(ev("acme", 2))
	bus.Publish(ev("globex", 1))

	for _, tt := range []struct {
		name string
		r    *actortest.Recorder
		want string
	}{{"acme 1", a1, "[1 2]"}, {"acme 2", a2, "[1 2]"}, {"globex", b, "[1]"}} {
		if got := fmt.Sprint(tt.r.Offsets()); got != tt.want {
			t.Errorf("%s got offsets %s, want %s", tt.name, got, tt.want)
		}
	}
	for _, e := range b.Events() {
		if e.ClientID != "globex" {
			t.Fatalf("globex's subscriber got an event of %s", e.ClientID)
		}
	}
	if n := bus.Subscribers("acme"); n != 2 {
		t.Fatalf("Subscribers(acme) = %d, want 2", n)
	}
	if n := bus.Subscribers("nobody"); n != 0 {
		t.Fatalf("Subscribers(nobody) = %d, want 0", n)
	}
}

// pointerSub records the *Event pointers it is handed.
type pointerSub struct {
	mu  sync.Mutex
	got []*events.Event
}

func (s *pointerSub) Deliver(e *events.Event) { s.mu.Lock(); s.got = append(s.got, e); s.mu.Unlock() }

// Every subscriber gets the very same encoded bytes: encoded once.
func TestMemoryBusSharesOnePayload(t *testing.T) {
	bus := events.NewMemoryBus()
	s1, s2 := &pointerSub{}, &pointerSub{}
	bus.Subscribe("acme", s1)
	bus.Subscribe("acme", s2)
	e := ev("acme", 1)
	bus.Publish(e)
	if len(s1.got) != 1 || len(s2.got) != 1 || &s1.got[0].Payload[0] != &e.Payload[0] || &s2.got[0].Payload[0] != &e.Payload[0] {
		t.Fatal("subscribers did not get the published payload itself")
	}
}

func TestMemoryBusCancel(t *testing.T) {
	bus := events.NewMemoryBus()
	stay, leave := &actortest.Recorder{}, &actortest.Recorder{}
	bus.Subscribe("acme", stay)
	cancel := bus.Subscribe("acme", leave)
	bus.Publish(ev("acme", 1))
	cancel()
	cancel() // idempotent
	bus.Publish(ev("acme", 2))
	if got := fmt.Sprint(leave.Offsets()); got != "[1]" {
		t.Fatalf("cancelled subscriber got %s, want [1]", got)
	}
	if got := fmt.Sprint(stay.Offsets()); got != "[1 2]" {
		t.Fatalf("remaining subscriber got %s, want [1 2]", got)
	}
	if n := bus.Subscribers("acme"); n != 1 {
		t.Fatalf("Subscribers = %d after cancel, want 1", n)
	}
	// Subscribing again after a cancel works.
	cancel = bus.Subscribe("acme", leave)
	bus.Publish(ev("acme", 3))
	cancel()
	if got := fmt.Sprint(leave.Offsets()); got != "[1 3]" {
		t.Fatalf("resubscribed subscriber got %s, want [1 3]", got)
	}
}

// Each Subscribe is a subscription of its own: cancelling one leaves the
// others of the same subscriber in place.
func TestMemoryBusCancelIsPerSubscription(t *testing.T) {
	bus := events.NewMemoryBus()
	r := &actortest.Recorder{}
	first := bus.Subscribe("acme", r)
	second := bus.Subscribe("acme", r)
	first()
	first()
	bus.Publish(ev("acme", 1))
	if got := fmt.Sprint(r.Offsets()); got != "[1]" {
		t.Fatalf("after cancelling one of two subscriptions the subscriber got %s, want [1]", got)
	}
	second()
	bus.Publish(ev("acme", 2))
	if r.Len() != 1 || bus.Subscribers("acme") != 0 {
		t.Fatalf("after cancelling both: %d events, %d subscribers", r.Len(), bus.Subscribers("acme"))
	}
}

// funcSub is a Subscriber of a type that cannot be compared.
type funcSub func(*events.Event)

func (f funcSub) Deliver(e *events.Event) { f(e) }

func TestMemoryBusCancelOfAnUncomparableSubscriber(t *testing.T) {
	bus := events.NewMemoryBus()
	var n atomic.Int64
	other := bus.Subscribe("acme", funcSub(func(*events.Event) {}))
	cancel := bus.Subscribe("acme", funcSub(func(*events.Event) { n.Add(1) }))
	bus.Publish(ev("acme", 1))
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("cancel panicked: %v", p)
			}
		}()
		cancel()
	}()
	bus.Publish(ev("acme", 2))
	if n.Load() != 1 || bus.Subscribers("acme") != 1 {
		t.Fatalf("after cancel: %d deliveries, %d subscribers", n.Load(), bus.Subscribers("acme"))
	}
	other()
}

// Publishers and subscribers come and go at once (run with -race). A
// subscriber present throughout gets every event of its tenant once, in
// each publisher's order, and nothing of another tenant.
func TestMemoryBusConcurrent(t *testing.T) {
	bus := events.NewMemoryBus()
	const publishers, perPublisher, churners = 4, 500, 4
	steady := map[string]*actortest.Recorder{"acme": {}, "globex": {}}
	for cid, r := range steady {
		bus.Subscribe(cid, r)
	}
	var wg sync.WaitGroup
	var crossed atomic.Bool
	stop := make(chan struct{})
	for c := range churners {
		wg.Go(func() {
			cid := []string{"acme", "globex"}[c%2]
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := &actortest.Recorder{}
				cancel := bus.Subscribe(cid, r)
				_ = bus.Subscribers(cid)
				cancel()
				cancel()
				for _, e := range r.Events() {
					if e.ClientID != cid {
						crossed.Store(true)
					}
				}
			}
		})
	}
	var pubs sync.WaitGroup
	for p := range publishers {
		pubs.Go(func() {
			cid := []string{"acme", "globex"}[p%2]
			for i := range perPublisher {
				// Offsets encode the publisher in the high digits.
				bus.Publish(ev(cid, uint64(p*1_000_000+i)))
			}
		})
	}
	pubs.Wait()
	close(stop)
	wg.Wait()
	if crossed.Load() {
		t.Fatal("a churning subscriber got another tenant's event")
	}

	for cid, r := range steady {
		last := map[uint64]int64{}
		evs := r.Events()
		if len(evs) != publishers/2*perPublisher {
			t.Fatalf("%s's steady subscriber got %d events, want %d", cid, len(evs), publishers/2*perPublisher)
		}
		for _, e := range evs {
			if e.ClientID != cid {
				t.Fatalf("%s's subscriber got an event of %s", cid, e.ClientID)
			}
			p, i := e.Offset/1_000_000, int64(e.Offset%1_000_000)
			prev, ok := last[p]
			if !ok {
				prev = -1
			}
			if i != prev+1 {
				t.Fatalf("%s: publisher %d's event %d after %d", cid, p, i, prev)
			}
			last[p] = i
		}
	}
	if bus.Subscribers("acme") != 1 || bus.Subscribers("globex") != 1 {
		t.Fatalf("subscribers left: acme %d, globex %d", bus.Subscribers("acme"), bus.Subscribers("globex"))
	}
}
