package web

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/engineroom/engineroom/playground/integrations"
	"github.com/engineroom/engineroom/playground/shop"
	"github.com/engineroom/engineroom/playground/stories"
	"github.com/engineroom/engineroom/web/view"
)

// The shop story's lesson, the session keys its steps share, and the
// customer the shopper checks out as.
const (
	shopLesson      = "shop-story"
	cartKey         = "cart"
	pendingOrderKey = "pending_order"
	shopCustomer    = 1
)

// gatewayChoices are the payment gateway's fault switches as the
// checkout step offers them.
func gatewayChoices() faultChoices {
	return faultChoices{
		{"working", integrations.Faults{}},
		{"down (every call fails)", integrations.Faults{ErrorRate: 1}},
		{"slow (answers after 1.2 s)", integrations.Faults{LatencyMS: 1200}},
	}
}

// demoShopCatalog is the shop story's first step: the catalog page,
// cache-aside.
func (s *Server) demoShopCatalog() *demo {
	return &demo{
		ID: "shop-catalog", Title: "1. Browse the catalog", Lesson: shopLesson,
		Description: "The shop's front page: the first products, with prices and stock. Run it twice.",
		Button:      "Open the shop",
		Wide:        true,
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			c, err := s.stories.Catalog(ctx, s.cache.For(in.Visitor), s.openSandbox(in))
			if err != nil {
				return demoOutput{}, err
			}
			o := view.ShopCatalogOutput{Source: c.Source, Key: c.CacheKey, TTL: strconv.FormatInt(c.TTL, 10) + " s"}
			for _, p := range c.Products {
				o.Products = append(o.Products, view.ShopProduct{ID: strconv.FormatInt(p.ID, 10), Name: p.Name,
					Price: shop.Price(p.PriceCents), Stock: strconv.FormatInt(p.Stock, 10), Low: p.Stock < 5})
			}
			return demoOutput{Data: c, View: view.ShopCatalog(o)}, nil
		},
	}
}

