package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"time"

	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/boltstore"
	"github.com/casespine/spine/persistence/sharded"
)

// storeFiles names the bbolt files of a data directory with n shards: one
// spine.db, or spine-<i>-of-<n>.db.
func storeFiles(dir string, n int) []string {
	if n == 1 {
		return []string{filepath.Join(dir, "spine.db")}
	}
	out := make([]string, n)
	for i := range out {
		out[i] = filepath.Join(dir, fmt.Sprintf("spine-%d-of-%d.db", i, n))
	}
	return out
}

// openStore opens the node's store: --store-shards bbolt files, tenants
// spread over them, each with its own group committer. A data directory
// made with another shard count is refused rather than misread.
func openStore(cfg *serveConfig, log *slog.Logger, onCommit func([]persistence.Appended), observe func(int, int, time.Duration)) (*sharded.Store, error) {
	n := cfg.storeShards
	if n < 1 || n > 64 {
		return nil, fmt.Errorf("--store-shards must be 1 to 64, not %d", n)
	}
	want := storeFiles(cfg.data, n)
	existing, err := filepath.Glob(filepath.Join(cfg.data, "spine*.db"))
	if err != nil {
		return nil, err
	}
	for _, f := range existing {
		if !slices.Contains(want, f) {
			return nil, fmt.Errorf("%s was made with another --store-shards than %d", f, n)
		}
	}
	var perShard int64
	if cfg.maxStoreBytes > 0 {
		perShard = max(cfg.maxStoreBytes/int64(n), 1<<16)
	}
	shards := make([]sharded.Shard, 0, n)
	fail := func(err error) (*sharded.Store, error) {
		for _, s := range shards {
			_ = s.Close()
		}
		return nil, err
	}
	for _, path := range want {
		s, err := boltstore.Open(boltstore.Options{
			Path: path, OnCommit: onCommit, Observe: observe, MaxFileSize: perShard, Logger: log,
		})
		if err != nil {
			return fail(err)
		}
		shards = append(shards, s)
	}
	return sharded.New(shards, func(key []byte) int { return keyspace.Shard(key, n) })
}
