package postmark

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxMessageIDLen bounds Postmark's MessageID (a 36-byte UUID in practice):
// it becomes a storage key.
const maxMessageIDLen = 256

// maxHeaderPrealloc caps the Headers capacity Parse reserves up front.
const maxHeaderPrealloc = 256

// wireMessage is the JSON shape of a Postmark inbound webhook body. Field
// names match the JSON keys; unknown keys are ignored.
type wireMessage struct {
	FromName          string
	MessageStream     string
	From              string
	FromFull          Address
	To                string
	ToFull            []Address
	Cc                string
	CcFull            []Address
	Bcc               string
	BccFull           []Address
	OriginalRecipient string
	Subject           string
	MessageID         string
	ReplyTo           string
	MailboxHash       string
	Date              string
	TextBody          string
	HtmlBody          string
	StrippedTextReply string
	Tag               string
	Headers           []Header
	Attachments       []wireAttachment
	RawEmail          string
}

type wireAttachment struct {
	Name          string
	ContentType   string
	ContentID     string
	ContentLength int64
	Content       rawString
}

// rawString keeps the raw JSON text of a value so that Parse can decode the
// base64 inside it straight from the body, without first copying it into a
// string, and report bad base64 as ErrInvalid with the attachment's index.
// It aliases the body, so it must not outlive Parse.
type rawString []byte

