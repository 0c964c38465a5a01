package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// sqlDemo is a SQL console panel: it runs the visitor's SQL in their own
// sandbox. Lessons place several, each starting from its own query.
func (s *Server) sqlDemo(id, lesson, title, description, query string) *demo {
	return &demo{
		ID: id, Title: title, Lesson: lesson, Description: description, Button: "Run SQL",
		Params: []param{
			{Name: "sql", Label: "SQL", Kind: "textarea", Default: query,
				Hint: "Ctrl+Enter (⌘+Enter) runs it. Up to 20 statements, separated by semicolons."},
			{Name: "plan", Label: "Show the query plan", Kind: "checkbox", Default: "off"},
		},
		SQLTools:  true,
		Wide:      true,
		Permalink: func(p map[string]string) string { return "/sql?q=" + url.QueryEscape(p["sql"]) },
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			res, err := s.sql.Run(s.sqlContext(ctx, in.Request), in.Visitor, in.Params["sql"], sandbox.RunOptions{Plan: in.Params["plan"] == "on"})
			if err != nil {
				return demoOutput{}, err
			}
			v := s.sqlView(res)
			v.Permalink = "/sql?q=" + url.QueryEscape(in.Params["sql"])
			return demoOutput{Data: sqlJSON(res), View: view.SQLResults(v)}, nil
		},
	}
}

// sqlContext tells the sandbox which client is asking, so creating
// sandboxes can be rate-limited per address, and more strictly for
// visitors whose id was made for this very request.
func (s *Server) sqlContext(ctx context.Context, c echo.Context) context.Context {
	return sandbox.ContextWithClient(ctx, sandbox.Client{Addr: c.RealIP(), NewVisitor: isNewVisitor(c)})
}

// openSandbox opens the visitor's sandbox for the steps of a demo's
// engine that need it, with the client's creation limits.
func (s *Server) openSandbox(in demoInput) sandbox.Opener {
	return s.openFor(in.Request, in.Visitor)
}

// sqlErrorMessages are what a visitor reads when the sandbox refuses a
// submission as a whole.
var sqlErrorMessages = []struct {
	err    error
	status int
	msg    string
}{
	{sandbox.ErrTooLarge, http.StatusRequestEntityTooLarge, "That SQL is too long: a submission may be at most 100,000 bytes."},
	{sandbox.ErrTooManyStatements, http.StatusBadRequest, "Too many statements: a submission may have at most 20."},
	{sandbox.ErrBusy, http.StatusTooManyRequests, "Your previous query is still running. Wait for it to finish, then run this one."},
	{sandbox.ErrTooFast, http.StatusTooManyRequests, "You are sending queries faster than the server takes them from one visitor. Wait a second and run it again."},
	{sandbox.ErrRateLimited, http.StatusTooManyRequests, "Too many new databases from your network just now. Wait a little and try again."},
	{sandbox.ErrSaturated, http.StatusServiceUnavailable, "The server is busy running the whole class's queries. Try again in a few seconds."},
	{sandbox.ErrClosed, http.StatusServiceUnavailable, "The server is shutting down. Try again in a moment."},
}

// sandboxError turns a sandbox refusal into an HTTP error with a clear
// message; other errors pass through. A demo whose SQL fails on the
// visitor's own (changed) data is a 409: the visitor can put it right.
func sandboxError(err error) error {
	if errors.Is(err, sandbox.ErrInvalidInput) {
		return echo.NewHTTPError(http.StatusBadRequest, strings.TrimPrefix(err.Error(), "sandbox: "))
	}
	var se *sandbox.StmtError
	if errors.As(err, &se) || errors.Is(err, airline.ErrMissingData) || errors.Is(err, shop.ErrMissingData) {
		msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "airline: "), "shop: ")
		if se != nil {
			msg = se.Name + ": " + se.Message
		}
		return echo.NewHTTPError(http.StatusConflict,
			"This demo could not run on your database ("+msg+"). If you changed the demo data, press Reset my database in the SQL console.").SetInternal(err)
	}
	for _, m := range sqlErrorMessages {
		if errors.Is(err, m.err) {
			return echo.NewHTTPError(m.status, m.msg).SetInternal(err)
		}
	}
	return err
}

// sqlView shapes a sandbox result for the results table.
func (s *Server) sqlView(res *sandbox.Result) view.SQLResult {
	out := view.SQLResult{Recycled: res.Recycled, RolledBack: res.RolledBack, Truncated: res.Truncated}
	for i, st := range res.Statements {
		vs := view.SQLStatement{
			N: i + 1, SQL: st.SQL, Columns: st.Columns, Truncated: st.Truncated,
			RowsAffected: st.RowsAffected, Elapsed: formatDuration(time.Duration(st.ElapsedMS * float64(time.Millisecond))),
			IsQuery: len(st.Columns) > 0, NotRun: st.NotRun,
		}
		for _, row := range st.Rows {
			cells := make([]view.Cell, len(row))
			for j, c := range row {
				cells[j] = view.Cell{Text: c.Text, Null: c.Null}
			}
			vs.Rows = append(vs.Rows, cells)
		}
		vs.Plan = planRows(st.Plan, 0, nil)
		if st.Error != nil {
			vs.Error = &view.SQLError{Code: st.Error.Name, Message: st.Error.Message}
		}
		out.Statements = append(out.Statements, vs)
	}
	return out
}

