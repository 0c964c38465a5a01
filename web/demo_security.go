package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/playground/vault"
	"github.com/engineroom/engineroom/web/view"
)

// securityLesson is the lesson both security demos live on; the headers
// demo fetches its page.
const securityLesson = "security-headers-and-encryption"

// headerNotes say what each security header prevents, by name. The
// values are never written here: the demo reads them from a real answer
// (securityHeaders and hsts in middleware.go set them).
var headerNotes = map[string]string{
	"Content-Security-Policy":    "The browser loads and runs only what this policy allows, so markup an attacker slipped into a page (XSS) cannot pull in or run their script:",
	"X-Content-Type-Options":     "The browser trusts Content-Type and never guesses. A file uploaded as text can't be run as a script or shown as a page.",
	"X-Frame-Options":            "The older form of frame-ancestors, for old browsers: only this site may frame the page.",
	"Referrer-Policy":            "A link to another site sends only this site's origin, never the path or query, which may hold ids or tokens. Nothing at all from HTTPS to HTTP.",
	"Cross-Origin-Opener-Policy": "A page from another site that opens this one, or is opened by it, gets no handle on its window: no poking at it or probing it across tabs.",
	"Permissions-Policy":         "The page, and anything it embeds, cannot ask for the camera, microphone or location.",
	"Strict-Transport-Security":  "For max-age seconds this browser uses only HTTPS for this host, even for an http:// link or a typed address: nobody on café wifi can downgrade it to plain HTTP.",
}

// cspNotes say what each CSP directive prevents.
var cspNotes = map[string]string{
	"default-src":     "Anything not named below loads only from this site.",
	"script-src":      "Scripts only from this site's files. No inline <script>, no onclick=: an injected script tag does not run.",
	"style-src":       "Stylesheets only from this site; injected inline styles are ignored.",
	"img-src":         "Images from this site, or data: URLs.",
	"connect-src":     "fetch() may talk only to this site: a script that got in cannot send what it read elsewhere.",
	"form-action":     "Forms post only to this site: injected markup cannot send a login form to an attacker.",
	"base-uri":        "No <base> tag: injected markup cannot point every relative link at another site.",
	"object-src":      "No plugins (<object>, <embed>).",
	"frame-ancestors": "Only this site may show the page in a frame. Another site cannot lay it, invisible, under its own buttons to steal your clicks (clickjacking).",
}

// versionHeaders name the software a server runs; an attacker looks its
// version up in a list of known holes.
var versionHeaders = []string{"Server", "X-Powered-By"}

// headersRun is what the headers demo found, for the JSON twin.
type headersRun struct {
	Target  string       `json:"target"`
	Status  int          `json:"status"`
	Headers []headerNote `json:"headers"`
}

// headerNote is one header of the answer and what it prevents.
type headerNote struct {
	Name       string    `json:"name"`
	Value      string    `json:"value,omitempty"`
	Sent       bool      `json:"sent"`
	Wanted     bool      `json:"wanted"`
	Prevents   string    `json:"prevents"`
	Directives []cspNote `json:"directives,omitempty"`
}

// cspNote is one directive of the Content-Security-Policy.
type cspNote struct {
	Name     string `json:"name"`
	Value    string `json:"value"`
	Prevents string `json:"prevents"`
}

func (s *Server) demoSecurityHeaders() *demo {
	return &demo{
		ID: "security-headers", Title: "This response's headers", Lesson: securityLesson,
		Description: "The server requests this very page from itself and lists the security headers the answer carried.",
		Button:      "Fetch this page",
		Wide:        true,
		Run:         s.runSecurityHeaders,
	}
}

