package cases

import (
	"fmt"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
)

// Reader is what the read side needs of the store.
type Reader = keyspace.Reader

// Page limits of list reads.
const (
	DefaultPageSize = keyspace.DefaultPageSize
	MaxPageSize     = keyspace.MaxPageSize
	// MaxMessagesInline bounds the messages returned with a case; the rest
	// are read page by page with Messages.
	MaxMessagesInline = 1000
)

// PageSize clamps a requested page size.
func PageSize(limit int) int { return keyspace.PageSize(limit) }

// List returns a page of the tenant's cases, newest first, and the cursor of
// the next page ("" at the end).
func List(r Reader, clientID string, limit int, cursor string) ([]View, string, error) {
	return keyspace.Page(r, keyspace.CaseListPrefix(clientID), PageSize(limit), cursor, func(kv persistence.KV) (View, error) {
		st, err := loadState(r, clientID, string(kv.Value))
		if err != nil {
			return View{}, err
		}
		return ViewOf(st), nil
	})
}

func loadState(r Reader, clientID, caseID string) (*spinepb.CaseState, error) {
	st := &spinepb.CaseState{}
	return st, actors.LoadExisting(r, keyspace.Case(clientID, caseID), st, fmt.Sprintf("case %q", caseID))
}

// Exists answers ErrNotFound for a case that does not exist.
func Exists(r Reader, clientID, caseID string) error {
	_, err := loadState(r, clientID, caseID)
	return err
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

// Messages returns a page of a case's messages in arrival order; limit is
// not clamped beyond MaxMessagesInline.
func Messages(r Reader, clientID, caseID string, limit int, cursor string) ([]Message, string, error) {
	if limit <= 0 {
		limit = DefaultPageSize
	}
	return keyspace.Page(r, keyspace.MessagePrefix(clientID, caseID), min(limit, MaxMessagesInline), cursor, func(kv persistence.KV) (Message, error) {
		m, err := decodeMessage(kv.Value)
		if err != nil {
			return Message{}, fmt.Errorf("case %s: corrupt message: %w", caseID, err)
		}
		return MessageOf(m), nil
	})
}
