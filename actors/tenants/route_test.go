package tenants_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
)

// routeFixture is a tenant whose index was filled by delivering real mail,
// one case per routing rule:
//
//	dup:     holds message "dup-1"
//	token:   holds "token-1"; its reply token is the MailboxHash rule's target
//	parent:  holds "parent-1" (RFC id <parent-1@...>) and "parent-2"
//	refby:   holds "refby-1", which replied to <late@...> before it arrived
//	sibling: holds "sibling-1", which replied to <gone@...>, never stored
type routeFixture struct {
	tn     *tenants.Tenant
	secret string
	key    []byte            // the tenant's reply key
	cases  map[string]string // name → case id
	tokens map[string]string // name → reply token
}

const (
	late = "<late@mail.example>"
	gone = "<gone@mail.example>"
)

func newRouteFixture(t *testing.T) *routeFixture {
	t.Helper()
	store := actortest.OpenStore(t, nil)
	st := actortest.CreateTenant(t, store, "acme", nil, nil)
	f := &routeFixture{secret: st.Secrets.PostmarkToken, key: st.Secrets.ReplyKey, cases: map[string]string{}, tokens: map[string]string{}}
	deliver := func(name string, in *spinepb.Inbound) {
		ack := actortest.Deliver(t, store, in)
		if ack.Outcome != spinepb.DeliverAck_CREATED && ack.Outcome != spinepb.DeliverAck_UPDATED {
			t.Fatalf("fixture delivery %s: %v", in.SourceMessageId, ack.Outcome)
		}
		f.cases[name] = in.CaseId
		c := actortest.LoadCase(t, store, "acme", in.CaseId, nil)
		f.tokens[name] = c.State().ReplyToken
	}
	newThread := func(smid string) *spinepb.Inbound {
		return actortest.Mail("acme", keyspace.CaseID("acme", actortest.RFCID(smid)), smid)
	}
	deliver("dup", newThread("dup-1"))
	deliver("token", newThread("token-1"))
	deliver("parent", newThread("parent-1"))
	p2 := actortest.Mail("acme", f.cases["parent"], "parent-2")
	p2.InReplyTo, p2.References, p2.ThreadRoot = actortest.RFCID("parent-1"), []string{actortest.RFCID("parent-1")}, actortest.RFCID("parent-1")
	deliver("parent", p2)
	r := newThread("refby-1")
	r.InReplyTo, r.References = late, []string{late}
	deliver("refby", r)
	s := newThread("sibling-1")
	s.InReplyTo = gone
	deliver("sibling", s)

	var err error
	if f.tn, err = tenants.Load(store, "acme", nil); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for name, id := range f.cases {
		if seen[id] {
			t.Fatalf("fixture: case %s shares its id with another", name)
		}
		seen[id] = true
	}
	return f
}

func (f *routeFixture) resolve(t *testing.T, req *spinepb.ResolveInbound) *spinepb.ResolveReply {
	t.Helper()
	if req.Source == "" {
		req.Source = tenants.SourcePostmark
	}
	if req.Credential == "" {
		req.Credential = f.secret
	}
	r, err := f.tn.Resolve(t.Context(), req)
	if err != nil {
		t.Fatalf("Resolve(%v): %v", req, err)
	}
	return r
}

