package tenants

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/keyspace"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/persistence"
	"github.com/oklog/ulid/v2"
	"google.golang.org/protobuf/proto"
)

// Store is what a tenant needs of the store.
type Store = actors.Store

// Sources of inbound mail.
const (
	SourcePostmark = "postmark"
	SourceGmail    = "gmail"
	SourceGraph    = "graph"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{1,62}$`)

// ValidID reports whether id is a well-formed tenant id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// Tenant is the state of one tenant actor.
type Tenant struct {
	id    string
	store Store
	now   func() time.Time
	state *spinepb.TenantState // nil until created
	// leases: sub → conn id → expiry.
	leases map[string]map[string]time.Time
	rate   bucket // admin API requests
}

// Load reads the tenant's state; a tenant that does not exist yet loads as
// empty, ready for Create.
func Load(store Store, id string, now func() time.Time) (*Tenant, error) {
	if now == nil {
		now = time.Now
	}
	t := &Tenant{id: id, store: store, now: now, leases: map[string]map[string]time.Time{}}
	if !ValidID(id) {
		return t, nil
	}
	st := &spinepb.TenantState{}
	_, found, err := actors.Load(store, keyspace.Tenant(id), st, "tenant "+id)
	if err != nil {
		return nil, err
	}
	if found {
		t.state = st
	}
	return t, nil
}

// ReadState reads a tenant's state for the actors that need it (its event
// log epoch, its keys); a tenant that does not exist is ErrNotFound.
func ReadState(g actors.Getter, id string) (*spinepb.TenantState, error) {
	st := &spinepb.TenantState{}
	return st, actors.LoadExisting(g, keyspace.Tenant(id), st, fmt.Sprintf("tenant %q", id))
}

// Get returns the tenant's state, or ErrNotFound.
func (t *Tenant) Get() (*spinepb.TenantState, error) {
	if err := t.exists(); err != nil {
		return nil, err
	}
	return t.state, nil
}

// State returns the tenant's state, or nil if it does not exist.
func (t *Tenant) State() *spinepb.TenantState { return t.state }

// exists answers ErrNotFound for a tenant that does not exist. An actor
// without state looks again in the store: another activation, or a create
// whose commit outcome this one never learnt, may have made it since.
func (t *Tenant) exists() error {
	if t.state == nil {
		if err := t.refresh(); err != nil {
			return err
		}
	}
	if t.state == nil {
		return fmt.Errorf("%w: tenant %q", actors.ErrNotFound, t.id)
	}
	return nil
}

// refresh re-reads the tenant's state from the store.
func (t *Tenant) refresh() error {
	if !ValidID(t.id) {
		return nil
	}
	st := &spinepb.TenantState{}
	_, found, err := actors.Load(t.store, keyspace.Tenant(t.id), st, "tenant "+t.id)
	if err != nil {
		return err
	}
	if found {
		t.state = st
	}
	return nil
}

// Create creates the tenant with fresh secrets, audit-logged in the same
// commit. A tenant that exists → ErrExists.
func (t *Tenant) Create(ctx context.Context, req *spinepb.CreateTenant) (*spinepb.TenantState, error) {
	if req.ClientId != t.id || !ValidID(req.ClientId) {
		return nil, fmt.Errorf("%w: client_id must match ^[a-z0-9][a-z0-9_-]{1,62}$", actors.ErrInvalid)
	}
	if len(req.Name) > 200 {
		return nil, fmt.Errorf("%w: name is longer than 200 bytes", actors.ErrInvalid)
	}
	if s := req.GetSettings(); s != nil && s.MaxConnectionsPerUser > 10000 {
		return nil, fmt.Errorf("%w: max_connections_per_user must be at most 10000", actors.ErrInvalid)
	}
	if s := req.GetSettings(); s != nil && s.AdminRequestsPerSecond > 1_000_000 {
		return nil, fmt.Errorf("%w: admin_requests_per_second must be at most 1000000", actors.ErrInvalid)
	}
	if t.state != nil {
		return nil, fmt.Errorf("%w: tenant %q", actors.ErrExists, t.id)
	}
	now := t.now()
	st := &spinepb.TenantState{
		ClientId:  req.ClientId,
		Name:      req.Name,
		CreatedAt: now.UnixNano(),
		Epoch:     strings.ToLower(ulid.MustNew(ulid.Timestamp(now), rand.Reader).String()),
		Secrets: &spinepb.Secrets{
			PostmarkToken:     randomToken(24),
			GraphClientState:  randomToken(24),
			GmailPushAudience: "spine:" + req.ClientId + ":" + randomToken(12),
			ReplyKey:          randomBytes(32),
		},
		Settings: req.Settings,
	}
	if st.Settings == nil {
		st.Settings = &spinepb.Settings{}
	}
	raw, err := proto.Marshal(st)
	if err != nil {
		return nil, err
	}
	audit, err := json.Marshal(AuditEntry{
		At: now.UTC().Format(time.RFC3339Nano), Actor: req.Actor, Action: "tenant.create",
		Target: req.ClientId, RequestID: req.RequestId,
	})
	if err != nil {
		return nil, err
	}
	b := &persistence.Batch{
		Conds:   []persistence.Cond{{Key: keyspace.Tenant(t.id), Absent: true}},
		Puts:    []persistence.KV{{Key: keyspace.Tenant(t.id), Value: raw}},
		Appends: []persistence.Append{{Log: keyspace.AuditLog(t.id), Value: audit}},
	}
	if _, err := t.store.Commit(ctx, b); err != nil {
		// Whatever happened, the store now says whether the tenant exists
		// (a commit that timed out may have landed after all).
		_ = t.refresh()
		if errors.Is(err, persistence.ErrConflict) {
			return nil, fmt.Errorf("%w: tenant %q", actors.ErrExists, t.id)
		}
		return nil, fmt.Errorf("%w: commit: %v", actors.ErrUnavailable, err)
	}
	t.state = st
	return st, nil
}

// AuditEntry is one row of a tenant's audit log.
type AuditEntry struct {
	At        string `json:"at"`
	Actor     string `json:"actor"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	RequestID string `json:"request_id,omitempty"`
}

// Authenticate checks a webhook credential in constant time.
func (t *Tenant) Authenticate(source, credential string) error {
	if err := t.exists(); err != nil {
		return fmt.Errorf("%w: unknown tenant", actors.ErrForbidden)
	}
	var want string
	switch source {
	case SourcePostmark:
		want = t.state.GetSecrets().GetPostmarkToken()
	case SourceGraph:
		want = t.state.GetSecrets().GetGraphClientState()
	default:
		return fmt.Errorf("%w: unknown source %q", actors.ErrInvalid, source)
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(credential)) != 1 {
		return fmt.Errorf("%w: wrong credential", actors.ErrForbidden)
	}
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	return b
}

func randomToken(n int) string { return base64.RawURLEncoding.EncodeToString(randomBytes(n)) }