// planRows flattens a plan tree into indented rows.
func planRows(nodes []sandbox.PlanNode, depth int, out []view.PlanRow) []view.PlanRow {
	for _, n := range nodes {
		out = append(out, view.PlanRow{Depth: min(depth, ertrace.MaxDepth), Detail: n.Detail, Scan: strings.HasPrefix(n.Detail, "SCAN")})
		out = planRows(n.Children, depth+1, out)
	}
	return out
}

// sqlStatementJSON is one statement in the JSON API.
type sqlStatementJSON struct {
	SQL          string           `json:"sql"`
	Columns      []string         `json:"columns"`
	Rows         [][]sandbox.Cell `json:"rows"`
	RowsAffected int64            `json:"rows_affected"`
	Truncated    bool             `json:"truncated"`
	ElapsedMS    float64          `json:"elapsed_ms"`
	Plan         []planJSON       `json:"plan"`
	Error        *sqlErrorJSON    `json:"error"`
	NotRun       bool             `json:"not_run,omitempty"`
}

// planJSON is one step of a query plan with the steps under it.
type planJSON struct {
	ID       int        `json:"id"`
	Detail   string     `json:"detail"`
	Children []planJSON `json:"children"`
}

func planTree(nodes []sandbox.PlanNode) []planJSON {
	out := make([]planJSON, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, planJSON{ID: n.ID, Detail: n.Detail, Children: planTree(n.Children)})
	}
	return out
}

type sqlErrorJSON struct {
	Code    int    `json:"code"`
	Name    string `json:"name"`
	Message string `json:"message"`
}

// sqlResultJSON is a whole submission in the JSON API.
type sqlResultJSON struct {
	Statements []sqlStatementJSON `json:"statements"`
	Recycled   bool               `json:"recycled"`
	RolledBack bool               `json:"rolled_back"`
	Truncated  bool               `json:"truncated"`
}

func sqlJSON(res *sandbox.Result) sqlResultJSON {
	out := sqlResultJSON{Statements: make([]sqlStatementJSON, 0, len(res.Statements)),
		Recycled: res.Recycled, RolledBack: res.RolledBack, Truncated: res.Truncated}
	for _, st := range res.Statements {
		js := sqlStatementJSON{SQL: st.SQL, Columns: st.Columns, Rows: st.Rows, RowsAffected: st.RowsAffected,
			Truncated: st.Truncated, ElapsedMS: st.ElapsedMS, Plan: planTree(st.Plan), NotRun: st.NotRun}
		if js.Columns == nil {
			js.Columns = []string{}
		}
		if js.Rows == nil {
			js.Rows = [][]sandbox.Cell{}
		}
		if st.Error != nil {
			js.Error = &sqlErrorJSON{Code: st.Error.Code, Name: st.Error.Name, Message: st.Error.Message}
		}
		out.Statements = append(out.Statements, js)
	}
	return out
}

