package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/upstream"
)

// sendWebhooks makes the delivery the visitor chose — forged, replayed or
// unsigned — and POSTs it to this server's webhook endpoint over HTTP,
// as whoever would send it.
func (s *Server) sendWebhooks(ctx context.Context, visitor string, run *webhookRun) error {
	secret := s.third.services.Gateway.WebhookSecret()
	at := time.Now()
	if run.Delivery == hookReplayed {
		at = at.Add(-hookAge)
	}
	ev := s.hookEvent(visitor, at)
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	sig, times := upstream.Sign(secret, body, at), 1
	switch run.Delivery {
	case hookAltered:
		ev.Data.AmountCents, ev.Data.CapturedCents = hookAlteredAmount, hookAlteredAmount
		run.changed = [2]int64{hookAmount, hookAlteredAmount}
		if body, err = json.Marshal(ev); err != nil {
			return err
		}
	case hookGuessed:
		sig = upstream.Sign([]byte(hookGuess), body, at)
	case hookTwice:
		times = 2
	case hookUnsigned:
		sig = ""
	}
	for i := range times {
		name := "POST /webhooks/payments"
		if times > 1 {
			name += fmt.Sprintf(" (%d of %d)", i+1, times)
		}
		p, err := s.postWebhook(ctx, name, body, sig)
		if err != nil {
			return err
		}
		run.Sent = append(run.Sent, p)
	}
	last := run.Sent[len(run.Sent)-1]
	switch {
	case last.Status == http.StatusOK && last.Answer.Duplicate:
		run.Verdict = verdictDuplicate
	case last.Status == http.StatusOK:
		run.Verdict = verdictAccepted
	default:
		run.Verdict, run.Reason = verdictRefused, last.Answer.Reason
	}
	return nil
}

// hookEvent is a payment.captured event about a payment of the visitor's,
// as the gateway would send it at t.
func (s *Server) hookEvent(visitor string, t time.Time) upstream.Event {
	return upstream.Event{ID: hookID("evt"), Type: "payment.captured", Created: t.Unix(), Data: upstream.Payment{
		ID: hookID("pay"), Status: upstream.StatusCaptured, AmountCents: hookAmount, Currency: "EUR", Description: "Webhook demo",
		CardLast4: "4242", CapturedCents: hookAmount, Created: t.Unix(), Refunds: []upstream.Refund{},
		Metadata: map[string]string{"customer": s.third.app.CustomerRef(visitor)},
	}}
}

// postWebhook sends body to the webhook listener over loopback HTTP in a
// client span, with the trace context in traceparent so the receiving
// request's spans land in the same trace.
func (s *Server) postWebhook(ctx context.Context, name string, body []byte, sig string) (webhookPost, error) {
	url := s.third.webhookURL()
	ctx, span := s.tracer.Start(ctx, name,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("http.request.method", http.MethodPost),
			attribute.String("url.full", url),
			attribute.String("server.address", "this server's webhook listener, over loopback"),
			attribute.String("http.request.header.gateway-signature", sig),
			attribute.String("http.request.body", string(body)),
		))
	defer span.End()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return webhookPost{}, fmt.Errorf("web: sending a webhook: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", hookUserAgent)
	if sig != "" {
		req.Header.Set(upstream.SignatureHeader, sig)
	}
	propagation.TraceContext{}.Inject(ctx, propagation.HeaderCarrier(req.Header))
	p := webhookPost{Method: http.MethodPost, URL: url, Body: string(body), Headers: []hookHeader{
		{Name: "Host", Value: req.URL.Host},
		{Name: "Content-Type", Value: req.Header.Get("Content-Type")},
		{Name: "Content-Length", Value: strconv.Itoa(len(body))},
		{Name: "User-Agent", Value: hookUserAgent},
	}}
	if sig != "" {
		p.Headers = append(p.Headers, hookHeader{Name: upstream.SignatureHeader, Value: sig})
	}
	p.Headers = append(p.Headers, hookHeader{Name: "Traceparent", Value: req.Header.Get("Traceparent")})

	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return p, fmt.Errorf("web: sending a webhook: %w", err)
	}
	defer res.Body.Close()
	p.answerBody, err = io.ReadAll(io.LimitReader(res.Body, maxWebhook))
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		return p, fmt.Errorf("web: reading a webhook's answer: %w", err)
	}
	p.Status, p.answerHeader = res.StatusCode, res.Header
	_ = json.Unmarshal(p.answerBody, &p.Answer)
	span.SetAttributes(attribute.Int("http.response.status_code", p.Status), attribute.String("http.response.body", string(p.answerBody)))
	if p.Status >= 400 {
		span.SetStatus(codes.Error, http.StatusText(p.Status))
	}
	return p, nil
}

// hookID is a fresh random id with a prefix, like the gateway's.
func hookID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}