func (s *Server) runSecurityHeaders(ctx context.Context, in demoInput) (demoOutput, error) {
	c := in.Request
	target := "/lessons/" + securityLesson
	// Behind a TLS proxy the inner request says so too (see sendSelf).
	h := http.Header{"Accept": {echo.MIMETextHTML}}
	x, err := s.sendSelf(ctx, c, "GET "+target, selfRequest{Target: target, Header: h})
	if err != nil {
		return demoOutput{}, err
	}
	if x.Status != http.StatusOK {
		return demoOutput{}, echo.NewHTTPError(http.StatusBadGateway, fmt.Sprintf("GET %s answered %d %s.", target, x.Status, http.StatusText(x.Status)))
	}
	run := headersRun{Target: target, Status: x.Status}
	names := make([]string, 0, len(securityHeaders)+1)
	for _, sh := range securityHeaders {
		names = append(names, sh.key)
	}
	for _, name := range append(names, "Strict-Transport-Security") {
		n := headerNote{Name: name, Value: x.Header.Get(name), Wanted: true, Prevents: headerNotes[name]}
		n.Sent = n.Value != ""
		if name == "Content-Security-Policy" && n.Sent {
			n.Directives = cspDirectives(n.Value)
		}
		if name == "Strict-Transport-Security" && !n.Sent {
			n.Prevents = "This request came over plain HTTP, and HSTS is sent only over HTTPS: over HTTP a browser ignores it, because anyone on the network could add or remove it there. Over HTTPS this server sends it."
		}
		run.Headers = append(run.Headers, n)
	}
	banner := headerNote{Name: strings.Join(versionHeaders, ", "),
		Prevents: "Nothing names the server software or its version, which an attacker would look up in a list of known holes."}
	var found []string
	for _, name := range versionHeaders {
		if v := x.Header.Get(name); v != "" {
			found = append(found, name+": "+v)
		}
	}
	if len(found) > 0 {
		banner.Sent, banner.Value = true, strings.Join(found, ", ")
		banner.Prevents = "This names the server software: an attacker looks its version up in a list of known holes."
	}
	run.Headers = append(run.Headers, banner)
	return demoOutput{Data: run, View: view.SecurityHeaders(headersView(run))}, nil
}

// cspDirectives splits a Content-Security-Policy into its directives.
func cspDirectives(policy string) []cspNote {
	var out []cspNote
	for d := range strings.SplitSeq(policy, ";") {
		name, value, _ := strings.Cut(strings.TrimSpace(d), " ")
		if name == "" {
			continue
		}
		note, ok := cspNotes[name]
		if !ok {
			note = "See the Content-Security-Policy reference for what this directive allows."
		}
		out = append(out, cspNote{Name: name, Value: value, Prevents: note})
	}
	return out
}

// headersView shapes the headers demo's findings for the front end pane.
func headersView(run headersRun) view.SecurityHeadersOutput {
	o := view.SecurityHeadersOutput{}
	sent := 0
	for _, h := range run.Headers {
		vh := view.SecurityHeader{Name: h.Name, Value: h.Value, Sent: h.Sent, Wanted: h.Wanted, Prevents: h.Prevents}
		if len(h.Directives) > 0 {
			vh.Value = ""
			for _, d := range h.Directives {
				vh.Directives = append(vh.Directives, view.CSPDirective(d))
			}
		}
		if h.Sent && h.Wanted {
			sent++
		}
		o.Headers = append(o.Headers, vh)
	}
	o.Headline = fmt.Sprint(sent)
	o.HeadlineNote = fmt.Sprintf("security headers on GET %s, %d %s", run.Target, run.Status, http.StatusText(run.Status))
	return o
}

// The passport demo's parameters.
const (
	passportMaxMember = 1999 // the copy goes to the next member, who must exist
	passportMaxLen    = 20
)

func (s *Server) demoFieldEncryption() *demo {
	sealer, err := vault.New(s.cfg.Secret, vault.Options{KeyID: "k1", Purpose: vault.PassportPurpose,
		Tracer: s.traces.Tracer("github.com/engineroom/engineroom/playground/vault")})
	var passports *vault.Passports
	if err == nil {
		passports = vault.NewPassports(sealer)
	}
	return &demo{
		ID: "field-encryption", Title: "Encrypt a passport number", Lesson: securityLesson,
		Description: "A member saves their passport number. The back end encrypts it with AES-256-GCM before it reaches the database, then reads it back.",
		Button:      "Save and read back",
		Wide:        true,
		Params: []param{
			{Name: "member", Label: "Member id", Kind: "number", Default: "1", Min: 1, Max: passportMaxMember,
				Hint: fmt.Sprintf("1 to %d. Member 1 is Alice Martin.", passportMaxMember)},
			{Name: "passport", Label: "Passport number", Kind: "text", Default: "C01X00T47", MaxLen: passportMaxLen,
				Hint: "6 to 12 letters and digits."},
			{Name: "next", Label: "What happens next", Kind: "select", Options: vault.Nexts, Default: vault.ReadBack},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			if err != nil {
				return demoOutput{}, err
			}
			number, perr := vault.ParsePassport(in.Params["passport"])
			if perr != nil {
				return demoOutput{}, &paramError{"passport: a passport number is 6 to 12 letters and digits, such as C01X00T47"}
			}
			var st vault.Stored
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				st, err = passports.Store(ctx, db, int64(in.Int("member")), number, in.Params["next"])
				return err
			})
			if errors.Is(err, vault.ErrNoMember) {
				return demoOutput{}, echo.NewHTTPError(http.StatusConflict,
					strings.TrimPrefix(err.Error(), "vault: ")+". If you deleted members, press Reset my database in the SQL console.").SetInternal(err)
			}
			if err != nil {
				return demoOutput{}, err
			}
			return demoOutput{Data: st, View: view.FieldEncryption(encryptionView(st))}, nil
		},
	}
}

