package web

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/web/view"
)

// The rate limiting lesson's demo: a guesser tries common passwords on one
// account through the real login endpoint, then the right one, and meets
// the login limits. Every request carries the visitor's cookie, so the
// limits are the visitor's own, exactly as for their browser.

// bruteForceGuesses are the wrong passwords tried, in order: the top of
// the breach lists. None can be anyone's password here: each is shorter
// than auth.PasswordMin or on the sign-up's list of common passwords.
var bruteForceGuesses = [...]string{
	"123456", "password", "12345678", "qwerty", "123456789", "12345", "1234", "111111", "1234567", "dragon",
	"123123", "baseball", "abc123", "football", "monkey", "letmein", "sunshine", "shadow", "master", "666666",
	"qwertyuiop", "123321", "mustang", "1234567890", "michael", "654321", "superman", "princess", "7777777", "121212",
}

// bruteForceMaxGuesses is the most wrong passwords one run sends.
const bruteForceMaxGuesses = len(bruteForceGuesses)

// bruteForceData is the JSON twin's output.
type bruteForceData struct {
	Account  string              `json:"account"`
	Before   bruteForceState     `json:"before"`
	Attempts []bruteForceAttempt `json:"attempts"`
	After    bruteForceState     `json:"after"`
	Limits   bruteForceLimits    `json:"limits"`
	Curl     string              `json:"curl"`
}

// bruteForceAttempt is one login sent, and how the server answered.
type bruteForceAttempt struct {
	N        int    `json:"n"`
	Password string `json:"password"`
	Right    bool   `json:"right_password"`
	Status   int    `json:"status"`
	// RetryAfter is the Retry-After header, in seconds, when there was one.
	RetryAfter string `json:"retry_after,omitempty"`
	Detail     string `json:"detail"`
	// Failures and LockedForS are the account's state after the answer.
	Failures   int     `json:"failures"`
	LockedForS float64 `json:"locked_for_s"`
}

// bruteForceState is the account's recent failures and its lock.
type bruteForceState struct {
	Failures   int     `json:"failures"`
	LockedForS float64 `json:"locked_for_s"`
}

// bruteForceLimits are the login limits in force.
type bruteForceLimits struct {
	FreeFailures      int     `json:"free_failures"`
	WindowS           float64 `json:"window_s"`
	LockFirstS        float64 `json:"lock_first_s"`
	LockMaxS          float64 `json:"lock_max_s"`
	Attempts          int     `json:"visitor_attempts_at_once"`
	AttemptsPerMinute int     `json:"visitor_attempts_per_minute"`
}

func (s *Server) demoBruteForce() *demo {
	return &demo{
		ID: "brute-force", Title: "Guess a password", Lesson: "rate-limiting",
		Description: "Try common passwords on one account through the real login endpoint, POST /api/v1/sessions, then the right one. Watch the limits step in.",
		Button:      "Start guessing",
		Wide:        true,
		Params: []param{
			{Name: "account", Label: "Account", Kind: "text", Default: "bob", MaxLen: auth.UsernameMax,
				Hint: "A seeded account: alice, bob, carol, dave or erin."},
			{Name: "guesses", Label: "Wrong passwords to try", Kind: "number", Default: "10", Min: 1, Max: bruteForceMaxGuesses},
			{Name: "right", Label: "Then try the right password", Kind: "checkbox", Default: "on",
				Hint: "A seeded account's password is its name and -demo: bob-demo."},
		},
		Run: s.runBruteForce,
	}
}

func (s *Server) runBruteForce(ctx context.Context, in demoInput) (demoOutput, error) {
	account := strings.TrimSpace(in.Params["account"])
	if account == "" {
		return demoOutput{}, &paramError{"account: name an account to guess, such as bob"}
	}
	if err := s.sandboxForNewVisitor(ctx, in); err != nil {
		return demoOutput{}, err
	}
	// The limits count the account as the login stores it.
	key, msg := auth.NormalizeUsername(account)
	if msg != "" {
		key = account
	}
	throttle := s.auth.Throttle()
	state := func() bruteForceState {
		n, lock := throttle.Failures(in.Visitor, key)
		return bruteForceState{Failures: n, LockedForS: lock.Seconds()}
	}
	lim := throttle.Limits()
	data := bruteForceData{Account: account, Before: state(), Limits: bruteForceLimits{
		FreeFailures: lim.FreeFailures, WindowS: lim.Window.Seconds(), LockFirstS: lim.LockFirst.Seconds(), LockMaxS: lim.LockMax.Seconds(),
		Attempts: lim.Attempts, AttemptsPerMinute: lim.AttemptsPerMinute,
	}}
	tries := bruteForceGuesses[:in.Int("guesses")]
	right := in.Params["right"] == "on"
	if right {
		tries = append(tries[:len(tries):len(tries)], account+"-demo")
	}
	var first *selfExchange
	for i, pw := range tries {
		body, err := json.Marshal(map[string]string{"username": account, "password": pw})
		if err != nil {
			return demoOutput{}, err
		}
		x, err := s.sendSelf(ctx, in.Request, fmt.Sprintf("POST /api/v1/sessions #%d", i+1), selfRequest{
			Method: http.MethodPost, Target: "/api/v1/sessions", Body: body,
			Header: http.Header{"Accept": {echo.MIMEApplicationJSON}, echo.HeaderContentType: {echo.MIMEApplicationJSON}},
		})
		if err != nil {
			return demoOutput{}, err
		}
		if first == nil {
			first = &x
		}
		after := state()
		data.Attempts = append(data.Attempts, bruteForceAttempt{
			N: i + 1, Password: pw, Right: right && i == len(tries)-1, Status: x.Status,
			RetryAfter: x.Header.Get("Retry-After"), Detail: bruteForceDetail(&x),
			Failures: after.Failures, LockedForS: after.LockedForS,
		})
	}
	data.After = state()
	data.Curl = curlCall(s.baseURL(in.Request), first)
	return demoOutput{Data: data, View: view.BruteForce(bruteForceView(data))}, nil
}

