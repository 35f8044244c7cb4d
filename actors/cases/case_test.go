package cases_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/persistence"
)

// thread returns the n messages of one email thread rooted at smid-0, each
// replying to the one before, all addressed to the root's case.
func thread(prefix string, n int) []*spinepb.Inbound {
	root := actortest.RFCID(prefix + "-0")
	caseID := keyspace.CaseID(cid, root)
	out := make([]*spinepb.Inbound, 0, n)
	var refs []string
	for i := range n {
		smid := fmt.Sprintf("%s-%d", prefix, i)
		in := actortest.Mail(cid, caseID, smid)
		in.ThreadRoot = root
		if i > 0 {
			in.InReplyTo = refs[len(refs)-1]
			in.References = append([]string(nil), refs...)
			in.Subject = "Re: " + out[0].Subject
		}
		refs = append(refs, in.RfcMessageId)
		out = append(out, in)
	}
	return out
}

func TestDeliverCreatesThenUpdates(t *testing.T) {
	e := newEnv(t)
	msgs := thread("t", 3)
	caseID := msgs[0].CaseId
	c := e.load(t, caseID)
	if c.State() != nil {
		t.Fatal("a case with no message loaded with state")
	}
	for i, in := range msgs {
		ack := e.deliver(t, c, in)
		want := &spinepb.DeliverAck{
			Outcome: spinepb.DeliverAck_UPDATED, CaseId: caseID,
			MessageId: fmt.Sprintf("%s-%d", caseID, i+1), Seq: uint64(i + 1), Offset: uint64(i + 1),
		}
		if i == 0 {
			want.Outcome = spinepb.DeliverAck_CREATED
		}
		if !proto.Equal(ack, want) {
			t.Fatalf("message %d: ack %v, want %v", i+1, ack, want)
		}
		if c.State().MessageCount != uint64(i+1) || c.State().EventSeq != uint64(i+1) {
			t.Fatalf("message %d: in-memory state %v", i+1, c.State())
		}
	}
	st := e.storedState(t, caseID)
	if !proto.Equal(st, c.State()) {
		t.Fatalf("committed state differs from the actor's:\n got %v\nwant %v", st, c.State())
	}
	if st.Status != cases.StatusOpen || st.ThreadRoot != msgs[0].ThreadRoot || st.CreatedAt != e.storedMessages(t, caseID)[0].ReceivedAt ||
		st.UpdatedAt <= st.CreatedAt || st.ReplyToken != keyspace.ReplyToken(e.tenant.Secrets.ReplyKey, caseID) {
		t.Fatalf("case state %v", st)
	}
	// A later message does not rename the case.
	if st.Subject != msgs[0].Subject {
		t.Fatalf("subject %q, want the first message's %q", st.Subject, msgs[0].Subject)
	}
	e.checkInvariants(t, map[string]string{msgs[0].SourceMessageId: caseID, msgs[1].SourceMessageId: caseID, msgs[2].SourceMessageId: caseID})

	// A new activation picks up where the last left off.
	c2 := e.load(t, caseID)
	if !proto.Equal(c2.State(), st) {
		t.Fatal("reloaded case differs from the committed state")
	}
	more := actortest.Mail(cid, caseID, "t-late")
	if ack := e.deliver(t, c2, more); ack.Outcome != spinepb.DeliverAck_UPDATED || ack.Seq != 4 || ack.MessageId != caseID+"-4" {
		t.Fatalf("fourth message through a new activation: %v", ack)
	}
}

func TestDeliverDuplicate(t *testing.T) {
	e := newEnv(t)
	in := actortest.Mail(cid, "cdup", "m1")
	c := e.load(t, "cdup")
	first := e.deliver(t, c, in)
	head, state := e.head(t), e.storedState(t, "cdup")

	changed := proto.Clone(in).(*spinepb.Inbound)
	changed.Text, changed.Subject = "a different body", "a different subject"
	tests := []struct {
		name string
		c    func() *cases.Case
		in   *spinepb.Inbound
	}{
		{"same activation", func() *cases.Case { return c }, in},
		{"new activation", func() *cases.Case { return e.load(t, "cdup") }, in},
		{"same id, different content", func() *cases.Case { return c }, changed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ack := e.deliver(t, tt.c(), tt.in)
			want := &spinepb.DeliverAck{Outcome: spinepb.DeliverAck_DUPLICATE, CaseId: "cdup", MessageId: first.MessageId}
			if !proto.Equal(ack, want) {
				t.Fatalf("redelivery: ack %v, want %v", ack, want)
			}
			if h := e.head(t); h != head {
				t.Fatalf("a duplicate moved the event log from %d to %d", head, h)
			}
			if !proto.Equal(e.storedState(t, "cdup"), state) {
				t.Fatal("a duplicate changed the case")
			}
		})
	}
	if got := e.storedMessages(t, "cdup"); len(got) != 1 || got[0].Text != in.Text {
		t.Fatalf("stored messages after duplicates: %v", got)
	}

	// The same upstream id from another source is another message.
	other := proto.Clone(in).(*spinepb.Inbound)
	other.Source = tenants.SourceGraph
	if ack := e.deliver(t, c, other); ack.Outcome != spinepb.DeliverAck_UPDATED {
		t.Fatalf("same id from another source: %v, want UPDATED", ack.Outcome)
	}
}