func (r *rawString) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// Parse parses a Postmark inbound webhook body. The returned Message does not
// alias body. Errors wrap ErrMalformed or ErrInvalid; see their docs.
func Parse(body []byte) (*Message, error) {
	// json.Unmarshal accepts null into a struct; Postmark always sends an
	// object, and anything else is not a Postmark body.
	if t := bytes.TrimLeft(body, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return nil, fmt.Errorf("%w: body is not a JSON object", ErrMalformed)
	}
	var w wireMessage
	// encoding/json appends into the capacity a slice already has, so
	// sizing Headers from a cheap upper bound on its length (every header
	// has a "Name" key; addresses and attachments add a few more) saves
	// the repeated growth of the longest array in a real body.
	if n := bytes.Count(body, []byte(`"Name"`)); n > 0 {
		w.Headers = make([]Header, 0, min(n, maxHeaderPrealloc))
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError(err)
	}

	id := strings.TrimSpace(w.MessageID)
	switch {
	case id == "":
		return nil, fmt.Errorf("%w: MessageID is missing", ErrInvalid)
	case len(id) > maxMessageIDLen:
		return nil, fmt.Errorf("%w: MessageID is longer than %d bytes", ErrInvalid, maxMessageIDLen)
	case strings.ContainsFunc(id, isControl):
		return nil, fmt.Errorf("%w: MessageID contains control characters", ErrInvalid)
	}

	m := &Message{
		MessageID:         id,
		From:              w.FromFull,
		To:                w.ToFull,
		Cc:                w.CcFull,
		Bcc:               w.BccFull,
		OriginalRecipient: w.OriginalRecipient,
		ReplyTo:           w.ReplyTo,
		Subject:           w.Subject,
		MailboxHash:       w.MailboxHash,
		Tag:               w.Tag,
		MessageStream:     w.MessageStream,
		Date:              w.Date,
		DateParsed:        parseDate(w.Date),
		TextBody:          w.TextBody,
		HtmlBody:          w.HtmlBody,
		StrippedTextReply: w.StrippedTextReply,
		Headers:           w.Headers,
		RawEmail:          w.RawEmail,
	}

	if len(m.Headers) == 0 {
		m.Headers = nil // drop the capacity reserved above
	}
	if m.From.Email == "" {
		if a, ok := parseAddress(w.From); ok {
			m.From = a
		}
	}
	if m.From.Name == "" {
		m.From.Name = w.FromName
	}
	if len(m.To) == 0 {
		m.To = parseAddressList(w.To)
	}
	if len(m.Cc) == 0 {
		m.Cc = parseAddressList(w.Cc)
	}
	if len(m.Bcc) == 0 {
		m.Bcc = parseAddressList(w.Bcc)
	}

	// One pass over the headers for the three threading headers; the first
	// occurrence of each wins.
	var msgID, inReplyTo, references string
	var haveMsgID, haveInReplyTo, haveReferences bool
	for i := range m.Headers {
		h := &m.Headers[i]
		switch {
		case !haveMsgID && strings.EqualFold(h.Name, "Message-ID"):
			msgID, haveMsgID = h.Value, true
		case !haveInReplyTo && strings.EqualFold(h.Name, "In-Reply-To"):
			inReplyTo, haveInReplyTo = h.Value, true
		case !haveReferences && strings.EqualFold(h.Name, "References"):
			references, haveReferences = h.Value, true
		}
	}
	m.RFCMessageID = normalizeOneID(msgID)
	m.InReplyTo = firstID(inReplyTo)
	m.References = ParseIDList(references)

	if len(w.Attachments) > 0 {
		m.Attachments = make([]Attachment, len(w.Attachments))
		for i := range w.Attachments {
			if err := decodeAttachment(&m.Attachments[i], &w.Attachments[i], i); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}

// normalizeOneID normalizes a Message-ID header value: its first id per
// ParseIDList, else (an id without '@' and without brackets) the value with
// NormalizeMessageID applied if that leaves a single token.
func normalizeOneID(v string) string {
	if id := firstID(v); id != "" {
		return id
	}
	id := NormalizeMessageID(v)
	if strings.ContainsAny(id, " \t\r\n\v\f<>") {
		return ""
	}
	return id
}

func decodeAttachment(dst *Attachment, src *wireAttachment, i int) error {
	if src.ContentLength < 0 {
		return fmt.Errorf("%w: Attachments[%d].ContentLength is negative", ErrInvalid, i)
	}
	content, err := decodeBase64Value(src.Content)
	if err != nil {
		if errors.Is(err, errNotString) {
			return fmt.Errorf("%w: Attachments[%d].Content is not a string", ErrMalformed, i)
		}
		return fmt.Errorf("%w: Attachments[%d].Content is not valid base64", ErrInvalid, i)
	}
	*dst = Attachment{
		Name:          src.Name,
		ContentType:   src.ContentType,
		ContentID:     src.ContentID,
		ContentLength: src.ContentLength,
		Content:       content,
	}
	if dst.ContentLength == 0 {
		dst.ContentLength = int64(len(content))
	}
	return nil
}

var errNotString = errors.New("not a JSON string")

// decodeBase64Value decodes the base64 text in a raw JSON value (a string or
// null). Standard base64 with or without padding is accepted; line breaks are
// ignored.
func decodeBase64Value(raw []byte) ([]byte, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '"' {
		return nil, errNotString
	}
	text := raw[1 : len(raw)-1]
	if bytes.IndexByte(text, '\\') >= 0 {
		// Escapes (\/ from some encoders, \r\n line breaks): let
		// encoding/json unquote. The value already passed its validation.
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		text = []byte(s)
	}
	if len(text) == 0 {
		return nil, nil
	}
	n := len(text) - bytes.Count(text, []byte{'\n'}) - bytes.Count(text, []byte{'\r'})
	enc := base64.StdEncoding
	if n%4 != 0 {
		enc = base64.RawStdEncoding
	}
	out := make([]byte, enc.DecodedLen(len(text)))
	k, err := enc.Decode(out, text)
	if err != nil {
		return nil, err
	}
	return out[:k:k], nil
}

// jsonError maps an encoding/json error to ErrMalformed with a detail that
// names a field or an offset but never quotes the body.
func jsonError(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Errorf("%w: invalid JSON near byte offset %d", ErrMalformed, se.Offset)
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := te.Field
		if field == "" {
			field = "(top level)"
		}
		return fmt.Errorf("%w: field %s has the wrong JSON type (want %s)", ErrMalformed, field, jsonKind(te.Type.String()))
	}
	return fmt.Errorf("%w: invalid JSON", ErrMalformed)
}

// jsonKind names the JSON kind expected for a Go type in a type error.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "string"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"), strings.HasPrefix(goType, "float"):
		return "number"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	default:
		return "object"
	}
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError }
