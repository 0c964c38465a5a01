package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const authzPage = "/lessons/authorization"

// The seeded bookings the authorization tests ask for: the panel's
// default (bob's, checked below), one of alice's, and an id no booking has.
const (
	alicesBooking  = "4818"
	missingBooking = "99999"
)

// logInAs logs the airline session of c's visitor in through the API.
func logInAs(t *testing.T, c *client, username string) {
	t.Helper()
	r := c.postJSON("/api/v1/sessions", fmt.Sprintf(`{"username": %q, "password": %q}`, username, username+"-demo"), nil)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("logging in as %s: status %d, %.300s", username, r.StatusCode, r.text)
	}
}

// spanAttrs is the attributes of the back end pane's span named name, and
// whether there is one.
func spanAttrs(doc *goquery.Document, name string) (map[string]string, bool) {
	var attrs map[string]string
	doc.Find(".pane-back li.span").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if s.Find(".span-name").Text() != name {
			return true
		}
		attrs = map[string]string{}
		s.Find("dl.attrs dt").Each(func(_ int, dt *goquery.Selection) {
			attrs[dt.Text()] = dt.Next().Text()
		})
		return false
	})
	return attrs, attrs != nil
}

// defaultBooking is the booking id the IDOR panel offers.
func defaultBooking(t *testing.T, c *client) string {
	t.Helper()
	doc := parseHTML(t, c.get(authzPage, nil).text)
	v, ok := doc.Find("#demo-idor-booking [name=booking]").Attr("value")
	if !ok || v == "" {
		t.Fatal("the IDOR panel offers no booking id")
	}
	return v
}

func TestIDORDefaultIsBobs(t *testing.T) {
	srv := newServer(t, web.Config{})
	c := newClient(t, srv)
	id := defaultBooking(t, c)
	var b struct {
		MemberID int64  `json:"member_id"`
		Status   string `json:"status"`
	}
	r := c.get("/api/v1/bookings/"+id, hdr("Accept", "application/json"))
	if r.StatusCode != http.StatusOK || json.Unmarshal([]byte(r.text), &b) != nil {
		t.Fatalf("GET /api/v1/bookings/%s: %d %.300s", id, r.StatusCode, r.text)
	}
	if b.MemberID != 2 {
		t.Errorf("the panel's default booking %s is member %d's, want bob's (2)", id, b.MemberID)
	}
}

