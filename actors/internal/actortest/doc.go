// Package actortest is what the tests of the domain actors share: a real
// bbolt store in the test's temporary directory, a tenant ready to take
// mail, a clock the test controls, inbound mail builders, a subscriber that
// records what the bus delivers, and a wait-for-a-condition helper.
//
// Only tests import it. Everything here is safe for concurrent use unless
// its comment says otherwise.
package actortest
