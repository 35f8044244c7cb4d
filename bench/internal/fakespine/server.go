package fakespine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/valyala/fasthttp"
)

// Fault is the one invariant a server breaks on purpose.
type Fault int

// Faults.
const (
	// None: a correct server.
	None Fault = iota
	// DuplicateDelivery: the Nth event reaches one socket twice.
	DuplicateDelivery
	// DropDelivery: one socket never gets the Nth event.
	DropDelivery
	// ReorderDelivery: one socket gets the Nth event after the one that
	// follows it.
	ReorderDelivery
	// CrossTenant: the Nth event also reaches a socket of another tenant.
	CrossTenant
	// SplitThread: the Nth reply that would join its thread's case opens
	// a new case instead.
	SplitThread
	// DoubleStore: the Nth resend of a stored message is stored again.
	DoubleStore
	// LoseAcked: the Nth new message is answered 200 but never stored.
	LoseAcked
	// IgnoreCap: sockets over the per-user cap are accepted.
	IgnoreCap
	// DropIdle: the Nth socket opened is closed with 4008 right away.
	DropIdle
)

// Options configures a Server.
type Options struct {
	// Fault is the invariant to break. Default None.
	Fault Fault
	// FaultAt is N, which occurrence the fault hits. Default 5.
	FaultAt int
	// Cap is the default per-user socket cap. Default 5.
	Cap int
	// Addr is the listen address. Default: a free loopback port.
	Addr string
	// OperatorToken is the operator's token. Default: random.
	OperatorToken string
}

type claims struct {
	cid, sub, role string
}

type message struct {
	ID              string        `json:"id"`
	Source          string        `json:"source"`
	SourceMessageID string        `json:"source_message_id"`
	RFCMessageID    string        `json:"rfc_message_id"`
	From            participant   `json:"from"`
	To              []participant `json:"to"`
	Subject         string        `json:"subject"`
	Text            string        `json:"text"`
	ReceivedAt      string        `json:"received_at"`
}

type participant struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type kase struct {
	ID           string        `json:"id"`
	Subject      string        `json:"subject"`
	Status       string        `json:"status"`
	Participants []participant `json:"participants"`
	MessageCount int           `json:"message_count"`
	ReplyToken   string        `json:"reply_token"`
	CreatedAt    string        `json:"created_at"`
	UpdatedAt    string        `json:"updated_at"`
	Messages     []message     `json:"messages,omitempty"`
	seq          int64
}

type event struct {
	offset int64
	raw    []byte
}

type tenant struct {
	id, name, postmarkToken string
	createdAt               string
	cap                     int
	cases                   []*kase
	byID                    map[string]*kase
	dedupe                  map[string]*kase // Postmark MessageID -> case
	msgIDs                  map[string]string
	rfc                     map[string]*kase // RFC Message-ID -> case
	log                     []event
	conns                   map[string]int
	sessions                map[*session]bool
}

// Server is a running fake.
type Server struct {
	o        Options
	ln       net.Listener
	srv      *fasthttp.Server
	operator string
	epoch    string

	mu        sync.Mutex
	tokens    map[string]claims
	tenants   map[string]*tenant
	nextID    int64
	events    int // events published, for faults
	replies   int
	resends   int
	newMsgs   int
	opened    int                 // sockets opened, for DropIdle
	held      map[*session][]byte // ReorderDelivery: an event held back
	sessionWG sync.WaitGroup
	serveWG   sync.WaitGroup
	closed    bool
}

