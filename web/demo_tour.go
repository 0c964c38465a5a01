package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// The back-end tour looks up one flight, the first LHR to ORD flight of
// the demo data, under tourKey in the visitor's cache for tourTTL.
const (
	tourFlight = 307
	tourKey    = "tour:flight:307"
	tourTTL    = 60 * time.Second
)

// tourRun is the JSON twin's output of the back-end tour.
type tourRun struct {
	Flight airline.Flight `json:"flight"`
	// Source is where the flight came from: "cache" or "database".
	Source   string `json:"source"`
	CacheKey string `json:"cache_key"`
	TTL      int    `json:"ttl_seconds"`
	// SeatsAvailable is the reservation system's answer; nil when it
	// gave none (SeatsError says why).
	SeatsAvailable *int   `json:"seats_available"`
	SeatsError     string `json:"seats_error,omitempty"`
	// JobID is the email's job; 0 when it was not queued (JobError says
	// why).
	JobID    int64  `json:"job_id"`
	JobError string `json:"job_error,omitempty"`
	Mailbox  string `json:"mailbox"`
	// Parts is what each part of the back end did, read from the trace.
	Parts []tourPartJSON `json:"parts"`
}

// tourPartJSON is one part of the back end as the JSON twin shows it.
type tourPartJSON struct {
	Part  string `json:"part"`
	Used  bool   `json:"used"`
	Error bool   `json:"error"`
	// Did says what the part did, or why the request did not use it.
	Did string `json:"did"`
}

// demoBackendTour sends one request through every part of the back end:
// the server, the visitor's cache and database, the reservation system
// and the job queue. Its front end pane lights up each part the request's
// trace shows it used.
func (s *Server) demoBackendTour() *demo {
	return &demo{
		ID: "backend-tour", Title: "One click, every part", Lesson: "what-is-the-back-end",
		Description: fmt.Sprintf("The airline's page for flight %d: the server looks the flight up, asks the reservation system for free seats, and queues an email for later.", tourFlight),
		Button:      "Look up the flight",
		// The diagram of the parts needs more room than the waterfall.
		Wide: true,
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			data := tourRun{CacheKey: tourKey, TTL: int(tourTTL / time.Second), Mailbox: "/mailbox"}
			var err error
			data.Flight, data.Source, err = s.tourFlight(ctx, in)
			if err != nil {
				return demoOutput{}, err
			}
			seats, err := s.third.app.Availability(ctx, in.Visitor, data.Flight.ID)
			switch {
			case err == nil:
				data.SeatsAvailable = &seats
			case isCallFailure(err):
				// A supplier that fails does not take the page down: the
				// customer gets the flight without the seat count.
				data.SeatsError = integrations.Explain(integrations.ReservationsService, err, true).Title
			default:
				return demoOutput{}, err
			}
			q, err := s.third.queue(ctx)
			if err != nil {
				return demoOutput{}, err
			}
			data.JobID, err = s.third.app.QueueConfirmation(ctx, q, in.Visitor, tourEmail(data))
			switch {
			case err == nil:
				data.Mailbox = "/mailbox?job=" + strconv.FormatInt(data.JobID, 10)
			case errors.Is(err, jobs.ErrQueueFull):
				// Work for later can wait, or be dropped: the answer
				// still goes out now.
				data.JobError = "the job queue is full, so this email is skipped"
			default:
				return demoOutput{}, err
			}
			t, _ := s.currentTrace(in.Request)
			parts := s.tourParts(t.Spans)
			for _, p := range parts {
				did := p.Why
				if p.Used {
					did = strings.Join(p.Did, " · ")
				}
				data.Parts = append(data.Parts, tourPartJSON{Part: p.ID, Used: p.Used, Error: p.Error, Did: did})
			}
			return demoOutput{Data: data, View: view.TourResult(tourView(data, parts))}, nil
		},
	}
}

// tourFlight reads the tour's flight cache-aside: from the visitor's cache
// when it is there, else from the visitor's database, then kept in the
// cache for tourTTL. source says which answered.
func (s *Server) tourFlight(ctx context.Context, in demoInput) (f airline.Flight, source string, err error) {
	ctx, span := s.tracer.Start(ctx, "find flight "+strconv.Itoa(tourFlight), trace.WithAttributes(attribute.String("cache.key", tourKey)))
	defer func() {
		if err != nil {
			span.SetStatus(codes.Error, err.Error())
		}
		span.SetAttributes(attribute.String("engineroom.source", source))
		span.End()
	}()
	space := s.cache.For(in.Visitor)
	cached, hit, err := space.Get(ctx, tourKey)
	if err != nil {
		return f, "", err
	}
	if hit {
		if err := json.Unmarshal(cached, &f); err != nil {
			return f, "", fmt.Errorf("web: reading the cached flight: %w", err)
		}
		return f, airline.SourceCache, nil
	}
	found := false
	err = s.openSandbox(in)(ctx, func(ctx context.Context, db *sandbox.DB) error {
		f, found, err = s.airline.FlightByID(ctx, db, tourFlight)
		return err
	})
	if err != nil {
		return f, "", err
	}
	if !found {
		return f, "", echo.NewHTTPError(http.StatusConflict, fmt.Sprintf(
			"Flight %d is not in your database. If you changed the demo data, press Reset my database in the SQL console.", tourFlight))
	}
	value, err := json.Marshal(f)
	if err != nil {
		return f, "", fmt.Errorf("web: encoding the flight: %w", err)
	}
	if err := space.Set(ctx, tourKey, value, tourTTL); err != nil {
		return f, "", err
	}
	return f, airline.SourceDatabase, nil
}

// tourEmail is the email the tour's job sends after the answer.
func tourEmail(r tourRun) integrations.Email {
	f := r.Flight
	seats := "The reservation system did not say how many seats are free."
	if r.SeatsAvailable != nil {
		seats = fmt.Sprintf("Seats free when you looked: %d.", *r.SeatsAvailable)
	}
	return integrations.Email{
		To:      "you@example.com",
		Subject: fmt.Sprintf("Flight %s: %s to %s", f.FlightNo, f.Origin.City, f.Destination.City),
		Text: fmt.Sprintf("Flight %s leaves %s (%s) at %s for %s (%s). %s\n\nThe Engine Room airline",
			f.FlightNo, f.Origin.City, f.Origin.Code, f.DepartsAt, f.Destination.City, f.Destination.Code, seats),
	}
}
