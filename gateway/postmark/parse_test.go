package postmark

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file  string
		check func(t *testing.T, m *Message)
	}{
		{"first_message.json", func(t *testing.T, m *Message) {
			eq(t, "MessageID", m.MessageID, "5b4f3c1e-8a2d-4c7e-9f10-2d6b8e4a7c31")
			eq(t, "RFCMessageID", m.RFCMessageID, "CAF=k7Xv2m9Qp+Rw4Zt8L1yHn3bE@mail.example.com")
			eq(t, "InReplyTo", m.InReplyTo, "")
			if m.References != nil {
				t.Errorf("References = %q, want nil", m.References)
			}
			eq(t, "ThreadRoot", m.ThreadRoot(), "CAF=k7Xv2m9Qp+Rw4Zt8L1yHn3bE@mail.example.com")
			deq(t, "From", m.From, Address{Email: "maria.lopez@example.com", Name: "Maria Lopez"})
			deq(t, "To", m.To, []Address{{Email: "support@acme-travel.example", Name: "ACME Travel Support"}})
			deq(t, "Cc", m.Cc, []Address{{Email: "jorge.lopez@example.com", Name: "Jorge Lopez"}})
			if len(m.Bcc) != 0 {
				t.Errorf("Bcc = %v, want none", m.Bcc)
			}
			eq(t, "Subject", m.Subject, "Booking ACM-48213: change of return flight")
			eq(t, "MessageStream", m.MessageStream, "inbound")
			eq(t, "OriginalRecipient", m.OriginalRecipient, "support@acme-travel.example")
			eq(t, "Date", m.Date, "Mon, 16 Sep 2024 11:12:39 +0200")
			wantDate(t, m.DateParsed, "2024-09-16T09:12:39Z")
			if !strings.HasPrefix(m.TextBody, "Hello,\r\n") || !strings.Contains(m.HtmlBody, "<p>Hello,</p>") {
				t.Errorf("bodies not decoded: %q / %q", m.TextBody, m.HtmlBody)
			}
			eq(t, "X-Spam-Status", m.Header("x-spam-status"), "No")
			eq(t, "Received (first)", m.Header("RECEIVED")[:3], "by ")
			if len(m.Headers) != 14 {
				t.Errorf("len(Headers) = %d, want 14", len(m.Headers))
			}
		}},
		{"reply_threaded.json", func(t *testing.T, m *Message) {
			eq(t, "RFCMessageID", m.RFCMessageID, "CAF=k7XtR5uP0w@mail.example.com")
			eq(t, "InReplyTo", m.InReplyTo, "0100019200aa11bb-5d6e7f80-acme-travel@email.acme-travel.example")
			deq(t, "References", m.References, []string{
				"CAF=k7Xv2m9Qp+Rw4Zt8L1yHn3bE@mail.example.com",
				"0100019200aa11bb-5d6e7f80-acme-travel@email.acme-travel.example",
			})
			eq(t, "ThreadRoot", m.ThreadRoot(), "CAF=k7Xv2m9Qp+Rw4Zt8L1yHn3bE@mail.example.com")
			eq(t, "StrippedTextReply", m.StrippedTextReply, "Yes, please go ahead with the 9 October flight at 18:40.\r\n\r\nMaria")
			wantDate(t, m.DateParsed, "2024-09-17T06:03:15Z")
		}},
		{"reply_mailboxhash.json", func(t *testing.T, m *Message) {
			eq(t, "MailboxHash", m.MailboxHash, "c7f3a9e2b1d04e6f")
			deq(t, "To", m.To, []Address{{Email: "support+c7f3a9e2b1d04e6f@inbound.acme-travel.example", Name: "ACME Travel Support", MailboxHash: "c7f3a9e2b1d04e6f"}})
			deq(t, "Cc", m.Cc, []Address{
				{Email: "bookings+c7f3a9e2b1d04e6f@inbound.acme-travel.example", Name: "Bookings", MailboxHash: "c7f3a9e2b1d04e6f"},
				{Email: "jorge.lopez@example.com"},
			})
			eq(t, "InReplyTo", m.InReplyTo, "0100019201bb22cc-refund@email.acme-travel.example")
			eq(t, "ThreadRoot", m.ThreadRoot(), "0100019201bb22cc-refund@email.acme-travel.example")
			wantDate(t, m.DateParsed, "2024-09-18T23:45:02Z") // "-04:00" is a common non-RFC variant
		}},
		{"attachments.json", func(t *testing.T, m *Message) {
			if len(m.Attachments) != 2 {
				t.Fatalf("len(Attachments) = %d, want 2", len(m.Attachments))
			}
			a, b := m.Attachments[0], m.Attachments[1]
			eq(t, "a.Name", a.Name, "passports.txt")
			eq(t, "a.ContentType", a.ContentType, "text/plain")
			if !strings.HasPrefix(string(a.Content), "Passenger: Maria Lopez\n") || a.ContentLength != int64(len(a.Content)) {
				t.Errorf("text attachment = %q (ContentLength %d)", a.Content, a.ContentLength)
			}
			eq(t, "b.ContentID", b.ContentID, "ii_m1a2b3c4d5")
			if !bytes.HasPrefix(b.Content, []byte("\x89PNG\r\n\x1a\n")) || b.ContentLength != int64(len(b.Content)) {
				t.Errorf("png attachment = %x (ContentLength %d)", b.Content, b.ContentLength)
			}
			eq(t, "ReplyTo", m.ReplyTo, "maria.lopez+travel@example.com")
		}},
		{"odd_header_casing.json", func(t *testing.T, m *Message) {
			eq(t, "RFCMessageID", m.RFCMessageID, "Odd.Casing.1@Example.COM")
			eq(t, "InReplyTo", m.InReplyTo, "parent-1@acme-travel.example")
			deq(t, "References", m.References, []string{"root-0@acme-travel.example", "parent-1@acme-travel.example"})
			eq(t, "ThreadRoot", m.ThreadRoot(), "root-0@acme-travel.example")
			eq(t, "Header(Message-ID)", m.Header("Message-ID"), "  <Odd.Casing.1@Example.COM>  ")
			wantDate(t, m.DateParsed, "2024-09-20T07:30:00Z")
		}},
		{"missing_message_id.json", func(t *testing.T, m *Message) {
			eq(t, "RFCMessageID", m.RFCMessageID, "")
			eq(t, "ThreadRoot", m.ThreadRoot(), "postmark:3c4d5e6f-7a8b-4c9d-0e1f-2a3b4c5d6e7f")
			eq(t, "Date", m.Date, "garbage date")
			if !m.DateParsed.IsZero() {
				t.Errorf("DateParsed = %v, want zero", m.DateParsed)
			}
		}},
		{"legacy_strings.json", func(t *testing.T, m *Message) {
			deq(t, "From", m.From, Address{Email: "support@postmarkapp.com", Name: "Postmarkapp Support"})
			deq(t, "To", m.To, []Address{{Email: "yourhash+SampleHash@inbound.postmarkapp.com", Name: "Firstname Lastname", MailboxHash: "SampleHash"}})
			deq(t, "Cc", m.Cc, []Address{{Email: "firstcc@postmarkapp.com", Name: "First Cc"}, {Email: "secondCc@postmarkapp.com"}})
			deq(t, "Bcc", m.Bcc, []Address{{Email: "firstbcc@postmarkapp.com", Name: "First Bcc"}})
			eq(t, "HtmlBody", m.HtmlBody, "<html><body><p>This is a test html body.</p></body></html>")
			eq(t, "Tag", m.Tag, "TestTag")
			eq(t, "attachment", string(m.Attachments[0].Content), "This is attachment contents, base-64 encoded.")
			if m.Attachments[0].ContentLength != 45 {
				t.Errorf("ContentLength = %d, want 45", m.Attachments[0].ContentLength)
			}
			if !strings.HasPrefix(m.RawEmail, "From: support@postmarkapp.com\r\n") {
				t.Errorf("RawEmail = %q", m.RawEmail)
			}
			wantDate(t, m.DateParsed, "2014-08-01T20:45:32Z")
			eq(t, "ThreadRoot", m.ThreadRoot(), "postmark:73e6d360-66eb-11e1-8e72-a8904824019b")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			body := readFixture(t, tt.file)
			m, err := Parse(body)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, m)
			checkInvariants(t, m)

			// The Message must not alias the body: scribbling over it
			// after Parse changes nothing.
			before := *m
			before.Headers = append([]Header(nil), m.Headers...)
			for i := range body {
				body[i] = 'X'
			}
			if !reflect.DeepEqual(before.Headers, m.Headers) || before.Subject != m.Subject || before.TextBody != m.TextBody {
				t.Error("Message aliases the body")
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	const ok = `"MessageID":"b7a6c2e0-1111-4222-8333-444455556666"`
	tests := []struct {
		name     string
		body     string
		want     error
		wantText string // must appear in the error text
	}{
		{"empty", ``, ErrMalformed, "not a JSON object"},
		{"not json", `hello`, ErrMalformed, "not a JSON object"},
		{"null", `null`, ErrMalformed, "not a JSON object"},
		{"array", `[{` + ok + `}]`, ErrMalformed, "not a JSON object"},
		{"string", `"x"`, ErrMalformed, "not a JSON object"},
		{"truncated", `{` + ok + `,"Subject":"abc`, ErrMalformed, "byte offset"},
		{"trailing garbage", `{` + ok + `} {}`, ErrMalformed, "byte offset"},
		{"trailing text", `{` + ok + `}secret-text`, ErrMalformed, "byte offset"},
		{"subject is number", `{` + ok + `,"Subject":12}`, ErrMalformed, "field Subject"},
		{"ToFull is object", `{` + ok + `,"ToFull":{"Email":"a@b"}}`, ErrMalformed, "field ToFull"},
		{"header value is bool", `{` + ok + `,"Headers":[{"Name":"X","Value":true}]}`, ErrMalformed, "field Headers.Value"},
		{"content length is string", `{` + ok + `,"Attachments":[{"ContentLength":"12"}]}`, ErrMalformed, "field Attachments.ContentLength"},
		{"content is number", `{` + ok + `,"Attachments":[{"Content":12}]}`, ErrMalformed, "Attachments[0].Content"},
		{"content is object", `{` + ok + `,"Attachments":[{"Content":{}}]}`, ErrMalformed, "Attachments[0].Content"},
		{"missing MessageID", `{"Subject":"hi"}`, ErrInvalid, "MessageID is missing"},
		{"blank MessageID", `{"MessageID":"  "}`, ErrInvalid, "MessageID is missing"},
		{"null MessageID", `{"MessageID":null}`, ErrInvalid, "MessageID is missing"},
		{"MessageID control char", `{"MessageID":"ab\u0000c"}`, ErrInvalid, "control"},
		{"MessageID too long", `{"MessageID":"` + strings.Repeat("a", 257) + `"}`, ErrInvalid, "longer"},
		{"bad base64", `{` + ok + `,"Attachments":[{"Name":"a","Content":"aGVsbG8"},{"Content":"!!!notbase64"}]}`, ErrInvalid, "Attachments[1].Content is not valid base64"},
		{"negative length", `{` + ok + `,"Attachments":[{"ContentLength":-1}]}`, ErrInvalid, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, %v; want %v", m, err, tt.want)
			}
			if m != nil {
				t.Errorf("Parse returned a message with an error")
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("error %q does not mention %q", err, tt.wantText)
			}
			if strings.Contains(err.Error(), "secret-text") || strings.Contains(err.Error(), "notbase64") {
				t.Errorf("error %q echoes the body", err)
			}
		})
	}
}