// bruteForceDetail is what a login answer says: the problem's detail, or who
// logged in.
func bruteForceDetail(x *selfExchange) string {
	if mt, _, _ := mime.ParseMediaType(x.Header.Get(echo.HeaderContentType)); mt == problemJSON {
		var p problem
		if json.Unmarshal(x.Body, &p) == nil {
			return p.Detail
		}
	}
	if x.Status == http.StatusCreated {
		var s sessionJSON
		if json.Unmarshal(x.Body, &s) == nil {
			return "Logged in as " + s.User.Username + ": a session cookie came back, and the failures are forgotten."
		}
	}
	return http.StatusText(x.Status)
}

// bruteForceView shapes a run for the front end pane.
func bruteForceView(d bruteForceData) view.BruteForceOutput {
	o := view.BruteForceOutput{Account: d.Account, Curl: d.Curl}
	counts := map[int]int{}
	for _, a := range d.Attempts {
		row := view.BruteForceRow{
			N: a.N, Password: a.Password, Right: a.Right, Account: d.Account,
			Status: fmt.Sprintf("%d", a.Status), StatusClass: fmt.Sprintf("status-%dxx", a.Status/100),
			Detail: a.Detail, After: bruteForceFailures(a.Failures, a.LockedForS), RetryAfter: a.RetryAfter,
		}
		counts[a.Status]++
		o.Rows = append(o.Rows, row)
	}
	var parts []string
	for _, st := range []int{http.StatusCreated, http.StatusUnauthorized, http.StatusTooManyRequests} {
		if n := counts[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d × %d %s", n, st, http.StatusText(st)))
		}
	}
	o.Summary = strings.Join(parts, " · ")
	switch {
	case d.Before.LockedForS > 0:
		o.Before = fmt.Sprintf("Before this run %s was already locked, for %s more, after %d wrong passwords: every attempt was refused unread.",
			d.Account, bruteForceSeconds(d.Before.LockedForS), d.Before.Failures)
	case d.Before.Failures > 0:
		o.Before = fmt.Sprintf("Before this run %s had %d recent wrong passwords: they count towards the lock for %s after the last.",
			d.Account, d.Before.Failures, bruteForceSeconds(d.Limits.WindowS))
	}
	o.Failures = d.After.Failures
	o.LockedMS = int64(d.After.LockedForS * 1000)
	o.Locked = bruteForceSeconds(d.After.LockedForS)
	if last := d.Attempts[len(d.Attempts)-1]; last.Right {
		switch last.Status {
		case http.StatusTooManyRequests:
			o.RightNote = "Even the right password was refused: a locked account does not check passwords at all, so a guesser learns nothing while it is locked."
		case http.StatusCreated:
			o.RightNote = "The right password got in: the lock had not started (or had run out), and a login that works forgets the failures."
		}
	}
	l := d.Limits
	o.Limits = []string{
		fmt.Sprintf("%d wrong passwords within %s lock the account for %s; each one after that doubles the lock, up to %s.",
			l.FreeFailures, bruteForceSeconds(l.WindowS), bruteForceSeconds(l.LockFirstS), bruteForceSeconds(l.LockMaxS)),
		fmt.Sprintf("A visitor may try %d logins at once, then %d a minute, across all accounts.", l.Attempts, l.AttemptsPerMinute),
	}
	return o
}

// bruteForceFailures is an account's state after an attempt.
func bruteForceFailures(n int, lockedS float64) string {
	s := fmt.Sprintf("%d failures", n)
	if n == 1 {
		s = "1 failure"
	}
	if lockedS > 0 {
		s += " · locked " + bruteForceSeconds(lockedS)
	}
	return s
}

// bruteForceSeconds says a number of seconds as whole seconds or minutes, rounded up.
func bruteForceSeconds(s float64) string {
	d := time.Duration(s * float64(time.Second))
	n := int((d + time.Second - 1) / time.Second)
	switch {
	case n < 60:
		return fmt.Sprintf("%d s", n)
	case n%60 == 0:
		return fmt.Sprintf("%d min", n/60)
	}
	return fmt.Sprintf("%d min %d s", n/60, n%60)
}
