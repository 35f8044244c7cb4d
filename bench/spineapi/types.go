package spineapi

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Participant is an email address with a display name.
type Participant struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// TenantRequest is the body of POST /admin/clients.
type TenantRequest struct {
	ClientID string         `json:"client_id"`
	Name     string         `json:"name"`
	Settings map[string]any `json:"settings,omitempty"`
}

// Tenant is the answer to POST /admin/clients.
type Tenant struct {
	ClientID  string         `json:"client_id"`
	Name      string         `json:"name"`
	CreatedAt string         `json:"created_at"`
	Settings  map[string]any `json:"settings"`
	Secrets   struct {
		PostmarkToken string `json:"postmark_token"`
	} `json:"secrets"`
}

// TokenRequest is the body of POST /admin/clients/:cid/tokens.
type TokenRequest struct {
	Sub  string `json:"sub"`
	Role string `json:"role"`
	TTL  string `json:"ttl,omitempty"`
}

// Token is the answer to POST /admin/clients/:cid/tokens.
type Token struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
}

// Message is one stored message of a case.
type Message struct {
	ID              string        `json:"id"`
	Source          string        `json:"source"`
	SourceMessageID string        `json:"source_message_id"`
	RFCMessageID    string        `json:"rfc_message_id"`
	From            Participant   `json:"from"`
	To              []Participant `json:"to"`
	Subject         string        `json:"subject"`
	Text            string        `json:"text"`
	ReceivedAt      string        `json:"received_at"`
}

// Case is a case as the admin API shows it; Messages is filled only by
// GET /admin/clients/:cid/cases/:case_id.
type Case struct {
	ID           string        `json:"id"`
	Subject      string        `json:"subject"`
	Status       string        `json:"status"`
	Participants []Participant `json:"participants"`
	MessageCount int           `json:"message_count"`
	ReplyToken   string        `json:"reply_token"`
	CreatedAt    string        `json:"created_at"`
	UpdatedAt    string        `json:"updated_at"`
	Messages     []Message     `json:"messages"`
}

// CaseList is one page of GET /admin/clients/:cid/cases.
type CaseList struct {
	Items      []Case `json:"items"`
	NextCursor Cursor `json:"next_cursor"`
}

// EventMessage is data.last_message of an event.
type EventMessage struct {
	ID              string      `json:"id"`
	SourceMessageID string      `json:"source_message_id"`
	From            Participant `json:"from"`
	Subject         string      `json:"subject"`
	Text            string      `json:"text"`
	ReceivedAt      string      `json:"received_at"`
}

// EventData is the case summary carried by case events.
type EventData struct {
	Subject      string        `json:"subject"`
	Status       string        `json:"status"`
	Participants []Participant `json:"participants"`
	MessageCount int           `json:"message_count"`
	LastMessage  *EventMessage `json:"last_message"`
	ReplyToken   string        `json:"reply_token"`
}

// Event is one entry of a tenant's event log, as stored and as streamed.
type Event struct {
	Offset   int64     `json:"offset"`
	Epoch    string    `json:"epoch"`
	ID       string    `json:"id"`
	Type     string    `json:"type"`
	ClientID string    `json:"client_id"`
	CaseID   string    `json:"case_id"`
	Seq      int64     `json:"seq"`
	At       string    `json:"at"`
	Data     EventData `json:"data"`
}

// EventLogPage is one page of GET /admin/clients/:cid/event-log.
type EventLogPage struct {
	Items      []Event `json:"items"`
	NextCursor Cursor  `json:"next_cursor"`
	Head       Number  `json:"head"`
	Published  Number  `json:"published"`
}

// RuntimeStats is the answer to POST /admin/runtime/gc.
type RuntimeStats struct {
	RSSBytes       int64 `json:"rss_bytes"`
	HeapInuseBytes int64 `json:"heap_inuse_bytes"`
	Goroutines     int64 `json:"goroutines"`
}

// Cursor is an opaque pagination cursor. It accepts a JSON string or number
// (and remembers which, so a contract mismatch can be reported); empty
// means the end of the list.
type Cursor struct {
	Value    string
	IsNumber bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (c *Cursor) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = Cursor{}
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*c = Cursor{Value: s}
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return err
		}
		*c = Cursor{Value: n.String(), IsNumber: true}
	}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (c Cursor) MarshalJSON() ([]byte, error) {
	if c.IsNumber {
		return []byte(c.Value), nil
	}
	return json.Marshal(c.Value)
}

// Number is an integer that may arrive as a JSON number or a numeric string.
type Number struct {
	Value    int64
	Present  bool
	IsString bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (n *Number) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		*n = Number{}
		return nil
	}
	isString := false
	if len(b) > 1 && b[0] == '"' {
		b = b[1 : len(b)-1]
		isString = true
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return err
	}
	*n = Number{Value: v, Present: true, IsString: isString}
	return nil
}

// MarshalJSON implements json.Marshaler.
func (n Number) MarshalJSON() ([]byte, error) {
	if !n.Present {
		return []byte("null"), nil
	}
	return strconv.AppendInt(nil, n.Value, 10), nil
}
