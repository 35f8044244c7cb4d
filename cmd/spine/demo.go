package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/casespine/spine/actors"
	"github.com/casespine/spine/actors/spinepb"
	"github.com/casespine/spine/gateway/auth"
)

const demoTenant = "demo"

// printDemo creates the demo tenant on first start and prints what a
// newcomer needs: the tenant id, an admin token and curl lines.
func (n *node) printDemo(w io.Writer) error {
	t := n.member.Tenant(demoTenant)
	st, err := t.Get()
	if errors.Is(err, actors.ErrNotFound) {
		st, err = t.Create(&spinepb.CreateTenant{ClientId: demoTenant, Name: "Demo travel desk", Actor: "spine-demo"})
	}
	if err != nil {
		return err
	}
	tok, exp, err := n.auth.Issue(auth.Claims{Sub: "demo-admin", Role: auth.RoleAdmin, ClientID: demoTenant}, 0)
	if err != nil {
		return err
	}
	host, port, _ := net.SplitHostPort(n.ln.Addr().String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "127.0.0.1"
	}
	base := "http://" + net.JoinHostPort(host, port)
	hook := base + "/webhooks/postmark/" + demoTenant + "/" + st.GetSecrets().GetPostmarkToken()
	r := strings.NewReplacer("{BASE}", base, "{HOOK}", hook, "{TOKEN}", tok, "{CID}", demoTenant,
		"{WS}", strings.Replace(base, "http://", "ws://", 1))
	fmt.Fprint(w, r.Replace(`
Spine is running at {BASE}

  tenant id:   {CID}
  admin token: {TOKEN}
`))
	fmt.Fprintf(w, "  (expires %s)\n", exp.UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprint(w, r.Replace(`
Post a Postmark-shaped test message:

  curl -sS -X POST '{HOOK}' -H 'Content-Type: application/json' -d '{
    "MessageID": "demo-0001", "From": "ana@example.com", "FromName": "Ana Ruiz",
    "FromFull": {"Email": "ana@example.com", "Name": "Ana Ruiz", "MailboxHash": ""},
    "To": "support@inbound.example.com",
    "ToFull": [{"Email": "support@inbound.example.com", "Name": "", "MailboxHash": ""}],
    "Subject": "Change my flight to Lisbon", "TextBody": "Hi, can I move my booking ABC123 to Friday?",
    "Headers": [{"Name": "Message-ID", "Value": "<demo-0001@example.com>"}]
  }'

List cases:

  curl -sS {BASE}/admin/clients/{CID}/cases -H 'Authorization: Bearer {TOKEN}'

Open the live event socket (any WebSocket client, e.g. websocat):

  websocat '{WS}/admin/clients/{CID}/events?access_token={TOKEN}'

`))
	return nil
}
