package workload

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestRefAndGAreInverse(t *testing.T) {
	w, err := New(Options{Tenants: 3, Cases: 5, Messages: 4})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[[3]int]bool{}
	for g := range 3 * w.PerRound() { // three rounds
		r := w.Ref(g)
		if back := w.G(r.Tenant, r.Thread, r.K); back != g {
			t.Fatalf("g %d -> %+v -> %d", g, r, back)
		}
		key := [3]int{r.Tenant, r.Thread, r.K}
		if seen[key] {
			t.Fatalf("g %d repeats %+v", g, r)
		}
		seen[key] = true
		if r.K > 0 && w.G(r.Tenant, r.Thread, r.K-1) >= g {
			t.Fatalf("message %+v precedes its parent", r)
		}
	}
}

func TestMessageIDRoundTrip(t *testing.T) {
	w, _ := New(Options{Tenants: 2, Cases: 3, Messages: 2, RunID: 0xabcdef01})
	other, _ := New(Options{Tenants: 2, Cases: 3, Messages: 2, RunID: 0x12345678})
	for _, g := range []uint64{0, 1, 11, 12, 1 << 40} {
		id := w.MessageID(g)
		if len(id) != 36 {
			t.Fatalf("id %q", id)
		}
		back, ok := w.ParseMessageID([]byte(id))
		if !ok || back != g {
			t.Fatalf("%q -> %d %v", id, back, ok)
		}
		if _, ok := other.ParseMessageID([]byte(id)); ok {
			t.Fatalf("another run accepted %q", id)
		}
	}
	for _, bad := range []string{"", "x", "abcdef01-0000-4000-8000-00000000000g", strings.Repeat("a", 36)} {
		if _, ok := w.ParseMessageID([]byte(bad)); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

// TestBodyIsPostmarkInbound decodes bodies as Postmark inbound JSON and
// checks the threading headers.
func TestBodyIsPostmarkInbound(t *testing.T) {
	w, _ := New(Options{Tenants: 2, Cases: 3, Messages: 12, HTMLBytes: 500, AttachmentBytes: 100})
	type header struct{ Name, Value string }
	var body struct {
		FromName, From, Subject, MessageID, TextBody, HtmlBody, StrippedTextReply, Date string
		FromFull                                                                        struct{ Email, Name, MailboxHash string }
		ToFull                                                                          []struct{ Email, Name, MailboxHash string }
		Headers                                                                         []header
		Attachments                                                                     []struct {
			Name, ContentType, Content string
			ContentLength              int
		}
	}
	for _, g := range []uint64{0, 6, 6 * 11, 6*11 + 5} {
		b := w.AppendBody(nil, g)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Fatalf("g %d: %v\n%s", g, err, b)
		}
		r := w.Ref(g)
		h := map[string]string{}
		for _, x := range body.Headers {
			h[x.Name] = x.Value
		}
		if body.MessageID != w.MessageID(g) || h["Message-ID"] != w.RFCMessageID(r.Tenant, r.Thread, r.K) {
			t.Fatalf("ids: %q %q", body.MessageID, h["Message-ID"])
		}
		email, name := w.Sender(r.Tenant, r.Thread, r.K)
		if body.FromFull.Email != email || body.FromName != name || body.Subject != w.Subject(r.Thread, r.K) {
			t.Fatalf("from/subject: %+v %q", body.FromFull, body.Subject)
		}
		if len(body.TextBody) < 3000 || len(body.HtmlBody) < 400 || len(body.Attachments) != 1 || body.Attachments[0].ContentLength != 100 {
			t.Fatalf("sizes: text %d html %d attachments %d", len(body.TextBody), len(body.HtmlBody), len(body.Attachments))
		}
		if r.K == 0 {
			if h["In-Reply-To"] != "" || h["References"] != "" {
				t.Fatalf("root has threading headers: %v", h)
			}
			continue
		}
		if h["In-Reply-To"] != w.RFCMessageID(r.Tenant, r.Thread, r.K-1) {
			t.Fatalf("In-Reply-To %q", h["In-Reply-To"])
		}
		refs := strings.Fields(h["References"])
		if refs[0] != w.RFCMessageID(r.Tenant, r.Thread, 0) || refs[len(refs)-1] != h["In-Reply-To"] || len(refs) > 9 {
			t.Fatalf("References %q", refs)
		}
	}
}

func BenchmarkAppendBody(b *testing.B) {
	w, _ := New(Options{Tenants: 4, Cases: 250, Messages: 4})
	var buf []byte
	b.ReportAllocs()
	g := uint64(0)
	for b.Loop() {
		buf = w.AppendBody(buf[:0], g)
		g++
	}
	b.SetBytes(int64(len(buf)))
}
