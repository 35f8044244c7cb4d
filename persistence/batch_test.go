package persistence

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	long := bytes.Repeat([]byte("k"), MaxKeySize+1)
	huge := make([]byte, MaxValueSize+1)
	big := make([]byte, MaxValueSize)
	tests := []struct {
		name    string
		b       *Batch
		invalid string // substring of the error; "" means valid
	}{
		{"nil", nil, "nil batch"},
		{"empty", &Batch{}, ""},
		{"ok", &Batch{
			Conds:   []Cond{{Key: []byte("a"), Absent: true}, {Key: []byte("b"), Value: []byte("x")}},
			Puts:    []KV{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("e")}},
			Deletes: [][]byte{[]byte("b")},
			Appends: []Append{{Log: []byte("l"), Value: []byte("v")}},
		}, ""},
		{"max key", &Batch{Puts: []KV{{Key: long[:MaxKeySize]}}}, ""},
		{"put empty key", &Batch{Puts: []KV{{Value: []byte("v")}}}, "put 0"},
		{"put long key", &Batch{Puts: []KV{{Key: long}}}, "exceeds"},
		{"put huge value", &Batch{Puts: []KV{{Key: []byte("k"), Value: huge}}}, "value of"},
		{"delete empty key", &Batch{Deletes: [][]byte{[]byte("a"), nil}}, "delete 1"},
		{"cond empty key", &Batch{Conds: []Cond{{Absent: true}}}, "cond 0"},
		{"cond absent with value", &Batch{Conds: []Cond{{Key: []byte("k"), Absent: true, Value: []byte{}}}}, "Absent with a Value"},
		{"append empty log", &Batch{Appends: []Append{{Value: []byte("v")}}}, "log name"},
		{"append huge value", &Batch{Appends: []Append{{Log: []byte("l"), Value: huge}}}, "value of"},
		{"batch too big", &Batch{Puts: []KV{{Key: []byte("a"), Value: big}, {Key: []byte("b"), Value: big}, {Key: []byte("c"), Value: big}}}, "batch of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.Validate()
			if tt.invalid == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.invalid) {
				t.Fatalf("Validate() = %v, want ErrInvalid mentioning %q", err, tt.invalid)
			}
		})
	}
}

func TestSize(t *testing.T) {
	b := &Batch{
		Conds:   []Cond{{Key: []byte("ab"), Value: []byte("cd")}},
		Puts:    []KV{{Key: []byte("k"), Value: make([]byte, 1000)}},
		Deletes: [][]byte{[]byte("xyz")},
		Appends: []Append{{Log: []byte("log"), Value: make([]byte, 10)}},
	}
	want := 4 + 1001 + 3 + 13 + 4*opOverhead
	if got := b.Size(); got != want {
		t.Fatalf("Size() = %d, want %d", got, want)
	}
	if got := (&Batch{}).Size(); got != 0 {
		t.Fatalf("empty Size() = %d, want 0", got)
	}
}

func TestConflictError(t *testing.T) {
	var err error = &ConflictError{Key: []byte("k"), Current: []byte("v")}
	wrapped := fmt.Errorf("commit: %w", err)
	if !errors.Is(wrapped, ErrConflict) {
		t.Fatal("errors.Is(ConflictError, ErrConflict) = false")
	}
	if errors.Is(wrapped, ErrInvalid) {
		t.Fatal("errors.Is(ConflictError, ErrInvalid) = true")
	}
	var ce *ConflictError
	if !errors.As(wrapped, &ce) || string(ce.Current) != "v" {
		t.Fatalf("errors.As: %v %+v", ce, ce)
	}
	for _, e := range []*ConflictError{{Key: []byte("k")}, {Key: []byte("k"), Current: []byte{}}} {
		if e.Error() == "" {
			t.Fatal("empty message")
		}
	}
}
