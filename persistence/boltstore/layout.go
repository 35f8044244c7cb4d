package boltstore

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// layoutVersion is stored under meta/version; bump it on any incompatible
// change of the layout below.
const layoutVersion = 1

var (
	bucketKV    = []byte("kv")
	bucketLogs  = []byte("logs")
	bucketHeads = []byte("heads")
	bucketMeta  = []byte("meta")

	metaVersion = []byte("version")
)

// buckets is the set of buckets a write transaction works with, looked up
// once per transaction.
type buckets struct {
	kv, logs, heads *bolt.Bucket
}

func writeBuckets(tx *bolt.Tx) buckets {
	return buckets{
		kv:    tx.Bucket(bucketKV),
		logs:  tx.Bucket(bucketLogs),
		heads: tx.Bucket(bucketHeads),
	}
}

// initLayout creates the buckets of a new file, or checks the version of an
// existing one.
func initLayout(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketKV, bucketLogs, bucketHeads, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		v := meta.Get(metaVersion)
		if v == nil {
			return meta.Put(metaVersion, encodeUint64(layoutVersion))
		}
		if len(v) != 8 || binary.BigEndian.Uint64(v) != layoutVersion {
			return fmt.Errorf("%w: found %x, want %d", ErrLayout, v, layoutVersion)
		}
		return nil
	})
}

// appendLogPrefix appends to dst the key prefix of every entry of log: its
// length as 2 bytes big endian (names are at most persistence.MaxKeySize),
// then the name. The length makes one log's prefix never a prefix of
// another's.
func appendLogPrefix(dst, log []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(log)))
	return append(dst, log...)
}

// appendLogKey appends to dst the key of entry offset of log.
func appendLogKey(dst, log []byte, offset uint64) []byte {
	return binary.BigEndian.AppendUint64(appendLogPrefix(dst, log), offset)
}

func encodeUint64(v uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), v)
}

func decodeHead(v []byte) (uint64, error) {
	if v == nil {
		return 0, nil
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("boltstore: corrupt log head of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}