// TestResolveOrder strips the rules away one at a time: each rule wins over
// every rule after it.
func TestResolveOrder(t *testing.T) {
	f := newRouteFixture(t)
	full := func() *spinepb.ResolveInbound {
		return &spinepb.ResolveInbound{
			SourceMessageId: "dup-1",
			MailboxHash:     f.tokens["token"],
			InReplyTo:       actortest.RFCID("parent-1"),
			RfcMessageId:    late,
			References:      []string{gone},
			ThreadRoot:      "<root-of-nothing@mail.example>",
		}
	}
	tests := []struct {
		name     string
		edit     func(*spinepb.ResolveInbound)
		wantCase string // fixture case name, or "" for the thread root
		reason   string
	}{
		{"duplicate beats everything", func(*spinepb.ResolveInbound) {}, "dup", "duplicate"},
		{"reply token beats in_reply_to", func(r *spinepb.ResolveInbound) { r.SourceMessageId = "new" }, "token", "reply_token"},
		{"reply token is case-insensitive and trimmed", func(r *spinepb.ResolveInbound) {
			r.SourceMessageId, r.MailboxHash = "new", " "+strings.ToUpper(f.tokens["token"])+" "
		}, "token", "reply_token"},
		{"unknown reply token falls through to in_reply_to", func(r *spinepb.ResolveInbound) {
			r.SourceMessageId, r.MailboxHash = "new", "zzzzzzzzzzzzzzzz"
		}, "parent", "in_reply_to"},
		{"token of a case that does not exist falls through", func(r *spinepb.ResolveInbound) {
			r.SourceMessageId, r.MailboxHash = "new", keyspace.ReplyToken(f.key, keyspace.CaseID("acme", "<never@x>"))
		}, "parent", "in_reply_to"},
		{"token with a bad MAC falls through", func(r *spinepb.ResolveInbound) {
			tok := []byte(f.tokens["token"])
			if tok[len(tok)-1] == 'a' {
				tok[len(tok)-1] = 'b'
			} else {
				tok[len(tok)-1] = 'a'
			}
			r.SourceMessageId, r.MailboxHash = "new", string(tok)
		}, "parent", "in_reply_to"},
		{"in_reply_to beats referenced_by", func(r *spinepb.ResolveInbound) { r.SourceMessageId, r.MailboxHash = "new", "" }, "parent", "in_reply_to"},
		{"referenced_by beats sibling", func(r *spinepb.ResolveInbound) {
			r.SourceMessageId, r.MailboxHash, r.InReplyTo = "new", "", ""
		}, "refby", "referenced_by"},
		{"sibling beats thread root", func(r *spinepb.ResolveInbound) {
			r.SourceMessageId, r.MailboxHash, r.InReplyTo, r.RfcMessageId = "new", "", "", "<new@mail.example>"
		}, "sibling", "sibling"},
		{"sibling through in_reply_to", func(r *spinepb.ResolveInbound) {
			r.SourceMessageId, r.MailboxHash, r.InReplyTo, r.RfcMessageId, r.References = "new", "", gone, "<new@mail.example>", nil
		}, "sibling", "sibling"},
		{"thread root when nothing is known", func(r *spinepb.ResolveInbound) {
			r.SourceMessageId, r.MailboxHash, r.InReplyTo, r.RfcMessageId, r.References = "new", "", "", "<new@mail.example>", nil
		}, "", "thread_root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := full()
			tt.edit(req)
			got := f.resolve(t, req)
			want := keyspace.CaseID("acme", req.ThreadRoot)
			if tt.wantCase != "" {
				want = f.cases[tt.wantCase]
			}
			if got.CaseId != want || got.Reason != tt.reason {
				t.Fatalf("Resolve = (%s, %s), want (%s, %s)", got.CaseId, got.Reason, want, tt.reason)
			}
		})
	}
}

func TestResolveParents(t *testing.T) {
	f := newRouteFixture(t)
	tests := []struct {
		name      string
		inReplyTo string
		refs      []string
		want      string
	}{
		{"in_reply_to alone", actortest.RFCID("token-1"), nil, "token"},
		{"in_reply_to before references", actortest.RFCID("token-1"), []string{actortest.RFCID("parent-1")}, "token"},
		{"closest reference (the last) first", "", []string{actortest.RFCID("parent-1"), actortest.RFCID("dup-1")}, "dup"},
		{"closest reference first, reversed", "", []string{actortest.RFCID("dup-1"), actortest.RFCID("parent-1")}, "parent"},
		{"unknown in_reply_to, known reference", "<unknown@x>", []string{actortest.RFCID("dup-1"), "<unknown2@x>"}, "dup"},
		{"a message stored second in its case", actortest.RFCID("parent-2"), nil, "parent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := f.resolve(t, &spinepb.ResolveInbound{SourceMessageId: "new", RfcMessageId: "<new@x>", InReplyTo: tt.inReplyTo, References: tt.refs})
			if got.CaseId != f.cases[tt.want] || got.Reason != "in_reply_to" {
				t.Fatalf("Resolve = (%s, %s), want (%s, in_reply_to)", got.CaseId, got.Reason, f.cases[tt.want])
			}
		})
	}
	// A long References header keeps its root (the first id) in view.
	t.Run("long references keep the root", func(t *testing.T) {
		refs := []string{actortest.RFCID("parent-1")}
		for i := range 60 {
			refs = append(refs, fmt.Sprintf("<unknown-%d@x>", i))
		}
		orig := append([]string(nil), refs...)
		req := &spinepb.ResolveInbound{SourceMessageId: "new", References: refs}
		got := f.resolve(t, req)
		if got.CaseId != f.cases["parent"] || got.Reason != "in_reply_to" {
			t.Fatalf("Resolve = (%s, %s), want the root's case", got.CaseId, got.Reason)
		}
		for i := range orig {
			if req.References[i] != orig[i] {
				t.Fatalf("Resolve modified the request's References at %d", i)
			}
		}
	})
}

