package boltstore

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/casespine/spine/persistence"
)

func TestOpenOptions(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name string
		opts Options
		want error // nil: any error
	}{
		{"no path", Options{}, persistence.ErrInvalid},
		{"negative batches", Options{Path: filepath.Join(dir, "a.db"), MaxBatches: -1}, persistence.ErrInvalid},
		{"negative bytes", Options{Path: filepath.Join(dir, "b.db"), MaxBytes: -1}, persistence.ErrInvalid},
		{"negative file size", Options{Path: filepath.Join(dir, "c.db"), MaxFileSize: -1}, persistence.ErrInvalid},
		{"missing directory", Options{Path: filepath.Join(dir, "missing", "d.db")}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.opts)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
}

func TestSecondOpenFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := openForTest(t, Options{Path: path})
	if _, err := s.Commit(t.Context(), put("k", "v")); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Path: path}); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openForTest(t, Options{Path: path})
	if v, ok := mustGetValue(t, s, "k"); !ok || string(v) != "v" {
		t.Fatalf("after reopen k = %q, %t", v, ok)
	}
}

func TestFileMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	openForTest(t, Options{Path: path})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != fileMode {
		t.Fatalf("file mode %v, want %v", mode, os.FileMode(fileMode))
	}
}

func TestUnknownLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	db, err := bolt.Open(path, fileMode, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(metaVersion, encodeUint64(layoutVersion+1))
	})
	if err := errors.Join(err, db.Close()); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(Options{Path: path}); !errors.Is(err, ErrLayout) {
		t.Fatalf("Open: %v, want ErrLayout", err)
	}
	// The failed Open released the file.
	if db, err = bolt.Open(path, fileMode, &bolt.Options{Timeout: lockTimeout}); err != nil {
		t.Fatalf("file still locked after a failed Open: %v", err)
	}
	db.Close()
}

// crashChildEnv makes the test binary act as a process that commits until
// it is killed (see TestCrash).
const crashChildEnv = "BOLTSTORE_CRASH_CHILD"

// TestCrash kills a process in the middle of committing and checks that
// everything it acknowledged is in the file, consistent, with contiguous
// log offsets.
func TestCrash(t *testing.T) {
	if path := os.Getenv(crashChildEnv); path != "" {
		crashChild(path)
		return
	}
	path := filepath.Join(t.TempDir(), "s.db")
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrash$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []string
	lines := bufio.NewScanner(out)
	for len(acked) < 500 && lines.Scan() {
		if key, ok := strings.CutPrefix(lines.Text(), "acked "); ok {
			acked = append(acked, key)
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(acked) < 500 {
		t.Fatalf("child acknowledged only %d commits", len(acked))
	}

	checkFile(t, path)
	s := openForTest(t, Options{Path: path})
	for _, key := range acked {
		if _, ok := mustGetValue(t, s, key); !ok {
			t.Fatalf("acknowledged key %q lost", key)
		}
	}
	head, err := s.LogHead([]byte("log"))
	if err != nil || head < uint64(len(acked)) {
		t.Fatalf("LogHead = %d, %v; want at least %d", head, err, len(acked))
	}
}

// crashChild commits from several goroutines, printing each acknowledged
// key, until it is killed.
func crashChild(path string) {
	s, err := Open(Options{Path: path})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	acks := make(chan string, 64)
	for g := range 8 {
		go func() {
			for i := 0; ; i++ {
				key := fmt.Sprintf("k/%d/%d", g, i)
				_, err := s.Commit(context.Background(), &persistence.Batch{
					Puts:    []persistence.KV{{Key: []byte(key), Value: make([]byte, 512)}},
					Appends: []persistence.Append{{Log: []byte("log"), Value: []byte(key)}},
				})
				if err != nil {
					fmt.Fprintln(os.Stderr, err)
					os.Exit(2)
				}
				acks <- key
			}
		}()
	}
	w := bufio.NewWriter(os.Stdout)
	for key := range acks {
		fmt.Fprintln(w, "acked", key)
		if len(acks) == 0 {
			w.Flush()
		}
	}
}