// Start serves on a free loopback port.
func Start(o Options) (*Server, error) {
	if o.FaultAt <= 0 {
		o.FaultAt = 5
	}
	if o.Cap <= 0 {
		o.Cap = 5
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.OperatorToken == "" {
		o.OperatorToken = "op-" + randHex(8)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{
		o: o, ln: ln, operator: o.OperatorToken, epoch: randHex(4),
		tokens: map[string]claims{}, tenants: map[string]*tenant{}, held: map[*session][]byte{},
	}
	s.tokens[s.operator] = claims{role: "operator", sub: "operator"}
	s.srv = &fasthttp.Server{Handler: s.handle, MaxRequestBodySize: 8 << 20, Name: "fakespine"}
	s.serveWG.Add(1)
	go func() {
		defer s.serveWG.Done()
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// URL is the server's base URL.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() }

// OperatorToken is a token with the operator role.
func (s *Server) OperatorToken() string { return s.operator }

// Close stops the server: open sockets get 1001, then it waits for every
// goroutine.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	var all []*session
	for _, t := range s.tenants {
		for ss := range t.sessions {
			all = append(all, ss)
		}
	}
	s.mu.Unlock()
	for _, ss := range all {
		ss.close(websocket.CloseGoingAway)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = s.srv.ShutdownWithContext(ctx)
	s.serveWG.Wait()
	s.sessionWG.Wait()
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func problem(ctx *fasthttp.RequestCtx, status int, detail string) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/problem+json")
	b, _ := json.Marshal(map[string]any{"type": "about:blank", "title": fasthttp.StatusMessage(status), "status": status, "detail": detail})
	ctx.SetBody(b)
}

func writeJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	b, _ := json.Marshal(v)
	ctx.SetBody(b)
}

func (s *Server) auth(ctx *fasthttp.RequestCtx) (claims, bool) {
	tok := ""
	if h := string(ctx.Request.Header.Peek("Authorization")); strings.HasPrefix(h, "Bearer ") {
		tok = strings.TrimPrefix(h, "Bearer ")
	} else {
		tok = string(ctx.QueryArgs().Peek("access_token"))
	}
	s.mu.Lock()
	c, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok {
		problem(ctx, 401, "missing or invalid token")
	}
	return c, ok
}

func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	path := strings.Trim(string(ctx.Path()), "/")
	parts := strings.Split(path, "/")
	method := string(ctx.Method())
	switch {
	case path == "readyz" || path == "healthz":
		ctx.SetBodyString("ok")
	case len(parts) == 4 && parts[0] == "webhooks" && parts[1] == "postmark" && method == "POST":
		s.webhook(ctx, parts[2], parts[3])
	case path == "admin/runtime/gc" && method == "POST":
		if c, ok := s.auth(ctx); ok {
			if c.role != "operator" {
				problem(ctx, 403, "operator only")
				return
			}
			s.gc(ctx)
		}
	case path == "admin/clients" && method == "POST":
		if c, ok := s.auth(ctx); ok {
			if c.role != "operator" {
				problem(ctx, 403, "operator only")
				return
			}
			s.createTenant(ctx)
		}
	case len(parts) >= 4 && parts[0] == "admin" && parts[1] == "clients":
		c, ok := s.auth(ctx)
		if !ok {
			return
		}
		cid := parts[2]
		if c.role != "operator" && c.cid != cid {
			problem(ctx, 403, "token of another tenant")
			return
		}
		s.mu.Lock()
		t := s.tenants[cid]
		s.mu.Unlock()
		if t == nil {
			problem(ctx, 404, "no such tenant")
			return
		}
		switch {
		case len(parts) == 4 && parts[3] == "tokens" && method == "POST":
			s.mintToken(ctx, t)
		case len(parts) == 4 && parts[3] == "cases" && method == "GET":
			s.listCases(ctx, t)
		case len(parts) == 5 && parts[3] == "cases" && method == "GET":
			s.getCase(ctx, t, parts[4])
		case len(parts) == 4 && parts[3] == "event-log" && method == "GET":
			s.eventLog(ctx, t)
		case len(parts) == 4 && parts[3] == "events" && method == "GET":
			s.upgrade(ctx, t, c)
		default:
			problem(ctx, 404, "no such route")
		}
	default:
		problem(ctx, 404, "no such route")
	}
}

func (s *Server) gc(ctx *fasthttp.RequestCtx) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss := int64(0)
	if b, err := os.ReadFile("/proc/self/status"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "VmRSS:") {
				f := strings.Fields(l[6:])
				if len(f) > 0 {
					kb, _ := strconv.ParseInt(f[0], 10, 64)
					rss = kb * 1024
				}
			}
		}
	}
	writeJSON(ctx, 200, map[string]any{"rss_bytes": rss, "heap_inuse_bytes": ms.HeapInuse, "goroutines": runtime.NumGoroutine()})
}

