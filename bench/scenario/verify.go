package scenario

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/casespine/spine/bench/report"
	"github.com/casespine/spine/bench/spineapi"
	"github.com/casespine/spine/bench/workload"
)

// storedMsg is what verification keeps of one stored message.
type storedMsg struct {
	g       uint64
	ours    bool   // source_message_id parsed as one of this workload's
	known   bool   // a message of a known helper workload (warm-up)
	fieldOK string // empty when the stored fields match what was sent
	msgID   string
}

// caseInfo is what verification keeps of one case.
type caseInfo struct {
	tenant   int
	id       string
	count    int // message_count
	messages []storedMsg
	err      error
}

// verifyStore checks every acknowledged message through the cases API and,
// when asked, the tenant event log.
func (p *producer) verifyStore(ctx context.Context, env *Env, ph *report.Phase) {
	start := time.Now()
	api, tok := p.tgt.API, p.tgt.OperatorToken
	env.printf("verifying %d originals through the cases API ...", p.sched.Originals())

	// 1. List every case of every tenant.
	var cases []*caseInfo
	byID := map[string]int{}
	dupListed := 0
	var listErr error
	for ti, tn := range p.tenants {
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 1_000_000 {
				listErr = fmt.Errorf("tenant %s: the case list did not end after a million pages", tn.ID)
				break
			}
			l, err := api.ListCases(ctx, tok, tn.ID, 100, cursor)
			if err != nil {
				listErr = fmt.Errorf("list cases of %s: %w", tn.ID, err)
				break
			}
			for _, c := range l.Items {
				key := tn.ID + "/" + c.ID
				if _, ok := byID[key]; ok {
					dupListed++
					continue
				}
				byID[key] = len(cases)
				cases = append(cases, &caseInfo{tenant: ti, id: c.ID})
			}
			if l.NextCursor.Value == "" || len(l.Items) == 0 {
				break
			}
			cursor = l.NextCursor.Value
		}
		if listErr != nil {
			break
		}
	}
	if listErr != nil {
		ph.AddCheck(report.Check{Name: "stored messages verified through the cases API", Passed: false, Detail: listErr.Error()})
		return
	}
	ph.AddCheck(report.Check{
		Name: "case list pages without repeats", Passed: dupListed == 0,
		Detail: fmt.Sprintf("%d cases listed, %d listed twice", len(cases), dupListed),
	})

	// 2. Read every case, in parallel, keeping only what the checks need.
	jobs := make(chan *caseInfo)
	var wg sync.WaitGroup
	for range p.cfg.VerifyParallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ci := range jobs {
				p.readCase(ctx, ci)
			}
		}()
	}
	for _, ci := range cases {
		jobs <- ci
	}
	close(jobs)
	wg.Wait()

	// 3. Aggregate.
	type occ struct {
		n     int32
		first int32 // index into cases
	}
	occs := map[uint64]*occ{}
	var readErrs, foreign, countDiff, fieldDiff int
	var exRead, exForeign, exCount, exField []string
	for i, ci := range cases {
		if ci.err != nil {
			readErrs++
			exRead = appendEx(exRead, ci.err.Error())
			continue
		}
		if ci.count != len(ci.messages) {
			countDiff++
			exCount = appendEx(exCount, fmt.Sprintf("case %s: message_count %d, %d messages", ci.id, ci.count, len(ci.messages)))
		}
		for _, m := range ci.messages {
			if m.known {
				continue // warm-up traffic, not measured
			}
			if !m.ours || p.w.Ref(m.g).Tenant != ci.tenant {
				foreign++
				exForeign = appendEx(exForeign, fmt.Sprintf("case %s holds message %q that this run did not send to this tenant", ci.id, m.msgID))
				continue
			}
			if m.fieldOK != "" {
				fieldDiff++
				exField = appendEx(exField, fmt.Sprintf("case %s: %s", ci.id, m.fieldOK))
			}
			o := occs[m.g]
			if o == nil {
				occs[m.g] = &occ{n: 1, first: int32(i)}
			} else {
				o.n++
			}
		}
	}
	if readErrs > 0 {
		ph.AddCheck(report.Check{Name: "every listed case readable", Passed: false,
			Detail: fmt.Sprintf("%d of %d cases could not be read", readErrs, len(cases)), Examples: exRead})
	}

	var lost, doubled, wrongCase, unackedStored, missingAckCase int
	var exLost, exDoubled, exWrong, exMissing []string
	threadCases := map[uint64]map[string]bool{}
	threadCreated := map[uint64]int32{}
	addThreadCase := func(g uint64, cid string) {
		k := p.w.ThreadKey(p.w.Ref(g))
		m := threadCases[k]
		if m == nil {
			m = map[string]bool{}
			threadCases[k] = m
		}
		m[cid] = true
	}
	n := p.sched.Originals()
	var acked int64
	for g := range n {
		rec := p.ledger.peek(g)
		o := occs[g]
		isAcked := rec != nil && rec.acks.Load() > 0
		if rec != nil {
			if c := rec.created.Load(); c > 0 {
				threadCreated[p.w.ThreadKey(p.w.Ref(g))] += c
			}
		}
		if o != nil {
			addThreadCase(g, cases[o.first].id)
			if o.n > 1 {
				doubled++
				exDoubled = appendEx(exDoubled, fmt.Sprintf("%s stored %d times", p.w.MessageID(g), o.n))
			}
		}
		if !isAcked {
			if o != nil {
				unackedStored++
			}
			continue
		}
		acked++
		ackCase := rec.caseID.Load()
		if ackCase != nil {
			addThreadCase(g, *ackCase)
			tn := p.tenants[p.w.Ref(g).Tenant].ID
			if _, ok := byID[tn+"/"+*ackCase]; !ok {
				missingAckCase++
				exMissing = appendEx(exMissing, fmt.Sprintf("%s was acknowledged into case %s, which the case list of %s does not hold", p.w.MessageID(g), *ackCase, tn))
			}
		}
		switch {
		case o == nil:
			lost++
			exLost = appendEx(exLost, fmt.Sprintf("%s acknowledged (%d answers) but stored in no case", p.w.MessageID(g), rec.acks.Load()))
		case ackCase != nil && cases[o.first].id != *ackCase:
			wrongCase++
			exWrong = appendEx(exWrong, fmt.Sprintf("%s acknowledged into case %s but stored in %s", p.w.MessageID(g), *ackCase, cases[o.first].id))
		}
	}
	ph.AddCheck(report.Check{
		Name: "every acknowledged message stored (none lost)", Passed: lost == 0,
		Detail: fmt.Sprintf("%d acknowledged messages, %d missing", acked, lost), Examples: exLost,
	})
	ph.AddCheck(report.Check{
		Name: "every message stored at most once (no duplicates)", Passed: doubled == 0,
		Detail: fmt.Sprintf("%d messages stored more than once", doubled), Examples: exDoubled,
	})
	ph.AddCheck(report.Check{
		Name: "every acknowledged message in the case its answer named", Passed: wrongCase == 0 && missingAckCase == 0,
		Detail:   fmt.Sprintf("%d in another case, %d answers naming an unlisted case", wrongCase, missingAckCase),
		Examples: append(exWrong, exMissing...),
	})
	var split, createdTwice int
	var exSplit []string
	for k, m := range threadCases {
		if len(m) > 1 {
			split++
			ids := make([]string, 0, len(m))
			for id := range m {
				ids = append(ids, id)
			}
			sort.Strings(ids)
			exSplit = appendEx(exSplit, fmt.Sprintf("thread %d spread over cases %s", k, strings.Join(ids, ", ")))
		}
	}
	for k, c := range threadCreated {
		if c > 1 {
			createdTwice++
			exSplit = appendEx(exSplit, fmt.Sprintf("thread %d answered \"created\" %d times", k, c))
		}
	}
	ph.AddCheck(report.Check{
		Name: "one case per thread", Passed: split == 0 && createdTwice == 0,
		Detail:   fmt.Sprintf("%d threads, %d over several cases, %d with several \"created\" answers", len(threadCases), split, createdTwice),
		Examples: exSplit,
	})
	ph.AddCheck(report.Check{
		Name: "no messages this run did not send", Passed: foreign == 0,
		Detail: fmt.Sprintf("%d unexpected stored messages", foreign), Examples: exForeign,
	})
	ph.AddCheck(report.Check{
		Name: "case message_count matches its messages", Passed: countDiff == 0,
		Detail: fmt.Sprintf("%d cases disagree", countDiff), Examples: exCount,
	})
	ph.AddCheck(report.Check{
		Name: "stored messages keep what was sent (source, ids, sender, subject)", Passed: fieldDiff == 0,
		Detail: fmt.Sprintf("%d messages differ", fieldDiff), Examples: exField,
	})
	if unackedStored > 0 {
		ph.Notef("%d messages whose sends all failed were stored anyway (allowed: the answer was lost, not the message)", unackedStored)
	}
	ph.AddCounter("verified_cases", int64(len(cases)))
	ph.AddCounter("verified_messages", int64(len(occs)))

	if p.cfg.VerifyEvents {
		p.verifyEventLog(ctx, ph, cases)
	}
	ph.Notef("verification took %.1fs", time.Since(start).Seconds())
}

