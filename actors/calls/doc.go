// Package calls is the live-call actor's domain: a call's lifecycle
// (started → active → ended), each step committed together with its event
// (call.started, call.active, call.ended) in the tenant's event log and a
// row in the audit log, and reading calls back.
//
// Steps are idempotent: starting a call that exists, or repeating the step
// a call already took, answers the call as it is, changes nothing and emits
// nothing, so the telephony side can retry freely. A step that goes back
// (active after ended) is refused with ErrState.
//
// A Call belongs to one actor at a time and is not safe for concurrent use;
// the read functions are.
package calls
