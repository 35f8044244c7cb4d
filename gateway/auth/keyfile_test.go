package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestLoadOrCreateKeyCreates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data", "node1") // does not exist yet
	key, err := LoadOrCreateKey(dir, true)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if len(key) < MinKeySize {
		t.Fatalf("key is %d bytes", len(key))
	}
	path := filepath.Join(dir, KeyFileName)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %04o, want 0600", perm)
	}
	if dinfo, err := os.Stat(dir); err != nil || dinfo.Mode().Perm()&0o077 != 0 {
		t.Errorf("created dir mode = %v, %v; want owner only", dinfo.Mode().Perm(), err)
	}
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := hex.DecodeString(strings.TrimSpace(string(text))); err != nil || !bytes.Equal(got, key) {
		t.Errorf("file holds %q, want the hex of the key", text)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the key (temp file left?)", len(entries))
	}

	// Reuse, with create true and false.
	for _, create := range []bool{true, false} {
		again, err := LoadOrCreateKey(dir, create)
		if err != nil || !bytes.Equal(again, key) {
			t.Errorf("LoadOrCreateKey(create=%v) = %x, %v; want the same key", create, again, err)
		}
	}

	// The key works for tokens.
	if _, err := New(Options{Key: key}); err != nil {
		t.Errorf("New with a generated key: %v", err)
	}

	// Another directory gets another key.
	other, err := LoadOrCreateKey(t.TempDir(), true)
	if err != nil || bytes.Equal(other, key) {
		t.Errorf("second key = %x, %v; want a different key", other, err)
	}
}

func TestLoadOrCreateKeyMissing(t *testing.T) {
	for _, dir := range []string{t.TempDir(), filepath.Join(t.TempDir(), "absent")} {
		key, err := LoadOrCreateKey(dir, false)
		if !errors.Is(err, ErrNoKey) || key != nil {
			t.Errorf("LoadOrCreateKey(%s, false) = %x, %v; want ErrNoKey", dir, key, err)
		}
		if _, err := os.Stat(filepath.Join(dir, KeyFileName)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("create=false made a file: %v", err)
		}
	}
}

func TestLoadOrCreateKeyExistingFiles(t *testing.T) {
	raw := bytes.Repeat([]byte{0xA5, 0x5A, 0x01, 0xFE}, 12) // 48 bytes
	tests := []struct {
		name    string
		content string
		mode    os.FileMode
		want    []byte // nil: expect ErrBadKey
	}{
		{"hex", hex.EncodeToString(raw) + "\n", 0o600, raw},
		{"upper hex", strings.ToUpper(hex.EncodeToString(raw)), 0o600, raw},
		{"base64", base64.StdEncoding.EncodeToString(raw[:32]) + "\n", 0o600, raw[:32]},
		{"base64 unpadded", base64.RawStdEncoding.EncodeToString(raw[:32]), 0o600, raw[:32]},
		{"base64 url", base64.URLEncoding.EncodeToString(raw[:33]), 0o600, raw[:33]},
		{"surrounding space", "  \r\n" + hex.EncodeToString(raw) + " \n\n", 0o600, raw},
		{"read-only owner", hex.EncodeToString(raw), 0o400, raw},
		{"group readable", hex.EncodeToString(raw), 0o640, nil},
		{"world readable", hex.EncodeToString(raw), 0o644, nil},
		{"group writable", hex.EncodeToString(raw), 0o620, nil},
		{"short hex", hex.EncodeToString(raw[:31]), 0o600, nil},
		{"short base64", base64.StdEncoding.EncodeToString(raw[:16]), 0o600, nil},
		{"empty", "", 0o600, nil},
		{"blank", " \n", 0o600, nil},
		{"corrupt", "this is not a key, it has spaces and punctuation!!", 0o600, nil},
		{"truncated hex", hex.EncodeToString(raw)[:95], 0o600, nil},
		{"hex with a typo", hex.EncodeToString(raw)[:63] + "!", 0o600, nil},
		{"too large", strings.Repeat("ab", 4096), 0o600, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, KeyFileName)
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			for _, create := range []bool{false, true} {
				key, err := LoadOrCreateKey(dir, create)
				if tt.want == nil {
					if !errors.Is(err, ErrBadKey) || key != nil {
						t.Errorf("create=%v: got %x, %v; want ErrBadKey", create, key, err)
					}
				} else if err != nil || !bytes.Equal(key, tt.want) {
					t.Errorf("create=%v: got %x, %v; want %x", create, key, err, tt.want)
				}
			}
			// A bad file is reported, never replaced.
			if got, _ := os.ReadFile(path); string(got) != tt.content {
				t.Error("key file was rewritten")
			}
		})
	}
}

func TestLoadOrCreateKeyNotRegular(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, KeyFileName), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateKey(dir, true); !errors.Is(err, ErrBadKey) {
		t.Errorf("directory as key file: %v, want ErrBadKey", err)
	}
}

// TestLoadOrCreateKeyRace has several callers create the key at once (spine
// serve and spine token starting together): all must get the same key.
func TestLoadOrCreateKeyRace(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	const n = 8
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			keys[i], errs[i] = LoadOrCreateKey(dir, true)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("caller %d got a different key", i)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("dir holds %d entries, want only the key", len(entries))
	}
}

func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	want, err := LoadOrCreateKey(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(dir, "open.key")
	if err := os.WriteFile(bad, []byte(hex.EncodeToString(want)), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr error
	}{
		{"existing", filepath.Join(dir, KeyFileName), nil},
		{"missing", filepath.Join(dir, "absent.key"), ErrNoKey},
		{"world readable", bad, ErrBadKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := LoadKeyFile(tt.path)
			if tt.wantErr == nil {
				if err != nil || !bytes.Equal(key, want) {
					t.Errorf("LoadKeyFile = %x, %v; want the key", key, err)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) || key != nil {
				t.Errorf("LoadKeyFile = %x, %v; want %v", key, err, tt.wantErr)
			}
		})
	}
}