func TestIDORBooking(t *testing.T) {
	srv := newServer(t, web.Config{})
	bobs := defaultBooking(t, newClient(t, srv))
	tests := []struct {
		name    string
		login   string // "" for nobody: the demo asks as alice
		booking string
		check   bool
		// wantVerdict is the verdict notice's class and words.
		wantVerdict string
		wantText    []string
		wantNot     []string
		wantAnswer  string
		wantCard    bool
		// wantAuthz is the authorize span's attributes; nil for no span.
		wantAuthz map[string]string
	}{
		{name: "no check: bob's booking leaks", booking: bobs, wantVerdict: "notice-error",
			wantText:   []string{"Leaked. You are alice, and you just read Bob Nguyen's booking " + bobs, "Nobody is logged in", "Bob Nguyen (member 2)", "ER397, Munich → Los Angeles"},
			wantAnswer: "200 OK", wantCard: true},
		{name: "check: bob's booking is not found", booking: bobs, check: true, wantVerdict: "notice-ok",
			wantText:   []string{"404 Not Found. “There is no booking " + bobs + ".” Another member's booking and a missing one get this same answer", "Not told."},
			wantNot:    []string{"Bob", "Munich"},
			wantAnswer: "404 Not Found",
			wantAuthz:  map[string]string{"engineroom.authz.owner_member_id": "2", "engineroom.authz.viewer_member_id": "1", "engineroom.authz.allowed": "false"}},
		{name: "check: a missing booking reads the same", booking: missingBooking, check: true, wantVerdict: "notice-ok",
			wantText:   []string{"404 Not Found. “There is no booking " + missingBooking + ".” Another member's booking and a missing one get this same answer", "Not told."},
			wantAnswer: "404 Not Found"},
		{name: "no check: a missing booking", booking: missingBooking, wantVerdict: "notice-warn",
			wantText: []string{"404 Not Found. “There is no booking " + missingBooking + ".”", "Nobody's: there is no such booking."}, wantAnswer: "404 Not Found"},
		{name: "check: alice's own booking", booking: alicesBooking, check: true, wantVerdict: "notice-ok",
			wantText: []string{"Your own booking.", "Alice Martin (member 1)"}, wantAnswer: "200 OK", wantCard: true,
			wantAuthz: map[string]string{"engineroom.authz.owner_member_id": "1", "engineroom.authz.viewer_member_id": "1", "engineroom.authz.allowed": "true"}},
		{name: "logged in as bob: his own booking", login: "bob", booking: bobs, check: true, wantVerdict: "notice-ok",
			wantText: []string{"Your own booking.", "bob (member 2)", "from your airline session"}, wantNot: []string{"Nobody is logged in"},
			wantAnswer: "200 OK", wantCard: true,
			wantAuthz: map[string]string{"engineroom.authz.owner_member_id": "2", "engineroom.authz.viewer_member_id": "2", "engineroom.authz.allowed": "true"}},
		{name: "logged in as bob: alice's booking is not found", login: "bob", booking: alicesBooking, check: true, wantVerdict: "notice-ok",
			wantText: []string{"404 Not Found. “There is no booking " + alicesBooking + ".”"}, wantNot: []string{"Alice"},
			wantAnswer: "404 Not Found",
			wantAuthz:  map[string]string{"engineroom.authz.owner_member_id": "1", "engineroom.authz.viewer_member_id": "2", "engineroom.authz.allowed": "false"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := primed(t, srv)
			if tt.login != "" {
				logInAs(t, c, tt.login)
			}
			set := map[string]string{"booking": tt.booking, "check": "no (vulnerable)"}
			if tt.check {
				set["check"] = "yes (fixed)"
			}
			r, doc := panelAs(t, c, authzPage, "idor-booking", set)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; %.500s", r.StatusCode, r.text)
			}
			verdict := doc.Find(".pane-front .authz-verdict")
			if verdict.Length() != 1 || !verdict.HasClass(tt.wantVerdict) {
				t.Errorf("verdict classes %q, want %s", verdict.AttrOr("class", ""), tt.wantVerdict)
			}
			text := frontText(doc)
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("front end = %.700q, want %q in it", text, w)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(text, w) {
					t.Errorf("front end = %.700q, want no %q in it", text, w)
				}
			}
			if got := doc.Find(".pane-front .authz-facts .visit-status").Text(); got != tt.wantAnswer {
				t.Errorf("the app answered %q, want %q", got, tt.wantAnswer)
			}
			if got := doc.Find(".pane-front table.authz-booking").Length() == 1; got != tt.wantCard {
				t.Errorf("booking shown = %v, want %v", got, tt.wantCard)
			}
			attrs, ok := spanAttrs(doc, fmt.Sprintf("authorize: is booking %s member %s's?", tt.booking, map[string]string{"": "1", "bob": "2"}[tt.login]))
			if ok != (tt.wantAuthz != nil) {
				t.Fatalf("authorize span present = %v, want %v", ok, tt.wantAuthz != nil)
			}
			for k, v := range tt.wantAuthz {
				if attrs[k] != v {
					t.Errorf("authorize span %s = %q, want %q", k, attrs[k], v)
				}
			}
			if _, loaded := spanAttrs(doc, "load member"); loaded != tt.wantCard {
				t.Errorf("the owner was loaded = %v, want %v (only for a booking shown)", loaded, tt.wantCard)
			}
		})
	}
}

