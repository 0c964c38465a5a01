package web_test

import (
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"github.com/engineroom/engineroom/web"
)

const securityPage = "/lessons/security-headers-and-encryption"

// headersDemoOut is the JSON twin's output of the security-headers demo.
type headersDemoOut struct {
	Target  string `json:"target"`
	Status  int    `json:"status"`
	Headers []struct {
		Name       string `json:"name"`
		Value      string `json:"value"`
		Sent       bool   `json:"sent"`
		Wanted     bool   `json:"wanted"`
		Prevents   string `json:"prevents"`
		Directives []struct {
			Name     string `json:"name"`
			Value    string `json:"value"`
			Prevents string `json:"prevents"`
		} `json:"directives"`
	} `json:"headers"`
}

func TestSecurityHeadersDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	tests := []struct {
		name     string
		prepare  func(r *http.Request)
		wantHSTS bool
		// wantWhy is in the note when HSTS was not sent.
		wantWhy string
	}{
		{name: "plain HTTP", prepare: func(*http.Request) {}, wantWhy: "came over plain HTTP"},
		{name: "TLS at a proxy", prepare: func(r *http.Request) {
			r.RemoteAddr = proxyAddr
			r.Header.Set("X-Forwarded-Proto", "https")
		}, wantHSTS: true},
		{name: "HTTPS claimed by a public peer", prepare: func(r *http.Request) { r.Header.Set("X-Forwarded-Proto", "https") }, wantWhy: "came over plain HTTP"},
		// The server's own request travels on the page's connection.
		{name: "TLS at the server", prepare: func(r *http.Request) { r.TLS = &tls.ConnectionState{HandshakeComplete: true} }, wantHSTS: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodPost, "/api/v1/demos/security-headers", strings.NewReader("{}"))
			req.Header.Set("Content-Type", "application/json")
			tt.prepare(req)
			r := newClient(t, srv).do(req)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			var run demoRunJSON
			decodeJSON(t, r, &run)
			var out headersDemoOut
			if err := json.Unmarshal(run.Output, &out); err != nil {
				t.Fatal(err)
			}
			if out.Target != securityPage || out.Status != http.StatusOK {
				t.Errorf("fetched %s (%d), want %s (200)", out.Target, out.Status, securityPage)
			}
			// Every value is the one this server really sends: the demo's
			// own answer carries the same headers.
			seen := map[string]bool{}
			for _, h := range out.Headers {
				seen[h.Name] = true
				if h.Prevents == "" {
					t.Errorf("%s: no note on what it prevents", h.Name)
				}
				switch h.Name {
				case "Server, X-Powered-By":
					if h.Sent || h.Wanted {
						t.Errorf("version banner: sent %v, wanted %v", h.Sent, h.Wanted)
					}
				case "Strict-Transport-Security":
					want := ""
					if tt.wantHSTS {
						want = r.Header.Get(h.Name)
					}
					if h.Sent != tt.wantHSTS || h.Value != want || (tt.wantHSTS && want == "") {
						t.Errorf("HSTS sent %v %q, want %v (the page's %q)", h.Sent, h.Value, tt.wantHSTS, r.Header.Get(h.Name))
					}
					if !h.Sent && !strings.Contains(h.Prevents, tt.wantWhy) {
						t.Errorf("HSTS note = %q, want %q in it", h.Prevents, tt.wantWhy)
					}
				default:
					if !h.Sent || h.Value == "" || h.Value != r.Header.Get(h.Name) {
						t.Errorf("%s = %q (sent %v), want the server's %q", h.Name, h.Value, h.Sent, r.Header.Get(h.Name))
					}
				}
				if h.Name == "Content-Security-Policy" {
					var parts []string
					for _, d := range h.Directives {
						parts = append(parts, d.Name+" "+d.Value)
						if d.Prevents == "" || strings.HasPrefix(d.Prevents, "See the") {
							t.Errorf("directive %s has no note of its own", d.Name)
						}
					}
					if got := strings.Join(parts, "; "); got != h.Value {
						t.Errorf("directives join to %q, want %q", got, h.Value)
					}
				}
			}
			for _, name := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy",
				"Cross-Origin-Opener-Policy", "Permissions-Policy", "Strict-Transport-Security", "Server, X-Powered-By"} {
				if !seen[name] {
					t.Errorf("no entry for %s", name)
				}
			}
			if n := len(assertSpans(t, run.Trace)["server"]); n != 2 {
				t.Errorf("%d server spans, want 2: the demo's and its request to this page", n)
			}
		})
	}

	t.Run("panel", func(t *testing.T) {
		r, doc := demoPanelRun(t, srv, securityPage, "security-headers", nil)
		if r.StatusCode != http.StatusOK {
			t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
		}
		text := frontText(doc)
		for _, want := range []string{"6 security headers", "on GET " + securityPage + ", 200 OK", "X-Content-Type-Options", "nosniff",
			"script-src 'self'", "frame-ancestors 'self'", "clickjacking", "can't be run as a script"} {
			if !strings.Contains(text, want) {
				t.Errorf("front end pane = %.600q, want %q in it", text, want)
			}
		}
		warn := doc.Find(".pane-front .sec-header .notice-warn")
		if warn.Length() != 1 || !strings.Contains(warn.Text(), "HSTS is sent only over HTTPS") {
			t.Errorf("HSTS warning = %q", warn.Text())
		}
		if n := doc.Find(".pane-front .sec-directives dt").Length(); n != 9 {
			t.Errorf("%d CSP directives listed, want 9", n)
		}
	})
}

