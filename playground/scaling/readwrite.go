package scaling

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// ReadMode is where the read after a write goes.
type ReadMode string

// The read modes the replica demo offers.
const (
	// ReadReplica reads the replica at once: the usual way to take load
	// off the primary, and stale right after a write.
	ReadReplica ReadMode = "replica"
	// ReadPrimary reads the primary after the visitor's own write.
	ReadPrimary ReadMode = "primary"
	// ReadReplicaAfter waits until the replica has the write, then reads it.
	ReadReplicaAfter ReadMode = "replica-after"
)

// MaxLag caps the replication lag a visitor may ask for.
const MaxLag = 3 * time.Second

// ReadReport is what a write followed by a read showed.
type ReadReport struct {
	MemberID int64  `json:"member_id"`
	Name     string `json:"name"`
	Mode     string `json:"mode"`
	LagMS    int64  `json:"lag_ms"`
	// Before is the balance before the write, Written the one the write
	// left on the primary, Read what the read returned, from ReadFrom.
	Before   int64  `json:"miles_before"`
	Written  int64  `json:"miles_written"`
	Read     int64  `json:"miles_read"`
	ReadFrom string `json:"read_from"`
	Stale    bool   `json:"stale"`
	// Position is the write's place in the log; ReplicaAt how far the
	// replica had got when the read ran.
	Position  int `json:"position"`
	ReplicaAt int `json:"replica_position_at_read"`
	// WaitedMS is how long the read waited for the replica (ReadReplicaAfter).
	WaitedMS float64 `json:"waited_ms"`
	// CaughtUpMS is how long after the commit the replica applied the write.
	CaughtUpMS float64     `json:"caught_up_after_ms"`
	Statements []Statement `json:"statements"`
}

// ReadYourWrite copies members to a primary and a replica lagging by
// opts.Lag, adds miles to member id on the primary, reads the member back
// as mode says, then waits for the replica to catch up.
func ReadYourWrite(ctx context.Context, members []Member, id, miles int64, mode ReadMode, opts ReplicaOptions) (ReadReport, error) {
	opts.Lag = min(max(opts.Lag, 0), MaxLag)
	rep := ReadReport{MemberID: id, Mode: string(mode), LagMS: opts.Lag.Milliseconds()}
	opts.defaults()
	sctx, span := step(ctx, opts.Tracer, fmt.Sprintf("copy %d members to the primary and the replica", len(members)),
		attribute.Int64("engineroom.replica.lag_ms", rep.LagMS))
	rs, err := StartReplica(sctx, members, opts)
	span.End()
	if err != nil {
		return rep, err
	}
	defer rs.Close()
	before, st, err := rs.Member(ctx, Primary, id)
	rep.Statements = append(rep.Statements, st)
	if err != nil {
		return rep, err
	}
	rep.Name, rep.Before, rep.Written = before.Name, before.Miles, before.Miles+miles
	st, pos, err := rs.Write(ctx, "UPDATE members SET miles = miles + ? WHERE id = ?", miles, id)
	rep.Statements, rep.Position = append(rep.Statements, st), pos
	if err != nil {
		return rep, err
	}
	from := Replica
	switch mode {
	case ReadPrimary:
		from = Primary
	case ReadReplicaAfter:
		waited, err := rs.WaitFor(ctx, pos)
		rep.WaitedMS = float64(waited.Microseconds()) / 1000
		if err != nil {
			return rep, err
		}
	}
	_, rep.ReplicaAt = rs.Positions()
	got, st, err := rs.Member(ctx, from, id)
	rep.Statements = append(rep.Statements, st)
	if err != nil {
		return rep, err
	}
	rep.Read, rep.ReadFrom, rep.Stale = got.Miles, from, got.Miles != rep.Written
	// Let the replica catch up, so the panel can say when it did.
	if _, err := rs.WaitFor(ctx, pos); err != nil {
		return rep, err
	}
	after, _ := rs.AppliedAfter(pos)
	rep.CaughtUpMS = float64(after.Microseconds()) / 1000
	return rep, nil
}
