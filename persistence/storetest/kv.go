package storetest

import (
	"errors"
	"testing"

	"github.com/casespine/spine/persistence"
)

func (s *suite) testKV(t *testing.T) {
	t.Run("PutGetOverwriteDelete", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		wantValue(t, st, "a", nil)
		mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{kv("a", "1"), kv("b", "2")}})
		wantValue(t, st, "a", []byte("1"))
		wantValue(t, st, "b", []byte("2"))
		mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{kv("a", "one")}})
		wantValue(t, st, "a", []byte("one"))
		mustCommit(t, st, &persistence.Batch{Deletes: [][]byte{[]byte("a"), []byte("never-existed")}})
		wantValue(t, st, "a", nil)
		wantValue(t, st, "b", []byte("2"))
	})

	t.Run("GetMany", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{kv("a", "1"), kv("c", "3"), {Key: []byte("e")}}})
		vals, found, err := st.GetMany([][]byte{[]byte("a"), []byte("b"), []byte("c"), []byte("a"), []byte("e")})
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			v  string
			ok bool
		}{{"1", true}, {"", false}, {"3", true}, {"1", true}, {"", true}}
		if len(vals) != len(want) || len(found) != len(want) {
			t.Fatalf("GetMany answered %d values and %d flags for %d keys", len(vals), len(found), len(want))
		}
		for i, w := range want {
			if found[i] != w.ok || string(vals[i]) != w.v {
				t.Fatalf("key %d: %q %v, want %q %v", i, vals[i], found[i], w.v, w.ok)
			}
		}
		if vals, found, err := st.GetMany(nil); err != nil || len(vals) != 0 || len(found) != 0 {
			t.Fatalf("no keys: %v %v %v", vals, found, err)
		}
		if _, _, err := st.GetMany([][]byte{[]byte("a"), {}}); !errors.Is(err, persistence.ErrInvalid) {
			t.Fatalf("an empty key: %v", err)
		}
	})

	t.Run("EmptyBatch", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		if res := mustCommit(t, st, &persistence.Batch{}); len(res.Offsets) != 0 {
			t.Fatalf("empty batch got offsets %v", res.Offsets)
		}
		mustCommit(t, st, &persistence.Batch{Conds: []persistence.Cond{{Key: []byte("k"), Absent: true}}})
		wantValue(t, st, "k", nil)
	})

	t.Run("EmptyValue", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{{Key: []byte("nil")}, {Key: []byte("empty"), Value: []byte{}}}})
		for _, k := range []string{"nil", "empty"} {
			v, ok := mustGet(t, st, k)
			if !ok || len(v) != 0 {
				t.Fatalf("Get(%q) = %q, %t; want empty, true", k, v, ok)
			}
		}
	})

	t.Run("BatchOrder", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		mustCommit(t, st, &persistence.Batch{
			Puts:    []persistence.KV{kv("dup", "first"), kv("dup", "last"), kv("gone", "x")},
			Deletes: [][]byte{[]byte("gone")},
		})
		wantValue(t, st, "dup", []byte("last"))
		wantValue(t, st, "gone", nil) // Puts, then Deletes
	})

	t.Run("ReadsReturnCopies", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		put := []byte("value")
		mustCommit(t, st, &persistence.Batch{Puts: []persistence.KV{{Key: []byte("k"), Value: put}}})
		v, _ := mustGet(t, st, "k")
		v[0] = 'X'
		kvs, err := st.Scan([]byte("k"), nil, 0, false)
		if err != nil || len(kvs) != 1 {
			t.Fatalf("Scan = %v, %v", kvs, err)
		}
		kvs[0].Key[0], kvs[0].Value[0] = 'X', 'X'
		wantValue(t, st, "k", []byte("value"))
		if _, ok := mustGet(t, st, "k"); !ok {
			t.Fatal("key changed through a returned slice")
		}
	})

	t.Run("InvalidGet", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		for _, k := range [][]byte{nil, {}, make([]byte, persistence.MaxKeySize+1)} {
			if _, _, err := st.Get(k); !errors.Is(err, persistence.ErrInvalid) {
				t.Fatalf("Get(%d-byte key) err = %v, want ErrInvalid", len(k), err)
			}
		}
	})
}
