package main

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

var benchSeq atomic.Int64

// mailTexts makes n texts of about size bytes drawn from travel-desk words,
// so they compress like real mail rather than like a repeated line.
func mailTexts(n, size int) []string {
	words := strings.Fields(`booking flight Lisbon Madrid Friday Monday seat window aisle
		refund change cancel baggage hotel transfer passport visa gate delay connection
		please could you would I we my our the a to from on in at for with and or but
		confirm reference ABC123 XK7Q9P ticket fare class economy business upgrade meal
		thanks regards hello dear team support agent call email tomorrow tonight morning
		evening price difference credit card invoice receipt name spelling child infant`)
	r := rand.New(rand.NewPCG(7, 11))
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for b.Len() < size {
			b.WriteString(words[r.IntN(len(words))])
			if r.IntN(12) == 0 {
				b.WriteString(".\n")
			} else {
				b.WriteByte(' ')
			}
		}
		out[i] = b.String()
	}
	return out
}

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
	texts := mailTexts(64, 3000)
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
			m := mail{id: fmt.Sprintf("b%d-%d", run, n), rfc: fmt.Sprintf("b%d-%d@bench", run, n), text: texts[n%int64(len(texts))]}
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
