package main

import (
	"log/slog"
	"strings"
	"testing"

	"github.com/casespine/spine/persistence"
)

func TestStoreRefusesAnotherShardCount(t *testing.T) {
	dir := t.TempDir()
	cfg := &serveConfig{data: dir, storeShards: 2}
	s, err := openStore(cfg, slog.New(slog.DiscardHandler), func([]persistence.Appended) {}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cfg.storeShards = 4
	if _, err := openStore(cfg, slog.New(slog.DiscardHandler), func([]persistence.Appended) {}, nil); err == nil || !strings.Contains(err.Error(), "another --store-shards") {
		t.Fatalf("reopened with another shard count: %v", err)
	}
	cfg.storeShards = 2
	s, err = openStore(cfg, slog.New(slog.DiscardHandler), func([]persistence.Appended) {}, nil)
	if err != nil {
		t.Fatalf("reopen with the same count: %v", err)
	}
	_ = s.Close()
}
