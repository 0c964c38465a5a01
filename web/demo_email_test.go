package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const emailLessonPath = "/lessons/email-and-background-jobs"

var (
	queuedRE  = regexp.MustCompile(`Order #(\d+) confirmed\. Confirmation email queued as job #(\d+)\.`)
	traceIDRE = regexp.MustCompile(`^/api/v1/traces/[0-9a-f]{32}$`)
)

// TestEmailJob runs the email lesson's panel through the real router:
// the email sent in the request or queued as a job, with the visitor's
// email service working or failing, and the mailbox that fills in after
// the answer.
func TestEmailJob(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name string
		run  func(t *testing.T, srv *web.Server)
	}{
		{name: "Default", run: testEmailDefault},
		{name: "InRequest", run: testEmailInRequest},
		{name: "Failing", run: testEmailFailing},
		{name: "OtherVisitorsJob", run: testEmailOtherVisitorsJob},
		{name: "BadJobID", run: testEmailBadJobID},
		{name: "BadRecipient", run: testEmailBadRecipient},
		{name: "JSON", run: testEmailJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, srv)
		})
	}
}

// emailPanelRun submits the email panel as visitor c, as the script does,
// with extra values set.
func emailPanelRun(t *testing.T, c *client, set map[string]string) (reply, *goquery.Document) {
	t.Helper()
	p := c.get(emailLessonPath, nil)
	if p.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", emailLessonPath, p.StatusCode)
	}
	form := parseHTML(t, p.text).Find("section.demo#demo-email-job form.demo-form")
	if form.Length() != 1 {
		t.Fatalf("%s has no form for the email demo", emailLessonPath)
	}
	values := demoFormValues(form)
	for k, v := range set {
		values.Set(k, v)
	}
	r := c.postForm(form.AttrOr("hx-post", ""), values, hdr("HX-Request", "true", "HX-Current-URL", "http://example.com"+emailLessonPath))
	return r, parseHTML(t, r.text)
}

// queuedJob reads the order and job numbers from a background run's
// front end pane.
func queuedJob(t *testing.T, doc *goquery.Document) (order, job string) {
	t.Helper()
	text := strings.Join(strings.Fields(doc.Find(".pane-front .output").Text()), " ")
	m := queuedRE.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("the front end pane says %.500q, want %s", text, queuedRE)
	}
	return m[1], m[2]
}

// mailFields is an email's subject, recipient and time as the mailbox
// shows them.
func mailFields(mail *goquery.Selection) [3]string {
	return [3]string{mail.Find(".mail-subject").Text(), mail.Find(".mail-to").Text(), mail.Find(".mail-time").Text()}
}

// spanNames lists the names of the waterfall's rows.
func spanNames(doc *goquery.Document) []string {
	var names []string
	doc.Find(".pane-back ol.waterfall li.span .span-name").Each(func(_ int, s *goquery.Selection) {
		names = append(names, s.Text())
	})
	return names
}

