// Package cluster is the only place that imports protoactor-go's cluster,
// remote and provider packages. It starts this node as a cluster member
// (always, even alone: an in-memory provider for one node, so that N nodes
// is configuration), registers the tenant, case and call kinds whose generated
// grain code (grainpb) it adapts to the plain-Go actors in actors/, and gives
// the gateway typed clients with Spine's timeout and retry policy.
//
// What it guards against, from what protoactor really does: a panicking
// handler is recovered into an error (otherwise the grain restarts empty and
// the call is retried); calls are retried on timeout, so every mutating
// message is idempotent through persisted dedupe; node-local dependencies
// (the store, the clock) travel as an actor-system extension, not through
// the generator's package-level factory; Cluster.RequestFuture is never used.
//
// Grain errors cross the wire as GrainErrorResponse reasons and are mapped
// back to the sentinels of package actors in one table (errors.go).
//
// Member and its clients are safe for concurrent use.
package cluster
