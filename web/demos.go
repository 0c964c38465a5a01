package web

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
)

// demo is one live panel: its stable id, the lesson it belongs to, the
// parameters it takes and the code it runs.
type demo struct {
	ID          string
	Title       string
	Lesson      string
	Description string
	Button      string
	Params      []param
	Run         func(ctx context.Context, in demoInput) (demoOutput, error)
	// SQLTools adds the console's Reset and Download buttons to the panel.
	SQLTools bool
	// Wide gives the front end pane more room than the back end pane, for
	// outputs such as tables.
	Wide bool
	// Permalink, when set, is the address that reopens a run's input in
	// its own page (the SQL console keeps the query in the URL).
	Permalink func(params map[string]string) string
}

// param describes one demo parameter: how to ask for it and what values
// are allowed.
type param struct {
	Name    string
	Label   string
	Kind    string // text, number, select, textarea, checkbox
	Default string
	Hint    string
	Options []string
	Min     int
	Max     int
	MaxLen  int
	// Browser hints for a text field: the form asks the browser to check
	// them before it sends (minlength, pattern, required) and how to show
	// the value (InputType "password" hides it; "" is text). They are
	// hints, not rules: validate does not enforce them, so the demo's own
	// code shows what the server checks.
	MinLen    int
	Pattern   string
	Required  bool
	InputType string
}

// demoInput is what a demo run gets: its validated parameters, the
// visitor, and the request that asked for it.
type demoInput struct {
	Params  map[string]string
	Visitor string
	Request echo.Context
}

// Int returns a number parameter (already validated).
func (in demoInput) Int(name string) int {
	n, _ := strconv.Atoi(in.Params[name])
	return n
}

// demoOutput is what a run produced: Data for the JSON twin and View for
// the front end pane.
type demoOutput struct {
	Data any
	View templ.Component
}

// demoRegistry holds every demo by id, in registration order.
type demoRegistry struct {
	byID  map[string]*demo
	order []*demo
}

func newDemoRegistry(demos ...*demo) *demoRegistry {
	r := &demoRegistry{byID: make(map[string]*demo)}
	for _, d := range demos {
		if _, dup := r.byID[d.ID]; dup {
			panic("web: demo id registered twice: " + d.ID)
		}
		r.byID[d.ID] = d
		r.order = append(r.order, d)
	}
	return r
}

func (r *demoRegistry) get(id string) (*demo, bool) {
	d, ok := r.byID[id]
	return d, ok
}

