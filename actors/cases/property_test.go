package cases_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/cases"
	"github.com/casespine/spine/actors/internal/actortest"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
)

// intake routes and delivers mail the way the webhook does (tenant
// Resolve, then Deliver to the case it names, following a REDIRECT), over
// a pool of case activations: several per case, each possibly stale.
type intake struct {
	e      *env
	tenant *tenants.Tenant
	secret string
	rng    *rand.Rand // nil: always the first activation
	acts   map[string][]*cases.Case
}

const activationsPerCase = 3

func newIntake(t testing.TB, e *env, rng *rand.Rand) *intake {
	t.Helper()
	tn, err := tenants.Load(e.store, cid, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &intake{e: e, tenant: tn, secret: e.tenant.Secrets.PostmarkToken, rng: rng, acts: map[string][]*cases.Case{}}
}

// activation returns one of the case's activations, loading it on first use
// (so activations load at different times and go stale independently).
func (in *intake) activation(caseID string) (*cases.Case, error) {
	acts := in.acts[caseID]
	if acts == nil {
		acts = make([]*cases.Case, activationsPerCase)
		in.acts[caseID] = acts
	}
	i := 0
	if in.rng != nil {
		i = in.rng.IntN(activationsPerCase)
	}
	if acts[i] == nil {
		c, err := cases.Load(in.e.store, cid, caseID, in.e.clock.Now)
		if err != nil {
			return nil, err
		}
		acts[i] = c
	}
	return acts[i], nil
}

func (in *intake) resolve(t testing.TB, m *spinepb.Inbound) *spinepb.ResolveReply {
	t.Helper()
	r, err := in.tenant.Resolve(t.Context(), &spinepb.ResolveInbound{
		Source: m.Source, Credential: in.secret, SourceMessageId: m.SourceMessageId, RfcMessageId: m.RfcMessageId,
		InReplyTo: m.InReplyTo, References: m.References, MailboxHash: m.MailboxHash, ThreadRoot: m.ThreadRoot,
	})
	if err != nil {
		t.Fatalf("Resolve(%s): %v", m.SourceMessageId, err)
	}
	return r
}

// deliverTo delivers m to caseID, following at most one REDIRECT, retrying
// on contention as a provider would; it returns every ack in order.
func (in *intake) deliverTo(t testing.TB, caseID string, m *spinepb.Inbound) ([]*spinepb.DeliverAck, error) {
	var acks []*spinepb.DeliverAck
	for hop := 0; hop < 2; hop++ {
		c, err := in.activation(caseID)
		if err != nil {
			return acks, err
		}
		cp := proto.Clone(m).(*spinepb.Inbound)
		cp.CaseId = caseID
		ack, err := deliverRetrying(t, c, cp)
		if err != nil {
			return acks, err
		}
		acks = append(acks, ack)
		if ack.Outcome != spinepb.DeliverAck_REDIRECT {
			return acks, nil
		}
		caseID = ack.CaseId
	}
	return acks, fmt.Errorf("%s: redirected twice", m.SourceMessageId)
}

// mailThreads builds nThreads threads of random length; each message
// replies to the one before and names its thread root.
func mailThreads(rng *rand.Rand, nThreads, maxLen int) (msgs []*spinepb.Inbound, caseOf map[string]string) {
	caseOf = map[string]string{}
	for th := range nThreads {
		root := actortest.RFCID(fmt.Sprintf("t%d-0", th))
		var refs []string
		for i := range 1 + rng.IntN(maxLen) {
			smid := fmt.Sprintf("t%d-%d", th, i)
			m := actortest.Mail(cid, "", smid)
			m.ThreadRoot = root
			if i > 0 {
				m.InReplyTo = refs[len(refs)-1]
				m.References = append([]string(nil), refs...)
			}
			refs = append(refs, m.RfcMessageId)
			msgs = append(msgs, m)
			caseOf[smid] = keyspace.CaseID(cid, root)
		}
	}
	return msgs, caseOf
}

// TestPropertyIntake runs 200 seeded schedules of mail, each a few threads
// delivered out of order with redeliveries and misrouted retries, over
// several activations per case that go stale independently. After every
// delivery the answer matches a model; after each schedule the store
// holds each message once, in its thread's one case, with one event each
// and contiguous seqs and offsets.
func TestPropertyIntake(t *testing.T) {
	schedules := 200
	if testing.Short() {
		schedules = 30
	}
	for seed := range uint64(schedules) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x5eed))
			e := newEnv(t)
			in := newIntake(t, e, rng)
			msgs, caseOf := mailThreads(rng, 1+rng.IntN(3), 5)

			// Each message once, plus 0-2 redeliveries, in random order.
			var ops []*spinepb.Inbound
			for _, m := range msgs {
				for range 1 + rng.IntN(3) {
					ops = append(ops, m)
				}
			}
			rng.Shuffle(len(ops), func(i, j int) { ops[i], ops[j] = ops[j], ops[i] })

			stored := map[string]string{} // smid → case id, the model
			count := map[string]uint64{}  // case id → messages, the model
			msgID := map[string]string{}  // smid → message id
			for step, m := range ops {
				if _, done := stored[m.SourceMessageId]; done && rng.IntN(3) == 0 {
					// A retry routed to a wrong case: it must be sent back.
					wrong := keyspace.CaseID(cid, fmt.Sprint("elsewhere-", rng.IntN(2)))
					acks, err := in.deliverTo(t, wrong, m)
					if err != nil {
						t.Fatalf("step %d: %v", step, err)
					}
					if len(acks) != 2 || acks[0].Outcome != spinepb.DeliverAck_REDIRECT || acks[0].CaseId != stored[m.SourceMessageId] ||
						acks[1].Outcome != spinepb.DeliverAck_DUPLICATE || acks[1].MessageId != msgID[m.SourceMessageId] {
						t.Fatalf("step %d: misrouted retry of %s answered %v", step, m.SourceMessageId, acks)
					}
					continue
				}
				r := in.resolve(t, m)
				acks, err := in.deliverTo(t, r.CaseId, m)
				if err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
				if len(acks) != 1 {
					t.Fatalf("step %d: %s resolved to %s (%s) and was redirected: %v", step, m.SourceMessageId, r.CaseId, r.Reason, acks)
				}
				ack := acks[0]
				if prev, done := stored[m.SourceMessageId]; done {
					if r.Reason != "duplicate" || r.CaseId != prev || ack.Outcome != spinepb.DeliverAck_DUPLICATE || ack.MessageId != msgID[m.SourceMessageId] {
						t.Fatalf("step %d: redelivery of %s: resolve %v, ack %v; stored in %s", step, m.SourceMessageId, r, ack, prev)
					}
					continue
				}
				count[r.CaseId]++
				want := spinepb.DeliverAck_UPDATED
				if count[r.CaseId] == 1 {
					want = spinepb.DeliverAck_CREATED
				}
				if ack.Outcome != want || ack.CaseId != r.CaseId || ack.Seq != count[r.CaseId] || ack.Offset != uint64(len(stored)+1) {
					t.Fatalf("step %d: first delivery of %s (%s): ack %v, want %v seq %d offset %d", step, m.SourceMessageId, r.Reason, ack, want, count[r.CaseId], len(stored)+1)
				}
				stored[m.SourceMessageId], msgID[m.SourceMessageId] = r.CaseId, ack.MessageId
			}
			// One thread, one case: the case its root names.
			for smid, c := range stored {
				if c != caseOf[smid] {
					t.Fatalf("message %s is in case %s, its thread's case is %s", smid, c, caseOf[smid])
				}
			}
			e.checkInvariants(t, caseOf)
		})
	}
}

