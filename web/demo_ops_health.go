package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/web/view"
)

// healthRun is what the health-check demo asked and got, for the JSON
// twin.
type healthRun struct {
	Live   bool          `json:"live"`
	Ready  bool          `json:"ready"`
	Checks []readyCheck  `json:"checks"`
	Calls  []apiCallJSON `json:"calls"`
}

// probeHeaders are the response headers a probe's exchange shows; the
// rest (security and tracing headers) are counted.
var probeHeaders = [...]string{"Cache-Control", "Content-Type", "X-Request-Id"}

func (s *Server) demoHealthCheck() *demo {
	return &demo{
		ID: "health-check", Title: "Is it alive? Is it ready?", Lesson: opsConfigLesson,
		Description: "The server asks itself GET /healthz and GET /readyz, as Docker, Fly.io or Kubernetes would every few seconds.",
		Button:      "Run the health checks",
		Wide:        true,
		Run:         s.runHealthCheck,
	}
}

func (s *Server) runHealthCheck(ctx context.Context, in demoInput) (demoOutput, error) {
	// A probe sends no cookies: it is not a visitor.
	probe := selfRequest{Header: http.Header{"Accept": {"*/*"}}, Cookies: []*http.Cookie{}}
	probe.Target = "/healthz"
	live, err := s.sendSelf(ctx, in.Request, "GET /healthz", probe)
	if err != nil {
		return demoOutput{}, err
	}
	probe.Target = "/readyz"
	ready, err := s.sendSelf(ctx, in.Request, "GET /readyz", probe)
	if err != nil {
		return demoOutput{}, err
	}
	var r readiness
	if err := json.Unmarshal(ready.Body, &r); err != nil {
		return demoOutput{}, echo.NewHTTPError(http.StatusBadGateway, fmt.Sprintf("GET /readyz answered %d with a body that is not its JSON report.", ready.Status))
	}
	run := healthRun{
		Live: live.Status == http.StatusOK, Ready: ready.Status == http.StatusOK, Checks: r.Checks,
		Calls: callsJSON([]*selfExchange{&live, &ready}),
	}
	o := view.OpsHealthOutput{
		Headline:     "Ready",
		HeadlineNote: fmt.Sprintf("live: %d in %s · ready: %d in %s", live.Status, formatDuration(live.Took), ready.Status, formatDuration(ready.Took)),
	}
	switch {
	case !run.Live:
		o.Headline = "Not alive"
	case !run.Ready:
		o.Headline = "Alive, not ready"
	}
	lp := probeView(&live, "Liveness · GET /healthz", "Is the process up and able to answer? If not, restart it.")
	lp.Note = "No request id, no log line, no handler step: the answer is a constant, so a check every 15 s costs nothing. " +
		"The image's HEALTHCHECK runs “engineroom healthcheck”, which asks exactly this."
	rp := probeView(&ready, "Readiness · GET /readyz", "Can it do its work right now? If not, send its traffic elsewhere for a while, but do not restart it.")
	for _, ch := range r.Checks {
		rp.Checks = append(rp.Checks, view.OpsCheck{Name: ch.Name, OK: ch.OK, Took: fmt.Sprintf("%.2f ms", ch.TookMS), Detail: ch.Detail})
	}
	rp.Note = "Each dependency is tried for real, each within 500 ms. A failed check makes the answer 503 and names the check; why it failed goes to the server's log, not to whoever asked."
	o.Probes = []view.OpsProbe{lp, rp}
	return demoOutput{Data: run, View: view.OpsHealth(o)}, nil
}

// probeView shows one probe's exchange with the headers a probe reads.
func probeView(x *selfExchange, title, question string) view.OpsProbe {
	p := view.OpsProbe{
		Title: title, Question: question,
		Status:      fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status)),
		StatusClass: fmt.Sprintf("status-%dxx", x.Status/100),
		Meta:        sizeAndTime(x),
	}
	p.Request.StartLine = x.Method + " " + x.Target + " HTTP/1.1"
	p.Request.Headers = append([]view.Header{{Name: "Host", Value: x.Host}}, headerLines(x.Sent, true)...)
	shown := http.Header{}
	for _, name := range probeHeaders {
		if v := x.Header.Values(name); len(v) > 0 {
			shown[http.CanonicalHeaderKey(name)] = v
		}
	}
	p.Response.StartLine = fmt.Sprintf("HTTP/1.1 %d %s", x.Status, http.StatusText(x.Status))
	p.Response.Headers = headerLines(shown, false)
	if n := len(x.Header) - len(shown); n > 0 {
		p.More = fmt.Sprintf("+ %d more response headers (security, tracing), the same on every answer", n)
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, x.Body, "", "  ") == nil {
		p.Response.Body = pretty.String()
	} else {
		p.Response.Body = string(bytes.TrimRight(x.Body, "\n"))
	}
	return p
}
