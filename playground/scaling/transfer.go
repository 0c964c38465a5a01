package scaling

import (
	"context"
	"fmt"
)

// TransferReport is what a transfer of miles between two members did.
type TransferReport struct {
	From, To   int64  `json:"-"`
	FromShard  string `json:"from_shard"`
	ToShard    string `json:"to_shard"`
	Miles      int64  `json:"miles"`
	CrossShard bool   `json:"cross_shard"`
	// Transactions counts the transactions it took: one on one shard,
	// two across shards.
	Transactions int `json:"transactions"`
	// Outcome is "done", "refused" (nothing changed), "undone" (the
	// credit failed and the debit was put back) or "lost" (the debit
	// committed and the credit never ran).
	Outcome     string      `json:"outcome"`
	Note        string      `json:"note"`
	TotalBefore int64       `json:"total_miles_before"`
	TotalAfter  int64       `json:"total_miles_after"`
	Statements  []Statement `json:"statements"`
}

// Transfer moves miles from one member to another. On one shard that is
// one transaction. Across shards it is two, one per shard, committed one
// after the other: nothing makes them atomic together. With stopBetween
// the process stops after the first commit, as a crash or a deploy
// would, and the miles are gone from both.
func (s *Shards) Transfer(ctx context.Context, from, to, miles int64, stopBetween bool) (TransferReport, error) {
	rep := TransferReport{From: from, To: to, Miles: miles}
	var err error
	if rep.TotalBefore, err = s.totalMiles(ctx); err != nil {
		return rep, err
	}
	a, b := s.route(ctx, from), s.route(ctx, to)
	rep.FromShard, rep.ToShard, rep.CrossShard = a.name, b.name, a != b
	debit := "UPDATE members SET miles = miles - ? WHERE id = ? AND miles >= ?"
	credit := "UPDATE members SET miles = miles + ? WHERE id = ?"
	tx := s.tx(ctx, &rep)
	if !rep.CrossShard {
		rep.Transactions = 1
		rep.Outcome, rep.Note = "done", fmt.Sprintf("Both members live on %s: one transaction moved the miles.", a.name)
		err = tx(a, func(run func(string, ...any) (int, error)) (bool, error) {
			if n, err := run(debit, miles, from, miles); err != nil || n == 0 {
				rep.Outcome, rep.Note = "refused", fmt.Sprintf("Member %d has fewer than %d miles (or does not exist): rolled back, nothing changed.", from, miles)
				return false, err
			}
			if n, err := run(credit, miles, to); err != nil || n == 0 {
				rep.Outcome, rep.Note = "refused", fmt.Sprintf("There is no member %d: rolled back, nothing changed.", to)
				return false, err
			}
			return true, nil
		})
		return s.finish(ctx, rep, err)
	}
	rep.Transactions = 1
	err = tx(a, func(run func(string, ...any) (int, error)) (bool, error) {
		n, err := run(debit, miles, from, miles)
		if err != nil || n == 0 {
			rep.Outcome, rep.Note = "refused", fmt.Sprintf("Member %d has fewer than %d miles (or does not exist): rolled back on %s, nothing changed.", from, miles, a.name)
		}
		return n > 0, err
	})
	if err != nil || rep.Outcome == "refused" {
		return s.finish(ctx, rep, err)
	}
	if stopBetween {
		rep.Outcome = "lost"
		rep.Note = fmt.Sprintf("%s committed the debit, then the process stopped before %s saw the credit: %d miles are gone from both shards.", a.name, b.name, miles)
		return s.finish(ctx, rep, nil)
	}
	rep.Transactions = 2
	credited := false
	err = tx(b, func(run func(string, ...any) (int, error)) (bool, error) {
		n, err := run(credit, miles, to)
		credited = err == nil && n > 0
		return credited, err
	})
	if err != nil {
		return s.finish(ctx, rep, err)
	}
	if credited {
		rep.Outcome = "done"
		rep.Note = fmt.Sprintf("Two transactions: the debit committed on %s, then the credit on %s. Between the two commits the miles were on neither.", a.name, b.name)
		return s.finish(ctx, rep, nil)
	}
	// The debit is committed and cannot be rolled back: undo it with a
	// third transaction.
	rep.Transactions = 3
	err = tx(a, func(run func(string, ...any) (int, error)) (bool, error) {
		_, err := run(credit, miles, from)
		return err == nil, err
	})
	rep.Outcome = "undone"
	rep.Note = fmt.Sprintf("There is no member %d on %s, but the debit had committed on %s: a third transaction put the miles back.", to, b.name, a.name)
	return s.finish(ctx, rep, err)
}

// finish adds up the miles after the transfer.
func (s *Shards) finish(ctx context.Context, rep TransferReport, err error) (TransferReport, error) {
	if err != nil {
		return rep, err
	}
	rep.TotalAfter, err = s.totalMiles(ctx)
	return rep, err
}

// tx returns a function that runs body in one transaction on a shard,
// each statement traced and listed in rep; body reports whether to
// commit.
func (s *Shards) tx(ctx context.Context, rep *TransferReport) func(n *node, body func(run func(string, ...any) (int, error)) (bool, error)) error {
	return func(n *node, body func(run func(string, ...any) (int, error)) (bool, error)) error {
		conn, err := n.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("scaling: on %s: %w", n.name, err)
		}
		defer conn.Close()
		run := func(q string, args ...any) (int, error) {
			st, err := n.exec(ctx, conn, q, args...)
			rep.Statements = append(rep.Statements, st)
			return st.Rows, err
		}
		if _, err := run("BEGIN"); err != nil {
			return err
		}
		commit, err := body(run)
		if err != nil || !commit {
			_, rbErr := run("ROLLBACK")
			if err == nil {
				err = rbErr
			}
			return err
		}
		_, err = run("COMMIT")
		return err
	}
}