// encryptionOut is the JSON twin's output of the field-encryption demo.
type encryptionOut struct {
	Typed string `json:"typed"`
	Next  string `json:"next"`
	Rows  []struct {
		MemberID  int64  `json:"member_id"`
		Member    string `json:"member"`
		Hex       string `json:"stored_hex"`
		KeyID     string `json:"key_id"`
		AAD       string `json:"associated_data"`
		HexBefore string `json:"stored_hex_before"`
		Flipped   *int   `json:"flipped_byte"`
		Opened    bool   `json:"opened"`
		Value     string `json:"decrypted"`
		Error     string `json:"error"`
	} `json:"rows"`
}

func TestEncryptionDemo(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	const number = "C01X00T47"
	plainHex := strings.ToUpper(hex.EncodeToString([]byte(number)))
	tests := []struct {
		next       string
		member     string
		wantRows   []int64
		wantOpened []bool
		// wantNotice is the front end pane's verdict.
		wantNotice string
		wantError  bool
	}{
		{next: "read it back", member: "1", wantRows: []int64{1}, wantOpened: []bool{true},
			wantNotice: "Encrypted, stored and read back."},
		{next: "copy it to another member's row", member: "41", wantRows: []int64{41, 42}, wantOpened: []bool{true, false},
			wantNotice: "Member 42's row now holds the very same bytes as member 41's", wantError: true},
		{next: "flip one byte", member: "1999", wantRows: []int64{1999}, wantOpened: []bool{false},
			wantNotice: "One bit of byte 13 of 37 changed in the database. The tag no longer matches", wantError: true},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			c := newClient(t, srv)
			r := c.postJSON("/api/v1/demos/field-encryption", `{"member": `+tt.member+`, "passport": " c01x00t47 ", "next": "`+tt.next+`"}`, nil)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("status = %d; body:\n%.1000s", r.StatusCode, r.text)
			}
			var run demoRunJSON
			decodeJSON(t, r, &run)
			var out encryptionOut
			if err := json.Unmarshal(run.Output, &out); err != nil {
				t.Fatal(err)
			}
			if out.Typed != number || out.Next != tt.next || len(out.Rows) != len(tt.wantRows) {
				t.Fatalf("output = %s", run.Output)
			}
			for i, row := range out.Rows {
				if row.MemberID != tt.wantRows[i] || row.Opened != tt.wantOpened[i] || row.KeyID != "k1" || row.Member == "" ||
					row.AAD != "travel_documents.passport_number member_id="+jsonInt(row.MemberID) {
					t.Errorf("row %d = %+v", i, row)
				}
				if row.Opened && (row.Value != number || row.Error != "") {
					t.Errorf("row %d opened to %q, %q", i, row.Value, row.Error)
				}
				// Each failure is AES-GCM's refusal to authenticate, nothing else.
				if !row.Opened && (row.Value != "" || row.Error != "vault: message authentication failed: the tag does not match") {
					t.Errorf("row %d: value %q, error %q", i, row.Value, row.Error)
				}
				if len(row.Hex) != 2*(len(number)+28) || strings.Contains(row.Hex, plainHex) {
					t.Errorf("row %d stores %s", i, row.Hex)
				}
			}
			switch tt.next {
			case "copy it to another member's row":
				// The same bytes: only the member id, the associated data, differs.
				if out.Rows[0].Hex != out.Rows[1].Hex {
					t.Errorf("copy %s != original %s", out.Rows[1].Hex, out.Rows[0].Hex)
				}
			case "flip one byte":
				before, _ := hex.DecodeString(out.Rows[0].HexBefore)
				after, _ := hex.DecodeString(out.Rows[0].Hex)
				diff := 0
				for i := range min(len(before), len(after)) {
					if before[i] != after[i] {
						diff++
						if i != 12 || before[i]^after[i] != 1 {
							t.Errorf("byte %d changed %02x -> %02x, want one bit of byte 12", i, before[i], after[i])
						}
					}
				}
				if diff != 1 || len(before) != len(after) || out.Rows[0].Flipped == nil || *out.Rows[0].Flipped != 12 {
					t.Errorf("%d bytes differ (flipped %v), want 1", diff, out.Rows[0].Flipped)
				}
			}
			// The database holds exactly what the demo showed, never the
			// plaintext, as the visitor's own SQL console sees it.
			for _, row := range out.Rows {
				q := "SELECT hex(passport_number) FROM travel_documents WHERE member_id = " + jsonInt(row.MemberID)
				if got := countRows(t, c, q); got != row.Hex {
					t.Errorf("%s = %s, the demo showed %s", q, got, row.Hex)
				}
			}
			if n := countRows(t, c, "SELECT count(*) FROM travel_documents WHERE instr(passport_number, CAST('"+number+"' AS BLOB)) > 0 OR instr(upper(hex(passport_number)), '"+plainHex+"') > 0"); n != "0" {
				t.Errorf("%s rows hold the plaintext", n)
			}
			// The trace shows the SQL with bound parameters, never the number.
			var insert bool
			for _, s := range run.Trace.Spans {
				for k, v := range s.Attributes {
					if strings.Contains(strings.ToUpper(v), number) {
						t.Errorf("span %q attribute %s holds the plaintext: %q", s.Name, k, v)
					}
				}
				if q := s.Attributes["db.query.text"]; strings.HasPrefix(q, "INSERT INTO travel_documents") && strings.Contains(q, "ON CONFLICT(member_id) DO UPDATE") {
					insert = insert || s.Attributes["db.query.parameter.0"] == tt.member && s.Attributes["db.query.parameter.2"] == "k1"
				}
			}
			if !insert {
				t.Error("no parameterised INSERT … ON CONFLICT span for the member")
			}

			_, doc := panelAs(t, c, securityPage, "field-encryption", map[string]string{"member": tt.member, "passport": number, "next": tt.next})
			text := frontText(doc)
			notice := doc.Find(".pane-front .notice-error")
			if tt.wantError != (notice.Length() == 1) {
				t.Errorf("%d .notice-error, want error %v", notice.Length(), tt.wantError)
			}
			for _, want := range []string{tt.wantNotice, "SELECT hex(passport_number) FROM travel_documents WHERE member_id"} {
				if !strings.Contains(text, want) {
					t.Errorf("front end pane = %.800q, want %q in it", text, want)
				}
			}
			if got := ddOf(doc, "The customer typed"); got != number {
				t.Errorf("The customer typed: %q, want %q", got, number)
			}
			rows := doc.Find(".pane-front .sealed-row")
			if rows.Length() != len(out.Rows) {
				t.Fatalf("%d rows shown, want %d", rows.Length(), len(out.Rows))
			}
			rows.Each(func(i int, row *goquery.Selection) {
				shown := strings.Join(strings.Fields(row.Find("dt:contains('passport_number (hex)') + dd code.hex").Text()), "")
				dd := func(label string) string {
					return strings.Join(strings.Fields(row.Find("dt:contains('"+label+"') + dd").First().Text()), " ")
				}
				want := "Refused: message authentication failed: the tag does not match"
				if tt.wantOpened[i] {
					want = number
				}
				// The panel ran again, with a new nonce: it shows what the
				// database holds now.
				stored := countRows(t, c, "SELECT hex(passport_number) FROM travel_documents WHERE member_id = "+jsonInt(out.Rows[i].MemberID))
				if dd("key_id") != "k1" || dd("Decrypted") != want || shown != stored || shown == out.Rows[i].Hex {
					t.Errorf("row %d shows key_id %q, decrypted %q, hex %q; the database holds %q, the earlier run stored %q",
						i, dd("key_id"), dd("Decrypted"), shown, stored, out.Rows[i].Hex)
				}
			})
			if tt.next == "flip one byte" && doc.Find(".pane-front code.hex mark").Length() != 1 {
				t.Error("the flipped byte is not marked")
			}
		})
	}
}

