package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

var testKey = []byte("0123456789abcdef0123456789abcdef") // 32 bytes

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

func newTestAuth(t testing.TB, opts Options) (*Auth, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 500_000_000, time.UTC)}
	if opts.Key == nil {
		opts.Key = testKey
	}
	if opts.Now == nil {
		opts.Now = clk.Now
	}
	a, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return a, clk
}

func TestNew(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr error
		check   func(t *testing.T, a *Auth)
	}{
		{"defaults", Options{Key: testKey}, nil, func(t *testing.T, a *Auth) {
			if a.defaultTTL != 24*time.Hour || a.maxTTL != 30*24*time.Hour || a.now == nil {
				t.Errorf("defaults = %v %v, now set: %v", a.defaultTTL, a.maxTTL, a.now != nil)
			}
		}},
		{"custom", Options{Key: testKey, DefaultTTL: time.Hour, MaxTTL: 2 * time.Hour, Leeway: time.Second}, nil, func(t *testing.T, a *Auth) {
			if a.defaultTTL != time.Hour || a.maxTTL != 2*time.Hour {
				t.Errorf("ttl = %v %v", a.defaultTTL, a.maxTTL)
			}
		}},
		{"no key", Options{}, ErrInvalid, nil},
		{"short key", Options{Key: testKey[:31]}, ErrInvalid, nil},
		{"negative ttl", Options{Key: testKey, DefaultTTL: -1}, ErrInvalid, nil},
		{"negative max", Options{Key: testKey, MaxTTL: -1}, ErrInvalid, nil},
		{"negative leeway", Options{Key: testKey, Leeway: -1}, ErrInvalid, nil},
		{"default above max", Options{Key: testKey, DefaultTTL: 2 * time.Hour, MaxTTL: time.Hour}, ErrInvalid, nil},
		{"default above default max", Options{Key: testKey, DefaultTTL: 31 * 24 * time.Hour}, ErrInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(tt.opts)
			if !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
				t.Fatalf("New = %v, want %v", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, a)
			}
		})
	}

	t.Run("key is copied", func(t *testing.T) {
		key := append([]byte(nil), testKey...)
		a, err := New(Options{Key: key})
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := a.Issue(Claims{Sub: "u", Role: RoleOperator}, 0)
		if err != nil {
			t.Fatal(err)
		}
		key[0] ^= 0xff
		if _, err := a.Verify(tok); err != nil {
			t.Errorf("Verify after caller changed its key slice: %v", err)
		}
	})
}

func TestIssueVerifyRoundTrip(t *testing.T) {
	a, clk := newTestAuth(t, Options{})
	tests := []struct {
		name string
		c    Claims
		ttl  time.Duration
		want time.Duration // lifetime, before rounding down to seconds
	}{
		{"operator default ttl", Claims{Sub: "ops@acme", Role: RoleOperator}, 0, 24 * time.Hour},
		{"admin one hour", Claims{Sub: "ana", Role: RoleAdmin, ClientID: "acme-travel"}, time.Hour, time.Hour},
		{"agent max ttl", Claims{Sub: "agent 7 ✓", Role: RoleAgent, ClientID: "t_01"}, 30 * 24 * time.Hour, 30 * 24 * time.Hour},
		{"caller times ignored", Claims{Sub: "x", Role: RoleAgent, ClientID: "ab", IssuedAt: time.Unix(1, 0), ExpiresAt: time.Unix(2, 0)}, time.Minute, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, exp, err := a.Issue(tt.c, tt.ttl)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			wantExp := clk.t.Add(tt.want).Truncate(time.Second)
			if !exp.Equal(wantExp) || exp.Location() != time.UTC {
				t.Errorf("expiresAt = %v, want %v UTC", exp, wantExp)
			}
			got, err := a.Verify(tok)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			want := &Claims{Sub: tt.c.Sub, Role: tt.c.Role, ClientID: tt.c.ClientID,
				IssuedAt: clk.t.Truncate(time.Second), ExpiresAt: wantExp}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Verify = %+v, want %+v", got, want)
			}
		})
	}
}

