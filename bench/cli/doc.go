// Package cli is spine-bench's command line: it parses flags, sets up the
// targets (a running node, an embedded one, the baseline), runs scenarios,
// prints the table, writes --out and turns the verdict into an exit status.
// cmd/spine-bench only calls Run.
//
// Exit status: 0 when every correctness check passed, 1 when any failed,
// 2 when the run could not be carried out (bad flags, target unreachable,
// provisioning refused), 130 when interrupted.
package cli
