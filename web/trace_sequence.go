package web

import (
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/a-h/templ"
	"github.com/labstack/echo/v4"
	"go.opentelemetry.io/otel/trace"

	ertrace "github.com/engineroom/engineroom/playground/trace"
	"github.com/engineroom/engineroom/web/view"
)

// showTraceSequence is GET /traces/:id/sequence: a stored trace drawn as
// a sequence diagram. Like its JSON twin (showTraceJSON) it shows any
// stored trace to whoever has its id; ids are random and 128 bits long.
func (s *Server) showTraceSequence(c echo.Context) error {
	_, span := s.tracer.Start(c.Request().Context(), "handler sequence diagram", trace.WithAttributes(kindAttr(ertrace.KindHandler)))
	t, ok := s.traces.Store().Get(c.Param("id"))
	span.End()
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound, "There is no stored trace with that id: traces are kept in memory for a while, then dropped. Run the demo again for a new one.")
	}
	d := sequenceLayout(ertrace.Sequence(t.Spans))
	return s.render(c, http.StatusOK, view.SequenceFigure(d), func() templ.Component {
		return view.PageSequence(view.SequencePage{
			Page:    s.pageMeta(csrfToken(c), "Sequence diagram"),
			TraceID: t.ID, JSONURL: "/api/v1/traces/" + t.ID, Diagram: d,
		})
	})
}

// The diagram's geometry, in pixels. Text widths are estimated from the
// number of characters: labels are short, so a generous average will do.
const (
	seqMargin   = 16
	seqBoxH     = 40 // a participant's box, from y = 8
	seqMinGap   = 130
	seqCharW    = 7.8 // 14 px text
	seqDurCharW = 6.8 // 12 px text
	seqRowArrow = 46
	seqRowSelf  = 50
	seqRowNote  = 38
	seqLoopW    = 32
	seqLoopH    = 18
)

func textW(s string, charW float64) int {
	return int(float64(utf8.RuneCountInString(s))*charW + 0.5)
}

// sequenceLayout places a diagram's participants and messages: each pair
// of neighbouring lifelines far enough apart for the labels between them.
func sequenceLayout(d ertrace.SequenceDiagram) view.Sequence {
	n := len(d.Participants)
	out := view.Sequence{LaneTop: 8 + seqBoxH}
	if n == 0 {
		out.Width, out.Height = 2*seqMargin+seqMinGap, out.LaneTop+seqMargin
		out.Summary = "An empty sequence diagram: the trace has no spans."
		return out
	}
	col := make(map[string]int, n)
	boxW := make([]int, n)
	for i, p := range d.Participants {
		col[p] = i
		boxW[i] = max(textW(p, seqCharW)+28, 96)
	}
	gaps := make([]int, n) // gaps[i] is from lane i to lane i+1; the last is the right margin
	for i := range gaps {
		if i+1 < n {
			gaps[i] = max(seqMinGap, (boxW[i]+boxW[i+1])/2+16)
		} else {
			gaps[i] = boxW[i]/2 + seqMargin
		}
	}
	msgs := make([]view.SeqMessage, len(d.Messages))
	for i, m := range d.Messages {
		msgs[i] = view.SeqMessage{Kind: m.Kind, From: m.From, To: m.To, Label: m.Label, Error: m.Error,
			Return: m.Return, Note: m.Note, Self: m.From == m.To && !m.Note}
		if !m.Return && !m.Note && m.Kind != ertrace.MsgMore {
			msgs[i].Dur = formatDuration(m.Duration)
		}
	}
	// Widen the gaps: nearest pairs first, then the ones further apart.
	for span := 0; span < n; span++ {
		for i, m := range d.Messages {
			a, b := col[m.From], col[m.To]
			if a > b {
				a, b = b, a
			}
			if b-a != span {
				continue
			}
			var need int
			switch {
			case msgs[i].Note:
				need = textW(m.Label, seqCharW) + 24
			case msgs[i].Self:
				need = seqLoopW + 14 + textW(m.Label, seqCharW) + 16
			default:
				need = max(textW(m.Label, seqCharW), textW(msgs[i].Dur, seqDurCharW)) + 28
			}
			if span == 0 {
				gaps[a] = max(gaps[a], need)
				continue
			}
			have := 0
			for g := a; g < b; g++ {
				have += gaps[g]
			}
			if have < need {
				gaps[b-1] += need - have
			}
		}
	}
	x := seqMargin + boxW[0]/2
	for i, p := range d.Participants {
		out.Lanes = append(out.Lanes, view.SeqLane{Name: p, X: x, BoxX: x - boxW[i]/2, BoxW: boxW[i]})
		x += gaps[i]
	}
	out.Width = x
	y := out.LaneTop + 12
	for i := range msgs {
		m := &msgs[i]
		x1, x2 := out.Lanes[col[m.From]].X, out.Lanes[col[m.To]].X
		switch {
		case m.Note:
			y += seqRowNote
			m.BoxX, m.BoxY, m.BoxW, m.BoxH = x1-8, y-26, textW(m.Label, seqCharW)+16, 28
			m.LabelX, m.LabelY, m.Anchor = x1, y-7, "start"
		case m.Self:
			y += seqRowSelf
			top, bottom := y-seqLoopH-6, y-6
			m.X1, m.X2, m.Y = x1, x1, top
			m.Loop = fmt.Sprintf("M %d %d H %d V %d H %d", x1, top, x1+seqLoopW, bottom, x1+6)
			m.Head = arrowHead(x1, bottom, -1)
			m.LabelX, m.LabelY, m.Anchor = x1+seqLoopW+10, top+5, "start"
			m.DurX, m.DurY = m.LabelX, bottom+8
		default:
			y += seqRowArrow
			dir := 1
			if x2 < x1 {
				dir = -1
			}
			m.X1, m.X2, m.Y = x1, x2-dir*8, y-14
			m.Head = arrowHead(x2, y-14, dir)
			m.LabelX, m.LabelY, m.Anchor = (x1+x2)/2, y-20, "middle"
			m.DurX, m.DurY = m.LabelX, y+1
		}
	}
	out.Messages = msgs
	out.Height = y + 20
	out.Summary = sequenceSummary(d)
	return out
}

// arrowHead is the polygon of an arrowhead whose tip is at (x, y),
// pointing right (dir 1) or left (dir -1).
func arrowHead(x, y, dir int) string {
	back := x - dir*10
	return fmt.Sprintf("%d,%d %d,%d %d,%d", x, y, back, y-5, back, y+5)
}

// sequenceSummary says what a diagram shows in one sentence.
func sequenceSummary(d ertrace.SequenceDiagram) string {
	arrows, failed := 0, 0
	for _, m := range d.Messages {
		if !m.Note {
			arrows++
		}
		if m.Error && !m.Return {
			failed++
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Sequence diagram: %s exchange %d messages", joinNames(d.Participants), arrows)
	if failed > 0 {
		fmt.Fprintf(&b, "; %d failed", failed)
	}
	b.WriteString(".")
	return b.String()
}

// joinNames lists names as "A, B and C".
func joinNames(names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
