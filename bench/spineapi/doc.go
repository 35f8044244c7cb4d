// Package spineapi is spine-bench's client for Spine's HTTP admin API:
// provisioning tenants, minting user tokens, reading cases and the tenant
// event log, and asking a node for its memory figures. It is the slow,
// careful path of the harness (provisioning and verification); the hot
// webhook path lives in loadgen and the socket path in wsprobe.
//
// Errors: a non-2xx answer becomes a *Problem carrying the RFC 9457 body;
// 429 is retried after its Retry-After, and idempotent reads are retried on
// 502/503/504 and transport errors, each a bounded number of times.
//
// A Client is safe for concurrent use.
package spineapi
