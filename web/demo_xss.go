package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/a-h/templ"
	"go.opentelemetry.io/otel/trace"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// The XSS lesson's demo: a traveller's review is stored exactly as typed
// on the visitor's own sandbox and shown back escaped by templ. Nothing of
// it ever runs in our origin: every view of it below is text.

// defaultReview is what the panel offers to send: markup that would run
// if a page glued it into its HTML.
const defaultReview = `Great crew! <img src=x onerror="alert(document.cookie)"> <script>alert(1)</script>`

// maxContextOutput is how many bytes of each context's output the table
// shows; the JSON twin has them all.
const maxContextOutput = 400

// maxSentHighlight is the longest card HTML worth highlighting.
const maxSentHighlight = 3 << 10

// xssData is the JSON twin's output.
type xssData struct {
	airline.ReviewPost
	SentHTML string           `json:"sent_html"`
	Contexts []xssContextData `json:"contexts"`
	CSP      string           `json:"content_security_policy"`
}

// xssContextData is the review placed in one context of a page.
type xssContextData struct {
	Context  string `json:"context"`
	Template string `json:"template"`
	Output   string `json:"output"`
}

func (s *Server) demoXSSReview() *demo {
	return &demo{
		ID: "xss-review", Title: "Leave a review", Lesson: "xss-and-escaping",
		Description: "A traveller reviews a flight. The text is stored exactly as typed and shown on the flight's page — try to make it run.",
		Button:      "Post the review",
		Wide:        true,
		Params: []param{
			{Name: "flight", Label: "Flight id", Kind: "number", Default: "42", Min: 1, Max: 99999,
				Hint: "A flight in your database: 42 is ER106, Dublin → Oslo."},
			{Name: "author", Label: "Your name", Kind: "text", Default: "Mallory", MaxLen: airline.MaxAuthorLen},
			{Name: "review", Label: "Review", Kind: "textarea", Default: defaultReview, MaxLen: airline.MaxReviewLen,
				Hint: fmt.Sprintf("Up to %d characters. Markup welcome.", airline.MaxReviewLen)},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			author, body := in.Params["author"], in.Params["review"]
			if err := airline.CheckReview(author, body); err != nil {
				return demoOutput{}, refusalParam(err)
			}
			var p airline.ReviewPost
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				p, err = s.airline.LeaveReview(ctx, db, int64(in.Int("flight")), author, body, time.Now())
				return err
			})
			if err != nil {
				return demoOutput{}, refusalParam(err)
			}
			csp := in.Request.Response().Header().Get("Content-Security-Policy")
			if csp == "" {
				csp = contentSecurityPolicy
			}
			o, data, err := s.xssView(ctx, p, csp)
			if err != nil {
				return demoOutput{}, err
			}
			return demoOutput{Data: data, View: view.XSSReviews(o)}, nil
		},
	}
}

// refusalParam turns the airline's refusal of a review into a parameter
// error, which the panel shows as a 400 with the airline's sentence.
func refusalParam(err error) error {
	var r *airline.Refusal
	if errors.As(err, &r) {
		return &paramError{r.Detail}
	}
	return err
}

// xssView renders the new review's card and the four contexts into
// buffers — with the same components a page uses — and shapes everything
// for the front end pane and the JSON twin.
func (s *Server) xssView(ctx context.Context, p airline.ReviewPost, csp string) (view.XSSOutput, xssData, error) {
	ctx, span := s.tracer.Start(ctx, "render the review with templ", trace.WithAttributes(kindAttr(ertrace.KindRender)))
	defer span.End()
	f := p.Flight
	o := view.XSSOutput{
		Flight:   fmt.Sprintf("%s, %s → %s, %s", f.FlightNo, f.Origin.City, f.Destination.City, f.DepartsAt),
		FlightNo: f.FlightNo,
		Stored:   view.XSSStored{ID: p.Review.ID, Author: p.Review.Author, Body: p.Review.Body, Chars: utf8.RuneCountInString(p.Review.Body)},
		CSP:      cspView(csp),
	}
	var card view.XSSReview
	for _, r := range p.Latest {
		vr := view.XSSReview{Author: r.Author, Body: r.Body, When: r.CreatedAt + " UTC", New: r.ID == p.Review.ID}
		if vr.New {
			card = vr
		}
		o.Reviews = append(o.Reviews, vr)
	}
	sent, err := renderString(ctx, view.ReviewCard(card))
	if err != nil {
		return o, xssData{}, err
	}
	// Highlighting costs about a millisecond a kilobyte, and the card
	// carries a timestamp, so it is never a cache hit: a long review is
	// shown plain.
	if len(sent) <= maxSentHighlight {
		o.Sent = s.code.HTML("html", sent)
	} else {
		o.Sent = template.HTML(`<pre class="chroma">` + template.HTMLEscapeString(sent) + `</pre>`)
	}
	o.SentNote = escapedNote(p.Review.Body)
	data := xssData{ReviewPost: p, SentHTML: sent, CSP: csp}
	for _, c := range []struct {
		where, tmpl string
		comp        templ.Component
	}{
		{"element text", "<p>{ review }</p>", view.XSSInText(p.Review.Body)},
		{"attribute", "<p title={ review }>", view.XSSInAttribute(p.Review.Body)},
		{"URL", "<a href={ templ.URL(review) }>", view.XSSInURL(p.Review.Body)},
		{"script", `@templ.JSONScript("review", review)`, view.XSSInScript(p.Review.Body)},
	} {
		out, err := renderString(ctx, c.comp)
		if err != nil {
			return o, xssData{}, err
		}
		data.Contexts = append(data.Contexts, xssContextData{Context: c.where, Template: c.tmpl, Output: out})
		vc := view.XSSContext{Where: c.where, Template: c.tmpl, Output: out, Note: contextNote(c.where, out)}
		vc.Sanitised = c.where == "URL" && strings.Contains(out, string(templ.FailedSanitizationURL))
		if len(out) > maxContextOutput {
			vc.Output = clipUTF8(out, maxContextOutput) + "…"
			vc.More = fmt.Sprintf("Cut short here: %s bytes in all.", miles(int64(len(out))))
		}
		o.Contexts = append(o.Contexts, vc)
	}
	return o, data, nil
}

