package keyspace

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"hash/fnv"
	"strings"
)

// Key families. Changing one is a data migration.
const (
	famTenant    = "t/" // t/<cid> → TenantState
	famCase      = "c/" // c/<cid>/<case> → CaseState; c/<cid>/<case>/m/<n:8> → StoredMessage
	famAttach    = "a/" // a/<cid>/<case>/<n:8>/<i:4> → attachment content
	famCaseList  = "l/" // l/<cid>/<^created:8><case> → case id (newest first)
	famIndex     = "i/" // i/<cid>/<kind>/<id> → case id (see Index*)
	famPublished = "p/" // p/<cid> → published watermark of the tenant's event log
	famEventLog  = "e/" // log name of the tenant's event log (outbox)
	famAuditLog  = "u/" // log name of the tenant's audit log
	famCall      = "k/" // k/<cid>/<call> → CallState
	famCallList  = "n/" // n/<cid>/<^created:8><call> → call id (newest first)
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// Tenant is the key of a tenant's state.
func Tenant(cid string) []byte { return []byte(famTenant + cid) }

// TenantPrefix is the prefix of every tenant state key.
func TenantPrefix() []byte { return []byte(famTenant) }

// TenantFromKey returns the tenant id of a Tenant key.
func TenantFromKey(k []byte) string { return strings.TrimPrefix(string(k), famTenant) }

// Case is the key of a case's summary state.
func Case(cid, caseID string) []byte { return []byte(famCase + cid + "/" + caseID) }

// Message is the key of the n-th message (from 1) of a case. Messages sit
// right after their case's summary, so a commit that adds one dirties few
// pages.
func Message(cid, caseID string, n uint64) []byte {
	return binary.BigEndian.AppendUint64(MessagePrefix(cid, caseID), n)
}

// MessagePrefix is the prefix of every message key of a case.
func MessagePrefix(cid, caseID string) []byte { return []byte(famCase + cid + "/" + caseID + "/m/") }

// Attachment is the key of the i-th attachment of the n-th message of a case.
func Attachment(cid, caseID string, n uint64, i int) []byte {
	k := binary.BigEndian.AppendUint64([]byte(famAttach+cid+"/"+caseID+"/"), n)
	return binary.BigEndian.AppendUint32(append(k, '/'), uint32(i))
}

// CaseListEntry is the key that lists a case under its tenant, newest first.
func CaseListEntry(cid, caseID string, createdAt int64) []byte {
	k := binary.BigEndian.AppendUint64([]byte(famCaseList+cid+"/"), ^uint64(createdAt))
	return append(k, caseID...)
}

// CaseListPrefix is the prefix of a tenant's case list.
func CaseListPrefix(cid string) []byte { return []byte(famCaseList + cid + "/") }

// Index kinds of the tenant-wide message index.
const (
	// IndexSource maps "<source>:<upstream message id>" to "<case> <message id>": the dedupe key.
	IndexSource = "s"
	// IndexRFC maps an RFC Message-ID stored in a case to that case.
	IndexRFC = "r"
	// IndexReferenced maps an RFC Message-ID that a stored message named in
	// In-Reply-To or References (maybe not yet arrived) to that case.
	IndexReferenced = "f"
)

// Index is a key of the tenant-wide message index.
func Index(cid, kind, id string) []byte { return []byte(famIndex + cid + "/" + kind + "/" + id) }

// SourceIndex is the dedupe key of an upstream message.
func SourceIndex(cid, source, sourceMessageID string) []byte {
	return Index(cid, IndexSource, source+":"+sourceMessageID)
}

// SourceIndexValue encodes where an upstream message was stored.
func SourceIndexValue(caseID, messageID string) []byte { return []byte(caseID + " " + messageID) }

// ParseSourceIndexValue decodes SourceIndexValue.
func ParseSourceIndexValue(v []byte) (caseID, messageID string) {
	s := string(v)
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i], s[i+1:]
	}
	return s, ""
}

