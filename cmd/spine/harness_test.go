package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// testNode is a real node on loopback with a real bbolt file, shared by the
// tests of this package (a cluster member costs about three seconds to
// start and stop).
var testNode *node

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "spine-e2e-")
	if err != nil {
		panic(err)
	}
	fs, cfg := serveFlags(io.Discard)
	if _, err := parseWithEnv(fs, []string{"--env", "test", "--addr", "127.0.0.1:0", "--data", dir, "--node", "e2e", "--access-log", "--log-level", "info"}); err != nil {
		panic(err)
	}
	if err := cfg.applyProfile(map[string]bool{"addr": true, "data": true, "env": true, "node": true, "access-log": true, "log-level": true}); err != nil {
		panic(err)
	}
	testNode, err = startNode(cfg, &testLog)
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = testNode.shutdown(context.Background())
	_ = os.RemoveAll(dir)
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// testLog holds everything the shared node logged.
var testLog syncBuffer

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// client talks to a node over real HTTP.
type client struct {
	t    testing.TB
	base string
	http *http.Client
}

func newClient(t testing.TB, n *node) *client {
	return &client{t: t, base: "http://" + n.ln.Addr().String(), http: &http.Client{Timeout: 30 * time.Second}}
}

func (c *client) do(method, path, token string, body any) (int, []byte) {
	c.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.base+path, r)
	if err != nil {
		c.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, out
}

func (c *client) must(status int, method, path, token string, body any, into any) {
	c.t.Helper()
	got, out := c.do(method, path, token, body)
	if got != status {
		c.t.Fatalf("%s %s: status %d, want %d: %s", method, path, got, status, out)
	}
	if into != nil {
		if err := json.Unmarshal(out, into); err != nil {
			c.t.Fatalf("%s %s: %v: %s", method, path, err, out)
		}
	}
}

