package trace

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The participants of a sequence diagram, in the order they are drawn.
const (
	PartBrowser      = "Browser"
	PartServer       = "Server"
	PartDatabase     = "Database"
	PartCache        = "Cache"
	PartPayments     = "Payment gateway"
	PartEmail        = "Email service"
	PartReservations = "Reservations"
)

// partOrder is the order participants are drawn in; any other service
// comes after them, in order of first appearance.
var partOrder = []string{PartBrowser, PartServer, PartDatabase, PartCache, PartPayments, PartEmail, PartReservations}

// serviceParts names the participant of each outbound service.
var serviceParts = map[string]string{
	"payments":     PartPayments,
	"email":        PartEmail,
	"reservations": PartReservations,
}

// Message kinds: what drew an arrow.
const (
	MsgRequest = "request" // the browser's request and the response
	MsgSQL     = "sql"
	MsgCache   = "cache"
	MsgHTTP    = "http" // a call to another service
	MsgSelf    = "self" // a request the server sends to itself
	MsgJob     = "job"  // a note: a job enqueued
	MsgWait    = "wait" // a note: a backoff before a retry
	MsgMore    = "more" // a note: messages left out
)

// MaxMessages is how many messages a diagram draws before it sums up
// the rest in one note.
const MaxMessages = 60

// maxLabel is the longest label, in characters.
const maxLabel = 40

// SequenceDiagram is a trace drawn as participants exchanging messages.
type SequenceDiagram struct {
	Participants []string
	Messages     []Message
}

// Message is one arrow (or, with Note, a note on From's lifeline).
type Message struct {
	From, To string
	Kind     string
	Label    string
	Duration time.Duration
	Error    bool
	// Return marks the answer to an earlier call.
	Return bool
	// Note marks a remark on From's lifeline rather than an arrow.
	Note bool
}

// Sequence draws a trace's spans as a sequence diagram: the request,
// each SQL statement and its answer, each cache command, each call to
// another service and its answer, jobs enqueued, and the response, in
// the order they happened. Spans still open get no answer.
func Sequence(spans []Span) SequenceDiagram {
	b := seqBuilder{byID: make(map[string]Span, len(spans)), kids: make(map[string][]Span, len(spans))}
	for _, s := range spans {
		b.byID[s.SpanID] = s
	}
	var roots []Span
	for _, s := range spans {
		if _, ok := b.byID[s.ParentID]; ok && s.ParentID != "" {
			b.kids[s.ParentID] = append(b.kids[s.ParentID], s)
		} else {
			roots = append(roots, s)
		}
	}
	for _, s := range sortedByStart(roots) {
		if s.Kind == KindServer {
			b.request(s)
		} else {
			b.walk(s)
		}
	}
	return SequenceDiagram{Participants: b.participants(), Messages: capMessages(b.msgs)}
}

type seqBuilder struct {
	byID map[string]Span
	kids map[string][]Span
	msgs []Message
}

func sortedByStart(spans []Span) []Span {
	out := slices.Clone(spans)
	slices.SortStableFunc(out, func(a, b Span) int { return a.Start.Compare(b.Start) })
	return out
}

func (b *seqBuilder) add(m Message) { b.msgs = append(b.msgs, m) }

// request draws a trace's own server span: the browser's request, what
// the server did, and the response.
func (b *seqBuilder) request(s Span) {
	label := s.Name
	if m, ok := s.Attr("http.request.method"); ok {
		if p, ok := s.Attr("url.path"); ok {
			label = m + " " + p
		}
	}
	b.add(Message{From: PartBrowser, To: PartServer, Kind: MsgRequest, Label: clipLabel(label), Duration: dur(s)})
	b.children(s)
	if s.End.IsZero() {
		return
	}
	b.add(Message{From: PartServer, To: PartBrowser, Kind: MsgRequest, Label: statusLabel(s, "response"),
		Duration: dur(s), Error: s.Error, Return: true})
}

