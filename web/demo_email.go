package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/upstream"
	"github.com/engineroom/engineroom/web/view"
)

// How the email demo sends the email.
const (
	emailInRequest = "in the request"
	emailAsJob     = "as a background job"
)

// emailChoices are the email service's fault switches as the panels
// offer them: all off while it works.
func emailChoices() faultChoices {
	return faultChoices{
		{"working", integrations.Faults{}},
		{"slow (800 ms per call)", integrations.Faults{LatencyMS: 800}},
		{"failing (every call errors)", integrations.Faults{ErrorRate: 1}},
	}
}

// emailRun is the JSON twin's output.
type emailRun struct {
	Order     int64                 `json:"order"`
	How       string                `json:"how"`
	Service   string                `json:"service"`
	To        string                `json:"to"`
	ElapsedMS float64               `json:"elapsed_ms"`
	JobID     int64                 `json:"job_id,omitempty"`
	Message   *integrations.Message `json:"message,omitempty"`
	Error     string                `json:"error,omitempty"`
	// Mailbox is the page that shows the mailbox and the job.
	Mailbox string `json:"mailbox"`
}

// demoEmailJob confirms an order and sends its confirmation email, either
// inside the request or as a background job, with the visitor's email
// service working, slow or failing.
func (s *Server) demoEmailJob() *demo {
	var orders atomic.Int64
	orders.Store(5000)
	return &demo{
		ID: "email-job", Title: "Confirm an order, send the email", Lesson: "email-and-background-jobs",
		Description: "The shop confirms an order and emails the customer: while the customer waits, or from a background job after the answer.",
		Button:      "Confirm the order",
		Params: []param{
			{Name: "how", Label: "Send the email", Kind: "select", Options: []string{emailInRequest, emailAsJob}, Default: emailAsJob},
			{Name: "service", Label: "Email service", Kind: "select", Options: emailChoices().labels(), Default: emailChoices()[0].Label,
				Hint: "Sets your email service's fault switches first. They affect only you."},
			{Name: "to", Label: "Customer's email address", Kind: "text", Default: "ada@example.com", MaxLen: 100},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			to := strings.TrimSpace(in.Params["to"])
			if !upstream.LooksLikeEmail(to) {
				return demoOutput{}, &paramError{fmt.Sprintf("to: %q is not an email address; write one like name@example.com", to)}
			}
			if _, err := s.third.app.SetFaults(ctx, in.Visitor, integrations.EmailService, emailChoices().of(in.Params["service"])); err != nil {
				return demoOutput{}, err
			}
			order := orders.Add(1)
			n := strconv.FormatInt(order, 10)
			email := integrations.Email{To: to, Subject: "Order #" + n + " confirmed",
				Text: "Thank you for your order #" + n + ". We will write again when it ships.\n\nThe Engine Room shop"}
			data := emailRun{Order: order, How: in.Params["how"], Service: in.Params["service"], To: to, Mailbox: "/mailbox"}
			o := view.EmailOutput{Order: n, InRequest: in.Params["how"] == emailInRequest,
				Mailbox: view.Mailbox{URL: "/mailbox", Trigger: "load", Pending: true}}
			start := time.Now()
			if o.InRequest {
				msg, err := s.third.app.SendEmail(ctx, in.Visitor, email, "order-"+n+"-confirmation")
				switch {
				case err == nil:
					o.MessageID = msg.ID
					data.Message = &msg
				case isCallFailure(err):
					f := outcomeView(integrations.EmailService, err, true)
					f.Title, f.Message = "Order #"+n+" confirmed; the email could not be sent", f.Title+". "+f.Message
					o.Failure = &f
					data.Error = err.Error()
				default:
					return demoOutput{}, err
				}
			} else {
				q, err := s.third.queue(ctx)
				if err != nil {
					return demoOutput{}, err
				}
				id, err := s.third.app.QueueConfirmation(ctx, q, in.Visitor, email)
				if err != nil {
					return demoOutput{}, err
				}
				data.JobID = id
				o.JobID = strconv.FormatInt(id, 10)
				data.Mailbox = "/mailbox?job=" + o.JobID
				o.Mailbox = view.Mailbox{URL: data.Mailbox, Trigger: mailboxPoll, Pending: true,
					Job: &view.JobStatus{ID: o.JobID, Kind: integrations.ConfirmationJob, State: "queued",
						Summary: "It runs after this answer, when a worker picks it up."}}
			}
			elapsed := time.Since(start)
			data.ElapsedMS = float64(elapsed.Microseconds()) / 1000
			o.Elapsed = formatDuration(elapsed)
			o.Faults = s.activeFaults(in.Visitor)
			return demoOutput{Data: data, View: view.EmailResult(o)}, nil
		},
	}
}
