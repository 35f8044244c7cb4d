package live

// Close codes of the live event socket. The table is the contract clients
// rely on (see the README).
const (
	CloseGoingAway    = 1001 // the server is shutting down
	CloseTokenInvalid = 4001 // the token expired or is invalid
	CloseForbidden    = 4003 // the token may no longer read this tenant
	CloseSlowConsumer = 4008 // the client fell too far behind (queue overflow)
	CloseOverCap      = 4029 // over the per-user connection cap
	CloseBadFrame     = 4400 // the client sent a frame the server does not accept
)

var closeReasons = map[int]string{
	CloseGoingAway:    "server going away",
	CloseTokenInvalid: "token expired",
	CloseForbidden:    "forbidden",
	CloseSlowConsumer: "slow consumer",
	CloseOverCap:      "over the connection cap",
	CloseBadFrame:     "clients send no data frames",
}

// Reason is the close reason sent with code.
func Reason(code int) string { return closeReasons[code] }
