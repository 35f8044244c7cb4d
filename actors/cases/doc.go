// Package cases is the case actor's domain: adding an inbound message to a
// case exactly once, and reading cases back.
//
// A mutating message is validated, deduped against the tenant-wide index,
// applied to a copy of the state, committed as one atomic batch (case
// summary, the appended message, attachments apart, index entries, the
// event in the tenant's event log) and only then swapped in and answered.
// The batch carries preconditions (the dedupe key is absent, the case is
// still the version this actor loaded), so a retried call, a second
// activation of the same case on another node or a racing route can never
// store a message twice or lose an update: the loser reloads and tries again.
//
// Messages are appended under their own keys and never rewritten, so adding
// one costs the same for a case with 500 messages as for a new case.
//
// A Case belongs to one actor at a time and is not safe for concurrent use.
// The read functions (List, Get, Messages) read committed state straight
// from the store and are safe for concurrent use.
package cases