func TestDeliverRedirect(t *testing.T) {
	e := newEnv(t)
	in := actortest.Mail(cid, "cfirst", "m1")
	first := e.deliver(t, e.load(t, "cfirst"), in)
	head := e.head(t)

	// A racing route sends the same message to another case.
	again := proto.Clone(in).(*spinepb.Inbound)
	again.CaseId = "csecond"
	ack := e.deliver(t, e.load(t, "csecond"), again)
	want := &spinepb.DeliverAck{Outcome: spinepb.DeliverAck_REDIRECT, CaseId: "cfirst", MessageId: first.MessageId}
	if !proto.Equal(ack, want) {
		t.Fatalf("ack %v, want %v", ack, want)
	}
	if e.storedState(t, "csecond") != nil || e.head(t) != head {
		t.Fatal("a redirected message opened a case or emitted an event")
	}
	if kvs, _ := e.store.Scan(keyspace.CaseListPrefix(cid), nil, 10, false); len(kvs) != 1 {
		t.Fatalf("%d cases listed, want 1", len(kvs))
	}
}

func TestDeliverStoresMessagesAndAttachments(t *testing.T) {
	e := newEnv(t)
	pdf := bytes.Repeat([]byte("%PDF"), 1000)
	in := actortest.Mail(cid, "catt", "m1")
	in.Html = "<p>hi</p>"
	in.Cc = []*spinepb.Address{{Email: "boss@agency.example"}}
	in.SentAt = t0.Add(-time.Hour).UnixNano()
	in.MailboxHash = "abc"
	in.InReplyTo, in.References = "<p@x>", []string{"<r@x>", "<p@x>"}
	in.Attachments = []*spinepb.Attachment{
		{Name: "ticket.pdf", ContentType: "application/pdf", Content: pdf},
		{Name: "logo.png", ContentType: "image/png", ContentId: "logo", Content: []byte{0x89, 'P', 'N', 'G'}},
		{Name: "empty.txt", ContentType: "text/plain"},
	}
	e.deliver(t, e.load(t, "catt"), in)

	msgs := e.storedMessages(t, "catt")
	if len(msgs) != 1 {
		t.Fatalf("%d messages stored", len(msgs))
	}
	m := msgs[0]
	if m.Id != "catt-1" || m.Index != 1 || m.Source != in.Source || m.SourceMessageId != "m1" || m.RfcMessageId != in.RfcMessageId ||
		m.InReplyTo != "<p@x>" || len(m.References) != 2 || m.Text != in.Text || m.Html != in.Html || m.Subject != in.Subject ||
		m.SentAt != in.SentAt || m.MailboxHash != "abc" || m.ReceivedAt == 0 || !proto.Equal(m.From, in.From) || len(m.Cc) != 1 {
		t.Fatalf("stored message %v does not keep the inbound's fields", m)
	}
	if len(m.Attachments) != len(in.Attachments) {
		t.Fatalf("%d attachment refs, want %d", len(m.Attachments), len(in.Attachments))
	}
	if proto.Size(m) > 2000 {
		t.Fatalf("stored message is %d bytes: attachment content is inline", proto.Size(m))
	}
	for i, ref := range m.Attachments {
		a := in.Attachments[i]
		key := keyspace.Attachment(cid, "catt", 1, i)
		if ref.Key != string(key) || ref.Name != a.Name || ref.ContentType != a.ContentType || ref.ContentId != a.ContentId || ref.Size != int64(len(a.Content)) {
			t.Fatalf("attachment ref %d = %v", i, ref)
		}
		v, ok, err := e.store.Get(key)
		if err != nil || !ok || !bytes.Equal(v, a.Content) {
			t.Fatalf("attachment %d content: ok=%v err=%v, %d bytes, want %d", i, ok, err, len(v), len(a.Content))
		}
	}
	// The API view describes attachments without their content.
	view := cases.MessageOf(m)
	if len(view.Attachments) != 3 || view.Attachments[0].Size != int64(len(pdf)) || view.Attachments[1].ContentID != "logo" {
		t.Fatalf("view attachments %+v", view.Attachments)
	}
	if view.SentAt != t0.Add(-time.Hour).Format(time.RFC3339Nano) || len(view.Cc) != 1 {
		t.Fatalf("view %+v", view)
	}
	raw, err := json.Marshal(view)
	if err != nil || bytes.Contains(raw, []byte("%PDF")) {
		t.Fatalf("view JSON carries attachment content (%v)", err)
	}
}

