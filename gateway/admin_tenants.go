package gateway

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/gateway/auth"
	"github.com/valyala/fasthttp"
)

// TenantSettings is the settings object of the tenant API.
type TenantSettings struct {
	MaxConnectionsPerUser  uint32 `json:"max_connections_per_user,omitempty"`
	AdminRequestsPerSecond uint32 `json:"admin_requests_per_second,omitempty"`
}

// TenantSecrets are a tenant's webhook credentials.
type TenantSecrets struct {
	PostmarkToken     string `json:"postmark_token"`
	GraphClientState  string `json:"graph_client_state"`
	GmailPushAudience string `json:"gmail_push_audience"`
}

// TenantView is a tenant as the API shows it. Secrets are shown to tokens
// that may write (operator, the tenant's admins).
type TenantView struct {
	ClientID  string            `json:"client_id"`
	Name      string            `json:"name"`
	CreatedAt string            `json:"created_at"`
	Epoch     string            `json:"epoch"`
	Settings  TenantSettings    `json:"settings"`
	Secrets   *TenantSecrets    `json:"secrets,omitempty"`
	Webhooks  map[string]string `json:"webhooks,omitempty"`
}

func tenantView(st *spinepb.TenantState, withSecrets bool) TenantView {
	v := TenantView{
		ClientID: st.ClientId, Name: st.Name, Epoch: st.Epoch,
		CreatedAt: time.Unix(0, st.CreatedAt).UTC().Format(time.RFC3339Nano),
		Settings: TenantSettings{
			MaxConnectionsPerUser:  st.GetSettings().GetMaxConnectionsPerUser(),
			AdminRequestsPerSecond: st.GetSettings().GetAdminRequestsPerSecond(),
		},
	}
	if withSecrets {
		sec := st.GetSecrets()
		v.Secrets = &TenantSecrets{PostmarkToken: sec.GetPostmarkToken(), GraphClientState: sec.GetGraphClientState(), GmailPushAudience: sec.GetGmailPushAudience()}
		v.Webhooks = map[string]string{"postmark": "/webhooks/postmark/" + st.ClientId + "/" + sec.GetPostmarkToken()}
	}
	return v
}

type createTenantRequest struct {
	ClientID string         `json:"client_id"`
	Name     string         `json:"name"`
	Settings TenantSettings `json:"settings"`
}

// POST /admin/clients (operator).
func (s *Server) createTenant(ctx *fasthttp.RequestCtx, c *auth.Claims) {
	if c.Role != auth.RoleOperator {
		writeProblem(ctx, fmt.Errorf("%w: only operators create tenants", errForbiddenScope))
		return
	}
	var req createTenantRequest
	if err := readJSON(ctx, &req); err != nil {
		writeProblem(ctx, err)
		return
	}
	if !auth.ValidTenantID(req.ClientID) {
		writeProblem(ctx, fmt.Errorf("%w: client_id must match ^[a-z0-9][a-z0-9_-]{1,62}$", actors.ErrInvalid))
		return
	}
	rid, _ := ctx.UserValue(requestIDKey).(string)
	st, err := s.opts.Member.Tenant(req.ClientID).Create(&spinepb.CreateTenant{
		ClientId: req.ClientID, Name: req.Name, Actor: c.Sub, RequestId: rid,
		Settings: &spinepb.Settings{
			MaxConnectionsPerUser:  req.Settings.MaxConnectionsPerUser,
			AdminRequestsPerSecond: req.Settings.AdminRequestsPerSecond,
		},
	})
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	ctx.Response.Header.Set("Location", "/admin/clients/"+st.ClientId)
	writeJSON(ctx, fasthttp.StatusCreated, tenantView(st, true))
}

// GET /admin/clients/{cid}.
func (s *Server) getTenant(ctx *fasthttp.RequestCtx, c *auth.Claims, cid string) {
	st, err := s.opts.Member.Tenant(cid).Get()
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, tenantView(st, c.CanWrite()))
}

type issueTokenRequest struct {
	Sub  string          `json:"sub"`
	Role auth.Role       `json:"role"`
	TTL  json.RawMessage `json:"ttl"`
}

type issueTokenResponse struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
	Sub       string `json:"sub"`
	Role      string `json:"role"`
	ClientID  string `json:"client_id"`
}

// POST /admin/clients/{cid}/tokens (operator, or an admin of the tenant):
// a token for any sub of this tenant, so consoles and load testers can act
// as many users.
func (s *Server) issueToken(ctx *fasthttp.RequestCtx, c *auth.Claims, cid string) {
	var req issueTokenRequest
	if err := readJSON(ctx, &req); err != nil {
		writeProblem(ctx, err)
		return
	}
	if req.Role == "" {
		req.Role = auth.RoleAgent
	}
	if req.Role == auth.RoleOperator {
		writeProblem(ctx, fmt.Errorf("%w: operator tokens are minted with `spine token`", actors.ErrInvalid))
		return
	}
	ttl, err := parseTTL(req.TTL)
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	if _, err := s.opts.Member.Tenant(cid).Get(); err != nil {
		writeProblem(ctx, err)
		return
	}
	tok, exp, err := s.opts.Auth.Issue(auth.Claims{Sub: req.Sub, Role: req.Role, ClientID: cid}, ttl)
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	writeJSON(ctx, fasthttp.StatusCreated, issueTokenResponse{
		Token: tok, ExpiresAt: exp.UTC().Format(time.RFC3339), Sub: req.Sub, Role: string(req.Role), ClientID: cid,
	})
}

// parseTTL accepts a Go duration string ("90m") or a number of seconds.
func parseTTL(raw json.RawMessage) (time.Duration, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal(raw, &str); err != nil {
			return 0, fmt.Errorf("%w: ttl", actors.ErrInvalid)
		}
		d, err := time.ParseDuration(str)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("%w: ttl must be a positive duration like \"24h\"", actors.ErrInvalid)
		}
		return d, nil
	}
	n, err := strconv.ParseFloat(s, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: ttl must be a positive number of seconds or a duration", actors.ErrInvalid)
	}
	return time.Duration(n * float64(time.Second)), nil
}

// POST /admin/runtime/gc (operator): collect garbage, return memory to the
// OS and report the process's memory, so load testers can measure memory
// per socket.
func (s *Server) runtimeGC(ctx *fasthttp.RequestCtx, c *auth.Claims) {
	if c.Role != auth.RoleOperator {
		writeProblem(ctx, fmt.Errorf("%w: operators only", errForbiddenScope))
		return
	}
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	rss, err := residentBytes()
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, map[string]any{
		"rss_bytes": rss, "heap_inuse_bytes": ms.HeapInuse, "goroutines": runtime.NumGoroutine(),
		"sockets": s.hub.Count(),
	})
}
