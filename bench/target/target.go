package target

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/casespine/spine/bench/spineapi"
)

// Kind tells a Spine node from the baseline server.
type Kind string

// Kinds of target.
const (
	KindSpine    Kind = "spine"
	KindBaseline Kind = "baseline"
)

// ErrUnsupported is returned for an operation the target cannot do (the
// baseline has no admin API).
var ErrUnsupported = errors.New("target: not supported by this target")

// Target is a server under test.
type Target struct {
	Kind          Kind
	BaseURL       *url.URL
	OperatorToken string
	API           *spineapi.Client
	// Proc is the process spine-bench started, nil for a remote target.
	Proc *Process
	// DebugURL is the node's pprof listener, when spine-bench started it
	// with one.
	DebugURL string
}

// Info is the target's description in the run document (no secrets).
type Info struct {
	Kind     Kind   `json:"kind"`
	URL      string `json:"url"`
	Embedded bool   `json:"embedded"`
	PID      int    `json:"pid,omitempty"`
	Binary   string `json:"binary,omitempty"`
	DataDir  string `json:"data_dir,omitempty"`
	LogPath  string `json:"log_path,omitempty"`
}

// Info describes the target.
func (t *Target) Info() Info {
	i := Info{Kind: t.Kind, URL: t.BaseURL.String()}
	if t.Proc != nil {
		i.Embedded = true
		i.PID = t.Proc.PID()
		i.Binary = t.Proc.Binary
		i.DataDir = t.Proc.DataDir
		i.LogPath = t.Proc.LogPath
	}
	return i
}

// Remote connects to a running node.
func Remote(baseURL, operatorToken string) (*Target, error) {
	api, err := spineapi.New(spineapi.Options{BaseURL: baseURL})
	if err != nil {
		return nil, err
	}
	return &Target{Kind: KindSpine, BaseURL: api.BaseURL(), OperatorToken: operatorToken, API: api}, nil
}

// RemoteBaseline points at a baseline server that is already running.
func RemoteBaseline(baseURL string) (*Target, error) {
	t, err := Remote(baseURL, "")
	if err != nil {
		return nil, err
	}
	t.Kind = KindBaseline
	return t, nil
}

// Close stops the process the target owns, if any.
func (t *Target) Close(ctx context.Context) error {
	if t.API != nil {
		t.API.Close()
	}
	if t.Proc == nil {
		return nil
	}
	return t.Proc.Stop(ctx)
}

// Tenant is a bench tenant with its webhook secret and its users.
type Tenant struct {
	Index         int
	ID            string
	PostmarkToken string
	// Users holds minted user tokens, in sub order.
	Users []User
}

// User is one minted identity of a tenant.
type User struct {
	Sub   string
	Role  string
	Token string
}

// WebhookPath is the tenant's Postmark inbound route.
func (tn *Tenant) WebhookPath() string {
	return "/webhooks/postmark/" + url.PathEscape(tn.ID) + "/" + url.PathEscape(tn.PostmarkToken)
}

// NewRunTag returns a short random tag (lowercase base36) that keeps one
// run's tenant ids apart from every other run's on the same node.
func NewRunTag() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	for i := range b {
		b[i] = alphabet[rand.IntN(len(alphabet))]
	}
	return string(b)
}

// TenantID builds a valid tenant id: bench-<tag>-<phase>-<i>.
func TenantID(tag, phase string, i int) string {
	id := "bench-" + tag + "-" + phase + "-" + strconv.Itoa(i)
	if len(id) > 63 {
		id = id[:63]
	}
	return strings.ToLower(id)
}

// CreateTenants provisions n tenants named after tag and phase. settings
// go into each tenant's settings (e.g. max_connections_per_user). The
// baseline gets synthetic tenants without any request.
func (t *Target) CreateTenants(ctx context.Context, tag, phase string, n int, settings map[string]any) ([]*Tenant, error) {
	out := make([]*Tenant, n)
	for i := range n {
		id := TenantID(tag, phase, i)
		if t.Kind == KindBaseline {
			out[i] = &Tenant{Index: i, ID: id, PostmarkToken: "baseline"}
			continue
		}
		tn, err := t.API.CreateTenant(ctx, t.OperatorToken, spineapi.TenantRequest{
			ClientID: id, Name: "spine-bench " + tag + " " + phase + " " + strconv.Itoa(i), Settings: settings,
		})
		if err != nil {
			return nil, fmt.Errorf("create tenant %s: %w", id, err)
		}
		if tn.Secrets.PostmarkToken == "" {
			return nil, fmt.Errorf("create tenant %s: contract mismatch: answer has no secrets.postmark_token", id)
		}
		out[i] = &Tenant{Index: i, ID: id, PostmarkToken: tn.Secrets.PostmarkToken}
	}
	return out, nil
}

// MintUsers mints n user tokens for tenant tn (subs user-0 ... user-n-1),
// parallel requests at a time, and appends them to tn.Users.
func (t *Target) MintUsers(ctx context.Context, tn *Tenant, n int, role, ttl string, parallel int) error {
	if t.Kind == KindBaseline {
		return ErrUnsupported
	}
	if parallel <= 0 {
		parallel = 8
	}
	users := make([]User, n)
	errs := make(chan error, n)
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i := range n {
		sem <- struct{}{}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			sub := "user-" + strconv.Itoa(i)
			tok, err := t.API.MintToken(ctx, t.OperatorToken, tn.ID, spineapi.TokenRequest{Sub: sub, Role: role, TTL: ttl})
			if err != nil {
				errs <- fmt.Errorf("mint token for %s/%s: %w", tn.ID, sub, err)
				return
			}
			users[i] = User{Sub: sub, Role: role, Token: tok.Token}
		}(i)
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	tn.Users = append(tn.Users, users...)
	return nil
}

// WaitReady polls GET /readyz until it answers 200, the deadline passes or
// the process (if any) exits.
func (t *Target) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if t.Proc != nil {
			if err := t.Proc.Exited(); err != nil {
				return fmt.Errorf("%s exited before it was ready: %w\n%s", t.Kind, err, t.Proc.LogTail(20))
			}
		}
		if last = t.API.Ready(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s at %s not ready after %s: %w", t.Kind, t.BaseURL, timeout, last)
		case <-tick.C:
		}
	}
}