// Published is the key of the published watermark of a tenant's event log.
func Published(cid string) []byte { return []byte(famPublished + cid) }

// EventLog is the store log name of a tenant's event log (the outbox).
func EventLog(cid string) []byte { return []byte(famEventLog + cid) }

// TenantOfEventLog returns the tenant of an EventLog name, or "" if the log
// is not an event log.
func TenantOfEventLog(log []byte) string {
	s := string(log)
	if !strings.HasPrefix(s, famEventLog) {
		return ""
	}
	return s[len(famEventLog):]
}

// AuditLog is the store log name of a tenant's audit log.
func AuditLog(cid string) []byte { return []byte(famAuditLog + cid) }

// CaseID derives the case id of a thread from its root Message-ID, so two
// messages of one new thread that arrive at once address the same case actor
// and cannot open two cases.
func CaseID(cid, threadRoot string) string {
	sum := sha256.Sum256([]byte(cid + "\x00" + threadRoot))
	return "c" + b32.EncodeToString(sum[:15])
}

// replyMACBytes is the length of the MAC in a reply token: 40 bits.
const replyMACBytes = 5

// ReplyToken derives a case's reply token (the plus-address in Reply-To of
// mail sent from the case): the case id and a MAC under the tenant's key,
// so a token names its case without an index and cannot be forged.
func ReplyToken(key []byte, caseID string) string {
	return strings.TrimPrefix(caseID, "c") + replyMAC(key, caseID)
}

// CaseOfReplyToken returns the case a reply token names, if its MAC holds.
// Tokens are compared case-insensitively (mail systems may fold case).
func CaseOfReplyToken(key []byte, token string) (string, bool) {
	token = strings.ToLower(strings.TrimSpace(token))
	macLen := b32.EncodedLen(replyMACBytes)
	if len(token) <= macLen {
		return "", false
	}
	caseID := "c" + token[:len(token)-macLen]
	want := replyMAC(key, caseID)
	if !hmac.Equal([]byte(want), []byte(token[len(token)-macLen:])) {
		return "", false
	}
	return caseID, true
}

func replyMAC(key []byte, caseID string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("reply-token\x00" + caseID))
	return b32.EncodeToString(m.Sum(nil)[:replyMACBytes])
}

// Identity is the cluster identity of a case actor: cases are addressed
// within their tenant.
func Identity(cid, caseID string) string { return cid + "/" + caseID }

// SplitIdentity reverses Identity.
func SplitIdentity(id string) (cid, caseID string, ok bool) {
	return strings.Cut(id, "/")
}

// Call is the key of a call's state.
func Call(cid, callID string) []byte { return []byte(famCall + cid + "/" + callID) }

// CallListEntry is the key that lists a call under its tenant, newest first.
func CallListEntry(cid, callID string, createdAt int64) []byte {
	k := binary.BigEndian.AppendUint64([]byte(famCallList+cid+"/"), ^uint64(createdAt))
	return append(k, callID...)
}

// CallListPrefix is the prefix of a tenant's call list.
func CallListPrefix(cid string) []byte { return []byte(famCallList + cid + "/") }

// CallIdentity is the cluster identity of a call actor.
func CallIdentity(cid, callID string) string { return cid + "/" + callID }

// Shard places a key or log name on one of n store shards by its tenant,
// so a tenant's state, indexes and logs share a shard and every batch an
// actor commits lies on one. It answers -1 for a key without a tenant (a
// prefix that spans tenants, like TenantPrefix).
func Shard(key []byte, n int) int {
	if n <= 1 {
		return 0
	}
	i := bytes.IndexByte(key, '/')
	if i < 0 {
		return -1
	}
	rest := key[i+1:]
	if j := bytes.IndexByte(rest, '/'); j >= 0 {
		rest = rest[:j]
	}
	if len(rest) == 0 {
		return -1
	}
	h := fnv.New32a()
	h.Write(rest)
	return int(h.Sum32() % uint32(n))
}
