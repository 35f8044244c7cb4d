package events

import (
	"sync"
	"sync/atomic"
)

// MemoryBus is the in-process bus of a single node. Publish is lock-free for
// readers: each tenant's subscriber list is copied on write.
type MemoryBus struct {
	mu     sync.Mutex
	topics sync.Map // client id → *topic
}

type topic struct {
	subs atomic.Pointer[[]*subscription]
}

// subscription is one call of Subscribe. Its pointer identifies it, so a
// subscriber subscribed twice has two subscriptions, and a subscriber whose
// type cannot be compared (a func type, a struct holding a slice) can
// still be removed.
type subscription struct{ s Subscriber }

var _ Bus = (*MemoryBus)(nil)

// NewMemoryBus returns an empty bus.
func NewMemoryBus() *MemoryBus { return &MemoryBus{} }

// Publish hands ev to every current subscriber of its tenant.
func (b *MemoryBus) Publish(ev *Event) {
	t, ok := b.topics.Load(ev.ClientID)
	if !ok {
		return
	}
	subs := t.(*topic).subs.Load()
	if subs == nil {
		return
	}
	for _, sub := range *subs {
		sub.s.Deliver(ev)
	}
}

// Subscribe adds s to the tenant's subscribers until cancel is called.
// cancel is idempotent.
func (b *MemoryBus) Subscribe(clientID string, s Subscriber) (cancel func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	ti, _ := b.topics.LoadOrStore(clientID, &topic{})
	t := ti.(*topic)
	var cur []*subscription
	if p := t.subs.Load(); p != nil {
		cur = *p
	}
	sub := &subscription{s: s}
	next := make([]*subscription, len(cur), len(cur)+1)
	copy(next, cur)
	next = append(next, sub)
	t.subs.Store(&next)
	var once sync.Once
	return func() { once.Do(func() { b.unsubscribe(t, sub) }) }
}

func (b *MemoryBus) unsubscribe(t *topic, sub *subscription) {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := t.subs.Load()
	if p == nil {
		return
	}
	next := make([]*subscription, 0, len(*p))
	for _, x := range *p {
		if x != sub {
			next = append(next, x)
		}
	}
	t.subs.Store(&next)
}

// Subscribers reports how many subscribers a tenant has.
func (b *MemoryBus) Subscribers(clientID string) int {
	t, ok := b.topics.Load(clientID)
	if !ok {
		return 0
	}
	if p := t.(*topic).subs.Load(); p != nil {
		return len(*p)
	}
	return 0
}
