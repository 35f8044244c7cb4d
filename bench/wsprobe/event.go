package wsprobe

import (
	"errors"

	"github.com/casespine/spine/bench/jsonscan"
)

// Event is the envelope of one received event. Byte slices point into the
// frame and are valid until the next Conn.Next.
type Event struct {
	Offset    int64
	HasOffset bool
	Seq       int64
	HasSeq    bool
	ID        []byte
	Epoch     []byte
	Type      []byte
	ClientID  []byte
	CaseID    []byte
	At        []byte
	// SourceMessageID is data.last_message.source_message_id, the Postmark
	// MessageID of the message that caused the event.
	SourceMessageID []byte
}

// ErrEvent reports an event that does not have the contract's shape.
var ErrEvent = errors.New("wsprobe: malformed event")

// ParseEvent scans one event line into ev.
func ParseEvent(line []byte, ev *Event) error {
	*ev = Event{}
	o := jsonscan.NewObject(line)
	for {
		k, v, ok := o.Next()
		if !ok {
			break
		}
		switch string(k) {
		case "offset":
			ev.Offset, ev.HasOffset = jsonscan.Int(v)
		case "seq":
			ev.Seq, ev.HasSeq = jsonscan.Int(v)
		case "id":
			ev.ID, _ = jsonscan.String(v)
		case "epoch":
			ev.Epoch, _ = jsonscan.String(v)
		case "type":
			ev.Type, _ = jsonscan.String(v)
		case "client_id":
			ev.ClientID, _ = jsonscan.String(v)
		case "case_id":
			ev.CaseID, _ = jsonscan.String(v)
		case "at":
			ev.At, _ = jsonscan.String(v)
		case "data":
			if lm, ok := jsonscan.Find(v, "last_message"); ok {
				if s, ok := jsonscan.Find(lm, "source_message_id"); ok {
					ev.SourceMessageID, _ = jsonscan.String(s)
				}
			}
		}
	}
	if o.Err() != nil {
		return ErrEvent
	}
	if !ev.HasOffset || !ev.HasSeq || len(ev.Type) == 0 || len(ev.CaseID) == 0 || len(ev.ClientID) == 0 {
		return ErrEvent
	}
	return nil
}
