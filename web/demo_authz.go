package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/web/view"
)

// The authorization lesson's demo: a booking looked up by its id, with
// and without asking whose it is. It reads the visitor's own sandbox and
// shows them the answer; nothing leaves it.

// Choices of the IDOR demo's "the server checks the owner" parameter.
const (
	ownerUnchecked = "no (vulnerable)"
	ownerChecked   = "yes (fixed)"
)

// idorDefaultBooking is one of bob's (member 2's) bookings in the demo
// data: a confirmed flight, Munich to Los Angeles. The tests check it
// still is bob's.
const idorDefaultBooking = "5435"

// standIn is who the demo asks as when nobody is logged in.
var standIn = view.AuthzViewer{Username: "alice", MemberID: 1, StandIn: true}

// idorData is the JSON twin's output. Booking and owner are there only
// when the app showed them.
type idorData struct {
	Viewer struct {
		Username string `json:"username"`
		MemberID int64  `json:"member_id"`
		LoggedIn bool   `json:"logged_in"`
	} `json:"viewer"`
	BookingID    int64            `json:"booking_id"`
	OwnerChecked bool             `json:"owner_checked"`
	Verdict      string           `json:"verdict"`
	Status       int              `json:"status"`
	Detail       string           `json:"detail,omitempty"`
	Booking      *airline.Booking `json:"booking,omitempty"`
	OwnerName    string           `json:"owner_name,omitempty"`
}

func (s *Server) demoIDOR() *demo {
	return &demo{
		ID: "idor-booking", Title: "Look at a booking", Lesson: "authorization",
		Description: "The airline app's booking page takes a booking id. Ask for one that is not yours, with and without the ownership check.",
		Button:      "Show the booking",
		Params: []param{
			{Name: "booking", Label: "Booking id", Kind: "number", Default: idorDefaultBooking, Min: 1, Max: 9999999,
				Hint: idorDefaultBooking + " is Bob's. 4818 is Alice's own. 99999 does not exist."},
			{Name: "check", Label: "The server checks the owner", Kind: "select", Options: []string{ownerUnchecked, ownerChecked}, Default: ownerUnchecked},
		},
		Run: s.runIDOR,
	}
}

func (s *Server) runIDOR(ctx context.Context, in demoInput) (demoOutput, error) {
	id, check := int64(in.Int("booking")), in.Params["check"] == ownerChecked
	o := view.AuthzOutput{BookingID: id, Checked: check, Viewer: standIn}
	var data idorData
	_, err := s.withSession(ctx, in.Request, in.Visitor, func(ctx context.Context, sc sessionCall) error {
		if u, ok := sc.Session.User(); ok {
			o.Viewer = view.AuthzViewer{Username: u.Username, MemberID: u.MemberID}
		}
		b, err := s.airline.ShowBooking(ctx, sc.DB, o.Viewer.MemberID, id, check)
		var r *airline.Refusal
		switch {
		case errors.As(err, &r):
			// Another member's booking and a missing one answer alike;
			// only the trace tells them apart.
			o.Verdict, o.Said, data.Detail = "not found", r.Detail, r.Detail
			return nil
		case err != nil:
			return err
		}
		card := bookingCard(b)
		o.Booking, data.Booking, data.OwnerName = &card, &b.Booking, b.OwnerName
		o.Verdict = "leaked"
		if b.Yours {
			o.Verdict = "yours"
		}
		return nil
	})
	if err != nil {
		return demoOutput{}, err
	}
	status := http.StatusOK
	if o.Booking == nil {
		status = http.StatusNotFound
	}
	o.Status, o.StatusClass = fmt.Sprintf("%d %s", status, http.StatusText(status)), fmt.Sprintf("status-%dxx", status/100)
	data.Viewer.Username, data.Viewer.MemberID, data.Viewer.LoggedIn = o.Viewer.Username, o.Viewer.MemberID, !o.Viewer.StandIn
	data.BookingID, data.OwnerChecked, data.Verdict, data.Status = id, check, o.Verdict, status
	return demoOutput{Data: data, View: view.AuthzBooking(o)}, nil
}

// bookingCard shapes a booking for the airline app's page.
func bookingCard(b airline.ShownBooking) view.BookingCard {
	f := b.Booking.Flight
	paid := "no miles (paid another way)"
	if b.Booking.PaidMiles > 0 {
		paid = miles(b.Booking.PaidMiles) + " miles"
	}
	return view.BookingCard{
		ID:     b.Booking.ID,
		Flight: fmt.Sprintf("%s, %s → %s", f.FlightNo, f.Origin.City, f.Destination.City),
		// The seeded times are UTC.
		Departs: f.DepartsAt + " UTC", Status: b.Booking.Status, PaidMiles: paid, BookedAt: b.Booking.BookedAt,
		Owner: fmt.Sprintf("%s (member %d)", b.OwnerName, b.Booking.MemberID), OwnerName: b.OwnerName, Yours: b.Yours,
	}
}
