// Package events owns Spine's live events: the envelope every client sees,
// the bus that carries committed events to sockets, and the relay that
// publishes a tenant's event log (the outbox) onto the bus.
//
// Events are written by actors in the same store commit as the change that
// causes them, as entries of the tenant's event log; the log offset is the
// event's offset. The relay publishes entries strictly after their commit and
// in offset order, and records how far it got (the published watermark), so
// a crash between commit and publish delays an event and never drops it: at
// start-up everything after the watermark is published again.
//
// Each event is encoded once; the same bytes go to every subscriber, which
// must treat them as read-only.
//
// Concurrency: MemoryBus and Relay are safe for concurrent use. Subscribers
// are called from the relay's goroutine and must not block.
package events
