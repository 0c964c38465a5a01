package web

import (
	"context"
	"net/http"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/upstream"
	"github.com/engineroom/engineroom/web/view"
)

// The deliveries the webhook demo can make.
const (
	hookReal     = "real: capture a payment, the gateway calls us"
	hookAltered  = "forged: amount changed after signing"
	hookGuessed  = "forged: signed with a guessed secret"
	hookReplayed = "replayed: a delivery signed 10 minutes ago"
	hookTwice    = "replayed: the same delivery sent twice"
	hookUnsigned = "no signature header"
)

var hookDeliveries = []string{hookReal, hookAltered, hookGuessed, hookReplayed, hookTwice, hookUnsigned}

const (
	// hookAmount is the payment the demo takes or describes, in cents.
	hookAmount = 1250
	// hookAlteredAmount is what the forged delivery changes it to.
	hookAlteredAmount = 125000
	// hookGuess is the forger's guess at the gateway's secret.
	hookGuess = "whsec_password123"
	// hookAge is how long ago the replayed delivery was signed.
	hookAge = 10 * time.Minute
	// hookWait bounds the wait for the gateway's own delivery.
	hookWait = 3 * time.Second
	// hookUserAgent is what the demo's requests call themselves.
	hookUserAgent = "engineroom-webhook-demo/1"
)

// The demo's verdicts, as the JSON twin names them.
const (
	verdictAccepted  = "accepted"
	verdictDuplicate = "duplicate"
	verdictRefused   = "refused"
	verdictNotYet    = "not_arrived"
	verdictNoPayment = "payment_failed"
)

// webhookRun is what the webhook demo did, for the JSON twin.
type webhookRun struct {
	Delivery string `json:"delivery"`
	// Verdict is accepted, duplicate, refused, not_arrived or
	// payment_failed; Reason, when refused, is the receiver's reason.
	Verdict string `json:"verdict"`
	Reason  string `json:"reason,omitempty"`
	// Payment, WaitedMS and Arrived are the real delivery's: the payment
	// taken, how long the demo waited, and the delivery as filed.
	Payment  *upstream.Payment `json:"payment,omitempty"`
	WaitedMS float64           `json:"waited_ms,omitempty"`
	Arrived  *webhookDelivery  `json:"arrived,omitempty"`
	Error    string            `json:"error,omitempty"`
	// Sent are the requests the demo sent itself, in order.
	Sent []webhookPost `json:"sent,omitempty"`
	// Deliveries are those accepted for the visitor, newest first.
	Deliveries []webhookDelivery `json:"deliveries"`

	polls   int
	failure error
	changed [2]int64 // the amount before and after the forger's edit
}

// webhookPost is one request the demo sent to the webhook endpoint.
type webhookPost struct {
	Method  string        `json:"method"`
	URL     string        `json:"url"`
	Headers []hookHeader  `json:"headers"`
	Body    string        `json:"body"`
	Status  int           `json:"status"`
	Answer  webhookAnswer `json:"answer"`

	answerHeader http.Header
	answerBody   []byte
}

// hookHeader is one header line of a request the demo sent.
type hookHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// webhookDelivery is one accepted delivery.
type webhookDelivery struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	PaymentID   string    `json:"payment_id"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Duplicate   bool      `json:"duplicate"`
	SignedAt    time.Time `json:"signed_at"`
	ReceivedAt  time.Time `json:"received_at"`
}

func deliveryOf(d integrations.Delivery) webhookDelivery {
	return webhookDelivery{EventID: d.EventID, Type: d.Type, PaymentID: d.PaymentID, AmountCents: d.Amount, Currency: d.Currency,
		Duplicate: d.Duplicate, SignedAt: d.Signed.UTC(), ReceivedAt: d.ReceivedAt.UTC()}
}

func (s *Server) demoWebhook() *demo {
	return &demo{
		ID: "webhook-delivery", Title: "Receive a webhook", Lesson: "webhooks-and-signatures",
		Description: "The payment gateway tells this server about a payment by POSTing a signed event to /webhooks/payments. Let it — or send that endpoint what an attacker would.",
		Button:      "Deliver",
		Wide:        true,
		Params: []param{
			{Name: "delivery", Label: "Delivery", Kind: "select", Options: hookDeliveries, Default: hookReal},
		},
		Run: s.runWebhook,
	}
}

func (s *Server) runWebhook(ctx context.Context, in demoInput) (demoOutput, error) {
	run := webhookRun{Delivery: in.Params["delivery"]}
	var err error
	if run.Delivery == hookReal {
		err = s.realWebhook(ctx, in.Visitor, &run)
	} else {
		err = s.sendWebhooks(ctx, in.Visitor, &run)
	}
	if err != nil {
		return demoOutput{}, err
	}
	run.Deliveries = []webhookDelivery{}
	for _, d := range s.third.app.Deliveries(in.Visitor) {
		run.Deliveries = append(run.Deliveries, deliveryOf(d))
	}
	o := s.webhookView(run)
	if run.Delivery == hookReal {
		o.Faults = s.activeFaults(in.Visitor)
	}
	return demoOutput{Data: run, View: view.Webhook(o)}, nil
}

// realWebhook takes a payment for the visitor and waits for the gateway
// to deliver its payment.captured event.
func (s *Server) realWebhook(ctx context.Context, visitor string, run *webhookRun) error {
	charged, err := s.third.app.Charge(ctx, visitor, integrations.ChargeRequest{Card: upstream.CardSuccess, AmountCents: hookAmount,
		Currency: "EUR", Description: "Webhook demo", Key: hookID("webhook-demo")})
	if err != nil {
		if !isCallFailure(err) {
			return err
		}
		run.Verdict, run.Error, run.failure = verdictNoPayment, err.Error(), err
		return nil
	}
	p := charged.Payment
	run.Payment = &p
	start := time.Now()
	d, ok := s.awaitWebhook(ctx, visitor, p.ID, run)
	run.WaitedMS = float64(time.Since(start).Microseconds()) / 1000
	if !ok {
		run.Verdict = verdictNotYet
		return nil
	}
	run.Verdict = verdictAccepted
	if d.Duplicate {
		run.Verdict = verdictDuplicate
	}
	a := deliveryOf(d)
	run.Arrived = &a
	return nil
}

// awaitWebhook polls the visitor's deliveries until the one about the
// payment arrives, for at most hookWait.
func (s *Server) awaitWebhook(ctx context.Context, visitor, paymentID string, run *webhookRun) (integrations.Delivery, bool) {
	_, span := s.tracer.Start(ctx, "wait for the gateway's webhook",
		trace.WithAttributes(attribute.String("payment.id", paymentID), attribute.String("webhook.wait_limit", hookWait.String())))
	defer span.End()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	limit := time.NewTimer(hookWait)
	defer limit.Stop()
	for {
		run.polls++
		for _, d := range s.third.app.Deliveries(visitor) {
			if d.PaymentID == paymentID && d.Type == "payment.captured" {
				span.SetAttributes(attribute.String("webhook.event_id", d.EventID), attribute.Int("webhook.polls", run.polls))
				return d, true
			}
		}
		select {
		case <-ctx.Done():
			span.SetStatus(codes.Error, ctx.Err().Error())
			return integrations.Delivery{}, false
		case <-limit.C:
			span.SetStatus(codes.Error, "no webhook within "+hookWait.String())
			return integrations.Delivery{}, false
		case <-tick.C:
		}
	}
}