func TestDeliverIndexesThreading(t *testing.T) {
	e := newEnv(t)
	in := actortest.Mail(cid, "ca", "m1")
	in.InReplyTo, in.References = "<parent@x>", []string{"<root@x>", "<parent@x>"}
	e.deliver(t, e.load(t, "ca"), in)
	// The same RFC id arriving in another case does not steal the index.
	other := actortest.Mail(cid, "cb", "m2")
	other.RfcMessageId, other.InReplyTo = in.RfcMessageId, "<root@x>"
	e.deliver(t, e.load(t, "cb"), other)
	// A reply to a stored message needs no "referenced by" entry for it.
	reply := actortest.Mail(cid, "ca", "m3")
	reply.InReplyTo = in.RfcMessageId
	e.deliver(t, e.load(t, "ca"), reply)

	tests := []struct {
		kind, id, want string // want "" = absent
	}{
		{keyspace.IndexRFC, in.RfcMessageId, "ca"},
		{keyspace.IndexRFC, reply.RfcMessageId, "ca"},
		{keyspace.IndexReferenced, "<parent@x>", "ca"},
		{keyspace.IndexReferenced, "<root@x>", "ca"},
		{keyspace.IndexReferenced, in.RfcMessageId, ""},
	}
	for _, tt := range tests {
		t.Run(tt.kind+tt.id, func(t *testing.T) {
			v, ok, err := e.store.Get(keyspace.Index(cid, tt.kind, tt.id))
			if err != nil || ok != (tt.want != "") || string(v) != tt.want {
				t.Fatalf("index %s %s = %q (ok=%v, %v), want %q", tt.kind, tt.id, v, ok, err, tt.want)
			}
		})
	}
	// Each case's reply token names it under the tenant's key.
	for _, caseID := range []string{"ca", "cb"} {
		tok := e.storedState(t, caseID).ReplyToken
		if got, ok := keyspace.CaseOfReplyToken(e.tenant.Secrets.ReplyKey, tok); !ok || got != caseID {
			t.Fatalf("reply token %q of %s names %q (%v)", tok, caseID, got, ok)
		}
	}
}

func TestParticipantsMergeCaseInsensitively(t *testing.T) {
	e := newEnv(t)
	c := e.load(t, "cp")
	first := actortest.Mail(cid, "cp", "m1")
	first.From = &spinepb.Address{Email: "Guest@Example.com", Name: "Guest"}
	first.To = []*spinepb.Address{{Email: "desk@agency.example", Name: "Desk"}, {Email: ""}, nil}
	e.deliver(t, c, first)
	second := actortest.Mail(cid, "cp", "m2")
	second.From = &spinepb.Address{Email: "DESK@agency.example", Name: "Desk Again"}
	second.To = []*spinepb.Address{{Email: "guest@example.COM"}}
	second.Cc = []*spinepb.Address{{Email: "boss@agency.example", Name: "Boss"}, {Email: "Boss@Agency.example"}}
	e.deliver(t, c, second)

	got := cases.ViewOf(e.storedState(t, "cp")).Participants
	want := []cases.Participant{
		{Email: "Guest@Example.com", Name: "Guest"},
		{Email: "desk@agency.example", Name: "Desk"},
		{Email: "boss@agency.example", Name: "Boss"},
	}
	if len(got) != len(want) {
		t.Fatalf("participants %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("participant %d = %+v, want %+v (all: %+v)", i, got[i], want[i], got)
		}
	}
}

