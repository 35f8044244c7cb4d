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

// ParseEvent scans one event line into ev, in one pass over the line.
func ParseEvent(line []byte, ev *Event) error {
	*ev = Event{}
	c := jsonscan.NewCursor(line)
	if !c.Enter() {
		return ErrEvent
	}
	for {
		k, ok := c.Key()
		if !ok {
			break
		}
		switch string(k) {
		case "offset":
			ev.Offset, ev.HasOffset = jsonscan.Int(c.Value())
		case "seq":
			ev.Seq, ev.HasSeq = jsonscan.Int(c.Value())
		case "id":
			ev.ID, _ = jsonscan.String(c.Value())
		case "epoch":
			ev.Epoch, _ = jsonscan.String(c.Value())
		case "type":
			ev.Type, _ = jsonscan.String(c.Value())
		case "client_id":
			ev.ClientID, _ = jsonscan.String(c.Value())
		case "case_id":
			ev.CaseID, _ = jsonscan.String(c.Value())
		case "at":
			ev.At, _ = jsonscan.String(c.Value())
		case "data":
			scanData(&c, ev)
		default:
			c.Skip()
		}
	}
	if c.Err() != nil {
		return ErrEvent
	}
	if !ev.HasOffset || !ev.HasSeq || len(ev.Type) == 0 || len(ev.CaseID) == 0 || len(ev.ClientID) == 0 {
		return ErrEvent
	}
	return nil
}

// scanData reads data.last_message.source_message_id and steps over the
// rest of data.
func scanData(c *jsonscan.Cursor, ev *Event) {
	if !c.Enter() {
		return
	}
	for {
		k, ok := c.Key()
		if !ok {
			return
		}
		if string(k) != "last_message" {
			c.Skip()
			continue
		}
		if !c.Enter() {
			return
		}
		for {
			k, ok := c.Key()
			if !ok {
				break
			}
			if string(k) == "source_message_id" {
				ev.SourceMessageID, _ = jsonscan.String(c.Value())
			} else {
				c.Skip()
			}
		}
	}
}
