package cases

import (
	"time"

	"github.com/casespine/spine/actors/spinepb"
)

// Participant is a person on a case.
type Participant struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// LastMessage summarises the newest message of a case.
type LastMessage struct {
	ID              string      `json:"id"`
	SourceMessageID string      `json:"source_message_id"`
	From            Participant `json:"from"`
	Subject         string      `json:"subject"`
	Text            string      `json:"text"`
	ReceivedAt      string      `json:"received_at"`
}

// Summary is the `data` of case events.
type Summary struct {
	Subject      string        `json:"subject"`
	Status       string        `json:"status"`
	Participants []Participant `json:"participants"`
	MessageCount uint64        `json:"message_count"`
	LastMessage  *LastMessage  `json:"last_message,omitempty"`
	ReplyToken   string        `json:"reply_token"`
}

// View is a case as the admin API shows it.
type View struct {
	ID           string        `json:"id"`
	Subject      string        `json:"subject"`
	Status       string        `json:"status"`
	Participants []Participant `json:"participants"`
	MessageCount uint64        `json:"message_count"`
	ReplyToken   string        `json:"reply_token"`
	CreatedAt    string        `json:"created_at"`
	UpdatedAt    string        `json:"updated_at"`
	LastMessage  *LastMessage  `json:"last_message,omitempty"`
	Messages     []Message     `json:"messages,omitempty"`
}

// Attachment describes a stored attachment (its content is kept apart).
type Attachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	ContentID   string `json:"content_id,omitempty"`
	Size        int64  `json:"size"`
}

// Message is a stored message as the admin API shows it.
type Message struct {
	ID              string        `json:"id"`
	Source          string        `json:"source"`
	SourceMessageID string        `json:"source_message_id"`
	RFCMessageID    string        `json:"rfc_message_id"`
	InReplyTo       string        `json:"in_reply_to,omitempty"`
	References      []string      `json:"references,omitempty"`
	From            Participant   `json:"from"`
	To              []Participant `json:"to"`
	Cc              []Participant `json:"cc,omitempty"`
	Subject         string        `json:"subject"`
	Text            string        `json:"text"`
	HTML            string        `json:"html,omitempty"`
	ReceivedAt      string        `json:"received_at"`
	SentAt          string        `json:"sent_at,omitempty"`
	Attachments     []Attachment  `json:"attachments,omitempty"`
}

func ts(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}

func participant(a *spinepb.Address) Participant {
	return Participant{Email: a.GetEmail(), Name: a.GetName()}
}

func participants(as []*spinepb.Address) []Participant {
	out := make([]Participant, 0, len(as))
	for _, a := range as {
		out = append(out, participant(a))
	}
	return out
}

func lastMessage(m *spinepb.MessageSummary) *LastMessage {
	if m == nil {
		return nil
	}
	return &LastMessage{
		ID: m.Id, SourceMessageID: m.SourceMessageId, From: participant(m.From),
		Subject: m.Subject, Text: m.Text, ReceivedAt: ts(m.ReceivedAt),
	}
}

// SummaryOf is the event data of a case state.
func SummaryOf(s *spinepb.CaseState) Summary {
	return Summary{
		Subject: s.Subject, Status: s.Status, Participants: participants(s.Participants),
		MessageCount: s.MessageCount, LastMessage: lastMessage(s.LastMessage), ReplyToken: s.ReplyToken,
	}
}

// ViewOf is the API view of a case state, without messages.
func ViewOf(s *spinepb.CaseState) View {
	return View{
		ID: s.Id, Subject: s.Subject, Status: s.Status, Participants: participants(s.Participants),
		MessageCount: s.MessageCount, ReplyToken: s.ReplyToken,
		CreatedAt: ts(s.CreatedAt), UpdatedAt: ts(s.UpdatedAt), LastMessage: lastMessage(s.LastMessage),
	}
}

// MessageOf is the API view of a stored message.
func MessageOf(m *spinepb.StoredMessage) Message {
	out := Message{
		ID: m.Id, Source: m.Source, SourceMessageID: m.SourceMessageId, RFCMessageID: m.RfcMessageId,
		InReplyTo: m.InReplyTo, References: m.References,
		From: participant(m.From), To: participants(m.To), Subject: m.Subject, Text: m.Text, HTML: m.Html,
		ReceivedAt: ts(m.ReceivedAt), SentAt: ts(m.SentAt),
	}
	if len(m.Cc) > 0 {
		out.Cc = participants(m.Cc)
	}
	for _, a := range m.Attachments {
		out.Attachments = append(out.Attachments, Attachment{Name: a.Name, ContentType: a.ContentType, ContentID: a.ContentId, Size: a.Size})
	}
	return out
}