func operatorToken(t testing.TB, n *node) string {
	tok, _, err := n.auth.Issue(authClaims("ops", "operator", ""), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type tenantInfo struct {
	ClientID string `json:"client_id"`
	Secrets  struct {
		PostmarkToken string `json:"postmark_token"`
	} `json:"secrets"`
}

// newTenant creates a tenant and returns its Postmark token and an admin
// token.
func (c *client) newTenant(n *node, cid string, settings map[string]any) (pmToken, admin string) {
	c.t.Helper()
	var ti tenantInfo
	c.must(201, "POST", "/admin/clients", operatorToken(c.t, n), map[string]any{"client_id": cid, "name": cid, "settings": settings}, &ti)
	return ti.Secrets.PostmarkToken, c.token(operatorToken(c.t, n), cid, "admin-"+cid, "admin")
}

func (c *client) token(with, cid, sub, role string) string {
	c.t.Helper()
	var r struct{ Token string }
	c.must(201, "POST", "/admin/clients/"+cid+"/tokens", with, map[string]any{"sub": sub, "role": role, "ttl": "1h"}, &r)
	return r.Token
}

type ack struct {
	Status    string `json:"status"`
	CaseID    string `json:"case_id"`
	MessageID string `json:"message_id"`
}

func (c *client) postmark(cid, pmToken string, body []byte) (int, ack) {
	c.t.Helper()
	status, out := c.do("POST", "/webhooks/postmark/"+cid+"/"+pmToken, "", body)
	var a ack
	if status == 200 {
		if err := json.Unmarshal(out, &a); err != nil {
			c.t.Fatalf("postmark ack: %v: %s", err, out)
		}
	}
	return status, a
}

// mail is one Postmark inbound message.
type mail struct {
	id, rfc, inReplyTo string
	refs               []string
	subject, text      string
	mailboxHash        string
}

// body renders a Postmark inbound payload with every documented field.
func (m mail) body() []byte {
	headers := []map[string]string{
		{"Name": "Return-Path", "Value": "<ana@example.com>"},
		{"Name": "X-Spam-Status", "Value": "No"},
		{"Name": "Message-ID", "Value": "<" + m.rfc + ">"},
	}
	if m.inReplyTo != "" {
		headers = append(headers, map[string]string{"Name": "In-Reply-To", "Value": "<" + m.inReplyTo + ">"})
	}
	if len(m.refs) > 0 {
		var b strings.Builder
		for i, r := range m.refs {
			if i > 0 {
				b.WriteString("\r\n ")
			}
			b.WriteString("<" + r + ">")
		}
		headers = append(headers, map[string]string{"Name": "References", "Value": b.String()})
	}
	subject := m.subject
	if subject == "" {
		subject = "Booking ABC123"
	}
	text := m.text
	if text == "" {
		text = "Hello, I would like to change my flight to Lisbon on Friday. Booking ABC123."
	}
	to := "support+" + m.mailboxHash + "@inbound.example.com"
	if m.mailboxHash == "" {
		to = "support@inbound.example.com"
	}
	type addr struct{ Email, Name, MailboxHash string }
	b, _ := json.Marshal(struct {
		FromName, MessageStream, From string
		FromFull                      addr
		To                            string
		ToFull                        []addr
		Cc                            string
		CcFull                        []addr
		Bcc                           string
		BccFull                       []addr
		OriginalRecipient, Subject    string
		MessageID, ReplyTo            string
		MailboxHash, Date             string
		TextBody, HtmlBody            string
		StrippedTextReply, Tag        string
		Headers                       []map[string]string
		Attachments                   []any
	}{
		FromName: "Ana Ruiz", MessageStream: "inbound", From: "ana@example.com",
		FromFull: addr{"ana@example.com", "Ana Ruiz", ""},
		To:       to, ToFull: []addr{{to, "Support", m.mailboxHash}}, CcFull: []addr{}, BccFull: []addr{},
		OriginalRecipient: to, Subject: subject, MessageID: m.id,
		MailboxHash: m.mailboxHash, Date: "Fri, 4 Dec 2026 09:15:02 +0000",
		TextBody: text, HtmlBody: "<p>" + text + "</p>",
		Headers: headers, Attachments: []any{},
	})
	return b
}

// socket is a live event socket client that splits frames into events.
type socket struct {
	t       testing.TB
	conn    *websocket.Conn
	pending []event
	closed  *websocket.CloseError
}

type event struct {
	Offset   uint64          `json:"offset"`
	Epoch    string          `json:"epoch"`
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	ClientID string          `json:"client_id"`
	CaseID   string          `json:"case_id"`
	CallID   string          `json:"call_id"`
	Seq      uint64          `json:"seq"`
	At       string          `json:"at"`
	Data     json.RawMessage `json:"data"`
}

func (c *client) dial(cid, token string, inQuery bool) (*socket, *http.Response, error) {
	url := strings.Replace(c.base, "http://", "ws://", 1) + "/admin/clients/" + cid + "/events"
	h := http.Header{}
	if inQuery {
		url += "?access_token=" + token
	} else {
		h.Set("Authorization", "Bearer "+token)
	}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	conn, resp, err := d.Dial(url, h)
	if err != nil {
		return nil, resp, err
	}
	return &socket{t: c.t, conn: conn}, resp, nil
}

func (c *client) mustDial(cid, token string) *socket {
	c.t.Helper()
	s, resp, err := c.dial(cid, token, false)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("dial %s: %v (HTTP %d)", cid, err, status)
	}
	c.t.Cleanup(func() { s.conn.Close() })
	return s
}

var errNoEvent = errors.New("no event before the deadline")

// next returns the next event, waiting at most d.
func (s *socket) next(d time.Duration) (event, error) {
	if len(s.pending) > 0 {
		e := s.pending[0]
		s.pending = s.pending[1:]
		return e, nil
	}
	if s.closed != nil {
		return event{}, s.closed
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(d))
	_, data, err := s.conn.ReadMessage()
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			s.closed = ce
			return event{}, ce
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			return event{}, errNoEvent
		}
		return event{}, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			s.t.Fatalf("bad event %q: %v", sc.Text(), err)
		}
		s.pending = append(s.pending, e)
	}
	return s.next(d)
}

func (s *socket) mustNext() event {
	s.t.Helper()
	e, err := s.next(10 * time.Second)
	if err != nil {
		s.t.Fatalf("waiting for an event: %v", err)
	}
	return e
}

// closeCode waits for the server to close the socket and returns the code.
func (s *socket) closeCode(d time.Duration) int {
	s.t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		_, err := s.next(time.Until(deadline))
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce.Code
		}
		if err != nil && !errors.Is(err, errNoEvent) {
			s.t.Fatalf("socket failed without a close frame: %v", err)
		}
	}
	s.t.Fatalf("socket not closed within %v", d)
	return 0
}

// closeAndWait closes from the client side and waits for the server's
// close frame, completing the handshake.
func (s *socket) closeAndWait() {
	s.t.Helper()
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye")
	if err := s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(5*time.Second)); err != nil {
		s.t.Fatal(err)
	}
	code := s.closeCode(10 * time.Second)
	if code != websocket.CloseNormalClosure {
		s.t.Fatalf("close echoed with %d", code)
	}
	s.conn.Close()
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var uniq struct {
	sync.Mutex
	n int
}

// tenantID returns a fresh tenant id for a test.
func tenantID(prefix string) string {
	uniq.Lock()
	defer uniq.Unlock()
	uniq.n++
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano()%1e6, uniq.n)
}
