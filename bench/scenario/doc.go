// Package scenario runs spine-bench's scenarios against a target and fills
// report phases with their figures and correctness checks:
//
//   - intake: Postmark webhooks over T tenants × C threads × M messages with
//     a duplicate ratio, closed loop or open loop, optionally against the
//     baseline too (the headline ratio) and then open loop at a fraction of
//     the measured maximum; afterwards every acknowledged message is looked
//     up through the admin API (exactly once, in the case its answer named,
//     one case per thread) and the tenant event log is checked (one event
//     per stored message, per-case seq 1..n, everything published).
//   - fanout: S sockets over tenants and users while webhooks produce
//     events; deliveries/s and produce→receive latency per delivery; every
//     session must see every event of its tenant exactly once, in per-case
//     seq order, and nothing of another tenant.
//   - connections: S idle authenticated sockets; server memory per socket
//     (RSS after a GC minus RSS before), connect rate, failures, and the
//     per-user cap.
//   - mixed: intake, fan-out and admin reads at once for a duration.
//
// A scenario owns every goroutine it starts and waits for all of them
// before it returns. Checks never stop a run early: a scenario measures,
// then verifies, and reports each verdict.
package scenario
