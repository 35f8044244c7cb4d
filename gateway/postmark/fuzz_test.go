package postmark

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics, fails only with its two
// sentinels, and that every Message it returns satisfies the invariants the
// intake path relies on (non-empty MessageID, normalized ids).
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no fixtures: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `{"MessageID":"x"} x`,
		`{"MessageID":"x","Attachments":[{"Content":"aGk\/\r\n"}]}`,
		`{"MessageID":"x","Headers":[{"Name":"References","Value":"(c <a@x>) <<b@y>> \"q <c@z>\" d@w"}]}`,
		`{"MessageID":"x","To":"\"a,b\" <c@d>, (e,f) g@h, <<>>,"}`,
		`{"MessageID":"x","Date":"Fri, 1 Aug 2014 16:45:32 -04:00"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body)
		if err != nil {
			if m != nil {
				t.Fatal("message returned with an error")
			}
			if errors.Is(err, ErrMalformed) == errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v wraps neither or both sentinels", err)
			}
			return
		}
		checkInvariants(t, m)
	})
}

// FuzzParseIDList checks the id-list scanner on its own, where the fuzzer
// reaches odd bracket and comment nesting faster than through JSON.
func FuzzParseIDList(f *testing.F) {
	for _, s := range []string{
		"<a@x> <b@y>", "<a@x><b@y>", "(c) <a@x>, b@y", `"q <x>" <a@x>`, "<<a@x>>",
		"a@x b@y", "<a b@x>", "(((", `"\`, "<a@x", "< >",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids := ParseIDList(s)
		first := ""
		if len(ids) > 0 {
			first = ids[0]
		}
		if got := firstID(s); got != first {
			t.Fatalf("firstID = %q, ParseIDList[0] = %q", got, first)
		}
		for _, id := range ids {
			if id == "" || strings.ContainsAny(id, "<> \t\r\n\v\f") {
				t.Fatalf("bad id %q in %q", id, ids)
			}
		}
		n := NormalizeMessageID(s)
		if NormalizeMessageID(n) != n {
			t.Fatalf("NormalizeMessageID not idempotent on %q", s)
		}
		if strings.HasPrefix(n, "<") || strings.HasSuffix(n, ">") || strings.TrimSpace(n) != n {
			t.Fatalf("NormalizeMessageID(%q) = %q", s, n)
		}
		if id := normalizeOneID(s); strings.ContainsAny(id, "<> \t\r\n\v\f") {
			t.Fatalf("normalizeOneID(%q) = %q", s, id)
		}
	})
}