func (s *Server) createTenant(ctx *fasthttp.RequestCtx) {
	var req struct {
		ClientID string         `json:"client_id"`
		Name     string         `json:"name"`
		Settings map[string]any `json:"settings"`
	}
	if err := json.Unmarshal(ctx.PostBody(), &req); err != nil || req.ClientID == "" {
		problem(ctx, 400, "bad tenant")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.tenants[req.ClientID]; ok {
		problem(ctx, 409, "tenant exists")
		return
	}
	t := &tenant{
		id: req.ClientID, name: req.Name, postmarkToken: randHex(12), createdAt: now(), cap: s.o.Cap,
		byID: map[string]*kase{}, dedupe: map[string]*kase{}, msgIDs: map[string]string{}, rfc: map[string]*kase{},
		conns: map[string]int{}, sessions: map[*session]bool{},
	}
	if v, ok := req.Settings["max_connections_per_user"].(float64); ok && v > 0 {
		t.cap = int(v)
	}
	s.tenants[t.id] = t
	writeJSON(ctx, 201, map[string]any{
		"client_id": t.id, "name": t.name, "created_at": t.createdAt,
		"settings": map[string]any{"max_connections_per_user": t.cap},
		"secrets":  map[string]any{"postmark_token": t.postmarkToken},
	})
}

func (s *Server) mintToken(ctx *fasthttp.RequestCtx, t *tenant) {
	var req struct{ Sub, Role, TTL string }
	if err := json.Unmarshal(ctx.PostBody(), &req); err != nil || req.Sub == "" {
		problem(ctx, 400, "bad token request")
		return
	}
	tok := "tok-" + randHex(12)
	s.mu.Lock()
	s.tokens[tok] = claims{cid: t.id, sub: req.Sub, role: req.Role}
	s.mu.Unlock()
	writeJSON(ctx, 201, map[string]any{"token": tok, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339)})
}

type inbound struct {
	FromName    string
	FromFull    struct{ Email, Name string }
	ToFull      []struct{ Email, Name string }
	Subject     string
	MessageID   string
	MailboxHash string
	TextBody    string
	Headers     []struct{ Name, Value string }
}

