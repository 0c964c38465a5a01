package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/routing"
	"github.com/engineroom/engineroom/web/view"
)

// panicKinds maps the panel's choice to the bug brokenReport sets off.
var panicKinds = map[string]string{"nil map": routing.BugNilMap, "index out of range": routing.BugIndex, "nil pointer": routing.BugNilPointer}

func (s *Server) demoHandlerPanic() *demo {
	app := routing.New(routing.Options{Tracer: s.tracer})
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
			recovered := in.Params["recover"] == "on"
			d, err := app.Panic(ctx, panicKinds[in.Params["bug"]], recovered)
			if err != nil {
				return demoOutput{}, err
			}
			x := d.Exchange
			o := view.RoutingOutput{Exchange: appExchangeView(x), Log: d.Log, Steps: stepsView(d, "/reports/broken", http.MethodGet), Tone: "error"}
			if recovered {
				id := x.Header.Get("X-Request-Id")
				o.Headline = fmt.Sprintf("500 Internal Server Error, request id %s. The browser got one plain line: no panic value, no stack.", id)
				o.Note = "The recover layer caught the panic (" + d.Panic + "), answered 500 and put the panic value and the stack on its span: open the recover bar in the back end pane."
				o.LogNote = "Both lines carry the same request id as the response: a user who reports it leads the team straight to this panic."
			} else {
				o.Headline = "No response at all: the connection was closed."
				o.Note = "Nothing in the chain recovered, so the panic unwound every layer up to net/http, which caught it to keep the process alive, logged it and hung up. The logging layer never wrote its line."
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
	app := routing.New(routing.Options{Tracer: s.tracer})
	return &demo{
		ID: "handler-timeout", Title: "A handler against a timeout", Lesson: routingLesson,
		Description: "GET /reports/slow does some work; a timeout layer outside the app answers 503 if it takes too long. Choose how long each takes, and whether the handler watches its context.",
		Button:      "Ask for the report",
		Params: []param{
			{Name: "work_ms", Label: "The handler works for (ms)", Kind: "number", Default: "300", Min: 0, Max: routing.MaxWorkMS, Hint: fmt.Sprintf("0 to %d ms.", routing.MaxWorkMS)},
			{Name: "timeout_ms", Label: "Timeout (ms)", Kind: "number", Default: "1000", Min: 50, Max: 2000, Hint: "50 to 2000 ms."},
			{Name: "handler", Label: "The handler", Kind: "select", Default: watchesContext, Options: []string{watchesContext, ignoresContext}},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			work, timeout := in.Int("work_ms"), in.Int("timeout_ms")
			ignore := in.Params["handler"] == ignoresContext
			d, err := app.Slow(ctx, time.Duration(work)*time.Millisecond, time.Duration(timeout)*time.Millisecond, ignore)
			if err != nil {
				return demoOutput{}, err
			}
			x, answered, finished := d.Exchange, d.Answered, d.HandlerDone
			o := view.RoutingOutput{Exchange: appExchangeView(x), Log: d.Log, Steps: stepsView(d, "/reports/slow", http.MethodGet), Tone: "ok",
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
