package wsprobe

import (
	"bytes"
	"hash/maphash"
	"sync"
)

// Cache memoises ParseEvent by the exact bytes of a line. In a fan-out
// every socket of a tenant receives the same bytes for an event, so the
// generator parses each event once instead of once per socket; a line that
// differs in any byte is parsed on its own, so the result is exactly what
// ParseEvent would return. It is safe for concurrent use and bounded:
// a shard that fills up is emptied.
type Cache struct {
	seed   maphash.Seed
	shards [cacheShards]cacheShard
}

const (
	cacheShards   = 32
	cacheShardCap = 1024
)

type cacheShard struct {
	mu sync.Mutex
	m  map[uint64]*cached
	_  [40]byte
}

type cached struct {
	raw []byte
	ev  Event // slices point into raw
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	c := &Cache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i].m = make(map[uint64]*cached, cacheShardCap)
	}
	return c
}

// Parse returns the parsed event of line. The Event is shared and must not
// be modified; it stays valid after line is reused.
func (c *Cache) Parse(line []byte) (*Event, error) {
	h := maphash.Bytes(c.seed, line)
	s := &c.shards[h%cacheShards]
	s.mu.Lock()
	e := s.m[h]
	s.mu.Unlock()
	if e != nil && bytes.Equal(e.raw, line) {
		return &e.ev, nil
	}
	e = &cached{raw: bytes.Clone(line)}
	if err := ParseEvent(e.raw, &e.ev); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if len(s.m) >= cacheShardCap {
		clear(s.m)
	}
	s.m[h] = e
	s.mu.Unlock()
	return &e.ev, nil
}
