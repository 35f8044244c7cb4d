package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/casespine/spine/persistence"
)

func (s *suite) testInvalid(t *testing.T) {
	t.Parallel()
	st := s.openStore(t, "s")
	huge := make([]byte, persistence.MaxValueSize+1)
	big := huge[:persistence.MaxValueSize]
	ok := kv("written", "no")
	okApp := app("log", "no")
	tests := []struct {
		name string
		b    *persistence.Batch
	}{
		{"nil batch", nil},
		{"put empty key", &persistence.Batch{Puts: []persistence.KV{ok, {Value: []byte("v")}}}},
		{"put long key", &persistence.Batch{Puts: []persistence.KV{ok, {Key: bytes.Repeat([]byte("k"), persistence.MaxKeySize+1)}}}},
		{"put huge value", &persistence.Batch{Puts: []persistence.KV{ok, {Key: []byte("k"), Value: huge}}}},
		{"delete empty key", &persistence.Batch{Puts: []persistence.KV{ok}, Deletes: [][]byte{nil}}},
		{"cond empty key", &persistence.Batch{Puts: []persistence.KV{ok}, Conds: []persistence.Cond{{Absent: true}}}},
		{"cond absent with value", &persistence.Batch{Puts: []persistence.KV{ok}, Conds: []persistence.Cond{{Key: []byte("c"), Absent: true, Value: []byte("v")}}}},
		{"append empty log", &persistence.Batch{Puts: []persistence.KV{ok}, Appends: []persistence.Append{okApp, {Value: []byte("v")}}}},
		{"append huge value", &persistence.Batch{Appends: []persistence.Append{okApp, {Log: []byte("log"), Value: huge}}}},
		{"batch too big", &persistence.Batch{Puts: []persistence.KV{ok, {Key: []byte("a"), Value: big}, {Key: []byte("b"), Value: big}}}},
	}

	// Valid commits run meanwhile and are not disturbed.
	const valid = 8
	var wg sync.WaitGroup
	for g := range valid {
		wg.Go(func() {
			for i := range 5 {
				key := fmt.Sprintf("ok/%d/%d", g, i)
				if _, err := st.Commit(ctxFor(t), &persistence.Batch{
					Puts:    []persistence.KV{kv(key, "v")},
					Appends: []persistence.Append{app("valid", key)},
				}); err != nil {
					t.Errorf("valid Commit %s: %v", key, err)
				}
			}
		})
	}
	for _, tt := range tests {
		if _, err := st.Commit(ctxFor(t), tt.b); !errors.Is(err, persistence.ErrInvalid) {
			t.Errorf("%s: Commit err = %v, want ErrInvalid", tt.name, err)
		}
	}
	wg.Wait()

	wantValue(t, st, "written", nil)
	if h := mustHead(t, st, "log"); h != 0 {
		t.Fatalf("LogHead(log) = %d after invalid batches, want 0", h)
	}
	if h := mustHead(t, st, "valid"); h != valid*5 {
		t.Fatalf("LogHead(valid) = %d, want %d", h, valid*5)
	}
}