// pollMailbox reloads the mailbox region as the script does until done
// says so, checking each poll, for at most timeout.
func pollMailbox(t *testing.T, srv *web.Server, c *client, url string, timeout time.Duration, done func(*goquery.Selection) bool) *goquery.Selection {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		r := c.get(url, hdr("HX-Request", "true"))
		if r.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: status %d; body:\n%.1000s", url, r.StatusCode, r.text)
		}
		if got := r.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("GET %s: Cache-Control = %q, want no-store", url, got)
		}
		region := parseHTML(t, r.text).Find("section.mailbox#mailbox")
		if region.Length() != 1 {
			t.Fatalf("GET %s: no mailbox region in:\n%.1000s", url, r.text)
		}
		if !strings.HasSuffix(r.Header.Get("traceresponse"), "-01") {
			t.Errorf("GET %s: traceresponse = %q, want a recorded (sampled) trace", url, r.Header.Get("traceresponse"))
		}
		if names := storedSpanNames(t, srv, c, traceIDOf(t, r)); !slices.Contains(names, "email service: read the inbox") {
			t.Errorf("the poll's trace has spans %v, want the inbox read", names)
		}
		if done(region) {
			return region
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the mailbox still shows:\n%s", timeout, r.text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// storedSpanNames reads a stored trace through the API.
func storedSpanNames(t *testing.T, srv *web.Server, c *client, id string) []string {
	t.Helper()
	r := c.get("/api/v1/traces/"+id, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v1/traces/%s: status %d; body:\n%.500s", id, r.StatusCode, r.text)
	}
	var tr apiTrace
	decodeJSON(t, r, &tr)
	var names []string
	for _, s := range tr.Spans {
		names = append(names, s.Name)
	}
	return names
}

func testEmailDefault(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	r, doc := emailPanelRun(t, c, nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%.2000s", r.StatusCode, r.text)
	}
	order, job := queuedJob(t, doc)
	names := spanNames(doc)
	for _, want := range []string{"handler email-job", "email service: set fault switches", "enqueue job send-confirmation-email"} {
		if !slices.Contains(names, want) {
			t.Errorf("waterfall %v has no %q", names, want)
		}
	}
	if slices.Contains(names, "email service: send") {
		t.Errorf("waterfall %v: the request sent the email itself", names)
	}
	if n := doc.Find(".pane-back li.span.kind-job").Length(); n != 1 {
		t.Errorf("%d job rows in the waterfall, want 1 (the enqueue)", n)
	}
	if n := doc.Find(".pane-front .faults-note").Length(); n != 0 {
		t.Errorf("a working service shows %d fault notes", n)
	}
	url := "/mailbox?job=" + job
	region := doc.Find(".pane-front .output section.mailbox#mailbox")
	attrs := map[string]string{"hx-get": url, "hx-trigger": "load delay:1s", "hx-target": "this", "hx-swap": "outerHTML"}
	for name, want := range attrs {
		if got := region.AttrOr(name, ""); got != want {
			t.Errorf("the mailbox region's %s = %q, want %q", name, got, want)
		}
	}
	if link := region.Find(`a[href="` + url + `"]`); link.Text() != "Check again" || link.AttrOr("hx-get", "") != url {
		t.Errorf("the region's plain link = %q (hx-get %q), want Check again to %s", link.Text(), link.AttrOr("hx-get", ""), url)
	}
	if got := region.Find(".job-state").Text(); !strings.Contains(got, "Job #"+job+": queued.") {
		t.Errorf("job state before the first look = %q", got)
	}

	final := pollMailbox(t, srv, c, url, 10*time.Second, func(m *goquery.Selection) bool {
		return strings.Contains(m.Find(".job-state").Text(), "completed")
	})
	if _, polls := final.Attr("hx-trigger"); polls {
		t.Error("the region still polls after the job completed")
	}
	if got := final.Find("p.job-state.notice-ok").Text(); !strings.Contains(got, "The email was sent on attempt 1 of 5.") {
		t.Errorf("job state = %q", got)
	}
	mail := final.Find("ol.mail-list li.mail.mail-job")
	if mail.Length() != 1 {
		t.Fatalf("%d emails marked as the job's, want 1:\n%s", mail.Length(), final.Text())
	}
	if got := mailFields(mail); got[0] != "Order #"+order+" confirmed" || got[1] != "ada@example.com" || !strings.HasSuffix(got[2], " UTC") {
		t.Errorf("the email shows %q, want subject, recipient and time", got)
	}
	attempt := final.Find("ol.job-attempts li.attempt")
	if attempt.Length() != 1 || !attempt.HasClass("attempt-sent") {
		t.Fatalf("attempts = %d, the first %q; want 1 sent", attempt.Length(), attempt.AttrOr("class", ""))
	}
	traceLink := attempt.Find("a").AttrOr("href", "")
	if !traceIDRE.MatchString(traceLink) {
		t.Fatalf("attempt trace link = %q", traceLink)
	}
	if names := storedSpanNames(t, srv, c, strings.TrimPrefix(traceLink, "/api/v1/traces/")); !slices.Contains(names, "job send-confirmation-email (attempt 1)") || !slices.Contains(names, "email service: send") {
		t.Errorf("the attempt's trace has spans %v, want the attempt and the send", names)
	}
	if !traceIDRE.MatchString(final.Find(".mailbox-foot a").First().AttrOr("href", "")) {
		t.Errorf("the footer names no trace of the poll: %q", final.Find(".mailbox-foot").Text())
	}

	// Without the script, the region's link opens the mailbox as a page.
	page := c.get(url, nil)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("GET %s as a page: status %d", url, page.StatusCode)
	}
	pdoc := parseHTML(t, page.text)
	assertNoInlineCode(t, pdoc)
	if h1 := pdoc.Find("h1").Text(); h1 != "Your mailbox" {
		t.Errorf("page h1 = %q", h1)
	}
	if pdoc.Find("main section.mailbox li.mail-job").Length() != 1 || pdoc.Find(`a[href="`+emailLessonPath+`"]`).Length() != 1 {
		t.Errorf("the mailbox page lacks the email or the way back to the lesson:\n%.2000s", page.text)
	}
}

