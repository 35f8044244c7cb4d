package sharded_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/boltstore"
	"github.com/casespine/spine/persistence/sharded"
)

// route places "<family>/<owner>/..." by owner: "a…" on 0, "b…" on 1, the
// rest on 2; a key without an owner has no shard.
func route(key []byte) int {
	var fam, owner string
	if _, err := fmt.Sscanf(string(key), "%1s/%s", &fam, &owner); err != nil || owner == "" {
		return -1
	}
	switch owner[0] {
	case 'a':
		return 0
	case 'b':
		return 1
	}
	return 2
}

func open(t *testing.T) (*sharded.Store, []*boltstore.Store) {
	t.Helper()
	var shards []sharded.Shard
	var raw []*boltstore.Store
	for i := 0; i < 3; i++ {
		s, err := boltstore.Open(boltstore.Options{Path: filepath.Join(t.TempDir(), fmt.Sprintf("s%d.db", i))})
		if err != nil {
			t.Fatal(err)
		}
		shards = append(shards, s)
		raw = append(raw, s)
	}
	s, err := sharded.New(shards, route)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, raw
}

func put(t *testing.T, s *sharded.Store, kvs ...string) {
	t.Helper()
	b := &persistence.Batch{}
	for i := 0; i < len(kvs); i += 2 {
		b.Puts = append(b.Puts, persistence.KV{Key: []byte(kvs[i]), Value: []byte(kvs[i+1])})
	}
	if _, err := s.Commit(context.Background(), b); err != nil {
		t.Fatal(err)
	}
}

func TestRoutesEveryKeyToItsShard(t *testing.T) {
	s, raw := open(t)
	put(t, s, "x/alice", "1", "x/alice/2", "2")
	put(t, s, "x/bob", "3")
	put(t, s, "x/carol", "4")
	for key, shard := range map[string]int{"x/alice": 0, "x/alice/2": 0, "x/bob": 1, "x/carol": 2} {
		for i, r := range raw {
			_, ok, err := r.Get([]byte(key))
			if err != nil || ok != (i == shard) {
				t.Fatalf("%s on shard %d: %v %v (want only on %d)", key, i, ok, err, shard)
			}
		}
		if v, ok, err := s.Get([]byte(key)); !ok || err != nil || len(v) != 1 {
			t.Fatalf("Get %s: %q %v %v", key, v, ok, err)
		}
	}
	vals, found, err := s.GetMany([][]byte{[]byte("x/carol"), []byte("x/alice"), []byte("x/dave"), []byte("x/bob")})
	if err != nil || fmt.Sprint(found) != "[true true false true]" || string(vals[0]) != "4" || string(vals[1]) != "1" || string(vals[3]) != "3" {
		t.Fatalf("GetMany over shards: %q %v %v", vals, found, err)
	}
	if _, _, err := s.Get([]byte("noshard")); !errors.Is(err, persistence.ErrInvalid) {
		t.Fatalf("unroutable key: %v", err)
	}
}

func TestBatchesStayOnOneShard(t *testing.T) {
	s, _ := open(t)
	for name, b := range map[string]*persistence.Batch{
		"puts":           {Puts: []persistence.KV{{Key: []byte("x/alice"), Value: []byte("1")}, {Key: []byte("x/bob"), Value: []byte("2")}}},
		"cond and put":   {Conds: []persistence.Cond{{Key: []byte("x/bob"), Absent: true}}, Puts: []persistence.KV{{Key: []byte("x/alice"), Value: []byte("1")}}},
		"put and log":    {Puts: []persistence.KV{{Key: []byte("x/alice"), Value: []byte("1")}}, Appends: []persistence.Append{{Log: []byte("e/bob"), Value: []byte("e")}}},
		"delete and put": {Puts: []persistence.KV{{Key: []byte("x/carol"), Value: []byte("1")}}, Deletes: [][]byte{[]byte("x/alice")}},
	} {
		if _, err := s.Commit(context.Background(), b); !errors.Is(err, persistence.ErrInvalid) {
			t.Fatalf("%s across shards: %v", name, err)
		}
	}
	if _, ok, _ := s.Get([]byte("x/alice")); ok {
		t.Fatal("a refused batch wrote")
	}
	// A batch on one shard keeps its atomic semantics there.
	res, err := s.Commit(context.Background(), &persistence.Batch{
		Conds:   []persistence.Cond{{Key: []byte("x/bob"), Absent: true}},
		Puts:    []persistence.KV{{Key: []byte("x/bob"), Value: []byte("v")}},
		Appends: []persistence.Append{{Log: []byte("e/bob"), Value: []byte("e1")}, {Log: []byte("e/bob"), Value: []byte("e2")}},
	})
	if err != nil || len(res.Offsets) != 2 || res.Offsets[1] != 2 {
		t.Fatalf("one-shard batch: %v %v", res, err)
	}
	if h, err := s.LogHead([]byte("e/bob")); h != 2 || err != nil {
		t.Fatalf("head %d %v", h, err)
	}
	if es, err := s.ReadLog([]byte("e/bob"), 1, 10); err != nil || len(es) != 1 || string(es[0].Value) != "e2" {
		t.Fatalf("read log: %v %v", es, err)
	}
}

func TestScanAcrossShardsMergesInOrder(t *testing.T) {
	s, _ := open(t)
	put(t, s, "t/carol", "c")
	put(t, s, "t/alice", "a")
	put(t, s, "t/bob", "b")
	put(t, s, "t/anne", "a2")
	put(t, s, "u/alice", "other family")
	cases := []struct {
		after   string
		limit   int
		reverse bool
		want    []string
	}{
		{"", 10, false, []string{"t/alice", "t/anne", "t/bob", "t/carol"}},
		{"", 2, false, []string{"t/alice", "t/anne"}},
		{"t/anne", 10, false, []string{"t/bob", "t/carol"}},
		{"", 3, true, []string{"t/carol", "t/bob", "t/anne"}},
		{"t/bob", 10, true, []string{"t/anne", "t/alice"}},
	}
	for _, c := range cases {
		var after []byte
		if c.after != "" {
			after = []byte(c.after)
		}
		kvs, err := s.Scan([]byte("t/"), after, c.limit, c.reverse)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, kv := range kvs {
			got = append(got, string(kv.Key))
		}
		if fmt.Sprint(got) != fmt.Sprint(c.want) {
			t.Fatalf("scan after %q limit %d reverse %v = %v, want %v", c.after, c.limit, c.reverse, got, c.want)
		}
	}
	// A prefix the route places reads one shard.
	kvs, err := s.Scan([]byte("t/alice"), nil, 10, false)
	if err != nil || len(kvs) != 1 {
		t.Fatalf("placed scan: %v %v", kvs, err)
	}
}

func TestConcurrentCommitsOnSeveralShards(t *testing.T) {
	s, _ := open(t)
	var wg sync.WaitGroup
	for w := 0; w < 24; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			owner := []string{"alice", "bob", "carol"}[w%3]
			for i := 0; i < 50; i++ {
				b := &persistence.Batch{
					Puts:    []persistence.KV{{Key: []byte(fmt.Sprintf("x/%s/%d/%d", owner, w, i)), Value: []byte("v")}},
					Appends: []persistence.Append{{Log: []byte("e/" + owner), Value: []byte("e")}},
				}
				if _, err := s.Commit(context.Background(), b); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	for _, owner := range []string{"alice", "bob", "carol"} {
		if h, err := s.LogHead([]byte("e/" + owner)); h != 8*50 || err != nil {
			t.Fatalf("%s head %d %v", owner, h, err)
		}
	}
}
