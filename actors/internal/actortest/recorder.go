package actortest

import (
	"bytes"
	"sync"

	"github.com/casespine/spine/actors/events"
)

// Recorder is an events.Subscriber that keeps a copy of everything it is
// delivered.
type Recorder struct {
	mu  sync.Mutex
	evs []events.Event
}

// Deliver records ev. It never blocks for long.
func (r *Recorder) Deliver(ev *events.Event) {
	cp := events.Event{ClientID: ev.ClientID, Offset: ev.Offset, Payload: bytes.Clone(ev.Payload)}
	r.mu.Lock()
	r.evs = append(r.evs, cp)
	r.mu.Unlock()
}

// Len returns how many events were delivered.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.evs)
}

// Events returns a copy of what was delivered, in delivery order.
func (r *Recorder) Events() []events.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]events.Event(nil), r.evs...)
}

// Offsets returns the offsets delivered, in delivery order.
func (r *Recorder) Offsets() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]uint64, len(r.evs))
	for i, e := range r.evs {
		out[i] = e.Offset
	}
	return out
}