func TestSubjectStripsReplyPrefixes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Flight to Lisbon", "Flight to Lisbon"},
		{"Re: Flight to Lisbon", "Flight to Lisbon"},
		{"RE:Flight", "Flight"},
		{"  re:  Fwd: FW: Flight ", "Flight"},
		{"AW: SV: WG: Flug", "Flug"},
		{"Regarding your flight", "Regarding your flight"},
		{"Fwdx: Flight", "Fwdx: Flight"},
		{"Re: ", ""},
		{"", ""},
	}
	e := newEnv(t)
	for i, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			caseID := "csubj" + string(rune('a'+i))
			in := actortest.Mail(cid, caseID, caseID)
			in.Subject = tt.in
			e.deliver(t, e.load(t, caseID), in)
			if got := e.storedState(t, caseID).Subject; got != tt.want {
				t.Fatalf("case subject of %q = %q, want %q", tt.in, got, tt.want)
			}
			if got := e.storedMessages(t, caseID)[0].Subject; got != tt.in {
				t.Fatalf("the message's own subject became %q", got)
			}
		})
	}
}

func TestExcerpt(t *testing.T) {
	long := strings.Repeat("日本語テキスト", 40) // 280 runes, 3 bytes each
	tests := []struct {
		name, text, want string
	}{
		{"short", "Hello", "Hello"},
		{"trimmed", "  \n Hello \t\n", "Hello"},
		{"exactly the limit", strings.Repeat("a", cases.ExcerptRunes), strings.Repeat("a", cases.ExcerptRunes)},
		{"one over", strings.Repeat("a", cases.ExcerptRunes+1), strings.Repeat("a", cases.ExcerptRunes)},
		{"multibyte", long, string([]rune(long)[:cases.ExcerptRunes])},
	}
	e := newEnv(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caseID := "cexc" + string(rune('a'+i))
			in := actortest.Mail(cid, caseID, caseID)
			in.Text = tt.text
			e.deliver(t, e.load(t, caseID), in)
			st := e.storedState(t, caseID)
			got := st.LastMessage.Text
			if got != tt.want || !utf8.ValidString(got) || utf8.RuneCountInString(got) > cases.ExcerptRunes {
				t.Fatalf("excerpt of %d runes = %d runes %q", utf8.RuneCountInString(tt.text), utf8.RuneCountInString(got), got)
			}
			if e.storedMessages(t, caseID)[0].Text != tt.text {
				t.Fatal("the stored message lost its full text")
			}
		})
	}
}

func TestDeliverEmitsAnEnvelope(t *testing.T) {
	e := newEnv(t)
	msgs := thread("ev", 2)
	caseID := msgs[0].CaseId
	c := e.load(t, caseID)
	var acks []*spinepb.DeliverAck
	for _, in := range msgs {
		acks = append(acks, e.deliver(t, c, in))
	}
	entries, err := e.store.ReadLog(keyspace.EventLog(cid), 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Fatalf("%d events, want 2", len(entries))
	}
	st := e.storedState(t, caseID)
	for i, en := range entries {
		var env events.Envelope
		if err := json.Unmarshal(en.Value, &env); err != nil {
			t.Fatal(err)
		}
		wantType := []string{events.TypeCaseCreated, events.TypeCaseUpdated}[i]
		seq := uint64(i + 1)
		if env.Type != wantType || env.Seq != seq || env.CaseID != caseID || env.ClientID != cid || env.CallID != "" ||
			env.Epoch != e.tenant.Epoch || env.ID != fmt.Sprintf("ev_case_%s_%d", caseID, seq) || en.Offset != acks[i].Offset {
			t.Fatalf("event %d: %+v at offset %d", i, env, en.Offset)
		}
		at, err := time.Parse(time.RFC3339Nano, env.At)
		if err != nil || !strings.HasSuffix(env.At, "Z") {
			t.Fatalf("event at %q: %v", env.At, err)
		}
		if i == 1 && at.UnixNano() != st.UpdatedAt {
			t.Fatalf("event time %v is not the commit's %v", at, time.Unix(0, st.UpdatedAt))
		}
		var data cases.Summary
		if err := json.Unmarshal(env.Data, &data); err != nil {
			t.Fatal(err)
		}
		if data.MessageCount != seq || data.LastMessage.SourceMessageID != msgs[i].SourceMessageId || data.ReplyToken != st.ReplyToken || data.Subject != st.Subject {
			t.Fatalf("event %d data %+v", i, data)
		}

		w := events.Wire(en.Offset, en.Value)
		var wire map[string]any
		if err := json.Unmarshal(w, &wire); err != nil {
			t.Fatalf("wire form %s: %v", w, err)
		}
		if wire["offset"] != float64(en.Offset) || wire["type"] != wantType || wire["seq"] != float64(seq) {
			t.Fatalf("wire form %s", w)
		}
		for k := range wire {
			if k != strings.ToLower(k) || strings.Contains(k, "-") {
				t.Fatalf("wire field %q is not lowercase snake_case", k)
			}
		}
	}
}

