package workload

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Options shapes a workload. Zero fields take the documented defaults.
type Options struct {
	// Tenants is the number of tenants the messages are spread over.
	// Default 1.
	Tenants int
	// Cases is the number of threads per tenant in one round. Default 100.
	Cases int
	// Messages is the number of messages per thread. Default 4.
	Messages int
	// TextBytes is the approximate size of TextBody in bytes. Default 3072;
	// negative means an empty text body.
	TextBytes int
	// HTMLBytes is the approximate size of HtmlBody in bytes. Default 0
	// (empty HtmlBody).
	HTMLBytes int
	// AttachmentBytes, when positive, adds one attachment of that many raw
	// bytes (base64 in the body). Default 0: no attachments.
	AttachmentBytes int
	// RunID distinguishes this workload's message ids from every other
	// run's. Default: random.
	RunID uint32
	// Domain is the mail domain of the support mailbox. Default
	// "bench.casespine.test".
	Domain string
}

// Workload renders messages. It is immutable and safe for concurrent use.
type Workload struct {
	o        Options
	perRound uint64
	runHex   string
	text     []byte // JSON-escaped TextBody filler, without quotes
	stripped []byte // JSON-escaped StrippedTextReply filler
	html     []byte // JSON-escaped HtmlBody, without quotes
	attach   []byte // the whole Attachments array, JSON
	date     []byte // JSON-escaped Date header value
}

// Ref locates a message in the workload.
type Ref struct {
	G      uint64
	Tenant int
	// Thread numbers the thread within its tenant, across rounds.
	Thread int
	// K is the message's position in its thread, from 0 (the root).
	K int
}

// ErrOptions reports options that cannot make a workload.
var ErrOptions = errors.New("workload: invalid options")

// New builds a workload.
func New(o Options) (*Workload, error) {
	if o.Tenants == 0 {
		o.Tenants = 1
	}
	if o.Cases == 0 {
		o.Cases = 100
	}
	if o.Messages == 0 {
		o.Messages = 4
	}
	if o.TextBytes == 0 {
		o.TextBytes = 3072
	}
	if o.Domain == "" {
		o.Domain = "bench.casespine.test"
	}
	if o.Tenants < 0 || o.Cases < 0 || o.Messages < 0 || o.HTMLBytes < 0 || o.AttachmentBytes < 0 {
		return nil, fmt.Errorf("%w: negative size", ErrOptions)
	}
	if o.Tenants > 0xffff || o.Messages > 0xfff {
		return nil, fmt.Errorf("%w: at most 65535 tenants and 4095 messages per thread", ErrOptions)
	}
	if o.RunID == 0 {
		o.RunID = rand.Uint32() | 1
	}
	w := &Workload{
		o:        o,
		perRound: uint64(o.Tenants) * uint64(o.Cases) * uint64(o.Messages),
		runHex:   fmt.Sprintf("%08x", o.RunID),
	}
	rng := rand.New(rand.NewPCG(uint64(o.RunID), 7))
	if o.TextBytes > 0 {
		w.text = escape(prose(rng, o.TextBytes))
		w.stripped = escape(prose(rng, min(o.TextBytes/4, 600)))
	}
	if o.HTMLBytes > 0 {
		w.html = escape(htmlBody(rng, o.HTMLBytes))
	}
	w.attach = []byte("[]")
	if o.AttachmentBytes > 0 {
		raw := make([]byte, o.AttachmentBytes)
		for i := range raw {
			raw[i] = byte(rng.IntN(256))
		}
		a := []map[string]any{{
			"Name": "itinerary.pdf", "ContentType": "application/pdf",
			"ContentLength": o.AttachmentBytes, "Content": base64.StdEncoding.EncodeToString(raw),
		}}
		w.attach, _ = json.Marshal(a)
	}
	w.date = escape(time.Now().UTC().Format(time.RFC1123Z))
	return w, nil
}

// Options returns the effective options (defaults filled in).
func (w *Workload) Options() Options { return w.o }

// RunID returns the run id embedded in every Postmark MessageID.
func (w *Workload) RunID() uint32 { return w.o.RunID }

// PerRound is the number of original messages in one round (T×C×M).
func (w *Workload) PerRound() uint64 { return w.perRound }

// Ref locates message g.
func (w *Workload) Ref(g uint64) Ref {
	t, c := uint64(w.o.Tenants), uint64(w.o.Cases)
	round := g / w.perRound
	i := g % w.perRound
	k := i / (t * c)
	j := i % (t * c)
	return Ref{
		G:      g,
		Tenant: int(j % t),
		Thread: int(round*c + j/t),
		K:      int(k),
	}
}

// G is the inverse of Ref: the index of message k of a tenant's thread.
func (w *Workload) G(tenant, thread, k int) uint64 {
	t, c := uint64(w.o.Tenants), uint64(w.o.Cases)
	round := uint64(thread) / c
	cs := uint64(thread) % c
	return round*w.perRound + uint64(k)*t*c + cs*t + uint64(tenant)
}

