package airline

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// The relational-versus-document lesson keeps a second copy of the
// airline's bookings in booking_docs: one JSON document per booking, with
// its member, flight and miles ledger entries nested inside, the way a
// document store such as MongoDB would hold it. The copy is built from the
// relational tables with SQLite's own JSON functions, so both models hold
// the same facts and every difference the lesson shows comes from the
// shape of the data.

// DocsLimit is how many bookings, the latest, get a document. All 20,000
// would add about 8 MiB to a sandbox (the budget is 16) and make one scan
// of them take longer than a visitor's whole 2 s query budget allows for
// the repeated, timed runs. 1,000 keep the comparison fair and quick and
// cost each visitor of the lesson about 0.8 MiB: a class of 300 runs the
// lesson's demos on one machine.
const DocsLimit = 1000

// docsTableSQL creates the documents table. The CHECK refuses text that
// is not JSON, the one piece of schema a document table keeps.
//
// It is a TEMP table: it lives with the sandbox's connection, in SQLite's
// heap, growing a page at a time (about 0.8 MiB), and stays out of the
// visitor's own database and its download.
// Reset drops it with the connection; the next demo builds it again.
const docsTableSQL = `CREATE TEMP TABLE IF NOT EXISTS booking_docs (
  id  INTEGER PRIMARY KEY,
  doc TEXT NOT NULL CHECK (json_valid(doc))
)`

// docsBuildSQL copies the latest bookings into documents. The ledger
// entries are a one-to-many list, built with json_group_array; json()
// around the subquery keeps them an array, since SQLite forgets that a
// subquery's value is JSON and would nest it as a string.
const docsBuildSQL = `INSERT INTO booking_docs (id, doc)
SELECT b.id, json_object(
  'id', b.id, 'status', b.status, 'paid_miles', b.paid_miles, 'booked_at', b.booked_at,
  'member', json_object('id', m.id, 'name', m.name, 'tier', m.tier),
  'flight', json_object('id', f.id, 'flight_no', f.flight_no,
    'origin', f.origin, 'origin_city', o.city,
    'destination', f.destination, 'destination_city', d.city,
    'departs_at', f.departs_at, 'arrives_at', f.arrives_at),
  'miles', json((SELECT json_group_array(json_object('delta', t.delta, 'reason', t.reason, 'at', t.at))
    FROM miles_transactions t
    WHERE t.member_id = b.member_id AND t.reason IN ('booking ' || b.id, 'refund ' || b.id))))
FROM bookings b
JOIN members m ON m.id = b.member_id
JOIN flights f ON f.id = b.flight_id
JOIN airports o ON o.code = f.origin
JOIN airports d ON d.code = f.destination
ORDER BY b.id DESC
LIMIT ?`

// DocsTable describes the visitor's booking_docs table after setup.
type DocsTable struct {
	Documents int64   `json:"documents"`
	FirstID   int64   `json:"first_id"`
	LastID    int64   `json:"last_id"`
	Built     bool    `json:"built_now"`
	BuildMS   float64 `json:"build_ms"`
}

// docsRange describes which bookings have documents, for messages.
func (t DocsTable) docsRange() string {
	return fmt.Sprintf("the documents copy your latest %d bookings, ids %d to %d", t.Documents, t.FirstID, t.LastID)
}

// bookingDocs creates and fills booking_docs when it is missing or empty,
// and leaves it alone otherwise, so every demo of the lesson can call it
// first and a second run costs one cheap count.
func (a *App) bookingDocs(ctx context.Context, db querier) (DocsTable, error) {
	ctx, span := a.step(ctx, "make sure the booking documents exist")
	defer span.End()
	var t DocsTable
	if _, err := db.Exec(ctx, docsTableSQL); err != nil {
		return t, fail(span, err)
	}
	count := func() error {
		res, err := db.Query(ctx, "SELECT count(*), min(id), max(id) FROM booking_docs")
		if err != nil {
			return err
		}
		v := res.Values[0]
		t.Documents, t.FirstID, t.LastID = sandbox.AsInt(v[0]), sandbox.AsInt(v[1]), sandbox.AsInt(v[2])
		return nil
	}
	if err := count(); err != nil {
		return t, fail(span, err)
	}
	if t.Documents == 0 {
		start := time.Now()
		if _, err := db.Exec(ctx, docsBuildSQL, DocsLimit); err != nil {
			return t, fail(span, err)
		}
		t.Built, t.BuildMS = true, msSince(start)
		if err := count(); err != nil {
			return t, fail(span, err)
		}
	}
	span.SetAttributes(attribute.Int64("engineroom.documents", t.Documents), attribute.Bool("engineroom.built", t.Built))
	return t, nil
}

