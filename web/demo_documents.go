package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// The relational-versus-document lesson's demos: the same bookings as rows
// and as JSON documents in the visitor's sandbox. The airline app does the
// work; these only decode input and shape the view.

const docsLesson = "relational-versus-document-data"

func (s *Server) demoDocsRead() *demo {
	return &demo{
		ID: "docs-read", Title: "One booking, two shapes", Lesson: docsLesson,
		Description: "Read a booking as rows joined from five tables, and as one JSON document.",
		Button:      "Read it",
		Wide:        true,
		Params: []param{{Name: "booking", Label: "Booking id", Kind: "number", Default: "19987", Min: 1, Max: 1_000_000,
			Hint: fmt.Sprintf("The documents copy the latest %s bookings: %d to %d.", miles(airline.DocsLimit), sandbox.SeededBookings-airline.DocsLimit+1, sandbox.SeededBookings)}},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var r airline.DocRead
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				r, err = s.airline.ReadBooking(ctx, db, int64(in.Int("booking")))
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			o := view.DocsReadOutput{
				BookingID: strconv.FormatInt(r.BookingID, 10), Message: r.Message, Docs: docsTableNote(r.Table),
				RowsSQL: s.code.HTML("sql", r.RowsSQL), Columns: r.Columns, Rows: r.Rows,
				RowsCount: plural(len(r.Rows), "row", "rows") + " from 5 tables",
				RowsTime:  fmt.Sprintf("%.3f ms", r.RowsMS),
				DocSQL:    s.code.HTML("sql", r.DocSQL), DocTime: fmt.Sprintf("%.3f ms", r.DocMS),
			}
			if r.Doc != "" {
				var pretty bytes.Buffer
				if json.Indent(&pretty, []byte(r.Doc), "", "  ") == nil {
					o.Doc = s.code.HTML("json", pretty.String())
				} else {
					o.Doc = s.code.HTML("", r.Doc)
				}
			}
			return demoOutput{Data: r, View: view.DocsRead(o)}, nil
		},
	}
}

func (s *Server) demoDocsFilter() *demo {
	return &demo{
		ID: "docs-filter", Title: "Find bookings by a field inside the document", Lesson: docsLesson,
		Description: "Count the documents whose flight goes to one airport: first by reading every document, then with an index.",
		Button:      "Search",
		Wide:        true,
		Params: []param{
			{Name: "destination", Label: "Destination airport", Kind: "text", Default: "CPH", MaxLen: 40,
				Hint: "An airport code such as CPH, JFK or LIS. It is sent to the database as a bound parameter."},
			{Name: "method", Label: "Make it searchable with", Kind: "select",
				Options: []string{airline.ExpressionIndex, airline.GeneratedColumn}, Default: airline.ExpressionIndex},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var f airline.DocFilter
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				f, err = s.airline.FilterDocs(ctx, db, in.Params["destination"], in.Params["method"])
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			side := func(label string, p airline.PlanRun) view.PlanSide {
				ps := view.PlanSide{Label: label, Runs: p.Runs, Avg: fmt.Sprintf("%.3f ms", p.AvgMS), Answer: strings.Join(p.Answer, ", ")}
				for _, d := range p.Plan {
					ps.Plan = append(ps.Plan, view.PlanRow{Detail: d, Scan: strings.HasPrefix(d, "SCAN")})
				}
				return ps
			}
			o := view.DocsFilterOutput{
				Destination: f.Destination, Method: f.Method, Message: f.Message, Docs: docsTableNote(f.Table),
				Query: f.BeforeSQL, AfterQuery: f.AfterSQL, Create: f.Create,
				Before: side("Without an index: every document parsed", f.Before), After: side("With "+f.Method, f.After),
				CreateTime: fmt.Sprintf("%.2f ms", f.CreateMS), Speedup: fmt.Sprintf("%.1f×", f.Speedup),
				Matches: miles(f.Matches),
			}
			for _, m := range f.Sample {
				o.Sample = append(o.Sample, []string{strconv.FormatInt(m.ID, 10), m.FlightNo, m.Member, m.Departs})
			}
			return demoOutput{Data: f, View: view.DocsFilter(o)}, nil
		},
	}
}

func (s *Server) demoDocsUpdate() *demo {
	return &demo{
		ID: "docs-update", Title: "Change one fact, everywhere it is copied", Lesson: docsLesson,
		Description: "Change something many bookings share: once in the tables, and in every document that holds a copy.",
		Button:      "Change it",
		Wide:        true,
		Params: []param{{Name: "change", Label: "What changes", Kind: "select", Options: airline.DocChanges, Default: airline.DocChanges[0],
			Hint: "The demo picks the one copied into the most documents."}},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var u airline.DocUpdate
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				u, err = s.airline.UpdateCopies(ctx, db, in.Params["change"])
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			o := view.DocsUpdateOutput{
				Change: u.Change, Target: u.Target, NewValue: u.NewValue, Message: u.Message, Docs: docsTableNote(u.Table),
				Rows:   s.docsWriteSide("In the tables: the fact is stored once", u.RowsChanged, "row changed", "rows changed", u.Relational),
				Copies: s.docsWriteSide("In the documents: every copy", u.DocsChanged, "document changed", "documents changed", u.Document),
			}
			return demoOutput{Data: u, View: view.DocsUpdate(o)}, nil
		},
	}
}

func (s *Server) docsWriteSide(title string, n int64, one, many string, writes []airline.DocWrite) view.DocsWriteSide {
	side := view.DocsWriteSide{Title: title, Count: miles(n), Unit: many}
	if n == 1 {
		side.Unit = one
	}
	for _, w := range writes {
		args := make([]string, len(w.Args))
		for i, a := range w.Args {
			args[i] = fmt.Sprintf("%#v", a)
		}
		side.Writes = append(side.Writes, view.DocsWrite{
			SQL: s.code.HTML("sql", w.SQL), Args: strings.Join(args, ", "),
			Changed: plural(int(w.Changed), "row", "rows") + " changed",
			Time:    fmt.Sprintf("%.3f ms", w.MS),
		})
	}
	return side
}

// docsTableNote says what booking_docs holds, and whether this run built it.
func docsTableNote(t airline.DocsTable) string {
	note := fmt.Sprintf("booking_docs holds %s documents", miles(t.Documents))
	if t.Built {
		return fmt.Sprintf("%s, built from your tables by this run in %.1f ms.", note, t.BuildMS)
	}
	return note + ", built by your first run of this lesson's demos."
}
