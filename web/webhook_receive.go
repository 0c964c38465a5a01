package web

import (
	"errors"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/integrations"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/playground/upstream"
)

// maxWebhook is the largest webhook body read.
const maxWebhook = 64 << 10

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
		return c.JSON(http.StatusRequestEntityTooLarge, map[string]any{"received": false, "error": "the body is larger than 64 KiB"})
	}
	sig := c.Request().Header.Get(upstream.SignatureHeader)
	span.SetAttributes(attribute.String("webhook.signature", sig))
	if len(body) <= maxBodyAttr {
		span.SetAttributes(attribute.String("http.request.body", string(body)))
	}
	d, err := s.third.app.Webhooks().Receive(body, sig)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		status := http.StatusBadRequest
		if !isWebhookRefusal(err) {
			status = http.StatusInternalServerError
		}
		return c.JSON(status, map[string]any{"received": false, "error": err.Error()})
	}
	span.SetAttributes(attribute.String("webhook.event_id", d.EventID), attribute.String("webhook.type", d.Type), attribute.Bool("webhook.duplicate", d.Duplicate))
	return c.JSON(http.StatusOK, map[string]any{"received": true, "duplicate": d.Duplicate, "event": d.EventID})
}

func isWebhookRefusal(err error) bool {
	for _, e := range []error{integrations.ErrWebhookSignature, integrations.ErrWebhookStale, integrations.ErrWebhookMissing, integrations.ErrWebhookBody} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
