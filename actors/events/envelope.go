package events

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"
)

// Event types, dotted lowercase.
const (
	TypeCaseCreated = "case.created"
	TypeCaseUpdated = "case.updated"
	TypeCallStarted = "call.started"
	TypeCallActive  = "call.active"
	TypeCallEnded   = "call.ended"
)

// Envelope is an event as stored in the event log: everything but its
// offset, which the log assigns at commit.
type Envelope struct {
	Epoch    string          `json:"epoch"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	ClientID string          `json:"client_id"`
	CaseID   string          `json:"case_id,omitempty"`
	CallID   string          `json:"call_id,omitempty"`
	Seq      uint64          `json:"seq"`
	At       string          `json:"at"`
	Data     json.RawMessage `json:"data"`
}

// NewEnvelope fills in the derived fields: the id (unique and stable: the
// subject's kind, the subject and its seq, so a call named like a case
// cannot share ids with it) and the commit time in RFC 3339 with
// nanoseconds.
func NewEnvelope(epoch, typ, clientID, caseID, callID string, seq uint64, at time.Time, data json.RawMessage) Envelope {
	subject := "case_" + caseID
	if caseID == "" {
		subject = "call_" + callID
	}
	return Envelope{
		Epoch: epoch, ID: "ev_" + subject + "_" + strconv.FormatUint(seq, 10), Type: typ,
		ClientID: clientID, CaseID: caseID, CallID: callID, Seq: seq,
		At: at.UTC().Format(time.RFC3339Nano), Data: data,
	}
}

// Encode returns the stored form of the envelope.
func (e *Envelope) Encode() ([]byte, error) { return json.Marshal(e) }

// Wire returns the bytes clients receive for a stored envelope at offset:
// the stored JSON object with "offset" as its first member.
func Wire(offset uint64, stored []byte) []byte {
	if len(stored) < 2 || stored[0] != '{' {
		return nil
	}
	b := make([]byte, 0, len(stored)+24)
	b = append(b, `{"offset":`...)
	b = strconv.AppendUint(b, offset, 10)
	if rest := bytes.TrimLeft(stored[1:], " \t\r\n"); len(rest) == 0 || rest[0] != '}' {
		b = append(b, ',') // not an empty object: more members follow
	}
	return append(b, stored[1:]...)
}
