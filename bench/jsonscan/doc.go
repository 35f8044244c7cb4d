// Package jsonscan pulls a few fields out of JSON objects without decoding
// them into maps or structs and without allocating. spine-bench reads every
// event every socket receives (hundreds of thousands a second on the same
// cores as the server), so the generic decoder is too dear on that path.
//
// It is a scanner, not a validator: it walks objects member by member,
// skipping values it is not asked about (strings with bytes.IndexByte), and
// reports malformed input where it meets it. Strings are returned raw
// (without quotes, escapes untouched); Unquote decodes them when needed.
//
// Functions are pure and safe for concurrent use; an Object iterator belongs
// to one goroutine.
package jsonscan
