package web

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/web/view"
)

// cacheHeaders are the response headers the HTTP caching demo shows; the
// rest (security and tracing headers) are counted, not listed.
var cacheHeaders = [...]string{"Cache-Control", "Content-Length", "Content-Type", "ETag", "Vary"}

// httpCacheView shapes a run of the HTTP caching demo for the front end
// pane.
func httpCacheView(run httpCacheRun) view.HTTPCacheOutput {
	first, second := run.Visits[0], run.Visits[1]
	o := view.HTTPCacheOutput{Flight: flightLine(first.x.Body)}
	switch second.ServedFrom {
	case fromFresh:
		o.Headline, o.HeadlineNote = "0 requests", "on the second visit: the browser's copy was still fresh"
	case fromRevalidated:
		o.Headline, o.HeadlineNote = "0 bytes", fmt.Sprintf("of body in the second answer, instead of %d", first.BodyBytes)
	default:
		o.Headline, o.HeadlineNote = fmt.Sprintf("%d bytes", second.BodyBytes), "sent again: the ETag no longer matched"
	}
	o.Columns, o.Rows = compareVisits(run.Visits)
	for i, v := range run.Visits {
		cv := view.CacheVisit{Title: fmt.Sprintf("Visit %d · at %d s", i+1, v.AtS), Shown: fmt.Sprintf("The page shows %s miles.", miles(v.PriceShown))}
		switch {
		case i == 0:
			cv.Cache = "Browser cache: empty. The browser asks the server."
		case v.Sent:
			cv.Cache = fmt.Sprintf("Browser cache: stale (age %d s, max-age %d s). The browser asks again, naming the ETag it holds.", v.AtS, maxAgeOf(first.CacheControl))
		default:
			cv.Cache = fmt.Sprintf("Browser cache: fresh (age %d s, max-age %d s). The browser uses its copy and sends nothing.", v.AtS, maxAgeOf(first.CacheControl))
		}
		if v.Sent {
			cv.Status = fmt.Sprintf("%d %s", v.Status, http.StatusText(v.Status))
			cv.StatusClass = fmt.Sprintf("status-%dxx", v.Status/100)
			cv.Bytes = fmt.Sprintf("%d bytes of body", v.BodyBytes)
			cv.Request, cv.Response, cv.More = exchangeMessages(v.x)
		} else {
			cv.Status, cv.StatusClass, cv.Bytes = "no request", "status-none", "nothing sent"
		}
		switch {
		case v.ServedFrom == fromRevalidated:
			cv.Note = "304: the ETag still matches, so the server sent no body and the browser used the copy it kept."
		case i > 0 && v.Sent && run.Changed:
			cv.Note = fmt.Sprintf("The price changed, so the ETag did too (%s, was %s): a new body came back.", v.ETag, first.ETag)
		case !v.Sent && run.Changed:
			cv.Note = fmt.Sprintf("The server's price is now %s miles, but within max-age the browser does not ask: it showed its old copy.", miles(first.PriceShown+httpCachePriceStep))
		}
		o.Visits = append(o.Visits, cv)
	}
	o.Shared = fmt.Sprintf("This answer says Cache-Control: private, because it comes from your own database: a CDN or Varnish in front must pass it through. "+
		"A page that is the same for everyone would say public, s-maxage=%d: then the CDN answers everyone's requests from its copy for %d s, and none of them reaches this server — no span at all. "+
		"After that the CDN revalidates with If-None-Match, and one 304 refreshes the copy for everyone.", run.MaxAgeS, run.MaxAgeS)
	return o
}

// compareVisits lays the visits side by side: what each sent and got.
func compareVisits(visits []cacheVisit) ([]string, []view.CacheRow) {
	labels := []string{"If-None-Match", "Status", "ETag", "Cache-Control", "Body", "Page shows"}
	rows := make([]view.CacheRow, len(labels))
	for i, l := range labels {
		rows[i].Label = l
	}
	var cols []string
	for i, v := range visits {
		cols = append(cols, fmt.Sprintf("Visit %d · %d s", i+1, v.AtS))
		vals := []string{"—", "no request", "—", "—", "—", miles(v.PriceShown) + " miles"}
		if v.Sent {
			vals[1], vals[2], vals[3], vals[4] = fmt.Sprintf("%d %s", v.Status, http.StatusText(v.Status)), v.ETag, v.CacheControl, fmt.Sprintf("%d bytes", v.BodyBytes)
			if v.IfNoneMatch != "" {
				vals[0] = v.IfNoneMatch
			}
		}
		for j := range rows {
			rows[j].Values = append(rows[j].Values, vals[j])
		}
	}
	return cols, rows
}

// exchangeMessages shows a request the demo sent and the answer it got,
// with only the response headers caching is about.
func exchangeMessages(x *selfExchange) (req, res *view.HTTPMessage, more string) {
	req = &view.HTTPMessage{StartLine: "GET " + x.Target + " HTTP/1.1"}
	req.Headers = append(req.Headers, view.Header{Name: "Host", Value: x.Host})
	req.Headers = append(req.Headers, headerLines(x.Sent, true)...)
	shown := http.Header{}
	for _, name := range cacheHeaders {
		if v := x.Header.Values(name); len(v) > 0 {
			shown[http.CanonicalHeaderKey(name)] = v
		}
	}
	res = &view.HTTPMessage{StartLine: fmt.Sprintf("HTTP/1.1 %d %s", x.Status, http.StatusText(x.Status)), Headers: headerLines(shown, false), Body: string(x.Body)}
	if n := len(x.Header) - len(shown); n > 0 {
		more = fmt.Sprintf("+ %d more response headers (security, tracing), as on every answer", n)
	}
	return req, res, more
}

// flightLine is the flight a body describes, in one line.
func flightLine(body []byte) string {
	var f airline.Flight
	if json.Unmarshal(body, &f) != nil {
		return ""
	}
	return fmt.Sprintf("Flight %s · %s (%s) → %s (%s) · departs %s", f.FlightNo, f.Origin.City, f.Origin.Code, f.Destination.City, f.Destination.Code, f.DepartsAt)
}
