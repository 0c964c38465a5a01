package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/web/view"
)

// The testing lesson's handler test: the cases of TestFlightAPI (in
// flight_api_test.go, which the lesson shows), sent to the running server
// as real requests and checked as the test checks them.

// flightAPICase is one row of TestFlightAPI's table.
type flightAPICase struct {
	name       string
	path       string
	wantStatus int
	wantType   string
	wantBody   string
}

// flightAPICases are TestFlightAPI's rows, in its order; a test keeps the
// two tables the same.
var flightAPICases = []flightAPICase{
	{name: "a flight", path: "/api/v1/flights/42", wantStatus: 200, wantType: "application/json", wantBody: `"id":42`},
	{name: "no such flight", path: "/api/v1/flights/999999", wantStatus: 404, wantType: "application/problem+json", wantBody: "no flight 999999"},
	{name: "not a number", path: "/api/v1/flights/abc", wantStatus: 400, wantType: "application/problem+json", wantBody: "a whole number"},
}

// Where TestFlightAPI lives, and the line and message of each of its
// checks, for the transcript of a failing run; a test keeps them in step
// with the file.
const (
	flightAPITestFile   = "flight_api_test.go"
	flightAPIPackage    = "github.com/engineroom/engineroom/web"
	flightAPIStatusLine = 41
	flightAPIStatusMsg  = "status = %d, want %d"
	flightAPITypeLine   = 45
	flightAPITypeMsg    = "Content-Type = %q, want %q"
	flightAPIBodyLine   = 49
	flightAPIBodyMsg    = "body = %q, want %q in it"
	// flightAPIEdited is the case whose expected status the visitor may
	// change.
	flightAPIEdited = 1
)

func (s *Server) demoHandlerTest() *demo {
	edited := flightAPICases[flightAPIEdited]
	return &demo{
		ID: "handler-test", Title: "Run the handler test, live", Lesson: "testing-and-debugging",
		Description: "The three cases of this app's TestFlightAPI (shown below), sent to this server as real requests and checked the way the test checks them.",
		Button:      "Run the test",
		Wide:        true,
		Params: []param{{
			Name: "want_status", Label: fmt.Sprintf("The test expects %s (GET %s) to answer", edited.name, edited.path), Kind: "number",
			Default: strconv.Itoa(edited.wantStatus), Min: 100, Max: 599, Hint: "A status from 100 to 599. Change it to see a failing case.",
		}},
		Run: s.runHandlerTest,
	}
}

// handlerTestRun is the JSON twin's output.
type handlerTestRun struct {
	Passed     int              `json:"passed"`
	Failed     int              `json:"failed"`
	Cases      []handlerCaseRun `json:"cases"`
	Transcript string           `json:"transcript"`
}

// handlerCaseRun is one case: its request, its checks and its verdict.
type handlerCaseRun struct {
	Name    string            `json:"name"`
	Request string            `json:"request"`
	Pass    bool              `json:"pass"`
	TookMS  float64           `json:"took_ms"`
	Checks  []handlerCheckRun `json:"checks"`
}

// handlerCheckRun is one assertion. Message is what t.Errorf prints when
// it fails; "" when it passes.
type handlerCheckRun struct {
	Check   string `json:"check"`
	Want    string `json:"want"`
	Got     string `json:"got"`
	Pass    bool   `json:"pass"`
	Line    int    `json:"-"`
	Message string `json:"message,omitempty"`
}

