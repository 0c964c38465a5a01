package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/upstream"
	"github.com/engineroom/engineroom/web/view"
)

// webhookView shapes a run of the webhook demo for the front end pane.
func (s *Server) webhookView(run webhookRun) view.WebhookOutput {
	var o view.WebhookOutput
	if run.Delivery == hookReal {
		o = realWebhookView(run)
	} else {
		o = s.sentWebhookView(run)
	}
	for _, d := range run.Deliveries {
		row := view.WebhookDelivery{Event: d.EventID, Type: d.Type, Amount: hookMoney(d.AmountCents, d.Currency),
			Received: d.ReceivedAt.Format("15:04:05")}
		if d.Duplicate {
			row.Note = "duplicate: not acted on"
		}
		o.Deliveries = append(o.Deliveries, row)
	}
	return o
}

// realWebhookView is the gateway's own delivery of a payment the demo
// took.
func realWebhookView(run webhookRun) view.WebhookOutput {
	amount := hookMoney(hookAmount, "EUR")
	if run.Verdict == verdictNoPayment {
		out := outcomeView(integrations.PaymentsService, run.failure, true)
		return view.WebhookOutput{Headline: "No payment", HeadlineNote: "so the gateway has nothing to tell us",
			Story: "The shop tried to charge " + amount + " to the test card 4242 4242 4242 4242, and the call failed.", Failure: &out}
	}
	p := run.Payment
	o := view.WebhookOutput{Story: fmt.Sprintf("The shop charged %s to the test card 4242 4242 4242 4242: payment %s, authorized, then captured. "+
		"The gateway then POSTed a payment.captured event to /webhooks/payments on its own connection, signed with the secret it shares with us. "+
		"The demo only watched for it to be filed.", amount, p.ID)}
	if run.Arrived == nil {
		o.Headline, o.HeadlineNote = "No webhook", "within "+hookWait.String()+" of the capture"
		o.Level, o.Verdict = "warn", "Nothing arrived yet."
		o.Why = fmt.Sprintf("Payment %s was captured, but the gateway's delivery was not filed within %s. Providers deliver when they can and retry; an app must never wait for a webhook to answer its customer.", p.ID, hookWait)
		return o
	}
	d := run.Arrived
	when := fmt.Sprintf("%.0f ms after the capture's answer", run.WaitedMS)
	if run.polls <= 1 {
		when = "before the capture's answer"
	}
	o.Headline, o.HeadlineNote = "Accepted", "payment.captured, here "+when
	o.Level, o.Verdict = "ok", "Accepted."
	o.Why = "The signature matched, the timestamp was within 5 minutes of now and the event id was new, so the event was filed under your deliveries below — where a shop would mark the order paid."
	if d.Duplicate {
		o.Headline, o.Verdict = "Ignored", "Duplicate ignored."
		o.Why = "The event id had been received before: acknowledged with 200 and not acted on again."
	}
	o.Checks = hookChecks("", d.Duplicate, d.ReceivedAt.Sub(d.SignedAt))
	o.Arrived = []view.WebhookFact{
		{Label: "Event", Value: d.EventID + " · " + d.Type},
		{Label: "About", Value: fmt.Sprintf("payment %s · %s · %s", d.PaymentID, hookMoney(d.AmountCents, d.Currency), p.Status)},
		{Label: "Signed", Value: d.SignedAt.Format("15:04:05") + " UTC, the t= in Gateway-Signature"},
		{Label: "Received", Value: d.ReceivedAt.Format("15:04:05.000") + " UTC"},
	}
	o.ArrivedNote = "The gateway's request has a trace of its own: it came on the gateway's schedule, not inside this one. The trace here shows the payment and the wait."
	return o
}

