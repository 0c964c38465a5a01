package shop

import (
	"context"
	"errors"
	"testing"

	"github.com/engineroom/engineroom/playground/sandbox"
)

func oneInt(t *testing.T, ctx context.Context, db *sandbox.DB, q string, args ...any) int64 {
	t.Helper()
	res, err := db.Query(ctx, q, args...)
	if err != nil || len(res.Values) == 0 {
		t.Fatalf("%s: %v", q, err)
	}
	return sandbox.AsInt(res.Values[0][0])
}

// TestPlaceOrder: the order, its items and the stock move together.
func TestPlaceOrder(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	err := f.sql.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
		a := oneInt(t, ctx, db, `SELECT id FROM products WHERE stock >= 5 ORDER BY id DESC LIMIT 1`)
		b := oneInt(t, ctx, db, `SELECT id FROM products WHERE stock >= 5 ORDER BY id LIMIT 1`)
		stockA, stockB := oneInt(t, ctx, db, `SELECT stock FROM products WHERE id = ?`, a), oneInt(t, ctx, db, `SELECT stock FROM products WHERE id = ?`, b)
		priceA, priceB := oneInt(t, ctx, db, `SELECT price_cents FROM products WHERE id = ?`, a), oneInt(t, ctx, db, `SELECT price_cents FROM products WHERE id = ?`, b)
		o, err := f.app.PlaceOrder(ctx, db, 3, []OrderLine{{a, 2}, {b, 5}})
		if err != nil {
			return err
		}
		if o.ID == 0 || o.CustomerID != 3 || o.Status != StatusCart || o.TotalCents != 2*priceA+5*priceB || o.CreatedAt == "" || len(o.Items) != 2 {
			t.Errorf("order = %+v", o)
		}
		if o.Items[0].ProductID != b || o.Items[1].ProductID != a || o.Items[0].Name == "" || o.Items[1].UnitPriceCents != priceA {
			t.Errorf("items = %+v, want them by product id with names and prices", o.Items)
		}
		if got := oneInt(t, ctx, db, `SELECT stock FROM products WHERE id = ?`, a); got != stockA-2 {
			t.Errorf("stock of %d = %d, want %d", a, got, stockA-2)
		}
		if got := oneInt(t, ctx, db, `SELECT stock FROM products WHERE id = ?`, b); got != stockB-5 {
			t.Errorf("stock of %d = %d, want %d", b, got, stockB-5)
		}
		stored, found, err := f.app.OrderByID(ctx, db, o.ID)
		if err != nil || !found || stored.TotalCents != o.TotalCents || len(stored.Items) != 2 || stored.Items[1] != o.Items[1] || stored.CreatedAt != o.CreatedAt {
			t.Errorf("stored order = %+v, %v, %v; want %+v", stored, found, err, o)
		}
		if _, found, err := f.app.OrderByID(ctx, db, 999999); found || err != nil {
			t.Errorf("an unknown order: found %v, err %v", found, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPlaceOrderRefusals: a refused order names every line at fault and
// changes nothing.
func TestPlaceOrderRefusals(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	tests := []struct {
		name      string
		customer  int64
		lines     func(inStock, soldOut int64) []OrderLine
		want      error
		wantLines []int
	}{
		{name: "sold out", customer: 1, lines: func(in, out int64) []OrderLine { return []OrderLine{{in, 1}, {out, 1}} },
			want: ErrOutOfStock, wantLines: []int{1}},
		{name: "too many", customer: 1, lines: func(in, out int64) []OrderLine { return []OrderLine{{in, 100}, {out, 3}} },
			want: ErrOutOfStock, wantLines: []int{0, 1}},
		{name: "unknown product", customer: 1, lines: func(in, out int64) []OrderLine { return []OrderLine{{999999, 1}, {out, 1}} },
			want: ErrNoSuchProduct, wantLines: []int{0, 1}},
		{name: "unknown customer", customer: 999999, lines: func(in, out int64) []OrderLine { return []OrderLine{{in, 1}} },
			want: ErrNoSuchCustomer},
		{name: "no lines", customer: 1, lines: func(in, out int64) []OrderLine { return nil }, want: ErrBadOrder},
		{name: "bad lines", customer: 1, lines: func(in, out int64) []OrderLine { return []OrderLine{{in, 0}, {in, 1}, {out, MaxQuantity + 1}} },
			want: ErrBadOrder, wantLines: []int{0, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := f.sql.With(ctx, tt.name, func(ctx context.Context, db *sandbox.DB) error {
				in := oneInt(t, ctx, db, `SELECT id FROM products WHERE stock BETWEEN 5 AND 99 ORDER BY id LIMIT 1`)
				out := oneInt(t, ctx, db, `SELECT id FROM products WHERE stock = 0 ORDER BY id LIMIT 1`)
				total := oneInt(t, ctx, db, `SELECT total_changes()`)
				_, err := f.app.PlaceOrder(ctx, db, tt.customer, tt.lines(in, out))
				var r *Refusal
				if !errors.Is(err, tt.want) || !errors.As(err, &r) || r.Detail == "" {
					t.Fatalf("err = %v, want a refusal for %v", err, tt.want)
				}
				var lines []int
				for _, l := range r.Lines {
					if l.Detail == "" || l.Err == nil {
						t.Errorf("line problem %+v", l)
					}
					lines = append(lines, l.Line)
				}
				if len(lines) != len(tt.wantLines) || (len(lines) > 0 && lines[len(lines)-1] != tt.wantLines[len(tt.wantLines)-1]) {
					t.Errorf("lines at fault = %v, want %v", lines, tt.wantLines)
				}
				if now := oneInt(t, ctx, db, `SELECT total_changes()`); now != total {
					t.Errorf("a refused order changed %d rows", now-total)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestListProducts pages through a category in id order.
func TestListProducts(t *testing.T) {
	f := newAPIFixture(t)
	ctx := context.Background()
	err := f.sql.With(ctx, "v", func(ctx context.Context, db *sandbox.DB) error {
		for _, category := range []string{"", "kitchen", "nothing"} {
			want := oneInt(t, ctx, db, `SELECT count(*) FROM products WHERE ? = '' OR category = ?`, category, category)
			var seen int64
			filter := ProductFilter{Category: category, Limit: 30}
			last := int64(0)
			for {
				l, err := f.app.ListProducts(ctx, db, filter)
				if err != nil {
					return err
				}
				for _, p := range l.Products {
					if p.ID <= last || (category != "" && p.Category != category) || p.SKU == "" {
						t.Errorf("%q: product %+v after id %d", category, p, last)
					}
					last = p.ID
					seen++
				}
				if l.Next == "" {
					break
				}
				if filter.After, err = DecodeProductCursor(l.Next); err != nil {
					t.Fatal(err)
				}
			}
			if seen != want {
				t.Errorf("%q: paged %d products, want %d", category, seen, want)
			}
		}
		p, found, err := f.app.ProductByID(ctx, db, 5)
		if err != nil || !found || p.ID != 5 || p.Name == "" {
			t.Errorf("ProductByID(5) = %+v, %v, %v", p, found, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "x", EncodeProductCursor(0), "cHJvZHVjdHN8MDE"} {
		if _, err := DecodeProductCursor(bad); !errors.Is(err, ErrBadCursor) {
			t.Errorf("DecodeProductCursor(%q) = %v, want ErrBadCursor", bad, err)
		}
	}
}
