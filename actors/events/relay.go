package events

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/persistence"
)

// LogStore is what the relay needs of the store.
type LogStore interface {
	Get(key []byte) ([]byte, bool, error)
	Scan(prefix, after []byte, limit int, reverse bool) ([]persistence.KV, error)
	ReadLog(log []byte, after uint64, limit int) ([]persistence.Entry, error)
	LogHead(log []byte) (uint64, error)
	Commit(ctx context.Context, b *persistence.Batch) (persistence.Result, error)
}

// RelayOptions configures a Relay.
type RelayOptions struct {
	Store LogStore // required
	Bus   Bus      // required
	// FlushInterval is how often the published watermarks are persisted.
	// Default 250ms.
	FlushInterval time.Duration
	// QueueSize bounds the commits waiting to be published; a full queue
	// makes the store's committer wait. Default 4096.
	QueueSize int
	// OnPublish, if set, is called with the number of events published.
	OnPublish func(n int)
	Logger    *slog.Logger // nil = discard
}

// Relay publishes committed event-log entries onto the bus in offset order
// and persists how far it got.
type Relay struct {
	opts RelayOptions
	log  *slog.Logger
	in   chan []persistence.Appended

	mu        sync.Mutex
	published map[string]uint64 // tenant → highest offset published
	persisted map[string]uint64 // tenant → watermark last written

	startOnce, stopOnce sync.Once
	stop                chan struct{}
	done                chan struct{}
}

// NewRelay returns a relay; call Recover, then Start.
func NewRelay(opts RelayOptions) (*Relay, error) {
	if opts.Store == nil || opts.Bus == nil {
		return nil, errors.New("events: relay needs a store and a bus")
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = 250 * time.Millisecond
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	l := opts.Logger
	if l == nil {
		l = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Relay{
		opts: opts, log: l,
		in:        make(chan []persistence.Appended, opts.QueueSize),
		published: make(map[string]uint64),
		persisted: make(map[string]uint64),
		stop:      make(chan struct{}),
		done:      make(chan struct{}),
	}, nil
}

// OnCommit is the store's commit hook: it queues the event-log entries of a
// durable commit. It blocks while the queue is full.
func (r *Relay) OnCommit(entries []persistence.Appended) {
	var evs []persistence.Appended
	for _, e := range entries {
		if keyspace.TenantOfEventLog(e.Log) != "" {
			evs = append(evs, e)
		}
	}
	if len(evs) > 0 {
		r.in <- evs
	}
}

// Recover publishes every event committed after each tenant's persisted
// watermark (those a crash kept from being published) and persists the new
// watermarks. Run it before traffic starts.
func (r *Relay) Recover(ctx context.Context) error {
	var after []byte
	for {
		tenants, err := r.opts.Store.Scan(keyspace.TenantPrefix(), after, 500, false)
		if err != nil {
			return fmt.Errorf("events: list tenants: %w", err)
		}
		if len(tenants) == 0 {
			break
		}
		for _, kv := range tenants {
			if err := r.recoverTenant(keyspace.TenantFromKey(kv.Key)); err != nil {
				return err
			}
		}
		after = tenants[len(tenants)-1].Key
	}
	return r.flush(ctx)
}

func (r *Relay) recoverTenant(cid string) error {
	wm, err := r.loadWatermark(cid)
	if err != nil {
		return err
	}
	log := keyspace.EventLog(cid)
	n := 0
	for {
		entries, err := r.opts.Store.ReadLog(log, wm, 1000)
		if err != nil {
			return fmt.Errorf("events: read log of %s: %w", cid, err)
		}
		if len(entries) == 0 {
			break
		}
		for _, e := range entries {
			r.publish(cid, e.Offset, e.Value)
			wm = e.Offset
		}
		n += len(entries)
	}
	r.mu.Lock()
	if wm > r.published[cid] {
		r.published[cid] = wm
	}
	r.mu.Unlock()
	if n > 0 {
		r.log.Info("published events left over from before the restart", "client_id", cid, "events", n, "published", wm)
	}
	return nil
}

func (r *Relay) loadWatermark(cid string) (uint64, error) {
	v, ok, err := r.opts.Store.Get(keyspace.Published(cid))
	if err != nil {
		return 0, fmt.Errorf("events: read watermark of %s: %w", cid, err)
	}
	if !ok || len(v) != 8 {
		return 0, nil
	}
	wm := binary.BigEndian.Uint64(v)
	r.mu.Lock()
	r.persisted[cid] = wm
	r.mu.Unlock()
	return wm, nil
}

func (r *Relay) publish(cid string, offset uint64, stored []byte) {
	p := Wire(offset, stored)
	if p == nil {
		r.log.Error("skipping malformed event log entry", "client_id", cid, "offset", offset)
		return
	}
	r.opts.Bus.Publish(&Event{ClientID: cid, Offset: offset, Payload: p})
}

// Start runs the publishing goroutine, and the one that persists the
// watermarks, until Shutdown.
func (r *Relay) Start() {
	r.startOnce.Do(func() { go r.run() })
}

// run publishes queued commits until Shutdown. It never commits: the
// store's committer may be waiting in OnCommit for it to take from a full
// queue, so a commit made here could wait for the committer while the
// committer waits for it, and every commit of the node would hang. The
// watermarks are persisted by flushLoop instead.
func (r *Relay) run() {
	defer close(r.done)
	flushStop, flushDone := make(chan struct{}), make(chan struct{})
	go r.flushLoop(flushStop, flushDone)
	defer func() {
		close(flushStop)
		<-flushDone
	}()
	for {
		select {
		case evs := <-r.in:
			r.handle(evs)
		case <-r.stop:
			for {
				select {
				case evs := <-r.in:
					r.handle(evs)
				default:
					return
				}
			}
		}
	}
}

// flushLoop persists the watermarks every FlushInterval until stop closes.
func (r *Relay) flushLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(r.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if err := r.flush(context.Background()); err != nil {
				r.log.Warn("could not persist published watermark; will retry", "err", err)
			}
		case <-stop:
			return
		}
	}
}

