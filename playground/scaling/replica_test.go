package scaling

import (
	"context"
	"testing"
	"time"
)

func TestReplicaIsStaleBeforeTheLagAndFreshAfter(t *testing.T) {
	ctx := context.Background()
	rs, err := StartReplica(ctx, testMembers(10), ReplicaOptions{Lag: 200 * time.Millisecond, Tick: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	before, _, err := rs.Member(ctx, Replica, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, pos, err := rs.Write(ctx, "UPDATE members SET miles = miles + ? WHERE id = ?", 500, 3)
	if err != nil || pos != 1 {
		t.Fatalf("Write: position %d, %v; want 1", pos, err)
	}
	got, _, _ := rs.Member(ctx, Replica, 3)
	if got.Miles != before.Miles {
		t.Errorf("replica right after the write: %d miles, want the stale %d", got.Miles, before.Miles)
	}
	if p, r := rs.Positions(); p != 1 || r != 0 {
		t.Errorf("positions = %d, %d; want 1, 0", p, r)
	}
	primary, _, _ := rs.Member(ctx, Primary, 3)
	if primary.Miles != before.Miles+500 {
		t.Errorf("primary: %d miles, want %d", primary.Miles, before.Miles+500)
	}
	waited, err := rs.WaitFor(ctx, pos)
	if err != nil {
		t.Fatal(err)
	}
	if waited < 150*time.Millisecond {
		t.Errorf("waited %v for a 200ms lag", waited)
	}
	got, _, _ = rs.Member(ctx, Replica, 3)
	if got.Miles != before.Miles+500 {
		t.Errorf("replica after the lag: %d miles, want %d", got.Miles, before.Miles+500)
	}
	if after, ok := rs.AppliedAfter(pos); !ok || after < 200*time.Millisecond {
		t.Errorf("AppliedAfter = %v, %v; want at least the lag", after, ok)
	}
}

func TestReadYourWrite(t *testing.T) {
	tests := []struct {
		mode      ReadMode
		wantFrom  string
		wantStale bool
		wantWait  bool
	}{
		{ReadReplica, Replica, true, false},
		{ReadPrimary, Primary, false, false},
		{ReadReplicaAfter, Replica, false, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			rep, err := ReadYourWrite(context.Background(), testMembers(10), 2, 500, tt.mode, ReplicaOptions{Lag: 100 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			if rep.ReadFrom != tt.wantFrom || rep.Stale != tt.wantStale {
				t.Errorf("read from %s, stale %v; want %s, %v", rep.ReadFrom, rep.Stale, tt.wantFrom, tt.wantStale)
			}
			want := rep.Before
			if !tt.wantStale {
				want = rep.Written
			}
			if rep.Written != rep.Before+500 || rep.Read != want {
				t.Errorf("before %d, written %d, read %d", rep.Before, rep.Written, rep.Read)
			}
			if (rep.WaitedMS >= 50) != tt.wantWait {
				t.Errorf("waited %v ms", rep.WaitedMS)
			}
			if rep.CaughtUpMS < 100 || len(rep.Statements) != 3 {
				t.Errorf("caught up after %v ms, %d statements", rep.CaughtUpMS, len(rep.Statements))
			}
		})
	}
}
