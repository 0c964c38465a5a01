package web

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/stories"
	"github.com/engineroom/engineroom/web/view"
)

// The airline story's lesson, and what its steps say when an earlier
// step has not run.
const (
	tripLesson   = "airline-story"
	tripLogInMsg = "Nobody is logged in: run step 1 first. (The session cookie it sets is what tells the server who you are.)"
	lastJobKey   = "last_confirmation_job"
)

// tripDefaultFlight is the first flight of the default route's search
// that has seats at the reservation system (whose seats are seeded), so
// the steps run in order book what step 3 shows.
const tripDefaultFlight = "623"

// demoTripLogIn is the airline story's first step: a real login that
// sets the airline app's session cookie in the visitor's browser.
func (s *Server) demoTripLogIn() *demo {
	return &demo{
		ID: "trip-login", Title: "1. Log in", Lesson: tripLesson,
		Description: "Alice opens the loyalty app and logs in. Her password is alice-demo.",
		Button:      "Log in",
		Params: []param{
			{Name: "username", Label: "Username", Kind: "text", Default: "alice", MaxLen: 64},
			{Name: "password", Label: "Password", Kind: "text", Default: "alice-demo", MaxLen: 200},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var o view.TripLoginOutput
			li, err := s.auth.LogIn(ctx, s.openSandbox(in), in.Visitor, in.Params["username"], in.Params["password"])
			var le *auth.LimitError
			switch {
			case refused(err, &o.Refused, &o.Limited):
			case errors.As(err, &le):
				o.Limited = capitalize(le.Reason) + "."
			case errors.Is(err, auth.ErrBadCredentials):
				o.Failure = "Wrong username or password. Nothing was set: the app still does not know who you are."
			case err != nil:
				return demoOutput{}, err
			}
			if o.Failure != "" || o.Limited != "" || len(o.Refused) > 0 {
				return demoOutput{Data: o, View: view.TripLogin(o)}, nil
			}
			set, err := s.withSession(ctx, in.Request, in.Visitor, func(ctx context.Context, sc sessionCall) error {
				if err := sc.Session.LogIn(li.Account); err != nil {
					return err
				}
				m, found, err := s.airline.MemberByID(ctx, sc.DB, li.Account.MemberID)
				if found {
					o.Name = m.Name
				}
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			o.Username = li.Account.Username
			if o.Name == "" {
				o.Name = o.Username
			}
			if set != nil {
				o.SetCookie = cookieView(set).SetCookie
			}
			return demoOutput{Data: o, View: view.TripLogin(o)}, nil
		},
	}
}

// logInFirstOutput is what a step that needs the traveller says when nobody is
// logged in.
func logInFirstOutput() demoOutput {
	return demoOutput{Data: map[string]string{"error": tripLogInMsg}, View: view.StoryNotice(tripLogInMsg)}
}

// travellerOf is the member the airline session names, 0 when nobody is
// logged in as a member.
func (s *Server) travellerOf(ctx context.Context, in demoInput) (int64, error) {
	if sessionToken(in.Request) == "" {
		return 0, nil
	}
	var member int64
	_, err := s.asUser(ctx, in.Request, func(_ context.Context, _ *sandbox.DB, u auth.SessionUser) error {
		member = u.MemberID
		return nil
	})
	return member, err
}

// demoTripMiles is the second step: the balance, cache-aside.
func (s *Server) demoTripMiles() *demo {
	return &demo{
		ID: "trip-miles", Title: "2. Check your miles", Lesson: tripLesson,
		Description: "The app's home screen shows Alice's balance. Run it twice.",
		Button:      "Show my miles",
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			member, err := s.travellerOf(ctx, in)
			if err != nil || member == 0 {
				return logInFirstOutput(), err
			}
			b, err := s.stories.Miles(ctx, s.cache.For(in.Visitor), s.openSandbox(in), member)
			if err != nil {
				return demoOutput{}, err
			}
			o := view.TripMilesOutput{Name: b.Member.Name, Tier: b.Member.Tier, Miles: hookThousands(b.Member.Miles),
				Source: b.Source, Key: b.CacheKey, TTL: strconv.FormatInt(b.TTL, 10) + " s"}
			return demoOutput{Data: b, View: view.TripMiles(o)}, nil
		},
	}
}

// demoTripSearch is the third step: the schedule cache-aside, the seats
// live from the reservation system.
func (s *Server) demoTripSearch() *demo {
	return &demo{
		ID: "trip-search", Title: "3. Search flights", Lesson: tripLesson,
		Description: "Where can her miles take her? The schedule comes from the airline's database; the free seats from the reservation system.",
		Button:      "Search",
		Wide:        true,
		Params: []param{
			{Name: "route", Label: "Route", Kind: "select", Options: stories.TripRoutes, Default: stories.TripRoutes[0]},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			member, err := s.travellerOf(ctx, in)
			if err != nil {
				return demoOutput{}, err
			}
			space, open := s.cache.For(in.Visitor), s.openSandbox(in)
			var balance int64 = -1
			if member != 0 {
				b, err := s.stories.Miles(ctx, space, open, member)
				if err != nil {
					return demoOutput{}, err
				}
				balance = b.Member.Miles
			}
			r, err := s.stories.SearchTrips(ctx, space, open, in.Visitor, in.Params["route"])
			if err != nil {
				return demoOutput{}, err
			}
			o := view.TripSearchOutput{Route: r.Route, Source: r.ScheduleSource, Key: r.CacheKey, Degraded: r.Unanswered}
			if balance >= 0 {
				o.Balance = hookThousands(balance)
			}
			for _, f := range r.Flights {
				row := view.TripRow{ID: strconv.FormatInt(f.ID, 10), FlightNo: f.FlightNo, Departs: strings.TrimPrefix(f.DepartsAt, "2026-"),
					Miles: hookThousands(f.MilesPrice), Seats: strconv.Itoa(f.SeatsFree), Bookable: true}
				switch {
				case f.SeatsUnknown:
					row.Seats, row.Bookable, row.WhyNot = "unknown", false, "try again"
				case f.SeatsFree == 0:
					row.Bookable, row.WhyNot = false, "sold out"
				case balance >= 0 && balance < f.MilesPrice:
					row.Bookable, row.WhyNot = false, "not enough miles"
				}
				o.Rows = append(o.Rows, row)
			}
			return demoOutput{Data: r, View: view.TripSearch(o)}, nil
		},
	}
}

// demoTripBook is the fourth step: the booking, its compensation when a
// step fails, and the confirmation email's job.
func (s *Server) demoTripBook() *demo {
	return &demo{
		ID: "trip-book", Title: "4. Book with miles", Lesson: tripLesson,
		Description: "Alice picks a flight from the search and pays with miles.",
		Button:      "Book it",
		Params: []param{
			{Name: "flight", Label: "Flight id (from step 3)", Kind: "number", Default: tripDefaultFlight, Min: 1, Max: 1_000_000},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			member, err := s.travellerOf(ctx, in)
			if err != nil || member == 0 {
				return logInFirstOutput(), err
			}
			q, err := s.third.queue(ctx)
			if err != nil {
				return demoOutput{}, err
			}
			trip, err := s.stories.BookTrip(ctx, s.cache.For(in.Visitor), s.openSandbox(in), q, in.Visitor, member, int64(in.Int("flight")))
			o := view.TripBookOutput{Faults: s.activeFaults(in.Visitor)}
			var be *integrations.BookingError
			switch {
			case errors.As(err, &be):
				f := outcomeOf(be.Outcome)
				o.Failure, o.Undone = &f, undoneOf(be)
				return demoOutput{Data: map[string]any{"failed_step": be.Step, "outcome": be.Outcome, "hold": be.Hold, "undone_booking": be.Undone}, View: view.TripBook(o)}, nil
			case err != nil && trip.BookingID == 0:
				return demoOutput{}, err
			}
			f := trip.Flight
			o.BookingID, o.Flight, o.Route = strconv.FormatInt(trip.BookingID, 10), f.FlightNo, f.Origin.City+" → "+f.Destination.City
			o.Departs, o.Paid, o.Balance = f.DepartsAt, hookThousands(trip.MilesPaid), hookThousands(trip.BalanceAfter)+" miles"
			o.HoldID = trip.HoldID
			if trip.JobID != 0 {
				o.JobID = strconv.FormatInt(trip.JobID, 10)
				o.Mailbox = pendingMailbox(trip.JobID)
				if _, err := s.withSession(ctx, in.Request, in.Visitor, func(_ context.Context, sc sessionCall) error {
					return sc.Session.SetValue(lastJobKey, trip.JobID)
				}); err != nil {
					return demoOutput{}, err
				}
			}
			return demoOutput{Data: trip, View: view.TripBook(o)}, nil
		},
	}
}

// undoneOf says what a failed booking put back.
func undoneOf(be *integrations.BookingError) []string {
	var out []string
	if be.Undone != 0 {
		out = append(out, "Booking #"+strconv.FormatInt(be.Undone, 10)+" was stored, then cancelled and its miles refunded.")
	}
	switch be.Hold {
	case "released":
		out = append(out, "The seat hold "+be.HoldID+" was released: the seat is free for someone else.")
	case "expired":
		out = append(out, "The seat hold "+be.HoldID+" had expired: the seat went back by itself.")
	case integrations.HoldUnknown:
		out = append(out, "The reservation system did not say whether it held a seat; a hold that was made lapses by itself.")
	}
	if be.Stuck {
		out = append(out, "Putting things back failed too: this needs a person.")
	}
	return out
}

// pendingMailbox is the mailbox region that starts looking for the
// confirmation email after the answer.
func pendingMailbox(job int64) *view.Mailbox {
	id := strconv.FormatInt(job, 10)
	return &view.Mailbox{URL: "/mailbox?job=" + id, Trigger: mailboxPoll, Pending: true,
		Job: &view.JobStatus{ID: id, Kind: integrations.ConfirmationJob, State: "queued",
			Summary: "It runs after this answer, when a worker picks it up."}}
}

// demoStoryMail is a story's last step: the confirmation email's job and
// the mailbox at the email service. The job is the one the story's app
// session remembers.
func (s *Server) demoStoryMail(id, lesson, cookie, missing string) *demo {
	return &demo{
		ID: id, Title: "Read the confirmation email", Lesson: lesson,
		Description: "The email was not sent while you waited: a background job sends it. Open the mailbox.",
		Button:      "Open my mailbox",
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var job int64
			if cookieToken(in.Request, cookie) != "" {
				if _, err := s.withCookieSession(ctx, in.Request, cookie, in.Visitor, func(_ context.Context, sc sessionCall) error {
					sc.Session.Value(lastJobKey, &job)
					return nil
				}); err != nil {
					return demoOutput{}, err
				}
			}
			m, err := s.mailbox(ctx, in.Visitor, job)
			if err != nil {
				return demoOutput{}, err
			}
			o := view.StoryMailOutput{Mailbox: m}
			if job == 0 {
				o.Missing = missing
			}
			return demoOutput{Data: map[string]any{"job_id": job, "messages": len(m.Messages)}, View: view.StoryMail(o)}, nil
		},
	}
}
