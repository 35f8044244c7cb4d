// Package workload models the mail that spine-bench sends: T tenants, each
// with C email threads of M messages, rendered as realistic Postmark inbound
// webhook bodies.
//
// Every message has a global index g. The order of g interleaves threads
// (the first message of every thread, then the second of every thread, ...),
// so a reply is normally sent well after its parent, as in real mail, while
// concurrent senders still exercise replies racing their parents. When a run
// sends more than T×C×M messages the workload continues with fresh threads
// ("rounds"), so duration-bound runs never resend an original.
//
// Identity: a message's Postmark MessageID (the dedupe key) is a UUID whose
// first group is the workload's run id and whose last group is g, so that an
// event or a stored message can be traced back to g without any lookup
// table. Its RFC Message-ID, In-Reply-To and References headers chain the
// thread together.
//
// Rendering is cheap on purpose, because the generator shares the machine
// with the server: the text and HTML bodies are built and JSON-escaped once
// per workload, and AppendBody only splices per-message fields around them
// into a caller-owned buffer.
//
// A Workload is immutable after New and safe for concurrent use.
package workload
