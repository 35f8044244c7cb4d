package storetest

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/casespine/spine/persistence"
)

// pattern returns n bytes that differ from one seed to another and repeat
// with a period (251) prime to any page size, so that a misplaced page
// shows.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	for i := range min(n, 251) {
		b[i] = byte(i*31) ^ seed
	}
	for filled := min(n, 251); filled < n; filled *= 2 {
		copy(b[filled:], b[:filled])
	}
	return b
}

func (s *suite) testLargeValues(t *testing.T) {
	t.Parallel()
	st := s.openStore(t, "s")
	const size = 20 << 20 // 20 MiB
	v1, v2 := pattern(size, 1), pattern(size, 2)
	res := mustCommit(t, st, &persistence.Batch{
		Puts:    []persistence.KV{{Key: []byte("big"), Value: v1}, kv("small", "s")},
		Appends: []persistence.Append{{Log: []byte("mail"), Value: v2}, app("mail", "tiny")},
	})
	wantOffsets(t, res, 1, 2)
	wantValue(t, st, "big", v1)
	wantValue(t, st, "small", []byte("s"))
	got, err := st.ReadLog([]byte("mail"), 0, 0)
	if err != nil || len(got) != 2 || !bytes.Equal(got[0].Value, v2) || string(got[1].Value) != "tiny" {
		t.Fatalf("ReadLog(mail): %d entries, %v", len(got), err)
	}
	kvs, err := st.Scan([]byte("big"), nil, 0, false)
	if err != nil || len(kvs) != 1 || !bytes.Equal(kvs[0].Value, v1) {
		t.Fatalf("Scan(big): %d pairs, %v", len(kvs), err)
	}

	// Several large batches at once (more than a group may hold).
	const n = 4
	values := make([][]byte, n)
	var wg sync.WaitGroup
	for i := range n {
		values[i] = pattern(12<<20, byte(10+i))
		wg.Go(func() {
			if _, err := st.Commit(ctxFor(t), &persistence.Batch{
				Puts:    []persistence.KV{{Key: fmt.Appendf(nil, "att/%d", i), Value: values[i]}},
				Appends: []persistence.Append{{Log: []byte("att"), Value: values[i]}},
			}); err != nil {
				t.Errorf("Commit att/%d: %v", i, err)
			}
		})
	}
	wg.Wait()
	for i := range n {
		wantValue(t, st, fmt.Sprintf("att/%d", i), values[i])
	}
	if h := mustHead(t, st, "att"); h != n {
		t.Fatalf("LogHead(att) = %d, want %d", h, n)
	}

	// Overwriting a large value with a small one.
	mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{kv("big", "now small")}})
	wantValue(t, st, "big", []byte("now small"))
}