// sentWebhookView is the deliveries the demo sent itself.
func (s *Server) sentWebhookView(run webhookRun) view.WebhookOutput {
	amount := hookMoney(hookAmount, "EUR")
	var o view.WebhookOutput
	titles := []string{"POST · as a forger"}
	switch run.Delivery {
	case hookAltered:
		o.Story = fmt.Sprintf("The demo built a payment.captured event for %s, signed it with the gateway's real secret, then changed the amount to %s in the body — what someone between the gateway and us would do.",
			amount, hookMoney(hookAlteredAmount, "EUR"))
	case hookGuessed:
		o.Story = fmt.Sprintf("The demo built a payment.captured event for %s and signed it the right way, but with a secret it guessed (%s) instead of the gateway's.", amount, hookGuess)
	case hookReplayed:
		o.Story = fmt.Sprintf("The demo took a genuine payment.captured event for %s, signed with the gateway's secret %s ago, and sent it now — as someone who copied a delivery would replay it.", amount, hookAgo(hookAge))
		titles = []string{"POST · a replay"}
	case hookTwice:
		o.Story = fmt.Sprintf("The demo sent one genuine, correctly signed payment.captured event for %s twice — as a gateway does when our first answer never reached it, so it retries.", amount)
		titles = []string{"Delivery 1 · as the gateway", "Delivery 2 · the same event, again"}
	case hookUnsigned:
		o.Story = fmt.Sprintf("The demo POSTed a payment.captured event for %s with no %s header — as anyone who finds the URL can.", amount, upstream.SignatureHeader)
		titles = []string{"POST · as anyone"}
	}
	for i, p := range run.Sent {
		o.Posts = append(o.Posts, s.postView(titles[min(i, len(titles)-1)], p, run.changed))
	}
	last := run.Sent[len(run.Sent)-1]
	age := time.Duration(0)
	if at, ok := signedAt(last.headerValue(upstream.SignatureHeader)); ok {
		age = time.Since(at)
	}
	o.Checks = hookChecks(run.Reason, last.Answer.Duplicate, age)
	o.Level = "ok"
	status := fmt.Sprintf("%d · ", last.Status)
	switch run.Verdict {
	case verdictAccepted:
		o.Headline, o.HeadlineNote, o.Verdict = "Accepted", status+"acted on", "Accepted."
		o.Why = "The signature matched, the timestamp was recent and the event id was new."
	case verdictDuplicate:
		o.Headline, o.HeadlineNote, o.Verdict = "Ignored", status+"the second delivery: a duplicate", "Duplicate ignored."
		o.Why = fmt.Sprintf("Both copies were genuine. The first was acted on; the second carried event %s again, so we answered 200 — the gateway stops retrying — and did not act twice.", last.Answer.Event)
	default:
		o.Headline = "Refused"
		o.HeadlineNote = status + refusalShort(run.Reason)
		o.Verdict, o.Why = refusalText(run.Reason, run.Delivery)
		o.Why += " Nothing was filed."
	}
	return o
}

// refusalShort names a refusal in a few words.
func refusalShort(reason string) string {
	switch reason {
	case hookMismatch:
		return "signature mismatch"
	case hookStale:
		return "stale timestamp"
	case hookMissing:
		return "no signature header"
	case hookMalformed:
		return "malformed signature header"
	case hookNotEvent:
		return "not an event"
	}
	return "refused"
}

// refusalText is the verdict and its explanation for a refusal.
func refusalText(reason, delivery string) (string, string) {
	switch reason {
	case hookMismatch:
		why := "We computed the HMAC-SHA256 of the timestamp and the body we received, with our secret. "
		if delivery == hookAltered {
			return "Refused: signature mismatch.", why + "The body is not the one that was signed, so the result is not the v1= in Gateway-Signature: one changed byte changes the whole HMAC."
		}
		return "Refused: signature mismatch.", why + "The signature was made with another secret, so ours gives a different HMAC. Without the secret nobody can sign."
	case hookStale:
		return "Refused: stale timestamp.", fmt.Sprintf("The signature is genuine, but the timestamp it covers is %s old and we accept ±%s: a copied delivery cannot be replayed later.", hookAgo(hookAge), hookAgo(integrations.Tolerance))
	case hookMissing:
		return "Refused: missing signature header.", "Without " + upstream.SignatureHeader + " a body proves nothing about who sent it."
	case hookMalformed:
		return "Refused: malformed signature header.", "The header names no timestamp or no v1= signature."
	case hookNotEvent:
		return "Refused: not an event.", "The signature matched, but the body is not an event we understand."
	}
	return "Refused.", "The endpoint did not accept it."
}