// TestTokenWireFormat pins the header and the exact claim set.
func TestTokenWireFormat(t *testing.T) {
	a, clk := newTestAuth(t, Options{})
	tests := []struct {
		c        Claims
		wantKeys []string
	}{
		{Claims{Sub: "o", Role: RoleOperator}, []string{"exp", "iat", "role", "sub"}},
		{Claims{Sub: "a", Role: RoleAdmin, ClientID: "acme"}, []string{"client_id", "exp", "iat", "role", "sub"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.c.Role), func(t *testing.T) {
			tok, _, err := a.Issue(tt.c, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			parts := strings.Split(tok, ".")
			if len(parts) != 3 {
				t.Fatalf("token has %d parts", len(parts))
			}
			var header, payload map[string]any
			decodePart(t, parts[0], &header)
			decodePart(t, parts[1], &payload)
			if header["alg"] != "HS256" || header["typ"] != "JWT" || len(header) != 2 {
				t.Errorf("header = %v", header)
			}
			var keys []string
			for k := range payload {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if !reflect.DeepEqual(keys, tt.wantKeys) {
				t.Errorf("claims = %v, want exactly %v", keys, tt.wantKeys)
			}
			if payload["iat"] != float64(clk.t.Unix()) || payload["exp"] != float64(clk.t.Add(time.Hour).Unix()) {
				t.Errorf("iat/exp = %v/%v", payload["iat"], payload["exp"])
			}
		})
	}
}

func decodePart(t *testing.T, s string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

func TestIssueRejects(t *testing.T) {
	a, _ := newTestAuth(t, Options{DefaultTTL: time.Hour, MaxTTL: 2 * time.Hour})
	tests := []struct {
		name string
		c    Claims
		ttl  time.Duration
	}{
		{"unknown role", Claims{Sub: "x", Role: "root"}, 0},
		{"empty role", Claims{Sub: "x"}, 0},
		{"empty sub", Claims{Role: RoleOperator}, 0},
		{"long sub", Claims{Sub: strings.Repeat("s", MaxSubLen+1), Role: RoleOperator}, 0},
		{"control in sub", Claims{Sub: "a\nb", Role: RoleOperator}, 0},
		{"invalid utf8 sub", Claims{Sub: "a\xffb", Role: RoleOperator}, 0},
		{"operator with client", Claims{Sub: "x", Role: RoleOperator, ClientID: "acme"}, 0},
		{"admin without client", Claims{Sub: "x", Role: RoleAdmin}, 0},
		{"agent without client", Claims{Sub: "x", Role: RoleAgent}, 0},
		{"admin bad tenant id", Claims{Sub: "x", Role: RoleAdmin, ClientID: "Acme"}, 0},
		{"agent one-char tenant", Claims{Sub: "x", Role: RoleAgent, ClientID: "a"}, 0},
		{"ttl above max", Claims{Sub: "x", Role: RoleOperator}, 2*time.Hour + time.Second},
		{"negative ttl", Claims{Sub: "x", Role: RoleOperator}, -time.Second},
		{"sub-second ttl", Claims{Sub: "x", Role: RoleOperator}, time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, exp, err := a.Issue(tt.c, tt.ttl)
			if !errors.Is(err, ErrInvalid) || tok != "" || !exp.IsZero() {
				t.Errorf("Issue = %q, %v, %v; want ErrInvalid", tok, exp, err)
			}
		})
	}
	t.Run("max ttl accepted", func(t *testing.T) {
		if _, _, err := a.Issue(Claims{Sub: "x", Role: RoleOperator}, 2*time.Hour); err != nil {
			t.Errorf("Issue at MaxTTL: %v", err)
		}
	})
}

// craft builds a token from raw header and payload JSON, signed with h over
// key; a nil h gives an empty signature (alg none).
func craft(header, payload string, h func() hash.Hash, key []byte) string {
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if h == nil {
		return signing + "."
	}
	mac := hmac.New(h, key)
	mac.Write([]byte(signing))
	return signing + "." + enc.EncodeToString(mac.Sum(nil))
}

func TestVerifyRejects(t *testing.T) {
	a, clk := newTestAuth(t, Options{})
	now := clk.t.Unix()
	hs256 := `{"alg":"HS256","typ":"JWT"}`
	claims := func(extra string) string {
		return `{"sub":"ana","role":"admin","client_id":"acme","iat":` + itoa(now) + `,"exp":` + itoa(now+3600) + extra + `}`
	}
	good := craft(hs256, claims(""), sha256.New, testKey)
	if _, err := a.Verify(good); err != nil {
		t.Fatalf("hand-made good token rejected: %v", err)
	}
	issued, _, err := a.Issue(Claims{Sub: "ana", Role: RoleAdmin, ClientID: "acme"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherKey := []byte("another key of thirty-two bytes!")

	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", ErrInvalidToken},
		{"garbage", "not.a.token", ErrInvalidToken},
		{"two parts", strings.Join(strings.Split(good, ".")[:2], "."), ErrInvalidToken},
		{"four parts", good + ".x", ErrInvalidToken},
		{"too long", good + strings.Repeat("A", MaxTokenLen), ErrInvalidToken},
		{"alg none", craft(`{"alg":"none","typ":"JWT"}`, claims(""), nil, nil), ErrInvalidToken},
		{"alg None", craft(`{"alg":"None"}`, claims(""), nil, nil), ErrInvalidToken},
		{"alg none with sig", craft(`{"alg":"none"}`, claims(""), sha256.New, testKey), ErrInvalidToken},
		{"HS512 same key", craft(`{"alg":"HS512","typ":"JWT"}`, claims(""), sha512.New, testKey), ErrInvalidToken},
		{"HS384 same key", craft(`{"alg":"HS384","typ":"JWT"}`, claims(""), sha512.New384, testKey), ErrInvalidToken},
		{"RS256 header, HMAC body", craft(`{"alg":"RS256","typ":"JWT"}`, claims(""), sha256.New, testKey), ErrInvalidToken},
		{"ES256 header", craft(`{"alg":"ES256"}`, claims(""), sha256.New, testKey), ErrInvalidToken},
		{"no alg", craft(`{"typ":"JWT"}`, claims(""), sha256.New, testKey), ErrInvalidToken},
		{"other key", craft(hs256, claims(""), sha256.New, otherKey), ErrInvalidToken},
		{"tampered signature", tamper(issued, 2), ErrInvalidToken},
		{"tampered payload", swapPayload(issued, claims(`,"x":1`)), ErrInvalidToken},
		{"signature stripped", strings.Join(strings.Split(issued, ".")[:2], ".") + ".", ErrInvalidToken},
		{"non-canonical signature base64", nonCanonical(good), ErrInvalidToken},
		{"padded segments", padded(good), ErrInvalidToken},
		{"expired", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","iat":`+itoa(now-7200)+`,"exp":`+itoa(now-1)+`}`, sha256.New, testKey), ErrExpired},
		{"expired exactly now", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","iat":`+itoa(now-7200)+`,"exp":`+itoa(now)+`}`, sha256.New, testKey), ErrExpired},
		{"expired and forged", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","iat":1,"exp":2}`, sha256.New, otherKey), ErrInvalidToken},
		{"missing exp", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","iat":`+itoa(now)+`}`, sha256.New, testKey), ErrInvalidToken},
		{"null exp", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","iat":`+itoa(now)+`,"exp":null}`, sha256.New, testKey), ErrInvalidToken},
		{"non-numeric exp", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","iat":`+itoa(now)+`,"exp":"soon"}`, sha256.New, testKey), ErrInvalidToken},
		{"missing iat", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","exp":`+itoa(now+60)+`}`, sha256.New, testKey), ErrInvalidToken},
		{"iat after exp", craft(hs256, `{"sub":"ana","role":"admin","client_id":"acme","iat":`+itoa(now+120)+`,"exp":`+itoa(now+60)+`}`, sha256.New, testKey), ErrInvalidToken},
		{"wrong role", craft(hs256, strings.Replace(claims(""), `"admin"`, `"superuser"`, 1), sha256.New, testKey), ErrInvalidToken},
		{"role wrong case", craft(hs256, strings.Replace(claims(""), `"admin"`, `"Admin"`, 1), sha256.New, testKey), ErrInvalidToken},
		{"role number", craft(hs256, strings.Replace(claims(""), `"admin"`, `1`, 1), sha256.New, testKey), ErrInvalidToken},
		{"missing sub", craft(hs256, strings.Replace(claims(""), `"sub":"ana",`, ``, 1), sha256.New, testKey), ErrInvalidToken},
		{"admin without client_id", craft(hs256, strings.Replace(claims(""), `"client_id":"acme",`, ``, 1), sha256.New, testKey), ErrInvalidToken},
		{"agent with bad client_id", craft(hs256, strings.NewReplacer(`"admin"`, `"agent"`, `"acme"`, `"ACME"`).Replace(claims("")), sha256.New, testKey), ErrInvalidToken},
		{"operator with client_id", craft(hs256, strings.Replace(claims(""), `"admin"`, `"operator"`, 1), sha256.New, testKey), ErrInvalidToken},
		{"operator with empty client_id is fine", craft(hs256, `{"sub":"o","role":"operator","client_id":"","iat":`+itoa(now)+`,"exp":`+itoa(now+60)+`}`, sha256.New, testKey), nil},
		{"payload not JSON", craft(hs256, `not json`, sha256.New, testKey), ErrInvalidToken},
		{"payload array", craft(hs256, `[1,2]`, sha256.New, testKey), ErrInvalidToken},
		{"header not JSON", craft(`{alg}`, claims(""), sha256.New, testKey), ErrInvalidToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := a.Verify(tt.token)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) || c != nil {
				t.Fatalf("Verify = %+v, %v; want %v", c, err, tt.want)
			}
			if tt.want == ErrInvalidToken && errors.Is(err, ErrExpired) {
				t.Errorf("error %v is both invalid and expired", err)
			}
		})
	}
}

func TestVerifyExpiryAndLeeway(t *testing.T) {
	tests := []struct {
		name    string
		leeway  time.Duration
		advance time.Duration // after issuing a 1h token
		want    error
	}{
		{"fresh", 0, 0, nil},
		{"just before exp", 0, time.Hour - time.Second, nil},
		{"at exp", 0, time.Hour, ErrExpired},
		{"past exp", 0, 2 * time.Hour, ErrExpired},
		{"within leeway", 30 * time.Second, time.Hour + 20*time.Second, nil},
		{"past leeway", 30 * time.Second, time.Hour + 31*time.Second, ErrExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, clk := newTestAuth(t, Options{Leeway: tt.leeway})
			clk.t = clk.t.Truncate(time.Second) // exp lands exactly on the hour
			tok, _, err := a.Issue(Claims{Sub: "u", Role: RoleAgent, ClientID: "acme"}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			clk.t = clk.t.Add(tt.advance)
			_, err = a.Verify(tok)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyOtherAuthKey(t *testing.T) {
	a, _ := newTestAuth(t, Options{})
	b, _ := newTestAuth(t, Options{Key: []byte("a completely different 32B key!!")})
	tok, _, err := a.Issue(Claims{Sub: "u", Role: RoleOperator}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Verify(tok); !errors.Is(err, ErrInvalidToken) {
		t.Errorf("Verify with another key = %v, want ErrInvalidToken", err)
	}
}

func TestCanAccessAndWrite(t *testing.T) {
	tests := []struct {
		name     string
		c        *Claims
		access   map[string]bool
		canWrite bool
	}{
		{"operator", &Claims{Sub: "o", Role: RoleOperator}, map[string]bool{"acme": true, "globex": true, "": true}, true},
		{"admin", &Claims{Sub: "a", Role: RoleAdmin, ClientID: "acme"}, map[string]bool{"acme": true, "globex": false, "": false, "ACME": false, "acme ": false}, true},
		{"agent", &Claims{Sub: "g", Role: RoleAgent, ClientID: "acme"}, map[string]bool{"acme": true, "globex": false, "": false}, false},
		{"admin with empty client (never verified)", &Claims{Sub: "a", Role: RoleAdmin}, map[string]bool{"": false, "acme": false}, true},
		{"unknown role", &Claims{Sub: "x", Role: "root", ClientID: "acme"}, map[string]bool{"acme": false, "globex": false}, false},
		{"nil", nil, map[string]bool{"acme": false, "": false}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for cid, want := range tt.access {
				if got := tt.c.CanAccess(cid); got != want {
					t.Errorf("CanAccess(%q) = %v, want %v", cid, got, want)
				}
			}
			if got := tt.c.CanWrite(); got != tt.canWrite {
				t.Errorf("CanWrite() = %v, want %v", got, tt.canWrite)
			}
		})
	}
}

func TestValidTenantID(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"acme", true},
		{"ab", true},
		{"a1", true},
		{"0-travel_co", true},
		{"a" + strings.Repeat("b", 62), true},
		{"a" + strings.Repeat("b", 63), false},
		{"a", false},
		{"", false},
		{"-acme", false},
		{"_acme", false},
		{"Acme", false},
		{"ac me", false},
		{"acme.travel", false},
		{"acme/..", false},
		{"acmé", false},
		{"acme\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			if got := ValidTenantID(tt.id); got != tt.want {
				t.Errorf("ValidTenantID(%q) = %v, want %v", tt.id, got, tt.want)
			}
		})
	}
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

// tamper flips one character of the signature.
func tamper(tok string, i int) string {
	b := []byte(tok)
	j := strings.LastIndexByte(tok, '.') + 1 + i
	if b[j] == 'A' {
		b[j] = 'B'
	} else {
		b[j] = 'A'
	}
	return string(b)
}

// swapPayload keeps the header and signature of tok with another payload.
func swapPayload(tok, payload string) string {
	p := strings.Split(tok, ".")
	p[1] = base64.RawURLEncoding.EncodeToString([]byte(payload))
	return strings.Join(p, ".")
}

// nonCanonical changes the unused low bits of the signature's last base64
// character: the same bytes with a different encoding.
func nonCanonical(tok string) string {
	b := []byte(tok)
	last := len(b) - 1
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, b[last])
	b[last] = alphabet[v^1] // a 32-byte MAC leaves 2 unused bits in the last char
	return string(b)
}

// padded adds base64 padding to the signature.
func padded(tok string) string { return tok + "=" }

// TestConcurrentUse runs Issue and Verify on one Auth from many goroutines;
// with -race it checks the concurrency contract in the package doc.
func TestConcurrentUse(t *testing.T) {
	a, err := New(Options{Key: testKey})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			c := Claims{Sub: "u" + itoa(int64(i)), Role: RoleAgent, ClientID: "acme"}
			for range 50 {
				tok, _, err := a.Issue(c, time.Minute)
				if err == nil {
					var got *Claims
					if got, err = a.Verify(tok); err == nil && got.Sub != c.Sub {
						err = errors.New("sub mixed up between goroutines")
					}
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
		t.Error(err)
	}
}