func TestParseTolerates(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, m *Message)
	}{
		{"unknown fields and nulls", `{"MessageID":" id-1 ","NewField":{"x":[1,2]},"ToFull":null,"Headers":null,"Subject":null,"Attachments":[null]}`, func(t *testing.T, m *Message) {
			eq(t, "MessageID", m.MessageID, "id-1")
			if len(m.Attachments) != 1 || m.Attachments[0].Content != nil {
				t.Errorf("Attachments = %+v", m.Attachments)
			}
		}},
		{"leading white space", " \r\n\t{\"MessageID\":\"id-2\"}\n", func(t *testing.T, m *Message) {
			eq(t, "MessageID", m.MessageID, "id-2")
		}},
		{"key case", `{"messageid":"id-3","SUBJECT":"s"}`, func(t *testing.T, m *Message) {
			eq(t, "MessageID", m.MessageID, "id-3")
			eq(t, "Subject", m.Subject, "s")
		}},
		{"FromFull wins, FromName fills a missing name", `{"MessageID":"x","From":"other@example.com","FromName":"Ana","FromFull":{"Email":"ana@example.com"}}`, func(t *testing.T, m *Message) {
			deq(t, "From", m.From, Address{Email: "ana@example.com", Name: "Ana"})
		}},
		{"From string with display name", `{"MessageID":"x","From":"Ana Ruiz <ana+vip@example.com>"}`, func(t *testing.T, m *Message) {
			deq(t, "From", m.From, Address{Email: "ana+vip@example.com", Name: "Ana Ruiz", MailboxHash: "vip"})
		}},
		{"garbage From", `{"MessageID":"x","From":"<<>> not an address","FromName":"N"}`, func(t *testing.T, m *Message) {
			deq(t, "From", m.From, Address{Name: "N"})
		}},
		{"empty ToFull falls back to To", `{"MessageID":"x","To":"a@example.com, \"B, Sr\" <b+h@example.com>","ToFull":[]}`, func(t *testing.T, m *Message) {
			deq(t, "To", m.To, []Address{{Email: "a@example.com"}, {Email: "b+h@example.com", Name: "B, Sr", MailboxHash: "h"}})
		}},
		{"RFC 2047 names in legacy To", `{"MessageID":"x","To":"=?UTF-8?Q?Jos=C3=A9?= <jose@example.com>"}`, func(t *testing.T, m *Message) {
			deq(t, "To", m.To, []Address{{Email: "jose@example.com", Name: "José"}})
		}},
		{"escaped base64 with line breaks and slashes", `{"MessageID":"x","Attachments":[{"Content":"` +
			escapedB64([]byte("\xff\xfe\xfd\xfc\xfb\xfa/?>")) + `"}]}`, func(t *testing.T, m *Message) {
			deq(t, "Content", m.Attachments[0].Content, []byte("\xff\xfe\xfd\xfc\xfb\xfa/?>"))
		}},
		{"unpadded base64", `{"MessageID":"x","Attachments":[{"Content":"aGk"}]}`, func(t *testing.T, m *Message) {
			deq(t, "Content", m.Attachments[0].Content, []byte("hi"))
			if m.Attachments[0].ContentLength != 2 {
				t.Errorf("ContentLength = %d, want 2", m.Attachments[0].ContentLength)
			}
		}},
		{"empty content", `{"MessageID":"x","Attachments":[{"Content":"","ContentLength":0}]}`, func(t *testing.T, m *Message) {
			if m.Attachments[0].Content != nil || m.Attachments[0].ContentLength != 0 {
				t.Errorf("Attachment = %+v", m.Attachments[0])
			}
		}},
		{"first threading header wins", `{"MessageID":"x","Headers":[{"Name":"In-Reply-To","Value":"<a@x>"},{"Name":"in-reply-to","Value":"<b@x>"},{"Name":"Message-ID","Value":"no-at-sign"}]}`, func(t *testing.T, m *Message) {
			eq(t, "InReplyTo", m.InReplyTo, "a@x")
			eq(t, "RFCMessageID", m.RFCMessageID, "no-at-sign")
		}},
		{"Message-ID with a comment", `{"MessageID":"x","Headers":[{"Name":"Message-ID","Value":" <m@x> (added by relay)"}]}`, func(t *testing.T, m *Message) {
			eq(t, "RFCMessageID", m.RFCMessageID, "m@x")
		}},
		{"Message-ID of two words", `{"MessageID":"x","Headers":[{"Name":"Message-ID","Value":"two words"}]}`, func(t *testing.T, m *Message) {
			eq(t, "RFCMessageID", m.RFCMessageID, "")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.body))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			tt.check(t, m)
			checkInvariants(t, m)
		})
	}
}

