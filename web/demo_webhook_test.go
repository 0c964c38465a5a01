package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/playground/upstream"
	"github.com/engineroom/engineroom/web"
)

const (
	webhookLesson = "/lessons/webhooks-and-signatures"
	webhookDemo   = "webhook-delivery"

	hookReal     = "real: capture a payment, the gateway calls us"
	hookAltered  = "forged: amount changed after signing"
	hookGuessed  = "forged: signed with a guessed secret"
	hookReplayed = "replayed: a delivery signed 10 minutes ago"
	hookTwice    = "replayed: the same delivery sent twice"
	hookUnsigned = "no signature header"
)

// webhookOut is the JSON twin's output of the webhook demo.
type webhookOut struct {
	Delivery   string              `json:"delivery"`
	Verdict    string              `json:"verdict"`
	Reason     string              `json:"reason"`
	Payment    *upstream.Payment   `json:"payment"`
	WaitedMS   float64             `json:"waited_ms"`
	Arrived    *webhookDeliveryJS  `json:"arrived"`
	Error      string              `json:"error"`
	Sent       []webhookPostJS     `json:"sent"`
	Deliveries []webhookDeliveryJS `json:"deliveries"`
}

type webhookPostJS struct {
	Method  string `json:"method"`
	URL     string `json:"url"`
	Headers []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"headers"`
	Body   string          `json:"body"`
	Status int             `json:"status"`
	Answer webhookAnswerJS `json:"answer"`
}

func (p webhookPostJS) header(name string) (string, bool) {
	for _, h := range p.Headers {
		if h.Name == name {
			return h.Value, true
		}
	}
	return "", false
}

// webhookAnswerJS is the body of the webhook endpoint's answer.
type webhookAnswerJS struct {
	Received  bool   `json:"received"`
	Duplicate bool   `json:"duplicate"`
	Event     string `json:"event"`
	Reason    string `json:"reason"`
	Error     string `json:"error"`
}

type webhookDeliveryJS struct {
	EventID     string    `json:"event_id"`
	Type        string    `json:"type"`
	PaymentID   string    `json:"payment_id"`
	AmountCents int64     `json:"amount_cents"`
	Currency    string    `json:"currency"`
	Duplicate   bool      `json:"duplicate"`
	SignedAt    time.Time `json:"signed_at"`
	ReceivedAt  time.Time `json:"received_at"`
}

func decodeStrict(t *testing.T, raw []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
}

// runWebhookJSON runs the demo's JSON twin as c's visitor.
func runWebhookJSON(t *testing.T, c *client, delivery string) (webhookOut, apiTrace) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"delivery": delivery})
	r := c.postJSON("/api/v1/demos/"+webhookDemo, string(body), nil)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d; body:\n%.2000s", delivery, r.StatusCode, r.text)
	}
	var got demoRunJSON
	decodeJSON(t, r, &got)
	var out webhookOut
	decodeStrict(t, got.Output, &out)
	return out, got.Trace
}

func TestWebhookDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		delivery string
		verdict  string
		reason   string
		statuses []int // of the requests the demo sent itself
		signed   bool  // they carried a Gateway-Signature
		headline string
		notice   string
		checks   [3]string // the check rows' states
		// checkAttrs are what the last verify webhook span says of the
		// signature, the timestamp and the event id, each a prefix.
		checkAttrs [3]string
		bodyNote   string
	}{
		{delivery: hookReal, verdict: "accepted", headline: "Accepted", notice: "Accepted. The signature matched",
			checks: [3]string{"passed", "passed", "passed"}},
		{delivery: hookAltered, verdict: "refused", reason: "signature_mismatch", statuses: []int{400}, signed: true,
			headline: "Refused", notice: "Refused: signature mismatch. We computed the HMAC-SHA256 of the timestamp and the body we received, with our secret. The body is not the one that was signed",
			checks: [3]string{"failed", "skipped", "skipped"}, checkAttrs: [3]string{"failed", "not checked", "not checked"},
			bodyNote: "amount_cents and captured_cents were changed from 1250 to 125000 after signing."},
		{delivery: hookGuessed, verdict: "refused", reason: "signature_mismatch", statuses: []int{400}, signed: true,
			headline: "Refused", notice: "Refused: signature mismatch. We computed the HMAC-SHA256 of the timestamp and the body we received, with our secret. The signature was made with another secret",
			checks: [3]string{"failed", "skipped", "skipped"}, checkAttrs: [3]string{"failed", "not checked", "not checked"}},
		{delivery: hookReplayed, verdict: "refused", reason: "stale_timestamp", statuses: []int{400}, signed: true,
			headline: "Refused", notice: "Refused: stale timestamp. The signature is genuine, but the timestamp it covers is 10 min old and we accept ±5 min",
			checks: [3]string{"passed", "failed", "skipped"}, checkAttrs: [3]string{"passed", "failed (signed 10 min", "not checked"}},
		{delivery: hookTwice, verdict: "duplicate", statuses: []int{200, 200}, signed: true,
			headline: "Ignored", notice: "Duplicate ignored. Both copies were genuine.",
			checks: [3]string{"passed", "passed", "passed"}, checkAttrs: [3]string{"passed", "passed (signed ", "yes: acknowledged, not acted on"}},
		{delivery: hookUnsigned, verdict: "refused", reason: "missing_signature", statuses: []int{400},
			headline: "Refused", notice: "Refused: missing signature header. Without Gateway-Signature a body proves nothing about who sent it. Nothing was filed.",
			checks: [3]string{"failed", "skipped", "skipped"}, checkAttrs: [3]string{"failed", "not checked", "not checked"}},
	}
	for _, tt := range tests {
		t.Run(tt.delivery, func(t *testing.T) {
			t.Run("panel", func(t *testing.T) {
				r, doc := demoPanelRun(t, srv, webhookLesson, webhookDemo, map[string]string{"delivery": tt.delivery})
				if r.StatusCode != http.StatusOK {
					t.Fatalf("status = %d; body:\n%.2000s", r.StatusCode, r.text)
				}
				out := doc.Find(".pane-front .output")
				if got := hookWords(out.Find(".big-number").Text()); !strings.HasPrefix(got, tt.headline+" ") {
					t.Errorf("headline = %q, want it to start with %q", got, tt.headline)
				}
				v := out.Find(".webhook-verdict")
				if !v.HasClass("notice-ok") || !strings.Contains(hookWords(v.Text()), tt.notice) {
					t.Errorf("verdict = %q (class %q), want a notice-ok with %q", hookWords(v.Text()), v.AttrOr("class", ""), tt.notice)
				}
				var states []string
				out.Find("table.webhook-checks tbody tr").Each(func(_ int, s *goquery.Selection) {
					states = append(states, strings.TrimPrefix(s.AttrOr("class", ""), "check-"))
				})
				if !slices.Equal(states, tt.checks[:]) {
					t.Errorf("check rows = %v, want %v", states, tt.checks)
				}
				posts := out.Find(".webhook-posts li.visit")
				if posts.Length() != len(tt.statuses) {
					t.Fatalf("%d requests shown, want %d", posts.Length(), len(tt.statuses))
				}
				posts.Each(func(i int, s *goquery.Selection) {
					if got, want := s.Find(".visit-status").Text(), fmt.Sprintf("%d %s", tt.statuses[i], http.StatusText(tt.statuses[i])); got != want {
						t.Errorf("request %d: status %q, want %q", i+1, got, want)
					}
					req := s.Find("pre.http").First().Text()
					if !strings.HasPrefix(req, "POST /webhooks/payments HTTP/1.1\n") || strings.Contains(req, "Gateway-Signature: t=") != tt.signed {
						t.Errorf("request %d = %q, want a POST with a Gateway-Signature = %v", i+1, req, tt.signed)
					}
					if s.Find("pre.chroma span").Length() == 0 || !strings.Contains(s.Find("pre.chroma").Text(), `"type": "payment.captured"`) {
						t.Errorf("request %d: the body is not shown highlighted and indented: %q", i+1, s.Find("pre.chroma").Text())
					}
					if !strings.Contains(s.Find("pre.http-response").Text(), `"received":`) {
						t.Errorf("request %d: answer = %q, want the endpoint's JSON", i+1, s.Find("pre.http-response").Text())
					}
					if note := hookWords(s.Find(".note").Text()); !strings.Contains(note, tt.bodyNote) {
						t.Errorf("request %d: note = %q, want %q", i+1, note, tt.bodyNote)
					}
				})
				if tt.delivery == hookReal && out.Find("table.webhook-arrived tr").Length() != 4 {
					t.Errorf("the real delivery is described in %d rows, want 4", out.Find("table.webhook-arrived tr").Length())
				}
				var names []string
				doc.Find(".pane-back ol.waterfall li.span .span-name").Each(func(_ int, s *goquery.Selection) {
					names = append(names, s.Text())
				})
				if n := countOf(names, "verify webhook"); n != len(tt.statuses) {
					t.Errorf("%d verify webhook spans in the panel's trace, want %d: %v", n, len(tt.statuses), names)
				}
				if errs := out.Find(".notice-error"); errs.Length() != 0 {
					t.Errorf("an error notice: %q", hookWords(errs.Text()))
				}
			})
			t.Run("api", func(t *testing.T) {
				out, tr := runWebhookJSON(t, newClient(t, srv), tt.delivery)
				if out.Delivery != tt.delivery || out.Verdict != tt.verdict || out.Reason != tt.reason || out.Error != "" {
					t.Errorf("delivery %q, verdict %q, reason %q, error %q; want %q, %q, %q, none",
						out.Delivery, out.Verdict, out.Reason, out.Error, tt.delivery, tt.verdict, tt.reason)
				}
				if len(out.Sent) != len(tt.statuses) {
					t.Fatalf("%d requests sent, want %d", len(out.Sent), len(tt.statuses))
				}
				for i, p := range out.Sent {
					sig, ok := p.header("Gateway-Signature")
					if p.Method != http.MethodPost || !strings.HasPrefix(p.URL, "http://127.0.0.1:") || !strings.HasSuffix(p.URL, "/webhooks/payments") ||
						p.Status != tt.statuses[i] || ok != tt.signed || (ok && !strings.HasPrefix(sig, "t=")) {
						t.Errorf("request %d: %s %s, signature %q (%v), status %d; want POST to the loopback webhook URL, signed %v, status %d",
							i+1, p.Method, p.URL, sig, ok, p.Status, tt.signed, tt.statuses[i])
					}
					if tp, _ := p.header("Traceparent"); !strings.Contains(tp, "-"+tr.TraceID+"-") {
						t.Errorf("request %d: traceparent %q does not name the demo's trace %s", i+1, tp, tr.TraceID)
					}
					if (p.Status == http.StatusOK) != p.Answer.Received || p.Answer.Reason != map[bool]string{true: "", false: tt.reason}[p.Answer.Received] {
						t.Errorf("request %d: answer %+v for status %d", i+1, p.Answer, p.Status)
					}
					var ev upstream.Event
					if err := json.Unmarshal([]byte(p.Body), &ev); err != nil || !strings.HasPrefix(ev.ID, "evt_") || ev.Type != "payment.captured" || ev.Data.Metadata["customer"] == "" {
						t.Errorf("request %d: body %s is not a payment.captured event about a customer (%v)", i+1, p.Body, err)
					}
				}
				byKind := assertSpans(t, tr)
				if n := len(byKind["server"]); n != 1+len(tt.statuses) {
					t.Errorf("%d server spans, want %d: the receiving requests join the demo's trace", n, 1+len(tt.statuses))
				}
				var verify []apiSpan
				for _, s := range byKind["handler"] {
					if s.Name == "verify webhook" {
						verify = append(verify, s)
					}
				}
				if len(verify) != len(tt.statuses) {
					t.Fatalf("%d verify webhook spans, want %d", len(verify), len(tt.statuses))
				}
				if len(verify) > 0 {
					last := verify[len(verify)-1]
					for i, key := range []string{"webhook.check.signature", "webhook.check.timestamp", "webhook.check.seen_before"} {
						if !strings.HasPrefix(last.Attributes[key], tt.checkAttrs[i]) {
							t.Errorf("%s = %q, want it to start with %q", key, last.Attributes[key], tt.checkAttrs[i])
						}
					}
					if want := map[bool]string{true: "error", false: "ok"}[tt.reason != ""]; last.Status != want {
						t.Errorf("verify webhook status %q, want %q", last.Status, want)
					}
					// verify webhook ← POST /webhooks/payments (server) ← POST /webhooks/payments (HTTP out)
					parent := spanByID(tr, last.ParentID)
					if parent.Kind != "server" || spanByID(tr, parent.ParentID).Kind != "http" || !strings.HasPrefix(spanByID(tr, parent.ParentID).Name, "POST /webhooks/payments") {
						t.Errorf("verify webhook sits under %q (%s) under %q; want the receiving server span under the demo's request", parent.Name, parent.Kind, spanByID(tr, parent.ParentID).Name)
					}
				}
				switch tt.delivery {
				case hookReal:
					if out.Payment == nil || out.Payment.Status != upstream.StatusCaptured || out.Payment.AmountCents != 1250 || out.Arrived == nil ||
						out.Arrived.PaymentID != out.Payment.ID || out.Arrived.Type != "payment.captured" || out.Arrived.AmountCents != 1250 || out.Arrived.Duplicate {
						t.Errorf("payment %+v, arrived %+v; want a captured €12.50 payment and its webhook", out.Payment, out.Arrived)
					}
					if out.WaitedMS < 0 || out.WaitedMS > 3000 {
						t.Errorf("waited %v ms, want at most 3000", out.WaitedMS)
					}
					if !hasSpan(tr, "wait for the gateway's webhook") || !hasSpan(tr, "take payment") {
						t.Errorf("the trace has no take payment or wait span")
					}
				case hookAltered:
					if !strings.Contains(out.Sent[0].Body, `"amount_cents":125000`) {
						t.Errorf("body %s does not carry the changed amount", out.Sent[0].Body)
					}
				case hookReplayed:
					sig, _ := out.Sent[0].header("Gateway-Signature")
					ts, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(sig, ",")[0], "t="), 10, 64)
					if age := time.Since(time.Unix(ts, 0)); age < 9*time.Minute || age > 11*time.Minute {
						t.Errorf("signed %v ago (%q), want 10 minutes", age, sig)
					}
				case hookTwice:
					first, second := out.Sent[0].Answer, out.Sent[1].Answer
					if !first.Received || first.Duplicate || !second.Received || !second.Duplicate || first.Event == "" || first.Event != second.Event {
						t.Errorf("answers %+v then %+v; want the same event received, then acknowledged as a duplicate", first, second)
					}
					if len(out.Deliveries) != 2 || out.Deliveries[0].EventID != first.Event || !out.Deliveries[0].Duplicate || out.Deliveries[1].Duplicate {
						t.Errorf("deliveries %+v; want the duplicate, newest first, then the first", out.Deliveries)
					}
				}
				if tt.verdict == "refused" && len(out.Deliveries) != 0 {
					t.Errorf("a refused delivery was filed: %+v", out.Deliveries)
				}
			})
		})
	}

	t.Run("filed for its visitor only", func(t *testing.T) {
		alice, bob := newClient(t, srv), newClient(t, srv)
		real, _ := runWebhookJSON(t, alice, hookReal)
		if real.Arrived == nil {
			t.Fatalf("no webhook arrived: %+v", real)
		}
		if len(real.Deliveries) != 1 || real.Deliveries[0].EventID != real.Arrived.EventID {
			t.Errorf("alice's deliveries %+v, want the one that arrived", real.Deliveries)
		}
		again, _ := runWebhookJSON(t, alice, hookUnsigned)
		if len(again.Deliveries) != 1 || again.Deliveries[0].EventID != real.Arrived.EventID {
			t.Errorf("alice's deliveries later %+v, want the one that arrived", again.Deliveries)
		}
		other, _ := runWebhookJSON(t, bob, hookUnsigned)
		if len(other.Deliveries) != 0 {
			t.Errorf("bob sees deliveries %+v, want none of alice's", other.Deliveries)
		}
		doc := parseHTML(t, newClient(t, srv).get(webhookLesson, nil).text)
		if doc.Find("section.demo#demo-"+webhookDemo+" select[name=delivery] option").Length() != 6 {
			t.Errorf("the panel does not offer the six deliveries")
		}
	})

	t.Run("the payment fails", func(t *testing.T) {
		c := newClient(t, srv)
		r := c.postJSON("/api/v1/demos/fault-switches", `{"service": "payments", "error_rate": 100}`, nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("switching the gateway's faults on: status %d: %.500s", r.StatusCode, r.text)
		}
		out, tr := runWebhookJSON(t, c, hookReal)
		if out.Verdict != "payment_failed" || out.Error == "" || out.Payment != nil || out.Arrived != nil || len(out.Deliveries) != 0 {
			t.Errorf("verdict %q, error %q, payment %+v, arrived %+v, deliveries %+v; want payment_failed with the error and nothing filed",
				out.Verdict, out.Error, out.Payment, out.Arrived, out.Deliveries)
		}
		if hasSpan(tr, "wait for the gateway's webhook") {
			t.Error("the demo waited for a webhook about a payment that failed")
		}
	})

	t.Run("bad parameter", func(t *testing.T) {
		r := newClient(t, srv).postJSON("/api/v1/demos/"+webhookDemo, `{"delivery": "sideways"}`, nil)
		if r.StatusCode != http.StatusBadRequest || !strings.Contains(decodeProblem(t, r).Detail, "delivery: must be one of") {
			t.Errorf("status %d, body %s; want 400 naming the deliveries", r.StatusCode, r.text)
		}
	})
}

// TestWebhookEndpoint sends the webhook endpoint what the internet might.
func TestWebhookEndpoint(t *testing.T) {
	srv := newServer(t, web.Config{})
	secret := web.WebhookSecret(srv)
	event := func(id string) string {
		b, _ := json.Marshal(upstream.Event{ID: id, Type: "payment.captured", Created: time.Now().Unix(),
			Data: upstream.Payment{ID: "pay_test", Status: upstream.StatusCaptured, AmountCents: 100, Currency: "EUR"}})
		return string(b)
	}
	sign := func(body string) string { return upstream.Sign(secret, []byte(body), time.Now()) }
	zeros := "t=" + strconv.FormatInt(time.Now().Unix(), 10) + ",v1=" + strings.Repeat("0", 64)
	big := `{"id":"evt_big","pad":"` + strings.Repeat("a", 100<<10) + `"}`
	dup := event("evt_endpoint_dup")
	tests := []struct {
		name       string
		method     string
		body       string
		sig        string
		wantStatus int
		wantReason string // "" for an accepted delivery
		wantDup    bool
	}{
		{name: "signed event", body: dup, sig: sign(dup), wantStatus: 200},
		{name: "the same event again", body: dup, sig: sign(dup), wantStatus: 200, wantDup: true},
		{name: "body over 64 KiB", body: big, sig: sign(big), wantStatus: 413, wantReason: "too_large"},
		{name: "garbage, no header", body: "\x00\xffnot json at all", wantStatus: 400, wantReason: "missing_signature"},
		{name: "empty body, no header", body: "", wantStatus: 400, wantReason: "missing_signature"},
		{name: "garbage header", body: dup, sig: "hello", wantStatus: 400, wantReason: "malformed_signature"},
		{name: "v1 not hex", body: dup, sig: "t=1,v1=zz", wantStatus: 400, wantReason: "malformed_signature"},
		{name: "wrong signature", body: dup, sig: zeros, wantStatus: 400, wantReason: "signature_mismatch"},
		{name: "signed garbage", body: "[1,2,3", sig: sign("[1,2,3"), wantStatus: 400, wantReason: "not_an_event"},
		{name: "signed, no event id", body: `{"type":"payment.captured"}`, sig: sign(`{"type":"payment.captured"}`), wantStatus: 400, wantReason: "not_an_event"},
		{name: "signed in the future", body: event("evt_future"), sig: upstream.Sign(secret, []byte(event("evt_future")), time.Now().Add(time.Hour)), wantStatus: 400, wantReason: "stale_timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := hdr("Content-Type", "application/json")
			if tt.sig != "" {
				h.Set("Gateway-Signature", tt.sig)
			}
			r := newClient(t, srv).send(http.MethodPost, "/webhooks/payments", tt.body, h)
			if r.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d; body %s", r.StatusCode, tt.wantStatus, r.text)
			}
			var a webhookAnswerJS
			decodeJSON(t, r, &a)
			if a.Received != (tt.wantReason == "") || a.Reason != tt.wantReason || a.Duplicate != tt.wantDup || (a.Received && a.Event == "") || (!a.Received && a.Error == "") {
				t.Errorf("answer %+v; want received %v, reason %q, duplicate %v", a, tt.wantReason == "", tt.wantReason, tt.wantDup)
			}
		})
	}
	t.Run("body over the server's limit", func(t *testing.T) {
		r := newClient(t, srv).send(http.MethodPost, "/webhooks/payments", strings.Repeat("a", 2<<20), hdr("Content-Type", "application/json", "Gateway-Signature", zeros))
		if r.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", r.StatusCode)
		}
	})
	t.Run("GET", func(t *testing.T) {
		if r := newClient(t, srv).get("/webhooks/payments", nil); r.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("status %d, want 405", r.StatusCode)
		}
	})
}

func hookWords(s string) string { return strings.Join(strings.Fields(s), " ") }

func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

func spanByID(tr apiTrace, id string) apiSpan {
	for _, s := range tr.Spans {
		if s.SpanID == id {
			return s
		}
	}
	return apiSpan{}
}

func hasSpan(tr apiTrace, name string) bool {
	return slices.ContainsFunc(tr.Spans, func(s apiSpan) bool { return s.Name == name })
}
