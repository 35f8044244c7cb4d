package postmark

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Mon, 16 Sep 2024 11:12:39 +0200", "2024-09-16T09:12:39Z"},
		{"16 Sep 2024 11:12:39 +0200", "2024-09-16T09:12:39Z"},
		{"Tue, 17 Sep 2024 08:03:15 +0200 (CEST)", "2024-09-17T06:03:15Z"},
		{"Fri, 1 Aug 2014 16:45:32 -04:00", "2014-08-01T20:45:32Z"},
		{"Fri, 1 Aug 2014 16:45:32 GMT", "2014-08-01T16:45:32Z"},
		{"Fri, 01 Aug 2014 16:45:32 +0000 (Coordinated Universal Time)", "2014-08-01T16:45:32Z"},
		{"Fri,  1 Aug 2014   16:45:32 -0400", "2014-08-01T20:45:32Z"},
		{"2024-09-20T07:30:00Z", "2024-09-20T07:30:00Z"},
		{"2024-09-20T07:30:00.123+02:00", "2024-09-20T05:30:00.123Z"},
		{"2024-09-20 07:30:00 +0200", "2024-09-20T05:30:00Z"},
		{"Fri Aug  1 16:45:32 2014", "2014-08-01T16:45:32Z"},
		{"Fri, 1 Aug 2014 16:45 -0400", "2014-08-01T20:45:00Z"},
		{"Friday, 1 Aug 2014 16:45:32 -0400", "2014-08-01T20:45:32Z"},
		{"", ""},
		{"garbage", ""},
		{"Fri, 32 Aug 2014 16:45:32 -0400", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got := parseDate(tt.in)
			if tt.want == "" {
				if !got.IsZero() {
					t.Errorf("parseDate(%q) = %v, want zero", tt.in, got)
				}
				return
			}
			want, err := time.Parse(time.RFC3339Nano, tt.want)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("parseDate(%q) = %v, want %v", tt.in, got, want)
			}
		})
	}
}