// encryptionView shapes a run of the passport demo for the front end pane.
func encryptionView(st vault.Stored) view.FieldEncryptionOutput {
	o := view.FieldEncryptionOutput{Typed: st.Typed}
	ids := make([]string, len(st.Rows))
	for i, r := range st.Rows {
		ids[i] = fmt.Sprint(r.MemberID)
		row := view.SealedRow{Title: fmt.Sprintf("Member %d · %s", r.MemberID, r.Member), HexBefore: r.HexBefore,
			KeyID: r.KeyID, AAD: r.AAD, Opened: r.Opened, Value: r.Value, Error: "Refused: " + strings.TrimPrefix(r.Error, "vault: ")}
		row.Hex, row.Layout = hexParts(r.Hex, r.Flipped)
		o.Rows = append(o.Rows, row)
	}
	first := st.Rows[0]
	switch st.Next {
	case vault.CopyToNext:
		second := st.Rows[1]
		o.Headline, o.HeadlineNote, o.Failed = "Refused", fmt.Sprintf("member %d's copy does not open", second.MemberID), true
		o.Verdict = fmt.Sprintf("Member %d's row now holds the very same bytes as member %d's, but it is opened with member_id=%d as associated data, and the tag was computed over member_id=%d. The value cannot be moved to another row unnoticed.",
			second.MemberID, first.MemberID, second.MemberID, first.MemberID)
	case vault.FlipByte:
		o.Headline, o.HeadlineNote, o.Failed = "Refused", "one changed bit, and nothing opens", true
		o.Verdict = fmt.Sprintf("One bit of byte %d of %d changed in the database. The tag no longer matches, so AES-GCM returns no plaintext at all, rather than a wrong passport number.",
			*first.Flipped+1, len(first.Hex)/2)
	default:
		o.Headline, o.HeadlineNote = first.Value, fmt.Sprintf("decrypted from member %d's row", first.MemberID)
		o.Verdict = "Encrypted, stored and read back. The database holds only the bytes below: without the key, a copy of it reveals no passport number."
	}
	if !first.Opened && st.Next == vault.ReadBack {
		o.Headline, o.HeadlineNote, o.Failed, o.Verdict = "Refused", "the stored value does not open", true, first.Error
	}
	where := "member_id = " + ids[0]
	if len(ids) > 1 {
		where = "member_id IN (" + strings.Join(ids, ", ") + ")"
	}
	o.Query = "SELECT hex(passport_number) FROM travel_documents WHERE " + where + ";"
	o.QueryURL = "/sql?q=" + url.QueryEscape(o.Query)
	return o
}

// hexParts splits a sealed value's hex into nonce, ciphertext and tag,
// marking the flipped byte, and describes the layout.
func hexParts(h string, flipped *int) ([]view.HexPart, string) {
	n := len(h) / 2
	if n < vault.Overhead {
		return []view.HexPart{{Text: h}}, fmt.Sprintf("%d bytes: too short for a nonce and a tag", n)
	}
	nonce, ct, tag := h[:2*vault.NonceSize], h[2*vault.NonceSize:len(h)-2*vault.TagSize], h[len(h)-2*vault.TagSize:]
	parts := []view.HexPart{{Text: nonce, Class: "hex-nonce"}, {Text: ct, Class: "hex-ct"}, {Text: tag, Class: "hex-tag"}}
	if flipped != nil {
		if i := 2 * (*flipped - vault.NonceSize); i >= 0 && i+2 <= len(ct) {
			parts = []view.HexPart{parts[0],
				{Text: ct[:i], Class: "hex-ct"}, {Text: ct[i : i+2], Class: "hex-ct", Mark: true}, {Text: ct[i+2:], Class: "hex-ct"},
				parts[2]}
		}
	}
	parts = slices.DeleteFunc(parts, func(p view.HexPart) bool { return p.Text == "" })
	return parts, fmt.Sprintf("%d bytes: nonce %d (grey) · ciphertext %d · tag %d (underlined)", n, vault.NonceSize, len(ct)/2, vault.TagSize)
}
