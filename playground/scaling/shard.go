package scaling

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"go.opentelemetry.io/otel/attribute"
)

// Shards is the member table split across two databases by its shard
// key, the member id: member id lives on shard id % 2.
type Shards struct {
	opts  Options
	nodes [2]*node
}

// ShardRule says how the shard key picks a shard.
const ShardRule = "id % 2"

// ShardOf is the shard that holds member id.
func ShardOf(id int64) int { return int(((id % 2) + 2) % 2) }

// OpenShards splits members across two new shard databases.
func OpenShards(ctx context.Context, members []Member, opts Options) (*Shards, error) {
	opts.defaults()
	ctx, span := step(ctx, opts.Tracer, fmt.Sprintf("split %d members across 2 shards by %s", len(members), ShardRule))
	defer span.End()
	var parts [2][]Member
	for _, m := range members {
		parts[ShardOf(m.ID)] = append(parts[ShardOf(m.ID)], m)
	}
	s := &Shards{opts: opts}
	for i := range s.nodes {
		n, err := openNode(ctx, ShardName(i), opts.Tracer, parts[i])
		if err != nil {
			s.Close()
			return nil, err
		}
		s.nodes[i] = n
	}
	return s, nil
}

// Close closes both shards.
func (s *Shards) Close() error {
	var errs []error
	for _, n := range s.nodes {
		if n != nil {
			errs = append(errs, n.close())
		}
	}
	return errors.Join(errs...)
}

// route picks the shard of member id, traced as a routing step.
func (s *Shards) route(ctx context.Context, id int64) *node {
	n := s.nodes[ShardOf(id)]
	_, span := step(ctx, s.opts.Tracer, fmt.Sprintf("route member %d to %s", id, n.name),
		attribute.Int64("engineroom.shard.key", id), attribute.String("engineroom.shard.rule", ShardRule), NodeKey.String(n.name))
	span.End()
	return n
}

// Lookup reads one member by id: the router sends it to one shard only.
func (s *Shards) Lookup(ctx context.Context, id int64) (*Member, Statement, error) {
	n := s.route(ctx, id)
	ms, st, err := n.members(ctx, "SELECT id, name, tier, miles FROM members WHERE id = ?", id)
	if err != nil || len(ms) == 0 {
		return nil, st, err
	}
	return &ms[0], st, nil
}

// topQuery is the per-shard half of "top members by miles"; ties go to
// the lower id, so the merge gives the single database's answer.
const topQuery = "SELECT id, name, tier, miles FROM members ORDER BY miles DESC, id LIMIT ?"

// Top returns the k members with the most miles. No shard can answer
// alone: the query is scattered to both, each returns its own top k, and
// the two lists are merged and cut to k.
func (s *Shards) Top(ctx context.Context, k int) ([]Member, []Statement, error) {
	sctx, span := step(ctx, s.opts.Tracer, fmt.Sprintf("scatter the query to %d shards", len(s.nodes)),
		attribute.Int("engineroom.shard.count", len(s.nodes)))
	var (
		wg    sync.WaitGroup
		lists [2][]Member
		sts   [2]Statement
		errs  [2]error
	)
	for i, n := range s.nodes {
		wg.Go(func() { lists[i], sts[i], errs[i] = n.members(sctx, topQuery, k) })
	}
	wg.Wait()
	span.End()
	if err := errors.Join(errs[:]...); err != nil {
		return nil, sts[:], err
	}
	_, span = step(ctx, s.opts.Tracer, fmt.Sprintf("gather: merge %d + %d rows, keep the top %d", len(lists[0]), len(lists[1]), k))
	defer span.End()
	return mergeTop(lists[0], lists[1], k), sts[:], nil
}

// mergeTop merges two lists sorted by miles (descending, then id) and
// keeps the first k.
func mergeTop(a, b []Member, k int) []Member {
	out := slices.Concat(a, b)
	slices.SortFunc(out, func(x, y Member) int {
		return cmp.Or(cmp.Compare(y.Miles, x.Miles), cmp.Compare(x.ID, y.ID))
	})
	return out[:min(k, len(out))]
}

// Count returns how many members each shard holds.
func (s *Shards) Count(ctx context.Context) ([2]int, error) {
	var out [2]int
	for i, n := range s.nodes {
		if err := n.db.QueryRowContext(ctx, "SELECT count(*) FROM members").Scan(&out[i]); err != nil {
			return out, fmt.Errorf("scaling: counting %s: %w", n.name, err)
		}
	}
	return out, nil
}

// totalMiles is the sum of every balance on both shards.
func (s *Shards) totalMiles(ctx context.Context) (int64, error) {
	var total int64
	for _, n := range s.nodes {
		var v int64
		if err := n.db.QueryRowContext(ctx, "SELECT coalesce(sum(miles), 0) FROM members").Scan(&v); err != nil {
			return 0, fmt.Errorf("scaling: adding up %s: %w", n.name, err)
		}
		total += v
	}
	return total, nil
}
