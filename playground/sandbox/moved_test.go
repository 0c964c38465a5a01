package sandbox

import "testing"

// TestMoved: a visitor whose sandbox was on another instance is told, on
// their first result here, that their data was recycled; one who already
// has a sandbox here keeps it, untold.
func TestMoved(t *testing.T) {
	m := newTestManager(t, Options{})
	mustRun(t, m, "settled", "UPDATE members SET miles = 7 WHERE id = 1")

	m.Moved("arriving")
	m.Moved("settled")

	if res := mustRun(t, m, "arriving", "SELECT 1"); !res.Recycled {
		t.Error("a visitor moved from another instance: first result not marked recycled")
	}
	if res := mustRun(t, m, "arriving", "SELECT 1"); res.Recycled {
		t.Error("a moved visitor is told twice")
	}
	res := mustRun(t, m, "settled", "SELECT miles FROM members WHERE id = 1")
	if res.Recycled {
		t.Error("a visitor with a sandbox here was told it was recycled")
	}
	if got := scalar(t, m, "settled", "SELECT miles FROM members WHERE id = 1"); got != "7" {
		t.Errorf("the settled visitor's data: miles = %s, want 7", got)
	}
}
