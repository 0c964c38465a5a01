package scaling

import (
	"context"
	"database/sql"
	"fmt"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testMembers is a small, known member table: member i has 100 × (i*7 % 23)
// miles, so balances repeat and ties need the id order.
func testMembers(n int) []Member {
	out := make([]Member, n)
	for i := range out {
		id := int64(i + 1)
		out[i] = Member{ID: id, Name: fmt.Sprintf("Member %d", id), Tier: "blue", Miles: 100 * ((id * 7) % 23)}
	}
	return out
}

// singleDB is the same members in one database, for comparisons.
func singleDB(t *testing.T, members []Member) *node {
	t.Helper()
	n, err := openNode(context.Background(), "single", Options{}.tracer(), members)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.close() })
	return n
}

// sumMiles adds up a node's balances.
func sumMiles(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	var v int64
	if err := db.QueryRow("SELECT coalesce(sum(miles), 0) FROM members").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}