// ThreadKey numbers threads across tenants: a dense index usable as a map
// or slice key.
func (w *Workload) ThreadKey(r Ref) uint64 {
	return uint64(r.Thread)*uint64(w.o.Tenants) + uint64(r.Tenant)
}

// MessageID returns message g's Postmark MessageID.
func (w *Workload) MessageID(g uint64) string { return string(w.AppendMessageID(nil, g)) }

// AppendMessageID appends message g's Postmark MessageID, a UUID:
// runid-tenant-4kkk-8000-g.
func (w *Workload) AppendMessageID(dst []byte, g uint64) []byte {
	r := w.Ref(g)
	dst = append(dst, w.runHex...)
	dst = append(dst, '-')
	dst = appendHex(dst, uint64(r.Tenant), 4)
	dst = append(dst, "-4"...)
	dst = appendHex(dst, uint64(r.K), 3)
	dst = append(dst, "-8000-"...)
	dst = appendHex(dst, g, 12)
	return dst
}

// ParseMessageID returns the g encoded in a Postmark MessageID made by this
// workload; ok is false for ids of any other run or shape.
func (w *Workload) ParseMessageID(b []byte) (g uint64, ok bool) {
	if len(b) != 36 || b[8] != '-' || b[13] != '-' || b[18] != '-' || b[23] != '-' {
		return 0, false
	}
	if string(b[:8]) != w.runHex {
		return 0, false
	}
	for _, c := range b[24:] {
		v, ok := unhex(c)
		if !ok {
			return 0, false
		}
		g = g<<4 | uint64(v)
	}
	return g, true
}

// RFCMessageID returns the RFC 5322 Message-ID of message k of a thread,
// angle brackets included.
func (w *Workload) RFCMessageID(tenant, thread, k int) string {
	return string(w.appendRFCID(nil, tenant, thread, k))
}

func (w *Workload) appendRFCID(dst []byte, tenant, thread, k int) []byte {
	dst = append(dst, '<')
	dst = append(dst, w.runHex...)
	dst = append(dst, ".t"...)
	dst = strconv.AppendInt(dst, int64(tenant), 10)
	dst = append(dst, ".c"...)
	dst = strconv.AppendInt(dst, int64(thread), 10)
	dst = append(dst, ".m"...)
	dst = strconv.AppendInt(dst, int64(k), 10)
	dst = append(dst, '@')
	dst = append(dst, w.o.Domain...)
	dst = append(dst, '>')
	return dst
}

// Sender returns the address and display name of message k's author.
func (w *Workload) Sender(tenant, thread, k int) (email, name string) {
	return string(w.appendSenderEmail(nil, tenant, thread, k)), personName(tenant, thread, k)
}

func (w *Workload) appendSenderEmail(dst []byte, tenant, thread, k int) []byte {
	if k%3 == 2 { // every third message comes from a colleague on the thread
		dst = append(dst, "colleague."...)
	} else {
		dst = append(dst, "customer."...)
	}
	dst = strconv.AppendInt(dst, int64(thread), 10)
	dst = append(dst, ".t"...)
	dst = strconv.AppendInt(dst, int64(tenant), 10)
	dst = append(dst, "@example.com"...)
	return dst
}

var (
	firstNames = []string{"Amélie", "Jonas", "Priya", "Tomás", "Yuki", "Fatima", "Oliver", "Ingrid", "Mateo", "Chloé", "Kwame", "Lena"}
	lastNames  = []string{"Durand", "Schmidt", "Patel", "García", "Tanaka", "Haddad", "O'Brien", "Larsen", "Rossi", "Nguyen", "Mensah", "Kowalski"}
)

func personName(tenant, thread, k int) string {
	h := uint64(thread)*2654435761 + uint64(tenant)*40503
	if k%3 == 2 {
		h += 7
	}
	return firstNames[h%uint64(len(firstNames))] + " " + lastNames[(h/16)%uint64(len(lastNames))]
}

// Subject returns the subject line of message k of a thread.
func (w *Workload) Subject(thread, k int) string { return string(appendSubject(nil, thread, k)) }

func appendSubject(dst []byte, thread, k int) []byte {
	if k > 0 {
		dst = append(dst, "Re: "...)
	}
	dst = append(dst, "Booking BK-"...)
	n := strconv.AppendInt(nil, int64(100000+thread), 10)
	dst = append(dst, n...)
	dst = append(dst, " \u2014 change of itinerary (Z\u00fcrich \u2192 Lisboa)"...)
	return dst
}