func testEmailInRequest(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	r, doc := emailPanelRun(t, c, map[string]string{"how": "in the request", "to": "grace@example.org"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("status = %d; body:\n%.2000s", r.StatusCode, r.text)
	}
	ok := strings.Join(strings.Fields(doc.Find(".pane-front .notice-ok").Text()), " ")
	m := regexp.MustCompile(`^Order #(\d+) confirmed\. Confirmation email sent \(msg_\w+\) before the answer\.$`).FindStringSubmatch(ok)
	if m == nil {
		t.Fatalf("notice = %q", ok)
	}
	names := spanNames(doc)
	if !slices.Contains(names, "email service: send") || slices.Contains(names, "enqueue job send-confirmation-email") {
		t.Errorf("waterfall %v, want the send and no job", names)
	}
	region := doc.Find(".pane-front section.mailbox")
	if region.AttrOr("hx-get", "") != "/mailbox" || region.AttrOr("hx-trigger", "") != "load" {
		t.Errorf("the region loads %q on %q, want /mailbox once on load", region.AttrOr("hx-get", ""), region.AttrOr("hx-trigger", ""))
	}
	final := pollMailbox(t, srv, c, "/mailbox", time.Second, func(*goquery.Selection) bool { return true })
	if _, polls := final.Attr("hx-trigger"); polls || final.Find(".job-state").Length() != 0 {
		t.Error("without a job the region shows a job or polls")
	}
	if got := mailFields(final.Find("ol.mail-list li.mail").First()); got[0] != "Order #"+m[1]+" confirmed" || got[1] != "grace@example.org" || got[2] == "" {
		t.Errorf("newest email = %q", got)
	}
}

func testEmailFailing(t *testing.T, srv *web.Server) {
	c := newClient(t, srv)
	r, doc := emailPanelRun(t, c, map[string]string{"how": "in the request", "service": "failing (every call errors)"})
	if r.StatusCode != http.StatusOK {
		t.Fatalf("a failed email must still be a 200 result; status = %d; body:\n%.2000s", r.StatusCode, r.text)
	}
	outcome := strings.Join(strings.Fields(doc.Find(".pane-front .outcome").Text()), " ")
	if !regexp.MustCompile(`^Order #\d+ confirmed; the email could not be sent\. The email service is having trouble\. .*Idempotency-Key`).MatchString(outcome) {
		t.Errorf("outcome notice = %q", outcome)
	}
	if note := doc.Find(".pane-front .faults-note").Text(); !strings.Contains(note, "email service — 100% errors") {
		t.Errorf("faults note = %q", note)
	}

	_, doc = emailPanelRun(t, c, map[string]string{"service": "failing (every call errors)"})
	_, job := queuedJob(t, doc)
	url := "/mailbox?job=" + job
	failed := pollMailbox(t, srv, c, url, 10*time.Second, func(m *goquery.Selection) bool {
		return m.Find("li.attempt-failed .attempt-error").Length() > 0
	})
	if _, polls := failed.Attr("hx-trigger"); !polls {
		t.Error("the region stopped polling while the job retries")
	}
	if got := failed.Find("li.attempt-failed .attempt-error").First().Text(); !strings.Contains(got, "email") {
		t.Errorf("attempt error = %q, want the failed call", got)
	}
	if got := strings.Join(strings.Fields(failed.Find(".job-state").Text()), " "); !regexp.MustCompile(`^Job #` + job + `: (available|retryable|running)\. `).MatchString(got) {
		t.Errorf("job state while retrying = %q", got)
	}
	if got := failed.Find(".outcome").Text(); !strings.Contains(got, "Your mailbox could not be read") {
		t.Errorf("a failing service's inbox shows %q, want that it could not be read", got)
	}

	// Back to working: the queue keeps trying, and once the circuit
	// breaker lets a call through, the new order's email arrives.
	_, doc = emailPanelRun(t, c, map[string]string{"service": "working"})
	order, job := queuedJob(t, doc)
	delivered := pollMailbox(t, srv, c, "/mailbox?job="+job, 40*time.Second, func(m *goquery.Selection) bool {
		return strings.Contains(m.Find(".job-state").Text(), "completed") && m.Find("li.mail-job").Length() == 1
	})
	if got := delivered.Find("li.mail-job .mail-subject").Text(); got != "Order #"+order+" confirmed" {
		t.Errorf("delivered email = %q", got)
	}
}

func testEmailOtherVisitorsJob(t *testing.T, srv *web.Server) {
	owner := newClient(t, srv)
	_, doc := emailPanelRun(t, owner, map[string]string{"to": "secret-customer@example.com"})
	_, job := queuedJob(t, doc)
	other := primed(t, srv)
	for _, h := range []http.Header{hdr("HX-Request", "true"), nil} {
		r := other.get("/mailbox?job="+job, h)
		if r.StatusCode != http.StatusNotFound {
			t.Fatalf("another visitor's job: status %d, want 404; body:\n%.1000s", r.StatusCode, r.text)
		}
		if !strings.Contains(r.text, "There is no job #"+job+" in your mailbox") {
			t.Errorf("refusal = %.500q", r.text)
		}
		for _, leak := range []string{"secret-customer", "Order #", "send-confirmation-email", "attempt"} {
			if strings.Contains(r.text, leak) {
				t.Errorf("the refusal shows %q of the other visitor's job", leak)
			}
		}
	}
	r := other.get("/mailbox?job=987654321", hdr("HX-Request", "true"))
	if r.StatusCode != http.StatusNotFound || !strings.Contains(r.text, "There is no job #987654321 in your mailbox") {
		t.Errorf("a missing job: status %d, body %.300q", r.StatusCode, r.text)
	}
}

func testEmailBadJobID(t *testing.T, srv *web.Server) {
	c := primed(t, srv)
	for _, id := range []string{"abc", "0", "-3", "1.5", "99999999999999999999", "%2B7"} {
		r := c.get("/mailbox?job="+id, hdr("HX-Request", "true"))
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("job=%s: status %d, want 400", id, r.StatusCode)
			continue
		}
		if msg := parseHTML(t, r.text).Find(".notice-error").Text(); !strings.Contains(msg, "job must be a job number, such as /mailbox?job=12") {
			t.Errorf("job=%s: message %q", id, msg)
		}
	}
}

