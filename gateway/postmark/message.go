package postmark

import (
	"strings"
	"time"
)

// Address is one parsed mailbox. It decodes directly from Postmark's
// FromFull, ToFull, CcFull and BccFull entries (field names match the JSON).
type Address struct {
	Email string
	Name  string
	// MailboxHash is the part of the local part after the first '+'
	// ("plus addressing"), "" when there is none.
	MailboxHash string
}

// Header is one message header as Postmark lists it, in the order it sent
// them. Names keep the sender's casing; look them up with Message.Header.
type Header struct {
	Name  string
	Value string
}

// Attachment is one attachment with its content decoded from base64.
type Attachment struct {
	Name        string
	ContentType string
	ContentID   string
	// ContentLength is the size Postmark declared, in bytes; when Postmark
	// sent none (or 0) it is len(Content).
	ContentLength int64
	// Content is the decoded attachment, nil when Postmark sent none.
	Content []byte
}

// Message is a parsed Postmark inbound webhook body.
type Message struct {
	// MessageID is the id Postmark assigned (a UUID), with surrounding
	// white space trimmed. It is never empty and is the intake key:
	// Postmark retries re-post the same body, so it is stable.
	MessageID string
	// RFCMessageID is the sender's Message-ID header, normalized (white
	// space, comments and the surrounding <> removed), "" if absent.
	RFCMessageID string
	// InReplyTo is the first id of the In-Reply-To header, normalized.
	InReplyTo string
	// References are the ids of the References header, normalized, in
	// header order (the thread root first).
	References []string

	// From is taken from FromFull, else parsed from the legacy From and
	// FromName strings.
	From Address
	// To, Cc and Bcc are taken from ToFull, CcFull and BccFull, else parsed
	// leniently from the legacy comma-separated strings (entries that are
	// not addresses are dropped).
	To, Cc, Bcc []Address

	// OriginalRecipient is the address that actually received the mail.
	OriginalRecipient string
	// ReplyTo is the raw Reply-To value.
	ReplyTo string
	Subject string
	// MailboxHash is the plus-address token of the receiving address, ""
	// if none. Spine puts an unguessable case token there.
	MailboxHash   string
	Tag           string
	MessageStream string

	// Date is the sender's Date header exactly as sent; DateParsed is it
	// parsed (RFC 5322 and common variants), zero when it cannot be.
	Date       string
	DateParsed time.Time

	TextBody          string
	HtmlBody          string // named as in Postmark's JSON
	StrippedTextReply string

	// Headers are all headers Postmark listed, in order.
	Headers     []Header
	Attachments []Attachment
	// RawEmail is the full MIME source when the Postmark server is set to
	// include it, else "".
	RawEmail string
}

// Header returns the value of the first header whose name equals name, case
// insensitively, or "" when there is none.
func (m *Message) Header(name string) string {
	for i := range m.Headers {
		if strings.EqualFold(m.Headers[i].Name, name) {
			return m.Headers[i].Value
		}
	}
	return ""
}

// ThreadRoot returns the best id for the thread this message belongs to:
// the first References id, else the In-Reply-To id, else the message's own
// RFC Message-ID, else "postmark:" followed by MessageID. It is a hint for
// case resolution (see the design's threading order), not a case id.
func (m *Message) ThreadRoot() string {
	switch {
	case len(m.References) > 0:
		return m.References[0]
	case m.InReplyTo != "":
		return m.InReplyTo
	case m.RFCMessageID != "":
		return m.RFCMessageID
	default:
		return "postmark:" + m.MessageID
	}
}