// TestPropertyIntakeConcurrent delivers seeded mixes of out-of-order
// threads and redeliveries from several goroutines at once, each with
// activations of its own, and checks the same invariants at the end.
func TestPropertyIntakeConcurrent(t *testing.T) {
	schedules := 25
	if testing.Short() {
		schedules = 5
	}
	const workers = 3
	for seed := range uint64(schedules) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0xc0c0))
			e := newEnv(t)
			msgs, caseOf := mailThreads(rng, 2+rng.IntN(3), 6)
			queues := make([][]*spinepb.Inbound, workers)
			for _, m := range msgs {
				for range 1 + rng.IntN(3) {
					w := rng.IntN(workers)
					queues[w] = append(queues[w], m)
				}
			}
			var wg sync.WaitGroup
			var mu sync.Mutex
			var failures []error
			for w := range workers {
				wrng := rand.New(rand.NewPCG(seed, uint64(w)))
				q := queues[w]
				wrng.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
				in := newIntake(t, e, wrng) // activations of its own
				wg.Go(func() {
					for _, m := range q {
						r, err := in.tenant.Resolve(t.Context(), &spinepb.ResolveInbound{
							Source: m.Source, Credential: in.secret, SourceMessageId: m.SourceMessageId, RfcMessageId: m.RfcMessageId,
							InReplyTo: m.InReplyTo, References: m.References, ThreadRoot: m.ThreadRoot,
						})
						if err == nil {
							_, err = in.deliverTo(t, r.CaseId, m)
						}
						if err != nil && !errors.Is(err, actors.ErrContention) {
							mu.Lock()
							failures = append(failures, err)
							mu.Unlock()
							return
						}
					}
				})
			}
			wg.Wait()
			for _, err := range failures {
				t.Error(err)
			}
			e.checkInvariants(t, caseOf)
		})
	}
}