// hookChecks is the receiver's three checks as a table, given why it
// refused ("" when it did not) and how old the signature was.
func hookChecks(reason string, duplicate bool, age time.Duration) []view.WebhookCheck {
	states := webhookChecks(reason, duplicate)
	rows := []view.WebhookCheck{
		{Name: "Signature: HMAC-SHA256 of t.body with our secret", Result: "matches"},
		{Name: "Timestamp: within ±" + hookAgo(integrations.Tolerance) + " of now", Result: "signed " + hookAgo(age) + " ago"},
		{Name: "Event id: seen before?", Result: states[2]},
	}
	switch reason {
	case hookMissing:
		rows[0].Result = "no " + upstream.SignatureHeader + " header: nothing to check"
	case hookMalformed:
		rows[0].Result = "the header is malformed"
	case hookMismatch:
		rows[0].Result = "does not match"
	case hookStale:
		rows[1].Result = "signed " + hookAgo(age) + " ago: outside the window"
	}
	for i := range rows {
		switch states[i] {
		case checkFailed:
			rows[i].State = "failed"
		case checkSkipped:
			rows[i].State, rows[i].Result = "skipped", "not checked: an earlier check failed"
		default:
			rows[i].State = "passed"
		}
	}
	return rows
}

// postView is one request the demo sent and its answer, as shown.
func (s *Server) postView(title string, p webhookPost, changed [2]int64) view.WebhookPost {
	v := view.WebhookPost{Title: title, Status: fmt.Sprintf("%d %s", p.Status, http.StatusText(p.Status)), StatusClass: fmt.Sprintf("status-%dxx", p.Status/100)}
	v.Request.StartLine = "POST /webhooks/payments HTTP/1.1"
	for _, h := range p.Headers {
		v.Request.Headers = append(v.Request.Headers, view.Header{Name: h.Name, Value: h.Value})
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, []byte(p.Body), "", "  ") != nil {
		pretty.Reset()
		pretty.WriteString(p.Body)
	}
	v.Body = s.code.HTML("json", pretty.String())
	v.BodyNote = fmt.Sprintf("The body: %d bytes sent on one line, shown indented. The signature covers the exact bytes.", len(p.Body))
	if changed[0] != changed[1] {
		v.BodyNote += fmt.Sprintf(" amount_cents and captured_cents were changed from %d to %d after signing.", changed[0], changed[1])
	}
	v.BodyNote += " Traceparent only ties the receiving request into this demo's trace; the receiver ignores it."
	v.Response.StartLine = fmt.Sprintf("HTTP/1.1 %d %s", p.Status, http.StatusText(p.Status))
	for _, name := range []string{"Content-Type", "Content-Length"} {
		if val := p.answerHeader.Get(name); val != "" {
			v.Response.Headers = append(v.Response.Headers, view.Header{Name: name, Value: val})
		}
	}
	v.Response.Body = string(bytes.TrimSpace(p.answerBody))
	return v
}

// headerValue is the value of a header the demo sent, or "".
func (p webhookPost) headerValue(name string) string {
	for _, h := range p.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return ""
}

// hookMoney shows an amount in cents: €12.50.
func hookMoney(cents int64, currency string) string {
	sym := currency + " "
	if currency == "EUR" {
		sym = "€"
	}
	return fmt.Sprintf("%s%s.%02d", sym, hookThousands(cents/100), cents%100)
}

func hookThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// hookAgo shows a duration in whole seconds or minutes: "4 s", "10 min".
func hookAgo(d time.Duration) string {
	d = d.Truncate(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d%time.Minute == 0:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	default:
		return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
	}
}
