// Package postmark parses the JSON body of a Postmark inbound webhook into a
// Message that the rest of Spine can route: Postmark's own MessageID (the
// intake key), the RFC 5322 Message-ID, In-Reply-To and References ids
// (normalized for threading), the parsed addresses with their MailboxHash
// plus-address tokens, bodies, headers and decoded attachments.
//
// # What it owns
//
// The package owns the wire format of the Postmark inbound payload and the
// normalization of message ids (NormalizeMessageID, ParseIDList) that
// threading relies on. It does not authenticate the request (the gateway
// compares the per-tenant path token before calling Parse), does not enforce
// a body size limit (the HTTP route does), does not decide which case a
// message belongs to (the case and tenant actors do, see Message.ThreadRoot)
// and does no I/O.
//
// # Errors
//
// Parse fails with an error wrapping ErrMalformed when the body is not one
// JSON object of the expected shape, and ErrInvalid when it is well formed
// but cannot be accepted (no MessageID, bad attachment content). The text of
// every error names fields, indexes and byte offsets only, never bytes of the
// body, so it is safe to return to the caller of the webhook.
//
// # Concurrency
//
// Every function is safe for concurrent use: the package keeps no state. A
// Message is a plain value owned by whoever called Parse; it does not alias
// the body passed to Parse, so the body may be reused (as fasthttp does) as
// soon as Parse returns.
package postmark
