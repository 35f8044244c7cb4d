package events_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/casespine/spine/actors/events"
)

func TestNewEnvelope(t *testing.T) {
	at := time.Date(2026, 3, 1, 13, 0, 0, 5, time.FixedZone("CET", 3600))
	tests := []struct {
		name             string
		caseID, callID   string
		wantID, wantOmit string
	}{
		{"case event", "cabc", "", "ev_case_cabc_7", `"call_id"`},
		{"call event", "", "call9", "ev_call_call9_7", `"case_id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := events.NewEnvelope("ep1", events.TypeCaseUpdated, "acme", tt.caseID, tt.callID, 7, at, json.RawMessage(`{"k":1}`))
			if env.ID != tt.wantID || env.Seq != 7 || env.Epoch != "ep1" || env.ClientID != "acme" {
				t.Fatalf("envelope %+v", env)
			}
			if env.At != "2026-03-01T12:00:00.000000005Z" {
				t.Fatalf("at = %q, want UTC RFC 3339 with nanoseconds", env.At)
			}
			raw, err := env.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte(tt.wantOmit)) {
				t.Fatalf("encoded %s carries the empty %s", raw, tt.wantOmit)
			}
			var back events.Envelope
			if err := json.Unmarshal(raw, &back); err != nil {
				t.Fatal(err)
			}
			if back.ID != env.ID || back.At != env.At || string(back.Data) != `{"k":1}` {
				t.Fatalf("round trip: %+v", back)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(raw, &fields); err != nil {
				t.Fatal(err)
			}
			for k := range fields {
				if k != strings.ToLower(k) {
					t.Fatalf("field %q is not lowercase", k)
				}
			}
		})
	}
	// The id is stable: the same subject and seq give the same id.
	a := events.NewEnvelope("ep1", events.TypeCaseCreated, "acme", "cabc", "", 1, at, nil)
	b := events.NewEnvelope("ep2", events.TypeCaseUpdated, "acme", "cabc", "", 1, at.Add(time.Hour), nil)
	if a.ID != b.ID {
		t.Fatalf("ids %q and %q differ for one subject and seq", a.ID, b.ID)
	}
}

// checkWire asserts that w is stored with "offset" spliced in as its first
// member: valid JSON, offset first, every other member unchanged.
func checkWire(t *testing.T, offset uint64, stored, w []byte) {
	t.Helper()
	prefix := fmt.Sprintf(`{"offset":%d`, offset)
	if !bytes.HasPrefix(w, []byte(prefix)) {
		t.Fatalf("Wire(%d, %s) = %s: offset is not the first member", offset, stored, w)
	}
	if !json.Valid(w) {
		t.Fatalf("Wire(%d, %s) = %s: not valid JSON", offset, stored, w)
	}
	var got, want map[string]json.RawMessage
	if err := json.Unmarshal(w, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(stored, &want); err != nil {
		t.Fatal(err)
	}
	if string(got["offset"]) != fmt.Sprint(offset) {
		t.Fatalf("offset member = %s", got["offset"])
	}
	delete(got, "offset")
	if len(got) != len(want) {
		t.Fatalf("Wire(%s) has members %v, want %v", stored, got, want)
	}
	for k, v := range want {
		var a, b any
		_ = json.Unmarshal(v, &a)
		_ = json.Unmarshal(got[k], &b)
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Fatalf("member %q = %s, want %s", k, got[k], v)
		}
	}
}

func TestWire(t *testing.T) {
	env := events.NewEnvelope("ep", events.TypeCaseCreated, "acme", "cabc", "", 1, time.Unix(0, 1).UTC(), json.RawMessage(`{"subject":"Hi","n":[1,2]}`))
	stored, err := env.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		offset uint64
		stored []byte
	}{
		{"envelope", 42, stored},
		{"offset 0", 0, stored},
		{"largest offset", math.MaxUint64, stored},
		{"one member", 1, []byte(`{"a":1}`)},
		{"whitespace after the brace", 1, []byte("{\n  \"a\": 1\n}")},
		{"empty object", 1, []byte(`{}`)},
		{"empty object with whitespace", 1, []byte("{ \n}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkWire(t, tt.offset, tt.stored, events.Wire(tt.offset, tt.stored))
		})
	}
	// What is not a JSON object has no wire form.
	for _, bad := range []string{"", "{", "[]", `"s"`, "1", " {}", "null"} {
		if w := events.Wire(1, []byte(bad)); w != nil {
			t.Errorf("Wire(%q) = %q, want nil", bad, w)
		}
	}
	// Wire does not touch the stored bytes.
	before := bytes.Clone(stored)
	_ = events.Wire(7, stored)
	if !bytes.Equal(before, stored) {
		t.Fatal("Wire modified its input")
	}
}

// FuzzWire: for every stored JSON object, Wire yields valid JSON with the
// offset first and the object's members unchanged.
func FuzzWire(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{}`, "{ }", `{"type":"case.created","data":{"x":[1,{}]}}`, "{\t\"k\":\"v\"}"} {
		f.Add(uint64(1), []byte(s))
	}
	f.Fuzz(func(t *testing.T, offset uint64, stored []byte) {
		var obj map[string]json.RawMessage
		if len(stored) == 0 || stored[0] != '{' || json.Unmarshal(stored, &obj) != nil {
			return
		}
		if _, has := obj["offset"]; has {
			return // stored envelopes never carry an offset
		}
		w := events.Wire(offset, stored)
		if w == nil {
			t.Fatalf("Wire(%q) = nil for a JSON object", stored)
		}
		checkWire(t, offset, stored, w)
	})
}
