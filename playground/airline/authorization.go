package airline

import (
	"context"
	"fmt"

	"go.opentelemetry.io/otel/attribute"
)

// ErrNotYours is why a member may not see a booking: it belongs to
// someone else. It wraps ErrNoSuchBooking, and its *Refusal says exactly
// what a missing booking's does, so an answer never tells a prober that
// an id exists.
var ErrNotYours = fmt.Errorf("%w (it is another member's)", ErrNoSuchBooking)

// ShownBooking is a booking as the "my booking" page shows it, and who
// owns it.
type ShownBooking struct {
	Booking Booking `json:"booking"`
	// OwnerName is the owning member's name.
	OwnerName string `json:"owner_name"`
	// Yours says whether the viewer owns it.
	Yours bool `json:"yours"`
	// Checked says whether the owner was checked before showing it.
	Checked bool `json:"owner_checked"`
}

// ShowBooking reads booking bookingID for the member viewerMemberID is
// logged in as. With checkOwner it first asks whether the booking is the
// viewer's, and refuses another member's booking with a *Refusal that
// reads exactly like the one for a booking that does not exist (a 404,
// not a 403). Without checkOwner it shows any booking to anyone: the
// insecure direct object reference the authorization lesson exploits.
func (a *App) ShowBooking(ctx context.Context, db querier, viewerMemberID, bookingID int64, checkOwner bool) (ShownBooking, error) {
	ctx, span := a.step(ctx, fmt.Sprintf("show booking %d", bookingID),
		attribute.Int64("engineroom.booking_id", bookingID),
		attribute.Int64("engineroom.viewer_member_id", viewerMemberID),
		attribute.Bool("engineroom.authz.owner_checked", checkOwner))
	defer span.End()
	out := ShownBooking{Checked: checkOwner}
	// Both refusals say the same words: nothing to tell them apart by.
	missing := refuse(ErrNoSuchBooking, "There is no booking %d.", bookingID)
	b, found, err := a.BookingByID(ctx, db, bookingID)
	if err != nil {
		return out, fail(span, err)
	}
	if !found {
		return out, refusedOrFailed(span, missing)
	}
	if checkOwner && !a.authorize(ctx, b, viewerMemberID) {
		return out, refusedOrFailed(span, &Refusal{Err: ErrNotYours, Detail: missing.Detail})
	}
	owner, found, err := a.MemberByID(ctx, db, b.MemberID)
	if err != nil {
		return out, fail(span, err)
	}
	if !found {
		return out, fail(span, fmt.Errorf("%w: booking %d's member %d", ErrMissingData, bookingID, b.MemberID))
	}
	out.Booking, out.OwnerName, out.Yours = b, owner.Name, b.MemberID == viewerMemberID
	span.SetAttributes(attribute.Bool("engineroom.authz.yours", out.Yours))
	return out, nil
}

// authorize is the ownership check as a span of its own: whose the
// booking is, who asks, and the verdict.
func (a *App) authorize(ctx context.Context, b Booking, viewerMemberID int64) bool {
	allowed := viewerMemberID != 0 && b.MemberID == viewerMemberID
	_, span := a.step(ctx, fmt.Sprintf("authorize: is booking %d member %d's?", b.ID, viewerMemberID),
		attribute.Int64("engineroom.authz.owner_member_id", b.MemberID),
		attribute.Int64("engineroom.authz.viewer_member_id", viewerMemberID),
		attribute.Bool("engineroom.authz.allowed", allowed))
	span.End()
	return allowed
}
