package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// KeyFileName is the name of the signing key file in a node's data
// directory.
const KeyFileName = "signing.key"

// maxKeyFileSize bounds how much of a key file is read, in bytes.
const maxKeyFileSize = 4096

// generatedKeySize is the size of a key LoadOrCreateKey generates, in bytes.
const generatedKeySize = 32

// LoadOrCreateKey returns the signing key stored in dir/signing.key.
//
// The file holds at least MinKeySize random bytes written as hex (what this
// function writes; text of hex digits only is always read as hex) or as
// standard or URL-safe base64, with or without padding; surrounding white
// space is ignored. For example `openssl rand -hex 32` or
// `openssl rand -base64 32` make a valid file. It must be a regular file
// readable by its owner only (no group or other permission bits); otherwise
// the error wraps ErrBadKey, as it does for a file whose content is not such
// a key. The file is never rewritten.
//
// When the file does not exist: with create false the error wraps ErrNoKey
// (the prod setting: the key must be provisioned); with create true, dir is
// created (mode 0700) if needed and a new 32-byte key is written with mode
// 0600. Creation is atomic: the file appears complete or not at all, and when
// two processes race, both return the key of the one that won.
func LoadOrCreateKey(dir string, create bool) ([]byte, error) {
	path := filepath.Join(dir, KeyFileName)
	key, err := readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if !create {
		return nil, fmt.Errorf("%w: %s does not exist", ErrNoKey, path)
	}
	if err := createKeyFile(dir, path); err != nil {
		return nil, err
	}
	return readKeyFile(path)
}

func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("auth: open signing key: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("auth: stat signing key: %w", err)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", ErrBadKey, path)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("%w: %s has mode %04o, want 0600 or stricter (chmod 600 it)", ErrBadKey, path, info.Mode().Perm())
	}
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("auth: read signing key: %w", err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrBadKey, path, maxKeyFileSize)
	}
	key, ok := decodeKey(bytes.TrimSpace(data))
	if !ok {
		return nil, fmt.Errorf("%w: %s does not hold hex or base64 text", ErrBadKey, path)
	}
	if len(key) < MinKeySize {
		return nil, fmt.Errorf("%w: %s holds a %d-byte key, need at least %d", ErrBadKey, path, len(key), MinKeySize)
	}
	return key, nil
}

// decodeKey decodes key file text. Text made only of hex digits is hex and
// nothing else, so a truncated hex key is refused instead of being read as
// base64 (an all-hex base64 key of 43+ characters does not occur in
// practice). Other text is tried as each base64 alphabet, strictly.
func decodeKey(text []byte) ([]byte, bool) {
	if len(text) == 0 {
		return nil, false
	}
	if isHex(text) {
		if len(text)%2 != 0 {
			return nil, false
		}
		key := make([]byte, hex.DecodedLen(len(text)))
		n, err := hex.Decode(key, text)
		return key[:n], err == nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		key := make([]byte, enc.DecodedLen(len(text)))
		if n, err := enc.Strict().Decode(key, text); err == nil {
			return key[:n], true
		}
	}
	return nil, false
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// createKeyFile writes a new key to a temporary file in dir and hard-links
// it to path, which fails if path already exists: a concurrent creator's key
// is never replaced, and path is never seen half written.
func createKeyFile(dir, path string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("auth: create key directory: %w", err)
	}
	key := make([]byte, generatedKeySize)
	if _, err := rand.Read(key); err != nil {
		return fmt.Errorf("auth: generate signing key: %w", err)
	}
	text := make([]byte, hex.EncodedLen(len(key))+1)
	hex.Encode(text, key)
	text[len(text)-1] = '\n'

	tmp, err := os.CreateTemp(dir, "."+KeyFileName+".tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("auth: create signing key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: create signing key: %w", err)
	}
	if _, err := tmp.Write(text); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("auth: sync signing key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("auth: write signing key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // another process won the race; use its key
		}
		return fmt.Errorf("auth: install signing key: %w", err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes the new directory entry durable where the platform allows.
// It is best effort: if it fails, a crash right after creation can lose the
// new key, and the tokens made with it stop verifying.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// LoadKeyFile reads a signing key from an explicit path (as required in
// prod), with the same format and permission checks as LoadOrCreateKey
// (ErrBadKey); it never creates one: a missing file is ErrNoKey.
func LoadKeyFile(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s does not exist", ErrNoKey, path)
	}
	return key, err
}
