// Package storetest is the contract test suite every persistence store
// must pass (boltstore on one node, a Redis store in a cluster). It is
// imported only by tests.
//
// An implementation runs it from its own test with an Opener:
//
//	func TestContract(t *testing.T) {
//		root := t.TempDir()
//		storetest.Run(t, func(t *testing.T, cfg storetest.Config) storetest.Store {
//			st, err := boltstore.Open(boltstore.Options{
//				Path:     filepath.Join(root, cfg.Name+".db"),
//				OnCommit: cfg.OnCommit,
//			})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return st
//		})
//	}
//
// The suite observes the store's commit hook through Config.OnCommit, which
// the Opener must install as the store's hook. Besides the documented
// semantics of persistence.Batch and of the Store methods, the suite holds
// a store to these hook rules:
//
//   - the hook receives every entry the store appends exactly once, with
//     its log, offset and value, and never an entry of a batch that failed;
//   - within one log, it receives entries in increasing offset order with
//     no gap;
//   - the entries of a batch have been handed to the hook before that
//     batch's Commit returns.
//
// Every subtest checks these on the hook's record and, before closing its
// stores, compares the record with what ReadLog returns. Subtests may run
// concurrently with each other (t.Parallel), each on its own stores.
package storetest
