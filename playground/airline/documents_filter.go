package airline

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// How the filter demo makes the nested field searchable.
const (
	// ExpressionIndex indexes json_extract(...) itself.
	ExpressionIndex = "an index on the expression"
	// GeneratedColumn adds a virtual column computed from the document
	// and indexes the column.
	GeneratedColumn = "a generated column and its index"
)

// The filter demo's statements. The JSON path is part of the SQL; the
// value a visitor types is always a bound parameter.
const (
	docsDestExpr     = "json_extract(doc, '$.flight.destination')"
	docsFilterSQL    = "SELECT count(*) FROM booking_docs WHERE " + docsDestExpr + " = ?"
	docsColumnSQL    = "SELECT count(*) FROM booking_docs WHERE dest = ?"
	docsExprIndexSQL = "CREATE INDEX booking_docs_dest ON booking_docs(" + docsDestExpr + ")"
	docsAddColumnSQL = "ALTER TABLE booking_docs ADD COLUMN dest TEXT GENERATED ALWAYS AS (" + docsDestExpr + ") VIRTUAL"
	docsColIndexSQL  = "CREATE INDEX booking_docs_dest ON booking_docs(dest)"
	docsSampleSQL    = `SELECT id, doc ->> '$.flight.flight_no', doc ->> '$.member.name', doc ->> '$.flight.departs_at'
FROM booking_docs WHERE `
)

// DocMatch is one matching document, as the sample shows it.
type DocMatch struct {
	ID       int64  `json:"id"`
	FlightNo string `json:"flight_no"`
	Member   string `json:"member"`
	Departs  string `json:"departs_at"`
}

// DocFilter is a search on a nested field before and after indexing it.
type DocFilter struct {
	Destination string     `json:"destination"`
	Method      string     `json:"method"`
	Table       DocsTable  `json:"booking_docs"`
	Create      []string   `json:"create"`
	Before      PlanRun    `json:"before"`
	BeforeSQL   string     `json:"before_sql"`
	After       PlanRun    `json:"after"`
	AfterSQL    string     `json:"after_sql"`
	CreateMS    float64    `json:"create_ms"`
	Speedup     float64    `json:"speedup"`
	Matches     int64      `json:"matches"`
	Sample      []DocMatch `json:"sample"`
	Message     string     `json:"message,omitempty"`
}

// FilterDocs counts the documents whose flight goes to destination: first
// with nothing to help (every document is parsed), then with method's
// index. It removes the index and the column again afterwards, so the
// demo can be repeated and the visitor's table stays as it was.
func (a *App) FilterDocs(ctx context.Context, db querier, destination, method string) (DocFilter, error) {
	ctx, span := a.step(ctx, "filter documents by a nested field", attribute.String("engineroom.method", method))
	defer span.End()
	f := DocFilter{Destination: destination, Method: method, BeforeSQL: docsFilterSQL, AfterSQL: docsFilterSQL}
	generated := method == GeneratedColumn
	f.Create = []string{docsExprIndexSQL}
	if generated {
		f.Create, f.AfterSQL = []string{docsAddColumnSQL, docsColIndexSQL}, docsColumnSQL
	}
	var err error
	if f.Table, err = a.bookingDocs(ctx, db); err != nil {
		return f, fail(span, err)
	}
	// A run cut short (by the time limit, say) may have left these behind.
	if err := a.dropDocsIndex(ctx, db); err != nil {
		return f, fail(span, err)
	}
	if f.Before, err = a.planAndTime(ctx, db, "before the index", docsFilterSQL, destination); err != nil {
		return f, fail(span, err)
	}
	start := time.Now()
	for _, stmt := range f.Create {
		if _, err := db.Exec(ctx, stmt); err != nil {
			return f, fail(span, err)
		}
	}
	f.CreateMS = msSince(start)
	if f.After, err = a.planAndTime(ctx, db, "after the index", f.AfterSQL, destination); err != nil {
		return f, fail(span, err)
	}
	where := docsDestExpr + " = ?"
	if generated {
		where = "dest = ?"
	}
	sample, err := db.Query(ctx, docsSampleSQL+where+" ORDER BY id DESC LIMIT 5", destination)
	if err != nil {
		return f, fail(span, err)
	}
	for _, v := range sample.Values {
		f.Sample = append(f.Sample, DocMatch{ID: sandbox.AsInt(v[0]), FlightNo: sandbox.AsString(v[1]), Member: sandbox.AsString(v[2]), Departs: sandbox.AsString(v[3])})
	}
	if err := a.dropDocsIndex(ctx, db); err != nil {
		return f, fail(span, err)
	}
	if len(f.After.Answer) > 0 {
		f.Matches, _ = strconv.ParseInt(f.After.Answer[0], 10, 64)
	}
	if f.After.AvgMS > 0 {
		f.Speedup = float64(int(f.Before.AvgMS/f.After.AvgMS*10)) / 10
	}
	switch {
	case f.Table.Documents == 0:
		f.Message = noDocs
	case f.Matches == 0:
		f.Message = "No document's flight goes there. Destinations are airport codes, three capital letters such as CPH or JFK."
	}
	span.SetAttributes(attribute.Float64("engineroom.speedup", f.Speedup))
	return f, nil
}

// dropDocsIndex removes the demo's index and generated column if they
// are there. PRAGMA table_xinfo lists generated columns (table_info
// leaves them out).
func (a *App) dropDocsIndex(ctx context.Context, db querier) error {
	if _, err := db.Exec(ctx, "DROP INDEX IF EXISTS booking_docs_dest"); err != nil {
		return err
	}
	cols, err := db.Query(ctx, "PRAGMA table_xinfo(booking_docs)")
	if err != nil {
		return err
	}
	for _, v := range cols.Values {
		if len(v) > 1 && sandbox.AsString(v[1]) == "dest" {
			_, err := db.Exec(ctx, "ALTER TABLE booking_docs DROP COLUMN dest")
			return err
		}
	}
	return nil
}
