// Package keyspace is the one place that knows how tenants, cases, messages,
// indexes and event logs are laid out as keys in the store. Stores see only
// bytes; every actor and reader builds its keys here.
//
// Every key starts with a one-letter family and the tenant id, so a tenant's
// data is one prefix and no key of one tenant can be built from another's.
// Tenant ids never contain '/', case ids are lowercase base32 and numbers are
// big-endian, so lexical order is the order readers want.
//
// All functions are pure and safe for concurrent use.
package keyspace