// TestIDORTwinSaysNothing checks the JSON twin answers another member's
// booking and a missing one alike: the same verdict, status and words,
// and no booking or owner.
func TestIDORTwinSaysNothing(t *testing.T) {
	srv := newServer(t, web.Config{})
	bobs := defaultBooking(t, newClient(t, srv))
	type out struct {
		Verdict   string          `json:"verdict"`
		Status    int             `json:"status"`
		Detail    string          `json:"detail"`
		Booking   json.RawMessage `json:"booking"`
		OwnerName string          `json:"owner_name"`
	}
	got := map[string]out{}
	for _, id := range []string{bobs, missingBooking} {
		r, run := demoAPIRun(t, srv, "idor-booking", map[string]any{"booking": id, "check": "yes (fixed)"})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("booking %s: status %d, %.300s", id, r.StatusCode, r.text)
		}
		var o out
		if err := json.Unmarshal(run.Output, &o); err != nil {
			t.Fatal(err)
		}
		if o.Detail != "There is no booking "+id+"." || o.Booking != nil || o.OwnerName != "" {
			t.Errorf("booking %s: %+v", id, o)
		}
		o.Detail = strings.ReplaceAll(o.Detail, id, "N")
		got[id] = o
	}
	if got[bobs].Verdict != "not found" || got[bobs].Status != http.StatusNotFound {
		t.Errorf("bob's booking, checked: %+v", got[bobs])
	}
	if fmt.Sprint(got[bobs]) != fmt.Sprint(got[missingBooking]) {
		t.Errorf("another member's booking and a missing one differ:\n%+v\n%+v", got[bobs], got[missingBooking])
	}
}

func TestAuthzBookingPage(t *testing.T) {
	srv := newServer(t, web.Config{})
	bobs := defaultBooking(t, newClient(t, srv))
	alice := primed(t, srv)
	logInAs(t, alice, "alice")
	tests := []struct {
		name       string
		c          *client
		path       string
		wantStatus int
		wantText   []string
	}{
		{name: "nobody logged in", c: primed(t, srv), path: "/airline/bookings/" + alicesBooking, wantStatus: http.StatusSeeOther},
		{name: "alice's own", c: alice, path: "/airline/bookings/" + alicesBooking, wantStatus: http.StatusOK,
			wantText: []string{"Booking " + alicesBooking, "Alice Martin (member 1)"}},
		{name: "bob's, for alice", c: alice, path: "/airline/bookings/" + bobs, wantStatus: http.StatusNotFound,
			wantText: []string{"There is no booking " + bobs + "."}},
		{name: "missing", c: alice, path: "/airline/bookings/" + missingBooking, wantStatus: http.StatusNotFound,
			wantText: []string{"There is no booking " + missingBooking + "."}},
		{name: "not a number", c: alice, path: "/airline/bookings/abc", wantStatus: http.StatusNotFound,
			wantText: []string{`There is no booking "abc".`}},
	}
	pages := map[string]string{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.c.get(tt.path, nil)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d; %.500s", r.StatusCode, tt.wantStatus, r.text)
			}
			if want := "/airline/login?next=%2Fairline%2Fbookings%2F" + alicesBooking; tt.wantStatus == http.StatusSeeOther && r.Header.Get("Location") != want {
				t.Errorf("Location = %q, want the login page coming back here, %q", r.Header.Get("Location"), want)
			}
			if got := r.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			doc := parseHTML(t, r.text)
			text := strings.Join(strings.Fields(doc.Find("main").Text()), " ")
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("page = %.500q, want %q in it", text, w)
				}
			}
			if tt.wantStatus == http.StatusNotFound {
				id := strings.TrimPrefix(tt.path, "/airline/bookings/")
				pages[tt.name] = strings.ReplaceAll(text, id, "N")
			}
		})
	}
	if pages["bob's, for alice"] != pages["missing"] {
		t.Errorf("another member's booking and a missing one read differently:\n%q\n%q", pages["bob's, for alice"], pages["missing"])
	}
}
