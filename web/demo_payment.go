package web

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/playground/upstream"
	"github.com/engineroom/engineroom/web/view"
)

// testCards are the gateway's test cards as the payment panels offer them.
var testCards = []string{
	"4242 4242 4242 4242 (succeeds)",
	"4000 0000 0000 0002 (declined)",
	"4000 0000 0000 9995 (insufficient funds)",
	"4000 0000 0000 0119 (gateway asks to retry)",
	"4242 4242 4242 4241 (mistyped)",
}

// cardNumber is the number part of a testCards option.
func cardNumber(option string) string {
	n, _, _ := strings.Cut(option, "(")
	return strings.TrimSpace(n)
}

// demoTakePayment charges a card for an order, with or without an
// Idempotency-Key, through the client that times out and retries.
func (s *Server) demoTakePayment() *demo {
	return &demo{
		ID: "take-payment", Title: "Pay for an order", Lesson: "taking-a-payment",
		Description: "The shop authorizes the card, then captures the money, calling the payment gateway over HTTP.",
		Button:      "Pay",
		Params: []param{
			{Name: "card", Label: "Card", Kind: "select", Options: testCards, Default: testCards[0]},
			{Name: "amount", Label: "Amount (€)", Kind: "number", Default: "25", Min: 1, Max: 1000, Hint: "1 to 1,000."},
			{Name: "order", Label: "Order number", Kind: "text", Default: "1001", MaxLen: 20, Hint: "The same order paid twice should be charged once."},
			{Name: "key", Label: "Send an Idempotency-Key (order-<number>)", Kind: "checkbox", Default: "on"},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			order := strings.TrimSpace(in.Params["order"])
			if order == "" || strings.ContainsFunc(order, func(r rune) bool {
				return !(r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-')
			}) {
				return demoOutput{}, &paramError{"order: 1 to 20 letters, digits or dashes"}
			}
			req := integrations.ChargeRequest{Card: cardNumber(in.Params["card"]), AmountCents: int64(in.Int("amount")) * 100,
				Currency: "EUR", Description: "Order " + order}
			if in.Params["key"] == "on" {
				req.Key = "order-" + order
			}
			o := view.PaymentOutput{Order: order, Key: req.Key, Faults: s.activeFaults(in.Visitor)}
			start := time.Now()
			charged, err := s.third.app.Charge(ctx, in.Visitor, req)
			o.Elapsed = fmt.Sprintf("%.0f ms", float64(time.Since(start).Microseconds())/1000)
			switch {
			case err == nil:
				o.Paid = paymentRow(charged.Payment)
				o.Replayed = charged.Replayed
			case isCallFailure(err):
				out := outcomeView(integrations.PaymentsService, err, req.Key != "")
				o.Failure = &out
			default:
				return demoOutput{}, err
			}
			o.Ledger = s.ledger(ctx, in.Visitor)
			data := paymentJSON{Replayed: charged.Replayed, Outcome: o.Failure, ElapsedMS: time.Since(start).Milliseconds()}
			if err == nil {
				data.Payment = &charged.Payment
			}
			if o.Ledger != nil {
				data.Payments = &o.Ledger.Total
			}
			return demoOutput{Data: data, View: view.PaymentResult(o)}, nil
		},
	}
}

// ledger lists the visitor's newest payments at the gateway; nil when the
// gateway cannot say.
func (s *Server) ledger(ctx context.Context, visitor string) *view.Ledger {
	list, err := s.third.app.Payments(ctx, visitor, 5)
	if err != nil {
		return nil
	}
	l := &view.Ledger{Total: list.Total}
	for _, p := range list.Payments {
		l.Rows = append(l.Rows, paymentRow(p))
	}
	return l
}

func paymentRow(p upstream.Payment) view.PaymentRow {
	return view.PaymentRow{ID: p.ID, Amount: fmt.Sprintf("€%d.%02d", p.AmountCents/100, p.AmountCents%100),
		Status: p.Status, Description: p.Description, Card: "•••• " + p.CardLast4}
}

// paymentJSON is the JSON twin's answer of the payment panel.
type paymentJSON struct {
	Payment   *upstream.Payment `json:"payment"`
	Replayed  bool              `json:"replayed"`
	Outcome   *view.Outcome     `json:"outcome"`
	ElapsedMS int64             `json:"elapsed_ms"`
	// Payments counts the visitor's payments at the gateway.
	Payments *int `json:"payments_at_gateway"`
}

// demoFaultSwitches switches the visitor's faults at one service.
func (s *Server) demoFaultSwitches() *demo {
	return &demo{
		ID: "fault-switches", Title: "Fault switches", Lesson: "taking-a-payment",
		Description: "Make a service slow, flaky or broken — for you only. Every panel that calls it says so while a switch is on.",
		Button:      "Switch",
		Params: []param{
			{Name: "service", Label: "Service", Kind: "select", Options: serviceOptions, Default: integrations.PaymentsService},
			{Name: "latency_ms", Label: "Added latency (ms)", Kind: "number", Default: "0", Min: 0, Max: upstream.MaxLatencyMS, Hint: "0 to 5,000."},
			{Name: "jitter_ms", Label: "Jitter, up to (ms)", Kind: "number", Default: "0", Min: 0, Max: upstream.MaxJitterMS, Hint: "0 to 2,000, random on top."},
			{Name: "error_rate", Label: "Errors (% of calls)", Kind: "number", Default: "0", Min: 0, Max: 100, Hint: "0 to 100."},
			{Name: "hang", Label: "Hang: never answer", Kind: "checkbox", Default: "off"},
			{Name: "malformed", Label: "Malformed: answer with broken JSON", Kind: "checkbox", Default: "off"},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			f := integrations.Faults{LatencyMS: in.Int("latency_ms"), JitterMS: in.Int("jitter_ms"),
				ErrorRate: float64(in.Int("error_rate")) / 100, Hang: in.Params["hang"] == "on", Malformed: in.Params["malformed"] == "on"}
			got, err := s.third.app.SetFaults(ctx, in.Visitor, in.Params["service"], f)
			if err != nil {
				return demoOutput{}, err
			}
			o := view.FaultsOutput{Service: integrations.ServiceTitle(in.Params["service"]), Now: integrations.Describe(got), Active: s.activeFaults(in.Visitor)}
			return demoOutput{Data: got, View: view.FaultsResult(o)}, nil
		},
	}
}

// demoCircuitBreaker sends payments to a gateway the visitor can break,
// one after another, and shows the breaker open and fail fast.
func (s *Server) demoCircuitBreaker() *demo {
	const (
		working = "working"
		failing = "failing (every call errors)"
		hanging = "hanging (never answers)"
		flaky   = "flaky (half the calls error)"
	)
	return &demo{
		ID: "circuit-breaker", Title: "A gateway goes down", Lesson: "circuit-breakers",
		Description: "Customers keep paying while the payment gateway fails. Watch the circuit breaker stop the calls — and let one through later.",
		Button:      "Send the payments",
		Params: []param{
			{Name: "gateway", Label: "Payment gateway", Kind: "select", Options: []string{failing, hanging, flaky, working}, Default: failing},
			{Name: "payments", Label: "Payments, one after another", Kind: "number", Default: "5", Min: 1, Max: 8, Hint: "1 to 8."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var f integrations.Faults
			switch in.Params["gateway"] {
			case failing:
				f.ErrorRate = 1
			case hanging:
				f.Hang = true
			case flaky:
				f.ErrorRate = 0.5
			}
			if _, err := s.third.app.SetFaults(ctx, in.Visitor, integrations.PaymentsService, f); err != nil {
				return demoOutput{}, err
			}
			// Short deadlines keep the run within the request's own.
			policy := outbound.Policy{Deadline: 1500 * time.Millisecond, AttemptTimeout: 400 * time.Millisecond, MaxAttempts: 2,
				BaseDelay: 50 * time.Millisecond, MaxDelay: 200 * time.Millisecond}
			o := view.BreakerOutput{Before: s.breakerView(integrations.PaymentsService, in.Visitor)}
			for i := range in.Int("payments") {
				start := time.Now()
				_, err := s.third.app.Charge(ctx, in.Visitor, integrations.ChargeRequest{Card: upstream.CardSuccess, AmountCents: 1500,
					Description: fmt.Sprintf("Breaker demo payment %d", i+1), Key: fmt.Sprintf("breaker-%d-%d", time.Now().UnixNano(), i), Policy: policy})
				row := view.BreakerRow{N: i + 1, Elapsed: fmt.Sprintf("%.0f ms", float64(time.Since(start).Microseconds())/1000),
					Mode: s.third.app.Breaker(integrations.PaymentsService, in.Visitor).Mode.String()}
				switch {
				case err == nil:
					row.Result = "paid"
				case isCallFailure(err):
					out := outcomeView(integrations.PaymentsService, err, true)
					row.Result = out.Title
					o.Last = &out
				default:
					return demoOutput{}, err
				}
				o.Rows = append(o.Rows, row)
			}
			o.After = s.breakerView(integrations.PaymentsService, in.Visitor)
			o.Faults = s.activeFaults(in.Visitor)
			return demoOutput{Data: o, View: view.BreakerResult(o)}, nil
		},
	}
}
