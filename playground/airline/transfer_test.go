package airline

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace/noop"

	"github.com/engineroom/engineroom/playground/sandbox"
)

var transferAt = time.Date(2026, 4, 16, 10, 0, 0, 0, time.UTC)

// newUnlimitedApp is newAPIApp without the per-visitor query rate: these
// tests read balances around every step, faster than a person clicks.
func newUnlimitedApp(t *testing.T) (*App, *sandbox.Manager) {
	t.Helper()
	image, err := apiImage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := sandbox.New(sandbox.Options{Template: image, QueriesPerMinute: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return New(noop.NewTracerProvider().Tracer("")), m
}

// balances reads members' miles and their ledger sums.
func balances(t *testing.T, m *sandbox.Manager, visitor string, ids ...int64) (miles, ledger []int64) {
	t.Helper()
	err := m.With(context.Background(), visitor, func(ctx context.Context, db *sandbox.DB) error {
		for _, id := range ids {
			n, err := oneInt(ctx, db, "SELECT miles FROM members WHERE id = ?", id)
			if err != nil {
				return err
			}
			sum, err := oneInt(ctx, db, "SELECT coalesce(sum(delta), 0) FROM miles_transactions WHERE member_id = ?", id)
			if err != nil {
				return err
			}
			miles, ledger = append(miles, n), append(ledger, sum)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return miles, ledger
}

func TestTransferMiles(t *testing.T) {
	app, m := newUnlimitedApp(t)
	tests := []struct {
		name       string
		from       int64
		to         string
		miles      int64
		wantErr    error // nil: moved
		wantDetail string
		wantTo     int64
	}{
		{name: "alice to bob", from: 1, to: "bob@example.com", miles: 500, wantTo: 2},
		{name: "email is trimmed and case-folded", from: 1, to: "  Bob@Example.COM ", miles: 1, wantTo: 2},
		{name: "every mile she has", from: 2, to: "alice@example.com", miles: 2501, wantTo: 1},
		{name: "not enough miles", from: 3, to: "alice@example.com", miles: 2001, wantErr: ErrNotEnoughMiles,
			wantDetail: "You have 2000 miles, so you cannot send 2001."},
		{name: "unknown recipient", from: 1, to: "nobody@example.com", miles: 10, wantErr: ErrNoSuchRecipient,
			wantDetail: "No member has the email nobody@example.com."},
		{name: "to oneself", from: 1, to: "alice@example.com", miles: 10, wantErr: ErrSelfTransfer,
			wantDetail: "alice@example.com is your own email: a transfer to yourself changes nothing."},
		{name: "no recipient", from: 1, to: "  ", miles: 10, wantErr: ErrBadTransfer,
			wantDetail: "Say who gets the miles: the email of a member."},
		{name: "zero miles", from: 1, to: "bob@example.com", miles: 0, wantErr: ErrBadTransfer,
			wantDetail: "Send between 1 and 100000 miles, not 0."},
		{name: "negative miles", from: 1, to: "bob@example.com", miles: -5000, wantErr: ErrBadTransfer,
			wantDetail: "Send between 1 and 100000 miles, not -5000."},
		{name: "too many miles", from: 1, to: "bob@example.com", miles: 100001, wantErr: ErrBadTransfer,
			wantDetail: "Send between 1 and 100000 miles, not 100001."},
		{name: "sender is no member", from: 999999, to: "bob@example.com", miles: 10, wantErr: ErrNoSuchMember,
			wantDetail: "Your account has no loyalty membership, so it has no miles to send."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ids := []int64{1, 2, 3}
			before, _ := balances(t, m, "transfer", ids...)
			var got Transfer
			err := m.With(context.Background(), "transfer", func(ctx context.Context, db *sandbox.DB) error {
				var err error
				got, err = app.TransferMiles(ctx, db, tt.from, tt.to, tt.miles, transferAt)
				return err
			})
			after, ledger := balances(t, m, "transfer", ids...)
			for i, id := range ids {
				if after[i] != ledger[i] {
					t.Errorf("member %d: %d miles, but the ledger sums to %d", id, after[i], ledger[i])
				}
			}
			if tt.wantErr != nil {
				var r *Refusal
				if !errors.As(err, &r) || !errors.Is(err, tt.wantErr) || r.Detail != tt.wantDetail {
					t.Fatalf("err = %v, want a *Refusal wrapping %v saying %q", err, tt.wantErr, tt.wantDetail)
				}
				if !slices.Equal(after, before) {
					t.Errorf("a refused transfer changed balances: %v -> %v", before, after)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.From.ID != tt.from || got.To.ID != tt.wantTo || got.Miles != tt.miles || got.At != "2026-04-16 10:00" {
				t.Errorf("transfer = %+v", got)
			}
			from, to := tt.from-1, tt.wantTo-1 // members 1..3 sit at 0..2
			if after[from] != before[from]-tt.miles || after[to] != before[to]+tt.miles {
				t.Errorf("balances %v -> %v, want %d miles moved from %d to %d", before, after, tt.miles, tt.from, tt.wantTo)
			}
			if got.From.Miles != after[from] || got.To.Miles != after[to] {
				t.Errorf("reported balances %d, %d; the table says %d, %d", got.From.Miles, got.To.Miles, after[from], after[to])
			}
		})
	}
}

func TestEnsureMember(t *testing.T) {
	app, m := newAPIApp(t)
	var ids []int64
	for range 2 { // the second call finds the first one's row
		err := m.With(context.Background(), "mallory", func(ctx context.Context, db *sandbox.DB) error {
			id, err := app.EnsureMember(ctx, db, "Mallory", "Mallory@Evil.example", transferAt)
			ids = append(ids, id)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if ids[0] == 0 || ids[0] != ids[1] {
		t.Fatalf("ids = %v, want one member", ids)
	}
	miles, ledger := balances(t, m, "mallory", ids[0])
	if miles[0] != 0 || ledger[0] != 0 {
		t.Errorf("Mallory has %d miles, ledger %d; want 0 and 0", miles[0], ledger[0])
	}
}
