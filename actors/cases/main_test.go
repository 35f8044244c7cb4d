package cases_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the run if a test leaves a goroutine behind (the
// committer of a store that was never closed, for instance).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
