package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/integrations"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/playground/upstream"
)

// maxWebhook is the largest webhook body read.
const maxWebhook = 64 << 10

// Why a webhook was refused, as the answer's "reason" names it.
const (
	hookTooLarge  = "too_large"
	hookMissing   = "missing_signature"
	hookMalformed = "malformed_signature"
	hookMismatch  = "signature_mismatch"
	hookStale     = "stale_timestamp"
	hookNotEvent  = "not_an_event"
)

// What a check came to, in a webhook's trace and in the demo.
const (
	checkPassed  = "passed"
	checkFailed  = "failed"
	checkSkipped = "not checked"
)

// webhookAnswer is the body of the answer to a webhook.
type webhookAnswer struct {
	Received  bool   `json:"received"`
	Duplicate bool   `json:"duplicate,omitempty"`
	Event     string `json:"event,omitempty"`
	Reason    string `json:"reason,omitempty"`
	Error     string `json:"error,omitempty"`
}

// receivePaymentWebhook takes one of the payment gateway's webhooks: it
// answers 200 when the signature, its timestamp and the event check out
// (also for a duplicate, which is acknowledged and ignored, so the
// gateway stops sending it) and 400 naming the reason otherwise.
func (s *Server) receivePaymentWebhook(c echo.Context) error {
	_, span := s.tracer.Start(c.Request().Context(), "verify webhook", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	body, err := io.ReadAll(io.LimitReader(c.Request().Body, maxWebhook+1))
	if err != nil {
		return err
	}
	if len(body) > maxWebhook {
		span.SetStatus(codes.Error, "body too large")
		return c.JSON(http.StatusRequestEntityTooLarge, webhookAnswer{Reason: hookTooLarge, Error: "the body is larger than 64 KiB"})
	}
	sig := c.Request().Header.Get(upstream.SignatureHeader)
	span.SetAttributes(attribute.String("webhook.signature", sig), attribute.Int("http.request.body.size", len(body)))
	if len(body) <= maxBodyAttr {
		span.SetAttributes(attribute.String("http.request.body", string(body)))
	}
	d, err := s.third.app.Webhooks().Receive(body, sig)
	reason := webhookReason(err, sig)
	checks := webhookChecks(reason, d.Duplicate)
	if checks[1] != checkSkipped {
		checks[1] += signedAgo(sig, time.Now())
	}
	span.SetAttributes(
		attribute.String("webhook.check.signature", checks[0]),
		attribute.String("webhook.check.timestamp", checks[1]),
		attribute.String("webhook.check.seen_before", checks[2]),
	)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		status := http.StatusBadRequest
		if reason == "" {
			status = http.StatusInternalServerError
		}
		span.SetAttributes(attribute.String("webhook.refused", reason))
		return c.JSON(status, webhookAnswer{Reason: reason, Error: err.Error()})
	}
	span.SetAttributes(attribute.String("webhook.event_id", d.EventID), attribute.String("webhook.type", d.Type), attribute.Bool("webhook.duplicate", d.Duplicate))
	return c.JSON(http.StatusOK, webhookAnswer{Received: true, Duplicate: d.Duplicate, Event: d.EventID})
}

// webhookReason names why Receive refused a delivery; "" when it did not,
// or when it failed for a reason of its own.
func webhookReason(err error, sig string) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, integrations.ErrWebhookMissing) && strings.TrimSpace(sig) == "":
		return hookMissing
	case errors.Is(err, integrations.ErrWebhookMissing):
		return hookMalformed
	case errors.Is(err, integrations.ErrWebhookSignature):
		return hookMismatch
	case errors.Is(err, integrations.ErrWebhookStale):
		return hookStale
	case errors.Is(err, integrations.ErrWebhookBody):
		return hookNotEvent
	}
	return ""
}

// webhookChecks says what each of the receiver's three checks came to —
// the signature, the timestamp window, and whether the event was seen
// before — given why a delivery was refused ("" when accepted). The
// receiver runs them in that order and stops at the first that fails.
func webhookChecks(reason string, duplicate bool) [3]string {
	switch reason {
	case "":
		seen := "no: acted on"
		if duplicate {
			seen = "yes: acknowledged, not acted on"
		}
		return [3]string{checkPassed, checkPassed, seen}
	case hookMissing, hookMalformed, hookMismatch, hookTooLarge:
		return [3]string{checkFailed, checkSkipped, checkSkipped}
	case hookStale:
		return [3]string{checkPassed, checkFailed, checkSkipped}
	default:
		return [3]string{checkPassed, checkPassed, checkSkipped}
	}
}

// signedAgo says how long before now a signature header says it was
// signed, as a note for the timestamp check; "" when it names no time.
func signedAgo(sig string, now time.Time) string {
	at, ok := signedAt(sig)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (signed %s ago; the window is ±%s)", hookAgo(now.Sub(at)), hookAgo(integrations.Tolerance))
}

// signedAt reads the t= timestamp of a signature header.
func signedAt(sig string) (time.Time, bool) {
	for part := range strings.SplitSeq(sig, ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(part), "="); ok && k == "t" {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return time.Unix(n, 0), true
			}
		}
	}
	return time.Time{}, false
}

// continueTrace serves requests on the webhook listener in the trace
// their traceparent header names, so a delivery the server sends itself
// lands in the trace of the demo that sent it. Only the loopback listener
// is wrapped: requests from outside always start a trace of their own.
func continueTrace(next http.Handler) http.Handler {
	prop := propagation.TraceContext{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))))
	})
}
