package web

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/scaling"
	"github.com/engineroom/engineroom/web/view"
)

const scalingLesson = "scaling"

// scalingTracer is the tracer of the scaling engine's spans.
func (s *Server) scalingTracer() trace.Tracer {
	return s.traces.Tracer("github.com/engineroom/engineroom/playground/scaling")
}

// Where the replica panel reads, with the words it shows.
var replicaReads = []struct {
	Label string
	Mode  scaling.ReadMode
}{
	{"the replica, at once", scaling.ReadReplica},
	{"the primary (read your own write)", scaling.ReadPrimary},
	{"the replica, once it has your write", scaling.ReadReplicaAfter},
}

func replicaReadLabels() []string {
	out := make([]string, len(replicaReads))
	for i, r := range replicaReads {
		out[i] = r.Label
	}
	return out
}

func replicaReadOf(label string) scaling.ReadMode {
	for _, r := range replicaReads {
		if r.Label == label {
			return r.Mode
		}
	}
	return scaling.ReadReplica
}

// replicaEarn is what the write in the replica panel adds.
const replicaEarn = 500

// demoReadReplica writes on the primary and reads back from the replica
// or the primary.
func (s *Server) demoReadReplica() *demo {
	return &demo{
		ID: "read-replica", Title: "Read your own write", Lesson: scalingLesson,
		Description: "Your members, copied to a primary and a replica. A flight earns a member 500 miles on the primary; then the page reads the balance back.",
		Button:      "Earn 500 miles, read it back",
		Params: []param{
			{Name: "lag", Label: "Replication lag (ms)", Kind: "number", Default: "300", Min: 0, Max: int(scaling.MaxLag.Milliseconds()), Hint: "0 to 3000."},
			{Name: "read", Label: "Read from", Kind: "select", Options: replicaReadLabels(), Default: replicaReads[0].Label},
			{Name: "member", Label: "Member id", Kind: "number", Default: "1", Min: 1, Max: 1_000_000},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			members, err := scaling.LoadMembers(ctx, s.openSandbox(in))
			if err != nil {
				return demoOutput{}, err
			}
			id := int64(in.Int("member"))
			if !hasMember(members, id) {
				return demoOutput{}, &paramError{fmt.Sprintf("member: there is no member %d in your database", id)}
			}
			rep, err := scaling.ReadYourWrite(ctx, members, id, replicaEarn, replicaReadOf(in.Params["read"]),
				scaling.ReplicaOptions{Options: scaling.Options{Tracer: s.scalingTracer()}, Lag: time.Duration(in.Int("lag")) * time.Millisecond})
			if err != nil {
				return demoOutput{}, err
			}
			o := replicaView(rep)
			return demoOutput{Data: o, View: view.ReplicaResult(o)}, nil
		},
	}
}

func hasMember(ms []scaling.Member, id int64) bool {
	for _, m := range ms {
		if m.ID == id {
			return true
		}
	}
	return false
}

// replicaView shapes a read-your-write run for the panel.
func replicaView(r scaling.ReadReport) view.ReplicaOutput {
	o := view.ReplicaOutput{Stale: r.Stale, MemberID: r.MemberID, Name: r.Name, LagMS: r.LagMS, Before: r.Before,
		Written: r.Written, Read: r.Read, ReadFrom: r.ReadFrom, Position: r.Position, ReplicaAt: r.ReplicaAt,
		WaitedMS: r.WaitedMS, CaughtUpMS: r.CaughtUpMS, Statements: scaleStatements(r.Statements)}
	notes := []string{"the balance before", "your write", "the read"}
	for i := range o.Statements {
		if i < len(notes) {
			o.Statements[i].Note = notes[i]
		}
	}
	switch {
	case r.Stale:
		o.Summary = fmt.Sprintf("Stale! You earned %d miles, but the replica still says %s: it was at log position %d of %d when you read. It applied your write %.0f ms after the commit.",
			replicaEarn, groupThousands(r.Read), r.ReplicaAt, r.Position, r.CaughtUpMS)
	case r.ReadFrom == scaling.Primary:
		o.Summary = fmt.Sprintf("Fresh. The primary has your write: %s miles. The replica caught up %.0f ms after the commit.", groupThousands(r.Read), r.CaughtUpMS)
	default:
		o.Summary = fmt.Sprintf("Fresh, after waiting %.0f ms for the replica to reach position %d: %s miles.", r.WaitedMS, r.Position, groupThousands(r.Read))
	}
	return o
}

// scaleStatements shapes the engine's statements for a panel.
func scaleStatements(sts []scaling.Statement) []view.ScaleStatement {
	out := make([]view.ScaleStatement, len(sts))
	for i, st := range sts {
		var args []string
		for _, a := range st.Args {
			args = append(args, fmt.Sprint(a))
		}
		out[i] = view.ScaleStatement{Node: st.Node, SQL: st.SQL, Rows: st.Rows, TookMS: st.TookMS, Error: st.Error}
		if len(args) > 0 {
			out[i].Args = "with " + strings.Join(args, ", ")
		}
	}
	return out
}

// demoBackPressure fires a burst of queries at a small private gate.
func (s *Server) demoBackPressure() *demo {
	return &demo{
		ID: "back-pressure", Title: "Too many at once", Lesson: scalingLesson,
		Description: "A burst of report queries, all at the same moment, at a database behind a gate of its own: 2 slots, a queue of 4. Each report holds its slot for 120 ms.",
		Button:      "Fire the burst",
		Params: []param{
			{Name: "queries", Label: "Queries at once", Kind: "number", Default: "12", Min: 1, Max: scaling.MaxBurst, Hint: "1 to 24."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			members, err := scaling.LoadMembers(ctx, s.openSandbox(in))
			if err != nil {
				return demoOutput{}, err
			}
			rep, err := scaling.Burst(ctx, members, in.Int("queries"), scaling.BurstOptions{Options: scaling.Options{Tracer: s.scalingTracer()}})
			if err != nil {
				return demoOutput{}, err
			}
			o := pressureView(rep)
			return demoOutput{Data: o, View: view.PressureResult(o)}, nil
		},
	}
}

// pressureView shapes a burst for the panel.
func pressureView(r scaling.BurstReport) view.PressureOutput {
	o := view.PressureOutput{Slots: r.Slots, Queue: r.Queue, HoldMS: r.HoldMS, Ran: r.Ran, Waited: r.Waited, Refused: r.Refused, TookMS: r.TookMS}
	var longest float64
	for _, q := range r.Queries {
		o.Queries = append(o.Queries, view.PressureQuery{N: q.N, Outcome: q.Outcome, WaitedMS: q.WaitedMS,
			RanMS: q.EndedMS - q.StartedMS, Status: q.Status, RetryAfter: q.RetryAfter, Reason: q.Reason})
		if q.Outcome == scaling.Waited {
			longest = max(longest, q.WaitedMS)
		}
	}
	o.Summary = fmt.Sprintf("%d queries at once, %d slots and a queue of %d: %d ran at once, %d waited", len(r.Queries), r.Slots, r.Queue, r.Ran, r.Waited)
	if r.Waited > 0 {
		o.Summary += fmt.Sprintf(" (up to %.0f ms)", longest)
	}
	if r.Refused > 0 {
		o.Summary += fmt.Sprintf(", %d refused at once with 503 and Retry-After: %d", r.Refused, r.Queries[slices.IndexFunc(r.Queries, func(q scaling.BurstQuery) bool { return q.Outcome == scaling.Refused })].RetryAfter)
	}
	o.Summary += fmt.Sprintf(". All answered within %.0f ms.", r.TookMS)
	return o
}
