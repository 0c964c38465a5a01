package scaling

import (
	"context"
	"slices"
	"testing"
)

func openTestShards(t *testing.T, members []Member) *Shards {
	t.Helper()
	s, err := OpenShards(context.Background(), members, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestShardRouting(t *testing.T) {
	s := openTestShards(t, testMembers(11))
	if got, _ := s.Count(context.Background()); got != [2]int{5, 6} {
		t.Errorf("counts = %v, want [5 6]", got)
	}
	for _, id := range []int64{1, 2, 7, 10} {
		m, st, err := s.Lookup(context.Background(), id)
		if err != nil || m == nil || m.ID != id {
			t.Fatalf("Lookup(%d) = %v, %v", id, m, err)
		}
		if want := ShardName(int(id % 2)); st.Node != want || st.Rows != 1 {
			t.Errorf("Lookup(%d) ran on %s (%d rows), want %s", id, st.Node, st.Rows, want)
		}
	}
	if m, _, err := s.Lookup(context.Background(), 99); m != nil || err != nil {
		t.Errorf("Lookup(99) = %v, %v; want nothing", m, err)
	}
}

func TestScatterGatherMatchesOneDatabase(t *testing.T) {
	members := testMembers(60)
	s := openTestShards(t, members)
	single := singleDB(t, members)
	for _, k := range []int{1, 5, 10, 100} {
		got, sts, err := s.Top(context.Background(), k)
		if err != nil {
			t.Fatal(err)
		}
		want, _, err := single.members(context.Background(), topQuery, k)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("top %d: sharded %v\nwant %v", k, got, want)
		}
		if len(sts) != 2 || sts[0].Node != "shard-0" || sts[1].Node != "shard-1" {
			t.Errorf("top %d statements %+v, want one per shard", k, sts)
		}
	}
}

func TestTransfer(t *testing.T) {
	tests := []struct {
		name            string
		from, to, miles int64
		stop            bool
		wantOutcome     string
		wantTx          int
		wantLost        int64
		wantCross       bool
	}{
		{"same shard", 2, 4, 100, false, "done", 1, 0, false},
		{"across shards", 1, 2, 100, false, "done", 2, 0, true},
		{"stopped between the commits", 1, 2, 100, true, "lost", 1, 100, true},
		{"not enough miles", 1, 2, 1_000_000, false, "refused", 1, 0, true},
		{"no such member on the other shard", 1, 98, 100, false, "undone", 3, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openTestShards(t, testMembers(10))
			rep, err := s.Transfer(context.Background(), tt.from, tt.to, tt.miles, tt.stop)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Outcome != tt.wantOutcome || rep.Transactions != tt.wantTx || rep.CrossShard != tt.wantCross {
				t.Errorf("outcome %q, %d transactions, cross %v; want %q, %d, %v (%s)", rep.Outcome, rep.Transactions, rep.CrossShard, tt.wantOutcome, tt.wantTx, tt.wantCross, rep.Note)
			}
			if lost := rep.TotalBefore - rep.TotalAfter; lost != tt.wantLost {
				t.Errorf("%d miles lost, want %d", lost, tt.wantLost)
			}
			total := sumMiles(t, s.nodes[0].db) + sumMiles(t, s.nodes[1].db)
			if total != rep.TotalAfter {
				t.Errorf("shards hold %d miles, report says %d", total, rep.TotalAfter)
			}
		})
	}
}
