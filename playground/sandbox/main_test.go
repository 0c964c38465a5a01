package sandbox

import (
	"os"
	"testing"
)

// TestMain switches on SQLite's memory statistics and heap limit before any
// test opens a database: after that they can no longer be switched on (see
// configureSQLite), and the tests of memory limits would all be skipped.
func TestMain(m *testing.M) {
	configureSQLite(DefaultHeapLimit)
	os.Exit(m.Run())
}
