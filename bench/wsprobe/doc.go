// Package wsprobe is spine-bench's WebSocket client for Spine's live event
// socket (GET /admin/clients/:cid/events): it dials with a token in the
// Authorization header or the access_token query parameter, classifies a
// refused upgrade (HTTP 429 over the cap, 401, 403, ...), reads text frames
// into a reused buffer, splits them on newlines (the server batches queued
// events into one frame) and scans each event's envelope without
// allocating.
//
// A Conn has one reader: the goroutine that calls Next. Close may be called
// from any goroutine.
package wsprobe
