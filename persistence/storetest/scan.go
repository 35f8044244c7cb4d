package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/casespine/spine/persistence"
)

func (s *suite) testScan(t *testing.T) {
	st := s.openStore(t, "s")
	all := []string{"a", "a/1", "a/2", "a/3", "a0", "b", "b/1", "b/2", "\xff", "\xff\xff", "\xff\xff/1"}
	b := &persistence.Batch{}
	for _, k := range slices.Backward(all) { // insertion order must not matter
		b.Puts = append(b.Puts, kv(k, "v:"+k))
	}
	mustCommit(t, st, b)

	tests := []struct {
		name          string
		prefix, after string
		afterNil      bool
		limit         int
		reverse       bool
		want          []string
	}{
		{name: "all", afterNil: true, want: all},
		{name: "all reverse", afterNil: true, reverse: true, want: reversed(all)},
		{name: "prefix", prefix: "a/", afterNil: true, want: []string{"a/1", "a/2", "a/3"}},
		{name: "prefix includes itself", prefix: "a", afterNil: true, want: []string{"a", "a/1", "a/2", "a/3", "a0"}},
		{name: "prefix reverse", prefix: "a/", afterNil: true, reverse: true, want: []string{"a/3", "a/2", "a/1"}},
		{name: "prefix none", prefix: "c", afterNil: true, want: nil},
		{name: "prefix none reverse", prefix: "c", afterNil: true, reverse: true, want: nil},
		{name: "after existing", prefix: "a/", after: "a/1", want: []string{"a/2", "a/3"}},
		{name: "after missing", prefix: "a/", after: "a/15", want: []string{"a/2", "a/3"}},
		{name: "after last", prefix: "a/", after: "a/3", want: nil},
		{name: "after below prefix", prefix: "b/", after: "a", want: []string{"b/1", "b/2"}},
		{name: "after above prefix", prefix: "a/", after: "z", want: nil},
		{name: "before existing", prefix: "a/", after: "a/3", reverse: true, want: []string{"a/2", "a/1"}},
		{name: "before missing", prefix: "a/", after: "a/25", reverse: true, want: []string{"a/2", "a/1"}},
		{name: "before first", prefix: "a/", after: "a/1", reverse: true, want: nil},
		{name: "before above prefix", prefix: "a/", after: "z", reverse: true, want: []string{"a/3", "a/2", "a/1"}},
		{name: "before below prefix", prefix: "b/", after: "a", reverse: true, want: nil},
		{name: "empty after is a key bound", after: "", want: all},
		{name: "limit", limit: 2, afterNil: true, want: []string{"a", "a/1"}},
		{name: "limit reverse", limit: 2, afterNil: true, reverse: true, want: []string{"\xff\xff/1", "\xff\xff"}},
		{name: "0xff prefix", prefix: "\xff\xff", afterNil: true, want: []string{"\xff\xff", "\xff\xff/1"}},
		{name: "0xff prefix reverse", prefix: "\xff", afterNil: true, reverse: true, want: []string{"\xff\xff/1", "\xff\xff", "\xff"}},
		{name: "0xff prefix before", prefix: "\xff", after: "\xff\xff/1", reverse: true, want: []string{"\xff\xff", "\xff"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var prefix, after []byte
			if tt.prefix != "" {
				prefix = []byte(tt.prefix)
			}
			if !tt.afterNil {
				after = []byte(tt.after)
			}
			got, err := st.Scan(prefix, after, tt.limit, tt.reverse)
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if !slices.Equal(keys(got), tt.want) {
				t.Fatalf("Scan(%q, %q, %d, %t) = %q, want %q", prefix, after, tt.limit, tt.reverse, keys(got), tt.want)
			}
			for _, p := range got {
				if string(p.Value) != "v:"+string(p.Key) {
					t.Fatalf("Scan: key %q has value %q", p.Key, p.Value)
				}
			}
		})
	}

	t.Run("paging", func(t *testing.T) {
		for _, reverse := range []bool{false, true} {
			var got []string
			var after []byte
			for range len(all) + 1 {
				page, err := st.Scan(nil, after, 3, reverse)
				if err != nil {
					t.Fatalf("Scan: %v", err)
				}
				if len(page) == 0 {
					break
				}
				got = append(got, keys(page)...)
				after = page[len(page)-1].Key
			}
			want := all
			if reverse {
				want = reversed(all)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("paging (reverse %t) = %q, want %q", reverse, got, want)
			}
		}
	})

	t.Run("default limit", func(t *testing.T) {
		b := &persistence.Batch{}
		for i := range persistence.DefaultLimit + 5 {
			b.Puts = append(b.Puts, kv(fmt.Sprintf("many/%05d", i), "v"))
		}
		mustCommit(t, st, b)
		for _, limit := range []int{0, -1} {
			got, err := st.Scan([]byte("many/"), nil, limit, false)
			if err != nil || len(got) != persistence.DefaultLimit {
				t.Fatalf("Scan(limit %d) = %d pairs, %v; want %d", limit, len(got), err, persistence.DefaultLimit)
			}
		}
		got, err := st.Scan([]byte("many/"), nil, persistence.DefaultLimit+100, false)
		if err != nil || len(got) != persistence.DefaultLimit+5 {
			t.Fatalf("Scan(limit above default) = %d pairs, %v; want %d", len(got), err, persistence.DefaultLimit+5)
		}
	})
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}
