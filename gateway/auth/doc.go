// Package auth issues and verifies Spine's bearer tokens: JWTs signed with
// HMAC-SHA256 under one node signing key, carrying exactly the claims sub,
// role, iat, exp and, for every role but operator, client_id.
//
// # What it owns
//
// The token format and its validation rules (HS256 only; the role, sub and
// client_id rules; the tenant id pattern), the access decisions derived from
// a token (Claims.CanAccess, Claims.CanWrite) and the signing key file in a
// node's data directory (LoadOrCreateKey). It does not read HTTP requests,
// map errors to status codes (the gateway does, once: ErrInvalidToken and
// ErrExpired are 401, a false CanAccess or CanWrite is 403) or log.
//
// Roles:
//
//   - operator: every tenant, and provisioning. Its token has no client_id.
//   - admin: one tenant (client_id), all of it.
//   - agent: one tenant (client_id), read and live events, no writes.
//
// # Concurrency
//
// An *Auth is immutable after New and safe for concurrent use by any number
// of goroutines. Claims values are plain data. LoadOrCreateKey is safe to
// call from several processes sharing a data directory at once (spine serve
// and spine token): the key file is created atomically and never replaced,
// so they all end up with the same key.
package auth