// ddOf is the text of the front end pane's first <dd> after a <dt> with label.
func ddOf(doc *goquery.Document, label string) string {
	return strings.Join(strings.Fields(doc.Find(".pane-front dt:contains('"+label+"') + dd").First().Text()), " ")
}

func jsonInt(n int64) string { b, _ := json.Marshal(n); return string(b) }

func TestEncryptionDemoRefuses(t *testing.T) {
	srv := newServer(t, web.Config{})
	sqlReady(t, srv)
	const format = "passport: a passport number is 6 to 12 letters and digits, such as C01X00T47"
	tests := []struct {
		name   string
		params map[string]string
		want   string
	}{
		{name: "too short", params: map[string]string{"passport": "12345"}, want: format},
		{name: "too long for a passport", params: map[string]string{"passport": "ABCDEFGHIJ123"}, want: format},
		{name: "dashes", params: map[string]string{"passport": "C01-X00-T47"}, want: format},
		{name: "markup", params: map[string]string{"passport": "<b>123456</b>"}, want: format},
		{name: "over the length limit", params: map[string]string{"passport": "<script>alert(1)</script>"}, want: "passport: at most 20 characters"},
		{name: "SQL", params: map[string]string{"passport": "1' OR '1'='1"}, want: format},
		{name: "not a Latin letter", params: map[string]string{"passport": "ÄBC1234"}, want: format},
		{name: "empty", params: map[string]string{"passport": ""}, want: format},
		{name: "member 0", params: map[string]string{"member": "0"}, want: "member: must be between 1 and 1999"},
		{name: "member 2000 has no next member", params: map[string]string{"member": "2000"}, want: "member: must be between 1 and 1999"},
		{name: "unknown next step", params: map[string]string{"next": "delete it"}, want: "next: must be one of read it back"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newClient(t, srv)
			body, err := json.Marshal(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			r := c.postJSON("/api/v1/demos/field-encryption", string(body), nil)
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("status = %d, want 400; body:\n%.500s", r.StatusCode, r.text)
			}
			if p := decodeProblem(t, r); !strings.Contains(p.Detail, tt.want) {
				t.Errorf("detail = %q, want %q in it", p.Detail, tt.want)
			}
			pr, doc := panelAs(t, c, securityPage, "field-encryption", tt.params)
			if pr.StatusCode != http.StatusBadRequest {
				t.Fatalf("panel status = %d, want 400", pr.StatusCode)
			}
			if got := strings.Join(strings.Fields(doc.Find(".notice-error").Text()), " "); !strings.Contains(got, tt.want) {
				t.Errorf("panel notice = %q, want %q in it", got, tt.want)
			}
			if n := countRows(t, c, "SELECT count(*) FROM travel_documents"); n != "0" {
				t.Errorf("a refused run stored %s rows", n)
			}
		})
	}
}
