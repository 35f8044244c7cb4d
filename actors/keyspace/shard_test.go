package keyspace

import "testing"

func TestShardKeepsATenantTogether(t *testing.T) {
	for _, cid := range []string{"acme", "globex", "a1", "demo"} {
		keys := [][]byte{
			Tenant(cid), Case(cid, "c1"), Message(cid, "c1", 3), Attachment(cid, "c1", 3, 0),
			CaseListEntry(cid, "c1", 42), CaseListPrefix(cid), MessagePrefix(cid, "c1"),
			SourceIndex(cid, "postmark", "m1"), Index(cid, IndexRFC, "a/b@c"), Published(cid),
			EventLog(cid), AuditLog(cid), Call(cid, "CA1"), CallListPrefix(cid),
		}
		want := Shard(keys[0], 7)
		for _, k := range keys {
			if got := Shard(k, 7); got != want || got < 0 {
				t.Fatalf("%q on shard %d, tenant %s on %d", k, got, cid, want)
			}
		}
	}
	if Shard(TenantPrefix(), 4) != -1 {
		t.Fatal("the tenant list spans every shard")
	}
	if Shard(Tenant("acme"), 1) != 0 {
		t.Fatal("one shard")
	}
	seen := map[int]bool{}
	for i := 0; i < 64; i++ {
		seen[Shard(Tenant("tenant-"+string(rune('a'+i%26))+string(rune('a'+i/26))), 4)] = true
	}
	if len(seen) != 4 {
		t.Fatalf("64 tenants used %d of 4 shards", len(seen))
	}
}
