package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// process is `spine serve` running as a separate OS process.
type process struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

var (
	buildOnce sync.Once
	binDir    string // removed by TestMain
	binPath   string
	buildErr  error
)

// spineBinary builds this command once per test run.
func spineBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "spine-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir, binPath = dir, filepath.Join(dir, "spine")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

var readyLine = regexp.MustCompile(`msg="spine node ready".* addr=(\S+)`)

// startProcess runs `spine serve` on dir and waits until it is ready.
func startProcess(t *testing.T, bin, dir string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--env", "test", "--log-level", "info", "--addr", "127.0.0.1:0", "--data", dir, "--node", "crash")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, done: make(chan error, 1)}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := readyLine.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	select {
	case p.addr = <-addr:
	case err := <-p.done:
		t.Fatalf("spine exited before it was ready: %v", err)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("spine not ready within 30s")
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *process) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	p.done <- nil // for Cleanup
}

// crashMail is message j (0 = root) of thread i.
func crashMail(i, j int) mail {
	id := func(j int) string { return fmt.Sprintf("t%03d-m%02d@crash.example.com", i, j) }
	m := mail{id: fmt.Sprintf("pm-t%03d-m%02d", i, j), rfc: id(j), subject: fmt.Sprintf("Thread %d", i)}
	if j > 0 {
		m.inReplyTo = id(j - 1)
		for k := 0; k < j; k++ {
			m.refs = append(m.refs, id(k))
		}
		m.subject = "Re: " + m.subject
	}
	return m
}

// TestCrashLosesNothingAcknowledged sends 2,000 messages over 200 threads
// from 10 senders, SIGKILLs the node mid-stream, restarts it and resends
// everything.
func TestCrashLosesNothingAcknowledged(t *testing.T) {
	const threads, perThread, senders = 200, 10, 10
	bin := spineBinary(t)
	dir := t.TempDir()
	p := startProcess(t, bin, dir)

	out, err := exec.Command(bin, "tenant", "create", "crash", "--url", "http://"+p.addr, "--data", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("spine tenant create: %v: %s", err, out)
	}
	var ti tenantInfo
	if err := json.Unmarshal(out, &ti); err != nil || ti.Secrets.PostmarkToken == "" {
		t.Fatalf("tenant create output: %v: %s", err, out)
	}
	tokOut, err := exec.Command(bin, "token", "--data", dir, "--client", "crash", "--sub", "checker", "--role", "admin").Output()
	if err != nil {
		t.Fatal(err)
	}
	admin := strings.TrimSpace(string(tokOut))

	// send posts every message once from `senders` goroutines; each sender
	// owns whole threads and sends their messages in order.
	send := func(addr string, onAck func(m mail, a ack), stop *atomic.Bool) {
		c := &client{t: t, base: "http://" + addr, http: &http.Client{Timeout: 10 * time.Second}}
		var wg sync.WaitGroup
		for s := 0; s < senders; s++ {
			wg.Add(1)
			go func(s int) {
				defer wg.Done()
				for j := 0; j < perThread; j++ {
					for i := s; i < threads; i += senders {
						if stop != nil && stop.Load() {
							return
						}
						m := crashMail(i, j)
						req, _ := http.NewRequest("POST", c.base+"/webhooks/postmark/crash/"+ti.Secrets.PostmarkToken, strings.NewReader(string(m.body())))
						resp, err := c.http.Do(req)
						if err != nil {
							continue // the node died under us
						}
						var a ack
						ok := resp.StatusCode == 200 && json.NewDecoder(resp.Body).Decode(&a) == nil
						resp.Body.Close()
						if ok {
							onAck(m, a)
						}
					}
				}
			}(s)
		}
		wg.Wait()
	}

	var mu sync.Mutex
	acked := map[string]ack{}
	var n atomic.Int64
	var stop atomic.Bool
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		deadline := time.Now().Add(60 * time.Second)
		for n.Load() < 700 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		p.kill(t)
		stop.Store(true)
	}()
	send(p.addr, func(m mail, a ack) {
		mu.Lock()
		acked[m.id] = a
		mu.Unlock()
		n.Add(1)
	}, &stop)
	<-killed
	t.Logf("%d messages acknowledged before SIGKILL", len(acked))
	if len(acked) < 700 || len(acked) >= threads*perThread {
		t.Fatalf("the kill did not land mid-stream: %d acknowledged", len(acked))
	}

	// Restart on the same data and check what survived, before any resend.
	p = startProcess(t, bin, dir)
	c := &client{t: t, base: "http://" + p.addr, http: &http.Client{Timeout: 30 * time.Second}}
	stored := storedMessages(t, c, admin)
	for id := range acked {
		if stored[id].count != 1 {
			t.Fatalf("acknowledged message %s stored %d times after the crash", id, stored[id].count)
		}
	}
	waitPublished(t, c, admin)

	// Resend everything: what was stored answers duplicate and emits nothing.
	var dupWrong atomic.Int64
	send(p.addr, func(m mail, a ack) {
		if _, was := stored[m.id]; was && a.Status != "duplicate" {
			dupWrong.Add(1)
		}
	}, nil)
	if dupWrong.Load() != 0 {
		t.Fatalf("%d already-stored messages were not answered as duplicates", dupWrong.Load())
	}

	stored = storedMessages(t, c, admin)
	if len(stored) != threads*perThread {
		t.Fatalf("%d messages stored, want %d", len(stored), threads*perThread)
	}
	for id, s := range stored {
		if s.count != 1 {
			t.Fatalf("message %s stored %d times", id, s.count)
		}
	}
	for i := 0; i < threads; i++ {
		root := stored[crashMail(i, 0).id].caseID
		for j := 1; j < perThread; j++ {
			if got := stored[crashMail(i, j).id].caseID; got != root {
				t.Fatalf("thread %d has two cases: %s and %s", i, root, got)
			}
		}
	}
	// Every stored message has exactly one event in the log, all published.
	perMessage := eventsPerMessage(t, c, admin)
	if len(perMessage) != len(stored) {
		t.Fatalf("events cover %d messages, %d stored", len(perMessage), len(stored))
	}
	for id, k := range perMessage {
		if k != 1 {
			t.Fatalf("message %s has %d events", id, k)
		}
	}
	waitPublished(t, c, admin)

	// A graceful stop closes sockets with 1001 and exits cleanly.
	ws := c.mustDial("crash", admin)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := ws.closeCode(20 * time.Second); code != 1001 {
		t.Fatalf("socket closed with %d on SIGTERM, want 1001", code)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if err != nil {
			t.Fatalf("SIGTERM exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no exit within 30s of SIGTERM")
	}
}

