package trace

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Narrate tells in one plain sentence what a span did, for a class
// stepping through a waterfall one span at a time: "The database runs
// SELECT … FROM flights and returns 8 rows in 0.4 ms." It reads only the
// span's kind, name, attributes, status and length.
func Narrate(s Span) string {
	switch s.Kind {
	case KindServer:
		return narrateServer(s)
	case KindMiddleware:
		if s.Error {
			return fmt.Sprintf("The %s middleware stops the request%s.", s.Name, because(s))
		}
		return fmt.Sprintf("The %s middleware handles the request%s, before the handler sees it.", s.Name, took(s))
	case KindHandler:
		what := strings.TrimSpace(strings.TrimPrefix(s.Name, "handler"))
		if s.Error {
			return fmt.Sprintf("The handler (%s) fails%s.", what, because(s))
		}
		return fmt.Sprintf("The handler (%s) takes over and does its work%s.", what, took(s))
	case KindSQL:
		return narrateSQL(s)
	case KindCache:
		return narrateCache(s)
	case KindHTTP:
		return narrateHTTP(s)
	case KindRender:
		what := strings.TrimSpace(strings.TrimPrefix(s.Name, "render"))
		if what == "" {
			what = "the response"
		} else if !strings.HasPrefix(what, "the ") {
			what = "the " + what
		}
		if s.Error {
			return fmt.Sprintf("The server fails to render %s%s.", what, because(s))
		}
		return fmt.Sprintf("The server renders %s%s.", what, took(s))
	case KindJob:
		return narrateJob(s)
	}
	if s.Error {
		return fmt.Sprintf("A step of the server's own, %q, fails%s.", s.Name, because(s))
	}
	return fmt.Sprintf("A step of the server's own: %s%s.", s.Name, took(s))
}

func narrateServer(s Span) string {
	method, _ := s.Attr("http.request.method")
	path, _ := s.Attr("url.path")
	if path == "" {
		path, _ = s.Attr("http.route")
	}
	req := strings.TrimSpace(method + " " + path)
	if req == "" {
		req = s.Name
	}
	status, ok := s.Attr("http.response.status_code")
	if !ok || s.End.IsZero() {
		return fmt.Sprintf("The server receives %s; everything below happens before it answers.", req)
	}
	return fmt.Sprintf("The server receives %s and answers %s%s.", req, status, took(s))
}

// sqlTable finds the table a statement is about.
var sqlTable = regexp.MustCompile(`(?is)\b(FROM|INTO|UPDATE|TABLE)\s+["'\x60\[]?([A-Za-z_][A-Za-z0-9_.]*)`)

func narrateSQL(s Span) string {
	op, _ := s.Attr("db.operation.name")
	if op == "" {
		op = s.Name
	}
	stmt := op + " …"
	if q, ok := s.Attr("db.query.text"); ok {
		if m := sqlTable.FindStringSubmatch(q); m != nil {
			stmt = fmt.Sprintf("%s … %s %s", op, strings.ToUpper(m[1]), m[2])
		}
	}
	if s.Error {
		return fmt.Sprintf("The database refuses %s%s.", stmt, because(s))
	}
	rows, _ := s.Attr("db.response.returned_rows")
	changed, _ := s.Attr("db.response.rows_affected")
	var result string
	switch {
	case rows != "" && rows != "0":
		result = " and returns " + plural(rows, "row")
	case changed != "" && changed != "0":
		result = " and changes " + plural(changed, "row")
	case rows == "0":
		result = " and finds no rows"
	}
	return fmt.Sprintf("The database runs %s%s%s.", stmt, result, took(s))
}

