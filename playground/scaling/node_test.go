package scaling

import (
	"context"
	"testing"
)

// TestFill copies members in whole batches and a remainder: every member
// arrives once, with its balance.
func TestFill(t *testing.T) {
	for _, n := range []int{0, 1, fillBatch - 1, fillBatch, 2*fillBatch + 1} {
		members := testMembers(n)
		var want int64
		for _, m := range members {
			want += m.Miles
		}
		db := singleDB(t, members)
		var count, maxID int64
		if err := db.db.QueryRowContext(context.Background(), "SELECT count(*), coalesce(max(id), 0) FROM members").Scan(&count, &maxID); err != nil {
			t.Fatal(err)
		}
		if count != int64(n) || maxID != int64(n) || sumMiles(t, db.db) != want {
			t.Errorf("%d members: %d rows up to id %d, %d miles; want %d rows, %d miles", n, count, maxID, sumMiles(t, db.db), n, want)
		}
	}
}
