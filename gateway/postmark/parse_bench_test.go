package postmark

import (
	"bytes"
	"encoding/json"
	"testing"
)

// BenchmarkParse measures Parse on realistic bodies. first_message is the
// ~3 KB body of the intake hot path (compacted, as Postmark sends it).
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"first_message.json", "reply_threaded.json", "attachments.json"} {
		var buf bytes.Buffer
		if err := json.Compact(&buf, readFixture(b, name)); err != nil {
			b.Fatal(err)
		}
		body := buf.Bytes()
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParseIDList(b *testing.B) {
	const refs = "<CAF=k7Xv2m9Qp+Rw4Zt8L1yHn3bE@mail.example.com>\r\n <0100019200aa11bb-5d6e7f80-acme-travel@email.acme-travel.example>\r\n <CAF=k7XtR5uP0w@mail.example.com>"
	b.ReportAllocs()
	for b.Loop() {
		_ = ParseIDList(refs)
	}
}
