package live

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// BenchmarkFanout measures the server side of fan-out through real
// sessions on loopback: one op is one event published to every socket and
// read by every client (frames merged as the writers fall behind).
func BenchmarkFanout(b *testing.B) {
	for _, sockets := range []int{100, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", sockets), func(b *testing.B) {
			// Queues large enough that no socket is dropped as slow: the clients
			// read as fast as they can, not in step with the publisher.
			r := newRig(b, Options{QueueEvents: 1 << 22, QueueBytes: 1 << 34})
			conns := make([]*websocket.Conn, sockets)
			for i := range conns {
				conns[i] = r.dial(b, "cid=a")
			}
			waitFor(b, "subscriptions", func() bool { return r.bus.Subscribers("a") == sockets })
			payload := `{"type":"case.updated","data":{"subject":"` + string(bytes.Repeat([]byte("x"), 600)) + `"}}`
			var wg sync.WaitGroup
			start := make(chan struct{})
			for _, c := range conns {
				wg.Add(1)
				go func(c *websocket.Conn) {
					defer wg.Done()
					<-start
					got := 0
					_ = c.SetReadDeadline(time.Now().Add(5 * time.Minute))
					for got < b.N {
						_, data, err := c.ReadMessage()
						if err != nil {
							b.Error(err)
							return
						}
						got += bytes.Count(data, []byte{'\n'}) + 1
					}
				}(c)
			}
			b.ResetTimer()
			close(start)
			for i := 1; i <= b.N; i++ {
				r.bus.Publish(ev("a", uint64(i), payload))
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*sockets)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
