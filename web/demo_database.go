package web

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// The database lessons' demos run the airline app's back end on the
// visitor's own sandbox.

func (s *Server) demoIndexPlan() *demo {
	names := make([]string, len(airline.IndexCases))
	for i, c := range airline.IndexCases {
		names[i] = c.Name
	}
	return &demo{
		ID: "index-plan", Title: "Before and after an index", Lesson: "indexes-and-query-plans",
		Description: "Ask the same question with and without an index: compare the plans and the times.",
		Button:      "Compare",
		Wide:        true,
		Params: []param{
			{Name: "question", Label: "Question", Kind: "select", Options: names, Default: names[0]},
			{Name: "value", Label: "Member id or airport code", Kind: "text", Default: "42", MaxLen: 10,
				Hint: "A member id from 1 to 2000, or an airport code such as LHR."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			c, _ := airline.IndexCaseNamed(in.Params["question"])
			value, err := indexValue(c, in.Params["value"])
			if err != nil {
				return demoOutput{}, err
			}
			var r airline.IndexComparison
			err = s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				r, err = s.airline.CompareIndex(ctx, db, c, value)
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			side := func(label string, p airline.PlanRun) view.PlanSide {
				ps := view.PlanSide{Label: label, Runs: p.Runs, Avg: fmt.Sprintf("%.3f ms", p.AvgMS), Answer: strings.Join(p.Answer, ", ")}
				for _, d := range p.Plan {
					ps.Plan = append(ps.Plan, view.PlanRow{Detail: d, Scan: len(d) >= 4 && d[:4] == "SCAN"})
				}
				return ps
			}
			return demoOutput{Data: r, View: view.IndexCompare(view.IndexCompareOutput{
				Query: c.Query, Value: in.Params["value"], Create: c.Create,
				Before: side("Without the index", r.Before), After: side("With the index", r.After),
				CreateTime: fmt.Sprintf("%.2f ms", r.CreateMS), Speedup: fmt.Sprintf("%.1f×", r.Speedup),
			})}, nil
		},
	}
}

var airportCode = regexp.MustCompile(`^[A-Z]{3}$`)

// indexValue checks the value fits the chosen question.
func indexValue(c airline.IndexCase, raw string) (any, error) {
	if c.Index == "flights_origin" {
		if !airportCode.MatchString(raw) {
			return nil, &paramError{"value: an airport code is three capital letters, such as LHR"}
		}
		return raw, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > 2000 {
		return nil, &paramError{"value: a member id is a whole number from 1 to 2000"}
	}
	return n, nil
}

func (s *Server) demoNPlusOne() *demo {
	return &demo{
		ID: "n-plus-one", Title: "Recent bookings, two ways", Lesson: "joins-and-n-plus-one",
		Description: "Load the latest bookings with each member's name: one query per booking, or one JOIN.",
		Button:      "Load the page",
		Wide:        true,
		Params: []param{
			{Name: "strategy", Label: "How to load", Kind: "select", Options: []string{airline.NPlusOne, airline.Join}, Default: airline.NPlusOne},
			{Name: "limit", Label: "Bookings", Kind: "number", Default: "20", Min: 1, Max: 100, Hint: "1 to 100."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var r airline.Recent
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				r, err = s.airline.RecentBookings(ctx, db, in.Int("limit"), in.Params["strategy"])
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			o := view.RecentBookingsOutput{Strategy: r.Strategy, Queries: r.Queries, Elapsed: fmt.Sprintf("%.2f ms", r.ElapsedMS)}
			for _, l := range r.Lines {
				o.Rows = append(o.Rows, []string{strconv.FormatInt(l.ID, 10), l.BookedAt, l.Member})
			}
			return demoOutput{Data: r, View: view.RecentBookings(o)}, nil
		},
	}
}

func (s *Server) demoDoubleBooking() *demo {
	const without, with = "without a transaction", "with a transaction"
	return &demo{
		ID: "double-booking", Title: "Two bookings at the same moment", Lesson: "transactions-and-concurrency",
		Description: "Member 7 gets miles for one flight. Two requests book it at once, on two database connections.",
		Button:      "Book twice",
		Wide:        true,
		Params:      []param{{Name: "mode", Label: "Run the booking", Kind: "select", Options: []string{without, with}, Default: without}},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var r airline.Race
			err := s.sql.WithPair(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, a, b *sandbox.DB) error {
				var err error
				r, err = s.airline.DoubleBooking(ctx, a, b, in.Params["mode"] == with)
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			o := view.RaceOutput{
				Transaction: r.Transaction, Flight: r.FlightNo, Price: miles(r.Price), Start: miles(r.StartMiles),
				Bookings: r.Bookings, Final: miles(r.FinalMiles), Charged: miles(r.StartMiles - r.FinalMiles),
				Worth: miles(int64(r.Bookings) * r.Price),
				Lost:  miles(r.LostMiles), Correct: r.LostMiles == 0,
			}
			for _, a := range r.Attempts {
				ra := view.RaceAttempt{Conn: a.Conn, Saw: miles(a.SawMiles), Booked: a.Booked, Result: "booked", Waited: "—"}
				if !a.Booked {
					ra.Result = "refused: " + a.Reason
				}
				if r.Transaction {
					ra.Waited = fmt.Sprintf("%.1f ms", a.WaitedMS)
				}
				o.Attempts = append(o.Attempts, ra)
			}
			return demoOutput{Data: r, View: view.Race(o)}, nil
		},
	}
}

// miles writes a number of miles with thousands separators.
func miles(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

func (s *Server) demoSQLInjection() *demo {
	const unsafe, safe = "concatenated (unsafe)", "parameterised (safe)"
	return &demo{
		ID: "sql-injection", Title: "Log in", Lesson: "sql-injection",
		Description: "The airline's login form. Choose how the back end builds its SQL, then try to get in without the password.",
		Button:      "Log in",
		Wide:        true,
		Params: []param{
			{Name: "username", Label: "Username", Kind: "text", Default: "alice", MaxLen: 200},
			{Name: "password", Label: "Password", Kind: "text", Default: "alice-demo", MaxLen: 200},
			{Name: "query", Label: "The back end builds its SQL", Kind: "select", Options: []string{unsafe, safe}, Default: unsafe},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var l airline.Login
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				l, err = s.airline.LogIn(ctx, db, in.Params["username"], in.Params["password"], in.Params["query"] == safe)
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			return demoOutput{Data: l, View: view.Login(view.LoginOutput{
				LoggedIn: l.LoggedIn, Username: l.Username, Role: l.Role, Error: l.Error, SQL: l.SQL, Params: l.Params,
			})}, nil
		},
	}
}
