package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// loadOptions are the settings of the loadtest command.
type loadOptions struct {
	students int
	every    time.Duration
	duration time.Duration
	url      string // base URL of a running server; empty starts one
	pid      int    // that server's process, to read its memory and CPU
	lesson   string // slug of the lesson page students join on
	// attackers join beside the students and send hostile SQL every
	// attackEvery (see loadtest_attack.go).
	attackers   int
	attackEvery time.Duration
}

// Bounds of a class: a run always ends by itself.
const (
	maxStudents = 2000
	maxDuration = 10 * time.Minute
	minEvery    = 10 * time.Millisecond
	maxEvery    = 5 * time.Minute
	// requestTimeout is how long one request may take; requests still in
	// flight at the deadline get at most this long to finish.
	requestTimeout = 15 * time.Second
	// childLogLevel keeps a started server from writing a line per request.
	childLogLevel = "warn"
)

// parseLoadOptions reads the loadtest command's flags and refuses a class
// outside the bounds.
func parseLoadOptions(args []string, stderr io.Writer) (loadOptions, error) {
	fs := flag.NewFlagSet("engineroom loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o loadOptions
	fs.IntVar(&o.students, "students", 50, fmt.Sprintf("students in the class, each with its own cookies (at most %d)", maxStudents))
	fs.DurationVar(&o.every, "every", 2*time.Second, "time between one student's actions")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, fmt.Sprintf("how long the class runs (at most %s)", maxDuration))
	fs.StringVar(&o.url, "url", "", "base URL of a running server (default: start this binary on a free loopback port)")
	fs.IntVar(&o.pid, "pid", 0, "process id of the server at -url, to read its memory and CPU from /proc")
	fs.StringVar(&o.lesson, "lesson", "sql-basics", "lesson page the students open first")
	fs.IntVar(&o.attackers, "attackers", 0, fmt.Sprintf("hostile visitors beside the class, each sending the SQL panel abusive statements (at most %d)", maxAttackers))
	fs.DurationVar(&o.attackEvery, "attack-every", defaultAttackEvery, "time between one attacker's statements")
	if err := fs.Parse(args); err != nil {
		return loadOptions{}, fmt.Errorf("loadtest: reading flags: %w", err)
	}
	if fs.NArg() > 0 {
		return loadOptions{}, fmt.Errorf("loadtest: unexpected argument %q (settings are flags, such as -students 50)", fs.Arg(0))
	}
	switch {
	case o.students < 1 || o.students > maxStudents:
		return loadOptions{}, fmt.Errorf("loadtest: -students %d: must be between 1 and %d", o.students, maxStudents)
	case o.every < minEvery || o.every > maxEvery:
		return loadOptions{}, fmt.Errorf("loadtest: -every %s: must be between %s and %s", o.every, minEvery, maxEvery)
	case o.duration <= 0 || o.duration > maxDuration:
		return loadOptions{}, fmt.Errorf("loadtest: -duration %s: must be more than 0 and at most %s", o.duration, maxDuration)
	case o.attackers < 0 || o.attackers > maxAttackers:
		return loadOptions{}, fmt.Errorf("loadtest: -attackers %d: must be between 0 and %d", o.attackers, maxAttackers)
	case o.attackEvery < minEvery || o.attackEvery > maxEvery:
		return loadOptions{}, fmt.Errorf("loadtest: -attack-every %s: must be between %s and %s", o.attackEvery, minEvery, maxEvery)
	case o.pid < 0:
		return loadOptions{}, fmt.Errorf("loadtest: -pid %d: must be a process id", o.pid)
	case o.pid != 0 && o.url == "":
		return loadOptions{}, errors.New("loadtest: -pid needs -url (without -url the server is started and measured by loadtest itself)")
	}
	o.lesson = strings.TrimPrefix(o.lesson, "/lessons/")
	if o.lesson == "" || strings.Trim(o.lesson, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		return loadOptions{}, fmt.Errorf("loadtest: -lesson %q: must be a lesson slug such as sql-basics", o.lesson)
	}
	if o.url != "" {
		u, err := url.Parse(o.url)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return loadOptions{}, fmt.Errorf("loadtest: -url %q: must be a base URL such as http://127.0.0.1:8080", o.url)
		}
		o.url = strings.TrimSuffix(u.String(), "/")
	}
	return o, nil
}

