package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// maxID is the largest id the API takes: the largest integer a JSON
// number keeps exactly in every client (2^53 - 1).
const maxID = 1<<53 - 1

// maxCursor bounds the length of a page cursor.
const maxCursor = 200

// apiParams checks the query and path parameters of a request and
// collects every one at fault, so one answer names them all.
type apiParams struct {
	c    echo.Context
	q    url.Values
	errs []fieldError
}

// params reads the query string, refusing names the endpoint does not
// take (a typo would otherwise be ignored in silence) and names given
// more than once.
func params(c echo.Context, names ...string) *apiParams {
	p := &apiParams{c: c, q: c.QueryParams()}
	for part := range strings.SplitSeq(c.Request().URL.RawQuery, "&") {
		// url.Values drops a pair it cannot decode; name it instead.
		k, v, _ := strings.Cut(part, "=")
		if _, err := url.QueryUnescape(k); err != nil {
			p.add(k, "is not valid URL encoding")
		} else if _, err := url.QueryUnescape(v); err != nil {
			k, _ = url.QueryUnescape(k)
			p.add(k, "is not valid URL encoding")
		}
	}
	keys := make([]string, 0, len(p.q))
	for k := range p.q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch {
		case !slices.Contains(names, k):
			if len(names) == 0 {
				p.add(k, "is not a parameter of this endpoint (it takes none)")
			} else {
				p.add(k, "is not a parameter of this endpoint (it takes %s)", strings.Join(names, ", "))
			}
		case len(p.q[k]) > 1:
			p.add(k, "is given %d times; give it once", len(p.q[k]))
		}
	}
	return p
}

func (p *apiParams) add(field, format string, args ...any) {
	p.errs = append(p.errs, fieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// id reads the path parameter name as an id: a whole number from 1 up.
func (p *apiParams) id(name string) int64 {
	v := p.c.Param(name)
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 || n > maxID || strconv.FormatInt(n, 10) != v {
		p.add(name, "must be a whole number from 1 to %d, not %q", int64(maxID), clipLiteral(v))
		return 0
	}
	return n
}

// integer reads an optional whole-number query parameter within [lo, hi].
func (p *apiParams) integer(name string, lo, hi, def int64) int64 {
	v := p.q.Get(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < lo || n > hi || strconv.FormatInt(n, 10) != v {
		p.add(name, "must be a whole number from %d to %d, not %q", lo, hi, clipLiteral(v))
		return def
	}
	return n
}

// airport reads an optional airport code: three letters, in either case.
func (p *apiParams) airport(name string) string {
	v := p.q.Get(name)
	if v == "" {
		return ""
	}
	if len(v) != 3 || strings.IndexFunc(v, func(r rune) bool { return (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') }) >= 0 {
		p.add(name, "must be an airport code of three letters, like LHR, not %q", clipLiteral(v))
		return ""
	}
	return strings.ToUpper(v)
}

// date reads an optional calendar date, 2006-01-02.
func (p *apiParams) date(name string) string {
	v := p.q.Get(name)
	if v == "" {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		p.add(name, "must be a date like 2026-04-15, not %q", clipLiteral(v))
		return ""
	}
	return v
}

// text reads an optional text parameter of at most max bytes.
func (p *apiParams) text(name string, max int) string {
	v := p.q.Get(name)
	if len(v) > max {
		p.add(name, "must be at most %d bytes long", max)
		return ""
	}
	return v
}

// cursor reads an optional page cursor with decode, the list's own
// reader; a cursor it does not take is named.
func cursor[T any](p *apiParams, decode func(string) (T, error)) (T, bool) {
	var zero T
	v := p.q.Get("cursor")
	if v == "" {
		return zero, false
	}
	if len(v) > maxCursor {
		p.add("cursor", "is not a cursor this list handed out: pass next_cursor back as it is")
		return zero, false
	}
	t, err := decode(v)
	if err != nil {
		p.add("cursor", "is not a cursor this list handed out: pass next_cursor back as it is")
		return zero, false
	}
	return t, true
}

// problem is the 400 that names every parameter at fault, or nil.
func (p *apiParams) problem() error {
	if len(p.errs) == 0 {
		return nil
	}
	detail := "The parameter " + strconv.Quote(p.errs[0].Field) + " is not valid."
	if len(p.errs) > 1 {
		detail = fmt.Sprintf("%d parameters are not valid.", len(p.errs))
	}
	return newProblem(problemInvalidParams, http.StatusBadRequest, detail, p.errs...)
}
