package keyspace

import (
	"encoding/base64"
	"fmt"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/persistence"
)

// Page sizes of list reads.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
)

// PageSize clamps a requested page size.
func PageSize(limit int) int {
	switch {
	case limit <= 0:
		return DefaultPageSize
	case limit > MaxPageSize:
		return MaxPageSize
	}
	return limit
}

// Scanner is a store's prefix scan.
type Scanner interface {
	Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error)
}

// Reader is the read side of the store: point reads and prefix scans.
// Every commit is atomic, so reads see whole commits only.
type Reader interface {
	actors.Getter
	Scanner
}

// Page reads up to limit entries under prefix after an opaque cursor (the
// key suffix of the last entry of the previous page) and converts each; the
// cursor of the next page is "" at the end. A bad cursor is ErrInvalid.
func Page[T any](s Scanner, prefix []byte, limit int, cursor string, conv func(persistence.KV) (T, error)) ([]T, string, error) {
	var after []byte
	if cursor != "" {
		k, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(k) == 0 {
			return nil, "", fmt.Errorf("%w: bad cursor", actors.ErrInvalid)
		}
		after = append(append([]byte{}, prefix...), k...)
	}
	kvs, err := s.Scan(prefix, after, limit+1, false)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", actors.ErrUnavailable, err)
	}
	next := ""
	if len(kvs) > limit {
		kvs = kvs[:limit]
		next = base64.RawURLEncoding.EncodeToString(kvs[limit-1].Key[len(prefix):])
	}
	out := make([]T, 0, len(kvs))
	for _, kv := range kvs {
		v, err := conv(kv)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	return out, next, nil
}
