package main

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// outcome is one finished action.
type outcome struct {
	kind    string
	status  int           // 0 when no response came
	latency time.Duration // from sending to the last byte of the body
	slip    time.Duration // how late the action started against its schedule
	at      time.Duration // when it was sent, from the start of the run
	err     string
	// retryAfter is how long a refusal (429 or 503) asked the student to
	// wait, 0 for any other answer.
	retryAfter time.Duration
	// attacker marks an action of a hostile visitor, its join included.
	attacker bool
}

// classRun is what a class did, and what the server and this process used
// meanwhile.
type classRun struct {
	opts     loadOptions
	outcomes []outcome
	server   usage
	tool     usage
	cores    int
}

// runClass runs the students until the deadline, then waits for the
// answers still in flight (each bounded by requestTimeout).
func runClass(ctx context.Context, opts loadOptions, base string, pid int) (classRun, error) {
	transport := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConnsPerHost: opts.students + opts.attackers,
		IdleConnTimeout:     90 * time.Second,
	}
	defer transport.CloseIdleConnections()
	noRedirect := func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	plan, err := fetchPlan(ctx, &http.Client{Transport: transport, Timeout: requestTimeout, CheckRedirect: noRedirect}, base, opts.lesson)
	if err != nil {
		return classRun{}, err
	}
	run := classRun{opts: opts, cores: runtime.NumCPU()}
	meter := startMeter(pid)
	toolMeter := startMeter(os.Getpid())

	start := time.Now()
	deadline := start.Add(opts.duration)
	ctx, cancel := context.WithDeadline(ctx, deadline.Add(requestTimeout))
	defer cancel()
	results := make([][]outcome, opts.students+opts.attackers)
	var wg sync.WaitGroup
	for i := range opts.students + opts.attackers {
		jar, _ := cookiejar.New(nil) // never fails without options
		s := &student{
			n:        i,
			start:    start,
			plan:     &plan,
			client:   &http.Client{Transport: transport, Jar: jar, Timeout: requestTimeout, CheckRedirect: noRedirect},
			rng:      rand.New(rand.NewPCG(uint64(start.UnixNano()), uint64(i))),
			attacker: i >= opts.students,
		}
		// The first actions are spread evenly over the first interval.
		every, first := opts.every, start.Add(time.Duration(i)*opts.every/time.Duration(opts.students))
		if s.attacker {
			every, first = opts.attackEvery, start.Add(time.Duration(i-opts.students)*opts.attackEvery/time.Duration(opts.attackers))
		}
		wg.Go(func() { results[i] = s.attend(ctx, first, deadline, every) })
	}
	wg.Wait()
	run.server, run.tool = meter.stop(), toolMeter.stop()
	for _, r := range results {
		run.outcomes = append(run.outcomes, r...)
	}
	return run, nil
}

// student is one member of the class: its own cookies, one request at a
// time.
type student struct {
	n      int
	start  time.Time // of the run
	plan   *classPlan
	client *http.Client
	rng    *rand.Rand
	token  string // the CSRF token its pages carry; empty until it joins
	done   int    // actions after joining
	// attacker sends hostile SQL instead of taking a student's actions.
	attacker bool
}

// attend joins, then takes one action every interval until the deadline.
// A slow answer delays the next action; the student never hurries to
// catch up, and after a refusal waits as long as its Retry-After asks, as
// the panel does before it tries again; an attacker does not.
func (s *student) attend(ctx context.Context, next, deadline time.Time, every time.Duration) []outcome {
	var out []outcome
	for {
		at := next.Add(time.Duration(s.rng.Int64N(int64(every/20) + 1)))
		if !at.Before(deadline) {
			return out
		}
		t := time.NewTimer(time.Until(at))
		select {
		case <-ctx.Done():
			t.Stop()
			return out
		case <-t.C:
		}
		o := s.act(ctx, at)
		out = append(out, o)
		wait := o.retryAfter
		if s.attacker {
			wait = 0 // a hostile visitor does not do as it is asked
		}
		next = nextAction(next.Add(every), time.Now(), wait)
	}
}