// AppendBody appends the Postmark inbound JSON body of message g.
func (w *Workload) AppendBody(dst []byte, g uint64) []byte {
	r := w.Ref(g)
	name := personName(r.Tenant, r.Thread, r.K)
	dst = append(dst, `{"FromName":"`...)
	dst = appendEscaped(dst, name)
	dst = append(dst, `","MessageStream":"inbound","From":"`...)
	dst = w.appendSenderEmail(dst, r.Tenant, r.Thread, r.K)
	dst = append(dst, `","FromFull":{"Email":"`...)
	dst = w.appendSenderEmail(dst, r.Tenant, r.Thread, r.K)
	dst = append(dst, `","Name":"`...)
	dst = appendEscaped(dst, name)
	dst = append(dst, `","MailboxHash":""},"To":"\"Support\" <support@`...)
	dst = append(dst, w.o.Domain...)
	dst = append(dst, `>","ToFull":[{"Email":"support@`...)
	dst = append(dst, w.o.Domain...)
	dst = append(dst, `","Name":"Support","MailboxHash":""}],"Cc":"","CcFull":[],"OriginalRecipient":"support@`...)
	dst = append(dst, w.o.Domain...)
	dst = append(dst, `","Subject":"`...)
	dst = appendSubject(dst, r.Thread, r.K)
	dst = append(dst, `","MessageID":"`...)
	dst = w.AppendMessageID(dst, g)
	dst = append(dst, `","ReplyTo":"","MailboxHash":"","Date":"`...)
	dst = append(dst, w.date...)
	dst = append(dst, `","TextBody":"`...)
	dst = w.appendGreeting(dst, r)
	dst = append(dst, w.text...)
	dst = append(dst, `","HtmlBody":"`...)
	dst = append(dst, w.html...)
	dst = append(dst, `","StrippedTextReply":"`...)
	if r.K > 0 {
		dst = w.appendGreeting(dst, r)
		dst = append(dst, w.stripped...)
	}
	dst = append(dst, `","Tag":"","Headers":[{"Name":"Return-Path","Value":"<`...)
	dst = w.appendSenderEmail(dst, r.Tenant, r.Thread, r.K)
	dst = append(dst, `>"},{"Name":"Received-SPF","Value":"Pass (sender SPF authorized) identity=mailfrom"},{"Name":"X-Spam-Checker-Version","Value":"SpamAssassin 3.4.6"},{"Name":"X-Spam-Status","Value":"No"},{"Name":"X-Spam-Score","Value":"-0.1"},{"Name":"X-Spam-Tests","Value":"DKIM_SIGNED,DKIM_VALID,SPF_PASS"},{"Name":"MIME-Version","Value":"1.0"},{"Name":"Message-ID","Value":"`...)
	dst = w.appendRFCID(dst, r.Tenant, r.Thread, r.K)
	dst = append(dst, `"}`...)
	if r.K > 0 {
		dst = append(dst, `,{"Name":"In-Reply-To","Value":"`...)
		dst = w.appendRFCID(dst, r.Tenant, r.Thread, r.K-1)
		dst = append(dst, `"},{"Name":"References","Value":"`...)
		// The root, then at most the eight most recent ancestors, as mail
		// clients trim long chains.
		first := max(1, r.K-8)
		dst = w.appendRFCID(dst, r.Tenant, r.Thread, 0)
		for k := first; k < r.K; k++ {
			dst = append(dst, ' ')
			dst = w.appendRFCID(dst, r.Tenant, r.Thread, k)
		}
		dst = append(dst, `"}`...)
	}
	dst = append(dst, `],"Attachments":`...)
	dst = append(dst, w.attach...)
	dst = append(dst, '}')
	return dst
}

func (w *Workload) appendGreeting(dst []byte, r Ref) []byte {
	dst = append(dst, `Hello,\n\nThis is message `...)
	dst = strconv.AppendInt(dst, int64(r.K+1), 10)
	dst = append(dst, ` about booking BK-`...)
	dst = strconv.AppendInt(dst, int64(100000+r.Thread), 10)
	dst = append(dst, `.\n\n`...)
	return dst
}

var words = strings.Fields(`the flight to Lisbon on Friday was moved and I need to change
my connection in Zürich please confirm whether the hotel booking can be kept or
refunded we are travelling with two children and one of them needs a wheelchair
at the gate could you also check the baggage allowance for the return leg and
whether seats together are still available thank you for your help yesterday
on the phone the agent said a voucher would be issued but nothing arrived yet
kind regards`)

func prose(rng *rand.Rand, n int) string {
	var b strings.Builder
	line := 0
	for b.Len() < n {
		w := words[rng.IntN(len(words))]
		b.WriteString(w)
		line += len(w) + 1
		switch {
		case line > 72:
			b.WriteByte('\n')
			line = 0
		default:
			b.WriteByte(' ')
		}
	}
	out := b.String()[:n]
	for !utf8.ValidString(out) { // do not cut a multi-byte rune in half
		out = out[:len(out)-1]
	}
	return out
}

func htmlBody(rng *rand.Rand, n int) string {
	var b strings.Builder
	b.WriteString("<html><body>")
	for b.Len() < n-len("</body></html>") {
		b.WriteString("<p>")
		b.WriteString(prose(rng, 200))
		b.WriteString("</p>\n")
	}
	b.WriteString("</body></html>")
	return b.String()
}

// escape JSON-escapes s without the surrounding quotes.
func escape(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, `\u00`...)
			dst = appendHex(dst, uint64(c), 2)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

const hexDigits = "0123456789abcdef"

func appendHex(dst []byte, v uint64, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		dst = append(dst, hexDigits[(v>>(4*uint(i)))&0xf])
	}
	return dst
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
