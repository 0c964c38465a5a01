package upstream

import (
	"net/http"
	"strings"
)

// Test cards with a fixed outcome. Any other number passing the Luhn
// check is authorized.
const (
	CardSuccess           = "4242424242424242"
	CardDeclined          = "4000000000000002"
	CardInsufficientFunds = "4000000000009995"
	CardProcessingError   = "4000000000000119"
)

// Limits of a payment.
const (
	MinAmountCents = 1
	MaxAmountCents = 1_000_000
	maxDescription = 500
)

// Payment statuses.
const (
	StatusAuthorized = "authorized"
	StatusCaptured   = "captured"
	StatusRefunded   = "refunded" // captured and refunded in full
)

// Payment is a payment as the API shows it.
type Payment struct {
	ID            string   `json:"id"`
	Status        string   `json:"status"`
	AmountCents   int64    `json:"amount_cents"`
	Currency      string   `json:"currency"`
	Description   string   `json:"description"`
	CardLast4     string   `json:"card_last4"`
	CapturedCents int64    `json:"captured_cents"`
	RefundedCents int64    `json:"refunded_cents"`
	Created       int64    `json:"created"`
	Refunds       []Refund `json:"refunds"`
	// Metadata is the caller's own labels (an order number, a customer
	// reference), returned with the payment and in its webhooks.
	Metadata map[string]string `json:"metadata"`
}

// Refund is one (possibly partial) refund of a captured payment.
type Refund struct {
	ID          string `json:"id"`
	AmountCents int64  `json:"amount_cents"`
	Created     int64  `json:"created"`
}

// createRequest is the body of POST /v1/payments.
type createRequest struct {
	AmountCents *int64            `json:"amount_cents"`
	Currency    string            `json:"currency"`
	CardNumber  string            `json:"card_number"`
	Description string            `json:"description"`
	Metadata    map[string]string `json:"metadata"`
}

// Limits of a payment's metadata.
const (
	MaxMetadataKeys  = 10
	maxMetadataKey   = 40
	maxMetadataValue = 200
)

// checkMetadata refuses metadata beyond its limits, naming the key.
func checkMetadata(m map[string]string) *response {
	if len(m) > MaxMetadataKeys {
		e := errorResponse(http.StatusBadRequest, "invalid_metadata", "metadata takes at most 10 keys", "metadata")
		return &e
	}
	for k, v := range m {
		if k == "" || len(k) > maxMetadataKey || len(v) > maxMetadataValue {
			e := errorResponse(http.StatusBadRequest, "invalid_metadata",
				"metadata keys are 1 to 40 bytes and values at most 200 bytes", "metadata."+k)
			return &e
		}
	}
	return nil
}

// createPayment authorizes a payment.
func (g *Gateway) createPayment(_ *http.Request, a *account[*ledger], body []byte) response {
	var req createRequest
	if e := decode(body, &req, false); e != nil {
		return *e
	}
	switch {
	case req.AmountCents == nil:
		return errorResponse(http.StatusBadRequest, "missing_field", "amount_cents is required", "amount_cents")
	case *req.AmountCents < MinAmountCents || *req.AmountCents > MaxAmountCents:
		return errorResponse(http.StatusBadRequest, "invalid_amount",
			"amount_cents must be between 1 and 1000000", "amount_cents")
	case req.Currency != "EUR" && req.Currency != "USD" && req.Currency != "GBP":
		return errorResponse(http.StatusBadRequest, "invalid_currency",
			"currency must be one of EUR, USD, GBP", "currency")
	case len(req.Description) > maxDescription:
		return errorResponse(http.StatusBadRequest, "invalid_description",
			"description must be at most 500 bytes", "description")
	}
	if e := checkMetadata(req.Metadata); e != nil {
		return *e
	}
	if req.Metadata == nil {
		req.Metadata = map[string]string{}
	}
	card := strings.NewReplacer(" ", "", "-", "").Replace(req.CardNumber)
	switch card {
	case CardDeclined:
		return errorResponse(http.StatusPaymentRequired, "card_declined", "the card was declined", "card_number")
	case CardInsufficientFunds:
		return errorResponse(http.StatusPaymentRequired, "insufficient_funds",
			"the card has insufficient funds", "card_number")
	case CardProcessingError:
		e := errorResponse(http.StatusServiceUnavailable, "processing_error",
			"an error occurred while processing the card; retry", "")
		e.retryAfter = "1"
		return e
	}
	if !luhn(card) {
		return errorResponse(http.StatusBadRequest, "invalid_card_number",
			"card_number must be 12 to 19 digits passing the Luhn check", "card_number")
	}
	p := &Payment{
		ID:          randomID("pay", a.rng),
		Status:      StatusAuthorized,
		AmountCents: *req.AmountCents,
		Currency:    req.Currency,
		Description: req.Description,
		CardLast4:   card[len(card)-4:],
		Created:     unix(g.svc.now()),
		Refunds:     []Refund{},
		Metadata:    req.Metadata,
	}
	a.state.add(p)
	return jsonResponse(http.StatusCreated, p)
}

