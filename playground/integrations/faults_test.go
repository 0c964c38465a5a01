package integrations

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/engineroom/engineroom/playground/outbound"
)

// serviceFaults reads the visitor's fault switches straight from the
// service, as the service itself holds them.
func serviceFaults(t *testing.T, baseURL, visitor string) Faults {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, baseURL+"/v1/faults", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey(visitor))
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/faults: %v", err)
	}
	defer resp.Body.Close()
	var f Faults
	if err := json.NewDecoder(resp.Body).Decode(&f); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/faults: %s, %v", resp.Status, err)
	}
	return f
}

func TestSetFaults(t *testing.T) {
	w := newWorld(t, nil)
	urls := map[string]string{
		PaymentsService:     w.services.Gateway.URL(),
		EmailService:        w.services.Mailer.URL(),
		ReservationsService: w.services.Reservations.URL(),
	}
	// The steps run in order for one visitor; active is what
	// ActiveFaults shows after each.
	steps := []struct {
		name    string
		service string
		set     Faults
		want    Faults
		active  map[string]Faults
	}{
		{
			name: "latency on payments", service: PaymentsService,
			set: Faults{LatencyMS: 800, JitterMS: 200}, want: Faults{LatencyMS: 800, JitterMS: 200},
			active: map[string]Faults{PaymentsService: {LatencyMS: 800, JitterMS: 200}},
		},
		{
			name: "email beyond the bounds is clamped", service: EmailService,
			set:  Faults{LatencyMS: 99_999, JitterMS: 99_999, ErrorRate: 7, Hang: true, Malformed: true},
			want: Faults{LatencyMS: 5000, JitterMS: 2000, ErrorRate: 1, Hang: true, Malformed: true},
			active: map[string]Faults{
				PaymentsService: {LatencyMS: 800, JitterMS: 200},
				EmailService:    {LatencyMS: 5000, JitterMS: 2000, ErrorRate: 1, Hang: true, Malformed: true},
			},
		},
		{
			name: "reservations", service: ReservationsService,
			set: Faults{ErrorRate: 0.25}, want: Faults{ErrorRate: 0.25},
			active: map[string]Faults{
				PaymentsService:     {LatencyMS: 800, JitterMS: 200},
				EmailService:        {LatencyMS: 5000, JitterMS: 2000, ErrorRate: 1, Hang: true, Malformed: true},
				ReservationsService: {ErrorRate: 0.25},
			},
		},
		{
			name: "payments replaced", service: PaymentsService,
			set: Faults{Malformed: true}, want: Faults{Malformed: true},
			active: map[string]Faults{
				PaymentsService:     {Malformed: true},
				EmailService:        {LatencyMS: 5000, JitterMS: 2000, ErrorRate: 1, Hang: true, Malformed: true},
				ReservationsService: {ErrorRate: 0.25},
			},
		},
		{
			name: "negative values clamp to off, which removes the service", service: EmailService,
			set: Faults{LatencyMS: -5, JitterMS: -1, ErrorRate: -0.5}, want: Faults{},
			active: map[string]Faults{PaymentsService: {Malformed: true}, ReservationsService: {ErrorRate: 0.25}},
		},
		{
			name: "payments off", service: PaymentsService,
			set: Faults{}, want: Faults{},
			active: map[string]Faults{ReservationsService: {ErrorRate: 0.25}},
		},
		{
			name: "all off", service: ReservationsService,
			set: Faults{}, want: Faults{},
			active: map[string]Faults{},
		},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			got, err := w.app.SetFaults(context.Background(), "fiona", st.service, st.set)
			if err != nil || got != st.want {
				t.Fatalf("SetFaults = %+v, %v; want %+v", got, err, st.want)
			}
			if at := serviceFaults(t, urls[st.service], "fiona"); at != st.want {
				t.Errorf("the %s holds %+v, want %+v", ServiceTitle(st.service), at, st.want)
			}
			if active := w.app.ActiveFaults("fiona"); !reflect.DeepEqual(active, st.active) {
				t.Errorf("ActiveFaults = %+v, want %+v", active, st.active)
			}
		})
	}

	t.Run("a copy", func(t *testing.T) {
		setFaults(t, w.app, "gus", PaymentsService, Faults{Hang: true})
		m := w.app.ActiveFaults("gus")
		m[EmailService] = Faults{Hang: true}
		delete(m, PaymentsService)
		if again := w.app.ActiveFaults("gus"); !reflect.DeepEqual(again, map[string]Faults{PaymentsService: {Hang: true}}) {
			t.Errorf("changing the returned map changed ActiveFaults: %v", again)
		}
	})

	t.Run("a visitor never seen", func(t *testing.T) {
		if m := w.app.ActiveFaults("nobody"); m != nil {
			t.Errorf("ActiveFaults = %v, want nil", m)
		}
	})

	t.Run("not through the services' breakers", func(t *testing.T) {
		for _, s := range Services {
			if st := w.app.Breaker(s, "fiona"); st.Requests != 0 {
				t.Errorf("switching faults went through the %s breaker: %+v", s, st)
			}
		}
	})
}

