package web

import (
	"context"
	"fmt"

	"github.com/engineroom/engineroom/playground/scaling"
	"github.com/engineroom/engineroom/web/view"
)

// What the sharding panel can do.
const (
	shardLookup   = "look up a member"
	shardTop      = "top members by miles"
	shardTransfer = "transfer miles"
)

// shardTopK is how many members the top list shows.
const shardTopK = 5

// demoSharding splits the visitor's members across two shards and runs
// a lookup, a scatter-gather query or a transfer on them.
func (s *Server) demoSharding() *demo {
	return &demo{
		ID: "sharding", Title: "Your members on two shards", Lesson: scalingLesson, Wide: true,
		Description: "Your members, split across two databases by member id: odd ids on shard-1, even ids on shard-0.",
		Button:      "Run it on the shards",
		Params: []param{
			{Name: "action", Label: "Do", Kind: "select", Options: []string{shardLookup, shardTop, shardTransfer}, Default: shardLookup},
			{Name: "member", Label: "Member id", Kind: "number", Default: "7", Min: 1, Max: 1_000_000},
			{Name: "to", Label: "Transfer to member id", Kind: "number", Default: "8", Min: 1, Max: 1_000_000},
			{Name: "miles", Label: "Miles to transfer", Kind: "number", Default: "1000", Min: 1, Max: 1_000_000},
			{Name: "stop", Label: "Stop the process between the two commits", Kind: "checkbox"},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			members, err := scaling.LoadMembers(ctx, s.openSandbox(in))
			if err != nil {
				return demoOutput{}, err
			}
			sh, err := scaling.OpenShards(ctx, members, scaling.Options{Tracer: s.scalingTracer()})
			if err != nil {
				return demoOutput{}, err
			}
			defer sh.Close()
			o := view.ShardOutput{Action: in.Params["action"]}
			if o.Counts, err = sh.Count(ctx); err != nil {
				return demoOutput{}, err
			}
			from := int64(in.Int("member"))
			switch o.Action {
			case shardTop:
				top, sts, err := sh.Top(ctx, shardTopK)
				if err != nil {
					return demoOutput{}, err
				}
				o.Members, o.Statements = shardMembers(top), scaleStatements(sts)
				o.Summary = fmt.Sprintf("No shard can answer alone: each sent its own top %d (%d + %d rows), and the merge kept the %d with the most miles.",
					shardTopK, sts[0].Rows, sts[1].Rows, len(top))
			case shardTransfer:
				rep, err := sh.Transfer(ctx, from, int64(in.Int("to")), int64(in.Int("miles")), in.Params["stop"] == "on")
				if err != nil {
					return demoOutput{}, err
				}
				o.Statements = scaleStatements(rep.Statements)
				o.Summary = fmt.Sprintf("%s Miles on both shards: %s before, %s after.", rep.Note, groupThousands(rep.TotalBefore), groupThousands(rep.TotalAfter))
				o.Error = rep.Outcome == "lost"
				o.Warn = rep.Outcome == "refused" || rep.Outcome == "undone"
			default:
				m, st, err := sh.Lookup(ctx, from)
				if err != nil {
					return demoOutput{}, err
				}
				o.Statements = scaleStatements([]scaling.Statement{st})
				other := scaling.ShardName(1 - scaling.ShardOf(from))
				if m == nil {
					o.Warn = true
					o.Summary = fmt.Sprintf("No member %d: %s (%d %% 2 = %d) was asked and has nobody with that id; %s was not asked.", from, st.Node, from, scaling.ShardOf(from), other)
					break
				}
				o.Members = shardMembers([]scaling.Member{*m})
				o.Summary = fmt.Sprintf("%s lives on %s (%d %% 2 = %d): one query on one shard; %s was not touched.", m.Name, st.Node, from, scaling.ShardOf(from), other)
			}
			return demoOutput{Data: o, View: view.ShardResult(o)}, nil
		},
	}
}

func shardMembers(ms []scaling.Member) []view.ShardMember {
	out := make([]view.ShardMember, len(ms))
	for i, m := range ms {
		out[i] = view.ShardMember{ID: m.ID, Name: m.Name, Tier: m.Tier, Miles: m.Miles, Shard: scaling.ShardName(scaling.ShardOf(m.ID))}
	}
	return out
}
