// Package scaling shows what changes when one database is not enough:
// a read replica that applies the primary's writes after a lag, members
// split across two shards by a shard key, and a bounded query gate that
// queues what it can and refuses the rest (back-pressure).
//
// Every database here is a real in-memory SQLite database holding a copy
// of the visitor's own members. A demo builds what it needs, runs and
// closes it again: nothing outlives the call that made it. Each SQL span
// names the database it touched in the attribute engineroom.db.node
// (primary, replica, shard-0, shard-1).
package scaling

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/sandbox"
	ertrace "github.com/engineroom/engineroom/playground/trace"
)

// NodeKey is the span attribute naming the database a statement ran on.
const NodeKey = attribute.Key("engineroom.db.node")

// Names of the databases.
const (
	Primary = "primary"
	Replica = "replica"
)

// ShardName is the name of shard i: shard-0, shard-1.
func ShardName(i int) string { return fmt.Sprintf("shard-%d", i) }

// Member is one airline member as the scaling demos copy it.
type Member struct {
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Tier  string `json:"tier"`
	Miles int64  `json:"miles"`
}

// Options configures the engine's parts. Zero values mean the documented
// default.
type Options struct {
	// Tracer records a span per statement and per step. Default: no-op.
	Tracer trace.Tracer
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

func (o *Options) defaults() {
	if o.Tracer == nil {
		o.Tracer = noop.NewTracerProvider().Tracer("")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// maxMembers caps how many members a demo copies out of a sandbox.
const maxMembers = 5000

// loadPage is how many members one query reads (the sandbox returns at
// most 500 rows a statement).
const loadPage = 500

// LoadMembers reads the visitor's members from their own sandbox, a page
// at a time, in id order.
func LoadMembers(ctx context.Context, open sandbox.Opener) ([]Member, error) {
	var out []Member
	err := open(ctx, func(ctx context.Context, db *sandbox.DB) error {
		var after int64
		for len(out) < maxMembers {
			res, err := db.Query(ctx, "SELECT id, name, tier, miles FROM members WHERE id > ? ORDER BY id LIMIT ?", after, loadPage)
			if err != nil {
				return err
			}
			for _, r := range res.Values {
				m := Member{ID: sandbox.AsInt(r[0]), Name: sandbox.AsString(r[1]), Tier: sandbox.AsString(r[2]), Miles: sandbox.AsInt(r[3])}
				out = append(out, m)
				after = m.ID
			}
			if len(res.Values) < loadPage {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("scaling: reading your members: %w", err)
	}
	return out, nil
}

// step starts an internal span.
func step(ctx context.Context, tr trace.Tracer, name string, attrs ...attribute.KeyValue) (context.Context, trace.Span) {
	return tr.Start(ctx, name, trace.WithAttributes(append(attrs, ertrace.KindKey.String(ertrace.KindInternal))...))
}

// tracer is the options' tracer, the default if unset.
func (o Options) tracer() trace.Tracer {
	o.defaults()
	return o.Tracer
}
