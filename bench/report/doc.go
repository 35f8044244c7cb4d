// Package report holds what a spine-bench run measures and how it is shown:
// latency recorders backed by HDR histograms, named figures, correctness
// checks, the run document written with --out, the human table, the live
// progress line, and the comparison of two run documents.
//
// It knows nothing about Spine's protocol; scenarios fill it in.
//
// Concurrency: a Latency may be recorded into from any number of goroutines
// and snapshotted at the same time. A Phase and a Run are built by one
// goroutine (the scenario that owns them) and are not safe for concurrent
// mutation; Phase.AddCheck and Phase.AddFigure are guarded so that helpers
// running in parallel may report into one phase.
package report