// escapedB64 base64-encodes b and writes it the way some JSON encoders do:
// '/' as "\/" and a line break every 4 characters.
func escapedB64(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out strings.Builder
	for i := 0; i < len(s); i += 4 {
		out.WriteString(strings.ReplaceAll(s[i:min(i+4, len(s))], "/", `\/`))
		out.WriteString(`\r\n`)
	}
	return out.String()
}

func TestHeaderLookup(t *testing.T) {
	m := &Message{Headers: []Header{{"X-A", "1"}, {"x-a", "2"}, {"X-B", ""}}}
	tests := []struct{ name, want string }{
		{"X-A", "1"}, {"x-A", "1"}, {"X-B", ""}, {"X-C", ""}, {"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "Header", m.Header(tt.name), tt.want)
		})
	}
}

func TestThreadRoot(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{"references first", Message{MessageID: "p", References: []string{"r1", "r2"}, InReplyTo: "i", RFCMessageID: "m"}, "r1"},
		{"in-reply-to", Message{MessageID: "p", InReplyTo: "i", RFCMessageID: "m"}, "i"},
		{"own id", Message{MessageID: "p", RFCMessageID: "m"}, "m"},
		{"postmark id", Message{MessageID: "p"}, "postmark:p"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eq(t, "ThreadRoot", tt.m.ThreadRoot(), tt.want)
		})
	}
}

