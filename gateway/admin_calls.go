package gateway

import (
	"fmt"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/calls"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/gateway/auth"
	"github.com/oklog/ulid/v2"
	"github.com/valyala/fasthttp"
)

type startCallRequest struct {
	CallID    string `json:"call_id"`
	Direction string `json:"direction"`
	From      string `json:"from"`
	To        string `json:"to"`
	CaseID    string `json:"case_id"`
}

// POST /admin/clients/{cid}/calls: start a call (the telephony side's call
// id makes it idempotent: 201 when started, 200 when it existed).
func (s *Server) startCall(ctx *fasthttp.RequestCtx, c *auth.Claims, cid string) {
	var req startCallRequest
	if err := readJSON(ctx, &req); err != nil {
		writeProblem(ctx, err)
		return
	}
	if req.CallID == "" {
		req.CallID = "call_" + ulid.Make().String()
	}
	if !calls.ValidID(req.CallID) {
		writeProblem(ctx, fmt.Errorf("%w: call_id: letters, digits and ._:- up to 128", actors.ErrInvalid))
		return
	}
	if req.Direction == "" {
		req.Direction = calls.DirectionInbound
	}
	rid, _ := ctx.UserValue(requestIDKey).(string)
	r, err := s.opts.Member.Call(cid, req.CallID).Start(&spinepb.StartCall{
		ClientId: cid, CallId: req.CallID, Direction: req.Direction, From: req.From, To: req.To, CaseId: req.CaseID,
		Actor: c.Sub, RequestId: rid,
	})
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	status := fasthttp.StatusOK
	if r.Changed {
		status = fasthttp.StatusCreated
		ctx.Response.Header.Set("Location", "/admin/clients/"+cid+"/calls/"+req.CallID)
	}
	writeJSON(ctx, status, calls.ViewOf(r.Call))
}

type endCallRequest struct {
	Reason string `json:"reason"`
}

// transition returns the handler of POST .../calls/{call_id}/{active|end}.
func (s *Server) transition(to string) func(*fasthttp.RequestCtx, *auth.Claims, string) {
	return func(ctx *fasthttp.RequestCtx, c *auth.Claims, cid string) {
		var req endCallRequest
		if len(ctx.PostBody()) > 0 {
			if err := readJSON(ctx, &req); err != nil {
				writeProblem(ctx, err)
				return
			}
		}
		callID, _ := ctx.UserValue("call_id").(string)
		if !calls.ValidID(callID) {
			writeProblem(ctx, fmt.Errorf("%w: call %q", actors.ErrNotFound, callID))
			return
		}
		rid, _ := ctx.UserValue(requestIDKey).(string)
		r, err := s.opts.Member.Call(cid, callID).Transition(&spinepb.CallTransition{
			ClientId: cid, CallId: callID, To: to, EndReason: req.Reason, Actor: c.Sub, RequestId: rid,
		})
		if err != nil {
			writeProblem(ctx, err)
			return
		}
		writeJSON(ctx, fasthttp.StatusOK, calls.ViewOf(r.Call))
	}
}

// GET /admin/clients/{cid}/calls/{call_id}.
func (s *Server) getCall(ctx *fasthttp.RequestCtx, _ *auth.Claims, cid string) {
	callID, _ := ctx.UserValue("call_id").(string)
	v, err := calls.Get(s.opts.Store, cid, callID)
	if err != nil {
		writeProblem(ctx, err)
		return
	}
	writeJSON(ctx, fasthttp.StatusOK, v)
}
