package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/casespine/spine/gateway/auth"
	"github.com/golang-jwt/jwt/v5"
)

func authClaims(sub, role, cid string) auth.Claims {
	return auth.Claims{Sub: sub, Role: auth.Role(role), ClientID: cid}
}

type caseView struct {
	ID           string `json:"id"`
	Subject      string `json:"subject"`
	MessageCount int    `json:"message_count"`
	ReplyToken   string `json:"reply_token"`
	Messages     []struct {
		ID              string `json:"id"`
		Source          string `json:"source"`
		SourceMessageID string `json:"source_message_id"`
		RFCMessageID    string `json:"rfc_message_id"`
		Subject         string `json:"subject"`
		Text            string `json:"text"`
		ReceivedAt      string `json:"received_at"`
	} `json:"messages"`
}

type casePage struct {
	Items      []caseView `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

func TestPostmarkToSocketEndToEnd(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("acme")
	pm, admin := c.newTenant(testNode, cid, nil)
	ws := c.mustDial(cid, admin)

	// A first message opens a case and the socket sees case.created.
	root := mail{id: "pm-root", rfc: "root@mail.example.com", subject: "Change my flight"}
	status, a := c.postmark(cid, pm, root.body())
	if status != 200 || a.Status != "created" || a.CaseID == "" {
		t.Fatalf("first message: %d %+v", status, a)
	}
	e := ws.mustNext()
	if e.Type != "case.created" || e.CaseID != a.CaseID || e.Seq != 1 || e.ClientID != cid || e.Offset != 1 || e.Epoch == "" || e.ID == "" {
		t.Fatalf("case.created: %+v", e)
	}
	if _, err := time.Parse(time.RFC3339Nano, e.At); err != nil {
		t.Fatalf("at: %v", err)
	}
	var data struct {
		Subject      string `json:"subject"`
		Status       string `json:"status"`
		MessageCount int    `json:"message_count"`
		Participants []struct{ Email, Name string }
		LastMessage  struct {
			ID, From, Subject, Text, ReceivedAt json.RawMessage
		} `json:"last_message"`
		ReplyToken string `json:"reply_token"`
	}
	if err := json.Unmarshal(e.Data, &data); err != nil {
		t.Fatal(err)
	}
	if data.Subject != "Change my flight" || data.Status != "open" || data.MessageCount != 1 || data.ReplyToken == "" ||
		len(data.Participants) == 0 || data.Participants[0].Email != "ana@example.com" || data.LastMessage.ID == nil {
		t.Fatalf("case.created data: %s", e.Data)
	}

	// The same message again: 200, nothing changes, no event.
	status, dup := c.postmark(cid, pm, root.body())
	if status != 200 || dup.Status != "duplicate" || dup.CaseID != a.CaseID {
		t.Fatalf("duplicate: %d %+v", status, dup)
	}
	// A reply with In-Reply-To: case.updated on the same case, seq 2. It is
	// the next event the socket sees, so the duplicate emitted none.
	reply := mail{id: "pm-reply", rfc: "reply@mail.example.com", inReplyTo: root.rfc, refs: []string{root.rfc}, subject: "Re: Change my flight"}
	status, r := c.postmark(cid, pm, reply.body())
	if status != 200 || r.Status != "updated" || r.CaseID != a.CaseID {
		t.Fatalf("reply: %d %+v", status, r)
	}
	e = ws.mustNext()
	if e.Type != "case.updated" || e.CaseID != a.CaseID || e.Seq != 2 || e.Offset != 2 {
		t.Fatalf("case.updated: %+v", e)
	}

	// A reply whose parent arrives after it, then a resend of the reply:
	// one copy of each, on one case.
	late := mail{id: "pm-late-reply", rfc: "late-reply@mail.example.com", inReplyTo: "late-parent@mail.example.com", refs: []string{"late-parent@mail.example.com"}}
	parent := mail{id: "pm-late-parent", rfc: "late-parent@mail.example.com"}
	_, a1 := c.postmark(cid, pm, late.body())
	_, a2 := c.postmark(cid, pm, parent.body())
	_, a3 := c.postmark(cid, pm, late.body())
	if a1.CaseID == "" || a1.CaseID != a2.CaseID || a3.CaseID != a1.CaseID || a3.Status != "duplicate" || a1.Status != "created" || a2.Status != "updated" {
		t.Fatalf("out-of-order thread: %+v %+v %+v", a1, a2, a3)
	}
	var cv caseView
	c.must(200, "GET", "/admin/clients/"+cid+"/cases/"+a1.CaseID, admin, nil, &cv)
	if cv.MessageCount != 2 || len(cv.Messages) != 2 || cv.Messages[0].SourceMessageID != late.id || cv.Messages[1].SourceMessageID != parent.id {
		t.Fatalf("late thread case: %+v", cv)
	}
	if cv.Messages[0].Source != "postmark" || cv.Messages[0].RFCMessageID != late.rfc || cv.Messages[0].ReceivedAt == "" {
		t.Fatalf("message fields: %+v", cv.Messages[0])
	}
	for _, want := range []struct {
		typ string
		seq uint64
	}{{"case.created", 1}, {"case.updated", 2}} {
		e := ws.mustNext()
		if e.CaseID != a1.CaseID || e.Type != want.typ || e.Seq != want.seq {
			t.Fatalf("late thread event: %+v, want %s seq %d", e, want.typ, want.seq)
		}
	}

	// A reply to the case's reply token lands there whatever its headers.
	viaToken := mail{id: "pm-token", rfc: "token@mail.example.com", mailboxHash: cv.ReplyToken}
	_, at := c.postmark(cid, pm, viaToken.body())
	if at.CaseID != a1.CaseID || at.Status != "updated" {
		t.Fatalf("reply token routing: %+v", at)
	}

	var list casePage
	c.must(200, "GET", "/admin/clients/"+cid+"/cases?limit=1", admin, nil, &list)
	if len(list.Items) != 1 || list.NextCursor == "" || list.Items[0].ID != a1.CaseID {
		t.Fatalf("first page (newest first): %+v", list)
	}
	var rest casePage
	c.must(200, "GET", "/admin/clients/"+cid+"/cases?limit=1&cursor="+list.NextCursor, admin, nil, &rest)
	if len(rest.Items) != 1 || rest.NextCursor != "" || rest.Items[0].ID != a.CaseID {
		t.Fatalf("second page: %+v", rest)
	}
}

func TestWebhookAuthAndBadInput(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("hooks")
	pm, _ := c.newTenant(testNode, cid, nil)
	body := mail{id: "pm-1", rfc: "1@x"}.body()
	for name, path := range map[string]string{
		"wrong token":    "/webhooks/postmark/" + cid + "/not-the-token",
		"unknown tenant": "/webhooks/postmark/nosuch-tenant/" + pm,
		"bad tenant id":  "/webhooks/postmark/NOT..valid/" + pm,
	} {
		if st, out := c.do("POST", path, "", body); st != 403 {
			t.Errorf("%s: %d %s", name, st, out)
		}
	}
	st, out := c.do("POST", "/webhooks/postmark/"+cid+"/"+pm, "", []byte(`{"MessageID": "x", "Subject": `))
	if st != 400 || !strings.Contains(string(out), `"status":400`) {
		t.Fatalf("malformed: %d %s", st, out)
	}
	// Oversize: refused from the headers, before the body is read.
	conn, err := net.Dial("tcp", testNode.ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /webhooks/postmark/%s/%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", cid, pm, 65<<20)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 413 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("oversize: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// A large body within the limit (a 20 MB attachment) is taken.
	att := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte("PDF!"), 5<<20))
	var m map[string]any
	_ = json.Unmarshal(mail{id: "pm-att", rfc: "att@x"}.body(), &m)
	m["Attachments"] = []map[string]any{{"Name": "ticket.pdf", "Content": att, "ContentType": "application/pdf", "ContentLength": 20 << 20}}
	withAtt, _ := json.Marshal(m)
	if st, a := c.postmark(cid, pm, withAtt); st != 200 || a.Status != "created" {
		t.Fatalf("20 MB attachment: %d %+v", st, a)
	}
	if st, out := c.do("POST", "/webhooks/postmark/"+cid+"/"+pm, "", body); st != 200 {
		t.Fatalf("after bad input the tenant still takes mail: %d %s", st, out)
	}
}

func hs(method jwt.SigningMethod, key []byte, claims jwt.MapClaims) string {
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		panic(err)
	}
	return tok
}

func TestTokensAndTenancy(t *testing.T) {
	c := newClient(t, testNode)
	a, b := tenantID("ta"), tenantID("tb")
	_, adminA := c.newTenant(testNode, a, nil)
	c.newTenant(testNode, b, nil)

	// A token of tenant A on tenant B's socket and admin routes → 403.
	for _, p := range []string{"/admin/clients/" + b, "/admin/clients/" + b + "/cases", "/admin/clients/" + b + "/event-log"} {
		if st, _ := c.do("GET", p, adminA, nil); st != 403 {
			t.Errorf("GET %s with A's token: %d", p, st)
		}
	}
	if st, _ := c.do("POST", "/admin/clients/"+b+"/tokens", adminA, map[string]any{"sub": "x", "role": "admin"}); st != 403 {
		t.Errorf("mint for B with A's token: %d", st)
	}
	if _, resp, err := c.dial(b, adminA, false); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("A's token on B's socket: %v %v", err, resp)
	}
	// Agents read but do not write.
	agent := c.token(adminA, a, "agent-1", "agent")
	if st, _ := c.do("GET", "/admin/clients/"+a+"/cases", agent, nil); st != 200 {
		t.Errorf("agent read: %d", st)
	}
	if st, _ := c.do("GET", "/admin/clients/"+a+"/event-log", agent, nil); st != 200 {
		t.Errorf("agent reading the event log to fill a gap: %d", st)
	}
	if st, _ := c.do("POST", "/admin/clients/"+a+"/tokens", agent, map[string]any{"sub": "y"}); st != 403 {
		t.Errorf("agent write: %d", st)
	}
	// An existing tenant → 409; a bad id → 400; admins can't create tenants.
	if st, _ := c.do("POST", "/admin/clients", operatorToken(t, testNode), map[string]any{"client_id": a}); st != 409 {
		t.Errorf("duplicate tenant: %d", st)
	}
	if st, _ := c.do("POST", "/admin/clients", operatorToken(t, testNode), map[string]any{"client_id": "Bad Id"}); st != 400 {
		t.Errorf("bad tenant id: %d", st)
	}
	if st, _ := c.do("POST", "/admin/clients", adminA, map[string]any{"client_id": tenantID("x")}); st != 403 {
		t.Errorf("admin creating a tenant: %d", st)
	}

	// Expired, alg none, HS512 → 401, on admin routes and the socket.
	key, err := auth.LoadOrCreateKey(testNode.cfg.data, false)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	claims := jwt.MapClaims{"sub": "u", "role": "admin", "client_id": a, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	expired := jwt.MapClaims{"sub": "u", "role": "admin", "client_id": a, "iat": now.Add(-2 * time.Hour).Unix(), "exp": now.Add(-time.Hour).Unix()}
	cj, _ := json.Marshal(claims)
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(cj) + "."
	bad := map[string]string{
		"expired": hs(jwt.SigningMethodHS256, key, expired),
		"none":    none,
		"HS512":   hs(jwt.SigningMethodHS512, key, claims),
		"garbage": "not.a.token",
	}
	if good := hs(jwt.SigningMethodHS256, key, claims); func() int { st, _ := c.do("GET", "/admin/clients/"+a+"/cases", good, nil); return st }() != 200 {
		t.Fatal("a well-formed HS256 token must pass (control)")
	}
	for name, tok := range bad {
		st, out := c.do("GET", "/admin/clients/"+a+"/cases", tok, nil)
		if st != 401 || !strings.Contains(string(out), "problem") && !strings.Contains(string(out), `"status":401`) {
			t.Errorf("%s token on admin route: %d %s", name, st, out)
		}
		if _, resp, err := c.dial(a, tok, true); err == nil || resp == nil || resp.StatusCode != 401 {
			t.Errorf("%s token on socket: %v %v", name, err, resp)
		}
	}
	if st, _ := c.do("GET", "/admin/clients/"+a+"/cases", "", nil); st != 401 {
		t.Errorf("no token: %d", st)
	}
}

func TestConnectionCap(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("cap")
	_, admin := c.newTenant(testNode, cid, nil)
	user := c.token(admin, cid, "agent-7", "agent")
	var open []*socket
	for i := 0; i < 5; i++ {
		open = append(open, c.mustDial(cid, user))
	}
	_, resp, err := c.dial(cid, user, false)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("sixth socket: %v %+v", err, resp)
	}
	// Another user of the tenant is not affected.
	c.mustDial(cid, c.token(admin, cid, "agent-8", "agent"))
	// Once one closes (handshake complete), the next one succeeds at once.
	open[0].closeAndWait()
	c.mustDial(cid, user)
	_, resp, err = c.dial(cid, user, true)
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("cap holds again: %v %+v", err, resp)
	}
}

func TestTenantConnectionCapSetting(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("cap2")
	_, admin := c.newTenant(testNode, cid, map[string]any{"max_connections_per_user": 2})
	user := c.token(admin, cid, "u", "agent")
	c.mustDial(cid, user)
	c.mustDial(cid, user)
	if _, resp, err := c.dial(cid, user, false); err == nil || resp.StatusCode != 429 {
		t.Fatalf("third socket with cap 2: %v", err)
	}
}

func TestSocketClosesWhenTokenExpires(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("exp")
	c.newTenant(testNode, cid, nil)
	tok, _, err := testNode.auth.Issue(authClaims("short", "agent", cid), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	s := c.mustDial(cid, tok)
	if code := s.closeCode(15 * time.Second); code != 4001 {
		t.Fatalf("close code %d, want 4001", code)
	}
}

func TestSocketRejectsClientFrames(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("frames")
	_, admin := c.newTenant(testNode, cid, nil)
	s := c.mustDial(cid, admin)
	if err := s.conn.WriteMessage(1, []byte(`{"hello":1}`)); err != nil {
		t.Fatal(err)
	}
	if code := s.closeCode(10 * time.Second); code != 4400 {
		t.Fatalf("close code %d, want 4400", code)
	}
}

func TestSocketsSeeOnlyTheirTenant(t *testing.T) {
	c := newClient(t, testNode)
	a, b := tenantID("iso-a"), tenantID("iso-b")
	pmA, adminA := c.newTenant(testNode, a, nil)
	pmB, adminB := c.newTenant(testNode, b, nil)
	wa, wb := c.mustDial(a, adminA), c.mustDial(b, adminB)
	c.postmark(a, pmA, mail{id: "a1", rfc: "a1@x"}.body())
	c.postmark(b, pmB, mail{id: "b1", rfc: "b1@x"}.body())
	if e := wa.mustNext(); e.ClientID != a {
		t.Fatalf("A's socket saw %+v", e)
	}
	if e := wb.mustNext(); e.ClientID != b {
		t.Fatalf("B's socket saw %+v", e)
	}
	// And nothing more: the next event each sees is its own next one.
	c.postmark(a, pmA, mail{id: "a2", rfc: "a2@x"}.body())
	if e := wa.mustNext(); e.ClientID != a || !strings.Contains(string(e.Data), `"a2"`) {
		t.Fatalf("A's socket saw %+v", e)
	}
}

func TestConcurrentFirstMessagesOpenOneCase(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("race")
	pm, admin := c.newTenant(testNode, cid, nil)
	const n = 50
	var wg sync.WaitGroup
	acks := make([]ack, n)
	statuses := make([]int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			// 50 different first messages of one new thread: each names the
			// same (not yet seen) root.
			m := mail{id: fmt.Sprintf("pm-race-%d", i), rfc: fmt.Sprintf("race-%d@x", i), inReplyTo: "race-root@x", refs: []string{"race-root@x"}}
			statuses[i], acks[i] = c.postmark(cid, pm, m.body())
		}(i)
	}
	wg.Wait()
	created := 0
	for i := range acks {
		if statuses[i] != 200 || acks[i].CaseID != acks[0].CaseID {
			t.Fatalf("message %d: %d %+v (first %+v)", i, statuses[i], acks[i], acks[0])
		}
		if acks[i].Status == "created" {
			created++
		}
	}
	if created != 1 {
		t.Fatalf("%d messages reported creating the case", created)
	}
	var list casePage
	c.must(200, "GET", "/admin/clients/"+cid+"/cases", admin, nil, &list)
	if len(list.Items) != 1 || list.Items[0].MessageCount != n {
		t.Fatalf("cases: %+v", list)
	}
}

func TestHealthReadyMetrics(t *testing.T) {
	c := newClient(t, testNode)
	for _, p := range []string{"/healthz", "/readyz"} {
		if st, out := c.do("GET", p, "", nil); st != 200 {
			t.Fatalf("%s: %d %s", p, st, out)
		}
	}
	st, out := c.do("GET", "/metrics", "", nil)
	if st != 200 {
		t.Fatalf("metrics: %d", st)
	}
	for _, want := range []string{
		`spine_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"}`,
		"spine_store_commit_duration_seconds", "spine_sockets_open", "spine_webhook_outcomes_total",
		"spine_events_published_total",
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if st, out := c.do("GET", "/nope", "", nil); st != 404 || !strings.Contains(string(out), `"status":404`) {
		t.Fatalf("404: %d %s", st, out)
	}
}

// TestFullStoreAnswers503AndKeepsRunning fills a node's store to its cap:
// writes answer 5xx (so Postmark retries), nothing partial is stored, and
// the node keeps serving.
func TestFullStoreAnswers503AndKeepsRunning(t *testing.T) {
	fs, cfg := serveFlags(io.Discard)
	if _, err := parseWithEnv(fs, []string{"--env", "test", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--node", "full", "--max-store-bytes", "1200000"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.applyProfile(map[string]bool{"addr": true, "data": true, "env": true, "node": true}); err != nil {
		t.Fatal(err)
	}
	n, err := startNode(cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer n.shutdown(context.Background())
	c := newClient(t, n)
	pm, admin := c.newTenant(n, "full", nil)
	noise := make([]byte, 30<<10)
	_, _ = rand.Read(noise)
	text := hex.EncodeToString(noise) // does not compress
	stored := map[string]bool{}
	refused := 0
	for i := 0; i < 200 && refused == 0; i++ {
		m := mail{id: fmt.Sprintf("full-%d", i), rfc: fmt.Sprintf("full-%d@x", i), text: text}
		st, a := c.postmark("full", pm, m.body())
		switch {
		case st == 200 && a.Status == "created":
			stored[m.id] = true
		case st == 503:
			refused++
		default:
			t.Fatalf("message %d: status %d", i, st)
		}
	}
	if refused == 0 {
		t.Fatal("the store never filled up")
	}
	if st, _ := c.do("GET", "/healthz", "", nil); st != 200 {
		t.Fatalf("node unhealthy after a full store: %d", st)
	}
	var list casePage
	c.must(200, "GET", "/admin/clients/full/cases?limit=500", admin, nil, &list)
	if len(list.Items) != len(stored) {
		t.Fatalf("%d cases for %d acknowledged messages", len(list.Items), len(stored))
	}
	for _, cs := range list.Items {
		if cs.MessageCount != 1 {
			t.Fatalf("case %s has %d messages", cs.ID, cs.MessageCount)
		}
	}
}

func TestCallLifecycleEvents(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("calls")
	_, admin := c.newTenant(testNode, cid, nil)
	ws := c.mustDial(cid, admin)
	var v struct {
		ID, Status, Direction, From, To, CaseID string
		DurationMs                              int64 `json:"duration_ms"`
	}
	body := map[string]any{"call_id": "CA123", "direction": "inbound", "from": "+351210000000", "to": "+351210000001"}
	c.must(201, "POST", "/admin/clients/"+cid+"/calls", admin, body, &v)
	if v.ID != "CA123" || v.Status != "started" {
		t.Fatalf("start: %+v", v)
	}
	c.must(200, "POST", "/admin/clients/"+cid+"/calls", admin, body, &v) // a retry: no change
	c.must(200, "POST", "/admin/clients/"+cid+"/calls/CA123/active", admin, nil, &v)
	c.must(200, "POST", "/admin/clients/"+cid+"/calls/CA123/active", admin, nil, &v) // a retry
	c.must(200, "POST", "/admin/clients/"+cid+"/calls/CA123/end", admin, map[string]string{"reason": "hangup"}, &v)
	if v.Status != "ended" {
		t.Fatalf("end: %+v", v)
	}
	if st, _ := c.do("POST", "/admin/clients/"+cid+"/calls/CA123/active", admin, nil); st != 409 {
		t.Fatalf("active after end: %d", st)
	}
	if st, _ := c.do("POST", "/admin/clients/"+cid+"/calls/nosuch/end", admin, nil); st != 404 {
		t.Fatalf("end of an unknown call: %d", st)
	}
	for i, want := range []string{"call.started", "call.active", "call.ended"} {
		e := ws.mustNext()
		if e.Type != want || e.Seq != uint64(i+1) || e.CallID != "CA123" || e.CaseID != "" || e.ClientID != cid {
			t.Fatalf("event %d: %+v", i, e)
		}
	}
	var list struct {
		Items []struct{ ID string } `json:"items"`
	}
	c.must(200, "GET", "/admin/clients/"+cid+"/calls", admin, nil, &list)
	if len(list.Items) != 1 || list.Items[0].ID != "CA123" {
		t.Fatalf("calls: %+v", list)
	}
}

// Secrets never reach the log: the Postmark path token and access_token
// are redacted from the access log.
func TestLogsRedactSecrets(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("redact")
	pm, admin := c.newTenant(testNode, cid, nil)
	if st, _ := c.postmark(cid, pm, mail{id: "r1", rfc: "r1@x"}.body()); st != 200 {
		t.Fatal(st)
	}
	// Unmatched routes too: a wrong method, a trailing slash.
	if st, _ := c.do("GET", "/webhooks/postmark/"+cid+"/"+pm, "", nil); st != 405 {
		t.Fatalf("GET on the webhook: %d", st)
	}
	if st, _ := c.do("POST", "/webhooks/postmark/"+cid+"/"+pm+"/", "", nil); st != 404 {
		t.Fatalf("trailing slash: %d", st)
	}
	s, _, err := c.dial(cid, admin, true)
	if err != nil {
		t.Fatal(err)
	}
	s.closeAndWait()
	waitFor(t, 5*time.Second, "the requests in the access log", func() bool {
		l := testLog.String()
		return strings.Count(l, "/webhooks/postmark/"+cid+"/REDACTED") >= 3 && strings.Contains(l, "access_token=REDACTED")
	})
	l := testLog.String()
	for name, secret := range map[string]string{"postmark token": pm, "admin token": admin} {
		if strings.Contains(l, secret) {
			t.Fatalf("the %s is in the log", name)
		}
	}
}

// A message with a huge subject and cc list cannot make case events huge.
func TestCaseSummaryIsBounded(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("bounded")
	pm, admin := c.newTenant(testNode, cid, nil)
	var m map[string]any
	_ = json.Unmarshal(mail{id: "big-1", rfc: "big-1@x"}.body(), &m)
	var cc []map[string]string
	for i := 0; i < 300; i++ {
		cc = append(cc, map[string]string{"Email": fmt.Sprintf("cc%d@example.com", i), "Name": "Cc", "MailboxHash": ""})
	}
	m["CcFull"] = cc
	m["Subject"] = strings.Repeat("Lisbon ", 1000)
	body, _ := json.Marshal(m)
	st, a := c.postmark(cid, pm, body)
	if st != 200 {
		t.Fatalf("status %d", st)
	}
	var cv struct {
		Subject      string            `json:"subject"`
		Participants []json.RawMessage `json:"participants"`
		Messages     []struct {
			Subject string `json:"subject"`
		} `json:"messages"`
	}
	c.must(200, "GET", "/admin/clients/"+cid+"/cases/"+a.CaseID, admin, nil, &cv)
	if len(cv.Subject) > 998 || len(cv.Subject) < 900 || len(cv.Participants) != 100 {
		t.Fatalf("summary: subject %d bytes, %d participants", len(cv.Subject), len(cv.Participants))
	}
	if len(cv.Messages) != 1 || len(cv.Messages[0].Subject) != 7000 {
		t.Fatal("the stored message keeps its whole subject")
	}
}

// Admin API requests beyond a tenant's rate get 429 with Retry-After; other
// tenants are not affected, and the rate refills.
func TestAdminRateLimit(t *testing.T) {
	c := newClient(t, testNode)
	cid := tenantID("rate")
	_, admin := c.newTenant(testNode, cid, map[string]any{"admin_requests_per_second": 5})
	other := tenantID("rate-other")
	_, otherAdmin := c.newTenant(testNode, other, nil)
	// newTenant used one request (the token); the burst is 10.
	var limited *http.Response
	for i := 0; i < 30 && limited == nil; i++ {
		req, _ := http.NewRequest("GET", c.base+"/admin/clients/"+cid+"/cases", nil)
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 429 {
			limited = resp
		} else if resp.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, resp.StatusCode)
		}
	}
	if limited == nil || limited.Header.Get("Retry-After") == "" || limited.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("no 429 with Retry-After within 30 requests at 5/s: %+v", limited)
	}
	if st, _ := c.do("GET", "/admin/clients/"+other+"/cases", otherAdmin, nil); st != 200 {
		t.Fatalf("another tenant: %d", st)
	}
	waitFor(t, 5*time.Second, "the rate to refill", func() bool {
		st, _ := c.do("GET", "/admin/clients/"+cid+"/cases", admin, nil)
		return st == 200
	})
}
