package calls

import (
	"fmt"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
)

// View is a call as the API and its events show it.
type View struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	Direction  string `json:"direction"`
	From       string `json:"from"`
	To         string `json:"to"`
	CaseID     string `json:"case_id,omitempty"`
	StartedAt  string `json:"started_at"`
	AnsweredAt string `json:"answered_at,omitempty"`
	EndedAt    string `json:"ended_at,omitempty"`
	DurationMs int64  `json:"duration_ms,omitempty"`
	EndReason  string `json:"end_reason,omitempty"`
}

func ts(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

// ViewOf is the view of a call state.
func ViewOf(s *spinepb.CallState) View {
	v := View{
		ID: s.Id, Status: s.Status, Direction: s.Direction, From: s.From, To: s.To, CaseID: s.CaseId,
		StartedAt: ts(s.StartedAt), AnsweredAt: ts(s.AnsweredAt), EndedAt: ts(s.EndedAt), EndReason: s.EndReason,
	}
	if s.EndedAt != 0 && s.AnsweredAt != 0 {
		v.DurationMs = (s.EndedAt - s.AnsweredAt) / int64(time.Millisecond)
	}
	return v
}

// Reader is what the read side needs of the store.
type Reader = keyspace.Reader

// Get reads one call.
func Get(r Reader, clientID, callID string) (*View, error) {
	st := &spinepb.CallState{}
	if err := actors.LoadExisting(r, keyspace.Call(clientID, callID), st, fmt.Sprintf("call %q", callID)); err != nil {
		return nil, err
	}
	view := ViewOf(st)
	return &view, nil
}

// List returns a page of the tenant's calls, newest first.
func List(r Reader, clientID string, limit int, cursor string) ([]View, string, error) {
	return keyspace.Page(r, keyspace.CallListPrefix(clientID), keyspace.PageSize(limit), cursor, func(kv persistence.KV) (View, error) {
		v, err := Get(r, clientID, string(kv.Value))
		if err != nil {
			return View{}, err
		}
		return *v, nil
	})
}