func (p *producer) readCase(ctx context.Context, ci *caseInfo) {
	tn := p.tenants[ci.tenant]
	c, err := p.tgt.API.GetCase(ctx, p.tgt.OperatorToken, tn.ID, ci.id)
	if err != nil {
		ci.err = fmt.Errorf("case %s of %s: %w", ci.id, tn.ID, err)
		return
	}
	if c.ID != ci.id {
		ci.err = fmt.Errorf("case %s of %s: answer has id %q", ci.id, tn.ID, c.ID)
		return
	}
	ci.count = c.MessageCount
	ci.messages = make([]storedMsg, 0, len(c.Messages))
	for _, m := range c.Messages {
		sm := storedMsg{msgID: m.SourceMessageID}
		sm.g, sm.ours = p.w.ParseMessageID([]byte(m.SourceMessageID))
		for _, w := range p.also {
			if _, ok := w.ParseMessageID([]byte(m.SourceMessageID)); ok && !sm.ours {
				sm.known = true
			}
		}
		if sm.ours {
			sm.fieldOK = storedFieldsDiff(p.w, sm.g, &m)
		}
		ci.messages = append(ci.messages, sm)
	}
}

// storedFieldsDiff compares a stored message with what was sent; empty
// when they agree.
func storedFieldsDiff(w *workload.Workload, g uint64, m *spineapi.Message) string {
	r := w.Ref(g)
	var diffs []string
	if m.Source != "postmark" {
		diffs = append(diffs, fmt.Sprintf("source %q, want \"postmark\"", m.Source))
	}
	if m.ID == "" {
		diffs = append(diffs, "empty id")
	}
	wantRFC := strings.Trim(w.RFCMessageID(r.Tenant, r.Thread, r.K), "<>")
	if strings.Trim(m.RFCMessageID, "<>") != wantRFC {
		diffs = append(diffs, fmt.Sprintf("rfc_message_id %q, want %q", m.RFCMessageID, wantRFC))
	}
	email, _ := w.Sender(r.Tenant, r.Thread, r.K)
	if !strings.EqualFold(m.From.Email, email) {
		diffs = append(diffs, fmt.Sprintf("from.email %q, want %q", m.From.Email, email))
	}
	if want := w.Subject(r.Thread, r.K); m.Subject != want {
		diffs = append(diffs, fmt.Sprintf("subject %q, want %q", m.Subject, want))
	}
	if len(diffs) == 0 {
		return ""
	}
	return w.MessageID(g) + ": " + strings.Join(diffs, "; ")
}

