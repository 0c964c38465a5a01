package web

import (
	"context"
	"fmt"
	"slices"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/web/view"
)

// requestEcho is what the server read from a visitor's request.
type requestEcho struct {
	Message    string   `json:"message"`
	Method     string   `json:"method"`
	Path       string   `json:"path"`
	Protocol   string   `json:"protocol"`
	Host       string   `json:"host"`
	ClientIP   string   `json:"client_ip"`
	UserAgent  string   `json:"user_agent"`
	Cookies    []string `json:"cookies"`
	Headers    int      `json:"headers"`
	ReceivedAt string   `json:"received_at"`
}

// demoRequestEcho answers a request with what the server saw in it.
func (s *Server) demoRequestEcho() *demo {
	return &demo{
		ID:          "request-echo",
		Title:       "Send a request",
		Lesson:      "what-happens-when-you-click",
		Description: "Type a message and send it. The server reads your request and answers with what it found.",
		Button:      "Send request",
		Params: []param{{
			Name: "message", Label: "Your message", Kind: "text", Default: "Hello, server!", MaxLen: 200,
			Hint: "It travels in the body of a POST request.",
		}},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			req := in.Request.Request()
			_, span := s.tracer.Start(ctx, "read the request")
			echo := requestEcho{
				Message: in.Params["message"], Method: req.Method, Path: req.URL.Path, Protocol: req.Proto,
				Host: req.Host, ClientIP: in.Request.RealIP(), UserAgent: req.UserAgent(),
				Headers: len(req.Header), ReceivedAt: requestStart(in.Request).UTC().Format("15:04:05.000 UTC"),
				Cookies: []string{},
			}
			for _, ck := range req.Cookies() {
				echo.Cookies = append(echo.Cookies, ck.Name)
			}
			slices.Sort(echo.Cookies)
			span.SetAttributes(
				attribute.String("http.request.method", req.Method),
				attribute.Int("http.request.header.count", len(req.Header)),
				attribute.Int64("http.request.body.size", req.ContentLength),
			)
			span.End()
			_, span = s.tracer.Start(ctx, "build the reply")
			out := demoOutput{Data: echo, View: view.RequestEcho(view.RequestEchoOutput{
				Message: echo.Message, Method: echo.Method, Path: echo.Path, Protocol: echo.Protocol,
				ClientIP: echo.ClientIP, UserAgent: echo.UserAgent, Cookies: echo.Cookies,
				Headers: echo.Headers, ReceivedAt: echo.ReceivedAt,
			})}
			span.End()
			return out, nil
		},
	}
}

// slowStep is the timing of a handler with one slow step.
type slowStep struct {
	DelayMS   int     `json:"delay_ms"`
	HandlerMS float64 `json:"handler_ms"`
	SlowMS    float64 `json:"slow_step_ms"`
	SharePct  float64 `json:"slow_step_share_pct"`
	Member    string  `json:"member"`
}

// demoSlowStep runs a handler whose middle step waits on a slow dependency,
// so the waterfall shows where the time went.
func (s *Server) demoSlowStep() *demo {
	return &demo{
		ID:          "slow-step",
		Title:       "Find the slow step",
		Lesson:      "what-happens-when-you-click",
		Description: "This handler checks its input, asks a slow loyalty service for a member's profile, then formats the reply. Choose how slow the service is.",
		Button:      "Load the profile",
		Params: []param{{
			Name: "delay_ms", Label: "Loyalty service delay (ms)", Kind: "number", Default: "400", Min: 0, Max: 2000,
			Hint: "0 to 2000 milliseconds.",
		}},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			start := time.Now()
			delay := time.Duration(in.Int("delay_ms")) * time.Millisecond
			step := func(name string, kv ...attribute.KeyValue) (context.Context, trace.Span) {
				return s.tracer.Start(ctx, name, trace.WithAttributes(kv...))
			}
			_, span := step("validate input", attribute.Int("engineroom.delay_ms", in.Int("delay_ms")))
			span.End()

			sctx, span := step("GET loyalty service /members/M-1042",
				attribute.String("server.address", "loyalty.internal"),
				attribute.String("engineroom.simulated", "a service that takes the chosen delay to answer"))
			slowStart := time.Now()
			err := sleep(sctx, delay)
			slow := time.Since(slowStart)
			span.End()
			if err != nil {
				return demoOutput{}, fmt.Errorf("the loyalty service did not answer in time: %w", err)
			}

			_, span = step("format the reply")
			total := time.Since(start)
			res := slowStep{
				DelayMS: in.Int("delay_ms"), HandlerMS: roundMS(total), SlowMS: roundMS(slow),
				Member: "Ada Lovelace · Gold · 48,210 miles",
			}
			if total > 0 {
				res.SharePct = float64(int(float64(slow)/float64(total)*1000)) / 10
			}
			span.End()
			return demoOutput{Data: res, View: view.SlowStep(view.SlowStepOutput{
				Member: res.Member, Handler: formatDuration(total), Slow: formatDuration(slow),
				Share: fmt.Sprintf("%.1f%%", res.SharePct),
			})}, nil
		},
	}
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func roundMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
