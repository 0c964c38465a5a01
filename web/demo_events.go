package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/events"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/web/view"
)

const eventsLesson = "queues-and-events"

// eventsIdle is how long the events lab's queue keeps polling after its
// last use.
const eventsIdle = 5 * time.Minute

// eventsPoll is how the deliveries region reloads itself while they run.
const eventsPoll = "load delay:400ms"

// eventsLab returns the events lesson's queue and consumers, started if
// need be (see lazyLab).
func (s *Server) eventsLab(c echo.Context) (*events.Lab, error) {
	return s.events.get(c, eventsIdle, func() (*events.Lab, error) {
		opts := events.Options{
			Tracer:       s.traces.Tracer("github.com/engineroom/engineroom/playground/events"),
			PollInterval: 100 * time.Millisecond,
		}
		if s.cfg.StateDB != "" {
			// The state database's folder is one the server may write to,
			// even where the rest of the filesystem is read-only.
			opts.TempIn = filepath.Dir(s.cfg.StateDB)
		}
		lab, err := events.Start(context.WithoutCancel(c.Request().Context()), opts)
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		return lab, nil
	}, func(l *events.Lab) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = l.Close(ctx)
	})
}

// The panels' fault choices.
const (
	faultFlaky  = "fails twice, then works"
	faultAlways = "always fails"
	faultCrash  = "crashes after its work, before the ack"
	actPublish  = "confirm a booking (publish the event)"
	actReplay   = "retry my dead letters by hand"
)

var eventFaults = map[string]events.Fault{faultFlaky: events.Flaky, faultAlways: events.AlwaysFails, faultCrash: events.CrashBeforeAck}

// eventBooking makes the booking a run confirms: London to New York,
// 3,451 miles.
func eventBooking(n int64) events.Booking {
	return events.Booking{Ref: "ER-" + strconv.FormatInt(n, 10), Email: "ada@example.com", Miles: 3451}
}

// demoEventFanout confirms a booking and fans its event out to email,
// miles and analytics.
func (s *Server) demoEventFanout() *demo {
	var bookings atomic.Int64
	bookings.Store(7000)
	return &demo{
		ID: "event-fanout", Title: "One event, three consumers", Lesson: eventsLesson,
		Description: "Confirm a flight booking. The handler answers at once and publishes booking.confirmed; email, miles and analytics each get their own job.",
		Button:      "Confirm the booking",
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var subs []events.Subscription
			for _, c := range events.Consumers {
				subs = append(subs, events.Subscription{Consumer: c})
			}
			return s.publishEvent(ctx, in, "event-fanout", eventBooking(bookings.Add(1)), subs)
		},
	}
}