func narrateCache(s Span) string {
	cmd, _ := s.Attr("db.operation.name")
	if cmd == "" {
		cmd = s.Name
	}
	key, _ := s.Attr("cache.key")
	if key == "" {
		key, _ = s.Attr("cache.keys")
	}
	if key == "" {
		// The key is the command's first argument: "GET user:1".
		text, _ := s.Attr("db.query.text")
		if text == "" {
			text, _ = s.Attr("db.operation.command")
		}
		if f := strings.Fields(text); len(f) > 1 {
			key = f[1]
		}
	}
	if s.Error {
		return fmt.Sprintf("The cache fails on %s %s%s.", cmd, key, because(s))
	}
	switch cmd {
	case "GET":
		switch hit, _ := s.Attr("cache.hit"); hit {
		case "true":
			size := ""
			if b, ok := s.Attr("cache.value_bytes"); ok {
				size = " (" + plural(b, "byte") + ")"
			}
			return fmt.Sprintf("The server asks the cache for %s… it is there%s%s.", key, size, took(s))
		case "false":
			return fmt.Sprintf("The server asks the cache for %s… it isn't there%s.", key, took(s))
		}
		return fmt.Sprintf("The server asks the cache for %s%s.", key, took(s))
	case "SET":
		extra := ""
		if ttl, ok := s.Attr("cache.ttl_ms"); ok {
			if ms, err := strconv.ParseInt(ttl, 10, 64); err == nil {
				extra = " for " + short(time.Duration(ms)*time.Millisecond)
			}
		}
		return fmt.Sprintf("The server stores %s in the cache%s%s.", key, extra, took(s))
	case "DEL", "UNLINK":
		return fmt.Sprintf("The server deletes %s from the cache%s.", key, took(s))
	}
	what := strings.TrimSpace(cmd + " " + key)
	if rows, ok := s.Attr("db.response.returned_rows"); ok {
		return fmt.Sprintf("The server sends the cache %s and gets %s back%s.", what, plural(rows, "item"), took(s))
	}
	return fmt.Sprintf("The server sends the cache %s%s.", what, took(s))
}

func narrateHTTP(s Span) string {
	method, _ := s.Attr("http.request.method")
	path, _ := s.Attr("url.path")
	if full, ok := s.Attr("url.full"); ok && path == "" {
		if u, err := url.Parse(full); err == nil {
			path = u.Path
		}
	}
	req := strings.TrimSpace(method + " " + path)
	if req == "" {
		req = s.Name
	}
	who := "another service"
	if svc, ok := s.Attr("peer.service"); ok && svc != "" {
		who = "the " + svc + " service"
	} else if host, ok := s.Attr("server.address"); ok && host != "" && host != "localhost" && net.ParseIP(host) == nil {
		who = host
	}
	status, ok := s.Attr("http.response.status_code")
	switch {
	case s.Error && !ok:
		return fmt.Sprintf("The server calls %s: %s → no answer%s.", who, req, because(s))
	case s.Error:
		return fmt.Sprintf("The server calls %s: %s → %s, a failure%s.", who, req, status, took(s))
	case ok:
		return fmt.Sprintf("The server calls %s: %s → %s%s.", who, req, status, took(s))
	}
	return fmt.Sprintf("The server calls %s: %s%s.", who, req, took(s))
}

func narrateJob(s Span) string {
	kind, _ := s.Attr("engineroom.job.kind")
	if kind == "" {
		kind = strings.TrimPrefix(s.Name, "enqueue job ")
	}
	if strings.HasPrefix(s.Name, "enqueue job") {
		if s.Error {
			return fmt.Sprintf("The server fails to queue the job %s%s.", kind, because(s))
		}
		return fmt.Sprintf("A job is queued: %s. A worker runs it after the response is sent.", kind)
	}
	if s.Error {
		return fmt.Sprintf("A worker runs the job %s, and it fails%s.", kind, because(s))
	}
	return fmt.Sprintf("A worker runs the job %s%s.", kind, took(s))
}

// Narration is Narrate for the span a row draws.
func (r Row) Narration() string {
	s := Span{Kind: r.Kind, Name: r.Name, Attrs: r.Attrs, Error: r.Error, StatusMsg: r.StatusMsg}
	if !r.Open {
		// Only the length matters: any start will do.
		s.Start = time.Unix(0, 0)
		s.End = s.Start.Add(r.Duration)
	}
	return Narrate(s)
}

// took is " in 0.4 ms" for a finished span, or nothing for an open one.
func took(s Span) string {
	if s.End.IsZero() {
		return ""
	}
	return " in " + short(s.End.Sub(s.Start))
}

// because is ": why" when the span says why it failed.
func because(s Span) string {
	if s.StatusMsg == "" {
		return ""
	}
	return ": " + s.StatusMsg
}

// plural is "1 row" or "8 rows".
func plural(n, noun string) string {
	if n == "1" {
		return n + " " + noun
	}
	return n + " " + noun + "s"
}

// short writes a duration the way one says it aloud: "12 µs", "0.4 ms",
// "3 ms", "1.2 s".
func short(d time.Duration) string {
	one := func(f float64) string { return strconv.FormatFloat(float64(int64(f*10+0.5))/10, 'f', -1, 64) }
	switch {
	case d < 100*time.Microsecond:
		return strconv.FormatInt(d.Microseconds(), 10) + " µs"
	case d < time.Second:
		return one(float64(d)/1e6) + " ms"
	case d <= 10*time.Minute:
		return one(d.Seconds()) + " s"
	}
	return d.Round(time.Second).String()
}
