package postmark

import (
	"reflect"
	"testing"
)

func TestNormalizeMessageID(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<abc@example.com>", "abc@example.com"},
		{"  <abc@example.com>\r\n", "abc@example.com"},
		{"abc@example.com", "abc@example.com"},
		{"<<abc@x>>", "abc@x"},
		{"< <abc@x> >", "abc@x"},
		{"<Mixed.Case+x=y@Host>", "Mixed.Case+x=y@Host"}, // kept exactly
		{"<a b@x>", "a b@x"},                             // interior kept
		{"<>", ""},
		{"", ""},
		{"   ", ""},
		{"<abc", "abc"},
		{"abc>", "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := NormalizeMessageID(tt.in); got != tt.want {
				t.Errorf("NormalizeMessageID(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseIDList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "", nil},
		{"blank", " \r\n ", nil},
		{"one", "<a@x>", []string{"a@x"}},
		{"folded", "<a@x>\r\n <b@y>\r\n\t<c@z>", []string{"a@x", "b@y", "c@z"}},
		{"adjacent", "<a@x><b@y>", []string{"a@x", "b@y"}},
		{"commas", "<a@x>, <b@y>,<c@z>", []string{"a@x", "b@y", "c@z"}},
		{"comments", "(first) <a@x> (a (nested) one, with \\) escaped) <b@y>", []string{"a@x", "b@y"}},
		{"comment holding brackets", "(see <not@this>) <a@x>", []string{"a@x"}},
		{"obsolete phrase", `"Your message of Mon, 1 Jan <x>" <a@x>`, []string{"a@x"}},
		{"phrase and id", "Your message of Mon, 1 Jan 2024 <a@x>", []string{"a@x"}},
		{"bare ids", "a@x b@y", []string{"a@x", "b@y"}},
		{"bare ids with commas", "a@x,b@y", []string{"a@x", "b@y"}},
		{"bare words dropped", "hello a@x world", []string{"a@x"}},
		{"only words", "Your message of Monday", nil},
		{"bracketed wins over bare", "a@x <b@y>", []string{"b@y"}},
		{"double brackets", "<<a@x>>", []string{"a@x"}},
		{"junk before id in brackets", "<junk<a@x>", []string{"a@x"}},
		{"space inside brackets dropped", "<a b@x> <c@y>", []string{"c@y"}},
		{"padded inside brackets", "< a@x >", []string{"a@x"}},
		{"empty brackets", "<> <a@x>", []string{"a@x"}},
		{"bracketed without at sign", "<1234.ABCD>", []string{"1234.ABCD"}},
		{"unterminated bracket", "<a@x", []string{"a@x"}},
		{"unterminated after good", "<a@x> <b@y", []string{"a@x"}},
		{"unterminated comment", "<a@x> (never closed <b@y>", []string{"a@x"}},
		{"unterminated quote", `<a@x> "never closed <b@y>`, []string{"a@x"}},
		{"stray closers", ">> ) <a@x> >", []string{"a@x"}},
		{"duplicates kept", "<a@x> <a@x>", []string{"a@x", "a@x"}},
		{"non-ascii kept", "<ñ@例え.jp>", []string{"ñ@例え.jp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseIDList(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseIDList(%q) = %q, want %q", tt.in, got, tt.want)
			}
			wantFirst := ""
			if len(tt.want) > 0 {
				wantFirst = tt.want[0]
			}
			if f := firstID(tt.in); f != wantFirst {
				t.Errorf("firstID(%q) = %q, want %q", tt.in, f, wantFirst)
			}
		})
	}
}
