package airline

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// The changes the update demo can make: each is one fact that the tables
// keep once and the documents copy into every booking that mentions it.
const (
	ChangeDeparture = "a flight's departure time"
	ChangeTier      = "a member's tier"
	ChangeCity      = "an airport's city name"
)

// DocChanges lists the changes in the order the panel offers them.
var DocChanges = []string{ChangeDeparture, ChangeTier, ChangeCity}

// DocWrite is one statement of the update and what it changed.
type DocWrite struct {
	SQL     string  `json:"sql"`
	Args    []any   `json:"args"`
	Changed int64   `json:"rows_changed"`
	MS      float64 `json:"ms"`
}

// DocUpdate is one fact changed in both models.
type DocUpdate struct {
	Change      string     `json:"change"`
	Target      string     `json:"target"`
	NewValue    string     `json:"new_value"`
	Table       DocsTable  `json:"booking_docs"`
	Relational  []DocWrite `json:"relational"`
	Document    []DocWrite `json:"document"`
	RowsChanged int64      `json:"rows_changed"`
	DocsChanged int64      `json:"documents_changed"`
	// RolledBack is always true: the demo undoes both changes so it can
	// be run again on the same data.
	RolledBack bool   `json:"rolled_back"`
	Message    string `json:"message,omitempty"`
}

// docsMostCopied finds the value of path that the most documents copy,
// with one more path read alongside it (its name or current value).
const docsMostCopied = `SELECT doc ->> ?, doc ->> ?, count(*) AS copies
FROM booking_docs GROUP BY 1 ORDER BY copies DESC, 1 LIMIT 1`

// UpdateCopies changes one fact, picked as the one the most documents
// copy, in the tables and in the documents, inside a transaction it then
// rolls back. The counts of rows changed are the point: one row against
// every document that holds a copy.
func (a *App) UpdateCopies(ctx context.Context, db querier, change string) (DocUpdate, error) {
	ctx, span := a.step(ctx, "change one fact in both models", attribute.String("engineroom.change", change))
	defer span.End()
	u := DocUpdate{Change: change}
	var err error
	if u.Table, err = a.bookingDocs(ctx, db); err != nil {
		return u, fail(span, err)
	}
	if u.Table.Documents == 0 {
		u.Message = noDocs
		return u, nil
	}
	key, label := "$.flight.id", "$.flight.flight_no"
	switch change {
	case ChangeTier:
		key, label = "$.member.id", "$.member.tier"
	case ChangeCity:
		key, label = "$.flight.destination", "$.flight.destination_city"
	}
	res, err := db.Query(ctx, docsMostCopied, key, label)
	if err != nil {
		return u, fail(span, err)
	}
	target, name := res.Values[0][0], sandbox.AsString(res.Values[0][1])
	var rel, docs []DocWrite
	switch change {
	case ChangeTier:
		u.NewValue = "platinum"
		if name == "platinum" {
			u.NewValue = "gold"
		}
		u.Target = fmt.Sprintf("member %d (%s, now %s)", sandbox.AsInt(target), name, u.NewValue)
		rel = []DocWrite{{SQL: "UPDATE members SET tier = ? WHERE id = ?", Args: []any{u.NewValue, target}}}
		docs = []DocWrite{{SQL: "UPDATE booking_docs SET doc = json_set(doc, '$.member.tier', ?)\nWHERE json_extract(doc, '$.member.id') = ?", Args: []any{u.NewValue, target}}}
	case ChangeCity:
		u.NewValue = name + " (renamed)"
		u.Target = fmt.Sprintf("airport %s (%s)", sandbox.AsString(target), name)
		rel = []DocWrite{{SQL: "UPDATE airports SET city = ? WHERE code = ?", Args: []any{u.NewValue, target}}}
		docs = []DocWrite{
			{SQL: "UPDATE booking_docs SET doc = json_set(doc, '$.flight.destination_city', ?)\nWHERE json_extract(doc, '$.flight.destination') = ?", Args: []any{u.NewValue, target}},
			{SQL: "UPDATE booking_docs SET doc = json_set(doc, '$.flight.origin_city', ?)\nWHERE json_extract(doc, '$.flight.origin') = ?", Args: []any{u.NewValue, target}},
		}
	default:
		u.NewValue = "90 minutes later"
		u.Target = fmt.Sprintf("flight %s (id %d)", name, sandbox.AsInt(target))
		rel = []DocWrite{{SQL: "UPDATE flights\nSET departs_at = strftime('%Y-%m-%d %H:%M', departs_at, '+90 minutes'),\n    arrives_at = strftime('%Y-%m-%d %H:%M', arrives_at, '+90 minutes')\nWHERE id = ?", Args: []any{target}}}
		docs = []DocWrite{{SQL: "UPDATE booking_docs SET doc = json_set(doc,\n  '$.flight.departs_at', strftime('%Y-%m-%d %H:%M', doc ->> '$.flight.departs_at', '+90 minutes'),\n  '$.flight.arrives_at', strftime('%Y-%m-%d %H:%M', doc ->> '$.flight.arrives_at', '+90 minutes'))\nWHERE json_extract(doc, '$.flight.id') = ?", Args: []any{target}}}
	}
	if _, err := db.Exec(ctx, "BEGIN"); err != nil {
		return u, fail(span, err)
	}
	err = a.writeAll(ctx, db, "change the tables", rel, &u.RowsChanged)
	if err == nil {
		err = a.writeAll(ctx, db, "change the documents", docs, &u.DocsChanged)
	}
	// Undo both, failed or not: the visitor's data stays as it was.
	if _, rbErr := db.Exec(ctx, "ROLLBACK"); err == nil {
		err = rbErr
	}
	if err != nil {
		return u, fail(span, err)
	}
	u.Relational, u.Document, u.RolledBack = rel, docs, true
	if u.RowsChanged == 0 {
		u.Message = fmt.Sprintf("The documents still copy %s, but the tables no longer hold it: the copies have drifted from their source.", u.Target)
	}
	span.SetAttributes(attribute.Int64("engineroom.rows_changed", u.RowsChanged), attribute.Int64("engineroom.documents_changed", u.DocsChanged))
	return u, nil
}

// writeAll runs writes in order, timing each and adding up their counts.
func (a *App) writeAll(ctx context.Context, db querier, step string, writes []DocWrite, total *int64) error {
	ctx, span := a.step(ctx, step)
	defer span.End()
	for i := range writes {
		start := time.Now()
		n, err := db.Exec(ctx, writes[i].SQL, writes[i].Args...)
		if err != nil {
			return fail(span, err)
		}
		writes[i].Changed, writes[i].MS = n, msSince(start)
		*total += n
	}
	return nil
}
