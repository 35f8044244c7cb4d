package postmark

import "strings"

// NormalizeMessageID returns s with surrounding white space and the
// surrounding angle brackets removed: " <abc@example.com> " becomes
// "abc@example.com". The rest is kept exactly (ids are compared as opaque
// strings). Repeated brackets ("<<abc>>") are all removed, so the result never
// starts with '<' or ends with '>'.
//
// Use it on a value that holds one id; for header values that may hold
// several ids, comments or stray text, use ParseIDList.
func NormalizeMessageID(s string) string {
	for {
		t := strings.TrimSpace(s)
		t = strings.TrimLeft(t, "<")
		t = strings.TrimRight(t, ">")
		if t == s {
			return s
		}
		s = t
	}
}

// ParseIDList returns the normalized message ids in an RFC 5322 msg-id list,
// as found in References and In-Reply-To, in order. It is lenient the way
// receivers have to be:
//
//   - ids may be separated by white space (folding included), commas, or
//     nothing at all ("<a@x><b@y>");
//   - comments in parentheses (nested, with backslash escapes) and quoted
//     strings outside the angle brackets are skipped, so obsolete phrases
//     such as `"Your message of ..." <a@x>` work;
//   - when the value has at least one id in angle brackets, only bracketed
//     ids are returned, and a bracketed id containing white space is
//     dropped;
//   - otherwise, bare tokens containing '@' are returned ("a@x b@y").
//
// Every returned id is non-empty and contains no ASCII white space, '<' or
// '>'. It returns nil when there are none and does not remove duplicates.
func ParseIDList(s string) []string {
	// First pass: bracketed ids. Only when there are none, a second pass
	// for bare ones.
	var ids []string
	for _, wantBracketed := range [2]bool{true, false} {
		for i := 0; ; {
			id, bracketed, next := nextID(s, i)
			if next < 0 {
				break
			}
			i = next
			if bracketed != wantBracketed {
				continue
			}
			if ids == nil {
				sep := ">"
				if !wantBracketed {
					sep = "@"
				}
				ids = make([]string, 0, strings.Count(s[i:], sep)+1)
			}
			ids = append(ids, id)
		}
		if ids != nil {
			return ids
		}
	}
	return nil
}

// firstID returns what ParseIDList(s)[0] would be, without allocating.
func firstID(s string) string {
	var bare string
	for i := 0; ; {
		id, isBracketed, next := nextID(s, i)
		if next < 0 {
			return bare
		}
		i = next
		if isBracketed {
			return id
		}
		if bare == "" {
			bare = id
		}
	}
}

// nextID scans s from byte i and returns the next acceptable id, whether it
// was in angle brackets, and the index to continue from; next is -1 when
// there are no more ids. Every id returned is non-empty and free of white
// space, '<' and '>'; bare ids also contain '@'.
func nextID(s string, i int) (id string, bracketed bool, next int) {
	for i < len(s) {
		switch c := s[i]; {
		case isIDSpace(c) || c == ',' || c == '>' || c == ')':
			i++
		case c == '(':
			i = skipComment(s, i)
		case c == '"':
			i = skipQuoted(s, i)
		case c == '<':
			// A '<' inside the brackets restarts the id, so "<<a@x>>"
			// and "<junk<a@x>" both yield "a@x".
			start := i + 1
			end := strings.IndexByte(s[start:], '>')
			if end < 0 {
				// Unterminated: treat what follows the last '<' as
				// bare text.
				i = start + strings.LastIndexByte(s[start:], '<') + 1
				continue
			}
			end += start
			start += strings.LastIndexByte(s[start:end], '<') + 1
			i = end + 1
			if v := strings.TrimSpace(s[start:end]); v != "" && !hasIDSpace(v) {
				return v, true, i
			}
		default:
			j := i
			for j < len(s) && !isIDDelim(s[j]) {
				j++
			}
			tok := s[i:j]
			i = j
			if strings.IndexByte(tok, '@') >= 0 {
				return tok, false, i
			}
		}
	}
	return "", false, -1
}

// skipComment returns the index after the comment that starts at s[i]=='('.
// Comments nest and '\' escapes the next byte; an unterminated comment runs
// to the end of s.
func skipComment(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// skipQuoted returns the index after the quoted string that starts at
// s[i]=='"'; an unterminated one runs to the end of s.
func skipQuoted(s string, i int) int {
	for i++; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(s)
}

// idSpace and idDelim are byte classes for the id scanner: ASCII white
// space, and white space plus the bytes that end a bare token.
var idSpace, idDelim = func() (space, delim [256]bool) {
	for _, c := range []byte(" \t\r\n\v\f") {
		space[c], delim[c] = true, true
	}
	for _, c := range []byte(",<>()\"") {
		delim[c] = true
	}
	return space, delim
}()

func isIDSpace(c byte) bool { return idSpace[c] }
func isIDDelim(c byte) bool { return idDelim[c] }

func hasIDSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if idSpace[s[i]] {
			return true
		}
	}
	return false
}
