package storetest

import (
	"testing"

	"github.com/casespine/spine/persistence"
)

func (s *suite) testConds(t *testing.T) {
	t.Run("Hold", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		mustCommit(t, st, &persistence.Batch{
			Conds: []persistence.Cond{{Key: []byte("k"), Absent: true}},
			Puts:  []persistence.KV{kv("k", "v1"), kv("e", "")},
		})
		mustCommit(t, st, &persistence.Batch{
			Conds: []persistence.Cond{
				{Key: []byte("k"), Value: []byte("v1")},
				{Key: []byte("e")}, // exists with an empty value
				{Key: []byte("other"), Absent: true},
			},
			Puts: []persistence.KV{kv("k", "v2")},
		})
		wantValue(t, st, "k", []byte("v2"))
		// Conds are checked before the batch's own writes.
		mustCommit(t, st, &persistence.Batch{
			Conds:   []persistence.Cond{{Key: []byte("k"), Value: []byte("v2")}, {Key: []byte("n"), Absent: true}},
			Puts:    []persistence.KV{kv("k", "v3"), kv("n", "new")},
			Deletes: [][]byte{[]byte("e")},
		})
		wantValue(t, st, "k", []byte("v3"))
		wantValue(t, st, "e", nil)
		// Absent holds again after a delete.
		mustCommit(t, st, &persistence.Batch{Conds: []persistence.Cond{{Key: []byte("e"), Absent: true}}})
	})

	t.Run("Fail", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		mustCommit(t, st, &persistence.Batch{
			Puts:    []persistence.KV{kv("k", "cur"), kv("e", ""), kv("keep", "x")},
			Appends: []persistence.Append{{Log: []byte("log"), Value: []byte("1")}},
		})
		tests := []struct {
			name    string
			conds   []persistence.Cond
			key     string
			current []byte
		}{
			{"absent but present", []persistence.Cond{{Key: []byte("k"), Absent: true}}, "k", []byte("cur")},
			{"mismatch", []persistence.Cond{{Key: []byte("k"), Value: []byte("old")}}, "k", []byte("cur")},
			{"prefix of value", []persistence.Cond{{Key: []byte("k"), Value: []byte("cu")}}, "k", []byte("cur")},
			{"equal but missing", []persistence.Cond{{Key: []byte("missing"), Value: []byte("x")}}, "missing", nil},
			{"empty but missing", []persistence.Cond{{Key: []byte("missing")}}, "missing", nil},
			{"empty value present", []persistence.Cond{{Key: []byte("e"), Absent: true}}, "e", []byte{}},
			{"non-empty vs empty", []persistence.Cond{{Key: []byte("e"), Value: []byte("x")}}, "e", []byte{}},
			{"second of several", []persistence.Cond{
				{Key: []byte("k"), Value: []byte("cur")},
				{Key: []byte("keep"), Value: []byte("y")},
				{Key: []byte("missing"), Value: []byte("z")},
			}, "keep", []byte("x")},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := st.Commit(ctxFor(t), &persistence.Batch{
					Conds:   tt.conds,
					Puts:    []persistence.KV{kv("k", "written"), kv("new", "written")},
					Deletes: [][]byte{[]byte("keep")},
					Appends: []persistence.Append{{Log: []byte("log"), Value: []byte("no")}, {Log: []byte("other"), Value: []byte("no")}},
				})
				wantConflict(t, err, tt.key, tt.current)
				// Nothing of the batch was written.
				wantValue(t, st, "k", []byte("cur"))
				wantValue(t, st, "new", nil)
				wantValue(t, st, "keep", []byte("x"))
				if h := mustHead(t, st, "log"); h != 1 {
					t.Fatalf("LogHead(log) = %d after a failed batch, want 1", h)
				}
				if h := mustHead(t, st, "other"); h != 0 {
					t.Fatalf("LogHead(other) = %d after a failed batch, want 0", h)
				}
			})
		}
		// The log continues without a gap after failed batches.
		res := mustCommit(t, st, &persistence.Batch{Appends: []persistence.Append{{Log: []byte("log"), Value: []byte("2")}}})
		if res.Offsets[0] != 2 {
			t.Fatalf("offset after failed batches = %d, want 2", res.Offsets[0])
		}
	})
}
