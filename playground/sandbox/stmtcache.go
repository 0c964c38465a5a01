package sandbox

import (
	"context"
	"database/sql"
	"errors"
	"slices"
)

// stmtCacheSize is how many prepared statements a sandbox keeps.
const stmtCacheSize = 16

// stmtCache keeps the statements a sandbox ran last, prepared, so one run
// again — a whole class running a lesson's query, an app's query in a
// loop — skips SQLite's parsing and planning. SQLite prepares a cached
// statement again by itself when the schema changed, and the authorizer
// sees it again then. It belongs to one connection and is used by one
// operation at a time.
type stmtCache struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	order []string // least recently used first
}

func newStmtCache(conn *sql.Conn) *stmtCache {
	return &stmtCache{conn: conn, stmts: make(map[string]*sql.Stmt, stmtCacheSize)}
}

// query runs src with args, preparing it first unless it is cached.
func (c *stmtCache) query(ctx context.Context, src string, args ...any) (*sql.Rows, error) {
	st, ok := c.stmts[src]
	if ok {
		i := slices.Index(c.order, src)
		c.order = append(slices.Delete(c.order, i, i+1), src)
	} else {
		var err error
		if st, err = c.conn.PrepareContext(ctx, src); err != nil {
			return nil, err
		}
		if len(c.order) == stmtCacheSize {
			oldest := c.order[0]
			c.order = slices.Delete(c.order, 0, 1)
			_ = c.stmts[oldest].Close()
			delete(c.stmts, oldest)
		}
		c.stmts[src] = st
		c.order = append(c.order, src)
	}
	return st.QueryContext(ctx, args...)
}

// cacheable reports statements whose cached form stays right when the
// schema changes: SQLite prepares them again then. EXPLAIN and PRAGMA
// output is made when the statement is prepared, so it would go stale.
func cacheable(kw string) bool {
	switch kw {
	case "SELECT", "WITH", "VALUES", "INSERT", "UPDATE", "DELETE", "REPLACE":
		return true
	}
	return false
}

// close finalizes every statement; it must run before the connection
// closes, or SQLite keeps the database alive for them.
func (c *stmtCache) close() error {
	var errs []error
	for _, st := range c.stmts {
		errs = append(errs, st.Close())
	}
	clear(c.stmts)
	c.order = c.order[:0]
	return errors.Join(errs...)
}
