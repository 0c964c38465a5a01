package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
)

// Message is an email as the email service shows it.
type Message = upstream.Message

// ConfirmationJob is the kind of job that sends a confirmation email.
const ConfirmationJob = "send-confirmation-email"

// mailPolicy gives the email service two seconds and two attempts: a job
// that fails is tried again later by the queue, with backoff of its own.
var mailPolicy = outbound.Policy{Deadline: 2 * time.Second, AttemptTimeout: time.Second, MaxAttempts: 2}

// Email is a message to send.
type Email struct {
	To      string `json:"to"`
	Subject string `json:"subject"`
	Text    string `json:"text"`
}

// From is the address the demo applications send from.
const From = "no-reply@engineroom.example"

// SendEmail sends one message from the visitor's account. key, when set,
// is its Idempotency-Key: sending again with the same key delivers once.
func (a *App) SendEmail(ctx context.Context, visitor string, e Email, key string) (Message, error) {
	var m Message
	_, err := a.call(ctx, visitor, request{
		service: EmailService, name: "email service: send", method: http.MethodPost, path: "/v1/messages",
		body: map[string]string{"from": From, "to": e.To, "subject": e.Subject, "text": e.Text},
		key:  key, into: &m, policy: mailPolicy,
	})
	return m, err
}

// Inbox lists the newest messages in the visitor's mailbox at the email
// service (every message the visitor's account sent lands there).
func (a *App) Inbox(ctx context.Context, visitor string, limit int) ([]Message, error) {
	var list upstream.MessageList
	_, err := a.call(ctx, visitor, request{
		service: EmailService, breaker: EmailService + " inbox", name: "email service: read the inbox",
		method: http.MethodGet, path: "/v1/messages?limit=" + strconv.Itoa(limit), into: &list, policy: controlPolicy,
	})
	return list.Messages, err
}

// confirmation is a confirmation job's arguments.
type confirmation struct {
	Visitor string `json:"visitor"`
	Email
}

// HandleJobs registers the app's job handlers with q (before q starts).
func (a *App) HandleJobs(q *jobs.Queue) {
	q.Handle(ConfirmationJob, func(ctx context.Context, j jobs.Job) error {
		var c confirmation
		if err := j.Decode(&c); err != nil {
			return jobs.Permanent(fmt.Errorf("integrations: reading a confirmation job: %w", err))
		}
		// The job's id is the key: however often the job runs, the email
		// is delivered once.
		_, err := a.SendEmail(ctx, c.Visitor, c.Email, "job-"+strconv.FormatInt(j.ID, 10))
		var oe *outbound.Error
		switch {
		case errors.As(err, &oe) && oe.Kind == outbound.KindRejected:
			return jobs.Permanent(err)
		case errors.As(err, &oe) && oe.Kind == outbound.KindBreakerOpen:
			// The breaker did not let the call go: no attempt was made,
			// so none is spent. Come back when it lets a probe through.
			return jobs.Later(max(oe.RetryAfter, time.Second))
		}
		return err
	})
}

// QueueConfirmation enqueues the confirmation email for the visitor and
// returns the job's id: the email goes out after the response, and again
// later if the email service fails.
func (a *App) QueueConfirmation(ctx context.Context, q *jobs.Queue, visitor string, e Email) (int64, error) {
	return q.Enqueue(ctx, ConfirmationJob, confirmation{Visitor: visitor, Email: e}, jobs.EnqueueOptions{})
}

// Confirmation reads a confirmation job the visitor queued, with the
// email it sends. A job that is missing, of another kind or another
// visitor's is the same jobs.ErrNotFound, so nobody learns of other
// visitors' jobs.
func (a *App) Confirmation(ctx context.Context, q *jobs.Queue, visitor string, id int64) (jobs.JobInfo, Email, error) {
	ji, err := q.Get(ctx, id)
	if err != nil {
		return jobs.JobInfo{}, Email{}, err
	}
	var c confirmation
	if ji.Kind != ConfirmationJob || json.Unmarshal(ji.Args, &c) != nil || c.Visitor != visitor || visitor == "" {
		return jobs.JobInfo{}, Email{}, jobs.ErrNotFound
	}
	return ji, c.Email, nil
}
