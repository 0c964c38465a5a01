package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/outbound"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// mailboxPoll is how the mailbox region reloads itself while its job is
// not finished.
const mailboxPoll = "load delay:1s"

// mailboxMessages is how many messages the mailbox shows.
const mailboxMessages = 5

// mailboxGrace is how long after its job finished the region still looks
// again when the inbox could not be read (the service may be back).
const mailboxGrace = 30 * time.Second

// showMailbox is GET /mailbox[?job=N]: the visitor's mailbox at the email
// service and, with job, the state of the confirmation job that visitor
// queued. A partial update gets the region, which keeps reloading itself
// until the job is finished; a browser without the script gets a page.
func (s *Server) showMailbox(c echo.Context) error {
	visitor := visitorID(c)
	ctx, span := s.tracer.Start(c.Request().Context(), "handler mailbox", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	var id int64
	if raw := c.QueryParam("job"); raw != "" {
		var err error
		id, err = strconv.ParseInt(raw, 10, 64)
		if err != nil || id <= 0 || strings.TrimLeft(raw, "0123456789") != "" {
			msg := "job must be a job number, such as /mailbox?job=12"
			if utf8.ValidString(raw) && len(raw) <= 20 {
				msg += fmt.Sprintf("; %q is not one", raw)
			}
			return echo.NewHTTPError(http.StatusBadRequest, msg+".")
		}
		span.SetAttributes(attribute.Int64("engineroom.job.id", id))
	}
	m, err := s.mailbox(ctx, visitor, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, view.MailboxRegion(m), func() templ.Component {
		return view.MailboxPage(s.pageMeta(csrfToken(c), "Your mailbox"), m, "/lessons/email-and-background-jobs")
	})
}

// mailbox reads the visitor's mailbox at the email service and, when
// id is not 0, the state of that confirmation job, which must be one the
// visitor queued.
func (s *Server) mailbox(ctx context.Context, visitor string, id int64) (view.Mailbox, error) {
	m := view.Mailbox{URL: "/mailbox"}
	var job *jobs.JobInfo
	var email integrations.Email
	if id != 0 {
		ji, e, err := s.visitorJob(ctx, visitor, id)
		email = e
		if err != nil {
			return m, err
		}
		job = &ji
		m.URL = "/mailbox?job=" + strconv.FormatInt(id, 10)
	}

	start := time.Now()
	msgs, err := s.third.app.Inbox(ctx, visitor, mailboxMessages)
	m.InboxTime = formatDuration(time.Since(start))
	switch {
	case err == nil:
		subject := email.Subject
		for _, msg := range msgs {
			m.Messages = append(m.Messages, view.MailRow{Subject: msg.Subject, To: msg.To,
				Time: mailClock(time.Unix(msg.Created, 0)), Job: subject != "" && msg.Subject == subject})
		}
	case isCallFailure(err):
		o := outcomeView(integrations.EmailService, err, true)
		o.Title, o.Message, o.RetryAfterMS = "Your mailbox could not be read", o.Title+".", 0
		m.InboxError = &o
	default:
		return m, err
	}
	if b := s.breakerView(integrations.EmailService, visitor); b.Mode != outbound.Closed.String() {
		m.Breaker = &b
	}
	now := time.Now()
	if job != nil {
		js := jobStatusView(*job, now)
		m.Job = &js
		if !job.State.Finished() || (m.InboxError != nil && now.Sub(job.FinishedAt) < mailboxGrace) {
			m.Trigger = mailboxPoll
		}
	}
	m.CheckedAt = mailClock(now)
	m.TraceID = trace.SpanContextFromContext(ctx).TraceID().String()
	return m, nil
}

// visitorJob reads a confirmation job the visitor queued; any other is
// the same 404.
func (s *Server) visitorJob(ctx context.Context, visitor string, id int64) (jobs.JobInfo, integrations.Email, error) {
	q, err := s.third.queue(ctx)
	if err != nil {
		return jobs.JobInfo{}, integrations.Email{}, err
	}
	ji, email, err := s.third.app.Confirmation(ctx, q, visitor, id)
	if errors.Is(err, jobs.ErrNotFound) {
		return jobs.JobInfo{}, email, echo.NewHTTPError(http.StatusNotFound,
			fmt.Sprintf("There is no job #%d in your mailbox: a job shows only to the visitor whose order queued it, and finished jobs are cleaned up after a day.", id))
	}
	return ji, email, err
}

// jobStatusView describes a job's state and attempts for the mailbox.
func jobStatusView(ji jobs.JobInfo, now time.Time) view.JobStatus {
	js := view.JobStatus{ID: strconv.FormatInt(ji.ID, 10), Kind: ji.Kind, State: string(ji.State),
		MaxAttempts: ji.MaxAttempts, EnqueueTrace: ji.EnqueueTraceID}
	last := len(ji.Attempts) - 1
	for i, a := range ji.Attempts {
		row := view.JobAttempt{N: a.N, TraceID: a.TraceID, Result: "cut short"}
		switch {
		case a.Error != "":
			row.Result, row.Error, row.At = "failed", shortenRunes(a.Error, 240), mailClock(a.FailedAt)
		case i == last && ji.State == jobs.StateRunning:
			row.Result = "running"
		case i == last && ji.State == jobs.StateCompleted:
			row.Result, row.At = "sent", mailClock(ji.FinishedAt)
		}
		js.Attempts = append(js.Attempts, row)
	}
	next := "due now: the queue picks it up within a few seconds"
	if d := ji.NextRunAt.Sub(now); d > 0 {
		next = fmt.Sprintf("in %d s", int((d+time.Second-1)/time.Second))
	}
	failed := last >= 0 && ji.Attempts[last].Error != ""
	switch ji.State {
	case jobs.StateAvailable, jobs.StateRetryable:
		if !failed {
			js.Summary = "Waiting for a worker; it starts within about half a second."
			break
		}
		js.Level = "warn"
		js.Summary = fmt.Sprintf("Attempt %d of %d failed. Next try %s.", len(ji.Attempts), ji.MaxAttempts, next)
	case jobs.StateScheduled:
		js.Summary = "Scheduled: it runs " + next + "."
	case jobs.StateRunning:
		js.Summary = fmt.Sprintf("Attempt %d is calling the email service now.", len(ji.Attempts))
	case jobs.StateCompleted:
		js.Level = "ok"
		js.Summary = fmt.Sprintf("The email was sent on attempt %d of %d.", len(ji.Attempts), ji.MaxAttempts)
	case jobs.StateDiscarded:
		js.Level = "error"
		js.Summary = fmt.Sprintf("Gave up after %d attempts: the email was not sent. A person has to look at it now.", len(ji.Attempts))
	case jobs.StateCancelled:
		js.Level = "error"
		js.Summary = "Stopped without retrying: the email service refused the message itself, so trying again would not help."
	}
	return js
}

// mailClock is a time of day as the mailbox shows it.
func mailClock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("15:04:05") + " UTC"
}

// shortenRunes cuts s to at most n runes, marking the cut.
func shortenRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
