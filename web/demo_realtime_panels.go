package web

import (
	"fmt"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/realtime"
	"github.com/engineroom/engineroom/web/view"
)

// ms turns a duration into milliseconds with a tenth.
func rtMS(d time.Duration) float64 { return float64(d.Microseconds()/100) / 10 }

// rtRow is one transport's counts.
func rtRow(r realtime.Report) view.RTRow {
	return view.RTRow{Transport: string(r.Transport), Label: rtLabel(r.Transport), Requests: r.Requests, Empty: r.Empty,
		Messages: r.Messages, Missed: r.Missed, Connections: r.Connections, BytesSent: r.BytesSent, BytesReceived: r.BytesReceived,
		AvgDelayMS: rtMS(r.AvgDelay), MaxDelayMS: rtMS(r.MaxDelay), ElapsedMS: r.Elapsed.Milliseconds(), Closed: r.Closed, Err: r.Err}
}

// rtFeedView shows one client's run: the board as it saw it, update by
// update, and its counts.
func rtFeedView(r realtime.Report, every time.Duration) view.RTFeedOutput {
	o := view.RTFeedOutput{Flight: realtime.Flight, Row: rtRow(r)}
	if r.Transport == realtime.Polling {
		o.EveryMS = int(every.Milliseconds())
	}
	for _, u := range r.Updates {
		o.Updates = append(o.Updates, view.RTUpdate{Seq: u.Seq, Status: u.Status, Gate: u.Gate, Departs: u.Departs, Note: u.Note,
			Final: u.Final, Request: u.Request, PublishedMS: u.PublishedAt.Milliseconds(), SeenMS: u.SeenAt.Milliseconds(),
			DelayMS: rtMS(u.Delay), Skipped: u.Skipped})
	}
	if n := len(o.Updates); n > 0 {
		o.Board = o.Updates[n-1]
	}
	o.Summary, o.Warn = rtFeedSummary(o.Row, o.EveryMS)
	return o
}

// rtFeedSummary says in a sentence or two what one run cost.
func rtFeedSummary(r view.RTRow, everyMS int) (string, bool) {
	if r.Err != "" {
		return fmt.Sprintf("%s failed: %s", r.Label, r.Err), true
	}
	var b strings.Builder
	switch realtime.Transport(r.Transport) {
	case realtime.Polling:
		fmt.Fprintf(&b, "Polling every %d ms: %s, %d carried news, %d came back empty.", everyMS, plural(r.Requests, "request", "requests"), r.Messages, r.Empty)
	case realtime.LongPolling:
		fmt.Fprintf(&b, "Long polling: %s, each held open until there was news; %d timed out with 204 No Content.", plural(r.Requests, "request", "requests"), r.Empty)
	case realtime.SSE:
		fmt.Fprintf(&b, "Server-Sent Events: %s, one response that stayed open and carried %s.", plural(r.Requests, "request", "requests"), plural(r.Messages, "event", "events"))
	case realtime.WebSocket:
		fmt.Fprintf(&b, "WebSocket: %s (the upgrade), then %s on the open connection.", plural(r.Requests, "request", "requests"), plural(r.Messages, "message", "messages"))
	}
	if r.Missed > 0 {
		fmt.Fprintf(&b, " %d of %d changes were never seen: they came and went between two polls.", r.Missed, r.Missed+r.Messages)
		return b.String(), true
	}
	fmt.Fprintf(&b, " Every change arrived, %.1f ms late on average (%.1f ms at worst).", r.AvgDelayMS, r.MaxDelayMS)
	return b.String(), false
}

// rtCompareView shows the four clients side by side.
func rtCompareView(reps []realtime.Report, every, elapsed time.Duration) view.RTCompareOutput {
	o := view.RTCompareOutput{EveryMS: int(every.Milliseconds()), ElapsedMS: elapsed.Milliseconds(), Changes: realtime.Changes()}
	byT := map[realtime.Transport]view.RTRow{}
	for _, r := range reps {
		row := rtRow(r)
		o.Rows = append(o.Rows, row)
		byT[r.Transport] = row
		o.Warn = o.Warn || r.Err != ""
	}
	p, lp, sse, ws := byT[realtime.Polling], byT[realtime.LongPolling], byT[realtime.SSE], byT[realtime.WebSocket]
	o.Summary = fmt.Sprintf("The same %d changes, four ways: polling every %d ms sent %s (%d empty), long polling %d (%d empty), Server-Sent Events %d, WebSocket %d.",
		o.Changes, o.EveryMS, plural(p.Requests, "request", "requests"), p.Empty, lp.Requests, lp.Empty, sse.Requests, ws.Requests)
	if p.Missed > 0 {
		o.Summary += fmt.Sprintf(" Polling missed %d of them.", p.Missed)
	}
	o.Summary += fmt.Sprintf(" Average delay: %.1f ms polling, %.1f ms long polling, %.1f ms SSE, %.1f ms WebSocket.", p.AvgDelayMS, lp.AvgDelayMS, sse.AvgDelayMS, ws.AvgDelayMS)
	for _, r := range o.Rows {
		if r.Err != "" {
			o.Summary += fmt.Sprintf(" %s failed: %s.", r.Label, r.Err)
		}
	}
	return o
}
