package auth

import (
	"testing"
	"time"
)

func BenchmarkVerify(b *testing.B) {
	a, err := New(Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	tok, _, err := a.Issue(Claims{Sub: "agent-0042", Role: RoleAgent, ClientID: "acme-travel"}, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := a.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkIssue(b *testing.B) {
	a, err := New(Options{Key: testKey})
	if err != nil {
		b.Fatal(err)
	}
	c := Claims{Sub: "agent-0042", Role: RoleAgent, ClientID: "acme-travel"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := a.Issue(c, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
}
