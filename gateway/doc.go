// Package gateway is Spine's edge: one fasthttp server with fasthttp/router
// carrying the admin API, the inbound webhooks, the live event socket, health
// and metrics.
//
// It verifies and parses what arrives (tokens, webhook credentials, bodies),
// calls the actors through the typed clients of package cluster and reads
// committed state through the read side of package cases. It holds no domain
// logic: errors from below become wire codes in one place (problem.go for
// HTTP, the close-code table of package live for sockets).
//
// fasthttp reuses request memory: every handler copies what it keeps before
// it returns, and no *fasthttp.RequestCtx leaves its handler's goroutine.
// Path tokens and access_token never reach a log line.
//
// Server is safe for concurrent use; Shutdown is idempotent.
package gateway
