package web

import (
	"fmt"
	"strconv"
	"strings"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// tourSlot is one part of the back end as the tour's diagram shows it: its
// name, the car dealer's name for it, and the lessons about it.
type tourSlot struct {
	id, name, role string
	lessons        []string
}

// tourSlots are the diagram's parts, in order: the browser, the server,
// then the back office.
func tourSlots() []tourSlot {
	return []tourSlot{
		{id: "browser", name: "Browser", role: "The showroom: what the customer sees", lessons: []string{"what-happens-when-you-click", "http-caching"}},
		{id: "server", name: "Server", role: "The factory floor: works on each order", lessons: []string{"rest-and-json", "status-codes-and-errors"}},
		{id: "cache", name: "Cache", role: "Parts kept at the counter", lessons: []string{"cache-aside", "ttl-and-invalidation"}},
		{id: "database", name: "Database", role: "The parts store and the ledger", lessons: []string{"sql-basics", "transactions-and-concurrency"}},
		{id: "services", name: "Third-party service", role: "The suppliers and the bank", lessons: []string{"taking-a-payment", "circuit-breakers"}},
		{id: "jobs", name: "Job queue", role: "Work done after the customer leaves", lessons: []string{"email-and-background-jobs"}},
	}
}

// slotOf is the diagram's part for a participant of the sequence diagram:
// every service other than this server's own parts is a third party.
func slotOf(part string) string {
	switch part {
	case ertrace.PartBrowser:
		return "browser"
	case ertrace.PartServer:
		return "server"
	case ertrace.PartCache:
		return "cache"
	case ertrace.PartDatabase:
		return "database"
	case ertrace.PartJobs:
		return "jobs"
	}
	return "services"
}

// tourParts reads which parts of the back end a trace's spans used, and
// what each did, with the participants of the sequence diagram.
func (s *Server) tourParts(spans []ertrace.Span) []view.TourPart {
	uses := map[string][]ertrace.PartUse{}
	for _, u := range ertrace.Parts(spans) {
		id := slotOf(u.Part)
		uses[id] = append(uses[id], u)
	}
	var out []view.TourPart
	for _, sl := range tourSlots() {
		p := view.TourPart{ID: sl.id, Name: sl.name, Role: sl.role, Used: len(uses[sl.id]) > 0}
		for _, u := range uses[sl.id] {
			p.Error = p.Error || u.Errors() > 0
		}
		if p.Used {
			p.Did = tourDid(sl.id, uses, spans)
		} else {
			p.Why = tourIdle(sl.id, uses)
		}
		for _, slug := range sl.lessons {
			if l, ok := s.lessons.Lesson(slug); ok {
				link := lessonLink(l)
				link.Title, _, _ = strings.Cut(link.Title, ":")
				p.Lessons = append(p.Lessons, link)
			}
		}
		out = append(out, p)
	}
	return out
}

// tourIdle says why a part the request did not use stayed dark.
func tourIdle(id string, uses map[string][]ertrace.PartUse) string {
	if id == "database" && len(uses["cache"]) > 0 && uses["cache"][0].Hits > 0 {
		return "Not asked: the cache had the answer."
	}
	return "Not used by this request."
}

// tourDid says in a few short phrases what a part the request used did.
func tourDid(id string, uses map[string][]ertrace.PartUse, spans []ertrace.Span) []string {
	u := uses[id][0]
	switch id {
	case "browser":
		for _, srv := range uses["server"] {
			for _, m := range srv.Calls {
				if m.Kind == ertrace.MsgRequest {
					return []string{"Sent " + m.Label}
				}
			}
		}
		return []string{"Sent a request"}
	case "server":
		kinds := map[string]int{}
		for _, sp := range spans {
			kinds[sp.Kind]++
		}
		return []string{fmt.Sprintf("%d middleware", kinds[ertrace.KindMiddleware]), plural(kinds[ertrace.KindHandler], "handler", "handlers")}
	case "cache":
		var cmds []string
		for _, sp := range spans {
			if sp.Kind != ertrace.KindCache {
				continue
			}
			if idx, _ := sp.Attr("cache.index"); idx == "true" {
				continue // keeps the list of keys by last use, not a value
			}
			cmd := sp.Name
			switch hit, _ := sp.Attr("cache.hit"); hit {
			case "true":
				cmd += " hit"
			case "false":
				cmd += " miss"
			}
			cmds = append(cmds, cmd)
		}
		return cmds
	case "database":
		did := []string{plural(len(u.Calls), "query", "queries")}
		if len(u.Answers) == 1 {
			did = append(did, u.Answers[0].Label)
		}
		return append(did, formatDuration(u.Time()))
	case "services":
		var did []string
		for _, u := range uses[id] {
			did = append(did, u.Part, plural(len(u.Calls), "call", "calls"))
			if n := len(u.Answers); n > 0 {
				did = append(did, u.Answers[n-1].Label)
			}
			did = append(did, formatDuration(u.Time()))
		}
		return did
	case "jobs":
		return []string{plural(len(u.Calls), "job", "jobs") + " queued", formatDuration(u.Time())}
	}
	return nil
}

// plural is "1 query" or "3 queries".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// tourView is the tour's front end pane: the flight as the customer sees
// it, and the diagram of the parts.
func tourView(r tourRun, parts []view.TourPart) view.TourOutput {
	f := r.Flight
	o := view.TourOutput{
		Flight:    f.FlightNo,
		Route:     fmt.Sprintf("%s (%s) → %s (%s)", f.Origin.City, f.Origin.Code, f.Destination.City, f.Destination.Code),
		Departs:   f.DepartsAt,
		Miles:     groupThousands(f.MilesPrice) + " miles",
		FromCache: r.Source == "cache",
		Key:       r.CacheKey,
		TTL:       strconv.Itoa(r.TTL) + " seconds",
		SeatsErr:  r.SeatsError,
		JobErr:    r.JobError,
		Mailbox:   r.Mailbox,
		Total:     len(parts),
	}
	if r.JobID > 0 {
		o.JobID = strconv.FormatInt(r.JobID, 10)
	}
	if r.SeatsAvailable != nil {
		o.Seats = plural(*r.SeatsAvailable, "seat", "seats")
	}
	for _, p := range parts {
		if p.Used {
			o.Used++
		}
		switch p.ID {
		case "browser":
			o.Browser = p
		case "server":
			o.Server = p
		default:
			o.Office = append(o.Office, p)
		}
	}
	return o
}

// groupThousands writes n with commas: 29,000.
func groupThousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 && s[i-1] != '-' {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}
