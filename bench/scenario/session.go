package scenario

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/workload"
	"github.com/casespine/spine/bench/wsprobe"
)

// threadSeen is what one session has seen of one thread.
type threadSeen struct {
	caseID string
	last   int64
}

// session is one event socket and the checks on what it receives.
//
// Everything below "owned by the reader" is touched only by the reader
// goroutine until done is closed, and only by the scenario after.
type session struct {
	idx      int
	tenant   int
	tenantID string
	sub      string
	conn     *wsprobe.Conn
	sink     *deliverySink

	matched  atomic.Int64 // first deliveries of this run's events of its tenant
	lines    atomic.Int64 // every event line received
	warm     atomic.Int64 // warm-up events received (not measured)
	closing  atomic.Bool  // set before the scenario closes the socket
	done     chan struct{}
	closeErr error
	early    bool // the socket ended before the scenario closed it

	// owned by the reader
	seen                                   []uint64
	threads                                []threadSeen // by thread number (within the tenant)
	lastOffset                             int64
	frames, lastRecvNs                     int64
	dups, foreign, unknown, malformed      int64
	outOfOrder, gaps, split, badType, back int64
	ex                                     map[string][]string // examples by check
}

// deliverySink is what sessions report into: the workload to decode ids,
// send and commit times, and the latency recorders.
type deliverySink struct {
	w         *workload.Workload
	sendAt    *chunked[atomic.Int64]
	commitAt  *chunked[atomic.Int64]
	lat       *report.Latency // produce → receive
	commitLat *report.Latency // commit (event "at") → receive
	// events parses each distinct event line once for all sessions.
	events *wsprobe.Cache
	// warm is the warm-up workload whose events prove a socket is
	// subscribed; they are counted apart and not measured.
	warm *workload.Workload
}

func newSession(idx, tenant int, tenantID, sub string, conn *wsprobe.Conn, sink *deliverySink) *session {
	return &session{
		idx: idx, tenant: tenant, tenantID: tenantID, sub: sub, conn: conn, sink: sink,
		done: make(chan struct{}), lastOffset: -1 << 62,
	}
}

func (s *session) read() {
	defer close(s.done)
	for {
		frame, err := s.conn.Next()
		if err != nil {
			s.closeErr = err
			s.early = !s.closing.Load()
			return
		}
		now := time.Now().UnixNano()
		s.frames++
		s.lastRecvNs = now
		wsprobe.Lines(frame, func(line []byte) { s.handle(line, now) })
	}
}

// Example categories.
const (
	exDup     = "dup"
	exForeign = "foreign"
	exOrder   = "order"
	exSplit   = "split"
)

func (s *session) exf(cat, format string, args ...any) {
	if s.ex == nil {
		s.ex = map[string][]string{}
	}
	if len(s.ex[cat]) < 3 {
		s.ex[cat] = append(s.ex[cat], fmt.Sprintf("session %d (%s/%s): ", s.idx, s.tenantID, s.sub)+fmt.Sprintf(format, args...))
	}
}

