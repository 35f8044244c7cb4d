package postmark

import (
	"net/mail"
	"strings"
)

// parseAddressList parses a legacy To/Cc/Bcc header value. It uses
// net/mail.ParseAddressList and, when that rejects the whole list, parses
// each comma-separated entry on its own and keeps whatever looks like an
// address, so one bad entry does not lose the others.
func parseAddressList(s string) []Address {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if list, err := mail.ParseAddressList(s); err == nil {
		out := make([]Address, 0, len(list))
		for _, a := range list {
			out = append(out, newAddress(a.Address, a.Name))
		}
		return out
	}
	var out []Address
	for _, part := range splitAddressList(s) {
		if a, ok := parseAddress(part); ok {
			out = append(out, a)
		}
	}
	return out
}

// parseAddress parses one legacy address leniently.
func parseAddress(s string) (Address, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Address{}, false
	}
	if a, err := mail.ParseAddress(s); err == nil {
		return newAddress(a.Address, a.Name), true
	}
	// Last resort: the text between the last '<' and the next '>', or the
	// whole entry, if it is a single token with an '@' in it.
	email := s
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		email = s[i+1:]
		if j := strings.IndexByte(email, '>'); j >= 0 {
			email = email[:j]
		}
	}
	email = strings.Trim(strings.TrimSpace(email), "<>")
	if !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n<>,;\"()") {
		return Address{}, false
	}
	return newAddress(email, ""), true
}

func newAddress(email, name string) Address {
	return Address{Email: email, Name: name, MailboxHash: mailboxHash(email)}
}

// mailboxHash returns the plus-address token of email: the text after the
// first '+' in the local part, "" when there is none.
func mailboxHash(email string) string {
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return ""
	}
	local := email[:at]
	if i := strings.IndexByte(local, '+'); i >= 0 {
		return local[i+1:]
	}
	return ""
}

// splitAddressList splits s on commas that are outside quoted strings,
// comments and angle brackets.
func splitAddressList(s string) []string {
	var parts []string
	start, depth, inQuote, inAngle := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && (inQuote || depth > 0):
			i++
		case inQuote:
			if c == '"' {
				inQuote = false
			}
		case c == '"' && depth == 0:
			inQuote = true
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			inAngle = true
		case c == '>':
			inAngle = false
		case c == ',' && !inAngle:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}
