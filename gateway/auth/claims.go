package auth

import (
	"time"
	"unicode/utf8"
)

// Role is what a token may do.
type Role string

// The roles. See the package documentation.
const (
	RoleOperator Role = "operator"
	RoleAdmin    Role = "admin"
	RoleAgent    Role = "agent"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	return r == RoleOperator || r == RoleAdmin || r == RoleAgent
}

// MaxSubLen is the longest sub, in bytes, that Issue accepts and Verify
// returns.
const MaxSubLen = 256

// Claims are the verified contents of a token.
type Claims struct {
	// Sub is who the token acts as (a user id); connection caps are keyed
	// on (ClientID, Sub).
	Sub  string
	Role Role
	// ClientID is the tenant the token is bound to; "" for operator.
	ClientID string
	// IssuedAt and ExpiresAt are the token's iat and exp, whole seconds,
	// UTC. Issue ignores what the caller puts here.
	IssuedAt, ExpiresAt time.Time
}

// CanAccess reports whether the token may act on tenant clientID: operator
// tokens reach every tenant, the others only their own. A nil receiver, an
// unknown role or an empty clientID for a tenant-bound role is false.
func (c *Claims) CanAccess(clientID string) bool {
	if c == nil {
		return false
	}
	switch c.Role {
	case RoleOperator:
		return true
	case RoleAdmin, RoleAgent:
		return c.ClientID != "" && c.ClientID == clientID
	default:
		return false
	}
}

// CanWrite reports whether the token may change things (operator, admin);
// agents read and watch live events only. It says nothing about which
// tenant: check CanAccess as well.
func (c *Claims) CanWrite() bool {
	return c != nil && (c.Role == RoleOperator || c.Role == RoleAdmin)
}

// ValidTenantID reports whether id is a well-formed tenant id:
// ^[a-z0-9][a-z0-9_-]{1,62}$ (2 to 63 bytes).
func ValidTenantID(id string) bool {
	if len(id) < 2 || len(id) > 63 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '_' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// checkClaims applies the claim rules shared by Issue and Verify and returns
// a short reason, "" when the claims are acceptable.
func checkClaims(sub string, role Role, clientID string) string {
	switch {
	case !role.Valid():
		return "unknown role"
	case sub == "":
		return "sub is empty"
	case len(sub) > MaxSubLen:
		return "sub is too long"
	case !utf8.ValidString(sub) || hasControl(sub):
		return "sub has control characters or invalid UTF-8"
	case role == RoleOperator && clientID != "":
		return "operator token must not have a client_id"
	case role != RoleOperator && clientID == "":
		return "client_id is required for role " + string(role)
	case role != RoleOperator && !ValidTenantID(clientID):
		return "client_id is not a valid tenant id"
	}
	return ""
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