func TestDeliverRejects(t *testing.T) {
	e := newEnv(t)
	ok := func() *spinepb.Inbound { return actortest.Mail(cid, "cbad", "m1") }
	edit := func(f func(*spinepb.Inbound)) *spinepb.Inbound { in := ok(); f(in); return in }
	tests := []struct {
		name string
		in   *spinepb.Inbound
	}{
		{"no source", edit(func(in *spinepb.Inbound) { in.Source = "" })},
		{"no message id", edit(func(in *spinepb.Inbound) { in.SourceMessageId = "" })},
		{"message id too long", edit(func(in *spinepb.Inbound) { in.SourceMessageId = strings.Repeat("x", 513) })},
		{"rfc id too long", edit(func(in *spinepb.Inbound) { in.RfcMessageId = strings.Repeat("x", 999) })},
		{"colon in source", edit(func(in *spinepb.Inbound) { in.Source = "post:mark" })},
		{"space in source", edit(func(in *spinepb.Inbound) { in.Source = "post mark" })},
		{"other tenant", edit(func(in *spinepb.Inbound) { in.ClientId = "globex" })},
		{"other case", edit(func(in *spinepb.Inbound) { in.CaseId = "cother" })},
	}
	c := e.load(t, "cbad")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.Deliver(t.Context(), tt.in); !errors.Is(err, actors.ErrInvalid) {
				t.Fatalf("Deliver: err = %v, want ErrInvalid", err)
			}
		})
	}
	if e.head(t) != 0 || e.storedState(t, "cbad") != nil || c.State() != nil {
		t.Fatal("a rejected message changed the store")
	}
	// The longest ids accepted are accepted.
	in := edit(func(in *spinepb.Inbound) {
		in.SourceMessageId, in.RfcMessageId = strings.Repeat("x", 512), strings.Repeat("y", 998)
	})
	if ack := e.deliver(t, c, in); ack.Outcome != spinepb.DeliverAck_CREATED {
		t.Fatalf("longest ids: %v", ack)
	}
}

func TestLoadAndStoreFailures(t *testing.T) {
	e := newEnv(t)
	if _, err := cases.Load(e.store, "nobody", "c1", nil); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("Load for an unknown tenant: err = %v, want ErrNotFound", err)
	}
	if _, err := e.store.Commit(t.Context(), &persistence.Batch{Puts: []persistence.KV{{Key: keyspace.Case(cid, "ccorrupt"), Value: []byte{0xff, 0xff}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := cases.Load(e.store, cid, "ccorrupt", nil); err == nil {
		t.Fatal("Load of a corrupt case succeeded")
	}
	c := e.load(t, "cgone")
	if err := e.store.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Deliver(t.Context(), actortest.Mail(cid, "cgone", "m1")); !errors.Is(err, actors.ErrUnavailable) {
		t.Fatalf("Deliver on a closed store: err = %v, want ErrUnavailable", err)
	}
	if _, err := cases.Load(e.store, cid, "cgone", nil); !errors.Is(err, actors.ErrUnavailable) {
		t.Fatalf("Load on a closed store: err = %v, want ErrUnavailable", err)
	}
}

// A long message is stored compressed and reads back exactly.
func TestLargeMessageRoundTrips(t *testing.T) {
	e := newEnv(t)
	in := actortest.Mail(cid, "cbig", "m1")
	in.Text = strings.Repeat("Your booking reference is ABC123. Flight TP1234 departs 07:45. ", 300)
	in.Html = "<html><body>" + strings.Repeat("<p>Your booking reference is <b>ABC123</b>.</p>", 400) + "</body></html>"
	e.deliver(t, e.load(t, "cbig"), in)
	raw, ok, err := e.store.Get(keyspace.Message(cid, "cbig", 1))
	if err != nil || !ok {
		t.Fatalf("message key: ok=%v %v", ok, err)
	}
	if len(raw) >= len(in.Text)+len(in.Html) {
		t.Errorf("stored %d bytes for %d bytes of text and html: not compressed", len(raw), len(in.Text)+len(in.Html))
	}
	v, err := cases.Get(e.store, cid, "cbig")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Messages) != 1 || v.Messages[0].Text != in.Text || v.Messages[0].HTML != in.Html {
		t.Fatal("the long message did not read back as delivered")
	}
	if got := e.storedMessages(t, "cbig")[0]; got.Text != in.Text || got.Html != in.Html {
		t.Fatal("the decoded stored message differs from the inbound")
	}
}