func (b *seqBuilder) children(s Span) {
	for _, k := range sortedByStart(b.kids[s.SpanID]) {
		b.walk(k)
	}
}

// walk draws s, if it is something the diagram shows, and its children.
func (b *seqBuilder) walk(s Span) {
	switch s.Kind {
	case KindSQL:
		b.add(Message{From: PartServer, To: PartDatabase, Kind: MsgSQL, Label: shortSQL(attrOr(s, "db.query.text", s.Name)),
			Duration: dur(s), Error: s.Error})
		if !s.End.IsZero() {
			b.add(Message{From: PartDatabase, To: PartServer, Kind: MsgSQL, Label: sqlAnswer(s),
				Duration: dur(s), Error: s.Error, Return: true})
		}
		return
	case KindCache:
		label := clipLabel(attrOr(s, "db.query.text", s.Name))
		switch hit, _ := s.Attr("cache.hit"); hit {
		case "true":
			label += " hit"
		case "false":
			label += " miss"
		}
		b.add(Message{From: PartServer, To: PartCache, Kind: MsgCache, Label: label, Duration: dur(s), Error: s.Error})
		return
	case KindJob:
		b.add(Message{From: PartServer, To: PartServer, Kind: MsgJob, Label: clipLabel(s.Name), Duration: dur(s), Error: s.Error, Note: true})
	case KindHTTP:
		// A call to another service, or the server's request to itself;
		// the label of its return says what came back.
		to, kind, lost := PartServer, MsgSelf, "answer"
		if !b.isSelf(s) {
			to, kind, lost = b.service(s), MsgHTTP, "no answer"
		}
		b.add(Message{From: PartServer, To: to, Kind: kind, Label: clipLabel(s.Name), Duration: dur(s), Error: s.Error})
		b.children(s)
		if !s.End.IsZero() {
			b.add(Message{From: to, To: PartServer, Kind: kind, Label: statusLabel(s, lost),
				Duration: dur(s), Error: s.Error, Return: true})
		}
		return
	default:
		if _, ok := s.Attr("outbound.backoff_ms"); ok {
			b.add(Message{From: PartServer, To: PartServer, Kind: MsgWait, Label: clipLabel(s.Name), Duration: dur(s), Error: s.Error, Note: true})
		}
	}
	b.children(s)
}

// isSelf reports whether an outgoing request went to this server itself:
// the server span it opened is its child.
func (b *seqBuilder) isSelf(s Span) bool {
	for _, k := range b.kids[s.SpanID] {
		if k.Kind == KindServer {
			return true
		}
	}
	addr, _ := s.Attr("server.address")
	return strings.HasPrefix(addr, "this server")
}

// service names the participant an outgoing request went to: the
// service its call (an ancestor span) names, else peer.service, else the
// address.
func (b *seqBuilder) service(s Span) string {
	for p, seen := s, 0; seen < 64; seen++ {
		if v, ok := p.Attr("outbound.service"); ok {
			return servicePart(v)
		}
		if v, ok := p.Attr("peer.service"); ok {
			return servicePart(v)
		}
		next, ok := b.byID[p.ParentID]
		if !ok {
			break
		}
		p = next
	}
	if v, ok := s.Attr("server.address"); ok && v != "" {
		return clipLabel(v)
	}
	return "Other service"
}

// servicePart maps a service name ("payments", or a breaker of it such
// as "payments list") to its participant.
func servicePart(name string) string {
	first, _, _ := strings.Cut(name, " ")
	if p, ok := serviceParts[first]; ok {
		return p
	}
	return clipLabel(name)
}

// participants lists the participants the messages touch, in drawing order.
func (b *seqBuilder) participants() []string {
	used := map[string]bool{}
	var extra []string
	for _, m := range b.msgs {
		for _, p := range []string{m.From, m.To} {
			if !used[p] {
				used[p] = true
				if !slices.Contains(partOrder, p) {
					extra = append(extra, p)
				}
			}
		}
	}
	var out []string
	for _, p := range partOrder {
		if used[p] {
			out = append(out, p)
		}
	}
	return append(out, extra...)
}

