package keyspace_test

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/casespine/spine/actors/keyspace"
)

var caseIDPattern = regexp.MustCompile(`^c[a-z2-7]{24}$`)

func TestCaseID(t *testing.T) {
	const root = "<root@mail.example>"
	a := keyspace.CaseID("acme", root)
	if b := keyspace.CaseID("acme", root); a != b {
		t.Fatalf("CaseID is not deterministic: %q then %q", a, b)
	}
	if !caseIDPattern.MatchString(a) {
		t.Fatalf("CaseID %q is not 'c' + 24 lowercase base32 characters", a)
	}
	tests := []struct {
		name     string
		cid, msg string
	}{
		{"other tenant, same root", "globex", root},
		{"same tenant, other root", "acme", "<other@mail.example>"},
		{"root differs by case", "acme", "<ROOT@mail.example>"},
		// Without a separator "ab"+"c" and "a"+"bc" would collide.
		{"tenant and root shifted", "acme<", "root@mail.example>"},
		{"empty root", "acme", ""},
	}
	seen := map[string]string{a: "acme " + root}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := keyspace.CaseID(tt.cid, tt.msg)
			if !caseIDPattern.MatchString(got) {
				t.Fatalf("CaseID(%q, %q) = %q: bad form", tt.cid, tt.msg, got)
			}
			if prev, ok := seen[got]; ok {
				t.Fatalf("CaseID(%q, %q) = %q, the same as for %s", tt.cid, tt.msg, got, prev)
			}
			seen[got] = tt.cid + " " + tt.msg
		})
	}
}

func TestReplyToken(t *testing.T) {
	k1 := bytes.Repeat([]byte{1}, 32)
	k2 := bytes.Repeat([]byte{2}, 32)
	caseID := keyspace.CaseID("acme", "<root@mail.example>")
	tok := keyspace.ReplyToken(k1, caseID)
	if tok != keyspace.ReplyToken(k1, caseID) {
		t.Fatal("ReplyToken is not deterministic")
	}
	if !regexp.MustCompile(`^[a-z2-7]+$`).MatchString(tok) {
		t.Fatalf("ReplyToken = %q, want lowercase base32 (it goes in a mail address)", tok)
	}
	if tok == keyspace.ReplyToken(k2, caseID) {
		t.Fatal("ReplyToken does not depend on the key")
	}
	if tok == keyspace.ReplyToken(k1, keyspace.CaseID("acme", "<other@mail.example>")) {
		t.Fatal("ReplyToken does not depend on the case")
	}
	got, ok := keyspace.CaseOfReplyToken(k1, tok)
	if !ok || got != caseID {
		t.Fatalf("CaseOfReplyToken(ReplyToken) = %q, %v; want %q", got, ok, caseID)
	}

	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := []struct {
		name  string
		key   []byte
		token string
		want  string // "" = rejected
	}{
		{"upper case", k1, strings.ToUpper(tok), caseID},
		{"surrounding space", k1, "  " + tok + "\t", caseID},
		{"another tenant's key", k2, tok, ""},
		{"MAC altered", k1, flip(tok, len(tok)-1), ""},
		{"case altered", k1, flip(tok, 0), ""},
		{"truncated", k1, tok[:len(tok)-1], ""},
		{"MAC only", k1, tok[len(tok)-8:], ""},
		{"empty", k1, "", ""},
		{"garbage", k1, "zzzzzzzzzzzzzzzzzzzzzzzz", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := keyspace.CaseOfReplyToken(tt.key, tt.token)
			if tt.want == "" && ok || tt.want != "" && (!ok || got != tt.want) {
				t.Fatalf("CaseOfReplyToken(%q) = %q, %v; want %q", tt.token, got, ok, tt.want)
			}
		})
	}
}

func TestCaseListEntryOrdersNewestFirst(t *testing.T) {
	created := []int64{0, 1, 2, 255, 256, 1 << 40, 1_700_000_000_000_000_000, 1_700_000_000_000_000_001}
	var keys [][]byte
	for i, at := range created {
		k := keyspace.CaseListEntry("acme", "c"+string(rune('a'+i)), at)
		if !bytes.HasPrefix(k, keyspace.CaseListPrefix("acme")) {
			t.Fatalf("CaseListEntry %q lacks the tenant's CaseListPrefix", k)
		}
		keys = append(keys, k)
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, bytes.Compare)
	for i := range sorted {
		if want := keys[len(keys)-1-i]; !bytes.Equal(sorted[i], want) {
			t.Fatalf("lexical position %d holds %q, want %q (newest first)", i, sorted[i], want)
		}
	}
	// Same instant: the case id breaks the tie, deterministically.
	a, b := keyspace.CaseListEntry("acme", "ca", 5), keyspace.CaseListEntry("acme", "cb", 5)
	if bytes.Compare(a, b) >= 0 {
		t.Fatalf("same created_at: %q should sort before %q", a, b)
	}
}