func (s *Server) runHandlerTest(ctx context.Context, in demoInput) (demoOutput, error) {
	if err := s.sandboxForNewVisitor(ctx, in); err != nil {
		return demoOutput{}, err
	}
	cases := append([]flightAPICase(nil), flightAPICases...)
	cases[flightAPIEdited].wantStatus = in.Int("want_status")
	var run handlerTestRun
	var total time.Duration
	for _, tc := range cases {
		x, err := s.sendSelf(ctx, in.Request, tc.name+": GET "+tc.path, selfRequest{Target: tc.path})
		if err != nil {
			return demoOutput{}, err
		}
		total += x.Took
		body, ctype := string(x.Body), x.Header.Get(echo.HeaderContentType)
		cr := handlerCaseRun{Name: tc.name, Request: "GET " + tc.path, TookMS: float64(x.Took.Microseconds()) / 1000, Checks: []handlerCheckRun{
			{Check: "status", Want: strconv.Itoa(tc.wantStatus), Got: strconv.Itoa(x.Status), Pass: x.Status == tc.wantStatus, Line: flightAPIStatusLine,
				Message: fmt.Sprintf(flightAPIStatusMsg, x.Status, tc.wantStatus)},
			{Check: "Content-Type", Want: tc.wantType, Got: ctype, Pass: ctype == tc.wantType, Line: flightAPITypeLine,
				Message: fmt.Sprintf(flightAPITypeMsg, ctype, tc.wantType)},
			{Check: "body contains", Want: tc.wantBody, Got: excerpt(body, tc.wantBody), Pass: strings.Contains(body, tc.wantBody), Line: flightAPIBodyLine,
				Message: fmt.Sprintf(flightAPIBodyMsg, body, tc.wantBody)},
		}}
		cr.Pass = true
		for i := range cr.Checks {
			if cr.Checks[i].Pass {
				cr.Checks[i].Message = ""
			} else {
				cr.Pass = false
			}
		}
		if cr.Pass {
			run.Passed++
		} else {
			run.Failed++
		}
		run.Cases = append(run.Cases, cr)
	}
	run.Transcript = goTestTranscript(run.Cases, total)
	return demoOutput{Data: run, View: view.HandlerTest(handlerTestView(run, cases))}, nil
}

// excerpt is the part of body a check looked at: the wanted text with a
// little around it when found, else the start of the body.
func excerpt(body, want string) string {
	const around = 20
	i := strings.Index(body, want)
	if i < 0 {
		if len(body) > 2*around+len(want) {
			return body[:2*around+len(want)] + "…"
		}
		return body
	}
	from, to := max(i-around, 0), min(i+len(want)+around, len(body))
	out := body[from:to]
	if from > 0 {
		out = "…" + out
	}
	if to < len(body) {
		out += "…"
	}
	return out
}

// goTestTranscript is what `go test -run TestFlightAPI ./web/` prints for
// the run: one line when every case passes, the failing cases and their
// messages otherwise.
func goTestTranscript(cases []handlerCaseRun, total time.Duration) string {
	var b strings.Builder
	secs := fmt.Sprintf("%.3fs", total.Seconds())
	b.WriteString("$ go test -run TestFlightAPI ./web/\n")
	var failed []handlerCaseRun
	for _, c := range cases {
		if !c.Pass {
			failed = append(failed, c)
		}
	}
	if len(failed) == 0 {
		fmt.Fprintf(&b, "ok  \t%s\t%s\n", flightAPIPackage, secs)
		return b.String()
	}
	fmt.Fprintf(&b, "--- FAIL: TestFlightAPI (%s)\n", secs)
	for _, c := range failed {
		fmt.Fprintf(&b, "    --- FAIL: TestFlightAPI/%s (%.2fs)\n", strings.ReplaceAll(c.Name, " ", "_"), c.TookMS/1000)
		for _, k := range c.Checks {
			if !k.Pass {
				fmt.Fprintf(&b, "        %s:%d: %s\n", flightAPITestFile, k.Line, k.Message)
			}
		}
	}
	fmt.Fprintf(&b, "FAIL\nFAIL\t%s\t%s\nFAIL\n", flightAPIPackage, secs)
	return b.String()
}

func handlerTestView(run handlerTestRun, cases []flightAPICase) view.HandlerTestOutput {
	o := view.HandlerTestOutput{Passed: run.Passed, Transcript: run.Transcript}
	repo, now := flightAPICases[flightAPIEdited], cases[flightAPIEdited]
	if now.wantStatus != repo.wantStatus {
		o.Edited = fmt.Sprintf("You changed one expectation: %s now expects %d. The test in the repository expects %d.", repo.name, now.wantStatus, repo.wantStatus)
	}
	for _, c := range run.Cases {
		vc := view.HandlerTestCase{Name: c.Name, Request: c.Request, Pass: c.Pass, Took: fmt.Sprintf("%.1f ms", c.TookMS)}
		if !c.Pass {
			o.Failed = append(o.Failed, c.Name)
		}
		for _, k := range c.Checks {
			vc.Checks = append(vc.Checks, view.HandlerTestCheck{What: k.Check, Want: k.Want, Got: k.Got, Pass: k.Pass})
		}
		o.Cases = append(o.Cases, vc)
	}
	return o
}