// demoEventRetries publishes the event with a fault on one consumer, or
// replays the visitor's dead letters.
func (s *Server) demoEventRetries() *demo {
	var bookings atomic.Int64
	bookings.Store(8000)
	consumers := []string{string(events.Email), string(events.Miles), string(events.Analytics)}
	return &demo{
		ID: "event-retries", Title: "Retries, backoff, dead letters", Lesson: eventsLesson,
		Description: "Break one consumer and publish again: watch the queue retry it with backoff, give up into the dead-letter list, or deliver the event twice.",
		Button:      "Run",
		Params: []param{
			{Name: "action", Label: "Do", Kind: "select", Options: []string{actPublish, actReplay}, Default: actPublish},
			{Name: "consumer", Label: "Break this consumer", Kind: "select", Options: consumers, Default: string(events.Email)},
			{Name: "fault", Label: "It", Kind: "select", Options: []string{faultFlaky, faultAlways, faultCrash}, Default: faultFlaky,
				Hint: "Only this run's job of that consumer is affected."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			if in.Params["action"] == actReplay {
				return s.replayEvents(ctx, in)
			}
			var subs []events.Subscription
			for _, c := range events.Consumers {
				sub := events.Subscription{Consumer: c}
				if string(c) == in.Params["consumer"] {
					sub.Fault, sub.FailTimes = eventFaults[in.Params["fault"]], 2
				}
				subs = append(subs, sub)
			}
			return s.publishEvent(ctx, in, "event-retries", eventBooking(bookings.Add(1)), subs)
		},
	}
}

// demoEventIdempotency delivers one event twice to a naive and an
// idempotent miles consumer.
func (s *Server) demoEventIdempotency() *demo {
	var bookings atomic.Int64
	bookings.Store(9000)
	return &demo{
		ID: "event-idempotency", Title: "Delivered twice, credited once?", Lesson: eventsLesson,
		Description: "Two miles consumers get the same booking.confirmed. Each worker crashes after crediting, before the ack, so the queue delivers it again.",
		Button:      "Confirm the booking",
		Params: []param{
			{Name: "crash", Label: "The workers crash before the ack", Kind: "checkbox", Default: "on"},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			fault := events.NoFault
			if in.Params["crash"] == "on" {
				fault = events.CrashBeforeAck
			}
			subs := []events.Subscription{{Consumer: events.Miles, Fault: fault}, {Consumer: events.MilesNaive, Fault: fault}}
			return s.publishEvent(ctx, in, "event-idempotency", eventBooking(bookings.Add(1)), subs)
		},
	}
}

// publishEvent publishes and shows the first state of the deliveries.
func (s *Server) publishEvent(ctx context.Context, in demoInput, demoID string, b events.Booking, subs []events.Subscription) (demoOutput, error) {
	lab, err := s.eventsLab(in.Request)
	if err != nil {
		return demoOutput{}, err
	}
	id, err := lab.Publish(ctx, in.Visitor, b, subs)
	if err != nil {
		return demoOutput{}, eventError(err)
	}
	return s.eventOutput(ctx, lab, in.Visitor, demoID, id, 0)
}

// replayEvents delivers the visitor's dead letters again.
func (s *Server) replayEvents(ctx context.Context, in demoInput) (demoOutput, error) {
	lab, err := s.eventsLab(in.Request)
	if err != nil {
		return demoOutput{}, err
	}
	id, n, err := lab.Replay(ctx, in.Visitor)
	if err != nil {
		return demoOutput{}, eventError(err)
	}
	if n == 0 {
		return demoOutput{}, &paramError{"You have no dead letters to retry: publish with a consumer that always fails first."}
	}
	return s.eventOutput(ctx, lab, in.Visitor, "event-retries", id, n)
}

// eventOutput reads the event's progress into the panel's view.
func (s *Server) eventOutput(ctx context.Context, lab *events.Lab, visitor, demoID string, id int64, replayed int) (demoOutput, error) {
	r, err := lab.Progress(ctx, visitor, id)
	if err != nil {
		return demoOutput{}, err
	}
	dead, err := lab.DeadLetters(ctx, visitor)
	if err != nil {
		return demoOutput{}, err
	}
	o := eventsView(r, dead, demoID, time.Now())
	o.Replayed = replayed
	return demoOutput{Data: eventsData(r, o), View: view.EventsResult(o)}, nil
}

// eventError turns the lab's refusals into a message for the visitor.
func eventError(err error) error {
	switch {
	case errors.Is(err, events.ErrBusy):
		// The request is fine; the visitor's own earlier event is in the way.
		return echo.NewHTTPError(http.StatusConflict, "Your last event is still being delivered: wait a moment for it to finish, then run again.")
	case errors.Is(err, jobs.ErrQueueFull):
		// 503 with Retry-After: the server is busy, not the request wrong.
		return echo.NewHTTPError(http.StatusServiceUnavailable, "The queue is full right now (many visitors are publishing): try again in a few seconds.")
	}
	return err
}

// showEventRun is GET /event-runs/:id?demo=…: the deliveries region of
// one of the visitor's events, reloading itself while they run.
func (s *Server) showEventRun(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "The event must be a number, such as /event-runs/12.")
	}
	demoID := c.QueryParam("demo")
	if _, ok := s.demos.get(demoID); !ok || len(demoID) < 6 || demoID[:6] != "event-" {
		demoID = "event-fanout"
	}
	lab, err := s.eventsLab(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	r, err := lab.Progress(ctx, visitorID(c), id)
	if errors.Is(err, events.ErrNotFound) {
		return echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("There is no event #%d of yours: an event shows only to the visitor who published it.", id))
	}
	if err != nil {
		return err
	}
	dead, err := lab.DeadLetters(ctx, visitorID(c))
	if err != nil {
		return err
	}
	o := eventsView(r, dead, demoID, time.Now())
	c.Response().Header().Set("Cache-Control", "no-store")
	return s.render(c, http.StatusOK, view.EventsRegion(o), func() templ.Component {
		return view.EventRunPage(s.pageMeta(csrfToken(c), "Event #"+o.EventID), o, "/lessons/"+eventsLesson)
	})
}
