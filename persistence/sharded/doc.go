// Package sharded spreads a store over several stores (shards), each with
// its own file and group committer, so that commits of different shards
// are made durable in parallel: on this kind of disk four files sustain
// about three times the fsyncs of one.
//
// A caller-supplied route places every key and log name on a shard; a
// batch must lie on one shard (every key, cond and log of it), since
// atomicity is per shard. Spine routes by tenant, so a tenant's state, its
// indexes and its event log share a shard and one tenant's commits keep
// their order. A scan whose prefix the route cannot place reads every
// shard and merges the results in key order.
//
// Like the stores it wraps, Store knows keys and bytes only, and is safe
// for concurrent use.
package sharded
