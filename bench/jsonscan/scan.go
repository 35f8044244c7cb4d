package jsonscan

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/bits"
	"strconv"
)

// ErrSyntax reports input that is not the JSON shape expected.
var ErrSyntax = errors.New("jsonscan: malformed JSON")

// Object iterates over the members of one JSON object.
type Object struct {
	b    []byte
	i    int
	err  error
	done bool
	more bool // a comma was read: a member must follow
}

// NewObject starts iterating over the object that b holds (leading and
// trailing whitespace allowed).
func NewObject(b []byte) Object {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return Object{err: ErrSyntax, done: true}
	}
	return Object{b: b, i: i + 1}
}

// Next returns the next member: its raw key (without quotes) and its raw
// value (strings with their quotes). ok is false at the end of the object
// or on malformed input; Err tells which.
func (o *Object) Next() (key, value []byte, ok bool) {
	if o.done {
		return nil, nil, false
	}
	b := o.b
	i := skipWS(b, o.i)
	if i < len(b) && b[i] == '}' && !o.more {
		o.done = true
		return nil, nil, false
	}
	if i >= len(b) || b[i] != '"' {
		return o.fail()
	}
	end := skipString(b, i)
	if end < 0 {
		return o.fail()
	}
	key = b[i+1 : end-1]
	i = skipWS(b, end)
	if i >= len(b) || b[i] != ':' {
		return o.fail()
	}
	i = skipWS(b, i+1)
	vend := skipValue(b, i)
	if vend < 0 {
		return o.fail()
	}
	value = b[i:vend]
	i = skipWS(b, vend)
	switch {
	case i < len(b) && b[i] == ',':
		o.i = i + 1
		o.more = true
	case i < len(b) && b[i] == '}':
		o.i = i // Next reports the end
		o.more = false
	default:
		return o.fail()
	}
	return key, value, true
}

// Err returns the syntax error that ended iteration, if any.
func (o *Object) Err() error { return o.err }

func (o *Object) fail() ([]byte, []byte, bool) {
	o.err, o.done = ErrSyntax, true
	return nil, nil, false
}

// Find returns the raw value of key in the object b.
func Find(b []byte, key string) ([]byte, bool) {
	o := NewObject(b)
	for {
		k, v, ok := o.Next()
		if !ok {
			return nil, false
		}
		if string(k) == key {
			return v, true
		}
	}
}

// String returns the contents of a raw JSON string value, still escaped.
func String(v []byte) ([]byte, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return nil, false
	}
	return v[1 : len(v)-1], true
}

// Unquote decodes a raw JSON string value (allocating only when it holds
// escapes).
func Unquote(v []byte) (string, bool) {
	s, ok := String(v)
	if !ok {
		return "", false
	}
	if bytes.IndexByte(s, '\\') < 0 {
		return string(s), true
	}
	var out string
	if err := json.Unmarshal(v, &out); err != nil {
		return "", false
	}
	return out, true
}

// Int parses a raw JSON integer value.
func Int(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 20 {
		return 0, false
	}
	neg := v[0] == '-'
	if neg {
		v = v[1:]
		if len(v) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			// Tolerate exact floats such as 3.0 or 1e3 from loose encoders.
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil || f != float64(int64(f)) {
				return 0, false
			}
			n = int64(f)
			break
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func skipWS(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// skipString returns the index just past the string starting at b[i]
// (which is '"'), or -1. It looks at eight bytes at a time for a quote or
// a backslash (SWAR: a byte equal to c makes x^(c*lsb) have a zero byte,
// and (v-lsb)&^v&msb flags the first zero byte exactly).
func skipString(b []byte, i int) int {
	j := i + 1
	for {
		for j+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[j:])
			q := x ^ ('"' * lsb)
			s := x ^ ('\\' * lsb)
			if m := ((q-lsb)&^q | (s-lsb)&^s) & msb; m != 0 {
				j += bits.TrailingZeros64(m) / 8
				break
			}
			j += 8
		}
		for ; j < len(b); j++ {
			if c := b[j]; c == '"' {
				return j + 1
			} else if c == '\\' {
				break
			}
		}
		if j >= len(b) {
			return -1
		}
		j += 2 // a backslash and the byte it escapes
	}
}

// skipValue returns the index just past the value starting at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); {
			switch b[j] {
			case '"':
				j = skipString(b, j)
				if j < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
			j++
		}
		return -1
	default:
		j := i
		for j < len(b) {
			switch b[j] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				if j == i {
					return -1
				}
				return j
			}
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
}