type storedMsg struct {
	count  int
	caseID string
}

// storedMessages reads every case through the API.
func storedMessages(t *testing.T, c *client, token string) map[string]storedMsg {
	t.Helper()
	out := map[string]storedMsg{}
	cursor := ""
	for {
		var page casePage
		c.must(200, "GET", "/admin/clients/crash/cases?limit=100&cursor="+cursor, token, nil, &page)
		for _, cs := range page.Items {
			var full caseView
			c.must(200, "GET", "/admin/clients/crash/cases/"+cs.ID, token, nil, &full)
			for _, m := range full.Messages {
				s := out[m.SourceMessageID]
				s.count++
				s.caseID = cs.ID
				out[m.SourceMessageID] = s
			}
		}
		if page.NextCursor == "" {
			return out
		}
		cursor = page.NextCursor
	}
}

type logPage struct {
	Items []struct {
		Offset uint64 `json:"offset"`
		Data   struct {
			LastMessage struct {
				SourceMessageID string `json:"source_message_id"`
			} `json:"last_message"`
		} `json:"data"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
	Head       uint64 `json:"head"`
	Published  uint64 `json:"published"`
}

func eventsPerMessage(t *testing.T, c *client, token string) map[string]int {
	t.Helper()
	out := map[string]int{}
	after := uint64(0)
	for {
		var p logPage
		c.must(200, "GET", fmt.Sprintf("/admin/clients/crash/event-log?after=%d&limit=500", after), token, nil, &p)
		for _, it := range p.Items {
			if it.Offset != after+1 {
				t.Fatalf("event log gap: %d after %d", it.Offset, after)
			}
			after = it.Offset
			out[it.Data.LastMessage.SourceMessageID]++
		}
		if p.NextCursor == "" {
			if after != p.Head {
				t.Fatalf("read %d events, head %d", after, p.Head)
			}
			return out
		}
	}
}

func waitPublished(t *testing.T, c *client, token string) {
	t.Helper()
	waitFor(t, 10*time.Second, "the event log to be fully published", func() bool {
		var p logPage
		c.must(200, "GET", "/admin/clients/crash/event-log?limit=1", token, nil, &p)
		return p.Head > 0 && p.Published == p.Head
	})
}
