package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// demoUsers are the accounts of the authentication lessons. Each one's
// password is its username followed by "-demo"; all but the last are linked
// to the airline member with the same position, the last is the admin.
func demoUsers() []string {
	return []string{"alice", "bob", "carol", "dave", "erin", "admin"}
}

// DemoPasswordHash is the password_hash stored for a demo user: the hex
// SHA-256 of username + "-demo".
func DemoPasswordHash(username string) string {
	sum := sha256.Sum256([]byte(username + "-demo"))
	return hex.EncodeToString(sum[:])
}

func (s *seeder) users() error {
	ub := s.batch("users", "username", "password_hash", "role", "member_id")
	names := demoUsers()
	for i, u := range names {
		var role, member any = "member", i + 1
		if i == len(names)-1 {
			role, member = "admin", nil
		}
		if err := ub.add(u, DemoPasswordHash(u), role, member); err != nil {
			return err
		}
	}
	return ub.flush()
}

type product struct{ price, stock int }

func (s *seeder) shop() error {
	first, last, cities := firstNames(), lastNames(), shopCities()
	cb := s.batch("customers", "name", "email", "city", "created_on")
	opened := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range seedCustomers {
		f, l := first[s.rng.IntN(len(first))], last[s.rng.IntN(len(last))]
		email := fmt.Sprintf("%s.%s%d@example.net", strings.ToLower(f), strings.ToLower(strings.ReplaceAll(l, " ", "")), i+1)
		created := opened.AddDate(0, 0, s.rng.IntN(1100))
		if err := cb.add(f+" "+l, email, cities[s.rng.IntN(len(cities))], created.Format(dateLayout)); err != nil {
			return err
		}
	}
	if err := cb.flush(); err != nil {
		return err
	}
	products, err := s.products()
	if err != nil {
		return err
	}
	ob := s.batch("orders", "customer_id", "status", "total_cents", "created_at")
	ib := s.batch("order_items", "order_id", "product_id", "quantity", "unit_price_cents")
	span := int(seedNow().Sub(opened).Minutes())
	for i := range seedOrders {
		// Orders are spread evenly over time, so ids grow with created_at.
		at := opened.Add(time.Duration(span/seedOrders*i+s.rng.IntN(span/seedOrders)) * time.Minute)
		age := seedNow().Sub(at)
		status := "delivered"
		switch x := s.rng.IntN(100); {
		case age < 2*24*time.Hour && x < 30:
			status = "cart"
		case age < 3*24*time.Hour:
			status = "paid"
		case age < 7*24*time.Hour:
			status = "shipped"
		case x < 4:
			status = "cancelled"
		case x < 7:
			status = "refunded"
		}
		n := 1
		switch x := s.rng.IntN(10); {
		case x < 3:
			n = 2
		case x == 3:
			n = 3 + s.rng.IntN(3)
		}
		picked := map[int]bool{}
		total := 0
		type item struct{ product, qty, unit int }
		items := make([]item, 0, n)
		for len(items) < n {
			p := s.rng.IntN(len(products))
			if picked[p] {
				continue
			}
			picked[p] = true
			it := item{p + 1, 1 + s.rng.IntN(3)*s.rng.IntN(2), products[p].price * (90 + s.rng.IntN(11)) / 100}
			total += it.qty * it.unit
			items = append(items, it)
		}
		customer := 1 + s.rng.IntN(seedCustomers)
		if err := ob.add(customer, status, total, at.Format(dateLayout)); err != nil {
			return err
		}
		for _, it := range items {
			if err := ib.add(i+1, it.product, it.qty, it.unit); err != nil {
				return err
			}
		}
	}
	if err := ob.flush(); err != nil {
		return err
	}
	return ib.flush()
}

func (s *seeder) products() ([]product, error) {
	cats := categories()
	variants := []string{"", " (small)", " (large)", " — black", " — sage", " — sand"}
	pb := s.batch("products", "sku", "name", "category", "price_cents", "stock")
	seen := map[string]bool{}
	perCategory := map[string]int{}
	var out []product
	for len(out) < seedProducts {
		c := cats[s.rng.IntN(len(cats))]
		name := c.adjectives[s.rng.IntN(len(c.adjectives))] + " " + c.nouns[s.rng.IntN(len(c.nouns))] + variants[s.rng.IntN(len(variants))]
		if seen[name] {
			continue
		}
		seen[name] = true
		perCategory[c.prefix]++
		p := product{price: c.minCents + 100*s.rng.IntN((c.maxCents-c.minCents)/100+1), stock: s.rng.IntN(201)}
		switch s.rng.IntN(12) {
		case 0:
			p.stock = 0
		case 1:
			p.stock = 1 + s.rng.IntN(3)
		}
		sku := fmt.Sprintf("%s-%04d", c.prefix, 1000+perCategory[c.prefix]*7)
		if err := pb.add(sku, name, c.name, p.price, p.stock); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, pb.flush()
}
