// Package tenants is the tenant actor's domain: creating a tenant and its
// per-tenant secrets, authenticating inbound webhooks, routing inbound mail
// to a case through the tenant-wide message index, and the per-user
// connection caps of the live event socket.
//
// A Tenant is owned by one actor at a time and is not safe for concurrent
// use. Connection caps are leases with a TTL, held in memory: a socket renews
// its lease while it lives, so a crashed node's sockets free their slots and
// a restarted actor converges again within one TTL.
package tenants