func (r *Relay) handle(evs []persistence.Appended) {
	for _, e := range evs {
		cid := keyspace.TenantOfEventLog(e.Log)
		r.publish(cid, e.Offset, e.Value)
		r.mu.Lock()
		if e.Offset > r.published[cid] {
			r.published[cid] = e.Offset
		}
		r.mu.Unlock()
	}
	if r.opts.OnPublish != nil {
		r.opts.OnPublish(len(evs))
	}
}

// flushParallel bounds the watermark commits in flight at once.
const flushParallel = 32

// flush persists every watermark that moved since the last flush, one
// commit per tenant (a tenant's keys may live on their own store shard),
// committed concurrently so the store's group commit takes many at once.
func (r *Relay) flush(ctx context.Context) error {
	r.mu.Lock()
	moved := map[string]uint64{}
	for cid, off := range r.published {
		if r.persisted[cid] != off {
			moved[cid] = off
		}
	}
	r.mu.Unlock()
	if len(moved) == 0 {
		return nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		sem  = make(chan struct{}, flushParallel)
	)
	for cid, off := range moved {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			b := &persistence.Batch{Puts: []persistence.KV{{Key: keyspace.Published(cid), Value: binary.BigEndian.AppendUint64(nil, off)}}}
			_, err := r.opts.Store.Commit(ctx, b)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, fmt.Errorf("watermark of %s: %w", cid, err))
				return
			}
			r.mu.Lock()
			if off > r.persisted[cid] {
				r.persisted[cid] = off
			}
			r.mu.Unlock()
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Published returns the highest offset of the tenant's log published so far.
func (r *Relay) Published(cid string) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.published[cid]
}

// Shutdown publishes what is queued, persists the watermarks and stops. Call
// it after the last commit that can append events and before closing the
// store. It is idempotent.
func (r *Relay) Shutdown(ctx context.Context) error {
	var err error
	r.stopOnce.Do(func() {
		close(r.stop)
		r.startOnce.Do(func() { close(r.done) }) // never started
		select {
		case <-r.done:
		case <-ctx.Done():
			err = ctx.Err()
			return
		}
		err = r.flush(ctx)
	})
	return err
}
