package postmark

import (
	"net/mail"
	"strings"
	"time"
)

// commonDateLayout is RFC 5322's date-time with day of week and a numeric
// zone; "2" also accepts two-digit days.
const commonDateLayout = "Mon, 2 Jan 2006 15:04:05 -0700"

// dateLayouts are the variants tried after net/mail.ParseDate fails. Postmark
// passes the sender's Date header through as written, and senders are not
// all RFC 5322 compliant.
var dateLayouts = [...]string{
	time.RFC3339Nano,
	"Mon, 2 Jan 2006 15:04:05 -07:00",
	"2 Jan 2006 15:04:05 -07:00",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST-0700",
	"Mon, 2 Jan 2006 15:04:05 GMT-0700",
	"Monday, 2 Jan 2006 15:04:05 -0700",
	"Monday, January 2, 2006 15:04:05 -0700",
	"Mon, 2 January 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05",
	"2 Jan 2006 15:04:05",
	"Mon Jan _2 15:04:05 2006",
	"Mon Jan _2 15:04:05 MST 2006",
	"Mon Jan _2 15:04:05 -0700 2006",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05 -07:00",
	"2006-01-02 15:04:05Z07:00",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
}

// maxDateLen bounds the work spent on a Date value; real ones are ~40 bytes.
const maxDateLen = 200

// parseDate parses a Date header value, returning the zero time when it
// cannot. Layouts without a zone are read as UTC.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > maxDateLen {
		return time.Time{}
	}
	// Drop a trailing comment such as "(UTC)" or "(Pacific Standard Time)".
	if strings.HasSuffix(s, ")") {
		if i := strings.LastIndexByte(s, '('); i > 0 {
			s = strings.TrimSpace(s[:i])
		}
	}
	// Fast path for the form nearly every mailer writes. net/mail.ParseDate
	// tries dozens of layouts and allocates an error for each miss, so it
	// only sees what this does not take.
	if t, err := time.Parse(commonDateLayout, s); err == nil {
		return t
	}
	if t, err := mail.ParseDate(s); err == nil {
		return t
	}
	s = strings.Join(strings.Fields(s), " ")
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}
