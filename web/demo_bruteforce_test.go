package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/web"
)

const rateLimitingPage = "/lessons/rate-limiting"

// bfRow is one row of the brute-force table, as shown.
type bfRow struct {
	password, status, retryAfter, says string
}

func bruteForceRows(doc *goquery.Document) []bfRow {
	var rows []bfRow
	doc.Find(".pane-front table.bf-attempts tbody tr").Each(func(_ int, tr *goquery.Selection) {
		tds := tr.Find("td")
		rows = append(rows, bfRow{
			password:   tds.Eq(1).Find("code").Text(),
			status:     tds.Eq(2).Find(".visit-status").Text(),
			retryAfter: tds.Eq(2).Find(".bf-retry strong").Text(),
			says:       strings.Join(strings.Fields(tds.Eq(3).Text()), " "),
		})
	})
	return rows
}

// TestBruteForce guesses through the panel: the lock after the fifth wrong
// password, the right password refused while locked, and a second run
// that finds the account still locked.
func TestBruteForce(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)

	t.Run("locked after five, the right password refused, still locked on a second run", func(t *testing.T) {
		c := newClient(t, srv)
		r, doc := panelAs(t, c, rateLimitingPage, "brute-force", nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %.1000s", r.StatusCode, r.text)
		}
		rows := bruteForceRows(doc)
		if len(rows) != 11 {
			t.Fatalf("%d rows, want 10 guesses and the right password", len(rows))
		}
		for i, row := range rows {
			wantStatus := "401"
			if i >= 5 {
				wantStatus = "429"
			}
			if row.status != wantStatus {
				t.Errorf("attempt %d (%s): status %s, want %s", i+1, row.password, row.status, wantStatus)
			}
			switch {
			case wantStatus == "401" && (row.retryAfter != "" || !strings.HasPrefix(row.says, "Wrong username or password.")):
				t.Errorf("attempt %d: Retry-After %q, says %q; want none and the wrong-password detail", i+1, row.retryAfter, row.says)
			case wantStatus == "429":
				if n, err := strconv.Atoi(row.retryAfter); err != nil || n < 1 || n > 30 {
					t.Errorf("attempt %d: Retry-After %q, want 1–30 seconds", i+1, row.retryAfter)
				}
				if !strings.HasPrefix(row.says, "This account is locked after 5 wrong passwords; try again in") {
					t.Errorf("attempt %d says %q", i+1, row.says)
				}
			}
		}
		if !strings.HasSuffix(rows[4].says, "bob: 5 failures · locked 30 s") {
			t.Errorf("the fifth attempt says %q, want the lock it set off", rows[4].says)
		}
		if last := rows[10]; last.password != "bob-demo" || last.status != "429" {
			t.Errorf("the right password: %+v, want bob-demo refused with 429", last)
		}
		out := doc.Find(".pane-front .output")
		if got := out.Find(".bf-summary").Text(); got != "5 × 401 Unauthorized · 6 × 429 Too Many Requests" {
			t.Errorf("summary = %q", got)
		}
		if got := strings.Join(strings.Fields(out.Find(".bf-right-note").Text()), " "); !strings.HasPrefix(got, "Even the right password was refused") {
			t.Errorf("right-password note = %q", got)
		}
		ms, err := strconv.Atoi(out.Find(".bf-now .countdown").AttrOr("data-countdown-ms", ""))
		if err != nil || ms <= 0 || ms > 30_000 {
			t.Errorf("lock countdown = %d ms (%v), want up to 30 s", ms, err)
		}
		if out.Find(".bf-before").Length() != 0 {
			t.Error("a first run says the account was already failing")
		}
		// The limits are the visitor's: each request carried their cookie.
		if n := doc.Find(".pane-back .span-name").FilterFunction(func(_ int, s *goquery.Selection) bool {
			return strings.HasPrefix(s.Text(), "POST /api/v1/sessions #")
		}).Length(); n != 11 {
			t.Errorf("%d login requests in the trace, want 11", n)
		}

		_, doc = panelAs(t, c, rateLimitingPage, "brute-force", nil)
		before := strings.Join(strings.Fields(doc.Find(".bf-before").Text()), " ")
		if !strings.HasPrefix(before, "Before this run bob was already locked, for ") || !strings.Contains(before, "after 5 wrong passwords") {
			t.Errorf("second run: before = %q", before)
		}
		for i, row := range bruteForceRows(doc) {
			if row.status != "429" || row.retryAfter == "" {
				t.Errorf("second run, attempt %d: %+v, want 429 with Retry-After", i+1, row)
			}
		}
		if doc.Find(".bf-now .countdown").Length() != 1 {
			t.Error("second run: bob is not shown locked")
		}
	})

	t.Run("the right password before the lock", func(t *testing.T) {
		_, doc := panelAs(t, newClient(t, srv), rateLimitingPage, "brute-force", map[string]string{"account": "alice", "guesses": "4"})
		rows := bruteForceRows(doc)
		got := make([]string, len(rows))
		for i, r := range rows {
			got[i] = r.status
		}
		if want := []string{"401", "401", "401", "401", "201"}; !slices.Equal(got, want) {
			t.Fatalf("statuses = %q, want %q", got, want)
		}
		if last := rows[4]; last.password != "alice-demo" || !strings.HasPrefix(last.says, "Logged in as alice") || !strings.HasSuffix(last.says, "alice: 0 failures") {
			t.Errorf("the right password: %+v", last)
		}
		if got := strings.Join(strings.Fields(doc.Find(".bf-now").Text()), " "); got != "No recent wrong passwords, not locked." {
			t.Errorf("now = %q", got)
		}
	})

	t.Run("the JSON twin", func(t *testing.T) {
		r, got := demoAPIRun(t, srv, "brute-force", map[string]any{"account": "carol", "guesses": 30, "right": false})
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", r.StatusCode, r.text)
		}
		var out struct {
			Account  string `json:"account"`
			Attempts []struct {
				N          int     `json:"n"`
				Password   string  `json:"password"`
				Right      bool    `json:"right_password"`
				Status     int     `json:"status"`
				RetryAfter string  `json:"retry_after"`
				Failures   int     `json:"failures"`
				LockedForS float64 `json:"locked_for_s"`
			} `json:"attempts"`
			After struct {
				Failures   int     `json:"failures"`
				LockedForS float64 `json:"locked_for_s"`
			} `json:"after"`
			Limits struct {
				FreeFailures int `json:"free_failures"`
				Attempts     int `json:"visitor_attempts_at_once"`
			} `json:"limits"`
			Curl string `json:"curl"`
		}
		if err := json.Unmarshal(got.Output, &out); err != nil {
			t.Fatal(err)
		}
		if len(out.Attempts) != 30 || out.Account != "carol" {
			t.Fatalf("%d attempts on %q, want 30 on carol", len(out.Attempts), out.Account)
		}
		seen := map[string]bool{}
		for i, a := range out.Attempts {
			// No guess can be anyone's password: the sign-up refuses each.
			if _, msg := auth.NormalizePassword(a.Password, ""); msg == "" {
				t.Errorf("guess %q is a password someone could have", a.Password)
			}
			if seen[a.Password] || a.Right || a.N != i+1 {
				t.Errorf("attempt %d: %+v (repeated or marked right)", i+1, a)
			}
			seen[a.Password] = true
			if want := min(i+1, 5); a.Failures != want || (a.LockedForS > 0) != (i >= 4) {
				t.Errorf("attempt %d: %d failures, locked %v s; want %d failures, locked from the fifth", i+1, a.Failures, a.LockedForS, want)
			}
		}
		if out.After.Failures != 5 || out.After.LockedForS <= 0 || out.After.LockedForS > 30 {
			t.Errorf("after = %+v, want 5 failures and a lock of up to 30 s", out.After)
		}
		if out.Limits.FreeFailures != 5 || out.Limits.Attempts != 20 {
			t.Errorf("limits = %+v", out.Limits)
		}
		if !strings.Contains(out.Curl, `-d '{"password":"123456","username":"carol"}'`) || !strings.HasSuffix(out.Curl, "/api/v1/sessions'") {
			t.Errorf("curl = %q", out.Curl)
		}
	})

	t.Run("bad parameters", func(t *testing.T) {
		for _, params := range []map[string]any{{"account": ""}, {"account": "  "}, {"guesses": 0}, {"guesses": 31}, {"account": strings.Repeat("a", 33)}} {
			r, _ := demoAPIRun(t, srv, "brute-force", params)
			if r.StatusCode != http.StatusBadRequest {
				t.Errorf("%v: status %d, want 400: %.300s", params, r.StatusCode, r.text)
			}
		}
	})
}

