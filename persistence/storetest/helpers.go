package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/casespine/spine/persistence"
)

// recorder is the commit hook the suite installs: it records every entry
// and notes every breach of the hook rules.
type recorder struct {
	mu       sync.Mutex
	logs     map[string][]persistence.Entry
	problems []string
}

func newRecorder() *recorder {
	return &recorder{logs: make(map[string][]persistence.Entry)}
}

func (r *recorder) hook(appended []persistence.Appended) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range appended {
		log := string(a.Log)
		seen := r.logs[log]
		switch n := len(seen); {
		case a.Offset == 0:
			r.problems = append(r.problems, fmt.Sprintf("log %q: hook got offset 0", log))
		case n > 0 && a.Offset != seen[n-1].Offset+1:
			r.problems = append(r.problems, fmt.Sprintf("log %q: hook got offset %d after %d", log, a.Offset, seen[n-1].Offset))
		}
		r.logs[log] = append(seen, persistence.Entry{Offset: a.Offset, Value: bytes.Clone(a.Value)})
	}
}

// entries returns what the hook got for log.
func (r *recorder) entries(log string) []persistence.Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]persistence.Entry(nil), r.logs[log]...)
}

// has reports whether the hook got entry offset of log with value.
func (r *recorder) has(log string, offset uint64, value []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := r.logs[log]
	if len(seen) == 0 || offset < seen[0].Offset {
		return false
	}
	i := offset - seen[0].Offset
	return i < uint64(len(seen)) && bytes.Equal(seen[i].Value, value)
}

// check reports the breaches noted so far and compares, for every log the
// hook saw, the record with the store's log from the first offset seen.
func (r *recorder) check(t *testing.T, st Store) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.problems {
		t.Error(p)
	}
	for log, seen := range r.logs {
		got, err := readAll(st, []byte(log), seen[0].Offset-1)
		if err != nil {
			t.Errorf("ReadLog(%q): %v", log, err)
			continue
		}
		if len(got) != len(seen) {
			t.Errorf("log %q: hook got %d entries from offset %d, ReadLog returns %d", log, len(seen), seen[0].Offset, len(got))
			continue
		}
		for i := range got {
			if got[i].Offset != seen[i].Offset || !bytes.Equal(got[i].Value, seen[i].Value) {
				t.Errorf("log %q: entry %d: hook got offset %d (%d bytes), ReadLog returns offset %d (%d bytes)",
					log, i, seen[i].Offset, len(seen[i].Value), got[i].Offset, len(got[i].Value))
				break
			}
		}
		if head, err := st.LogHead([]byte(log)); err != nil || head != seen[len(seen)-1].Offset {
			t.Errorf("LogHead(%q) = %d, %v; hook's last offset is %d", log, head, err, seen[len(seen)-1].Offset)
		}
	}
}

// readAll pages through log after offset after with the default limit.
func readAll(st Store, log []byte, after uint64) ([]persistence.Entry, error) {
	var all []persistence.Entry
	for {
		page, err := st.ReadLog(log, after, 0)
		if err != nil {
			return all, err
		}
		if len(page) == 0 {
			return all, nil
		}
		all = append(all, page...)
		after = page[len(page)-1].Offset
	}
}

func mustCommit(t *testing.T, st Store, b *persistence.Batch) persistence.Result {
	t.Helper()
	res, err := st.Commit(ctxFor(t), b)
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if len(res.Offsets) != len(b.Appends) {
		t.Fatalf("Commit: %d offsets for %d appends", len(res.Offsets), len(b.Appends))
	}
	return res
}

func mustGet(t *testing.T, st Store, key string) ([]byte, bool) {
	t.Helper()
	v, ok, err := st.Get([]byte(key))
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !ok && v != nil {
		t.Fatalf("Get(%q) = %q, false: want a nil value for a missing key", key, v)
	}
	return v, ok
}

// wantValue fails t unless key holds want (want nil: key absent).
func wantValue(t *testing.T, st Store, key string, want []byte) {
	t.Helper()
	v, ok := mustGet(t, st, key)
	switch {
	case want == nil && ok:
		t.Fatalf("Get(%q) = %q, want absent", key, trunc(v))
	case want != nil && !ok:
		t.Fatalf("Get(%q) absent, want %q", key, trunc(want))
	case want != nil && !bytes.Equal(v, want):
		t.Fatalf("Get(%q) = %q, want %q", key, trunc(v), trunc(want))
	}
}

func mustHead(t *testing.T, st Store, log string) uint64 {
	t.Helper()
	h, err := st.LogHead([]byte(log))
	if err != nil {
		t.Fatalf("LogHead(%q): %v", log, err)
	}
	return h
}

// wantConflict fails t unless err is a *persistence.ConflictError on key
// with current value current (nil: absent).
func wantConflict(t *testing.T, err error, key string, current []byte) {
	t.Helper()
	var ce *persistence.ConflictError
	if !errors.As(err, &ce) || !errors.Is(err, persistence.ErrConflict) {
		t.Fatalf("err = %v, want a *persistence.ConflictError", err)
	}
	if string(ce.Key) != key {
		t.Fatalf("ConflictError.Key = %q, want %q", ce.Key, key)
	}
	if (current == nil) != (ce.Current == nil) || !bytes.Equal(ce.Current, current) {
		t.Fatalf("ConflictError.Current = %q (nil %t), want %q (nil %t)", trunc(ce.Current), ce.Current == nil, trunc(current), current == nil)
	}
}

// trunc shortens a value for a failure message.
func trunc(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:60:60], "..."...)
	}
	return b
}

func kv(k, v string) persistence.KV { return persistence.KV{Key: []byte(k), Value: []byte(v)} }

func keys(kvs []persistence.KV) []string {
	out := make([]string, len(kvs))
	for i, p := range kvs {
		out[i] = string(p.Key)
	}
	return out
}
