package main

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var benchSeq atomic.Int64

// BenchmarkPostmarkIntake measures durable, deduped Postmark intake through
// the whole stack: HTTP, parsing, the tenant and case actors, the group
// commit and the event relay, with many concurrent senders. Each op is one
// new message of ~3 KB text, spread over 1,000 threads.
func BenchmarkPostmarkIntake(b *testing.B) {
	c := newClient(b, testNode)
	cid := tenantID("bench")
	pm, _ := c.newTenant(testNode, cid, nil)
	url := c.base + "/webhooks/postmark/" + cid + "/" + pm
	hc := &fasthttp.Client{MaxConnsPerHost: 512, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	text := strings.Repeat("Please move my booking ABC123 to Friday and keep the window seat. ", 45)
	run := benchSeq.Add(1)
	var seq atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
		defer fasthttp.ReleaseRequest(req)
		defer fasthttp.ReleaseResponse(resp)
		for pb.Next() {
			n := seq.Add(1)
			// Spread over 1,000 threads: concurrent messages mostly hit
			// different cases, as in a call centre's inbox.
			thread := n % 1000
			m := mail{id: fmt.Sprintf("b%d-%d", run, n), rfc: fmt.Sprintf("b%d-%d@bench", run, n), text: text}
			if n >= 1000 {
				m.inReplyTo = fmt.Sprintf("b%d-%d@bench", run, thread)
				m.refs = []string{m.inReplyTo}
			}
			req.Reset()
			req.SetRequestURI(url)
			req.Header.SetMethod("POST")
			req.Header.SetContentType("application/json")
			req.SetBody(m.body())
			if err := hc.Do(req, resp); err != nil {
				b.Error(err)
				return
			}
			if resp.StatusCode() != 200 {
				b.Errorf("status %d: %s", resp.StatusCode(), resp.Body())
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
