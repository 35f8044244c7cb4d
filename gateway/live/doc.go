// Package live serves the live event socket: one session per WebSocket
// connection, fed by the event bus through a bounded queue and drained by
// one writer that merges what queued up into one frame (events separated by
// "\n") when the client falls behind.
//
// Each session is a node-local protoactor actor (not a cluster kind) that
// owns the connection's control plane: renewing its per-user connection
// lease with the tenant actor, closing the socket when the token expires,
// and closing on request. Three goroutines touch a connection: the reader
// (the hijacked connection's goroutine), the writer, and the bus's publisher
// calling Deliver, which never blocks: a queue that overflows closes the
// session with 4008 and never slows the other sessions.
//
// A session releases its lease before the client can see the close
// complete: before the server's close frame is written, and before the
// client's close frame is echoed.
//
// Hub and sessions are safe for concurrent use.
package live
