package airline

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// Limits of a review, as the reviews table and the form state them.
const (
	MaxReviewLen = 2000 // characters: the table's CHECK (length(body) <= 2000)
	MaxAuthorLen = 40
	// ReviewsShown is how many of a flight's latest reviews are read back.
	ReviewsShown = 5
)

// ErrBadReview is why a review is refused before it reaches the database:
// an empty name or text, or one that is too long. A *Refusal wraps it.
var ErrBadReview = errors.New("airline: the review is not acceptable")

// Review is one traveller's review of a flight, exactly as stored.
type Review struct {
	ID        int64  `json:"id"`
	FlightID  int64  `json:"flight_id"`
	Author    string `json:"author"`
	Body      string `json:"body"`
	CreatedAt string `json:"created_at"`
}

// ReviewPost is a review left on a flight: the flight, the review as
// stored, the flight's latest reviews read back, and the SQL that did it.
type ReviewPost struct {
	Flight    Flight   `json:"flight"`
	Review    Review   `json:"review"`
	Latest    []Review `json:"latest"`
	InsertSQL string   `json:"insert_sql"`
	SelectSQL string   `json:"select_sql"`
}

// The statements the reviews page runs. The text goes in as a bound
// parameter, byte for byte: nothing is escaped or stripped on the way in.
const (
	insertReviewSQL = `INSERT INTO reviews (flight_id, author, body, created_at)
VALUES (?, ?, ?, ?) RETURNING id`
	latestReviewsSQL = `SELECT id, flight_id, author, body, created_at
FROM reviews
WHERE flight_id = ?
ORDER BY id DESC
LIMIT ?`
)

// CheckReview refuses an empty (or blank) name or text, and text longer
// than the table allows. It changes nothing: what passes is stored as is.
func CheckReview(author, body string) error {
	switch {
	case strings.TrimSpace(author) == "":
		return refuse(ErrBadReview, "Your name is empty: say who wrote the review.")
	case strings.TrimSpace(body) == "":
		return refuse(ErrBadReview, "The review is empty: write something about the flight.")
	case utf8.RuneCountInString(author) > MaxAuthorLen:
		return refuse(ErrBadReview, "Your name is longer than %d characters.", MaxAuthorLen)
	case utf8.RuneCountInString(body) > MaxReviewLen:
		return refuse(ErrBadReview, "The review is longer than %d characters.", MaxReviewLen)
	}
	return nil
}

// LeaveReview stores a review of a flight with a parameterised INSERT,
// exactly as typed — markup and all: escaping is the job of whatever page
// shows it later — then reads back the flight's latest reviews, newest
// first. A refused review (see CheckReview) or an unknown flight is a
// *Refusal.
func (a *App) LeaveReview(ctx context.Context, db querier, flightID int64, author, body string, at time.Time) (ReviewPost, error) {
	ctx, span := a.step(ctx, "leave a review",
		attribute.Int64("engineroom.flight_id", flightID), attribute.Int("engineroom.review_chars", utf8.RuneCountInString(body)))
	defer span.End()
	p := ReviewPost{InsertSQL: insertReviewSQL, SelectSQL: latestReviewsSQL, Latest: []Review{}}
	if err := CheckReview(author, body); err != nil {
		return p, refusedOrFailed(span, err)
	}
	f, found, err := a.FlightByID(ctx, db, flightID)
	if err != nil {
		return p, fail(span, err)
	}
	if !found {
		return p, refusedOrFailed(span, refuse(ErrNoSuchFlight, "There is no flight %d in your database.", flightID))
	}
	p.Flight = f
	p.Review = Review{FlightID: flightID, Author: author, Body: body, CreatedAt: at.UTC().Format(time.DateTime)}
	p.Review.ID, err = oneInt(ctx, db, insertReviewSQL, flightID, author, body, p.Review.CreatedAt)
	if err != nil {
		return p, fail(span, err)
	}
	p.Latest, err = a.latestReviews(ctx, db, flightID)
	if err != nil {
		return p, fail(span, err)
	}
	span.SetAttributes(attribute.Int64("engineroom.review_id", p.Review.ID))
	return p, nil
}

// latestReviews reads a flight's newest reviews.
func (a *App) latestReviews(ctx context.Context, db querier, flightID int64) ([]Review, error) {
	res, err := db.Query(ctx, latestReviewsSQL, flightID, ReviewsShown)
	if err != nil {
		return nil, err
	}
	out := make([]Review, 0, len(res.Values))
	for _, v := range res.Values {
		if len(v) < 5 {
			return nil, ErrMissingData
		}
		out = append(out, Review{
			ID: sandbox.AsInt(v[0]), FlightID: sandbox.AsInt(v[1]),
			Author: sandbox.AsString(v[2]), Body: sandbox.AsString(v[3]), CreatedAt: sandbox.AsString(v[4]),
		})
	}
	return out, nil
}