// nextAction is when a student acts next: at its schedule, or at once if
// that has passed, but not before the wait a refusal asked for is over.
func nextAction(scheduled, now time.Time, retryAfter time.Duration) time.Time {
	return maxTime(scheduled, now.Add(retryAfter))
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// retryAfter reads the wait a refusal asks for: Retry-After in whole
// seconds on a 429 or 503, else 0. (The server never sends the HTTP-date
// form.)
func retryAfter(res *http.Response) time.Duration {
	if res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusServiceUnavailable {
		return 0
	}
	n, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || n <= 0 {
		return 0
	}
	return min(time.Duration(n)*time.Second, time.Minute)
}

// act takes the student's next action: joining when it has no token yet,
// otherwise a page, a demo and the heavy query in turn.
func (s *student) act(ctx context.Context, scheduled time.Time) outcome {
	kind, k := kindJoin, s.done
	switch {
	case s.token != "" && s.attacker:
		kind = kindAttack
		s.done++
	case s.token != "":
		kind = [...]string{kindPage, kindDemo, kindSQL}[(s.n+k)%3]
		s.done++
	}
	p := s.plan
	var req *http.Request
	switch kind {
	case kindJoin:
		req = s.page(ctx, p.join)
	case kindPage:
		req = s.page(ctx, p.pages[(s.n+k/3)%len(p.pages)])
	case kindDemo:
		d := p.demos[(s.n+k/3)%len(p.demos)]
		req = s.post(ctx, d.id, d.page, d.form)
	case kindSQL:
		req = s.post(ctx, "sql-select", "/lessons/sql-basics", url.Values{"sql": {heavyQuery}})
	case kindAttack:
		req = s.post(ctx, "sql-select", "/lessons/sql-basics", url.Values{"sql": {hostileSQL[(s.n+k)%len(hostileSQL)]}})
	}
	start := time.Now()
	o := outcome{kind: kind, slip: start.Sub(scheduled), at: start.Sub(s.start), attacker: s.attacker}
	res, err := s.client.Do(req)
	if err != nil {
		o.latency, o.err = time.Since(start), err.Error()
		return o
	}
	defer res.Body.Close()
	o.status, o.retryAfter = res.StatusCode, retryAfter(res)
	body, err := io.ReadAll(io.LimitReader(res.Body, 4<<20))
	if err == nil {
		_, err = io.Copy(io.Discard, res.Body)
	}
	o.latency = time.Since(start)
	switch {
	case err != nil:
		o.err = err.Error()
	case res.StatusCode >= 400:
		o.err = strconv.Itoa(res.StatusCode) + " " + answerText(body)
	case kind == kindSQL:
		if msg, failed := queryFailed(body); failed {
			o.err = "200, but the query failed: " + msg
		}
	case kind == kindJoin:
		if s.token = csrfFromPage(string(body)); s.token == "" {
			o.err = fmt.Sprintf("no CSRF token in %s (%s)", p.join, res.Status)
		}
	}
	return o
}

// queryFailed reports the message of a SQL panel answer whose statement
// failed. The panel answers such a query with 200 and says in the page why
// it failed (its time limit, or stopped to make way); the class's query
// never fails on its own, so a failure is the server's.
func queryFailed(body []byte) (string, bool) {
	_, rest, ok := bytes.Cut(body, []byte(`class="sql-statement has-error`))
	if !ok {
		return "", false
	}
	return answerText(rest), true
}

// answerText is the gist of an error answer: the text of its alert (or
// of the whole answer when it has none) without tags, on one line, cut
// short.
func answerText(body []byte) string {
	text := string(body)
	if _, alert, ok := strings.Cut(text, `role="alert"`); ok {
		if _, alert, ok = strings.Cut(alert, ">"); ok {
			text, _, _ = strings.Cut(alert, "</p>")
		}
	}
	var b strings.Builder
	inTag := false
	for _, r := range text {
		switch {
		case r == '<':
			inTag = true
			b.WriteByte(' ')
		case r == '>':
			inTag = false
		case !inTag:
			b.WriteRune(r)
		}
	}
	gist := []rune(strings.Join(strings.Fields(html.UnescapeString(b.String())), " "))
	if len(gist) > 120 {
		return strings.TrimSpace(string(gist[:120])) + "…"
	}
	return string(gist)
}

// page is a GET of a lesson page, as a browser follows a link. Students
// send no Sec-Fetch-* headers: with them the CSRF check trusts the header
// and skips the token, and the token (cookie, form field and header) is
// the path measured here.
func (s *student) page(ctx context.Context, path string) *http.Request {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.plan.base+path, nil)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
	return req
}

// post runs a demo as the panel's partial-update script does: the form
// with its hidden token, HX-Request, and the token in X-CSRF-Token.
func (s *student) post(ctx context.Context, id, page string, form url.Values) *http.Request {
	body := url.Values{"_csrf": {s.token}}
	for k, v := range form {
		body[k] = v
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.plan.base+"/demos/"+id, strings.NewReader(body.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Current-URL", s.plan.base+page)
	req.Header.Set("HX-Target", "demo-"+id+"-result")
	req.Header.Set("X-CSRF-Token", s.token)
	return req
}

// csrfFromPage finds the token a page's forms carry: the hidden _csrf
// field, or the csrf-token meta tag the partial-update script reads.
func csrfFromPage(html string) string {
	for _, prefix := range []string{`name="_csrf" value="`, `<meta name="csrf-token" content="`} {
		if _, rest, ok := strings.Cut(html, prefix); ok {
			if tok, _, ok := strings.Cut(rest, `"`); ok && tok != "" {
				return tok
			}
		}
	}
	return ""
}
