package integrations

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.opentelemetry.io/otel/attribute"
)

// CheckoutInput is what the shopper submits at the checkout.
type CheckoutInput struct {
	CustomerID int64      `json:"customer_id"`
	Lines      []CartLine `json:"lines"`
	Address    Address    `json:"address"`
	// Card is the card number (spaces and hyphens allowed); the gateway
	// knows test cards such as upstream.CardSuccess.
	Card string `json:"card_number"`
	// OrderID, when set, retries the checkout of an order whose payment
	// is pending: its stock is still set aside, so Lines are not needed
	// and not used, and the payment carries the same Idempotency-Key as
	// before, so the customer is charged at most once. Use the same card.
	OrderID int64 `json:"order_id,omitempty"`
}

// CartLine is one line of the cart.
type CartLine struct {
	ProductID int64 `json:"product_id"`
	Quantity  int64 `json:"quantity"`
}

// Address is where the order ships to.
type Address struct {
	Name     string `json:"name"`
	Street   string `json:"street"`
	City     string `json:"city"`
	Postcode string `json:"postcode"`
	// Country is an ISO 3166-1 alpha-2 code such as "NL".
	Country string `json:"country"`
}

// CheckoutField is one input the checkout refused, named as the JSON
// names it ("address.postcode", "lines[1].quantity"); the same shape as
// auth.FieldError.
type CheckoutField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// CheckoutErrors are every problem found in one checkout's input. Nothing
// was stored or charged.
type CheckoutErrors struct{ Fields []CheckoutField }

func (e *CheckoutErrors) Error() string {
	if len(e.Fields) == 1 {
		return "integrations: checkout: " + e.Fields[0].Field + ": " + e.Fields[0].Message
	}
	return fmt.Sprintf("integrations: checkout: %d fields are not right (%s: %s, …)", len(e.Fields), e.Fields[0].Field, e.Fields[0].Message)
}

func (e *CheckoutErrors) add(field, msg string) {
	e.Fields = append(e.Fields, CheckoutField{field, msg})
}

// validateCheckout checks the input and returns it tidied (trimmed, the
// card's spaces and the country's case normalised), or *CheckoutErrors
// naming every bad field.
func (a *App) validateCheckout(ctx context.Context, in CheckoutInput) (CheckoutInput, error) {
	_, span := a.tracer.Start(ctx, StepValidate)
	defer span.End()
	fe := &CheckoutErrors{}
	if in.CustomerID <= 0 {
		fe.add("customer_id", "Choose a customer.")
	}
	if in.OrderID < 0 {
		fe.add("order_id", "An order number is positive.")
	}
	if in.OrderID == 0 {
		checkCart(fe, in.Lines)
	}
	ad := &in.Address
	text := func(field string, v *string, max int) {
		*v = strings.TrimSpace(*v)
		switch n := utf8.RuneCountInString(*v); {
		case n == 0:
			fe.add("address."+field, "Required.")
		case n > max:
			fe.add("address."+field, fmt.Sprintf("At most %d characters, not %d.", max, n))
		case !utf8.ValidString(*v) || strings.IndexFunc(*v, unicode.IsControl) >= 0:
			fe.add("address."+field, "Only printable characters, on one line.")
		}
	}
	text("name", &ad.Name, 100)
	text("street", &ad.Street, 200)
	text("city", &ad.City, 100)
	ad.Postcode = strings.ToUpper(strings.TrimSpace(ad.Postcode))
	if n := len(ad.Postcode); n < 2 || n > 10 || strings.Trim(ad.Postcode, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -") != "" {
		fe.add("address.postcode", "2 to 10 letters, digits, spaces or hyphens.")
	}
	ad.Country = strings.ToUpper(strings.TrimSpace(ad.Country))
	if len(ad.Country) != 2 || strings.Trim(ad.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		fe.add("address.country", "A two-letter country code, such as NL or US.")
	}
	in.Card = strings.NewReplacer(" ", "", "-", "").Replace(in.Card)
	switch {
	case len(in.Card) < 12 || len(in.Card) > 19 || strings.Trim(in.Card, "0123456789") != "":
		fe.add("card_number", "A card number is 12 to 19 digits.")
	case !luhn(in.Card):
		fe.add("card_number", "This card number has a typo: its check digit is wrong.")
	}
	if len(fe.Fields) > 0 {
		span.SetAttributes(attribute.Int("checkout.bad_fields", len(fe.Fields)), attribute.String("checkout.first_bad_field", fe.Fields[0].Field))
		return in, fe
	}
	return in, nil
}

// checkCart checks the cart's lines.
func checkCart(fe *CheckoutErrors, lines []CartLine) {
	if len(lines) == 0 || len(lines) > MaxCheckoutLines {
		fe.add("lines", fmt.Sprintf("A cart has 1 to %d lines, not %d.", MaxCheckoutLines, len(lines)))
		return
	}
	first := make(map[int64]int, len(lines))
	for i, l := range lines {
		at := "lines[" + strconv.Itoa(i) + "]."
		if j, dup := first[l.ProductID]; dup && l.ProductID > 0 {
			fe.add(at+"product_id", fmt.Sprintf("Product %d is on line %d already.", l.ProductID, j+1))
		} else if l.ProductID <= 0 {
			fe.add(at+"product_id", "Choose a product.")
		} else {
			first[l.ProductID] = i
		}
		if l.Quantity < 1 || l.Quantity > MaxCheckoutQuantity {
			fe.add(at+"quantity", fmt.Sprintf("A quantity is 1 to %d.", MaxCheckoutQuantity))
		}
	}
}

// luhn reports whether a string of digits passes the Luhn check.
func luhn(digits string) bool {
	sum := 0
	for i := range len(digits) {
		d := int(digits[len(digits)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
