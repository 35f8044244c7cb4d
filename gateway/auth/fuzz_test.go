package auth

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

// FuzzVerify checks that Verify never panics, fails only with
// ErrInvalidToken or ErrExpired, and returns only claims that satisfy the
// role rules.
func FuzzVerify(f *testing.F) {
	a, clk := newTestAuth(f, Options{})
	for _, c := range []Claims{
		{Sub: "o", Role: RoleOperator},
		{Sub: "ana", Role: RoleAdmin, ClientID: "acme"},
		{Sub: "g", Role: RoleAgent, ClientID: "acme-travel_2"},
	} {
		tok, _, err := a.Issue(c, time.Hour)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	now := itoa(clk.t.Unix())
	for _, s := range []string{
		"", ".", "..", "a.b.c", "eyJ.eyJ.",
		craft(`{"alg":"none"}`, `{"sub":"o","role":"operator","iat":`+now+`,"exp":9999999999}`, nil, nil),
		craft(`{"alg":"HS256"}`, `{"sub":"o","role":"operator","iat":`+now+`,"exp":1e400}`, sha256.New, testKey),
		craft(`{"alg":"HS256"}`, `{"sub":"o","role":"operator","iat":-1e300,"exp":9e18}`, sha256.New, testKey),
		craft(`{"alg":"HS256"}`, `{"sub":"o","role":"operator","client_id":"acme","iat":`+now+`,"exp":9999999999}`, sha256.New, testKey),
		craft(`{"alg":"HS256","crit":["x"]}`, `{"sub":"\u0000","role":"agent","client_id":"a","exp":1}`, sha256.New, testKey),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := a.Verify(token)
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			if !errors.Is(err, ErrInvalidToken) && !errors.Is(err, ErrExpired) {
				t.Fatalf("unexpected error class: %v", err)
			}
			return
		}
		if reason := checkClaims(c.Sub, c.Role, c.ClientID); reason != "" {
			t.Fatalf("accepted claims break a rule (%s): %+v", reason, c)
		}
		if !c.ExpiresAt.After(clk.t) || c.IssuedAt.After(c.ExpiresAt) {
			t.Fatalf("accepted times iat=%v exp=%v at %v", c.IssuedAt, c.ExpiresAt, clk.t)
		}
	})
}
