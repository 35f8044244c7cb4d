package postmark

import (
	"reflect"
	"testing"
)

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Address
	}{
		{"empty", "", nil},
		{"one bare", "a@example.com", []Address{{Email: "a@example.com"}}},
		{"named", `"Ana Ruiz" <ana@example.com>`, []Address{{Email: "ana@example.com", Name: "Ana Ruiz"}}},
		{"plus hash", "support+abc123@in.example", []Address{{Email: "support+abc123@in.example", MailboxHash: "abc123"}}},
		{"plus hash with plus", "s+a+b@in.example", []Address{{Email: "s+a+b@in.example", MailboxHash: "a+b"}}},
		{"two", "a@x.example, B <b@y.example>", []Address{{Email: "a@x.example"}, {Email: "b@y.example", Name: "B"}}},
		{"garbage entry dropped", "a@x.example, garbage, B <b@y.example>", []Address{{Email: "a@x.example"}, {Email: "b@y.example", Name: "B"}}},
		{"stray closer", `"First Cc" <firstcc@x.example>, secondCc@x.example>`, []Address{{Email: "firstcc@x.example", Name: "First Cc"}, {Email: "secondCc@x.example"}}},
		{"comma in quoted name", `"Lopez, Maria" <m@x.example>, bad bad`, []Address{{Email: "m@x.example", Name: "Lopez, Maria"}}},
		{"comma in comment", `m@x.example (Lopez, Maria), bad bad`, []Address{{Email: "m@x.example", Name: "Lopez, Maria"}}},
		{"unclosed angle", `Ana <ana@x.example`, []Address{{Email: "ana@x.example"}}},
		{"all garbage", ",,, ;;; <>", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseAddressList(tt.in); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseAddressList(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}