// TestBruteForceClassroom is a class of 300 behind one school address,
// with the server's default limits: one student guesses alice's password
// until her account is locked for them, and then every student logs in
// as alice through the JSON API, each in their own sandbox, without a
// single 429. The login limits are kept per visitor and account, never
// per address.
func TestBruteForceClassroom(t *testing.T) {
	srv := newClassServer(t)

	const hall = "198.51.100.7"
	students := make([]*client, 300)
	for i := range students {
		c := newClient(t, srv)
		c.remote = fmt.Sprintf("%s:%d", hall, 20000+i)
		if r := c.get(rateLimitingPage, nil); r.StatusCode != http.StatusOK {
			t.Fatalf("student %d opens the lesson: status %d", i+1, r.StatusCode)
		}
		students[i] = c
	}
	login := func(c *client, password string) reply {
		t.Helper()
		return c.postJSON("/api/v1/sessions", `{"username": "alice", "password": "`+password+`"}`, nil)
	}

	guesser := students[0]
	for i := range 6 {
		r := login(guesser, "wrong-guess-"+strconv.Itoa(i))
		if want := map[bool]int{true: http.StatusUnauthorized, false: http.StatusTooManyRequests}[i < 5]; r.StatusCode != want {
			t.Fatalf("the guesser's attempt %d: status %d, want %d", i+1, r.StatusCode, want)
		}
	}
	if r := login(guesser, "alice-demo"); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("the guesser's right password while locked: status %d, want 429", r.StatusCode)
	}

	statuses := map[int]int{}
	for i, c := range students[1:] {
		r := login(c, "alice-demo")
		statuses[r.StatusCode]++
		if r.StatusCode != http.StatusCreated {
			t.Errorf("student %d: status %d: %.300s", i+2, r.StatusCode, r.text)
			continue
		}
		if setCookie(r, "airline_session") == nil {
			t.Errorf("student %d: no session cookie", i+2)
		}
	}
	if statuses[http.StatusCreated] != 299 {
		t.Errorf("statuses = %v, want 299 × 201", statuses)
	}
	// Logged in in their own sandbox: the session cookie opens it.
	for _, i := range []int{1, 150, 299} {
		r := students[i].get("/api/v1/sessions/current", hdr("Accept", "application/json"))
		if r.StatusCode != http.StatusOK || !strings.Contains(r.text, `"username":"alice"`) {
			t.Errorf("student %d's session: status %d: %.300s", i+1, r.StatusCode, r.text)
		}
	}
}