func (s *session) handle(line []byte, now int64) {
	s.lines.Add(1)
	ev, err := s.sink.events.Parse(line)
	if err != nil {
		s.malformed++
		s.exf(exForeign, "malformed event %.120q", line)
		return
	}
	if string(ev.ClientID) != s.tenantID {
		s.foreign++
		s.exf(exForeign, "event of tenant %q (case %s)", ev.ClientID, ev.CaseID)
		return
	}
	// Offsets must increase along the connection; a duplicate is reported
	// as such rather than also as an offset going back.
	prev := s.lastOffset
	s.lastOffset = max(s.lastOffset, ev.Offset)
	backwards := func() {
		if ev.Offset <= prev {
			s.back++
			s.exf(exOrder, "offset %d after offset %d", ev.Offset, prev)
		}
	}
	w := s.sink.w
	g, ok := w.ParseMessageID(ev.SourceMessageID)
	if !ok {
		if s.sink.warm != nil {
			if _, ok := s.sink.warm.ParseMessageID(ev.SourceMessageID); ok {
				s.warm.Add(1)
				backwards()
				return
			}
		}
		s.unknown++
		s.exf(exForeign, "event %s names message %q, which this run did not send", ev.ID, ev.SourceMessageID)
		return
	}
	ref := w.Ref(g)
	if ref.Tenant != s.tenant {
		s.foreign++
		s.exf(exForeign, "event for message %s of another tenant", ev.SourceMessageID)
		return
	}
	word, bit := g>>6, uint64(1)<<(g&63)
	for uint64(len(s.seen)) <= word {
		s.seen = append(s.seen, 0)
	}
	if s.seen[word]&bit != 0 {
		s.dups++
		s.exf(exDup, "event for message %s delivered again (offset %d, seq %d)", ev.SourceMessageID, ev.Offset, ev.Seq)
		return
	}
	s.seen[word] |= bit
	s.matched.Add(1)
	backwards()

	key := ref.Thread
	for len(s.threads) <= key {
		s.threads = append(s.threads, threadSeen{})
	}
	st := &s.threads[key]
	switch {
	case st.caseID == "":
		st.caseID = string(ev.CaseID)
	case st.caseID != string(ev.CaseID):
		s.split++
		s.exf(exSplit, "thread %d seen in case %s and case %s", key, st.caseID, ev.CaseID)
	}
	switch {
	case ev.Seq <= st.last:
		s.outOfOrder++
		s.exf(exOrder, "case %s: seq %d after seq %d", ev.CaseID, ev.Seq, st.last)
	case ev.Seq != st.last+1:
		s.gaps++
		s.exf(exOrder, "case %s: seq %d after seq %d (gap)", ev.CaseID, ev.Seq, st.last)
	}
	if want := "case.updated"; ev.Seq == 1 && string(ev.Type) != "case.created" || ev.Seq > 1 && string(ev.Type) != want {
		s.badType++
		s.exf(exOrder, "case %s: seq %d has type %q", ev.CaseID, ev.Seq, ev.Type)
	}
	st.last = max(st.last, ev.Seq)

	if t := s.sink.sendAt.peek(g); t != nil {
		if v := t.Load(); v > 0 && now > v {
			s.sink.lat.Record(s.idx, time.Duration(now-v))
		}
	}
	if c := s.sink.commitAt.at(g); c != nil {
		v := c.Load()
		if v == 0 {
			if at, err := time.Parse(time.RFC3339Nano, string(ev.At)); err == nil {
				v = at.UnixNano()
				c.Store(v)
			}
		}
		if v > 0 {
			d := time.Duration(now - v)
			if d < 0 {
				d = 0
			}
			s.sink.commitLat.Record(s.idx, d)
		}
	}
}

func (s *session) sawG(g uint64) bool {
	word := g >> 6
	return word < uint64(len(s.seen)) && s.seen[word]&(1<<(g&63)) != 0
}

// closeAll closes every session: a 1000 close frame, then the TCP
// connection once the reader ends or the deadline passes.
func closeAll(ctx context.Context, sessions []*session, parallel int) {
	for _, s := range sessions {
		s.closing.Store(true)
	}
	sem := make(chan struct{}, max(parallel, 1))
	var wg sync.WaitGroup
	for _, s := range sessions {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			select {
			case <-s.done:
			default:
				_ = s.conn.CloseNormal()
				t := time.NewTimer(3 * time.Second)
				select {
				case <-s.done:
				case <-t.C:
				case <-ctx.Done():
				}
				t.Stop()
			}
			_ = s.conn.Close()
			<-s.done
		}()
	}
	wg.Wait()
}

// idle reads an idle socket: it answers pings (inside Next), counts any
// frames and records how the socket ended.
func (s *session) idle() {
	defer close(s.done)
	for {
		frame, err := s.conn.Next()
		if err != nil {
			s.closeErr = err
			s.early = !s.closing.Load()
			return
		}
		s.frames++
		wsprobe.Lines(frame, func([]byte) { s.lines.Add(1) })
	}
}
