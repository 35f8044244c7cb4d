// Package target is what spine-bench drives: a Spine node reached by URL
// with an operator token, a node it starts itself (--embedded: `spine serve`
// as a separate OS process on a temporary data directory, so the server's
// CPU and memory are measured apart from the generator's), or the bare
// fasthttp baseline. It provisions bench tenants and mints user tokens
// through the admin API, and reads a child process's CPU time, RSS and file
// descriptor limit from /proc.
//
// Ownership: a Target that started a process owns it; Close stops it
// (SIGTERM, then SIGKILL after a grace period) and removes its temporary
// directory unless asked to keep it. Every other method is safe for
// concurrent use.
package target
