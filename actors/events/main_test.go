package events_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind (a relay that
// was never shut down, a store that was never closed).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