// demoShopCart is the second step: a product into the cart, which the
// shop's session keeps.
func (s *Server) demoShopCart() *demo {
	return &demo{
		ID: "shop-cart", Title: "2. Fill the cart", Lesson: shopLesson,
		Description: "Put products in the cart by their id from the catalog. The cart lives in your session, no login needed.",
		Button:      "Update the cart",
		Wide:        true,
		Params: []param{
			{Name: "product", Label: "Product id", Kind: "number", Default: "1", Min: 1, Max: 1_000_000},
			{Name: "quantity", Label: "Quantity", Kind: "number", Default: "2", Min: 0, Max: integrations.MaxCheckoutQuantity,
				Hint: "0 takes the product out of the cart."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var o view.ShopCartOutput
			var cv stories.CartView
			set, err := s.withCookieSession(ctx, in.Request, shopCookie, in.Visitor, func(ctx context.Context, sc sessionCall) error {
				var cart stories.Cart
				sc.Session.Value(cartKey, &cart)
				next, v, err := s.stories.UpdateCart(ctx, sc.opener(), cart, int64(in.Int("product")), int64(in.Int("quantity")))
				var ce *stories.CartError
				switch {
				case errors.Is(err, stories.ErrUnknownProduct):
					o.Problem = "There is no product " + in.Params["product"] + ": the catalog shows each product's id."
				case errors.As(err, &ce):
					o.Problem = capitalize(ce.Reason) + "."
				case err != nil:
					return err
				}
				cv = v
				b, _ := json.Marshal(next)
				o.Stored = string(b)
				return sc.Session.SetValue(cartKey, next)
			})
			if err != nil {
				return demoOutput{}, err
			}
			if set != nil {
				o.Cookie = cookieView(set).SetCookie
			}
			o.Lines, o.Total = cartLines(cv), shop.Price(cv.TotalCents)
			return demoOutput{Data: cv, View: view.ShopCart(o)}, nil
		},
	}
}

// cartLines are the cart's lines as the front end pane shows them.
func cartLines(v stories.CartView) []view.ShopCartLine {
	var out []view.ShopCartLine
	for _, it := range v.Items {
		l := view.ShopCartLine{ID: strconv.FormatInt(it.Product.ID, 10), Name: it.Product.Name, Quantity: strconv.FormatInt(it.Quantity, 10),
			Price: shop.Price(it.Product.PriceCents), Subtotal: shop.Price(it.SubtotalCents)}
		if it.Short {
			l.Short = "Only " + strconv.FormatInt(it.Product.Stock, 10) + " in stock: the checkout will refuse this line."
		}
		out = append(out, l)
	}
	return out
}

// demoShopCheckout is the third step: the cart becomes a paid order, with
// the payment gateway and the email service set working, slow or down.
func (s *Server) demoShopCheckout() *demo {
	return &demo{
		ID: "shop-checkout", Title: "3. Check out", Lesson: shopLesson,
		Description: "You check out as the shop's customer #1, Julia Lee. The two switches set your own payment gateway and email service first.",
		Button:      "Pay now",
		Wide:        true,
		Params: []param{
			{Name: "name", Label: "Name", Kind: "text", Default: "Julia Lee", MaxLen: 120},
			{Name: "street", Label: "Street", Kind: "text", Default: "Karl Johans gate 1", MaxLen: 220},
			{Name: "city", Label: "City", Kind: "text", Default: "Oslo", MaxLen: 120},
			{Name: "postcode", Label: "Postcode", Kind: "text", Default: "0154", MaxLen: 20},
			{Name: "country", Label: "Country (two letters)", Kind: "text", Default: "NO", MaxLen: 10},
			{Name: "card", Label: "Card", Kind: "select", Options: testCards, Default: testCards[0]},
			{Name: "gateway", Label: "Payment gateway", Kind: "select", Options: gatewayChoices().labels(), Default: gatewayChoices()[0].Label,
				Hint: "Sets your payment gateway's fault switches. They affect only you."},
			{Name: "email", Label: "Email service", Kind: "select", Options: emailChoices().labels(), Default: emailChoices()[0].Label},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			q, err := s.third.queue(ctx)
			if err != nil {
				return demoOutput{}, err
			}
			var o view.ShopCheckoutOutput
			var cart stories.Cart
			var pending int64
			// The session is read, then written, in two short visits: the
			// payment in between may take seconds, and a held sandbox holds
			// one of the server's few query slots.
			if _, err := s.withCookieSession(ctx, in.Request, shopCookie, in.Visitor, func(_ context.Context, sc sessionCall) error {
				sc.Session.Value(cartKey, &cart)
				sc.Session.Value(pendingOrderKey, &pending)
				return nil
			}); err != nil {
				return demoOutput{}, err
			}
			if len(cart.Lines) == 0 && pending == 0 {
				o.Empty = "Your cart is empty: put something in it in step 2 first."
				return demoOutput{Data: map[string]string{"error": o.Empty}, View: view.ShopCheckout(o)}, nil
			}
			if _, err := s.third.app.SetFaults(ctx, in.Visitor, integrations.PaymentsService, gatewayChoices().of(in.Params["gateway"])); err != nil {
				return demoOutput{}, err
			}
			if _, err := s.third.app.SetFaults(ctx, in.Visitor, integrations.EmailService, emailChoices().of(in.Params["email"])); err != nil {
				return demoOutput{}, err
			}
			r, err := s.stories.CheckOut(ctx, s.cache.For(in.Visitor), s.openSandbox(in), q, in.Visitor, integrations.CheckoutInput{
				CustomerID: shopCustomer, Lines: cart.Lines, OrderID: pending, Card: cardNumber(in.Params["card"]),
				Address: integrations.Address{Name: in.Params["name"], Street: in.Params["street"], City: in.Params["city"],
					Postcode: in.Params["postcode"], Country: in.Params["country"]},
			})
			data := checkoutData{Receipt: r}
			// What the session keeps afterwards: nil removes a key.
			keep := map[string]any{}
			var fe *integrations.CheckoutErrors
			var ce *integrations.CheckoutError
			switch {
			case errors.As(err, &fe):
				for _, f := range fe.Fields {
					o.Fields = append(o.Fields, view.FieldProblem{Field: f.Field, Message: f.Message})
				}
				data.Fields = fe.Fields
			case errors.As(err, &ce):
				f := outcomeOf(ce.Outcome)
				o.Failure, o.Order = &f, orderFate(ce)
				data.FailedStep, data.Outcome = ce.Step, &ce.Outcome
				keep[pendingOrderKey] = nil
				if ce.Status == integrations.CheckoutPaymentPending {
					keep[pendingOrderKey] = ce.OrderID
				}
			case err != nil:
				return demoOutput{}, err
			default:
				o.Receipt = receiptView(r)
				keep[pendingOrderKey], keep[cartKey] = nil, nil
				if r.JobID != 0 {
					o.Mailbox = pendingMailbox(r.JobID)
					keep[lastJobKey] = r.JobID
				}
			}
			if len(keep) > 0 {
				if _, err := s.withCookieSession(ctx, in.Request, shopCookie, in.Visitor, func(_ context.Context, sc sessionCall) error {
					for k, v := range keep {
						if err := sc.Session.SetValue(k, v); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					return demoOutput{}, err
				}
			}
			o.Faults = s.activeFaults(in.Visitor)
			return demoOutput{Data: data, View: view.ShopCheckout(o)}, nil
		},
	}
}

// checkoutData is the checkout step's JSON twin.
type checkoutData struct {
	Receipt    integrations.Receipt         `json:"receipt"`
	Fields     []integrations.CheckoutField `json:"fields,omitempty"`
	FailedStep string                       `json:"failed_step,omitempty"`
	Outcome    *integrations.Outcome        `json:"outcome,omitempty"`
}

// orderFate adds to a failed checkout's outcome, which says what became
// of the order, what became of the cart.
func orderFate(ce *integrations.CheckoutError) string {
	if ce.Status == integrations.CheckoutPaymentPending {
		return "Your cart is kept; Pay now retries order #" + strconv.FormatInt(ce.OrderID, 10) + "."
	}
	return "Your cart is kept."
}

// receiptView is a paid order as the shopper sees it.
func receiptView(r integrations.Receipt) *view.ShopReceipt {
	v := &view.ShopReceipt{OrderID: strconv.FormatInt(r.OrderID, 10), Total: r.Total, Card: "•••• " + r.CardLast4,
		Payment: r.PaymentID, Key: r.IdempotencyKey, Replayed: r.Replayed, EmailTo: r.EmailTo, Notice: r.Notice,
		ShipTo: r.ShipTo.Name + ", " + r.ShipTo.Street + ", " + r.ShipTo.Postcode + " " + r.ShipTo.City + ", " + r.ShipTo.Country}
	if r.JobID != 0 {
		v.JobID = strconv.FormatInt(r.JobID, 10)
	}
	for _, l := range r.Lines {
		v.Lines = append(v.Lines, view.ShopCartLine{ID: strconv.FormatInt(l.ProductID, 10), Name: l.Name,
			Quantity: strconv.FormatInt(l.Quantity, 10), Price: shop.Price(l.UnitPriceCents), Subtotal: shop.Price(l.UnitPriceCents * l.Quantity)})
	}
	return v
}
