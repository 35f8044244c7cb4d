package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/casespine/spine/persistence"
)

func app(log, value string) persistence.Append {
	return persistence.Append{Log: []byte(log), Value: []byte(value)}
}

func (s *suite) testLogs(t *testing.T) {
	t.Run("Offsets", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		if h := mustHead(t, st, "a"); h != 0 {
			t.Fatalf("LogHead of an unknown log = %d, want 0", h)
		}
		res := mustCommit(t, st, &persistence.Batch{Appends: []persistence.Append{app("a", "a1"), app("b", "b1"), app("a", "a2")}})
		wantOffsets(t, res, 1, 1, 2)
		res = mustCommit(t, st, &persistence.Batch{Appends: []persistence.Append{app("a", "a3")}, Puts: []persistence.KV{kv("a", "plain")}})
		wantOffsets(t, res, 3)
		// Log names that are prefixes of each other, or of plain keys, are
		// independent logs.
		res = mustCommit(t, st, &persistence.Batch{Appends: []persistence.Append{
			app("a\x00", "x1"), app("a/", "y1"), app("aa", "z1"), app("b", "b2"), app("\xff", "f1"),
		}})
		wantOffsets(t, res, 1, 1, 1, 2, 1)
		for log, want := range map[string][]string{
			"a": {"a1", "a2", "a3"}, "b": {"b1", "b2"}, "a\x00": {"x1"}, "a/": {"y1"}, "aa": {"z1"}, "\xff": {"f1"},
		} {
			wantLog(t, st, log, 0, 0, want...)
			if h := mustHead(t, st, log); h != uint64(len(want)) {
				t.Fatalf("LogHead(%q) = %d, want %d", log, h, len(want))
			}
		}
		wantValue(t, st, "a", []byte("plain"))
		if kvs, err := st.Scan(nil, nil, 0, false); err != nil || len(kvs) != 1 {
			t.Fatalf("Scan sees %q, %v; want only the plain key", keys(kvs), err)
		}
	})

	t.Run("ReadLog", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		b := &persistence.Batch{}
		var all []string
		for i := 1; i <= persistence.DefaultLimit+10; i++ {
			v := fmt.Sprint("e", i)
			all = append(all, v)
			b.Appends = append(b.Appends, app("l", v))
		}
		mustCommit(t, st, b)
		wantLog(t, st, "l", 0, 3, all[:3]...)
		wantLog(t, st, "l", 5, 2, all[5:7]...)
		wantLog(t, st, "l", uint64(len(all)-1), 0, all[len(all)-1])
		wantLog(t, st, "l", uint64(len(all)), 0)
		wantLog(t, st, "l", 1<<62, 0)
		wantLog(t, st, "l", ^uint64(0), 0)
		wantLog(t, st, "l", 0, -1, all[:persistence.DefaultLimit]...)
		wantLog(t, st, "unknown", 0, 0)
		got, err := readAll(st, []byte("l"), 0)
		if err != nil || len(got) != len(all) {
			t.Fatalf("paging ReadLog: %d entries, %v; want %d", len(got), err, len(all))
		}
	})

	t.Run("InvalidName", func(t *testing.T) {
		t.Parallel()
		st := s.openStore(t, "s")
		for _, log := range [][]byte{nil, make([]byte, persistence.MaxKeySize+1)} {
			if _, err := st.ReadLog(log, 0, 0); !errors.Is(err, persistence.ErrInvalid) {
				t.Fatalf("ReadLog(%d-byte name) err = %v, want ErrInvalid", len(log), err)
			}
			if _, err := st.LogHead(log); !errors.Is(err, persistence.ErrInvalid) {
				t.Fatalf("LogHead(%d-byte name) err = %v, want ErrInvalid", len(log), err)
			}
		}
	})
}

func wantOffsets(t *testing.T, res persistence.Result, want ...uint64) {
	t.Helper()
	if fmt.Sprint(res.Offsets) != fmt.Sprint(want) {
		t.Fatalf("Offsets = %v, want %v", res.Offsets, want)
	}
}

// wantLog fails t unless ReadLog(log, after, limit) returns the values want
// at offsets after+1, after+2, ...
func wantLog(t *testing.T, st Store, log string, after uint64, limit int, want ...string) {
	t.Helper()
	got, err := st.ReadLog([]byte(log), after, limit)
	if err != nil {
		t.Fatalf("ReadLog(%q, %d, %d): %v", log, after, limit, err)
	}
	if len(got) != len(want) {
		t.Fatalf("ReadLog(%q, %d, %d) returned %d entries, want %d", log, after, limit, len(got), len(want))
	}
	for i, e := range got {
		if e.Offset != after+uint64(i)+1 || string(e.Value) != want[i] {
			t.Fatalf("ReadLog(%q, %d, %d)[%d] = {%d %q}, want {%d %q}", log, after, limit, i, e.Offset, e.Value, after+uint64(i)+1, want[i])
		}
	}
}
