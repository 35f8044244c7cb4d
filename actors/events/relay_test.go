package events_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/events"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
	"github.com/casespine/spine/persistence/boltstore"
)

const waitFor = 10 * time.Second

// hook is the store's commit hook: it hands commits to the relay installed
// in it and drops them while there is none, like a node that dies between
// commit and publish.
type hook struct{ relay atomic.Pointer[events.Relay] }

func (h *hook) OnCommit(a []persistence.Appended) {
	if r := h.relay.Load(); r != nil {
		r.OnCommit(a)
	}
}

// newRelay builds a relay over store and bus and shuts it down when the
// test ends (before the store closes).
func newRelay(t *testing.T, opts events.RelayOptions) *events.Relay {
	t.Helper()
	r, err := events.NewRelay(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		if err := r.Shutdown(ctx); err != nil {
			t.Errorf("relay shutdown: %v", err)
		}
	})
	return r
}

// deliverN delivers n new messages to tenant cid, spread over three cases.
func deliverN(t *testing.T, store cases.Store, cid, prefix string, n int) {
	t.Helper()
	for i := range n {
		caseID := fmt.Sprintf("c%s%d", prefix, i%3)
		actortest.Deliver(t, store, actortest.Mail(cid, caseID, fmt.Sprintf("%s-%d", prefix, i)))
	}
}

