package loadgen

import (
	"context"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

type render struct{}

func (render) Path(uint64) []byte                     { return []byte("/webhooks/postmark/t/k") }
func (render) AppendBody(dst []byte, g uint64) []byte { return append(dst, `{"MessageID":"x"}`...) }

func serve(t *testing.T, h fasthttp.RequestHandler) *url.URL {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: h}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown(); <-done })
	u, _ := url.Parse("http://" + ln.Addr().String())
	return u
}

func TestClosedLoopSendsEverythingOnce(t *testing.T) {
	var n atomic.Int64
	u := serve(t, func(ctx *fasthttp.RequestCtx) {
		n.Add(1)
		ctx.SetBodyString(`{"status":"created","case_id":"c","message_id":"m"}`)
	})
	r, err := NewRunner(Options{BaseURL: u, Workers: 4}, NewSchedule(ScheduleOptions{Originals: 500}), render{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[uint64]bool{}
	r.OnResult = func(res *Result) {
		if !res.OK() || string(res.Outcome) != "created" || string(res.CaseID) != "c" {
			t.Errorf("result %+v", res)
		}
		mu.Lock()
		seen[res.Job.G] = true
		mu.Unlock()
	}
	r.Run(context.Background())
	if n.Load() != 500 || len(seen) != 500 || r.OKs() != 500 || r.Failed() != 0 {
		t.Fatalf("server saw %d, results %d, ok %d, failed %d", n.Load(), len(seen), r.OKs(), r.Failed())
	}
}

// TestOpenLoopMeasuresFromIntendedTime: while the server stalls, the open
// loop keeps to its schedule, and latency counts from when each request was
// due, so the stall shows in the figures (no coordinated omission).
func TestOpenLoopMeasuresFromIntendedTime(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 200)
	u := serve(t, func(ctx *fasthttp.RequestCtx) {
		arrived <- struct{}{}
		<-release
		ctx.SetBodyString(`{"status":"created","case_id":"c"}`)
	})
	r, _ := NewRunner(Options{BaseURL: u, Rate: 2000, Workers: 2}, NewSchedule(ScheduleOptions{Originals: 200}), render{})
	var mu sync.Mutex
	var first time.Time
	var maxLat time.Duration
	r.OnResult = func(res *Result) {
		mu.Lock()
		defer mu.Unlock()
		if res.Job.G == 0 {
			first = res.Intended
		}
		maxLat = max(maxLat, res.Latency)
	}
	done := make(chan struct{})
	go func() { defer close(done); r.Run(context.Background()) }()
	// Both workers are stuck once their requests reached the server.
	<-arrived
	<-arrived
	releasedAt := time.Now()
	close(release)
	<-done
	if r.OKs() != 200 {
		t.Fatalf("ok %d", r.OKs())
	}
	if want := releasedAt.Sub(first); maxLat < want {
		t.Fatalf("max latency %s is less than the %s the first request waited", maxLat, want)
	}
}

func TestErrorsAreClassified(t *testing.T) {
	u := serve(t, func(ctx *fasthttp.RequestCtx) { ctx.SetStatusCode(503) })
	r, _ := NewRunner(Options{BaseURL: u, Workers: 1}, NewSchedule(ScheduleOptions{Originals: 3}), render{})
	kinds := map[string]int{}
	r.OnResult = func(res *Result) { kinds[res.ErrKind]++ }
	r.Run(context.Background())
	if kinds["http_503"] != 3 || r.Failed() != 3 {
		t.Fatalf("kinds %v", kinds)
	}
}
