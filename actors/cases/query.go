package cases

import (
	"encoding/base64"
	"fmt"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
	"google.golang.org/protobuf/proto"
)

// Reader is what the read side needs of the store. Every commit is atomic,
// so reads see whole commits only.
type Reader interface {
	Get(key []byte) ([]byte, bool, error)
	Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error)
}

// Page limits of list reads.
const (
	DefaultPageSize = 50
	MaxPageSize     = 500
	// MaxMessagesInline bounds the messages returned with a case; the rest
	// are read page by page with Messages.
	MaxMessagesInline = 1000
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

func decodeCursor(cursor string, prefix []byte) ([]byte, error) {
	if cursor == "" {
		return nil, nil
	}
	k, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(k) == 0 {
		return nil, fmt.Errorf("%w: bad cursor", actors.ErrInvalid)
	}
	return append(append([]byte{}, prefix...), k...), nil
}

func encodeCursor(key, prefix []byte) string {
	return base64.RawURLEncoding.EncodeToString(key[len(prefix):])
}

// List returns a page of the tenant's cases, newest first, and the cursor of
// the next page ("" at the end).
func List(r Reader, clientID string, limit int, cursor string) ([]View, string, error) {
	prefix := keyspace.CaseListPrefix(clientID)
	after, err := decodeCursor(cursor, prefix)
	if err != nil {
		return nil, "", err
	}
	n := PageSize(limit)
	kvs, err := r.Scan(prefix, after, n+1, false)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", actors.ErrUnavailable, err)
	}
	next := ""
	if len(kvs) > n {
		kvs = kvs[:n]
		next = encodeCursor(kvs[n-1].Key, prefix)
	}
	out := make([]View, 0, len(kvs))
	for _, kv := range kvs {
		st, err := loadState(r, clientID, string(kv.Value))
		if err != nil {
			return nil, "", err
		}
		out = append(out, ViewOf(st))
	}
	return out, next, nil
}

func loadState(r Reader, clientID, caseID string) (*spinepb.CaseState, error) {
	v, ok, err := r.Get(keyspace.Case(clientID, caseID))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", actors.ErrUnavailable, err)
	}
	if !ok {
		return nil, fmt.Errorf("%w: case %q", actors.ErrNotFound, caseID)
	}
	st := &spinepb.CaseState{}
	if err := proto.Unmarshal(v, st); err != nil {
		return nil, fmt.Errorf("case %s: corrupt state: %w", caseID, err)
	}
	return st, nil
}

// Get returns a case with its first MaxMessagesInline messages in order.
func Get(r Reader, clientID, caseID string) (*View, error) {
	st, err := loadState(r, clientID, caseID)
	if err != nil {
		return nil, err
	}
	v := ViewOf(st)
	msgs, _, err := Messages(r, clientID, caseID, MaxMessagesInline, "")
	if err != nil {
		return nil, err
	}
	v.Messages = msgs
	if v.Messages == nil {
		v.Messages = []Message{}
	}
	return &v, nil
}

// Messages returns a page of a case's messages in arrival order.
func Messages(r Reader, clientID, caseID string, limit int, cursor string) ([]Message, string, error) {
	prefix := keyspace.MessagePrefix(clientID, caseID)
	after, err := decodeCursor(cursor, prefix)
	if err != nil {
		return nil, "", err
	}
	n := limit
	if n <= 0 {
		n = DefaultPageSize
	}
	kvs, err := r.Scan(prefix, after, n+1, false)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", actors.ErrUnavailable, err)
	}
	next := ""
	if len(kvs) > n {
		kvs = kvs[:n]
		next = encodeCursor(kvs[n-1].Key, prefix)
	}
	out := make([]Message, 0, len(kvs))
	for _, kv := range kvs {
		m := &spinepb.StoredMessage{}
		if err := proto.Unmarshal(kv.Value, m); err != nil {
			return nil, "", fmt.Errorf("case %s: corrupt message: %w", caseID, err)
		}
		out = append(out, MessageOf(m))
	}
	return out, next, nil
}
