package tenants

import (
	"time"

	"github.com/casespine/spine/actors/spinepb"
)

// bucket is a token bucket: rate tokens a second, holding at most burst.
type bucket struct {
	tokens float64
	last   time.Time
}

// Admit takes one admin API request from the tenant's rate: the tenant's
// setting, else the request's default (0: unlimited). Bursts of twice the
// rate are allowed. The bucket lives in memory: a restarted actor starts
// full, which errs on the side of serving.
func (t *Tenant) Admit(req *spinepb.Admit) *spinepb.AdmitReply {
	rate := float64(req.DefaultRate)
	if t.state != nil && t.state.GetSettings().GetAdminRequestsPerSecond() != 0 {
		rate = float64(t.state.GetSettings().GetAdminRequestsPerSecond())
	}
	if rate <= 0 {
		return &spinepb.AdmitReply{Allowed: true}
	}
	burst := 2 * rate
	now := t.now()
	b := &t.rate
	if b.last.IsZero() {
		b.tokens = burst
	} else {
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return &spinepb.AdmitReply{Allowed: true}
	}
	wait := time.Duration((1 - b.tokens) / rate * float64(time.Second))
	return &spinepb.AdmitReply{Allowed: false, RetryAfterMs: max(wait.Milliseconds(), 1)}
}