// checkInvariants holds for every successfully parsed Message.
func checkInvariants(t testing.TB, m *Message) {
	t.Helper()
	if m.MessageID == "" || strings.TrimSpace(m.MessageID) != m.MessageID {
		t.Errorf("MessageID %q is empty or untrimmed", m.MessageID)
	}
	checkID := func(what, id string, mayBeEmpty bool) {
		if id == "" {
			if !mayBeEmpty {
				t.Errorf("%s is empty", what)
			}
			return
		}
		if strings.ContainsAny(id, "<> \t\r\n") {
			t.Errorf("%s %q is not normalized", what, id)
		}
	}
	checkID("RFCMessageID", m.RFCMessageID, true)
	checkID("InReplyTo", m.InReplyTo, true)
	for i, r := range m.References {
		checkID("References["+string(rune('0'+i%10))+"]", r, false)
	}
	if m.ThreadRoot() == "" {
		t.Error("ThreadRoot is empty")
	}
	for i, a := range m.Attachments {
		if a.ContentLength < 0 {
			t.Errorf("Attachments[%d].ContentLength = %d", i, a.ContentLength)
		}
	}
}

func eq(t *testing.T, what, got, want string) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func deq(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
}

func wantDate(t *testing.T, got time.Time, want string) {
	t.Helper()
	w, err := time.Parse(time.RFC3339, want)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(w) {
		t.Errorf("DateParsed = %v, want %v", got, w)
	}
}
