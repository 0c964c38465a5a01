package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/engineroom/engineroom/playground/routing"
	"github.com/engineroom/engineroom/web/view"
)

const routingLesson = "routing-and-middleware"

// appMethods are the methods the route-table form offers.
var appMethods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead, http.MethodOptions}

func (s *Server) demoRouteTable() *demo {
	app := routing.New(routing.Options{Tracer: s.tracer})
	return &demo{
		ID: "route-table", Title: "Ask the router", Lesson: routingLesson, Wide: true,
		Description: "The route table of a small airline API. Send it a method and a path: the router picks a route and pulls the parameters out of the path — or answers 404 or 405.",
		Button:      "Send it",
		Params: []param{
			{Name: "method", Label: "Method", Kind: "select", Default: http.MethodGet, Options: appMethods},
			{Name: "path", Label: "Path", Kind: "text", Default: "/flights/42", MaxLen: 200, Hint: "Try /flights/42/seats/12A, /flights/abc, /files/logos/airline.svg or /nope."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			target, err := requestTarget(in.Params["path"])
			if err != nil {
				return demoOutput{}, err
			}
			d, err := app.Ask(ctx, in.Params["method"], target)
			if err != nil {
				return demoOutput{}, err
			}
			x := d.Exchange
			o := view.RoutingOutput{Exchange: appExchangeView(x), Log: d.Log, Params: paramsView(d.Params), Tone: "ok"}
			if target != in.Params["path"] {
				o.Typed = printable(in.Params["path"]) + " — sent as " + target
			}
			for _, rt := range d.Routes {
				o.Routes = append(o.Routes, view.RouteRow{
					Method: rt.Method, Path: rt.Path, Handler: rt.Handler, Middleware: strings.Join(append(routing.GlobalLayers(), rt.Middleware...), " → "),
					Matched:  d.Route == rt.Path && rt.Method == x.Method && x.Status != http.StatusMethodNotAllowed,
					PathOnly: d.Route == rt.Path && x.Status == http.StatusMethodNotAllowed,
				})
			}
			switch {
			case x.Status == http.StatusMethodNotAllowed:
				o.Tone = "warn"
				o.Headline = fmt.Sprintf("405 Method Not Allowed: the path matches %s, but not for %s. Allow: %s.", d.Route, x.Method, x.Header.Get("Allow"))
				o.Note = "The router knows the path, so it does not say 404: it says which methods would work, in the Allow header. No handler ran."
			case d.Route == "":
				o.Tone = "warn"
				o.Headline = fmt.Sprintf("404 Not Found: no route matches %s.", pathOf(target))
				o.Note = "The router tried every pattern and none fitted, so the app's not-found answer ran instead of a handler. The logging layer still wrote its line."
			case x.Method == http.MethodOptions:
				o.Headline = fmt.Sprintf("%d: the router answered OPTIONS for %s by itself with Allow: %s.", x.Status, d.Route, x.Header.Get("Allow"))
			default:
				o.Headline = fmt.Sprintf("Matched %s %s → %s, which answered %d %s.", x.Method, d.Route, routing.HandlerOf(d.Route, x.Method), x.Status, http.StatusText(x.Status))
				if x.Status >= 400 {
					o.Tone = "warn"
					o.Note = "The route matched — a pattern only looks at the shape of the path — and then the handler looked at the value and found nothing. Routing and finding data are two steps."
				}
			}
			return demoOutput{Data: d, View: view.Routing(o)}, nil
		},
	}
}

func (s *Server) demoMiddlewareChain() *demo {
	app := routing.New(routing.Options{Tracer: s.tracer})
	return &demo{
		ID: "middleware-chain", Title: "Walk the middleware chain", Lesson: routingLesson,
		Description: fmt.Sprintf("Book a flight: POST /bookings passes logging, recover, auth and a rate limit (%d in a burst, then one every %d s) before its handler. Pick the token you send.", routing.BookingBurst, int(routing.BookingRefill/time.Second)),
		Button:      "Book",
		Params: []param{{Name: "token", Label: "Authorization", Kind: "select", Default: "valid", Options: []string{routing.TokenValid, routing.TokenNone, routing.TokenWrong},
			Hint: "valid: your own token · none: no header · wrong: a token with a bad signature."}},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			d, err := app.Book(ctx, in.Visitor, in.Params["token"])
			if err != nil {
				return demoOutput{}, err
			}
			x := d.Exchange
			o := view.RoutingOutput{Exchange: appExchangeView(x), Log: d.Log, Steps: stepsView(d, "/bookings", http.MethodPost), Tone: "warn",
				LogNote: "One line per request, written by the outermost layer after everything inside it finished, so it knows the final status."}
			switch x.Status {
			case http.StatusCreated:
				o.Tone = "ok"
				o.Headline = fmt.Sprintf("201 Created: every layer handed on and the handler booked ER042. %s of %d bookings left in this burst.", x.Header.Get("X-Ratelimit-Remaining"), routing.BookingBurst)
			case http.StatusUnauthorized:
				o.Headline = "401 Unauthorized at auth: the rate limit and the handler never ran."
				o.Note = "Auth sits before the rate limit here, so the limit counts each caller by who they are; a refused caller costs almost nothing."
			case http.StatusTooManyRequests:
				o.Headline = fmt.Sprintf("429 Too Many Requests at the rate limit: try again in %s s (Retry-After). The handler never ran.", x.Header.Get("Retry-After"))
			default:
				o.Headline = fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status))
			}
			return demoOutput{Data: d, View: view.Routing(o)}, nil
		},
	}
}

