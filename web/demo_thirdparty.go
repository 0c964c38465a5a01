package web

import (
	"errors"
	"slices"
	"time"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/outbound"
	"github.com/engineroom/engineroom/web/view"
)

// activeFaults lists the visitor's fault switches that are on, in the
// order of integrations.Services.
func (s *Server) activeFaults(visitor string) []view.ActiveFault {
	on := s.third.app.ActiveFaults(visitor)
	var out []view.ActiveFault
	for _, svc := range integrations.Services {
		if f, ok := on[svc]; ok {
			out = append(out, view.ActiveFault{Service: integrations.ServiceTitle(svc), Description: integrations.Describe(f)})
		}
	}
	return out
}

// outcomeView explains a failed call to a service to the customer.
func outcomeView(service string, err error, idempotent bool) view.Outcome {
	return outcomeOf(integrations.Explain(service, err, idempotent))
}

// outcomeOf is what a story's failed step tells the customer, for the
// front end pane.
func outcomeOf(o integrations.Outcome) view.Outcome {
	return view.Outcome{Title: o.Title, Message: o.Message, Safe: o.Safe, RetryAfterMS: o.RetryAfter.Milliseconds()}
}

// isCallFailure reports whether err is a failed call to a service, which
// a demo shows as its result rather than as an error.
func isCallFailure(err error) bool {
	var oe *outbound.Error
	return errors.As(err, &oe)
}

// breakerView is the visitor's circuit breaker for a service as shown.
func (s *Server) breakerView(service, visitor string) view.Breaker {
	st := s.third.app.Breaker(service, visitor)
	b := view.Breaker{Service: integrations.ServiceTitle(service), Mode: st.Mode.String(),
		Failures: st.ConsecutiveFailures, Threshold: st.Threshold}
	if !st.RetryAt.IsZero() {
		b.RetryAtMS = max(0, time.Until(st.RetryAt).Milliseconds())
	}
	return b
}

// serviceOptions are the services as a select offers them.
var serviceOptions = slices.Clone(integrations.Services)

// faultChoice is one setting of a service's fault switches, named as a
// panel's select offers it.
type faultChoice struct {
	Label  string
	Faults integrations.Faults
}

// faultChoices are the settings a panel offers for one service; the
// first is the default.
type faultChoices []faultChoice

func (fc faultChoices) labels() []string {
	out := make([]string, len(fc))
	for i, c := range fc {
		out[i] = c.Label
	}
	return out
}

// of returns the switches of the choice labelled label (the panel's
// parameters are validated against labels first).
func (fc faultChoices) of(label string) integrations.Faults {
	for _, c := range fc {
		if c.Label == label {
			return c.Faults
		}
	}
	return integrations.Faults{}
}
