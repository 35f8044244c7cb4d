// Package actors holds Spine's domain: the tenant, case and (later) call
// actors as plain Go over the protobuf state and messages in spinepb.
//
// The subpackages are the actors themselves (tenants, cases), the layout of
// their keys in the store (keyspace) and the events they emit (events).
// Nothing here imports protoactor's cluster, remote or provider packages,
// the gateway or fasthttp: cluster/ adapts these types to cluster kinds, and
// every piece is testable with a real store and no cluster.
//
// This package itself only declares the sentinel errors that every actor
// returns and that the boundaries (grain errors, HTTP problems) map to wire
// codes.
package actors
