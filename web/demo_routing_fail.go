package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/engineroom/engineroom/web/view"
)

// panicKinds maps the panel's choice to the bug brokenReport sets off.
var panicKinds = map[string]string{"nil map": "nil-map", "index out of range": "index", "nil pointer": "nil-pointer"}

func (s *Server) demoHandlerPanic() *demo {
	app := newRoutingApp(s.tracer, time.Now)
	return &demo{
		ID: "handler-panic", Title: "A handler panics", Lesson: routingLesson,
		Description: "GET /reports/broken has a bug. Choose which one, and whether the recover layer is in the chain.",
		Button:      "Ask for the report",
		Params: []param{
			{Name: "bug", Label: "The bug", Kind: "select", Default: "nil map", Options: []string{"nil map", "index out of range", "nil pointer"}},
			{Name: "recover", Label: "Recover layer in the chain", Kind: "checkbox", Default: "on",
				Hint: "Off: the panic reaches net/http itself, on a loopback listener of the demo's own."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			run := &appRun{recover: in.Params["recover"] == "on"}
			req := appRequest{Method: http.MethodGet, Target: "/reports/broken?kind=" + panicKinds[in.Params["bug"]], Header: http.Header{"Accept": {"text/html"}}}
			h := app.serve(app.build(run))
			var x appExchange
			var httpLog string
			var err error
			if run.recover {
				x, err = app.sendInProcess(ctx, h, req)
			} else {
				x, httpLog, err = app.sendLoopback(ctx, h, req)
			}
			if err != nil {
				return demoOutput{}, err
			}
			d := runData(run, x)
			o := view.RoutingOutput{Exchange: appExchangeView(x), Log: d.Log, Steps: stepsView(d.Chain, "/reports/broken", http.MethodGet), Tone: "error"}
			if run.recover {
				id := x.Header.Get("X-Request-Id")
				o.Headline = fmt.Sprintf("500 Internal Server Error, request id %s. The browser got one plain line: no panic value, no stack.", id)
				o.Note = "The recover layer caught the panic (" + d.Panic + "), answered 500 and put the panic value and the stack on its span: open the recover bar in the back end pane."
				o.LogNote = "Both lines carry the same request id as the response: a user who reports it leads the team straight to this panic."
			} else {
				o.Headline = "No response at all: the connection was closed."
				o.Note = "Nothing in the chain recovered, so the panic unwound every layer up to net/http, which caught it to keep the process alive, logged it and hung up. The logging layer never wrote its line."
				if httpLog != "" {
					d.Log = append(d.Log, httpLog)
					o.Log = append(o.Log, httpLog)
				}
				o.LogNote = "net/http's own line, followed in the real log by a stack trace — and no request id: nobody can match it to a user's report."
			}
			return demoOutput{Data: d, View: view.Routing(o)}, nil
		},
	}
}

// Contexts the timeout panel's handler can take.
const (
	watchesContext = "watches the context"
	ignoresContext = "ignores the context"
)

func (s *Server) demoHandlerTimeout() *demo {
	app := newRoutingApp(s.tracer, time.Now)
	return &demo{
		ID: "handler-timeout", Title: "A handler against a timeout", Lesson: routingLesson,
		Description: "GET /reports/slow does some work; a timeout layer outside the app answers 503 if it takes too long. Choose how long each takes, and whether the handler watches its context.",
		Button:      "Ask for the report",
		Params: []param{
			{Name: "work_ms", Label: "The handler works for (ms)", Kind: "number", Default: "300", Min: 0, Max: maxWorkMS, Hint: fmt.Sprintf("0 to %d ms.", maxWorkMS)},
			{Name: "timeout_ms", Label: "Timeout (ms)", Kind: "number", Default: "1000", Min: 50, Max: 2000, Hint: "50 to 2000 ms."},
			{Name: "handler", Label: "The handler", Kind: "select", Default: watchesContext, Options: []string{watchesContext, ignoresContext}},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			work, timeout := in.Int("work_ms"), in.Int("timeout_ms")
			ignore := in.Params["handler"] == ignoresContext
			run := &appRun{recover: true}
			done := make(chan struct{})
			inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				defer close(done)
				app.build(run).ServeHTTP(w, r)
			})
			h := app.serve(http.TimeoutHandler(inner, time.Duration(timeout)*time.Millisecond, "The report took too long.\n"))
			target := fmt.Sprintf("/reports/slow?ms=%d", work)
			if ignore {
				target += "&ctx=ignore"
			}
			start := time.Now()
			x, err := app.sendInProcess(ctx, h, appRequest{Method: http.MethodGet, Target: target, Header: http.Header{"Accept": {"application/json"}}})
			answered := time.Since(start)
			// The handler may still be working: wait for it (it is bounded
			// by maxWorkMS), so the trace shows where it ended and nothing
			// is left running after the run.
			<-done
			finished := time.Since(start)
			if err != nil {
				return demoOutput{}, err
			}
			d := runData(run, x)
			d.AnsweredMS, d.HandlerDoneMS = roundMS(answered), roundMS(finished)
			o := view.RoutingOutput{Exchange: appExchangeView(x), Log: d.Log, Steps: stepsView(d.Chain, "/reports/slow", http.MethodGet), Tone: "ok",
				Timeline: []view.RoutingParam{
					{Name: "Response sent", Value: fmt.Sprintf("%s · %d %s", formatDuration(answered), x.Status, http.StatusText(x.Status))},
					{Name: "Handler finished", Value: formatDuration(finished)},
				}}
			switch {
			case x.Status == http.StatusOK:
				o.Headline = fmt.Sprintf("200 OK after %s: %d ms of work fits in a %d ms timeout.", formatDuration(answered), work, timeout)
			case !ignore:
				o.Tone = "warn"
				o.Headline = fmt.Sprintf("%d after %s. The handler saw its context end and stopped at once: nothing kept working.", x.Status, formatDuration(answered))
				o.Note = "The “build the report” span ends at the deadline with “context deadline exceeded”. A database query or an outgoing call given the same context stops the same way."
			default:
				o.Tone = "error"
				o.Headline = fmt.Sprintf("%d after %s — but the handler kept working until %s, and its answer was thrown away.", x.Status, formatDuration(answered), formatDuration(finished))
				o.Note = "Its spans run past the server span: work nobody will ever see, still holding a goroutine, a connection, a lock. A timeout only stops code that listens."
				if strings.Contains(strings.Join(d.Log, "\n"), "status=200") {
					o.LogNote = "The logging layer sits inside the timeout: it logged the 200 the handler tried to send, not the 503 the client got. Log at the outermost layer."
				}
			}
			return demoOutput{Data: d, View: view.Routing(o)}, nil
		},
	}
}