func head(t *testing.T, store *boltstore.Store, cid string) uint64 {
	t.Helper()
	h, err := store.LogHead(keyspace.EventLog(cid))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// watermark reads the persisted published watermark of cid.
func watermark(t *testing.T, store *boltstore.Store, cid string) (uint64, bool) {
	t.Helper()
	v, ok, err := store.Get(keyspace.Published(cid))
	if err != nil {
		t.Fatal(err)
	}
	if !ok {
		return 0, false
	}
	if len(v) != 8 {
		t.Fatalf("watermark of %s is %d bytes", cid, len(v))
	}
	return binary.BigEndian.Uint64(v), true
}

func setWatermark(t *testing.T, store *boltstore.Store, cid string, off uint64) {
	t.Helper()
	b := &persistence.Batch{Puts: []persistence.KV{{Key: keyspace.Published(cid), Value: binary.BigEndian.AppendUint64(nil, off)}}}
	if _, err := store.Commit(t.Context(), b); err != nil {
		t.Fatal(err)
	}
}

// checkPublished asserts that r got exactly the entries of cid's event log
// with offsets from..to, in order, each as its exact wire form.
func checkPublished(t *testing.T, store *boltstore.Store, cid string, r *actortest.Recorder, from, to uint64) {
	t.Helper()
	got := r.Events()
	want := int(to - from + 1)
	if from > to {
		want = 0
	}
	if len(got) != want {
		t.Fatalf("%s: bus delivered offsets %v, want %d..%d", cid, r.Offsets(), from, to)
	}
	entries, err := store.ReadLog(keyspace.EventLog(cid), from-1, want)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range got {
		if e.ClientID != cid || e.Offset != from+uint64(i) {
			t.Fatalf("%s: event %d is offset %d of %s, want offset %d", cid, i, e.Offset, e.ClientID, from+uint64(i))
		}
		if wire := events.Wire(entries[i].Offset, entries[i].Value); !bytes.Equal(e.Payload, wire) {
			t.Fatalf("%s: payload at offset %d is %s, want %s", cid, e.Offset, e.Payload, wire)
		}
		var env events.Envelope
		if err := json.Unmarshal(e.Payload, &env); err != nil || env.ClientID != cid {
			t.Fatalf("%s: payload at offset %d is not this tenant's envelope: %s (%v)", cid, e.Offset, e.Payload, err)
		}
	}
}

func TestRelayPublishesCommitsInOffsetOrder(t *testing.T) {
	h := &hook{}
	store := actortest.OpenStore(t, h.OnCommit)
	tenants := []string{"acme", "globex"}
	bus := events.NewMemoryBus()
	recs := map[string]*actortest.Recorder{}
	var counted atomic.Int64
	relay := newRelay(t, events.RelayOptions{Store: store, Bus: bus, FlushInterval: time.Hour, OnPublish: func(n int) { counted.Add(int64(n)) }})
	h.relay.Store(relay)
	if err := relay.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	relay.Start()
	relay.Start() // idempotent
	for _, cid := range tenants {
		actortest.CreateTenant(t, store, cid, nil, nil) // its audit row is not an event
		recs[cid] = &actortest.Recorder{}
		bus.Subscribe(cid, recs[cid])
	}

	// Three writers per tenant commit at once, so commits group.
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for w := range 6 {
		cid := tenants[w%2]
		wg.Go(func() {
			for i := range 10 {
				caseID := fmt.Sprintf("cw%d", w)
				c, err := cases.Load(store, cid, caseID, nil)
				if err == nil {
					_, err = c.Deliver(context.Background(), actortest.Mail(cid, caseID, fmt.Sprintf("w%d-%d", w, i)))
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, cid := range tenants {
		want := head(t, store, cid)
		if want != 30 {
			t.Fatalf("%s: %d events committed, want 30", cid, want)
		}
		actortest.Eventually(t, waitFor, func() bool { return relay.Published(cid) == want }, "%s: Published = %d, want %d", cid, relay.Published(cid), want)
		checkPublished(t, store, cid, recs[cid], 1, want)
	}
	if n := counted.Load(); n != 60 {
		t.Fatalf("OnPublish counted %d events, want 60", n)
	}
	if relay.Published("nobody") != 0 {
		t.Fatal("Published of an unknown tenant is not 0")
	}
}

// A node died after committing events and before publishing all of them:
// Recover publishes exactly what the persisted watermark does not cover.
func TestRelayRecoverPublishesWhatACrashLeft(t *testing.T) {
	store := actortest.OpenStore(t, nil) // no relay while the events commit
	for _, cid := range []string{"acme", "globex", "quiet"} {
		actortest.CreateTenant(t, store, cid, nil, nil)
	}
	deliverN(t, store, "acme", "a", 10)
	deliverN(t, store, "globex", "g", 4)
	setWatermark(t, store, "acme", 6) // the relay had got this far

	bus := events.NewMemoryBus()
	recs := map[string]*actortest.Recorder{"acme": {}, "globex": {}, "quiet": {}}
	for cid, r := range recs {
		bus.Subscribe(cid, r)
	}
	relay := newRelay(t, events.RelayOptions{Store: store, Bus: bus})
	if err := relay.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkPublished(t, store, "acme", recs["acme"], 7, 10)
	checkPublished(t, store, "globex", recs["globex"], 1, 4)
	checkPublished(t, store, "quiet", recs["quiet"], 1, 0)
	for cid, want := range map[string]uint64{"acme": 10, "globex": 4, "quiet": 0} {
		if got := relay.Published(cid); got != want {
			t.Errorf("Published(%s) = %d, want %d", cid, got, want)
		}
		wm, ok := watermark(t, store, cid)
		if want == 0 && ok || want != 0 && wm != want {
			t.Errorf("persisted watermark of %s = %d (present %v), want %d", cid, wm, ok, want)
		}
	}

	// Recovering again publishes nothing.
	again := &actortest.Recorder{}
	bus2 := events.NewMemoryBus()
	bus2.Subscribe("acme", again)
	bus2.Subscribe("globex", again)
	second := newRelay(t, events.RelayOptions{Store: store, Bus: bus2})
	if err := second.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	if again.Len() != 0 {
		t.Fatalf("a second Recover published offsets %v", again.Offsets())
	}
	if second.Published("acme") != 10 {
		t.Fatalf("second relay's Published(acme) = %d, want 10", second.Published("acme"))
	}
}

// Recover pages through many tenants and long logs.
func TestRelayRecoverPages(t *testing.T) {
	store := actortest.OpenStore(t, nil)
	// 501 tenants: more than one page of the tenant scan. Only the last has
	// events, more than one page of the log.
	var b persistence.Batch
	for i := range 501 {
		st, err := proto.Marshal(&spinepb.TenantState{ClientId: fmt.Sprintf("t%03d", i), Epoch: "ep"})
		if err != nil {
			t.Fatal(err)
		}
		b.Puts = append(b.Puts, persistence.KV{Key: keyspace.Tenant(fmt.Sprintf("t%03d", i)), Value: st})
	}
	if _, err := store.Commit(t.Context(), &b); err != nil {
		t.Fatal(err)
	}
	const last, n = "t500", 2100
	for start := 0; start < n; start += 700 {
		var b persistence.Batch
		for seq := start + 1; seq <= start+700; seq++ {
			env := events.NewEnvelope("ep", events.TypeCaseUpdated, last, "cx", "", uint64(seq), time.Now(), json.RawMessage(`{}`))
			raw, err := env.Encode()
			if err != nil {
				t.Fatal(err)
			}
			b.Appends = append(b.Appends, persistence.Append{Log: keyspace.EventLog(last), Value: raw})
		}
		if _, err := store.Commit(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
	}
	setWatermark(t, store, last, 50)
	bus := events.NewMemoryBus()
	rec := &actortest.Recorder{}
	bus.Subscribe(last, rec)
	relay := newRelay(t, events.RelayOptions{Store: store, Bus: bus})
	if err := relay.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	checkPublished(t, store, last, rec, 51, n)
	if wm, _ := watermark(t, store, last); wm != n || relay.Published(last) != n {
		t.Fatalf("watermark %d, Published %d, want %d", wm, relay.Published(last), n)
	}
}

// Shutdown persists how far the relay got, so the next start (after a
// clean restart of the node) publishes nothing twice.
func TestRelayShutdownFlushesTheWatermark(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	h := &hook{}
	store := actortest.OpenStoreAt(t, path, h.OnCommit)
	actortest.CreateTenant(t, store, "acme", nil, nil)
	bus := events.NewMemoryBus()
	rec := &actortest.Recorder{}
	bus.Subscribe("acme", rec)
	relay, err := events.NewRelay(events.RelayOptions{Store: store, Bus: bus, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := relay.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.relay.Store(relay)
	relay.Start()
	deliverN(t, store, "acme", "a", 5)
	actortest.Eventually(t, waitFor, func() bool { return relay.Published("acme") == 5 }, "Published = %d, want 5", relay.Published("acme"))
	if _, ok := watermark(t, store, "acme"); ok {
		t.Fatal("watermark persisted before a flush was due")
	}
	if err := relay.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := relay.Shutdown(t.Context()); err != nil {
		t.Fatalf("second Shutdown: %v", err)
	}
	if wm, _ := watermark(t, store, "acme"); wm != 5 {
		t.Fatalf("watermark after Shutdown = %d, want 5", wm)
	}
	checkPublished(t, store, "acme", rec, 1, 5)

	// Restart: a new store on the same file and a new relay.
	h.relay.Store(nil)
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	h2 := &hook{}
	store = actortest.OpenStoreAt(t, path, h2.OnCommit)
	bus = events.NewMemoryBus()
	rec = &actortest.Recorder{}
	bus.Subscribe("acme", rec)
	next := newRelay(t, events.RelayOptions{Store: store, Bus: bus, FlushInterval: time.Hour})
	if err := next.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	if rec.Len() != 0 {
		t.Fatalf("after a clean restart Recover published offsets %v", rec.Offsets())
	}
	if next.Published("acme") != 5 {
		t.Fatalf("Published after restart = %d, want 5", next.Published("acme"))
	}
	// And it carries on from there.
	h2.relay.Store(next)
	next.Start()
	deliverN(t, store, "acme", "b", 2)
	actortest.Eventually(t, waitFor, func() bool { return next.Published("acme") == 7 }, "Published = %d, want 7", next.Published("acme"))
	checkPublished(t, store, "acme", rec, 6, 7)
}

func TestRelayFlushesPeriodically(t *testing.T) {
	h := &hook{}
	store := actortest.OpenStore(t, h.OnCommit)
	actortest.CreateTenant(t, store, "acme", nil, nil)
	relay := newRelay(t, events.RelayOptions{Store: store, Bus: events.NewMemoryBus(), FlushInterval: 2 * time.Millisecond})
	h.relay.Store(relay)
	relay.Start()
	deliverN(t, store, "acme", "a", 3)
	actortest.Eventually(t, waitFor, func() bool { wm, _ := watermark(t, store, "acme"); return wm == 3 }, "watermark never reached 3 without a Shutdown")
}

// An entry that is not a JSON object is skipped, live and in Recover, and
// does not hold up the entries after it.
func TestRelaySkipsMalformedEntries(t *testing.T) {
	h := &hook{}
	store := actortest.OpenStore(t, h.OnCommit)
	actortest.CreateTenant(t, store, "acme", nil, nil)
	appendRaw := func(vals ...string) {
		var b persistence.Batch
		for _, v := range vals {
			b.Appends = append(b.Appends, persistence.Append{Log: keyspace.EventLog("acme"), Value: []byte(v)})
		}
		if _, err := store.Commit(t.Context(), &b); err != nil {
			t.Fatal(err)
		}
	}
	appendRaw(`{"n":1}`, `not json`, `{"n":3}`) // committed while no relay ran
	bus := events.NewMemoryBus()
	rec := &actortest.Recorder{}
	bus.Subscribe("acme", rec)
	relay := newRelay(t, events.RelayOptions{Store: store, Bus: bus})
	if err := relay.Recover(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.relay.Store(relay)
	relay.Start()
	appendRaw(`[]`, `{"n":5}`)
	actortest.Eventually(t, waitFor, func() bool { return relay.Published("acme") == 5 }, "Published = %d, want 5", relay.Published("acme"))
	if got := fmt.Sprint(rec.Offsets()); got != "[1 3 5]" {
		t.Fatalf("published offsets %s, want [1 3 5]", got)
	}
}

// Commits to logs other than event logs (the audit log) never reach the bus.
func TestRelayIgnoresOtherLogs(t *testing.T) {
	bus := events.NewMemoryBus()
	rec := &actortest.Recorder{}
	bus.Subscribe("acme", rec)
	store := actortest.OpenStore(t, nil)
	relay := newRelay(t, events.RelayOptions{Store: store, Bus: bus, QueueSize: 1})
	relay.Start()
	// With a queue of one, these would block if they were queued.
	for i := range 3 {
		relay.OnCommit([]persistence.Appended{{Log: keyspace.AuditLog("acme"), Offset: uint64(i + 1), Value: []byte(`{"a":1}`)}})
	}
	relay.OnCommit([]persistence.Appended{
		{Log: keyspace.AuditLog("acme"), Offset: 4, Value: []byte(`{"a":1}`)},
		{Log: keyspace.EventLog("acme"), Offset: 1, Value: []byte(`{"e":1}`)},
	})
	actortest.Eventually(t, waitFor, func() bool { return relay.Published("acme") == 1 }, "the event was not published")
	if got := fmt.Sprint(rec.Offsets()); got != "[1]" || string(rec.Events()[0].Payload) != `{"offset":1,"e":1}` {
		t.Fatalf("bus got %s %q", got, rec.Events()[0].Payload)
	}
}

func TestRelayLifecycle(t *testing.T) {
	if _, err := events.NewRelay(events.RelayOptions{Bus: events.NewMemoryBus()}); err == nil {
		t.Fatal("NewRelay without a store succeeded")
	}
	store := actortest.OpenStore(t, nil)
	if _, err := events.NewRelay(events.RelayOptions{Store: store}); err == nil {
		t.Fatal("NewRelay without a bus succeeded")
	}
	// Shutdown of a relay never started returns, twice.
	r, err := events.NewRelay(events.RelayOptions{Store: store, Bus: events.NewMemoryBus()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := r.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// gate is a subscriber that stalls the relay on the first event after it is
// armed until released: a slow bus.
type gate struct {
	armed   atomic.Bool
	entered chan struct{}
	release chan struct{}
}

func (g *gate) Deliver(*events.Event) {
	if g.armed.CompareAndSwap(true, false) {
		g.entered <- struct{}{}
		<-g.release
	}
}

// The relay's queue fills while the bus is slow, so the store's committer
// waits in OnCommit. The relay must keep draining the queue even when a
// watermark flush (itself a commit) falls due at that moment; if it flushes
// on the goroutine that drains, the relay waits for the committer and the
// committer for the relay, and every commit of the node hangs.
func TestRelayFlushDoesNotDeadlockAFullQueue(t *testing.T) {
	const marker = "blocked"
	g := &gate{entered: make(chan struct{}, 1), release: make(chan struct{})}
	var relay atomic.Pointer[events.Relay]
	reached := make(chan struct{}, 1)
	store := actortest.OpenStore(t, func(a []persistence.Appended) {
		for _, e := range a {
			if bytes.Contains(e.Value, []byte(marker)) {
				reached <- struct{}{} // the committer is about to call OnCommit with the queue full
			}
		}
		relay.Load().OnCommit(a)
	})
	bus := events.NewMemoryBus()
	bus.Subscribe("acme", g)
	// A flush falls due at every turn of the relay's loop.
	r := newRelay(t, events.RelayOptions{Store: store, Bus: bus, QueueSize: 1, FlushInterval: time.Nanosecond})
	relay.Store(r)
	r.Start()
	// commit starts a commit of v; await waits for one to return.
	commit := func(v string) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := store.Commit(context.Background(), &persistence.Batch{Appends: []persistence.Append{{Log: keyspace.EventLog("acme"), Value: []byte(v)}}})
			done <- err
		}()
		return done
	}
	await := func(round int, done <-chan error) {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(waitFor):
			// Deadlocked: nothing can stop the relay or close the store
			// now, so the cleanups would hang. Report with every
			// goroutine's stack and end the test binary.
			stacks := make([]byte, 1<<20)
			stacks = stacks[:runtime.Stack(stacks, true)]
			fmt.Fprintf(os.Stderr, "--- FAIL: %s\n    round %d: relay and committer deadlocked: a commit did not return within %v\n\n%s", t.Name(), round, waitFor, stacks)
			os.Exit(1)
		}
	}
	// Each round: the bus stalls on one event, one more fills the queue, a
	// third commit waits in OnCommit; then the bus resumes. The relay then
	// has a queued commit and a due flush at once, and picks either.
	for round := range 30 {
		g.armed.Store(true)
		await(round, commit(`{"round":"stall"}`))
		select {
		case <-g.entered:
		case <-time.After(waitFor):
			t.Fatalf("round %d: the relay never delivered the stalling event", round)
		}
		await(round, commit(`{"round":"queued"}`))
		third := commit(`{"round":"` + marker + `"}`)
		select {
		case <-reached:
		case <-time.After(waitFor):
			t.Fatalf("round %d: the third commit never reached the hook", round)
		}
		g.release <- struct{}{}
		await(round, third)
		// Start the next round with the queue empty.
		want := uint64(3 * (round + 1))
		actortest.Eventually(t, waitFor, func() bool { return r.Published("acme") == want }, "round %d: Published = %d, want %d", round, r.Published("acme"), want)
	}
	actortest.Eventually(t, waitFor, func() bool { wm, _ := watermark(t, store, "acme"); return wm == 90 }, "the watermark never reached 90")
}
