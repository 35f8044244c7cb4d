package actors

import (
	"context"
	"fmt"

	"github.com/casespine/spine/persistence"
	"google.golang.org/protobuf/proto"
)

// Getter reads one key of the store.
type Getter interface {
	Get(key []byte) ([]byte, bool, error)
}

// Store is what an actor needs of the store: reads of committed state and
// atomic commits (see package persistence for their semantics).
type Store interface {
	Getter
	GetMany(keys [][]byte) ([][]byte, []bool, error)
	Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error)
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

// Versioned is an actor's state as last committed, with the bytes it was
// committed as. Those bytes are the precondition of the actor's next commit
// (Cond), so a second activation of the same actor, or a retried message,
// loses the race and reloads instead of overwriting.
type Versioned[M proto.Message] struct {
	// State is nil (the zero M) until the state exists.
	State M
	key   []byte
	raw   []byte
}

// NewVersioned tracks the state under key.
func NewVersioned[M proto.Message](key []byte) Versioned[M] { return Versioned[M]{key: key} }

// Reload reads the committed state into a fresh message from newM.
func (v *Versioned[M]) Reload(g Getter, newM func() M, what string) error {
	m := newM()
	raw, found, err := Load(g, v.key, m, what)
	if err != nil {
		return err
	}
	if !found {
		var zero M
		v.State, v.raw = zero, nil
		return nil
	}
	v.State, v.raw = m, raw
	return nil
}

// Exists reports whether the state was ever committed.
func (v *Versioned[M]) Exists() bool { return v.raw != nil }

// Cond is the precondition of the next commit: the state is still absent,
// or still exactly what this actor loaded.
func (v *Versioned[M]) Cond() persistence.Cond {
	if v.raw == nil {
		return persistence.Cond{Key: v.key, Absent: true}
	}
	return persistence.Cond{Key: v.key, Value: v.raw}
}

// Put is the write of a new state encoded as raw.
func (v *Versioned[M]) Put(raw []byte) persistence.KV { return persistence.KV{Key: v.key, Value: raw} }

// Committed records a state once its commit succeeded.
func (v *Versioned[M]) Committed(m M, raw []byte) { v.State, v.raw = m, raw }