// runSQLJSON is POST /api/v1/sql: {"sql": "...", "plan": false}.
func (s *Server) runSQLJSON(c echo.Context) error {
	body, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return readBodyError(err)
	}
	if !utf8.Valid(body) {
		return echo.NewHTTPError(http.StatusBadRequest, "the body is not valid UTF-8")
	}
	var in struct {
		SQL  *string `json:"sql"`
		Plan bool    `json:"plan"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: "+err.Error()+` (send {"sql": "SELECT 1"})`)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return echo.NewHTTPError(http.StatusBadRequest, "malformed JSON: unexpected data after the object")
	}
	if in.SQL == nil {
		return echo.NewHTTPError(http.StatusBadRequest, `missing "sql": send {"sql": "SELECT 1"}`)
	}
	res, err := s.sql.Run(s.sqlContext(c.Request().Context(), c), visitorID(c), *in.SQL, sandbox.RunOptions{Plan: in.Plan})
	if err != nil {
		return sandboxError(err)
	}
	t, _ := s.currentTrace(c)
	return c.JSON(http.StatusOK, struct {
		sqlResultJSON
		Trace ertrace.JSON `json:"trace"`
	}{sqlJSON(res), ertrace.ToJSON(t, time.Now())})
}

// readBodyError keeps a body-limit 413 and calls anything else a 400.
func readBodyError(err error) error {
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return he
	}
	return echo.NewHTTPError(http.StatusBadRequest, "the body could not be read: "+err.Error())
}

// resetSQLJSON is POST /api/v1/sql/reset.
func (s *Server) resetSQLJSON(c echo.Context) error {
	if err := s.sql.Reset(s.sqlContext(c.Request().Context(), c), visitorID(c)); err != nil {
		return sandboxError(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"reset": true})
}

// showSchemaJSON is GET /api/v1/sql/schema.
func (s *Server) showSchemaJSON(c echo.Context) error {
	sch, err := s.sql.Schema(s.sqlContext(c.Request().Context(), c), visitorID(c))
	if err != nil {
		return sandboxError(err)
	}
	return c.JSON(http.StatusOK, schemaJSON(sch))
}

func schemaJSON(sch sandbox.Schema) any {
	type col struct {
		Name    string `json:"name"`
		Type    string `json:"type"`
		NotNull bool   `json:"not_null"`
		PK      int    `json:"pk"`
		Default string `json:"default,omitempty"`
	}
	type index struct {
		Name    string   `json:"name"`
		Unique  bool     `json:"unique"`
		Columns []string `json:"columns"`
	}
	type table struct {
		Name    string  `json:"name"`
		Kind    string  `json:"kind"`
		Rows    int64   `json:"rows"`
		Columns []col   `json:"columns"`
		Indexes []index `json:"indexes"`
	}
	out := struct {
		Tables   []table `json:"tables"`
		Recycled bool    `json:"recycled"`
	}{Tables: []table{}, Recycled: sch.Recycled}
	for _, t := range sch.Tables {
		tj := table{Name: t.Name, Kind: t.Kind, Rows: t.Rows, Columns: []col{}, Indexes: []index{}}
		for _, c := range t.Columns {
			tj.Columns = append(tj.Columns, col{c.Name, c.Type, c.NotNull, c.PK, c.Default})
		}
		for _, ix := range t.Indexes {
			tj.Indexes = append(tj.Indexes, index{ix.Name, ix.Unique, ix.Columns})
		}
		out.Tables = append(out.Tables, tj)
	}
	return out
}

// schemaView shapes the schema for the schema browser.
func schemaView(sch sandbox.Schema) view.SchemaView {
	var v view.SchemaView
	for _, t := range sch.Tables {
		st := view.SchemaTable{Name: t.Name, Rows: fmt.Sprintf("%d rows", t.Rows)}
		if t.Rows < 0 {
			st.Rows = "view"
		}
		for _, c := range t.Columns {
			var notes []string
			if c.PK > 0 {
				notes = append(notes, "primary key")
			}
			if c.NotNull {
				notes = append(notes, "not null")
			}
			if c.Default != "" {
				notes = append(notes, "default "+c.Default)
			}
			st.Columns = append(st.Columns, view.SchemaColumn{Name: c.Name, Type: c.Type, Notes: strings.Join(notes, ", ")})
		}
		for _, ix := range t.Indexes {
			if ix.Origin == "pk" {
				continue
			}
			desc := ix.Name + " (" + strings.Join(ix.Columns, ", ") + ")"
			if ix.Unique {
				desc += " unique"
			}
			st.Indexes = append(st.Indexes, desc)
		}
		v.Tables = append(v.Tables, st)
	}
	return v
}

// showConsole is GET /sql: a SQL console on the visitor's own database,
// with the schema beside it. ?q= fills in the query.
func (s *Server) showConsole(c echo.Context) error {
	s.sql.Warm(visitorID(c))
	if r, d, ok := s.ranHere(c); ok {
		return s.page(c, s.demoPage(csrfToken(c), d, templ.Raw(r.html), r.values))
	}
	d, _ := s.demos.get("sql")
	values := map[string]string{}
	if q := c.QueryParam("q"); q != "" {
		values["sql"] = strings.ReplaceAll(strings.ToValidUTF8(q, "\uFFFD"), "\x00", "")
	}
	csrf := csrfToken(c)
	panel := s.demoView(csrf, d, values)
	return s.page(c, view.ConsolePage(view.Console{Page: s.pageMeta(csrf, "SQL console"), Panel: panel}))
}

// showSchema is GET /sql/schema: the schema browser as a fragment or page.
func (s *Server) showSchema(c echo.Context) error {
	sch, err := s.sql.Schema(s.sqlContext(c.Request().Context(), c), visitorID(c))
	if err != nil {
		return sandboxError(err)
	}
	sv := schemaView(sch)
	return s.render(c, http.StatusOK, view.Schema(sv), func() templ.Component {
		return view.SchemaPage(s.pageMeta(csrfToken(c), "Your database"), sv)
	})
}

// resetSQL is POST /sql/reset from a console's Reset button.
func (s *Server) resetSQL(c echo.Context) error {
	if err := s.sql.Reset(s.sqlContext(c.Request().Context(), c), visitorID(c)); err != nil {
		return sandboxError(err)
	}
	n := view.Notice{Level: "ok", Title: "Done.", Text: "Your database is a fresh copy of the demo data again."}
	return s.render(c, http.StatusOK, view.NoticeFragment(n), func() templ.Component {
		return view.NoticePage(s.pageMeta(csrfToken(c), "Database reset"), n)
	})
}

// downloadSQL is GET /sql/download: the visitor's database as a file.
func (s *Server) downloadSQL(c echo.Context) error {
	b, err := s.sql.Download(s.sqlContext(c.Request().Context(), c), visitorID(c))
	if err != nil {
		return sandboxError(err)
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="engineroom.sqlite"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/vnd.sqlite3", b)
}
