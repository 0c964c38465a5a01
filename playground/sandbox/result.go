package sandbox

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Output caps of one Run.
const (
	maxRows        = 500
	maxCellBytes   = 2048
	maxResultBytes = 2 << 20
)

// Result is what one Run did.
type Result struct {
	// Statements holds one entry per statement of the input, in order,
	// including those that did not run (NotRun).
	Statements []Statement
	// Recycled is set on the first result after the visitor's previous
	// sandbox was dropped (idle or to make room): their changes are gone and
	// the database holds the demo data again.
	Recycled bool
	// Truncated is set when the whole output reached its 2 MB cap; the
	// statements after that point did not run.
	Truncated bool
	// RolledBack is set when the input left a transaction open: it was
	// rolled back, since a sandbox starts every Run outside a transaction.
	RolledBack bool
	ElapsedMS  float64
}

// Statement is one statement of a Run and what it returned.
//
// Execution stops at the first statement that fails, like sqlite3 -bail:
// that statement carries Error and the ones after it have NotRun set.
type Statement struct {
	SQL     string
	Columns []string
	// Rows holds at most 500 rows of display cells.
	Rows [][]Cell
	// RowsAffected counts the rows the statement inserted, updated or
	// deleted (0 for queries and schema changes).
	RowsAffected int64
	// Truncated is set when rows were left out: more than 500, or the
	// Result reached its size cap.
	Truncated bool
	ElapsedMS float64
	// Plan is the EXPLAIN QUERY PLAN tree, when RunOptions.Plan was set
	// and the statement reads or writes tables.
	Plan   []PlanNode
	Error  *StmtError
	NotRun bool
}

// Cell is one value as display text. SQL NULL has Null set and empty Text,
// so it can be shown distinctly from the text 'NULL'. Integers and reals
// are in SQLite's own notation, blobs as x'…' hex literals, and text as
// is; anything longer than 2 KB is cut and ends with "…". Text is never
// escaped: that is the renderer's job.
type Cell struct {
	Text string
	Null bool
}

// String returns the cell's text, or NULL for SQL NULL.
func (c Cell) String() string {
	if c.Null {
		return "NULL"
	}
	return c.Text
}

// MarshalJSON encodes a cell as a JSON string, or null for SQL NULL.
func (c Cell) MarshalJSON() ([]byte, error) {
	if c.Null {
		return []byte("null"), nil
	}
	return json.Marshal(c.Text)
}

// PlanNode is one line of a query plan with the lines nested under it.
type PlanNode struct {
	ID       int
	Detail   string
	Children []PlanNode
}

// cell converts a value scanned from the driver into a display cell.
func cell(v any) Cell {
	switch v := v.(type) {
	case nil:
		return Cell{Null: true}
	case int64:
		return Cell{Text: strconv.FormatInt(v, 10)}
	case float64:
		return Cell{Text: formatReal(v)}
	case string:
		return Cell{Text: clip(strings.ToValidUTF8(v, "\uFFFD"), maxCellBytes)}
	case []byte:
		n := min(len(v), (maxCellBytes-3)/2-1)
		s := "x'" + hex.EncodeToString(v[:n]) + "'"
		if n < len(v) {
			s = "x'" + hex.EncodeToString(v[:n]) + "…"
		}
		return Cell{Text: s}
	case time.Time:
		return Cell{Text: v.Format("2006-01-02 15:04:05.999999999Z07:00")}
	case bool:
		return Cell{Text: strconv.FormatBool(v)}
	default:
		return Cell{Text: "?"}
	}
}

// formatReal writes a REAL the way SQLite prints it: always with a decimal
// point or exponent, so 2.0 does not look like the integer 2.
func formatReal(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	s := strconv.FormatFloat(f, 'g', 15, 64)
	if strings.ContainsAny(s, ".eEnN") {
		return s
	}
	return s + ".0"
}

// clip cuts s to at most n bytes on a rune boundary, ending in "…" when
// anything was cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// ms converts a duration to fractional milliseconds.
func ms(d time.Duration) float64 {
	return float64(d.Microseconds()) / 1000
}

// buildPlan nests EXPLAIN QUERY PLAN rows (id, parent, detail) into a tree.
func buildPlan(ids, parents []int, details []string) []PlanNode {
	children := map[int][]int{}
	for i := range ids {
		children[parents[i]] = append(children[parents[i]], i)
	}
	var build func(parent int, depth int) []PlanNode
	build = func(parent int, depth int) []PlanNode {
		if depth > 64 {
			return nil
		}
		var out []PlanNode
		for _, i := range children[parent] {
			if ids[i] == parent {
				continue
			}
			out = append(out, PlanNode{ID: ids[i], Detail: details[i], Children: build(ids[i], depth+1)})
		}
		return out
	}
	return build(0, 0)
}
