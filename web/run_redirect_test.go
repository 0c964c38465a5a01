package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

// TestPostRedirectGet: a form posted without the partial-update script
// runs once and lands on a page that shows the result; reloading that page
// shows it again without running anything, and only to the visitor who ran
// it, on the page the demo lives on.
func TestPostRedirectGet(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := primed(t, srv)
	const insert = "INSERT INTO airports (code, city, country) VALUES ('ZZZ', 'Nowhere', 'Nowhere'); SELECT count(*) FROM airports WHERE code = 'ZZZ';"
	form := url.Values{"sql": {insert}, "_csrf": {c.cookie(csrfCookie)}}
	first := c.postFormFollow("/demos/sql", form, nil, "/sql", "sql")
	loc := c.postFormLocation(t, "/demos/sql", url.Values{"sql": {"SELECT 'second run'"}, "_csrf": {c.cookie(csrfCookie)}})
	if got := sqlScalar(t, c, "SELECT count(*) FROM airports WHERE code = 'ZZZ'"); got != "1" {
		t.Fatalf("rows inserted after one post = %s, want 1", got)
	}
	cell := func(r reply) string {
		t.Helper()
		return strings.TrimSpace(parseHTML(t, r.text).Find("#demo-sql-result table.data tbody td").Last().Text())
	}
	if got := cell(first); got != "1" {
		t.Fatalf("the page the post landed on shows %q, want the count 1", got)
	}

	other := primed(t, srv)
	lessonRun := c.postFormLocation(t, "/demos/request-echo", url.Values{"message": {"hello"}, "_csrf": {c.cookie(csrfCookie)}})
	tests := []struct {
		name       string
		client     *client
		target     string
		wantResult string // "" means the panel shows no result
	}{
		{name: "reload", client: c, target: loc, wantResult: "second run"},
		{name: "reload again", client: c, target: loc, wantResult: "second run"},
		{name: "another visitor", client: other, target: loc},
		{name: "unknown run", client: c, target: "/sql?run=AAAAAAAAAAAAAAAA"},
		{name: "a run of another page's demo", client: c, target: strings.Replace(lessonRun, "/lessons/what-happens-when-you-click", "/sql", 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.client.get(tt.target, nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", r.StatusCode)
			}
			doc := parseHTML(t, r.text)
			shown := doc.Find("#demo-sql-result .panes").Length() > 0
			if shown != (tt.wantResult != "") {
				t.Fatalf("result shown = %v, want %v", shown, tt.wantResult != "")
			}
			if tt.wantResult != "" && !strings.Contains(doc.Find("#demo-sql-result").Text(), tt.wantResult) {
				t.Errorf("result = %q, want %q in it", doc.Find("#demo-sql-result").Text(), tt.wantResult)
			}
		})
	}
	if got := sqlScalar(t, c, "SELECT count(*) FROM airports WHERE code = 'ZZZ'"); got != "1" {
		t.Errorf("rows after the reloads = %s, want still 1", got)
	}
}

// postFormLocation posts form without the partial-update script and
// returns where the 303 sends the browser, without its fragment.
func (c *client) postFormLocation(t *testing.T, target string, form url.Values) string {
	t.Helper()
	r := c.postForm(target, form, nil)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: status = %d, want 303", target, r.StatusCode)
	}
	loc, _, _ := strings.Cut(r.Header.Get("Location"), "#")
	return loc
}