func TestSetFaultsFails(t *testing.T) {
	w := newWorld(t, nil)
	setFaults(t, w.app, "hal", EmailService, Faults{LatencyMS: 100})

	t.Run("unknown service", func(t *testing.T) {
		got, err := w.app.SetFaults(context.Background(), "hal", "weather", Faults{Hang: true})
		if got != (Faults{}) || err == nil || err.Error() != `integrations: no service called "weather"` {
			t.Errorf("SetFaults = %+v, %v", got, err)
		}
		if m := w.app.ActiveFaults("hal"); !reflect.DeepEqual(m, map[string]Faults{EmailService: {LatencyMS: 100}}) {
			t.Errorf("ActiveFaults = %v", m)
		}
	})

	t.Run("service unreachable", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		closed := "http://" + ln.Addr().String()
		ln.Close()
		app := New(Options{GatewayURL: closed, MailerURL: closed, ReservationsURL: closed})
		got, err := app.SetFaults(context.Background(), "hal", EmailService, Faults{LatencyMS: 100})
		var oe *outbound.Error
		if got != (Faults{}) || !errors.As(err, &oe) || oe.Kind != outbound.KindUnavailable ||
			!strings.HasPrefix(err.Error(), "integrations: switching faults: ") {
			t.Errorf("SetFaults = %+v, %v", got, err)
		}
		if m := app.ActiveFaults("hal"); m != nil {
			t.Errorf("ActiveFaults after a failed switch = %v, want nil", m)
		}
	})

	t.Run("refused by the service", func(t *testing.T) {
		long := strings.Repeat("v", 70) // too long for an API key
		_, err := w.app.SetFaults(context.Background(), long, PaymentsService, Faults{Hang: true})
		if code, _, field := ProblemOf(err); code != "unauthorized" || field != "Authorization" {
			t.Errorf("ProblemOf(%v) = %q, field %q", err, code, field)
		}
		if m := w.app.ActiveFaults(long); m != nil {
			t.Errorf("ActiveFaults = %v, want nil", m)
		}
	})
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		name string
		f    Faults
		want string
	}{
		{"off", Faults{}, "off"},
		{"latency", Faults{LatencyMS: 800}, "800 ms added"},
		{"latency and jitter", Faults{LatencyMS: 800, JitterMS: 200}, "800 ms ± 200 ms added"},
		{"jitter only", Faults{JitterMS: 300}, "up to 300 ms added"},
		{"errors", Faults{ErrorRate: 0.3}, "30% errors"},
		{"every error", Faults{ErrorRate: 1}, "100% errors"},
		{"hang", Faults{Hang: true}, "hangs"},
		{"malformed", Faults{Malformed: true}, "malformed answers"},
		{"all", Faults{LatencyMS: 100, JitterMS: 50, ErrorRate: 0.5, Hang: true, Malformed: true},
			"100 ms ± 50 ms added, 50% errors, hangs, malformed answers"},
		{"errors and malformed", Faults{ErrorRate: 0.05, Malformed: true}, "5% errors, malformed answers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Describe(tt.f); got != tt.want {
				t.Errorf("Describe(%+v) = %q, want %q", tt.f, got, tt.want)
			}
		})
	}
}

func TestServiceTitle(t *testing.T) {
	tests := []struct{ service, want string }{
		{PaymentsService, "payment gateway"},
		{EmailService, "email service"},
		{ReservationsService, "reservation system"},
		{"weather", "weather"},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			if got := ServiceTitle(tt.service); got != tt.want {
				t.Errorf("ServiceTitle(%q) = %q, want %q", tt.service, got, tt.want)
			}
		})
	}
	if want := []string{PaymentsService, EmailService, ReservationsService}; !reflect.DeepEqual(Services, want) {
		t.Errorf("Services = %q, want %q", Services, want)
	}
}

func TestActiveFaultsCapped(t *testing.T) {
	w := newWorld(t, func(_ *world, o *Options, _ *outbound.Options) { o.MaxVisitors = 2 })
	for _, v := range []string{"a", "b", "a", "c"} {
		setFaults(t, w.app, v, ReservationsService, Faults{LatencyMS: 10})
	}
	for v, want := range map[string]int{"a": 1, "b": 0, "c": 1} {
		if got := len(w.app.ActiveFaults(v)); got != want {
			t.Errorf("visitor %s: %d services remembered, want %d", v, got, want)
		}
	}
	// The app forgot b's switches; the service still has them.
	if f := serviceFaults(t, w.services.Reservations.URL(), "b"); f != (Faults{LatencyMS: 10}) {
		t.Errorf("the reservation system holds %+v for b", f)
	}
}
