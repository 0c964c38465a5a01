package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/engineroom/engineroom/web"
	"github.com/engineroom/engineroom/web/view"
)

func TestParseLoadOptions(t *testing.T) {
	defaults := loadOptions{students: 50, every: 2 * time.Second, duration: 60 * time.Second, lesson: "sql-basics", attackEvery: defaultAttackEvery}
	tests := []struct {
		name    string
		args    []string
		want    loadOptions
		wantErr string
	}{
		{name: "defaults", want: defaults},
		{
			name: "every flag",
			args: []string{"-students", "300", "-every", "1s", "-duration", "30s", "-url", "http://127.0.0.1:18080/", "-pid", "42", "-lesson", "/lessons/sql-injection"},
			want: loadOptions{students: 300, every: time.Second, duration: 30 * time.Second, url: "http://127.0.0.1:18080", pid: 42, lesson: "sql-injection", attackEvery: defaultAttackEvery},
		},
		{name: "the largest class", args: []string{"-students", "2000", "-duration", "10m"}, want: loadOptions{students: 2000, every: 2 * time.Second, duration: 10 * time.Minute, lesson: "sql-basics", attackEvery: defaultAttackEvery}},
		{name: "attackers beside the class", args: []string{"-attackers", "20", "-attack-every", "100ms"}, want: loadOptions{students: 50, every: 2 * time.Second, duration: 60 * time.Second, lesson: "sql-basics", attackers: 20, attackEvery: 100 * time.Millisecond}},
		{name: "too many attackers", args: []string{"-attackers", "201"}, wantErr: "-attackers 201: must be between 0 and 200"},
		{name: "attackers in a hurry", args: []string{"-attackers", "2", "-attack-every", "1ms"}, wantErr: "-attack-every 1ms: must be between 10ms"},
		{name: "too many students", args: []string{"-students", "2001"}, wantErr: "-students 2001: must be between 1 and 2000"},
		{name: "no students", args: []string{"-students", "0"}, wantErr: "-students 0: must be between 1 and 2000"},
		{name: "too long", args: []string{"-duration", "10m1s"}, wantErr: "-duration 10m1s: must be more than 0 and at most 10m0s"},
		{name: "no duration", args: []string{"-duration", "0s"}, wantErr: "-duration 0s: must be more than 0"},
		{name: "every too short", args: []string{"-every", "1ms"}, wantErr: "-every 1ms: must be between 10ms and 5m0s"},
		{name: "every too long", args: []string{"-every", "1h"}, wantErr: "-every 1h0m0s: must be between"},
		{name: "pid without url", args: []string{"-pid", "42"}, wantErr: "-pid needs -url"},
		{name: "negative pid", args: []string{"-url", "http://127.0.0.1:1", "-pid", "-1"}, wantErr: "-pid -1: must be a process id"},
		{name: "url without scheme", args: []string{"-url", "127.0.0.1:8080"}, wantErr: `-url "127.0.0.1:8080": must be a base URL`},
		{name: "url of another scheme", args: []string{"-url", "ftp://127.0.0.1"}, wantErr: "must be a base URL"},
		{name: "url with a query", args: []string{"-url", "http://127.0.0.1:8080/?x=1"}, wantErr: "must be a base URL"},
		{name: "lesson that is a path", args: []string{"-lesson", "../sql"}, wantErr: `-lesson "../sql": must be a lesson slug`},
		{name: "empty lesson", args: []string{"-lesson", ""}, wantErr: "must be a lesson slug"},
		{name: "unknown flag", args: []string{"-teachers", "2"}, wantErr: "loadtest: reading flags"},
		{name: "stray argument", args: []string{"300"}, wantErr: `unexpected argument "300"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			got, err := parseLoadOptions(tt.args, &stderr)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("options =\n\t%+v\nwant\n\t%+v", got, tt.want)
			}
		})
	}
}

func TestRunRefusesAnUnboundedClass(t *testing.T) {
	var stdout, stderr strings.Builder
	err := run(context.Background(), []string{"loadtest", "-students", "5000"}, env{}.get, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "loadtest: -students 5000") {
		t.Fatalf("run error = %v, want the bound on -students", err)
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q, want nothing", stdout.String())
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"none", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four is the second", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"median of five", ms(1, 2, 3, 4, 5), 0.5, 3 * time.Millisecond},
		{"p95 of 1..100", ms(hundred...), 0.95, 95 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"max", ms(hundred...), 1, 100 * time.Millisecond},
		{"p99 of ten is the largest", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 0.99, 10 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := percentile(tt.sorted, tt.p); got != tt.want {
				t.Errorf("percentile(%v, %v) = %v, want %v", tt.sorted, tt.p, got, tt.want)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	o := func(kind string, status int, latencyMS int) outcome {
		return outcome{kind: kind, status: status, latency: time.Duration(latencyMS) * time.Millisecond}
	}
	run := classRun{
		opts: loadOptions{students: 2, every: time.Second, duration: 10 * time.Second},
		outcomes: []outcome{
			o(kindJoin, 200, 4), o(kindJoin, 200, 6),
			o(kindPage, 200, 1), o(kindPage, 200, 3),
			o(kindDemo, 200, 10), {kind: kindDemo, status: 503, latency: time.Millisecond, err: "503 full"},
			{kind: kindDemo, status: 429, latency: 2 * time.Millisecond, err: "429 busy"},
			o(kindSQL, 200, 20), {kind: kindSQL, status: 503, latency: time.Millisecond, err: "503 full"},
			{kind: kindSQL, latency: 15 * time.Second, err: "timeout"},
		},
		server: usage{wall: 10 * time.Second, cpu: 500 * time.Millisecond},
		cores:  2,
	}
	r := summarize(run)
	want := []struct {
		name     string
		count    int
		p50, max time.Duration
		statuses string
		errors   string
	}{
		{kindJoin, 2, 4 * time.Millisecond, 6 * time.Millisecond, "200:2", ""},
		{kindPage, 2, 1 * time.Millisecond, 3 * time.Millisecond, "200:2", ""},
		{kindDemo, 3, 2 * time.Millisecond, 10 * time.Millisecond, "200:1 429:1 503:1", "1× 429 busy; 1× 503 full"},
		{kindSQL, 3, 20 * time.Millisecond, 15 * time.Second, "none:1 200:1 503:1", "1× 503 full; 1× timeout"},
		{"total", 10, 3 * time.Millisecond, 15 * time.Second, "none:1 200:6 429:1 503:2", "2× 503 full; 1× 429 busy; 1× timeout"},
	}
	if len(r.kinds) != len(want) {
		t.Fatalf("%d kinds, want %d", len(r.kinds), len(want))
	}
	for i, w := range want {
		k := r.kinds[i]
		errs := strings.Join(k.topErrors(3), "; ")
		if k.name != w.name || k.count != w.count || k.p50 != w.p50 || k.max != w.max || statusList(k.statuses) != w.statuses || errs != w.errors {
			t.Errorf("kind %d = %s count %d p50 %v max %v statuses %q errors %q, want %+v",
				i, k.name, k.count, k.p50, k.max, statusList(k.statuses), errs, w)
		}
	}
	if r.actions != 10 || r.tooMany != 1 || r.unavailable != 2 || r.sqlDemo != 6 {
		t.Errorf("actions %d, 429s %d, 503s %d, demo and sql %d; want 10, 1, 2, 6", r.actions, r.tooMany, r.unavailable, r.sqlDemo)
	}
	if got := r.unavailableShare(); got != 2.0/6 {
		t.Errorf("503 share = %v, want 1/3", got)
	}
	if got := r.cpuPerAction(); got != 50*time.Millisecond {
		t.Errorf("CPU per action = %v, want 50ms", got)
	}
	var out strings.Builder
	r.write(&out)
	for _, line := range []string{
		"throughput: 1.0 actions/s (10 actions started in 10s; the class asks for 2.0/s)",
		"429: 1   503: 2 (33.33% of 6 demo and sql actions)",
		"server CPU: 0.50 s in 10.0 s = 0.05 of 2 cores; 50.0 ms per action",
		"CPU bound: 2 cores / 50.0 ms per action = at most 40 actions/s, about 40 students at one action every 1s",
		"error, sql: 1× 503 full",
		"error, sql: 1× timeout",
		"sql p99 over time: 15000.0, 0.0, 0.0, 0.0, 0.0, 0.0 ms (each 1.667s of the run)",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("report lacks %q:\n%s", line, out.String())
		}
	}

	run.server = usage{why: "no process id"}
	out.Reset()
	summarize(run).write(&out)
	if !strings.Contains(out.String(), "server RSS and CPU: not measured (no process id)") || strings.Contains(out.String(), "CPU bound") {
		t.Errorf("report without a process id:\n%s", out.String())
	}
}

// TestP99OverTime: the students' SQL p99 in each window of the run, the
// attackers and the other kinds left out, late answers in the last window.
func TestP99OverTime(t *testing.T) {
	sql := func(atS float64, latencyMS int) outcome {
		return outcome{kind: kindSQL, status: 200, at: time.Duration(atS * float64(time.Second)), latency: time.Duration(latencyMS) * time.Millisecond}
	}
	run := classRun{
		opts: loadOptions{duration: time.Minute},
		outcomes: []outcome{
			sql(1, 300), sql(2, 250), sql(9.9, 5),
			sql(15, 10),
			{kind: kindPage, at: 25 * time.Second, latency: time.Second},
			{kind: kindSQL, at: 35 * time.Second, latency: time.Second, attacker: true},
			sql(59, 20), sql(60.5, 40),
		},
	}
	window, got := p99OverTime(run, 6)
	want := []time.Duration{300 * time.Millisecond, 10 * time.Millisecond, 0, 0, 0, 40 * time.Millisecond}
	if window != 10*time.Second || !slices.Equal(got, want) {
		t.Errorf("p99OverTime = %v each %v, want %v each 10s", got, window, want)
	}
}

func TestAnswerText(t *testing.T) {
	tests := []struct{ name, body, want string }{
		{"fragment", `<div class="error">
			<p>Too many new databases from your network just now.</p></div>`, "Too many new databases from your network just now."},
		{"alert", `<h3>Front end</h3><p class="notice" role="alert"><strong>Too Many Requests.</strong> Wait a minute.</p><p>trace</p>`, "Too Many Requests. Wait a minute."},
		{"entities", `<p>Don&#39;t &amp; won&#39;t</p>`, "Don't & won't"},
		{"long", strings.Repeat("word ", 40), strings.TrimSpace(strings.Repeat("word ", 24)) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := answerText([]byte(tt.body)); got != tt.want {
				t.Errorf("answerText = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestQueryFailed reads the SQL panel's own answer: a statement's error
// is found with its message, a result is not an error.
func TestQueryFailed(t *testing.T) {
	render := func(st view.SQLStatement) []byte {
		var b bytes.Buffer
		if err := view.SQLResults(view.SQLResult{Statements: []view.SQLStatement{st}}).Render(context.Background(), &b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	stopped := render(view.SQLStatement{N: 1, SQL: heavyQuery, IsQuery: true, Error: &view.SQLError{Code: "stopped", Message: "query stopped: other visitors' queries were waiting"}})
	if msg, failed := queryFailed(stopped); !failed || msg != "stopped query stopped: other visitors' queries were waiting" {
		t.Errorf("a stopped query: %q, %v", msg, failed)
	}
	ok := render(view.SQLStatement{N: 1, SQL: heavyQuery, IsQuery: true, Columns: []string{"origin", "flights"}, Rows: [][]view.Cell{{{Text: "LHR"}, {Text: "120"}}}})
	if msg, failed := queryFailed(ok); failed {
		t.Errorf("a result read as a failure: %q", msg)
	}
}

// TestNextAction: a student keeps its schedule, never hurries to catch
// up, and waits out the Retry-After of a refusal.
func TestNextAction(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	refused := func(status int, header string) *http.Response {
		res := &http.Response{StatusCode: status, Header: http.Header{}}
		if header != "" {
			res.Header.Set("Retry-After", header)
		}
		return res
	}
	tests := []struct {
		name      string
		scheduled time.Time
		res       *http.Response
		want      time.Time
	}{
		{"on schedule", now.Add(time.Second), refused(200, ""), now.Add(time.Second)},
		{"late: at once", now.Add(-time.Second), refused(200, ""), now},
		{"503 waits out Retry-After", now.Add(time.Second), refused(503, "2"), now.Add(2 * time.Second)},
		{"429 waits out Retry-After", now.Add(time.Second), refused(429, "30"), now.Add(30 * time.Second)},
		{"a shorter wait than the schedule", now.Add(3 * time.Second), refused(503, "2"), now.Add(3 * time.Second)},
		{"Retry-After on a 200 means nothing", now.Add(time.Second), refused(200, "5"), now.Add(time.Second)},
		{"a date is not read", now.Add(time.Second), refused(503, "Fri, 04 Dec 2026 10:00:05 GMT"), now.Add(time.Second)},
		{"at most a minute", now.Add(time.Second), refused(503, "86400"), now.Add(time.Minute)},
	}
	for _, tt := range tests {
		if got := nextAction(tt.scheduled, now, retryAfter(tt.res)); !got.Equal(tt.want) {
			t.Errorf("%s: next at %v, want %v", tt.name, got.Sub(now), tt.want.Sub(now))
		}
	}
}

func TestCSRFFromPage(t *testing.T) {
	tests := []struct{ name, html, want string }{
		{"hidden field", `<form><input type="hidden" name="_csrf" value="abc123"/></form>`, "abc123"},
		{"meta tag only", `<head><meta name="csrf-token" content="xyz"/></head>`, "xyz"},
		{"none", `<p>no forms</p>`, ""},
		{"empty field falls back to meta", `<meta name="csrf-token" content="m"/><input name="_csrf" value=""/>`, "m"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := csrfFromPage(tt.html); got != tt.want {
				t.Errorf("csrfFromPage = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestClassAgainstTheServer runs a short class against the real server in
// this process: every kind of action happens and every answer is counted.
// It never looks at how fast anything was.
func TestClassAgainstTheServer(t *testing.T) {
	ctx := context.Background()
	srv, err := web.New(ctx, web.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	if err := srv.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)

	// Two attackers beside the class: their hostile statements are answered
	// (a refusal, a time limit, the visitor's rate limit), never with a
	// server error, and the students' rows leave them out.
	opts := loadOptions{students: 5, every: 200 * time.Millisecond, duration: 2 * time.Second, url: hs.URL, lesson: "sql-basics",
		attackers: 2, attackEvery: 100 * time.Millisecond}
	class, err := runClass(ctx, opts, hs.URL, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := summarize(class)
	if r.attack == nil || r.attack.count < opts.attackers+2 {
		t.Fatalf("attack row %+v, want the attackers' joins and statements", r.attack)
	}
	for code := range r.attack.statuses {
		if code == 0 || code >= 500 && code != http.StatusServiceUnavailable {
			t.Errorf("attack: statuses %v (errors %q): no answer or a server error", r.attack.statuses, r.attack.topErrors(3))
		}
	}
	for _, k := range append(slices.Clip(r.kinds), *r.attack) {
		if k.count == 0 {
			t.Errorf("no %s actions", k.name)
		}
		n := 0
		for _, c := range k.statuses {
			n += c
		}
		if n != k.count {
			t.Errorf("%s: statuses %v add up to %d, want %d", k.name, k.statuses, n, k.count)
		}
		// A slow machine may fill the query slots (503) or stop a demo at
		// its time limit (409), but a 403 would mean the CSRF token went
		// astray and a 400 a malformed form.
		for code := range k.statuses {
			switch code {
			case http.StatusOK, http.StatusConflict, http.StatusTooManyRequests, http.StatusServiceUnavailable:
			default:
				t.Errorf("%s: statuses %v (errors %q)", k.name, k.statuses, k.topErrors(3))
			}
		}
	}
	if total := r.kinds[len(r.kinds)-1]; total.count+r.attack.count != len(class.outcomes) || r.actions != total.count {
		t.Errorf("students' total %d + attack %d != %d outcomes, or actions %d", total.count, r.attack.count, len(class.outcomes), r.actions)
	}
	if joins := r.kinds[0]; joins.count != opts.students || joins.statuses[http.StatusOK] != opts.students {
		t.Errorf("joins: %d with statuses %v, want one 200 per student (%d)", joins.count, joins.statuses, opts.students)
	}
	var out strings.Builder
	r.write(&out)
	if !strings.Contains(out.String(), "server RSS and CPU: not measured") || !strings.Contains(out.String(), "\nattack ") {
		t.Errorf("report:\n%s", out.String())
	}
}
