package sandbox

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// Reset replaces the visitor's sandbox with a fresh copy of the demo data.
func (m *Manager) Reset(ctx context.Context, visitor string) error {
	l, err := m.acquire(ctx, visitor)
	if err != nil {
		return err
	}
	defer l.release()
	if l.created {
		return nil
	}
	if err := l.b.close(); err != nil {
		return fmt.Errorf("sandbox: closing old sandbox: %w", err)
	}
	if _, err := m.openBox(ctx, l.b); err != nil {
		// Leave a box without a database: the next call creates one.
		return err
	}
	m.stats.created.Add(1)
	return nil
}

// Download returns the visitor's database as an SQLite file image.
func (m *Manager) Download(ctx context.Context, visitor string) ([]byte, error) {
	l, err := m.acquire(ctx, visitor)
	if err != nil {
		return nil, err
	}
	defer l.release()
	// SQLite serializes the pages in use, read through the pager.
	image, err := serialize(l.b.conn)
	if err != nil {
		return nil, fmt.Errorf("sandbox: serializing database: %w", err)
	}
	return image, nil
}

// Schema describes the tables and views of a sandbox.
type Schema struct {
	Tables []Table
	// Recycled is set as in Result.Recycled.
	Recycled bool
}

// Table is one table or view.
type Table struct {
	Name string
	Kind string // "table" or "view"
	// Rows is the table's row count; -1 for views, which are not counted.
	Rows    int64
	Columns []Column
	Indexes []Index
}

// Column is one column of a table.
type Column struct {
	Name    string
	Type    string
	NotNull bool
	// PK is the column's position in the primary key, from 1; 0 if it is
	// not part of it.
	PK int
	// Default is the SQL text of the default value; "" if there is none.
	Default string
}

// Index is one index of a table.
type Index struct {
	Name   string
	Unique bool
	// Origin is "c" for CREATE INDEX, "u" for a UNIQUE constraint and "pk"
	// for a PRIMARY KEY.
	Origin  string
	Columns []string
}

// Schema returns the visitor's tables and views, with row counts, columns
// and indexes, creating the sandbox on first use.
func (m *Manager) Schema(ctx context.Context, visitor string) (Schema, error) {
	l, err := m.acquire(ctx, visitor)
	if err != nil {
		return Schema{}, err
	}
	defer l.release()
	ctx, cancel := context.WithTimeout(ctx, m.opts.QueryTimeout)
	defer cancel()
	s := Schema{Recycled: l.recycled}
	c := l.b.conn
	rows, err := c.QueryContext(ctx, `SELECT name, type FROM sqlite_schema
		WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return Schema{}, fmt.Errorf("sandbox: listing tables: %w", err)
	}
	for rows.Next() {
		t := Table{Rows: -1}
		if err := rows.Scan(&t.Name, &t.Kind); err != nil {
			rows.Close()
			return Schema{}, fmt.Errorf("sandbox: listing tables: %w", err)
		}
		s.Tables = append(s.Tables, t)
	}
	if err := rows.Close(); err != nil {
		return Schema{}, fmt.Errorf("sandbox: listing tables: %w", err)
	}
	for i := range s.Tables {
		if err := describe(ctx, c, &s.Tables[i]); err != nil {
			return Schema{}, fmt.Errorf("sandbox: describing %q: %w", s.Tables[i].Name, err)
		}
	}
	return s, nil
}

// describe fills in a table's row count, columns and indexes.
func describe(ctx context.Context, c *sql.Conn, t *Table) error {
	if t.Kind == "table" {
		if err := c.QueryRowContext(ctx, "SELECT count(*) FROM "+quoteIdent(t.Name)).Scan(&t.Rows); err != nil {
			return err
		}
	}
	cols, err := c.QueryContext(ctx, `SELECT name, type, "notnull", coalesce(dflt_value, ''), pk FROM pragma_table_info(?)`, t.Name)
	if err != nil {
		return err
	}
	for cols.Next() {
		var col Column
		if err := cols.Scan(&col.Name, &col.Type, &col.NotNull, &col.Default, &col.PK); err != nil {
			cols.Close()
			return err
		}
		t.Columns = append(t.Columns, col)
	}
	if err := cols.Close(); err != nil {
		return err
	}
	idx, err := c.QueryContext(ctx, `SELECT name, "unique", origin FROM pragma_index_list(?) ORDER BY name`, t.Name)
	if err != nil {
		return err
	}
	for idx.Next() {
		var ix Index
		if err := idx.Scan(&ix.Name, &ix.Unique, &ix.Origin); err != nil {
			idx.Close()
			return err
		}
		t.Indexes = append(t.Indexes, ix)
	}
	if err := idx.Close(); err != nil {
		return err
	}
	for i := range t.Indexes {
		ix := &t.Indexes[i]
		if err := indexColumns(ctx, c, ix); err != nil {
			return err
		}
	}
	return nil
}

func indexColumns(ctx context.Context, c *sql.Conn, ix *Index) error {
	rows, err := c.QueryContext(ctx, `SELECT coalesce(name, '(expression)') FROM pragma_index_info(?) ORDER BY seqno`, ix.Name)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return err
		}
		ix.Columns = append(ix.Columns, name)
	}
	return rows.Err()
}

// quoteIdent quotes a name as an SQL identifier.
func quoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