func testEmailBadRecipient(t *testing.T, srv *web.Server) {
	tests := []struct{ to, want string }{
		{to: "not-an-address", want: `to: "not-an-address" is not an email address; write one like name@example.com`},
		{to: "a b@example.com", want: `is not an email address`},
		{to: "ada@localhost", want: `is not an email address`},
		{to: strings.Repeat("a", 90) + "@example.com", want: "to: at most 100 characters"},
	}
	for _, tt := range tests {
		r, doc := emailPanelRun(t, newClient(t, srv), map[string]string{"to": tt.to})
		if r.StatusCode != http.StatusBadRequest {
			t.Errorf("to=%q: status %d, want 400", tt.to, r.StatusCode)
			continue
		}
		if msg := doc.Find(".pane-front .notice-error").Text(); !strings.Contains(msg, tt.want) {
			t.Errorf("to=%q: message %q, want %q in it", tt.to, msg, tt.want)
		}
		if doc.Find("section.mailbox").Length() != 0 {
			t.Errorf("to=%q: a refused run shows a mailbox", tt.to)
		}
	}
	r := newClient(t, srv).postJSON("/api/v1/demos/email-job", `{"to":"nobody"}`, nil)
	if r.StatusCode != http.StatusBadRequest || !strings.Contains(r.text, `is not an email address`) {
		t.Errorf("JSON twin with a bad address: status %d, body %.300q", r.StatusCode, r.text)
	}
}