// loadtest simulates a class of students on one address, each with its own
// cookies, reading lessons and running demos as a browser does, then
// reports latency per kind of action and the server's memory and CPU.
func loadtest(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	opts, err := parseLoadOptions(args, stderr)
	if err != nil {
		return err
	}
	target := opts.url
	pid := opts.pid
	var about string
	if target == "" {
		child, serr := startServer(ctx, getenv, stderr)
		if serr != nil {
			return serr
		}
		defer func() { err = errors.Join(err, child.stop()) }()
		target, pid = child.url, child.pid
		about = fmt.Sprintf("this binary, started as pid %d on %s with LOG_LEVEL=%s (its log goes to stderr)", pid, target, childLogLevel)
	} else {
		about = fmt.Sprintf("%s, pid %d", target, pid)
		if pid == 0 {
			about = target + " (no -pid: its memory and CPU are not measured)"
		}
	}
	fmt.Fprintf(stdout, "engineroom loadtest: %d students on one address, one action each every %s for %s, joining on /lessons/%s\n",
		opts.students, opts.every, opts.duration, opts.lesson)
	if opts.attackers > 0 {
		fmt.Fprintf(stdout, "attackers: %d beside them, each sending hostile SQL every %s\n", opts.attackers, opts.attackEvery)
	}
	fmt.Fprintf(stdout, "server: %s\n", about)
	// A server that has just started may still be building its demo data.
	waitIdle(ctx, pid, 10*time.Second)
	class, err := runClass(ctx, opts, target, pid)
	if err != nil {
		return err
	}
	summarize(class).write(stdout)
	return nil
}

// The kinds of action a student takes. A join is the first page a student
// opens, which gives it its visitor cookie and CSRF token.
const (
	kindJoin = "join"
	kindPage = "page"
	kindDemo = "demo"
	kindSQL  = "sql"
)

// heavyQuery is the query a class is told to run: it reads every flight.
const heavyQuery = "SELECT origin, count(*) AS flights FROM flights GROUP BY origin ORDER BY flights DESC LIMIT 5;"

// demoForm is one lesson demo as its panel's form posts it.
type demoForm struct {
	id   string
	page string // the lesson page the panel is on
	form url.Values
}

// classPlan is what the students visit: the lesson they join on, the
// lesson pages and the lesson demos, all found from GET /api/v1/demos.
type classPlan struct {
	base  string
	join  string
	pages []string
	demos []demoForm
}

// fetchPlan lists the demos and keeps those placed on lesson pages, each
// with the form values its panel starts with. A checkbox that starts off
// is left out, as a browser leaves it out.
func fetchPlan(ctx context.Context, client *http.Client, base, lesson string) (classPlan, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/demos", nil)
	if err != nil {
		return classPlan{}, fmt.Errorf("loadtest: listing demos: %w", err)
	}
	res, err := client.Do(req)
	if err != nil {
		return classPlan{}, fmt.Errorf("loadtest: listing demos: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return classPlan{}, fmt.Errorf("loadtest: listing demos: %s answered %s", base, res.Status)
	}
	var list struct {
		Demos []struct {
			ID     string `json:"id"`
			Lesson string `json:"lesson"`
			Params []struct {
				Name    string `json:"name"`
				Kind    string `json:"kind"`
				Default string `json:"default"`
			} `json:"params"`
		} `json:"demos"`
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, 1<<20)).Decode(&list); err != nil {
		return classPlan{}, fmt.Errorf("loadtest: listing demos: %w", err)
	}
	plan := classPlan{base: base, join: "/lessons/" + lesson}
	seen := map[string]bool{}
	for _, d := range list.Demos {
		if !strings.HasPrefix(d.Lesson, "/lessons/") {
			continue
		}
		form := url.Values{}
		for _, p := range d.Params {
			if p.Kind == "checkbox" && p.Default != "on" {
				continue
			}
			form.Set(p.Name, p.Default)
		}
		plan.demos = append(plan.demos, demoForm{id: d.ID, page: d.Lesson, form: form})
		if !seen[d.Lesson] {
			seen[d.Lesson] = true
			plan.pages = append(plan.pages, d.Lesson)
		}
	}
	if len(plan.demos) == 0 {
		return classPlan{}, fmt.Errorf("loadtest: listing demos: %s has no demos on lesson pages", base)
	}
	return plan, nil
}
