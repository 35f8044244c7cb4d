package sharded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/casespine/spine/persistence"
)

// Shard is one of the stores a Store spreads over.
type Shard interface {
	Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error)
	Get(key []byte) ([]byte, bool, error)
	GetMany(keys [][]byte) ([][]byte, []bool, error)
	Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error)
	ReadLog(log []byte, after uint64, limit int) ([]persistence.Entry, error)
	LogHead(log []byte) (uint64, error)
	Close() error
}

// Route places a key or log name on a shard: an index below the number of
// shards, or -1 when the key says nothing about its shard (a prefix common
// to every shard).
type Route func(key []byte) int

// Store is a store over several shards.
type Store struct {
	shards []Shard
	route  Route
}

// New returns a store over shards placed by route.
func New(shards []Shard, route Route) (*Store, error) {
	if len(shards) == 0 || route == nil {
		return nil, errors.New("sharded: shards and a route are required")
	}
	return &Store{shards: shards, route: route}, nil
}

// Shards is the number of shards.
func (s *Store) Shards() int { return len(s.shards) }

func (s *Store) place(key []byte) (int, error) {
	i := s.route(key)
	if i < 0 || i >= len(s.shards) {
		return 0, fmt.Errorf("%w: key %q has no shard", persistence.ErrInvalid, key)
	}
	return i, nil
}

// Commit applies b on its shard. A batch whose keys lie on several shards
// is ErrInvalid: it could not be atomic.
func (s *Store) Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error) {
	if b == nil {
		return persistence.Result{}, fmt.Errorf("%w: nil batch", persistence.ErrInvalid)
	}
	shard := -1
	on := func(key []byte) error {
		i, err := s.place(key)
		if err != nil {
			return err
		}
		if shard >= 0 && i != shard {
			return fmt.Errorf("%w: batch spans shards %d and %d (key %q)", persistence.ErrInvalid, shard, i, key)
		}
		shard = i
		return nil
	}
	for _, c := range b.Conds {
		if err := on(c.Key); err != nil {
			return persistence.Result{}, err
		}
	}
	for _, kv := range b.Puts {
		if err := on(kv.Key); err != nil {
			return persistence.Result{}, err
		}
	}
	for _, k := range b.Deletes {
		if err := on(k); err != nil {
			return persistence.Result{}, err
		}
	}
	for _, a := range b.Appends {
		if err := on(a.Log); err != nil {
			return persistence.Result{}, err
		}
	}
	if shard < 0 {
		shard = 0 // an empty batch
	}
	return s.shards[shard].Commit(ctx, b)
}

// Get reads key from its shard.
func (s *Store) Get(key []byte) ([]byte, bool, error) {
	i, err := s.place(key)
	if err != nil {
		return nil, false, err
	}
	return s.shards[i].Get(key)
}

// GetMany reads several keys, one read per shard involved.
func (s *Store) GetMany(keys [][]byte) ([][]byte, []bool, error) {
	byShard := map[int][]int{}
	for i, k := range keys {
		sh, err := s.place(k)
		if err != nil {
			return nil, nil, err
		}
		byShard[sh] = append(byShard[sh], i)
	}
	vals, found := make([][]byte, len(keys)), make([]bool, len(keys))
	for sh, idx := range byShard {
		ks := make([][]byte, len(idx))
		for j, i := range idx {
			ks[j] = keys[i]
		}
		v, f, err := s.shards[sh].GetMany(ks)
		if err != nil {
			return nil, nil, err
		}
		for j, i := range idx {
			vals[i], found[i] = v[j], f[j]
		}
	}
	return vals, found, nil
}

// Scan reads the keys under prefix from the prefix's shard, or from every
// shard, merged in key order, when the route cannot place the prefix.
func (s *Store) Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error) {
	if i := s.route(prefix); i >= 0 && i < len(s.shards) {
		return s.shards[i].Scan(prefix, after, limit, reverse)
	}
	var all []persistence.KV
	for _, sh := range s.shards {
		kvs, err := sh.Scan(prefix, after, limit, reverse)
		if err != nil {
			return nil, err
		}
		all = append(all, kvs...)
	}
	sortKVs(all, reverse)
	if limit <= 0 {
		limit = persistence.DefaultLimit
	}
	if len(all) > limit {
		all = all[:limit]
	}
	return all, nil
}

func sortKVs(kvs []persistence.KV, reverse bool) {
	cmp := func(a, b persistence.KV) int {
		c := bytes.Compare(a.Key, b.Key)
		if reverse {
			return -c
		}
		return c
	}
	slices.SortFunc(kvs, cmp)
}

// ReadLog reads a log from its shard.
func (s *Store) ReadLog(log []byte, after uint64, limit int) ([]persistence.Entry, error) {
	i, err := s.place(log)
	if err != nil {
		return nil, err
	}
	return s.shards[i].ReadLog(log, after, limit)
}

// LogHead reads a log's head from its shard.
func (s *Store) LogHead(log []byte) (uint64, error) {
	i, err := s.place(log)
	if err != nil {
		return 0, err
	}
	return s.shards[i].LogHead(log)
}

// Close closes every shard; it is idempotent as the shards' Close is.
func (s *Store) Close() error {
	var errs []error
	for _, sh := range s.shards {
		errs = append(errs, sh.Close())
	}
	return errors.Join(errs...)
}