func TestResolveThreadRoot(t *testing.T) {
	f := newRouteFixture(t)
	got := f.resolve(t, &spinepb.ResolveInbound{SourceMessageId: "lonely", ThreadRoot: "<r@x>"})
	if got.CaseId != keyspace.CaseID("acme", "<r@x>") || got.Reason != "thread_root" {
		t.Fatalf("with a thread root: %v", got)
	}
	// Two messages of one new thread meet in one case.
	again := f.resolve(t, &spinepb.ResolveInbound{SourceMessageId: "lonely-2", InReplyTo: "<r@x>", ThreadRoot: "<r@x>"})
	if again.CaseId != got.CaseId {
		t.Fatalf("second message of the thread resolved to %s, the first to %s", again.CaseId, got.CaseId)
	}
	// No thread root: the message is its own thread, named by source and id.
	got = f.resolve(t, &spinepb.ResolveInbound{SourceMessageId: "lonely"})
	if got.CaseId != keyspace.CaseID("acme", "postmark:lonely") || got.Reason != "thread_root" {
		t.Fatalf("without a thread root: %v", got)
	}
}

func TestResolveRejects(t *testing.T) {
	f := newRouteFixture(t)
	tests := []struct {
		name string
		req  *spinepb.ResolveInbound
		want error
	}{
		{"wrong credential", &spinepb.ResolveInbound{Source: tenants.SourcePostmark, Credential: "nope", SourceMessageId: "dup-1"}, actors.ErrForbidden},
		{"missing message id", &spinepb.ResolveInbound{Source: tenants.SourcePostmark, Credential: f.secret}, actors.ErrInvalid},
		{"unknown source", &spinepb.ResolveInbound{Source: "fax", Credential: f.secret, SourceMessageId: "dup-1"}, actors.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := f.tn.Resolve(t.Context(), tt.req); !errors.Is(err, tt.want) {
				t.Fatalf("Resolve: err = %v, want %v", err, tt.want)
			}
		})
	}
}

// One tenant's index never routes another tenant's mail.
func TestResolveIsTenantScoped(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	actortest.CreateTenant(t, store, "acme", nil, nil)
	globex := actortest.CreateTenant(t, store, "globex", nil, nil)
	in := actortest.Mail("acme", keyspace.CaseID("acme", actortest.RFCID("m1")), "m1")
	actortest.Deliver(t, store, in)
	token := actortest.LoadCase(t, store, "acme", in.CaseId, nil).State().ReplyToken

	tn, err := tenants.Load(store, "globex", nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tn.Resolve(t.Context(), &spinepb.ResolveInbound{
		Source: tenants.SourcePostmark, Credential: globex.Secrets.PostmarkToken,
		SourceMessageId: "m1", MailboxHash: token, InReplyTo: in.RfcMessageId, ThreadRoot: in.RfcMessageId,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Reason != "thread_root" || got.CaseId != keyspace.CaseID("globex", in.RfcMessageId) {
		t.Fatalf("globex resolved acme's message to (%s, %s)", got.CaseId, got.Reason)
	}
}

func TestResolveStoreFailure(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	st := actortest.CreateTenant(t, store, "acme", nil, nil)
	tn, err := tenants.Load(store, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = tn.Resolve(t.Context(), &spinepb.ResolveInbound{Source: tenants.SourcePostmark, Credential: st.Secrets.PostmarkToken, SourceMessageId: "m"})
	if !errors.Is(err, actors.ErrUnavailable) {
		t.Fatalf("Resolve on a closed store: err = %v, want ErrUnavailable", err)
	}
}
