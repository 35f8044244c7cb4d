package actors

import (
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Getter reads one key of the store.
type Getter interface {
	Get(key []byte) ([]byte, bool, error)
}

// Load reads the protobuf state under key into m. It answers the raw bytes
// too (an actor's commits are conditioned on them) and found false when the
// key is absent. A read failure is ErrUnavailable; bytes that don't decode
// are reported as corrupt, naming what.
func Load(g Getter, key []byte, m proto.Message, what string) (raw []byte, found bool, err error) {
	v, ok, err := g.Get(key)
	if err != nil {
		return nil, false, fmt.Errorf("%w: load %s: %v", ErrUnavailable, what, err)
	}
	if !ok {
		return nil, false, nil
	}
	if err := proto.Unmarshal(v, m); err != nil {
		return nil, false, fmt.Errorf("%s: corrupt state: %w", what, err)
	}
	return v, true, nil
}

// LoadExisting is Load for state that must exist: absent is ErrNotFound.
func LoadExisting(g Getter, key []byte, m proto.Message, what string) error {
	_, found, err := Load(g, key, m, what)
	if err == nil && !found {
		err = fmt.Errorf("%w: %s", ErrNotFound, what)
	}
	return err
}
