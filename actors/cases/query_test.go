package cases_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/spinepb"
)

// openCases opens n cases, one message each, in order; it returns their ids
// oldest first.
func openCases(t *testing.T, e *env, tenant string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("c%s%03d", tenant, i)
		c := actortest.LoadCase(t, e.store, tenant, ids[i], e.clock.Now)
		if _, err := c.Deliver(t.Context(), actortest.Mail(tenant, ids[i], ids[i])); err != nil {
			t.Fatal(err)
		}
	}
	return ids
}

func TestListNewestFirstWithPaging(t *testing.T) {
	e := newEnv(t)
	actortest.CreateTenant(t, e.store, "globex", nil, e.clock.Now)
	ids := openCases(t, e, cid, 7)
	openCases(t, e, "globex", 3) // never listed for acme
	// An update does not move a case in the list.
	if _, err := e.load(t, ids[0]).Deliver(t.Context(), actortest.Mail(cid, ids[0], "later")); err != nil {
		t.Fatal(err)
	}
	want := make([]string, 0, len(ids))
	for i := len(ids) - 1; i >= 0; i-- {
		want = append(want, ids[i])
	}
	for _, limit := range []int{1, 2, 3, 6, 7, 8, 0, 10000} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > len(ids) {
					t.Fatal("paging does not end")
				}
				items, next, err := cases.List(e.store, cid, limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				if len(items) > cases.PageSize(limit) {
					t.Fatalf("page of %d items for limit %d", len(items), limit)
				}
				if next != "" && len(items) != cases.PageSize(limit) {
					t.Fatalf("short page of %d with a next cursor", len(items))
				}
				for _, v := range items {
					got = append(got, v.ID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("listed %v, want %v", got, want)
			}
		})
	}
	items, _, err := cases.List(e.store, cid, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if v := items[0]; v.MessageCount != 1 || v.LastMessage == nil || v.CreatedAt == "" || v.Subject == "" || v.Messages != nil {
		t.Fatalf("list item %+v", v)
	}
}

func TestListEmptyAndBadCursor(t *testing.T) {
	e := newEnv(t)
	items, next, err := cases.List(e.store, cid, 10, "")
	if err != nil || len(items) != 0 || next != "" {
		t.Fatalf("empty tenant: %v, %q, %v", items, next, err)
	}
	for _, cursor := range []string{"!!!", "a b", "=", "%%"} {
		if _, _, err := cases.List(e.store, cid, 10, cursor); !errors.Is(err, actors.ErrInvalid) {
			t.Errorf("List with cursor %q: err = %v, want ErrInvalid", cursor, err)
		}
		if _, _, err := cases.Messages(e.store, cid, "c1", 10, cursor); !errors.Is(err, actors.ErrInvalid) {
			t.Errorf("Messages with cursor %q: err = %v, want ErrInvalid", cursor, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	tests := []struct{ in, want int }{
		{-1, cases.DefaultPageSize}, {0, cases.DefaultPageSize}, {1, 1}, {cases.MaxPageSize, cases.MaxPageSize}, {cases.MaxPageSize + 1, cases.MaxPageSize},
	}
	for _, tt := range tests {
		if got := cases.PageSize(tt.in); got != tt.want {
			t.Errorf("PageSize(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestGet(t *testing.T) {
	e := newEnv(t)
	msgs := thread("get", 4)
	caseID := msgs[0].CaseId
	c := e.load(t, caseID)
	for _, in := range msgs {
		e.deliver(t, c, in)
	}
	v, err := cases.Get(e.store, cid, caseID)
	if err != nil {
		t.Fatal(err)
	}
	st := c.State()
	if v.ID != caseID || v.MessageCount != 4 || v.Status != cases.StatusOpen || v.ReplyToken != st.ReplyToken ||
		v.CreatedAt != time.Unix(0, st.CreatedAt).UTC().Format(time.RFC3339Nano) || v.UpdatedAt != time.Unix(0, st.UpdatedAt).UTC().Format(time.RFC3339Nano) ||
		v.LastMessage == nil || v.LastMessage.SourceMessageID != msgs[3].SourceMessageId {
		t.Fatalf("view %+v of state %v", v, st)
	}
	if len(v.Messages) != 4 {
		t.Fatalf("%d messages inline, want 4", len(v.Messages))
	}
	for i, m := range v.Messages {
		if m.SourceMessageID != msgs[i].SourceMessageId || m.ID != fmt.Sprintf("%s-%d", caseID, i+1) {
			t.Fatalf("message %d is %s (%s)", i, m.SourceMessageID, m.ID)
		}
	}
	if _, err := cases.Get(e.store, cid, "cnothere"); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("Get of an unknown case: err = %v, want ErrNotFound", err)
	}
	if _, err := cases.Get(e.store, "globex", caseID); !errors.Is(err, actors.ErrNotFound) {
		t.Fatalf("Get of acme's case as globex: err = %v, want ErrNotFound", err)
	}
}

func TestMessagesPaging(t *testing.T) {
	e := newEnv(t)
	const n = 11
	c := e.load(t, "cmany")
	for i := range n {
		in := actortest.Mail(cid, "cmany", fmt.Sprintf("m%02d", i))
		in.From = &spinepb.Address{Email: fmt.Sprintf("p%d@example.com", i)}
		e.deliver(t, c, in)
	}
	for _, limit := range []int{1, 3, 5, 11, 12} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			var got []string
			cursor := ""
			for pages := 0; ; pages++ {
				if pages > n {
					t.Fatal("paging does not end")
				}
				page, next, err := cases.Messages(e.store, cid, "cmany", limit, cursor)
				if err != nil {
					t.Fatal(err)
				}
				if len(page) > limit || next != "" && len(page) != limit {
					t.Fatalf("page of %d for limit %d (next %q)", len(page), limit, next)
				}
				for _, m := range page {
					got = append(got, m.SourceMessageID)
				}
				if next == "" {
					break
				}
				cursor = next
			}
			if len(got) != n {
				t.Fatalf("read %d messages, want %d: %v", len(got), n, got)
			}
			for i, smid := range got {
				if smid != fmt.Sprintf("m%02d", i) {
					t.Fatalf("message %d is %s: not arrival order (%v)", i, smid, got)
				}
			}
		})
	}
	// Get inlines them all, in order, with participants merged.
	v, err := cases.Get(e.store, cid, "cmany")
	if err != nil || len(v.Messages) != n || len(v.Participants) != n+1 {
		t.Fatalf("Get: %d messages, %d participants, %v", len(v.Messages), len(v.Participants), err)
	}
	// A case with no messages pages as empty; Get is what says it is unknown.
	page, next, err := cases.Messages(e.store, cid, "cnothere", 10, "")
	if err != nil || len(page) != 0 || next != "" {
		t.Fatalf("Messages of an unknown case: %v, %q, %v", page, next, err)
	}
}
