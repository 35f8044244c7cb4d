package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/casespine/spine/persistence"
)

// Get returns a copy of the value of key and whether it exists. An empty
// key, or one longer than persistence.MaxKeySize, is persistence.ErrInvalid.
func (s *Store) Get(key []byte) (value []byte, ok bool, err error) {
	if err := persistence.ValidateKey(key); err != nil {
		return nil, false, err
	}
	err = s.view(func(tx *bolt.Tx) error {
		var v []byte
		if v, ok = get(tx.Bucket(bucketKV), key); ok {
			value = append([]byte{}, v...)
		}
		return nil
	})
	return value, ok, err
}

// GetMany reads several keys in one read transaction, so they come from one
// committed state and cost one transaction: vals[i] is a copy of the value of
// keys[i] and found[i] whether it exists.
func (s *Store) GetMany(keys [][]byte) (vals [][]byte, found []bool, err error) {
	for _, k := range keys {
		if err := persistence.ValidateKey(k); err != nil {
			return nil, nil, err
		}
	}
	vals, found = make([][]byte, len(keys)), make([]bool, len(keys))
	err = s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKV)
		for i, k := range keys {
			if v, ok := get(b, k); ok {
				vals[i], found[i] = append([]byte{}, v...), true
			}
		}
		return nil
	})
	return vals, found, err
}

// Scan returns copies of the keys (with their values) that start with
// prefix (nil or empty: every key), in ascending key order, strictly after
// the key after when it is not nil; with reverse, in descending order,
// strictly before after. It returns at most limit pairs, or
// persistence.DefaultLimit when limit <= 0. To page, pass the last key
// returned as the next after.
func (s *Store) Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error) {
	if limit <= 0 {
		limit = persistence.DefaultLimit
	}
	var out []persistence.KV
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketKV).Cursor()
		var k, v []byte
		if reverse {
			k, v = seekBefore(c, prefix, after)
		} else {
			k, v = seekAfter(c, prefix, after)
		}
		for k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit {
			out = append(out, persistence.KV{Key: bytes.Clone(k), Value: append([]byte{}, v...)})
			if reverse {
				k, v = c.Prev()
			} else {
				k, v = c.Next()
			}
		}
		return nil
	})
	return out, err
}

// seekAfter positions c on the first key >= prefix and > after (when after
// is not nil).
func seekAfter(c *bolt.Cursor, prefix, after []byte) ([]byte, []byte) {
	if after == nil || bytes.Compare(after, prefix) < 0 {
		return c.Seek(prefix)
	}
	k, v := c.Seek(after)
	if k != nil && bytes.Equal(k, after) {
		k, v = c.Next()
	}
	return k, v
}

// seekBefore positions c on the last key that is < after (when after is not
// nil) and < every key beyond the prefix range.
func seekBefore(c *bolt.Cursor, prefix, after []byte) ([]byte, []byte) {
	bound := prefixEnd(prefix) // nil: no key is beyond the prefix range
	if after != nil && (bound == nil || bytes.Compare(after, bound) < 0) {
		bound = after
	}
	if bound == nil {
		return c.Last()
	}
	if k, _ := c.Seek(bound); k == nil {
		return c.Last()
	}
	return c.Prev()
}

// prefixEnd returns the smallest key greater than every key with prefix,
// or nil if there is none (prefix empty or all 0xff).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// ReadLog returns copies of the entries of log with an offset greater than
// after, in ascending offset order, at most limit of them
// (persistence.DefaultLimit when limit <= 0). An unknown log has no
// entries. To page, pass the last offset returned as the next after.
func (s *Store) ReadLog(log []byte, after uint64, limit int) ([]persistence.Entry, error) {
	if err := persistence.ValidateKey(log); err != nil {
		return nil, fmt.Errorf("log name: %w", err)
	}
	if limit <= 0 {
		limit = persistence.DefaultLimit
	}
	if after == ^uint64(0) {
		return nil, nil
	}
	prefix := appendLogPrefix(nil, log)
	var out []persistence.Entry
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketLogs).Cursor()
		for k, v := c.Seek(appendLogKey(nil, log, after+1)); k != nil && len(out) < limit; k, v = c.Next() {
			if len(k) != len(prefix)+8 || !bytes.HasPrefix(k, prefix) {
				break
			}
			out = append(out, persistence.Entry{
				Offset: binary.BigEndian.Uint64(k[len(prefix):]),
				Value:  append([]byte{}, v...),
			})
		}
		return nil
	})
	return out, err
}

// LogHead returns the highest offset assigned in log, 0 if none.
func (s *Store) LogHead(log []byte) (uint64, error) {
	if err := persistence.ValidateKey(log); err != nil {
		return 0, fmt.Errorf("log name: %w", err)
	}
	var head uint64
	err := s.view(func(tx *bolt.Tx) (err error) {
		head, err = decodeHead(tx.Bucket(bucketHeads).Get(log))
		return err
	})
	return head, err
}

// view runs fn in a read transaction, mapping a closed database to
// persistence.ErrClosed.
func (s *Store) view(fn func(*bolt.Tx) error) error {
	err := s.db.View(fn)
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return persistence.ErrClosed
	}
	return err
}

// get returns the value of key in b (valid until the transaction ends) and
// whether the key exists; an existing empty value may be nil.
func get(b *bolt.Bucket, key []byte) ([]byte, bool) {
	if v := b.Get(key); v != nil {
		return v, true
	}
	k, v := b.Cursor().Seek(key)
	return v, k != nil && bytes.Equal(k, key)
}
