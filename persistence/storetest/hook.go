package storetest

import (
	"testing"

	"github.com/casespine/spine/persistence"
)

func (s *suite) testHook(t *testing.T) {
	t.Parallel()
	st := s.openStore(t, "s")

	res := mustCommit(t, st, &persistence.Batch{
		Puts:    []persistence.KV{kv("k", "v")},
		Appends: []persistence.Append{app("x", "x1"), app("y", "y1"), app("x", "x2")},
	})
	// The hook got the batch's entries before Commit returned.
	for i, want := range []struct{ log, value string }{{"x", "x1"}, {"y", "y1"}, {"x", "x2"}} {
		if !st.rec.has(want.log, res.Offsets[i], []byte(want.value)) {
			t.Fatalf("hook does not have %s@%d=%q when Commit returns; has %v", want.log, res.Offsets[i], want.value, st.rec.entries(want.log))
		}
	}

	// No entries for a batch without appends, nor for a failed batch.
	mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{kv("k2", "v")}})
	_, err := st.Commit(ctxFor(t), &persistence.Batch{
		Conds:   []persistence.Cond{{Key: []byte("k"), Absent: true}},
		Appends: []persistence.Append{app("x", "failed"), app("z", "failed")},
	})
	wantConflict(t, err, "k", []byte("v"))
	if n := len(st.rec.entries("x")); n != 2 {
		t.Fatalf("hook has %d entries of x, want 2", n)
	}
	if n := len(st.rec.entries("z")); n != 0 {
		t.Fatalf("hook has %d entries of z from a failed batch", n)
	}

	res = mustCommit(t, st, &persistence.Batch{Appends: []persistence.Append{app("x", "x3")}})
	if res.Offsets[0] != 3 || !st.rec.has("x", 3, []byte("x3")) {
		t.Fatalf("offset %d; hook has %v", res.Offsets[0], st.rec.entries("x"))
	}
}
