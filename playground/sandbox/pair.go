package sandbox

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
	"modernc.org/sqlite"
)

// backupper is the part of the driver connection that copies a database.
type backupper interface {
	NewBackup(dstURI string) (*sqlite.Backup, error)
	NewRestore(srcURI string) (*sqlite.Backup, error)
}

// WithPair is With for demos of concurrency: fn gets two connections, a
// and b, onto one shared copy of the visitor's database, so statements on
// a and b really run at the same time and contend for SQLite's locks as
// two application servers would (a waits up to QueryTimeout for a lock b
// holds, then fails with SQLITE_BUSY). Spans carry sandbox.connection =
// "a" or "b".
//
// Such demos spend most of their time waiting: for a lock, or in a pause
// the demo makes on purpose. So each statement on a or b takes a global
// slot for itself, and between statements the demo holds none.
//
// A private in-memory database can have only one connection, so the copy
// lives in SQLite's memdb VFS under a random name for the duration of the
// call: the visitor's data is copied in before fn and copied back after it
// (transactions left open on a or b are rolled back first), so the
// visitor's sandbox ends up with whatever a and b committed.
func (m *Manager) WithPair(ctx context.Context, visitor string, fn func(ctx context.Context, a, b *DB) error) error {
	l, err := m.acquire(ctx, visitor)
	if err != nil {
		return err
	}
	defer l.release()
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, m.opts.QueryTimeout)
	defer cancel()

	var name [8]byte
	if _, err := rand.Read(name[:]); err != nil {
		return fmt.Errorf("sandbox: naming shared database: %w", err)
	}
	uri := "file:/engineroom-pair-" + hex.EncodeToString(name[:]) + "?vfs=memdb"
	shared, err := sql.Open("sqlite", uri+"&_defensive=1")
	if err != nil {
		return fmt.Errorf("sandbox: opening shared database: %w", err)
	}
	defer shared.Close()
	shared.SetMaxOpenConns(2)
	// The first connection keeps the memdb database alive while the visitor's
	// data is copied into it.
	first, err := shared.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sandbox: opening shared database: %w", err)
	}
	defer first.Close()
	if err := copyDB(l.b.conn, uri, false); err != nil {
		return err
	}
	second, err := shared.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sandbox: opening shared database: %w", err)
	}
	defer second.Close()

	dbs := make([]*DB, 2)
	for i, c := range []*sql.Conn{first, second} {
		deny := &denial{}
		// A lock the other connection holds fails at once: the runner
		// waits for it with the slot given back (see runner.exec).
		if err := guard(ctx, c, deny, "MEMORY", "PRAGMA busy_timeout = 0"); err != nil {
			return err
		}
		r := m.runner(parent, c, deny, 0)
		r.gated = true
		r.attrs = []attribute.KeyValue{attribute.String("sandbox.connection", string(rune('a'+i)))}
		dbs[i] = &DB{r: r, recycled: l.recycled}
	}
	l.pause()
	fnErr := fn(ctx, dbs[0], dbs[1])
	if err := l.resume(parent); err != nil {
		return errors.Join(fnErr, err)
	}
	dbs[0].r.rollback()
	dbs[1].r.rollback()
	if err := copyDB(l.b.conn, uri, true); err != nil {
		return errors.Join(fnErr, err)
	}
	return fnErr
}

// copyDB copies the main database of conn to the database at uri, or back
// from it when restore is set.
func copyDB(conn *sql.Conn, uri string, restore bool) error {
	err := conn.Raw(func(dc any) error {
		bk, ok := dc.(backupper)
		if !ok {
			return fmt.Errorf("driver connection %T cannot back up", dc)
		}
		open := bk.NewBackup
		if restore {
			open = bk.NewRestore
		}
		b, err := open(uri)
		if err != nil {
			return err
		}
		_, err = b.Step(-1)
		return errors.Join(err, b.Finish())
	})
	if err != nil {
		return fmt.Errorf("sandbox: copying the visitor's database: %w", err)
	}
	return nil
}