// capMessages keeps the first MaxMessages messages, then one note saying
// how many were left out, then the response, when that was left out.
func capMessages(msgs []Message) []Message {
	if len(msgs) <= MaxMessages {
		return msgs
	}
	out := slices.Clone(msgs[:MaxMessages])
	rest := msgs[MaxMessages:]
	last := rest[len(rest)-1]
	keepLast := last.Kind == MsgRequest && last.Return
	n := len(rest)
	if keepLast {
		n--
	}
	if n > 0 {
		out = append(out, Message{From: PartServer, To: PartServer, Kind: MsgMore, Label: fmt.Sprintf("… %d more", n), Note: true})
	}
	if keepLast {
		out = append(out, last)
	}
	return out
}

func dur(s Span) time.Duration {
	if s.End.IsZero() {
		return 0
	}
	return s.End.Sub(s.Start)
}

func attrOr(s Span, key, def string) string {
	if v, ok := s.Attr(key); ok && v != "" {
		return v
	}
	return def
}

// statusLabel is an HTTP answer: its status ("201 Created"), else why
// there was none, else def.
func statusLabel(s Span, def string) string {
	if v, ok := s.Attr("http.response.status_code"); ok {
		if code, err := strconv.Atoi(v); err == nil && http.StatusText(code) != "" {
			return v + " " + http.StatusText(code)
		}
		return v
	}
	if s.Error && s.StatusMsg != "" {
		return clipLabel(s.StatusMsg)
	}
	return def
}

// sqlAnswer is what the database answered a statement.
func sqlAnswer(s Span) string {
	if s.Error {
		return clipLabel("error: " + attrOr(s, "error.type", s.StatusMsg))
	}
	rows, _ := s.Attr("db.response.returned_rows")
	if rows != "" && rows != "0" {
		if rows == "1" {
			return "1 row"
		}
		return rows + " rows"
	}
	if n, _ := s.Attr("db.response.rows_affected"); n != "" && n != "0" {
		return n + " changed"
	}
	if rows == "0" {
		return "0 rows"
	}
	return "done"
}

// shortSQL shortens a statement to its shape, such as
// "SELECT … FROM flights WHERE …", when it is too long to show whole.
func shortSQL(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if utf8.RuneCountInString(q) <= maxLabel {
		return q
	}
	words := strings.Fields(q)
	up := make([]string, len(words))
	for i, w := range words {
		up[i] = strings.ToUpper(w)
	}
	after := func(kw string) (string, []string, bool) {
		i := slices.Index(up, kw)
		if i < 0 || i+1 >= len(words) {
			return "", nil, false
		}
		return strings.TrimRight(words[i+1], ",;("), up[i+2:], true
	}
	tail := func(rest []string) string {
		switch {
		case slices.Contains(rest, "WHERE"):
			return " WHERE …"
		case len(rest) > 0:
			return " …"
		}
		return ""
	}
	var s string
	switch up[0] {
	case "SELECT":
		if t, rest, ok := after("FROM"); ok {
			s = "SELECT … FROM " + t + tail(rest)
		}
	case "INSERT", "REPLACE":
		if t, _, ok := after("INTO"); ok {
			s = up[0] + " INTO " + t + " …"
		}
	case "UPDATE":
		s = "UPDATE " + strings.TrimRight(words[1], ",;") + " SET …"
		if slices.Contains(up, "WHERE") {
			s += " WHERE …"
		}
	case "DELETE":
		if t, rest, ok := after("FROM"); ok {
			s = "DELETE FROM " + t + tail(rest)
		}
	}
	if s == "" {
		s = q
	}
	return clipLabel(s)
}

// clipLabel cuts a label to maxLabel characters, ending it with "…".
func clipLabel(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxLabel {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:maxLabel-1]), " ") + "…"
}
