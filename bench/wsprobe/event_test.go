package wsprobe

import (
	"strings"
	"testing"
)

// sample is an event as Spine sends it.
const sample = `{"offset":7,"epoch":"01m90xbvyp7ch4jq57d5zavvn6","id":"ev_c1_2","type":"case.updated","client_id":"t2","case_id":"c1","seq":2,"at":"2026-12-04T16:14:29.611608437Z","data":{"subject":"Booking BK-100000 \u2014 change (Z\u00fcrich)","status":"open","participants":[{"email":"customer.0.t0@example.com","name":"Am\u00e9lie \"Ami\" Durand"},{"email":"support@bench.casespine.test","name":"Support"}],"message_count":2,"last_message":{"id":"c1-2","source_message_id":"1f4f6cf7-0000-4001-8000-000000000002","from":{"email":"customer.0.t0@example.com","name":"Am\u00e9lie Durand"},"subject":"Re: Booking","text":"Hello,\n\nThis is message 2 about booking BK-100000.\n\na two need one I also the be the the and but two need available two the said\nagent with allowance allowance a to can on are said the arrived issued ","received_at":"2026-12-04T16:14:29.611608437Z"},"reply_token":"cq5coflvadoiqey4"}}`

func TestParseEvent(t *testing.T) {
	var ev Event
	if err := ParseEvent([]byte(sample), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Offset != 7 || ev.Seq != 2 || string(ev.Type) != "case.updated" || string(ev.ClientID) != "t2" ||
		string(ev.CaseID) != "c1" || string(ev.SourceMessageID) != "1f4f6cf7-0000-4001-8000-000000000002" ||
		string(ev.At) != "2026-12-04T16:14:29.611608437Z" || string(ev.ID) != "ev_c1_2" {
		t.Fatalf("parsed %+v", ev)
	}
	for _, bad := range []string{`{}`, `{"offset":1}`, sample[:len(sample)-1], `not json`} {
		if err := ParseEvent([]byte(bad), &ev); err == nil {
			t.Errorf("%.40q: no error", bad)
		}
	}
}

func TestLines(t *testing.T) {
	var got []string
	Lines([]byte("a\n\nb\r\nc"), func(l []byte) { got = append(got, string(l)) })
	if strings.Join(got, "|") != "a|b|c" {
		t.Fatalf("got %q", got)
	}
}

func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`{"offset":1,"seq":1,"type":"x","case_id":"c","client_id":"t","data":{"last_message":{}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		_ = ParseEvent(b, &ev) // must not panic
	})
}

func BenchmarkParseEvent(b *testing.B) {
	line := []byte(sample)
	b.SetBytes(int64(len(line)))
	b.ReportAllocs()
	var ev Event
	for b.Loop() {
		if err := ParseEvent(line, &ev); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCacheMatchesParse(t *testing.T) {
	c := NewCache()
	line := []byte(sample)
	for range 3 {
		ev, err := c.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		var want Event
		_ = ParseEvent([]byte(sample), &want)
		if string(ev.SourceMessageID) != string(want.SourceMessageID) || ev.Offset != want.Offset || string(ev.CaseID) != string(want.CaseID) {
			t.Fatalf("cached %+v, want %+v", ev, want)
		}
	}
	// One changed byte is a different event.
	other := []byte(strings.Replace(sample, `"seq":2`, `"seq":3`, 1))
	ev, err := c.Parse(other)
	if err != nil || ev.Seq != 3 {
		t.Fatalf("changed line: %v %+v", err, ev)
	}
	if _, err := c.Parse([]byte(`{"offset":1}`)); err == nil {
		t.Fatal("malformed line parsed")
	}
}

func BenchmarkCacheHit(b *testing.B) {
	c := NewCache()
	line := []byte(sample)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Parse(line); err != nil {
			b.Fatal(err)
		}
	}
}
