// Package baseline is the reference server for spine-bench's headline
// intake figure: a bare fasthttp handler that reads each request and
// answers 200 with a small JSON body shaped like Spine's webhook answer,
// doing no work at all. Running the same requests against it and against
// Spine on the same machine gives a ratio that travels between machines,
// where absolute requests/s do not.
//
// A Server is started once and shut down once; Shutdown waits for the
// serving goroutine.
package baseline
