package jsonscan

import (
	"encoding/json"
	"testing"
)

func TestObjectMembers(t *testing.T) {
	in := []byte(` { "a" : 1, "b":"x\"y\\", "c":{"d":[1,{"e":"}"}]}, "f":null ,"g":-12} `)
	o := NewObject(in)
	var keys []string
	var vals []string
	for {
		k, v, ok := o.Next()
		if !ok {
			break
		}
		keys = append(keys, string(k))
		vals = append(vals, string(v))
	}
	if o.Err() != nil {
		t.Fatal(o.Err())
	}
	want := []string{"1", `"x\"y\\"`, `{"d":[1,{"e":"}"}]}`, "null", "-12"}
	if len(vals) != len(want) {
		t.Fatalf("keys %q vals %q", keys, vals)
	}
	for i := range want {
		if vals[i] != want[i] {
			t.Errorf("value %d: got %s want %s", i, vals[i], want[i])
		}
	}
	if s, ok := Unquote([]byte(vals[1])); !ok || s != `x"y\` {
		t.Errorf("unquote: %q %v", s, ok)
	}
	if n, ok := Int([]byte(vals[4])); !ok || n != -12 {
		t.Errorf("int: %d %v", n, ok)
	}
}

func TestMalformed(t *testing.T) {
	for _, in := range []string{``, `[]`, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{"a":"x}`, `{"a":1 "b":2}`, `{"a":{"b":1}`} {
		o := NewObject([]byte(in))
		for {
			if _, _, ok := o.Next(); !ok {
				break
			}
		}
		if o.Err() == nil {
			t.Errorf("%q: no error", in)
		}
		c := NewCursor([]byte(in))
		if c.Enter() {
			c.SkipRest()
		}
		if c.Err() == nil {
			t.Errorf("cursor %q: no error", in)
		}
	}
}

func TestCursorNested(t *testing.T) {
	in := []byte(`{"x":1,"data":{"s":"a\\\"b","lm":{"id":"m","src":"S-1"},"z":[1,2]},"y":"q"}`)
	c := NewCursor(in)
	var src, y []byte
	c.Enter()
	for {
		k, ok := c.Key()
		if !ok {
			break
		}
		switch string(k) {
		case "data":
			c.Enter()
			for {
				k, ok := c.Key()
				if !ok {
					break
				}
				if string(k) == "lm" {
					c.Enter()
					for {
						k, ok := c.Key()
						if !ok {
							break
						}
						if string(k) == "src" {
							src, _ = String(c.Value())
						} else {
							c.Skip()
						}
					}
				} else {
					c.Skip()
				}
			}
		case "y":
			y, _ = String(c.Value())
		default:
			c.Skip()
		}
	}
	if c.Err() != nil || string(src) != "S-1" || string(y) != "q" {
		t.Fatalf("err %v src %q y %q", c.Err(), src, y)
	}
}

// FuzzObject checks that the scanner never panics and agrees with
// encoding/json on which top-level objects are well formed enough to walk.
func FuzzObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"\"","b":[{"c":"]"}]}`, `{"a":`, `{"a":"\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		o := NewObject(b)
		n := 0
		for {
			_, _, ok := o.Next()
			if !ok {
				break
			}
			n++
		}
		c := NewCursor(b)
		if c.Enter() {
			c.SkipRest()
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(b, &m) == nil && o.Err() != nil {
			t.Fatalf("valid object %q rejected: %v", b, o.Err())
		}
	})
}
