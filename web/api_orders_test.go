package web_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/web"
)

type apiProduct struct {
	ID         int64  `json:"id"`
	SKU        string `json:"sku"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	PriceCents int64  `json:"price_cents"`
	Stock      int64  `json:"stock"`
}

type apiOrderItem struct {
	ProductID      int64  `json:"product_id"`
	Name           string `json:"name"`
	Quantity       int64  `json:"quantity"`
	UnitPriceCents int64  `json:"unit_price_cents"`
}

type apiOrder struct {
	ID         int64          `json:"id"`
	CustomerID int64          `json:"customer_id"`
	Status     string         `json:"status"`
	TotalCents int64          `json:"total_cents"`
	CreatedAt  string         `json:"created_at"`
	Items      []apiOrderItem `json:"items"`
}

func product(t *testing.T, c *client, id int64) apiProduct {
	t.Helper()
	var p apiProduct
	decodeJSON(t, c.get("/api/v1/products/"+strconv.FormatInt(id, 10), nil), &p)
	return p
}

// TestAPIPlaceOrder places an order through the API: the stock goes down,
// the order and its items are stored at today's prices, and the products
// are read with one query, not one per line.
func TestAPIPlaceOrder(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	p5, p7 := product(t, c, 5), product(t, c, 7)
	r := c.postJSON("/api/v1/orders", `{"customer_id": 3, "items": [{"product_id": 7, "quantity": 3}, {"product_id": 5, "quantity": 2}]}`, nil)
	if r.StatusCode != http.StatusCreated {
		t.Fatalf("status %d: %s", r.StatusCode, r.text)
	}
	var o apiOrder
	decodeJSON(t, r, &o)
	if r.Header.Get("Location") != "/api/v1/orders/"+strconv.FormatInt(o.ID, 10) {
		t.Errorf("Location = %q for order %d", r.Header.Get("Location"), o.ID)
	}
	want := []apiOrderItem{{5, p5.Name, 2, p5.PriceCents}, {7, p7.Name, 3, p7.PriceCents}}
	if o.CustomerID != 3 || o.Status != "cart" || o.TotalCents != 2*p5.PriceCents+3*p7.PriceCents || o.CreatedAt == "" ||
		len(o.Items) != 2 || o.Items[0] != want[0] || o.Items[1] != want[1] {
		t.Errorf("order = %+v, want items %+v", o, want)
	}
	if got := product(t, c, 5).Stock; got != p5.Stock-2 {
		t.Errorf("stock of 5 = %d, want %d", got, p5.Stock-2)
	}
	if got := product(t, c, 7).Stock; got != p7.Stock-3 {
		t.Errorf("stock of 7 = %d, want %d", got, p7.Stock-3)
	}
	if shown := c.get(r.Header.Get("Location"), nil); shown.StatusCode != http.StatusOK || shown.text != r.text {
		t.Errorf("GET Location: status %d, body\n%s\nwant\n%s", shown.StatusCode, shown.text, r.text)
	}
	got := sqlTexts(storedTrace(t, c, r))
	want2 := []string{
		"BEGIN IMMEDIATE",
		"SELECT count(*) FROM customers WHERE id = ?",
		"SELECT id, sku, name, category, price_cents, stock FROM products WHERE id IN (?, ?)",
		"INSERT INTO orders (customer_id, status, total_cents, created_at)",
		"UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?",
		"UPDATE products SET stock = stock - ? WHERE id = ? AND stock >= ?",
		"INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)",
		"COMMIT",
	}
	if strings.Join(got, "\n") != strings.Join(want2, "\n") {
		t.Errorf("SQL spans:\n%q\nwant\n%q", got, want2)
	}
}

// TestAPIOrderRefusals: every line at fault is named, and a refused order
// changes no stock.
func TestAPIOrderRefusals(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	sqlPost(t, c, "UPDATE products SET stock = 1 WHERE id IN (6, 8)", false)
	before := []int64{product(t, c, 5).Stock, product(t, c, 6).Stock, product(t, c, 8).Stock}
	r := c.postJSON("/api/v1/orders", `{"customer_id": 3, "items": [{"product_id": 6, "quantity": 2}, {"product_id": 5, "quantity": 1}, {"product_id": 8, "quantity": 5}]}`, nil)
	p := decodeProblem(t, r)
	if r.StatusCode != http.StatusConflict || p.Type != outOfStock || len(p.Errors) != 2 ||
		p.Errors[0].Field != "items[0].quantity" || !strings.HasPrefix(p.Errors[0].Message, "Only 1 of ") ||
		p.Errors[1].Field != "items[2].quantity" || !strings.HasSuffix(p.Errors[1].Message, "the line asks for 5.") {
		t.Errorf("status %d, problem %+v", r.StatusCode, p)
	}
	after := []int64{product(t, c, 5).Stock, product(t, c, 6).Stock, product(t, c, 8).Stock}
	if after[0] != before[0] || after[1] != before[1] || after[2] != before[2] {
		t.Errorf("stock %v after a refused order, want %v", after, before)
	}
}

// TestAPIProductPages follows the Link header through a category.
func TestAPIProductPages(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	c := newClient(t, srv)
	want := sqlScalar(t, c, "SELECT group_concat(id) FROM (SELECT id FROM products WHERE category = 'audio' ORDER BY id)")
	link := regexp.MustCompile(`^<(/api/v1/products\?[^>]+)>; rel="next"$`)
	var got []string
	for next := "/api/v1/products?category=audio&limit=9"; next != ""; {
		r := c.get(next, nil)
		var page struct {
			Products   []apiProduct `json:"products"`
			NextCursor *string      `json:"next_cursor"`
		}
		decodeJSON(t, r, &page)
		for _, p := range page.Products {
			if p.Category != "audio" {
				t.Errorf("product %+v in the audio list", p)
			}
			got = append(got, strconv.FormatInt(p.ID, 10))
		}
		next = ""
		if m := link.FindStringSubmatch(r.Header.Get("Link")); m != nil {
			next = m[1]
		} else if page.NextCursor != nil {
			t.Fatalf("next_cursor %q without a Link", *page.NextCursor)
		}
	}
	if strings.Join(got, ",") != want {
		t.Errorf("paged %v, want %s", got, want)
	}
}