// renderString renders a component to a string.
func renderString(ctx context.Context, c templ.Component) (string, error) {
	var b bytes.Buffer
	if err := c.Render(ctx, &b); err != nil {
		return "", err
	}
	return b.String(), nil
}

// escapedNote says which characters of the review the template escaped.
func escapedNote(body string) string {
	var parts []string
	n := 0
	for _, e := range []struct{ ch, as string }{{"<", "&lt;"}, {">", "&gt;"}, {"&", "&amp;"}, {`"`, "&#34;"}, {"'", "&#39;"}} {
		if c := strings.Count(body, e.ch); c > 0 {
			n += c
			parts = append(parts, fmt.Sprintf("%d × %s → %s", c, e.ch, e.as))
		}
	}
	if n == 0 {
		return "Nothing in this review needed escaping: it has no < > & \" or '. Add one and post again."
	}
	return fmt.Sprintf("templ escaped %d characters of the review: %s. The browser shows each as the character again — as text, never as a tag or an attribute.",
		n, strings.Join(parts, ", "))
}

// contextNote explains what the template did in one context.
func contextNote(where, out string) string {
	switch where {
	case "element text":
		return "< > & \" ' become entities: the browser shows them, it does not parse them as tags."
	case "attribute":
		return "The value is always quoted and its quotes become &#34; or &#39;, so it cannot end the attribute and start a new one such as onmouseover=."
	case "URL":
		if strings.Contains(out, string(templ.FailedSanitizationURL)) {
			return "Refused: the scheme is not http, https, mailto, tel or ftp, so templ put " + string(templ.FailedSanitizationURL) + " in its place. A javascript: link cannot run."
		}
		return "Allowed, then attribute-escaped: it has no scheme, or one of http, https, mailto, tel, ftp. Anything else, such as javascript:alert(1), becomes " + string(templ.FailedSanitizationURL) + "."
	default:
		return `JSON in a <script type="application/json">, with < > & written as \u003c \u003e \u0026: the text cannot close the script element. It is data, never run.`
	}
}

// cspView lists the policy's directives and says whether it stops inline
// scripts and event handlers, from the policy itself.
func cspView(csp string) view.XSSPolicy {
	var p view.XSSPolicy
	scripts := ""
	for _, d := range strings.Split(csp, ";") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		name, _, _ := strings.Cut(d, " ")
		key := name == "script-src"
		if key || (name == "default-src" && scripts == "") {
			scripts = d
		}
		p.Directives = append(p.Directives, view.XSSDirective{Text: d, Key: key})
	}
	fields := strings.Fields(scripts)
	switch {
	case len(fields) == 0:
		p.Verdict = "This policy does not restrict scripts: an inline <script> or an onerror= handler that slipped through would run."
	case strings.Contains(scripts, "'unsafe-inline'"):
		p.Verdict = fmt.Sprintf("%s allows 'unsafe-inline': an inline <script> or an onerror= handler that slipped through would run.", scripts)
	default:
		p.Blocks = true
		p.Verdict = fmt.Sprintf("%s, without 'unsafe-inline': even if markup slipped through the escaping, the browser would refuse to run an inline <script> or an onerror= handler, and report the violation instead.", scripts)
	}
	return p
}

// clipUTF8 cuts s to at most n bytes without splitting a character.
func clipUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