func testEmailJSON(t *testing.T, srv *web.Server) {
	type message struct {
		ID      string `json:"id"`
		Status  string `json:"status"`
		From    string `json:"from"`
		To      string `json:"to"`
		Subject string `json:"subject"`
		Created int64  `json:"created"`
	}
	type output struct {
		Order     int64    `json:"order"`
		How       string   `json:"how"`
		Service   string   `json:"service"`
		To        string   `json:"to"`
		ElapsedMS float64  `json:"elapsed_ms"`
		JobID     int64    `json:"job_id"`
		Message   *message `json:"message"`
		Error     string   `json:"error"`
		Mailbox   string   `json:"mailbox"`
	}
	decode := func(t *testing.T, raw json.RawMessage) output {
		t.Helper()
		var o output
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			t.Fatalf("decoding %s: %v", raw, err)
		}
		return o
	}
	c := newClient(t, srv)
	_, got := demoAPIRunAs(t, c, "email-job", `{}`)
	o := decode(t, got.Output)
	if o.Order <= 0 || o.How != "as a background job" || o.Service != "working" || o.To != "ada@example.com" ||
		o.ElapsedMS < 0 || o.JobID <= 0 || o.Message != nil || o.Error != "" || o.Mailbox != "/mailbox?job="+strconv.FormatInt(o.JobID, 10) {
		t.Errorf("background output = %+v", o)
	}
	byKind := assertSpans(t, got.Trace)
	if len(byKind["job"]) != 1 || byKind["job"][0].Name != "enqueue job send-confirmation-email" {
		t.Errorf("job spans = %+v, want the enqueue", byKind["job"])
	}

	_, got = demoAPIRunAs(t, c, "email-job", `{"how":"in the request","to":"linus@example.net"}`)
	o = decode(t, got.Output)
	if o.How != "in the request" || o.JobID != 0 || o.Mailbox != "/mailbox" || o.Error != "" || o.Message == nil {
		t.Fatalf("in-request output = %+v", o)
	}
	if m := o.Message; !strings.HasPrefix(m.ID, "msg_") || m.Status != "delivered" || m.From != "no-reply@engineroom.example" ||
		m.To != "linus@example.net" || m.Subject != "Order #"+strconv.FormatInt(o.Order, 10)+" confirmed" || m.Created <= 0 {
		t.Errorf("message = %+v", m)
	}
	if names := spanNamesOf(got.Trace); !slices.Contains(names, "email service: send") {
		t.Errorf("in-request spans %v, want the send", names)
	}
}

func spanNamesOf(tr apiTrace) []string {
	names := make([]string, len(tr.Spans))
	for i, s := range tr.Spans {
		names[i] = s.Name
	}
	return names
}
