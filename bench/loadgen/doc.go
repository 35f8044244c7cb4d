// Package loadgen sends webhook requests as fast as the generator can
// afford: either closed loop (K senders, each waiting for its answer before
// the next send) or open loop at a fixed rate R, where every request has an
// intended start time on a fixed schedule and latency is measured from that
// intended time, so a stalled server shows up as latency instead of being
// hidden by back-pressure (no coordinated omission).
//
// It also holds the Schedule that decides what to send next: originals in
// workload order mixed with a ratio of duplicates, some of them aimed at the
// message sent just before (so they race the original) and the rest at any
// earlier message.
//
// Cost matters because the generator shares the CPU with the server: one
// fasthttp HostClient with keep-alive connections, one request and response
// object and one body buffer per worker, reused for every send, and answer
// fields read with jsonscan without allocating.
//
// Every loop is bounded in both count (the Source ends) and time
// (Options.Duration, Options.Timeout, the context). A Runner is used once;
// its counters may be read from any goroutine while it runs.
package loadgen