func TestSourceIndexValueRoundTrip(t *testing.T) {
	tests := []struct{ caseID, msgID string }{
		{"cabc", "cabc-1"},
		{"cabc", ""},
		{"cabc", "id with spaces"},
	}
	for _, tt := range tests {
		t.Run(tt.caseID+"/"+tt.msgID, func(t *testing.T) {
			c, m := keyspace.ParseSourceIndexValue(keyspace.SourceIndexValue(tt.caseID, tt.msgID))
			if c != tt.caseID || m != tt.msgID {
				t.Fatalf("round trip of (%q, %q) gave (%q, %q)", tt.caseID, tt.msgID, c, m)
			}
		})
	}
	// An old-style value holding only the case id still parses.
	if c, m := keyspace.ParseSourceIndexValue([]byte("cabc")); c != "cabc" || m != "" {
		t.Fatalf("bare case id parsed as (%q, %q)", c, m)
	}
}

func TestTenantOfEventLog(t *testing.T) {
	tests := []struct {
		name string
		log  []byte
		want string
	}{
		{"event log", keyspace.EventLog("acme"), "acme"},
		{"event log with dash", keyspace.EventLog("a-b_c"), "a-b_c"},
		{"audit log", keyspace.AuditLog("acme"), ""},
		{"empty", nil, ""},
		{"other family", []byte("x/acme"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := keyspace.TenantOfEventLog(tt.log); got != tt.want {
				t.Fatalf("TenantOfEventLog(%q) = %q, want %q", tt.log, got, tt.want)
			}
		})
	}
}

// Every key of one tenant lies under a prefix no key of another tenant
// shares, even when one tenant id is a prefix of the other.
func TestKeysAreTenantScoped(t *testing.T) {
	keysOf := func(cid string) map[string][]byte {
		return map[string][]byte{
			"Tenant":        keyspace.Tenant(cid),
			"Case":          keyspace.Case(cid, "cabc"),
			"Message":       keyspace.Message(cid, "cabc", 1),
			"Attachment":    keyspace.Attachment(cid, "cabc", 1, 0),
			"CaseListEntry": keyspace.CaseListEntry(cid, "cabc", 1),
			"SourceIndex":   keyspace.SourceIndex(cid, "postmark", "m1"),
			"Published":     keyspace.Published(cid),
			"EventLog":      keyspace.EventLog(cid),
			"AuditLog":      keyspace.AuditLog(cid),
		}
	}
	a, b := keysOf("ab"), keysOf("ab-c")
	for name, ka := range a {
		kb := b[name]
		if bytes.Equal(ka, kb) {
			t.Errorf("%s: tenants ab and ab-c share key %q", name, ka)
		}
		// Prefix scans under tenant "ab" must not reach "ab-c".
		for _, p := range [][]byte{keyspace.MessagePrefix("ab", "cabc"), keyspace.CaseListPrefix("ab")} {
			if bytes.HasPrefix(kb, p) {
				t.Errorf("%s: key %q of tenant ab-c is under prefix %q of tenant ab", name, kb, p)
			}
		}
	}
	if got := keyspace.TenantFromKey(keyspace.Tenant("ab-c")); got != "ab-c" {
		t.Errorf("TenantFromKey = %q", got)
	}
	if !bytes.HasPrefix(keyspace.Tenant("x"), keyspace.TenantPrefix()) {
		t.Error("Tenant key lacks TenantPrefix")
	}
}

func TestMessageKeysSortInArrivalOrder(t *testing.T) {
	prev := keyspace.Message("acme", "cabc", 1)
	for _, n := range []uint64{2, 9, 10, 255, 256, 1 << 20} {
		k := keyspace.Message("acme", "cabc", n)
		if bytes.Compare(prev, k) >= 0 {
			t.Fatalf("message key %d does not sort after its predecessor", n)
		}
		if !bytes.HasPrefix(k, keyspace.MessagePrefix("acme", "cabc")) {
			t.Fatalf("message key %q lacks MessagePrefix", k)
		}
		if got := binary.BigEndian.Uint64(k[len(k)-8:]); got != n {
			t.Fatalf("message key ends with %d, want %d", got, n)
		}
		prev = k
	}
	// Attachments of message n do not collide across messages or indexes.
	if bytes.Equal(keyspace.Attachment("acme", "cabc", 1, 2), keyspace.Attachment("acme", "cabc", 2, 1)) {
		t.Fatal("attachment keys collide")
	}
}

func TestIdentityRoundTrip(t *testing.T) {
	cid, caseID, ok := keyspace.SplitIdentity(keyspace.Identity("acme", "cabc"))
	if !ok || cid != "acme" || caseID != "cabc" {
		t.Fatalf("SplitIdentity(Identity) = %q, %q, %v", cid, caseID, ok)
	}
	if _, _, ok := keyspace.SplitIdentity("no-slash"); ok {
		t.Fatal("SplitIdentity accepted an identity with no '/'")
	}
	if strings.Contains(keyspace.CaseID("a", "b"), "/") {
		t.Fatal("case ids must not contain '/'")
	}
}
