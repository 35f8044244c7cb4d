package events

// Event is one committed event on the bus. Payload is the wire JSON (see
// Wire), encoded once and shared by every subscriber: never modify it.
type Event struct {
	ClientID string
	Offset   uint64
	Payload  []byte
}

// Subscriber receives a tenant's events in offset order. Deliver is called
// from the publishing goroutine and must not block: a subscriber queues the
// event or gives up on itself.
type Subscriber interface {
	Deliver(*Event)
}

// Bus carries committed events to subscribers. The in-process MemoryBus
// serves one node; a cluster uses a bus that crosses nodes.
type Bus interface {
	Publish(*Event)
	Subscribe(clientID string, s Subscriber) (cancel func())
}