// verifyEventLog checks each tenant's event log: one event per stored
// message, per-case seq 1..n in order with case.created first, increasing
// offsets, and everything published.
func (p *producer) verifyEventLog(ctx context.Context, ph *report.Phase, cases []*caseInfo) {
	api, tok := p.tgt.API, p.tgt.OperatorToken
	stored := map[string]int{} // tenant/case -> message count
	for _, ci := range cases {
		if ci.err == nil {
			stored[p.tenants[ci.tenant].ID+"/"+ci.id] = len(ci.messages)
		}
	}
	type caseEvents struct {
		seqs    []int64
		badType int
	}
	perCase := map[string]*caseEvents{}
	eventsPerMsg := map[uint64]int{}
	var total, offsetRegress, foreign int
	var exOffset, exForeign []string
	for _, tn := range p.tenants {
		after := ""
		lastOffset := int64(-1 << 62)
		for pages := 0; pages < 1_000_000; pages++ {
			pg, err := api.EventLog(ctx, tok, tn.ID, after, 500)
			if err != nil {
				if errors.Is(err, spineapi.ErrNotFound) && total == 0 {
					ph.AddCheck(report.Check{Name: "event log: one event per stored message, per-case seq 1..n", Skipped: true,
						Detail: "GET /admin/clients/:cid/event-log answered 404: " + err.Error()})
					return
				}
				ph.AddCheck(report.Check{Name: "event log readable", Passed: false, Detail: err.Error()})
				return
			}
			for i := range pg.Items {
				ev := &pg.Items[i]
				total++
				if ev.Offset <= lastOffset {
					offsetRegress++
					exOffset = appendEx(exOffset, fmt.Sprintf("%s: offset %d after %d", tn.ID, ev.Offset, lastOffset))
				}
				lastOffset = ev.Offset
				if ev.ClientID != tn.ID {
					foreign++
					exForeign = appendEx(exForeign, fmt.Sprintf("event %s in %s's log has client_id %q", ev.ID, tn.ID, ev.ClientID))
				}
				key := tn.ID + "/" + ev.CaseID
				ce := perCase[key]
				if ce == nil {
					ce = &caseEvents{}
					perCase[key] = ce
				}
				ce.seqs = append(ce.seqs, ev.Seq)
				want := "case.updated"
				if ev.Seq == 1 {
					want = "case.created"
				}
				if ev.Type != want {
					ce.badType++
				}
				if ev.Data.LastMessage != nil {
					if g, ok := p.w.ParseMessageID([]byte(ev.Data.LastMessage.SourceMessageID)); ok {
						eventsPerMsg[g]++
					}
				}
			}
			next := pg.NextCursor.Value
			if next == "" || len(pg.Items) == 0 {
				break
			}
			after = next
		}
	}
	// Per case: seqs are 1..n, as many as stored messages, in log order.
	var seqBad, countBad, typeBad int
	var exSeq []string
	for key, ce := range perCase {
		ordered := sort.SliceIsSorted(ce.seqs, func(i, j int) bool { return ce.seqs[i] < ce.seqs[j] })
		s := append([]int64(nil), ce.seqs...)
		sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
		dense := true
		for i, v := range s {
			if v != int64(i+1) {
				dense = false
				break
			}
		}
		if !ordered || !dense {
			seqBad++
			exSeq = appendEx(exSeq, fmt.Sprintf("%s: seqs %v", key, short(ce.seqs)))
		}
		if n, ok := stored[key]; ok && n != len(ce.seqs) {
			countBad++
			exSeq = appendEx(exSeq, fmt.Sprintf("%s: %d events for %d stored messages", key, len(ce.seqs), n))
		}
		if ce.badType > 0 {
			typeBad++
			exSeq = appendEx(exSeq, fmt.Sprintf("%s: %d events whose type is not case.created for seq 1 / case.updated after", key, ce.badType))
		}
	}
	for key, n := range stored {
		if n > 0 && perCase[key] == nil {
			countBad++
			exSeq = appendEx(exSeq, fmt.Sprintf("%s: %d stored messages, no events", key, n))
		}
	}
	var msgBad int
	for _, ci := range cases {
		for _, m := range ci.messages {
			if m.ours && eventsPerMsg[m.g] != 1 {
				msgBad++
				exSeq = appendEx(exSeq, fmt.Sprintf("%s: %d events name it as last_message", m.msgID, eventsPerMsg[m.g]))
			}
		}
	}
	ph.AddCheck(report.Check{
		Name:   "event log: one event per stored message, per-case seq 1..n in order",
		Passed: seqBad == 0 && countBad == 0 && typeBad == 0 && msgBad == 0,
		Detail: fmt.Sprintf("%d events over %d cases; %d cases with bad seqs, %d with counts off, %d with wrong types, %d messages without exactly one event",
			total, len(perCase), seqBad, countBad, typeBad, msgBad),
		Examples: exSeq,
	})
	ph.AddCheck(report.Check{
		Name: "event log: offsets increase, client_id is the tenant", Passed: offsetRegress == 0 && foreign == 0,
		Detail:   fmt.Sprintf("%d offsets not increasing, %d events of another tenant", offsetRegress, foreign),
		Examples: append(exOffset, exForeign...),
	})
	// Everything committed must be published soon after the load stops.
	var exUnpub []string
	allPublished := waitFor(ctx, 10*time.Second, func() bool {
		exUnpub = exUnpub[:0]
		for _, tn := range p.tenants {
			pg, err := api.EventLog(ctx, tok, tn.ID, "", 1)
			switch {
			case err != nil:
				exUnpub = append(exUnpub, fmt.Sprintf("%s: %v", tn.ID, err))
			case !pg.Head.Present || !pg.Published.Present:
				exUnpub = append(exUnpub, fmt.Sprintf("%s: answer lacks head or published", tn.ID))
			case pg.Published.Value < pg.Head.Value:
				exUnpub = append(exUnpub, fmt.Sprintf("%s: head %d, published %d", tn.ID, pg.Head.Value, pg.Published.Value))
			}
		}
		return len(exUnpub) == 0
	})
	detail := "published == head in every tenant's log"
	if !allPublished {
		detail = "published < head (or head/published missing) 10s after the load stopped"
	}
	ph.AddCheck(report.Check{Name: "event log: every committed event published", Passed: allPublished, Detail: detail, Examples: exUnpub})
}

func short(s []int64) []int64 {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}