func (in *inbound) header(name string) string {
	for _, h := range in.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

func (s *Server) webhook(ctx *fasthttp.RequestCtx, cid, token string) {
	s.mu.Lock()
	t := s.tenants[cid]
	s.mu.Unlock()
	if t == nil || t.postmarkToken != token {
		problem(ctx, 403, "unknown tenant or token")
		return
	}
	var in inbound
	if err := json.Unmarshal(ctx.PostBody(), &in); err != nil || in.MessageID == "" {
		problem(ctx, 400, "malformed Postmark body")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := t.dedupe[in.MessageID]; ok {
		s.resends++
		if !(s.o.Fault == DoubleStore && s.resends == s.o.FaultAt) {
			writeJSON(ctx, 200, map[string]any{"status": "duplicate", "case_id": c.ID, "message_id": t.msgIDs[in.MessageID]})
			return
		}
		// DoubleStore: fall through and store the resend again.
	}
	rfcID := in.header("Message-ID")
	var refs []string
	if v := in.header("In-Reply-To"); v != "" {
		refs = append(refs, v)
	}
	refs = append(refs, strings.Fields(in.header("References"))...)
	var c *kase
	if in.MailboxHash != "" {
		for _, k := range t.cases {
			if k.ReplyToken == in.MailboxHash {
				c = k
			}
		}
	}
	if c == nil {
		for _, r := range append([]string{rfcID}, refs...) {
			if k := t.rfc[r]; k != nil {
				c = k
				break
			}
		}
		if c != nil && len(refs) > 0 {
			// A reply joining its thread's case: SplitThread opens a new
			// case for the Nth one instead.
			s.replies++
			if s.o.Fault == SplitThread && s.replies == s.o.FaultAt {
				c = nil
			}
		}
	}
	s.newMsgs++
	if s.o.Fault == LoseAcked && s.newMsgs == s.o.FaultAt {
		s.nextID++
		writeJSON(ctx, 200, map[string]any{"status": "created", "case_id": fmt.Sprintf("case-lost-%d", s.nextID), "message_id": "lost"})
		return
	}
	status := "updated"
	ts := now()
	if c == nil {
		s.nextID++
		c = &kase{ID: fmt.Sprintf("case-%d", s.nextID), Subject: in.Subject, Status: "open", ReplyToken: randHex(6), CreatedAt: ts}
		t.cases = append(t.cases, c)
		t.byID[c.ID] = c
		status = "created"
	}
	// Index the whole thread's ids so later messages, in any order, land here.
	for _, r := range append([]string{rfcID}, refs...) {
		if r != "" && t.rfc[r] == nil {
			t.rfc[r] = c
		}
	}
	s.nextID++
	m := message{
		ID: fmt.Sprintf("msg-%d", s.nextID), Source: "postmark", SourceMessageID: in.MessageID, RFCMessageID: rfcID,
		From: participant{Email: in.FromFull.Email, Name: in.FromFull.Name}, Subject: in.Subject,
		Text: in.TextBody, ReceivedAt: ts,
	}
	for _, to := range in.ToFull {
		m.To = append(m.To, participant{Email: to.Email, Name: to.Name})
	}
	c.Messages = append(c.Messages, m)
	c.MessageCount = len(c.Messages)
	c.UpdatedAt = ts
	found := false
	for _, p := range c.Participants {
		found = found || p.Email == m.From.Email
	}
	if !found {
		c.Participants = append(c.Participants, m.From)
	}
	t.dedupe[in.MessageID] = c
	t.msgIDs[in.MessageID] = m.ID
	c.seq++
	typ := "case.updated"
	if c.seq == 1 {
		typ = "case.created"
	}
	offset := int64(len(t.log) + 1)
	text := m.Text
	if len(text) > 200 {
		text = text[:200]
	}
	raw, _ := json.Marshal(map[string]any{
		"offset": offset, "epoch": s.epoch, "id": fmt.Sprintf("evt-%s-%d", t.id, offset), "type": typ,
		"client_id": t.id, "case_id": c.ID, "seq": c.seq, "at": ts,
		"data": map[string]any{
			"subject": c.Subject, "status": c.Status, "participants": c.Participants, "message_count": c.MessageCount,
			"last_message": map[string]any{"id": m.ID, "source_message_id": m.SourceMessageID, "from": m.From, "subject": m.Subject, "text": text, "received_at": ts},
			"reply_token":  c.ReplyToken,
		},
	})
	t.log = append(t.log, event{offset: offset, raw: raw})
	s.publish(t, raw)
	writeJSON(ctx, 200, map[string]any{"status": status, "case_id": c.ID, "message_id": m.ID})
}

// publish hands an event to the tenant's sockets, applying delivery
// faults. Called with s.mu held.
func (s *Server) publish(t *tenant, raw []byte) {
	s.events++
	hit := s.events == s.o.FaultAt
	// Sockets in a stable order, so a fault hits a predictable one.
	ss := make([]*session, 0, len(t.sessions))
	for x := range t.sessions {
		ss = append(ss, x)
	}
	sort.Slice(ss, func(i, j int) bool { return ss[i].n < ss[j].n })
	for i, x := range ss {
		victim := hit && i == 0
		switch {
		case victim && s.o.Fault == DropDelivery:
			continue
		case victim && s.o.Fault == DuplicateDelivery:
			x.send(raw)
			x.send(raw)
			continue
		case victim && s.o.Fault == ReorderDelivery:
			s.held[x] = raw
			continue
		}
		x.send(raw)
		if h, ok := s.held[x]; ok {
			delete(s.held, x)
			x.send(h)
		}
	}
	if hit && s.o.Fault == CrossTenant {
		for _, other := range s.tenants {
			if other == t {
				continue
			}
			for x := range other.sessions {
				x.send(raw)
				return
			}
		}
	}
}

func (s *Server) listCases(ctx *fasthttp.RequestCtx, t *tenant) {
	limit, _ := strconv.Atoi(string(ctx.QueryArgs().Peek("limit")))
	if limit <= 0 || limit > 100 {
		limit = 50
	}
	start, _ := strconv.Atoi(string(ctx.QueryArgs().Peek("cursor")))
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(t.cases)
	items := []map[string]any{}
	i := start
	for ; i < n && len(items) < limit; i++ {
		c := t.cases[n-1-i] // newest first
		items = append(items, map[string]any{
			"id": c.ID, "subject": c.Subject, "status": c.Status, "participants": c.Participants,
			"message_count": c.MessageCount, "reply_token": c.ReplyToken, "created_at": c.CreatedAt, "updated_at": c.UpdatedAt,
		})
	}
	out := map[string]any{"items": items}
	if i < n {
		out["next_cursor"] = strconv.Itoa(i)
	}
	writeJSON(ctx, 200, out)
}

func (s *Server) getCase(ctx *fasthttp.RequestCtx, t *tenant, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := t.byID[id]
	if c == nil {
		problem(ctx, 404, "no such case")
		return
	}
	writeJSON(ctx, 200, c)
}

func (s *Server) eventLog(ctx *fasthttp.RequestCtx, t *tenant) {
	limit, _ := strconv.Atoi(string(ctx.QueryArgs().Peek("limit")))
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	after, _ := strconv.ParseInt(string(ctx.QueryArgs().Peek("after")), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	var b bytes.Buffer
	b.WriteString(`{"items":[`)
	n := 0
	last := after
	for _, e := range t.log {
		if e.offset <= after {
			continue
		}
		if n == limit {
			break
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.Write(e.raw)
		last = e.offset
		n++
	}
	head := int64(len(t.log))
	b.WriteString(`]`)
	if last < head {
		fmt.Fprintf(&b, `,"next_cursor":"%d"`, last)
	}
	fmt.Fprintf(&b, `,"head":%d,"published":%d}`, head, head)
	ctx.SetContentType("application/json")
	ctx.SetBody(b.Bytes())
}