// newDemoRegistry lists every demo the lessons can place.
func (s *Server) newDemoRegistry() *demoRegistry {
	return newDemoRegistry(
		s.demoBackendTour(),
		s.demoRequestEcho(),
		s.demoSlowStep(),
		s.demoRouteTable(),
		s.demoMiddlewareChain(),
		s.demoHandlerPanic(),
		s.demoHandlerTimeout(),
		s.sqlDemo("sql", "", "SQL console",
			"Your own copy of the demo database: the airline's flights, members and bookings, the shop's products and orders.",
			"SELECT flight_no, origin, destination, departs_at, miles_price\nFROM flights\nWHERE origin = 'LHR'\nORDER BY departs_at\nLIMIT 10;"),
		s.sqlDemo("sql-select", "sql-basics", "Ask the flights table",
			"Which flights leave London Heathrow first? Edit the query and run it again.",
			"SELECT flight_no, origin, destination, departs_at\nFROM flights\nWHERE origin = 'LHR'\nORDER BY departs_at\nLIMIT 10;"),
		s.demoIndexPlan(),
		s.demoNPlusOne(),
		s.demoDoubleBooking(),
		s.demoSQLInjection(),
		s.demoDocsRead(),
		s.demoDocsFilter(),
		s.demoDocsUpdate(),
		s.demoCacheAside(),
		s.demoCacheInvalidation(),
		s.demoStampede(),
		s.demoCacheFill(),
		s.demoHTTPCache(),
		s.demoAPIExplorer(),
		s.demoAPIErrors(),
		s.demoAPIContract(),
		s.demoTakePayment(),
		s.demoFaultSwitches(),
		s.demoCircuitBreaker(),
		s.demoLoadBalance(),
		s.demoLBHealth(),
		s.demoForwardedHeaders(),
		s.demoStickySessions(),
		s.demoEventFanout(),
		s.demoEventRetries(),
		s.demoEventIdempotency(),
		s.demoReadReplica(),
		s.demoSharding(),
		s.demoBackPressure(),
		s.demoRealtimeFeed(),
		s.demoRealtimeCompare(),
		s.demoEmailJob(),
		s.demoWebhook(),
		s.demoJWTLogin(),
		s.demoPasswordHashing(),
		s.demoSession(),
		s.demoSecurityHeaders(),
		s.demoFieldEncryption(),
		s.demoXSSReview(),
		s.demoIDOR(),
		s.demoCSRF(),
		s.demoRunningConfig(),
		s.demoHealthCheck(),
		s.demoServerLogs(),
		s.demoServerMetrics(),
		s.demoSignupForm(),
		s.demoSignupJSON(),
		s.demoBruteForce(),
		s.demoHandlerTest(),
		s.demoSlowQueryHunt(),
		s.demoBuildInfo(),
		s.demoTripLogIn(),
		s.demoTripMiles(),
		s.demoTripSearch(),
		s.demoTripBook(),
		s.demoStoryMail("trip-email", tripLesson, sessionCookie, "No booking yet: book a flight in step 4 first. The mailbox below is everything you have received."),
		s.demoShopCatalog(),
		s.demoShopCart(),
		s.demoShopCheckout(),
		s.demoStoryMail("shop-email", shopLesson, shopCookie, "No order yet: check out in step 3 first. The mailbox below is everything you have received."),
		s.sqlDemo("sql-write", "writing-data-and-constraints", "Write, and be refused",
			"A new member joins, spends some miles, then a bug tries to make the balance negative.",
			"INSERT INTO members (name, email, tier, miles, joined_on)\nVALUES ('Grace Hopper', 'grace@example.com', 'gold', 1000, '2026-11-21');\n\nUPDATE members SET miles = miles - 400 WHERE email = 'grace@example.com';\n\nSELECT id, name, tier, miles FROM members WHERE email = 'grace@example.com';\n\nUPDATE members SET miles = -5 WHERE email = 'grace@example.com';"),
	)
}

// paramError is a parameter a visitor got wrong; it becomes a 400.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

// validate checks raw values against the demo's parameters, filling in
// defaults, and returns the clean set. Unknown names are refused so typos
// in scripted calls do not pass silently.
func (d *demo) validate(raw map[string]string) (map[string]string, error) {
	out := make(map[string]string, len(d.Params))
	for name := range raw {
		if !slices.ContainsFunc(d.Params, func(p param) bool { return p.Name == name }) {
			return nil, &paramError{fmt.Sprintf("unknown parameter %q (this demo takes %s)", name, d.paramNames())}
		}
	}
	for _, p := range d.Params {
		v, ok := raw[p.Name]
		if !ok {
			v = p.Default
		}
		if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
			return nil, &paramError{fmt.Sprintf("%s: must be valid UTF-8 text without NUL bytes", p.Name)}
		}
		switch p.Kind {
		case "number":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return nil, &paramError{fmt.Sprintf("%s: %q is not a whole number", p.Name, v)}
			}
			if n < p.Min || n > p.Max {
				return nil, &paramError{fmt.Sprintf("%s: must be between %d and %d", p.Name, p.Min, p.Max)}
			}
			v = strconv.Itoa(n)
		case "checkbox":
			switch strings.ToLower(v) {
			case "on", "true", "1", "yes":
				v = "on"
			case "", "off", "false", "0", "no":
				v = "off"
			default:
				return nil, &paramError{fmt.Sprintf("%s: must be on or off", p.Name)}
			}
		case "select":
			if !slices.Contains(p.Options, v) {
				return nil, &paramError{fmt.Sprintf("%s: must be one of %s", p.Name, strings.Join(p.Options, ", "))}
			}
		default:
			if p.MaxLen > 0 && utf8.RuneCountInString(v) > p.MaxLen {
				return nil, &paramError{fmt.Sprintf("%s: at most %d characters", p.Name, p.MaxLen)}
			}
		}
		out[p.Name] = v
	}
	return out, nil
}

func (d *demo) paramNames() string {
	if len(d.Params) == 0 {
		return "no parameters"
	}
	names := make([]string, len(d.Params))
	for i, p := range d.Params {
		names[i] = strconv.Quote(p.Name)
	}
	return strings.Join(names, ", ")
}
