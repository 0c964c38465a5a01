package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/auth"
	"github.com/engineroom/engineroom/playground/sandbox"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// transferPath is the airline app's miles transfer form's target: a real
// state-changing page, behind the same visitor cookie and CSRF check as
// every page form.
const transferPath = "/airline/miles/transfer"

// transferMiles is POST /airline/miles/transfer (form fields to and
// miles): the logged-in member sends miles to another member. 401 without
// an airline session, 400 or 422 for a form filled in wrongly, 422 for a
// transfer the airline refuses.
func (s *Server) transferMiles(c echo.Context) error {
	ctx, span := s.tracer.Start(c.Request().Context(), "handler transfer miles", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	defer span.End()
	c.Response().Header().Set("Cache-Control", "no-store")
	// No session cookie, no session: answered without opening a sandbox.
	if sessionToken(c) == "" {
		return notLoggedInPage()
	}
	form, err := readForm(c)
	if err != nil {
		return err
	}
	to, n, err := transferForm(form.Get("to"), form.Get("miles"))
	if err != nil {
		return err
	}
	span.SetAttributes(attribute.Int64("engineroom.miles", n))
	var t airline.Transfer
	loggedIn, err := s.asUser(ctx, c, func(ctx context.Context, db *sandbox.DB, u auth.SessionUser) (err error) {
		span.SetAttributes(attribute.String("enduser.id", u.Username))
		t, err = s.airline.TransferMiles(ctx, db, u.MemberID, to, n, time.Now())
		return err
	})
	var r *airline.Refusal
	switch {
	case errors.As(err, &r):
		return echo.NewHTTPError(http.StatusUnprocessableEntity, r.Detail)
	case err != nil:
		return sandboxError(err)
	case !loggedIn:
		return notLoggedInPage()
	}
	v := view.TransferView{Miles: miles(t.Miles), To: t.To.Email, ToName: t.To.Name, Balance: miles(t.From.Miles)}
	return s.render(c, http.StatusOK, view.TransferDone(v), func() templ.Component {
		return view.TransferPage(s.pageMeta(csrfToken(c), "Miles sent"), v)
	})
}

// notLoggedInPage is the 401 of the airline app's pages.
func notLoggedInPage() error {
	return echo.NewHTTPError(http.StatusUnauthorized,
		"Log in to the airline app first: a transfer needs to know whose miles to send.")
}

// transferForm reads the transfer form's fields: 400 when miles is not a
// whole number, 422 when a field is missing or out of range.
func transferForm(to, rawMiles string) (string, int64, error) {
	rawMiles = strings.TrimSpace(rawMiles)
	if rawMiles == "" {
		return "", 0, echo.NewHTTPError(http.StatusUnprocessableEntity,
			fmt.Sprintf("Say how many miles to send: %d to %s.", airline.MinTransfer, miles(airline.MaxTransfer)))
	}
	n, err := strconv.ParseInt(rawMiles, 10, 64)
	if err != nil {
		return "", 0, echo.NewHTTPError(http.StatusBadRequest,
			fmt.Sprintf("miles: %.40q is not a whole number.", rawMiles))
	}
	if err := airline.CheckTransfer(to, n); err != nil {
		var r *airline.Refusal
		if errors.As(err, &r) {
			return "", 0, echo.NewHTTPError(http.StatusUnprocessableEntity, r.Detail)
		}
		return "", 0, err
	}
	return strings.TrimSpace(to), n, nil
}
