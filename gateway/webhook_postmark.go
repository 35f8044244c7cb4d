package gateway

import (
	"errors"
	"fmt"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/actors/tenants"
	"github.com/casespine/spine/gateway/auth"
	"github.com/casespine/spine/gateway/postmark"
	"github.com/valyala/fasthttp"
)

// maxRedirects bounds how often one delivery follows a REDIRECT (a message
// that raced into another case).
const maxRedirects = 3

type intakeResponse struct {
	Status    string `json:"status"`
	CaseID    string `json:"case_id"`
	MessageID string `json:"message_id"`
}

// POST /webhooks/postmark/{cid}/{token}: Postmark inbound. The answer is
// exactly 200 once the message is durably in its case (or was already);
// 403 for an unknown tenant or a wrong token, which stops Postmark's
// retries; 400 for a body that is not a Postmark message; 5xx for temporary
// failures, which Postmark retries.
func (s *Server) postmark(ctx *fasthttp.RequestCtx) {
	cid, _ := ctx.UserValue("cid").(string)
	token, _ := ctx.UserValue("token").(string)
	if !auth.ValidTenantID(cid) {
		s.webhookFail(ctx, tenants.SourcePostmark, fmt.Errorf("%w: unknown tenant", actors.ErrForbidden))
		return
	}
	// Parse copies everything it keeps out of fasthttp's request memory.
	m, err := postmark.Parse(ctx.PostBody())
	if err != nil {
		s.webhookFail(ctx, tenants.SourcePostmark, err)
		return
	}
	hash := m.MailboxHash
	for _, a := range append(append([]postmark.Address{}, m.To...), m.Cc...) {
		if hash == "" {
			hash = a.MailboxHash
		}
	}
	root := m.ThreadRoot()
	r, err := s.opts.Member.Tenant(cid).Resolve(&spinepb.ResolveInbound{
		Source: tenants.SourcePostmark, Credential: token,
		SourceMessageId: m.MessageID, RfcMessageId: m.RFCMessageID, InReplyTo: m.InReplyTo,
		References: m.References, MailboxHash: hash, ThreadRoot: root,
	})
	if err != nil {
		s.webhookFail(ctx, tenants.SourcePostmark, err)
		return
	}
	in := &spinepb.Inbound{
		ClientId: cid, CaseId: r.CaseId, Source: tenants.SourcePostmark,
		SourceMessageId: m.MessageID, RfcMessageId: m.RFCMessageID, InReplyTo: m.InReplyTo, References: m.References,
		From: address(m.From), To: addresses(m.To), Cc: addresses(m.Cc),
		Subject: m.Subject, Text: m.TextBody, Html: m.HtmlBody, MailboxHash: hash, ThreadRoot: root,
	}
	if !m.DateParsed.IsZero() {
		in.SentAt = m.DateParsed.UnixNano()
	}
	for _, a := range m.Attachments {
		in.Attachments = append(in.Attachments, &spinepb.Attachment{
			Name: a.Name, ContentType: a.ContentType, ContentId: a.ContentID, Size: int64(len(a.Content)), Content: a.Content,
		})
	}
	ack, err := s.deliver(in)
	if err != nil {
		s.webhookFail(ctx, tenants.SourcePostmark, err)
		return
	}
	status := outcomeName(ack.Outcome)
	s.opts.Metrics.WebhookOutcomes.WithLabelValues(tenants.SourcePostmark, status).Inc()
	writeJSON(ctx, fasthttp.StatusOK, intakeResponse{Status: status, CaseID: ack.CaseId, MessageID: ack.MessageId})
}

// deliver hands a message to its case, following redirects.
func (s *Server) deliver(in *spinepb.Inbound) (*spinepb.DeliverAck, error) {
	for hop := 0; ; hop++ {
		ack, err := s.opts.Member.Case(in.ClientId, in.CaseId).Deliver(in)
		if err != nil {
			return nil, err
		}
		if ack.Outcome != spinepb.DeliverAck_REDIRECT {
			return ack, nil
		}
		if hop == maxRedirects || ack.CaseId == "" || ack.CaseId == in.CaseId {
			return nil, fmt.Errorf("%w: message keeps moving between cases", actors.ErrContention)
		}
		in.CaseId = ack.CaseId
	}
}

func (s *Server) webhookFail(ctx *fasthttp.RequestCtx, source string, err error) {
	outcome := "error"
	switch {
	case errors.Is(err, actors.ErrForbidden):
		outcome = "forbidden"
	case errors.Is(err, postmark.ErrMalformed), errors.Is(err, postmark.ErrInvalid), errors.Is(err, actors.ErrInvalid):
		outcome = "invalid"
	}
	s.opts.Metrics.WebhookOutcomes.WithLabelValues(source, outcome).Inc()
	writeProblem(ctx, err)
}

func outcomeName(o spinepb.DeliverAck_Outcome) string {
	switch o {
	case spinepb.DeliverAck_CREATED:
		return "created"
	case spinepb.DeliverAck_UPDATED:
		return "updated"
	case spinepb.DeliverAck_DUPLICATE:
		return "duplicate"
	}
	return "unknown"
}

func address(a postmark.Address) *spinepb.Address {
	return &spinepb.Address{Email: a.Email, Name: a.Name}
}

func addresses(as []postmark.Address) []*spinepb.Address {
	out := make([]*spinepb.Address, 0, len(as))
	for _, a := range as {
		out = append(out, address(a))
	}
	return out
}