// noDocs is the message when the visitor's bookings table is empty.
const noDocs = "Your bookings table is empty, so there are no documents to build. Reset my database in the SQL console to get the 20,000 bookings back."

// readRowsSQL reads one booking from the tables. The ledger is a list, so
// a booking with two entries comes back as two rows that repeat the rest.
const readRowsSQL = `SELECT b.id AS booking, b.status, b.paid_miles, m.name AS member, m.tier,
  f.flight_no, f.origin, o.city AS origin_city, f.destination, d.city AS destination_city,
  f.departs_at, t.delta, t.reason
FROM bookings b
JOIN members m ON m.id = b.member_id
JOIN flights f ON f.id = b.flight_id
JOIN airports o ON o.code = f.origin
JOIN airports d ON d.code = f.destination
LEFT JOIN miles_transactions t
  ON t.member_id = b.member_id AND t.reason IN ('booking ' || b.id, 'refund ' || b.id)
WHERE b.id = ?`

// readDocSQL reads the same booking as one document.
const readDocSQL = `SELECT doc FROM booking_docs WHERE id = ?`

// DocRead is one booking read both ways.
type DocRead struct {
	BookingID int64      `json:"booking_id"`
	Table     DocsTable  `json:"booking_docs"`
	RowsSQL   string     `json:"rows_sql"`
	Columns   []string   `json:"columns"`
	Rows      [][]string `json:"rows"`
	RowsMS    float64    `json:"rows_ms"`
	DocSQL    string     `json:"doc_sql"`
	Doc       string     `json:"doc"`
	DocMS     float64    `json:"doc_ms"`
	// Message explains a booking missing from one side or both.
	Message string `json:"message,omitempty"`
}

// ReadBooking reads booking id as rows joined across five tables and as
// one document fetched by its key.
func (a *App) ReadBooking(ctx context.Context, db querier, id int64) (DocRead, error) {
	ctx, span := a.step(ctx, "read one booking both ways", attribute.Int64("engineroom.booking_id", id))
	defer span.End()
	r := DocRead{BookingID: id, RowsSQL: readRowsSQL, DocSQL: readDocSQL}
	var err error
	if r.Table, err = a.bookingDocs(ctx, db); err != nil {
		return r, fail(span, err)
	}
	start := time.Now()
	rows, err := db.Query(ctx, readRowsSQL, id)
	if err != nil {
		return r, fail(span, err)
	}
	r.RowsMS = msSince(start)
	r.Columns = rows.Columns
	for _, v := range rows.Values {
		line := make([]string, len(v))
		for i, c := range v {
			line[i] = sandbox.AsString(c)
		}
		r.Rows = append(r.Rows, line)
	}
	start = time.Now()
	doc, err := db.Query(ctx, readDocSQL, id)
	if err != nil {
		return r, fail(span, err)
	}
	r.DocMS = msSince(start)
	if len(doc.Values) > 0 {
		r.Doc = sandbox.AsString(doc.Values[0][0])
	}
	switch {
	case r.Table.Documents == 0:
		r.Message = noDocs
	case len(r.Rows) == 0 && r.Doc == "":
		r.Message = fmt.Sprintf("There is no booking %d in your database: %s.", id, r.Table.docsRange())
	case r.Doc == "":
		r.Message = fmt.Sprintf("Booking %d is in the tables but has no document: %s.", id, r.Table.docsRange())
	case len(r.Rows) == 0:
		r.Message = fmt.Sprintf("Booking %d is gone from the tables, but its document is still there: a copy does not follow its source unless every write changes both.", id)
	}
	return r, nil
}
