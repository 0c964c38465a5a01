package airline

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/engineroom/engineroom/playground/sandbox"
)

// The miles one transfer may move, as the form states them.
const (
	MinTransfer = 1
	MaxTransfer = 100000
	// maxEmailLen is longer than any member's email.
	maxEmailLen = 254
)

// Why the airline refuses a transfer. A *Refusal wraps one of them (or
// ErrNotEnoughMiles, or ErrNoSuchMember for a sender who is no member).
var (
	// ErrBadTransfer is a form filled in wrongly: no recipient, or miles
	// outside MinTransfer..MaxTransfer.
	ErrBadTransfer = errors.New("airline: the transfer is not filled in right")
	// ErrNoSuchRecipient means no member has the email given.
	ErrNoSuchRecipient = errors.New("airline: no member has that email")
	// ErrSelfTransfer is a transfer to the sender's own account.
	ErrSelfTransfer = errors.New("airline: a transfer to oneself")
)

// Transfer is miles moved from one member to another, and the balances
// after it.
type Transfer struct {
	From  Member `json:"from"`
	To    Member `json:"to"`
	Miles int64  `json:"miles"`
	At    string `json:"at"`
}

// CheckTransfer refuses a transfer with no recipient or with miles
// outside MinTransfer..MaxTransfer, before anything is read.
func CheckTransfer(toEmail string, miles int64) error {
	switch to := strings.TrimSpace(toEmail); {
	case to == "":
		return refuse(ErrBadTransfer, "Say who gets the miles: the email of a member.")
	case len(to) > maxEmailLen:
		return refuse(ErrBadTransfer, "That email is longer than %d characters: no member has it.", maxEmailLen)
	case miles < MinTransfer || miles > MaxTransfer:
		return refuse(ErrBadTransfer, "Send between %d and %d miles, not %d.", MinTransfer, MaxTransfer, miles)
	}
	return nil
}

// TransferMiles moves miles from member fromID to the member whose email
// is toEmail, in one IMMEDIATE transaction: both balances change and the
// ledger gets one row for each, or nothing happens. A refused transfer
// (see CheckTransfer; an unknown recipient, the sender themselves, too
// few miles) is a *Refusal.
func (a *App) TransferMiles(ctx context.Context, db querier, fromID int64, toEmail string, miles int64, at time.Time) (Transfer, error) {
	ctx, span := a.step(ctx, "transfer miles",
		attribute.Int64("engineroom.member_id", fromID), attribute.Int64("engineroom.miles", miles))
	defer span.End()
	toEmail = strings.ToLower(strings.TrimSpace(toEmail))
	t := Transfer{Miles: miles, At: at.UTC().Format("2006-01-02 15:04")}
	if err := CheckTransfer(toEmail, miles); err != nil {
		return t, refusedOrFailed(span, err)
	}
	err := sandbox.Immediate(ctx, db, func() error {
		from, found, err := a.MemberByID(ctx, db, fromID)
		if err != nil {
			return err
		}
		if !found {
			return refuse(ErrNoSuchMember, "Your account has no loyalty membership, so it has no miles to send.")
		}
		to, found, err := a.MemberByEmail(ctx, db, toEmail)
		switch {
		case err != nil:
			return err
		case !found:
			return refuse(ErrNoSuchRecipient, "No member has the email %s.", toEmail)
		case to.ID == from.ID:
			return refuse(ErrSelfTransfer, "%s is your own email: a transfer to yourself changes nothing.", toEmail)
		case from.Miles < miles:
			return refuse(ErrNotEnoughMiles, "You have %d miles, so you cannot send %d.", from.Miles, miles)
		}
		// The conditions repeat the checks, so the rows cannot go wrong
		// even if the checks above had a bug.
		if err := execOne(ctx, db, `UPDATE members SET miles = miles - ? WHERE id = ? AND miles >= ?`, miles, from.ID, miles); err != nil {
			return err
		}
		if err := execOne(ctx, db, `UPDATE members SET miles = miles + ? WHERE id = ?`, miles, to.ID); err != nil {
			return err
		}
		if _, err := db.Exec(ctx, `INSERT INTO miles_transactions (member_id, delta, reason, at) VALUES (?, ?, ?, ?), (?, ?, ?, ?)`,
			from.ID, -miles, "transfer to "+to.Email, t.At,
			to.ID, miles, "transfer from "+from.Email, t.At); err != nil {
			return err
		}
		from.Miles -= miles
		to.Miles += miles
		t.From, t.To = from, to
		return nil
	})
	if err != nil {
		return Transfer{}, refusedOrFailed(span, err)
	}
	span.SetAttributes(attribute.Int64("engineroom.to_member_id", t.To.ID))
	return t, nil
}

// MemberByEmail reads the member with this email (compared in lower
// case, as members' emails are stored); found is false when there is
// none.
func (a *App) MemberByEmail(ctx context.Context, db querier, email string) (m Member, found bool, err error) {
	ctx, span := a.step(ctx, "load member by email")
	defer span.End()
	res, err := db.Query(ctx, `SELECT id, name, email, tier, miles, joined_on FROM members WHERE email = ?`,
		strings.ToLower(strings.TrimSpace(email)))
	if err != nil {
		return Member{}, false, fail(span, err)
	}
	if len(res.Values) == 0 {
		return Member{}, false, nil
	}
	v := res.Values[0]
	return Member{ID: sandbox.AsInt(v[0]), Name: sandbox.AsString(v[1]), Email: sandbox.AsString(v[2]),
		Tier: sandbox.AsString(v[3]), Miles: sandbox.AsInt(v[4]), JoinedOn: sandbox.AsString(v[5])}, true, nil
}

// EnsureMember returns the id of the member with this email, adding one
// with no miles (and so no ledger rows) when there is none: the lessons'
// attacker, who signed up like anyone.
func (a *App) EnsureMember(ctx context.Context, db querier, name, email string, joined time.Time) (int64, error) {
	ctx, span := a.step(ctx, fmt.Sprintf("make sure %s is a member", email))
	defer span.End()
	email = strings.ToLower(email)
	if _, err := db.Exec(ctx, `INSERT INTO members (name, email, tier, miles, joined_on) VALUES (?, ?, 'blue', 0, ?)
ON CONFLICT (email) DO NOTHING`, name, email, joined.UTC().Format("2006-01-02")); err != nil {
		return 0, fail(span, err)
	}
	id, err := oneInt(ctx, db, `SELECT id FROM members WHERE email = ?`, email)
	if err != nil {
		return 0, fail(span, err)
	}
	return id, nil
}
