package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/web/view"
)

// csrfRowView shapes one of the CSRF demo's requests for the front end
// pane and the JSON twin: what was sent, the status, and why.
func csrfRowView(k csrfCase, x *selfExchange, jar []*http.Cookie, body string) (view.CSRFRow, csrfRequestData) {
	names := make([]string, len(jar))
	for i, ck := range jar {
		names[i] = ck.Name
	}
	said := pageSaid(x.Body)
	rd := csrfRequestData{
		Case: k.Title, Forged: k.Forged, Origin: x.Sent.Get(echo.HeaderOrigin), SecFetchSite: x.Sent.Get(echo.HeaderSecFetchSite),
		Cookies: names, Token: k.Token, Body: hideToken(body), Status: x.Status, Reason: csrfReason(k, x.Status, said), Said: said,
	}
	row := view.CSRFRow{
		Title: k.Title, Method: x.Method, Path: x.Target, Origin: rd.Origin, SecFetchSite: rd.SecFetchSite,
		Cookies: "none", Token: "none",
		Status:      fmt.Sprintf("%d %s", x.Status, http.StatusText(x.Status)),
		StatusClass: fmt.Sprintf("status-%dxx", x.Status/100),
		Reason:      rd.Reason, Said: said, Forged: k.Forged, Passed: x.Status < 400,
	}
	if row.SecFetchSite == "" {
		row.SecFetchSite = "not sent"
	}
	if len(names) > 0 {
		row.Cookies = strings.Join(names, ", ")
	}
	if k.Token {
		row.Token = "yes: the form's _csrf matches the er_csrf cookie"
	}

	row.Request.StartLine = x.Method + " " + x.Target + " HTTP/1.1"
	sent := x.Sent.Clone()
	if v := sent.Get("Cookie"); v != "" {
		sent.Set("Cookie", maskAllCookies(v))
	}
	row.Request.Headers = append([]view.Header{{Name: "Host", Value: x.Host}}, headerLines(sent, true)...)
	row.Request.Body = hideToken(body)
	row.Response.StartLine = "HTTP/1.1 " + row.Status
	shown := http.Header{}
	for _, name := range []string{echo.HeaderContentType, "Cache-Control", "Set-Cookie"} {
		for _, v := range x.Header.Values(name) {
			if name == "Set-Cookie" {
				v = maskSetCookieValue(v)
			}
			shown.Add(name, v)
		}
	}
	row.Response.Headers = headerLines(shown, false)
	if said != "" {
		row.Response.Body = "(an HTML page: " + said + ")"
	}
	return row, rd
}

// csrfReason says in one sentence why a request got the answer it did:
// the case's reason when the answer is the one expected.
func csrfReason(k csrfCase, status int, said string) string {
	switch {
	case status == k.WantStatus:
		return k.Why
	case k.Forged && status < 400:
		return "The forged request went through: nothing stopped it."
	case !k.Forged && status == http.StatusForbidden:
		return "Even your own form was refused by the CSRF check."
	case !k.Forged:
		return fmt.Sprintf("Your own form passed the CSRF check, and the transfer itself was refused (%d): the server says why below.", status)
	}
	return fmt.Sprintf("Refused with %d: the server says why below.", status)
}

// maskAllCookies shows a Cookie header's names and hides every value: the
// session token is as good as a password.
func maskAllCookies(header string) string {
	parts := strings.Split(header, ";")
	for i, p := range parts {
		name, _, _ := strings.Cut(strings.TrimSpace(p), "=")
		parts[i] = name + "=" + mask
	}
	return strings.Join(parts, "; ")
}

// maskSetCookieValue hides a Set-Cookie header's value, keeping its name
// and attributes.
func maskSetCookieValue(v string) string {
	nv, rest, _ := strings.Cut(v, ";")
	name, _, _ := strings.Cut(nv, "=")
	if rest != "" {
		rest = ";" + rest
	}
	return name + "=" + mask + rest
}

// hideToken shows a form body with its _csrf value hidden.
func hideToken(body string) string {
	parts := strings.Split(body, "&")
	i := slices.IndexFunc(parts, func(p string) bool { return strings.HasPrefix(p, "_csrf=") })
	if i >= 0 {
		parts[i] = "_csrf=(hidden)"
	}
	return strings.Join(parts, "&")
}
