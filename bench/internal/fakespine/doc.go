// Package fakespine is a small in-memory server that speaks the parts of
// Spine's contract spine-bench drives (tenants, tokens, the Postmark
// webhook, cases, the event log, the event socket, runtime figures), for
// the harness's own tests. It can be told to break one invariant on
// purpose, so that tests can show each of the harness's checks fails when
// it should: deliver an event twice, drop one, reorder two, leak one to
// another tenant, split a thread over two cases, store a resend again, or
// acknowledge a message and then lose it.
//
// It is deliberately simple (one mutex over all state) and is not a model
// of how Spine is built. A Server is safe for concurrent use; Close stops
// it and waits for its goroutines.
package fakespine
