package outbound

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
)

// maxBodyAttr is the most of a body a span records.
const maxBodyAttr = 4 << 10

// redacted lists the headers whose values a span never records.
var redacted = map[string]bool{
	"authorization":       true,
	"proxy-authorization": true,
	"cookie":              true,
	"set-cookie":          true,
	"x-api-key":           true,
	"x-auth-token":        true,
}

// requestAttrs describes attempt n's request with the OpenTelemetry HTTP
// client attributes, its headers (credentials redacted) and its body.
func requestAttrs(req *http.Request, p *prepared, n int) []attribute.KeyValue {
	attrs := []attribute.KeyValue{
		attribute.String("http.request.method", req.Method),
		attribute.String("url.full", fullURL(p.url)),
		attribute.String("server.address", p.url.Hostname()),
		attribute.Int("server.port", port(p.url)),
		attribute.String("peer.service", p.Service),
	}
	if n > 1 {
		attrs = append(attrs, attribute.Int("http.request.resend_count", n-1))
	}
	attrs = append(attrs, headerAttrs("http.request.header.", req.Header)...)
	if len(p.Body) > 0 {
		attrs = append(attrs,
			attribute.String("http.request.body", bodyText(p.Body)),
			attribute.Int("http.request.body.size", len(p.Body)))
	}
	return attrs
}

// replyAttrs describes a reply: status, headers and body.
func replyAttrs(r *Reply) []attribute.KeyValue {
	attrs := []attribute.KeyValue{attribute.Int("http.response.status_code", r.Status)}
	attrs = append(attrs, headerAttrs("http.response.header.", r.Header)...)
	if len(r.Body) > 0 {
		attrs = append(attrs,
			attribute.String("http.response.body", bodyText(r.Body)),
			attribute.Int("http.response.body.size", len(r.Body)))
	}
	return attrs
}

// headerAttrs records headers as prefix+lower-case name, sorted, with the
// values of credentials replaced (an Authorization keeps its scheme).
func headerAttrs(prefix string, h http.Header) []attribute.KeyValue {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	attrs := make([]attribute.KeyValue, 0, len(names))
	for _, k := range names {
		name := strings.ToLower(k)
		vals := h[k]
		if redacted[name] {
			vals = make([]string, len(h[k]))
			for i, v := range h[k] {
				vals[i] = redact(v)
			}
		}
		attrs = append(attrs, attribute.StringSlice(prefix+name, vals))
	}
	return attrs
}

// redact hides a credential, keeping a scheme such as "Bearer".
func redact(v string) string {
	if scheme, _, ok := strings.Cut(v, " "); ok && scheme != "" {
		return scheme + " [redacted]"
	}
	return "[redacted]"
}

// bodyText is a body as a span attribute: valid UTF-8, at most 4 KiB,
// with a note of how much was left out.
func bodyText(b []byte) string {
	if len(b) <= maxBodyAttr {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	cut := maxBodyAttr
	for cut > maxBodyAttr-utf8.UTFMax && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return strings.ToValidUTF8(string(b[:cut]), "\uFFFD") +
		fmt.Sprintf("… [%d of %d bytes shown]", cut, len(b))
}

// fullURL is u without credentials, as url.full wants it.
func fullURL(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = url.UserPassword("REDACTED", "REDACTED")
	return c.String()
}

// port is u's port, explicit or implied by the scheme.
func port(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}
