package stories

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.uber.org/goleak"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/cache"
	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/jobs"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/shop"
	"github.com/engineroom/engineroom/playground/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// world is everything a story runs on, really started: the simulated
// services on loopback, the embedded Redis-protocol cache, a sandbox
// manager with the demo data and a job queue, all closed when the test
// ends.
type world struct {
	app     *App
	third   *integrations.App
	cache   Cache
	sandbox *sandbox.Manager
	queue   *jobs.Queue
	visitor string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	services, err := upstream.Start(upstream.Options{Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = services.Close() })
	third := integrations.New(integrations.Options{GatewayURL: services.Gateway.URL(), MailerURL: services.Mailer.URL(),
		ReservationsURL: services.Reservations.URL(), RefKey: []byte("test")})
	c, err := cache.New(ctx, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	// A long query budget: under the race detector SQLite is many times
	// slower, and the tests run side by side.
	m, err := sandbox.New(sandbox.Options{QueriesPerMinute: -1, QueryTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	q, err := jobs.Open(ctx, jobs.Options{Path: filepath.Join(t.TempDir(), "state.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = q.Close(context.Background()) })
	third.HandleJobs(q)
	tp := sdktrace.NewTracerProvider()
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return &world{app: New(tp.Tracer("stories-test"), third), third: third, cache: c.For("v1"), sandbox: m, queue: q, visitor: "v1"}
}

func (w *world) open(ctx context.Context, fn func(ctx context.Context, db *sandbox.DB) error) error {
	return w.sandbox.With(ctx, w.visitor, fn)
}

// scalar reads one value from the visitor's database.
func (w *world) scalar(t *testing.T, q string, args ...any) any {
	t.Helper()
	var v any
	err := w.open(context.Background(), func(ctx context.Context, db *sandbox.DB) error {
		res, err := db.Query(ctx, q, args...)
		if err == nil {
			v = res.Values[0][0]
		}
		return err
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// TestTrip walks the airline story: the balance comes from the database,
// then the cache; a search reads the schedule cache-aside and the seats
// live; booking a flight debits the miles, forgets the cached balance and
// queues the email; a flight the miles do not pay for is refused and its
// seat hold released.
func TestTrip(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	const alice = 1
	want := sandbox.AsInt(w.scalar(t, "SELECT miles FROM members WHERE id = ?", alice))
	for i, source := range []string{SourceDatabase, SourceCache} {
		b, err := w.app.Miles(ctx, w.cache, w.open, alice)
		if err != nil {
			t.Fatal(err)
		}
		if b.Source != source || b.Member.Miles != want || b.Member.Name != "Alice Martin" || b.CacheKey != "miles:member:1" || b.TTL != 60 {
			t.Errorf("read %d: %+v, want %d miles from the %s", i+1, b, want, source)
		}
	}
	if _, err := w.app.Miles(ctx, w.cache, w.open, 99999); !errors.Is(err, ErrUnknownMember) {
		t.Errorf("Miles(unknown member) = %v, want ErrUnknownMember", err)
	}

	var s TripSearch
	for i, source := range []string{SourceDatabase, SourceCache} {
		var err error
		if s, err = w.app.SearchTrips(ctx, w.cache, w.open, w.visitor, "LIS-FRA"); err != nil {
			t.Fatal(err)
		}
		if s.ScheduleSource != source || len(s.Flights) != tripLimit || s.Unanswered != 0 || s.CacheKey != "schedule:LIS-FRA" {
			t.Fatalf("search %d: %+v, want %d flights, schedule from the %s, every seat count answered", i+1, s, tripLimit, source)
		}
	}
	if f := s.Flights[0]; f.ID != 622 || f.FlightNo != "ER181" || f.MilesPrice != 6000 || f.DepartsAt != "2026-04-15 22:15" {
		t.Errorf("first flight = %+v", f)
	}
	if _, err := w.app.SearchTrips(ctx, w.cache, w.open, w.visitor, "LISBON"); err == nil {
		t.Error("a route that is not like LIS-FRA was searched")
	}

	var flight TripFlight
	for _, f := range s.Flights {
		if f.SeatsFree > 0 {
			flight = f
			break
		}
	}
	if flight.ID == 0 {
		t.Fatalf("no flight of %+v has a free seat", s.Flights)
	}
	trip, err := w.app.BookTrip(ctx, w.cache, w.open, w.queue, w.visitor, alice, flight.ID)
	if err != nil {
		t.Fatal(err)
	}
	if trip.MilesPaid != flight.MilesPrice || trip.BalanceAfter != want-flight.MilesPrice || trip.JobID == 0 || trip.HoldID == "" {
		t.Errorf("trip = %+v, want %d miles paid and a job queued", trip, flight.MilesPrice)
	}
	if _, hit, _ := w.cache.Get(ctx, MilesKey(alice)); hit {
		t.Error("the cached balance outlived the booking")
	}
	if b, _ := w.app.Miles(ctx, w.cache, w.open, alice); b.Source != SourceDatabase || b.Member.Miles != trip.BalanceAfter {
		t.Errorf("balance after booking = %+v, want %d from the database", b, trip.BalanceAfter)
	}

	// Singapore to Sydney costs more miles than are left: refused, the
	// seat hold released, nothing taken.
	long, err := w.app.SearchTrips(ctx, w.cache, w.open, w.visitor, "SIN-SYD")
	if err != nil {
		t.Fatal(err)
	}
	var far int64
	for _, f := range long.Flights {
		if f.SeatsFree > 0 {
			far = f.ID
			break
		}
	}
	_, err = w.app.BookTrip(ctx, w.cache, w.open, w.queue, w.visitor, alice, far)
	var be *integrations.BookingError
	if !errors.As(err, &be) || be.Step != integrations.StepDebit || be.Hold != upstream.HoldReleased || !errors.Is(err, airline.ErrNotEnoughMiles) {
		t.Fatalf("booking a flight the miles do not pay for: %v, want refused at the debit with the hold released", err)
	}
	if got := sandbox.AsInt(w.scalar(t, "SELECT miles FROM members WHERE id = ?", alice)); got != trip.BalanceAfter {
		t.Errorf("miles after the refusal = %d, want %d", got, trip.BalanceAfter)
	}
}

// TestShop walks the shop story: the catalog from the database, then the
// cache; the cart keeps ids and quantities and is priced from the
// database; checking out pays, queues the email and forgets the catalog,
// whose stock changed.
func TestShop(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i, source := range []string{SourceDatabase, SourceCache} {
		c, err := w.app.Catalog(ctx, w.cache, w.open)
		if err != nil {
			t.Fatal(err)
		}
		if c.Source != source || len(c.Products) != CatalogSize || c.Products[0].Name != "Brass Fountain Pen (large)" {
			t.Errorf("catalog %d: source %s, %d products, want %d from the %s", i+1, c.Source, len(c.Products), CatalogSize, source)
		}
	}

	var cart Cart
	cart, v, err := w.app.UpdateCart(ctx, w.open, cart, 1, 2)
	if err != nil {
		t.Fatal(err)
	}
	cart, v, err = w.app.UpdateCart(ctx, w.open, cart, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Items) != 2 || v.TotalCents != 2*4999+8099 || v.Items[0].SubtotalCents != 9998 || v.Items[0].Short {
		t.Errorf("cart = %+v, want 2 pens and headphones, $180.97", v)
	}
	// Asking for more than the stock is allowed in the cart and marked;
	// the checkout's transaction is what refuses it.
	if _, v, _ := w.app.UpdateCart(ctx, w.open, cart, 8, 5); !v.Items[2].Short {
		t.Errorf("5 of a product with 1 in stock is not marked short: %+v", v.Items[2])
	}
	if _, _, err := w.app.UpdateCart(ctx, w.open, cart, 99999, 1); !errors.Is(err, ErrUnknownProduct) {
		t.Errorf("adding an unknown product: %v, want ErrUnknownProduct", err)
	}
	refusals := []struct {
		product, quantity int64
	}{{1, -1}, {1, 100}, {0, 1}}
	for _, r := range refusals {
		var ce *CartError
		if got, _, err := w.app.UpdateCart(ctx, w.open, cart, r.product, r.quantity); !errors.As(err, &ce) || len(got.Lines) != 2 {
			t.Errorf("UpdateCart(%d × product %d) = %v with %d lines, want a CartError and the cart unchanged", r.quantity, r.product, err, len(got.Lines))
		}
	}
	if c, v, _ := w.app.UpdateCart(ctx, w.open, cart, 4, 0); len(c.Lines) != 1 || v.TotalCents != 9998 {
		t.Errorf("taking the headphones out: %+v %+v", c, v)
	}

	in := integrations.CheckoutInput{CustomerID: 1, Lines: cart.Lines, Card: upstream.CardSuccess,
		Address: integrations.Address{Name: "Julia Lee", Street: "Karl Johans gate 1", City: "Oslo", Postcode: "0154", Country: "NO"}}
	r, err := w.app.CheckOut(ctx, w.cache, w.open, w.queue, w.visitor, in)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != integrations.CheckoutPaid || r.TotalCents != 18097 || r.JobID == 0 {
		t.Errorf("receipt = %+v, want paid, $180.97, the email queued", r)
	}
	if _, hit, _ := w.cache.Get(ctx, CatalogKey); hit {
		t.Error("the cached catalog outlived the checkout that took stock")
	}
	if c, _ := w.app.Catalog(ctx, w.cache, w.open); c.Products[0].Stock != 141 {
		t.Errorf("pen stock after checkout = %d, want 141", c.Products[0].Stock)
	}
	if n := sandbox.AsString(w.scalar(t, "SELECT status FROM orders WHERE id = ?", r.OrderID)); n != shop.StatusPaid {
		t.Errorf("order status = %q", n)
	}
}
