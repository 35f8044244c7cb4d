package spineapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Options configures a Client. Zero fields take the documented defaults.
type Options struct {
	// BaseURL is the node's base URL, e.g. http://127.0.0.1:8080. Required.
	BaseURL string
	// Timeout bounds one HTTP exchange. Default 30s.
	Timeout time.Duration
	// Attempts bounds how often a request is tried when it meets 429, or,
	// for reads, a 502/503/504 or a transport error. Default 8.
	Attempts int
	// MaxRetryAfter caps the wait honoured from a Retry-After header.
	// Default 5s.
	MaxRetryAfter time.Duration
	// MaxConns bounds connections to the node. Default 64.
	MaxConns int
}

// Client talks to one node's admin API.
type Client struct {
	base *url.URL
	o    Options
	http *http.Client
}

// New returns a client for the node at o.BaseURL.
func New(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(o.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("spineapi: base URL %q must be http(s)://host[:port]", o.BaseURL)
	}
	if o.Timeout == 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Attempts == 0 {
		o.Attempts = 8
	}
	if o.MaxRetryAfter == 0 {
		o.MaxRetryAfter = 5 * time.Second
	}
	if o.MaxConns == 0 {
		o.MaxConns = 64
	}
	tr := &http.Transport{
		Proxy:               nil, // bench traffic goes to the target only
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        o.MaxConns,
		MaxIdleConnsPerHost: o.MaxConns,
		MaxConnsPerHost:     o.MaxConns,
		IdleConnTimeout:     time.Minute,
		ForceAttemptHTTP2:   false,
	}
	return &Client{base: u, o: o, http: &http.Client{Transport: tr, Timeout: o.Timeout}}, nil
}

// BaseURL returns the node's base URL.
func (c *Client) BaseURL() *url.URL { u := *c.base; return &u }

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Ready reports whether GET /readyz answers 200.
func (c *Client) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+"/readyz", nil)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("readyz: %d", resp.StatusCode)
	}
	return nil
}

// CreateTenant creates a tenant (operator token).
func (c *Client) CreateTenant(ctx context.Context, token string, r TenantRequest) (*Tenant, error) {
	var t Tenant
	if err := c.do(ctx, http.MethodPost, "/admin/clients", nil, token, r, &t, http.StatusCreated); err != nil {
		return nil, err
	}
	return &t, nil
}

// MintToken issues a token for a user of tenant cid.
func (c *Client) MintToken(ctx context.Context, token, cid string, r TokenRequest) (*Token, error) {
	var t Token
	if err := c.do(ctx, http.MethodPost, "/admin/clients/"+url.PathEscape(cid)+"/tokens", nil, token, r, &t, http.StatusCreated); err != nil {
		return nil, err
	}
	return &t, nil
}

// ListCases reads one page of a tenant's cases, newest first.
func (c *Client) ListCases(ctx context.Context, token, cid string, limit int, cursor string) (*CaseList, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	var l CaseList
	if err := c.do(ctx, http.MethodGet, "/admin/clients/"+url.PathEscape(cid)+"/cases", q, token, nil, &l, http.StatusOK); err != nil {
		return nil, err
	}
	return &l, nil
}

// GetCase reads one case with its messages.
func (c *Client) GetCase(ctx context.Context, token, cid, caseID string) (*Case, error) {
	var k Case
	if err := c.do(ctx, http.MethodGet, "/admin/clients/"+url.PathEscape(cid)+"/cases/"+url.PathEscape(caseID), nil, token, nil, &k, http.StatusOK); err != nil {
		return nil, err
	}
	return &k, nil
}

// EventLog reads one page of a tenant's event log after an offset; an
// empty after reads from the start.
func (c *Client) EventLog(ctx context.Context, token, cid, after string, limit int) (*EventLogPage, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	var p EventLogPage
	if err := c.do(ctx, http.MethodGet, "/admin/clients/"+url.PathEscape(cid)+"/event-log", q, token, nil, &p, http.StatusOK); err != nil {
		return nil, err
	}
	return &p, nil
}

// RuntimeGC asks the node to collect garbage and report its memory.
func (c *Client) RuntimeGC(ctx context.Context, token string) (*RuntimeStats, error) {
	var s RuntimeStats
	if err := c.do(ctx, http.MethodPost, "/admin/runtime/gc", nil, token, nil, &s, http.StatusOK); err != nil {
		return nil, err
	}
	return &s, nil
}

// Metrics returns the node's Prometheus text.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.String()+"/metrics", nil)
	if err != nil {
		return "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("metrics: %d", resp.StatusCode)
	}
	return string(b), nil
}

// do performs one API call with the retry policy of the package doc.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, token string, in, out any, want int) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	u := c.base.String() + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	idempotent := method == http.MethodGet
	var last error
	for attempt := 1; attempt <= c.o.Attempts; attempt++ {
		wait, err := c.once(ctx, method, u, path, token, body, out, want)
		if err == nil {
			return nil
		}
		last = err
		var p *Problem
		retry := false
		switch {
		case errors.As(err, &p) && p.Status == http.StatusTooManyRequests:
			retry = true
		case errors.As(err, &p) && idempotent && (p.Status == 502 || p.Status == 503 || p.Status == 504):
			retry = true
		case !errors.As(err, &p) && idempotent && ctx.Err() == nil:
			retry = true // transport error on a read
		}
		if !retry || attempt == c.o.Attempts {
			break
		}
		if wait <= 0 {
			wait = time.Duration(attempt) * 100 * time.Millisecond
		}
		wait = min(wait, c.o.MaxRetryAfter)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	return last
}

func (c *Client) once(ctx context.Context, method, u, path, token string, body []byte, out any, want int) (time.Duration, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return 0, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	if resp.StatusCode != want {
		p := &Problem{Method: method, Path: path, Status: resp.StatusCode}
		if err := json.Unmarshal(b, p); err != nil || (p.Title == "" && p.Detail == "") {
			p.Body = string(b)
		}
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			if s, err := strconv.Atoi(ra); err == nil {
				p.RetryAfter = time.Duration(s) * time.Second
			}
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			// A different success status is a contract mismatch; report it
			// as such rather than retrying.
			return 0, fmt.Errorf("%s %s: answered %d, the contract says %d: %s", method, path, resp.StatusCode, want, truncate(b))
		}
		return p.RetryAfter, p
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return 0, fmt.Errorf("%s %s: decode answer: %w: %s", method, path, err, truncate(b))
		}
	}
	return 0, nil
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "..."
	}
	return string(b)
}