// stepsView lists every layer the route has, outside in, with what each
// did — or that it never ran.
func stepsView(d routing.Result, route, method string) []view.RoutingStep {
	walk := d.Walk(route, method)
	out := make([]view.RoutingStep, len(walk))
	for i, l := range walk {
		out[i] = view.RoutingStep{Layer: l.Layer, Outcome: l.Outcome, State: l.State}
	}
	return out
}

func paramsView(ps []routing.Param) []view.RoutingParam {
	out := make([]view.RoutingParam, len(ps))
	for i, p := range ps {
		out[i] = view.RoutingParam{Name: p.Name, Value: p.Value}
	}
	return out
}

// appExchangeView shows an exchange with the demo app as it travelled.
func appExchangeView(x routing.Exchange) view.RoutingExchange {
	v := view.RoutingExchange{Meta: formatDuration(x.Took)}
	v.Request.StartLine = x.Method + " " + x.Target + " HTTP/1.1"
	v.Request.Headers = append([]view.Header{{Name: "Host", Value: routing.Host}}, headerLines(x.Sent, true)...)
	if x.Dropped != "" {
		v.Status, v.StatusClass = "no response", "status-none"
		v.Dropped = "The connection closed before any response came: " + x.Dropped + ". A browser shows its own error page for this."
		return v
	}
	v.Status, v.StatusClass = fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status)), fmt.Sprintf("status-%dxx", x.Status/100)
	v.Response.StartLine = fmt.Sprintf("HTTP/1.1 %d %s", x.Status, http.StatusText(x.Status))
	v.Response.Headers = headerLines(x.Header, false)
	v.Response.Body = strings.TrimRight(x.Body, "\n")
	return v
}

// requestTarget turns a typed path into a request target the way a
// browser would: bytes that may not appear in one are percent-encoded, a
// valid %XX escape is kept as typed.
func requestTarget(raw string) (string, error) {
	if !strings.HasPrefix(raw, "/") {
		return "", &paramError{"path: must start with /"}
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		switch {
		case c == '%' && i+2 < len(raw) && isHexDigit(raw[i+1]) && isHexDigit(raw[i+2]):
			b.WriteByte(c)
		case c <= ' ' || c >= 0x7f || strings.IndexByte("%\"#<>\\^`{|}", c) >= 0:
			fmt.Fprintf(&b, "%%%02X", c)
		default:
			b.WriteByte(c)
		}
	}
	t := b.String()
	if _, err := url.ParseRequestURI(t); err != nil {
		return "", &paramError{"path: not a request target: " + err.Error()}
	}
	return t, nil
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// printable shows text with its invisible characters spelled out.
func printable(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !unicode.IsGraphic(r) }) >= 0 {
		return strconv.QuoteToGraphic(s)
	}
	return s
}