// PaymentList is the answer of GET /v1/payments.
type PaymentList struct {
	Payments []Payment `json:"payments"`
	Total    int       `json:"total"`
}

// listPayments shows the account's newest payments (limit 1..50,
// default 20).
func (g *Gateway) listPayments(r *http.Request, a *account[*ledger], _ []byte) response {
	limit, e := listLimit(r, 20, 50)
	if e != nil {
		return *e
	}
	out := PaymentList{Payments: []Payment{}, Total: len(a.state.order)}
	for i := len(a.state.order) - 1; i >= 0 && len(out.Payments) < limit; i-- {
		out.Payments = append(out.Payments, *a.state.payments[a.state.order[i]])
	}
	return jsonResponse(http.StatusOK, out)
}

// getPayment shows one payment of the account.
func (g *Gateway) getPayment(r *http.Request, a *account[*ledger], _ []byte) response {
	p, ok := a.state.payments[r.PathValue("id")]
	if !ok {
		return notFound("payment")
	}
	return jsonResponse(http.StatusOK, p)
}

// capturePayment captures an authorized payment in full.
func (g *Gateway) capturePayment(r *http.Request, a *account[*ledger], body []byte) response {
	var req struct{}
	if e := decode(body, &req, true); e != nil {
		return *e
	}
	p, ok := a.state.payments[r.PathValue("id")]
	if !ok {
		return notFound("payment")
	}
	if p.Status != StatusAuthorized {
		return errorResponse(http.StatusConflict, "invalid_state",
			"only an authorized payment can be captured; this one is "+p.Status, "")
	}
	p.Status = StatusCaptured
	p.CapturedCents = p.AmountCents
	g.notify(a, "payment.captured", p)
	return jsonResponse(http.StatusOK, p)
}

// refundPayment refunds part or (without amount_cents) the rest of a
// captured payment.
func (g *Gateway) refundPayment(r *http.Request, a *account[*ledger], body []byte) response {
	var req struct {
		AmountCents *int64 `json:"amount_cents"`
	}
	if e := decode(body, &req, true); e != nil {
		return *e
	}
	p, ok := a.state.payments[r.PathValue("id")]
	if !ok {
		return notFound("payment")
	}
	if p.Status == StatusAuthorized {
		return errorResponse(http.StatusConflict, "invalid_state", "only a captured payment can be refunded", "")
	}
	left := p.CapturedCents - p.RefundedCents
	amount := left
	if req.AmountCents != nil {
		amount = *req.AmountCents
	}
	switch {
	case left == 0:
		return errorResponse(http.StatusConflict, "invalid_state", "the payment is already refunded in full", "")
	case amount < 1 || amount > left:
		return errorResponse(http.StatusBadRequest, "invalid_amount",
			"amount_cents must be between 1 and the captured amount not yet refunded", "amount_cents")
	}
	ref := Refund{ID: randomID("re", a.rng), AmountCents: amount, Created: unix(g.svc.now())}
	p.Refunds = append(p.Refunds, ref)
	p.RefundedCents += amount
	if p.RefundedCents == p.CapturedCents {
		p.Status = StatusRefunded
	}
	g.notify(a, "charge.refunded", p)
	return jsonResponse(http.StatusCreated, ref)
}

// luhn reports whether s is 12 to 19 digits with a valid check digit.
func luhn(s string) bool {
	if len(s) < 12 || len(s) > 19 {
		return false
	}
	sum := 0
	for i := range len(s) {
		c := s[len(s)-1-i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
