package cases

import (
	"fmt"

	"github.com/casespine/spine/actors/spinepb"
	"github.com/klauspost/compress/s2"
	"google.golang.org/protobuf/proto"
)

// Stored messages are protobuf, S2-compressed when that pays: mail bodies
// (HTML above all) shrink two to five times, and fewer bytes per commit is
// more commits per second. A compressed value starts with a zero byte,
// which never starts a protobuf message (field number 0 is invalid).
const (
	compressedMark  = 0x00
	compressAtLeast = 512 // bytes of protobuf below which compression is skipped
)

func encodeMessage(m *spinepb.StoredMessage) ([]byte, error) {
	raw, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(raw) < compressAtLeast {
		return raw, nil
	}
	out := make([]byte, 1, 1+s2.MaxEncodedLen(len(raw)))
	out[0] = compressedMark
	out = append(out, s2.Encode(nil, raw)...)
	if len(out) >= len(raw) {
		return raw, nil
	}
	return out, nil
}

func decodeMessage(v []byte) (*spinepb.StoredMessage, error) {
	if len(v) > 0 && v[0] == compressedMark {
		raw, err := s2.Decode(nil, v[1:])
		if err != nil {
			return nil, fmt.Errorf("decompress: %w", err)
		}
		v = raw
	}
	m := &spinepb.StoredMessage{}
	if err := proto.Unmarshal(v, m); err != nil {
		return nil, err
	}
	return m, nil
}
