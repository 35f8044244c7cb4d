package spineapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRetriesRateLimitThenSucceeds(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(401)
			return
		}
		if n.Add(1) < 3 {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(429)
			_, _ = w.Write([]byte(`{"type":"about:blank","title":"Too Many Requests","status":429,"detail":"slow down"}`))
			return
		}
		_, _ = w.Write([]byte(`{"items":[{"id":"c1","message_count":2}],"next_cursor":7}`))
	}))
	defer srv.Close()
	c, err := New(Options{BaseURL: srv.URL, MaxRetryAfter: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.ListCases(context.Background(), "tok", "t1", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != 3 || len(l.Items) != 1 || l.Items[0].MessageCount != 2 || l.NextCursor.Value != "7" || !l.NextCursor.IsNumber {
		t.Fatalf("calls %d, list %+v", n.Load(), l)
	}
}

func TestProblemsMatchSentinels(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(409)
		_, _ = w.Write([]byte(`{"type":"x","title":"Conflict","status":409,"detail":"tenant exists"}`))
	}))
	defer srv.Close()
	c, _ := New(Options{BaseURL: srv.URL})
	_, err := c.CreateTenant(context.Background(), "tok", TenantRequest{ClientID: "t1"})
	var p *Problem
	if !errors.Is(err, ErrConflict) || !errors.As(err, &p) || p.Detail != "tenant exists" {
		t.Fatalf("err %v", err)
	}
	if errors.Is(err, ErrNotFound) {
		t.Fatal("409 matched ErrNotFound")
	}
}

func TestWritesAreNotRetriedOnServerErrors(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(503)
	}))
	defer srv.Close()
	c, _ := New(Options{BaseURL: srv.URL})
	if _, err := c.MintToken(context.Background(), "tok", "t1", TokenRequest{Sub: "u"}); !errors.Is(err, ErrServer) {
		t.Fatalf("err %v", err)
	}
	if n.Load() != 1 {
		t.Fatalf("POST tried %d times", n.Load())
	}
}
