package web

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/engineroom/engineroom/playground/realtime"
	"github.com/engineroom/engineroom/web/view"
)

const realtimeLesson = "real-time-updates"

// realtimeIdle is how long the feed server of the real-time lesson stays
// up after its last use.
const realtimeIdle = 5 * time.Minute

// realtimeRun starts a new feed on the real-time lesson's feed server,
// started if need be (see lazyLab).
func (s *Server) realtimeRun(c echo.Context) (*realtime.Run, error) {
	lab, err := s.realtime.get(c, realtimeIdle, func() (*realtime.Lab, error) {
		lab, err := realtime.Start(realtime.Options{Tracer: s.traces.Tracer("github.com/engineroom/engineroom/playground/realtime")})
		if err != nil {
			return nil, fmt.Errorf("web: %w", err)
		}
		return lab, nil
	}, func(l *realtime.Lab) { _ = l.Close() })
	if err != nil {
		return nil, err
	}
	run, err := lab.NewRun()
	if errors.Is(err, realtime.ErrBusy) {
		return nil, &paramError{err.Error()}
	}
	return run, err
}

// rtTransports are the transports a panel offers, with the words it shows.
var rtTransports = []struct {
	Label     string
	Transport realtime.Transport
}{
	{"polling", realtime.Polling},
	{"long polling", realtime.LongPolling},
	{"Server-Sent Events", realtime.SSE},
	{"WebSocket", realtime.WebSocket},
}

func rtLabel(t realtime.Transport) string {
	for _, x := range rtTransports {
		if x.Transport == t {
			return x.Label
		}
	}
	return string(t)
}

func rtTransportOf(label string) realtime.Transport {
	for _, x := range rtTransports {
		if x.Label == label {
			return x.Transport
		}
	}
	return realtime.Polling
}

func rtLabels() []string {
	out := make([]string, len(rtTransports))
	for i, x := range rtTransports {
		out[i] = x.Label
	}
	return out
}

// rtEvery is the polling interval parameter both panels take.
func rtEvery() param {
	return param{Name: "every", Label: "Poll every (ms)", Kind: "number", Default: "250", Min: 100, Max: 2000, Hint: "100 to 2,000. Polling only."}
}

// demoRealtimeFeed follows one flight's status changes over the chosen
// transport.
func (s *Server) demoRealtimeFeed() *demo {
	return &demo{
		ID: "realtime-feed", Title: "Follow the flight", Lesson: realtimeLesson,
		Description: "Flight ER181's status changes six times in 3 seconds. A client on this server follows it over real HTTP on loopback.",
		Button:      "Follow the flight",
		Params: []param{
			{Name: "transport", Label: "Transport", Kind: "select", Options: rtLabels(), Default: rtTransports[0].Label},
			rtEvery(),
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			run, err := s.realtimeRun(in.Request)
			if err != nil {
				return demoOutput{}, err
			}
			every := time.Duration(in.Int("every")) * time.Millisecond
			rep := run.Follow(ctx, realtime.Watch{Transport: rtTransportOf(in.Params["transport"]), Every: every})
			o := rtFeedView(rep, every)
			return demoOutput{Data: o, View: view.RealtimeFeed(o)}, nil
		},
	}
}

// demoRealtimeCompare follows the same feed over all four transports at
// once and compares what each cost.
func (s *Server) demoRealtimeCompare() *demo {
	return &demo{
		ID: "realtime-compare", Title: "Four ways, one feed", Lesson: realtimeLesson,
		Description: "Four clients follow the same six changes at the same time: one polls, one long-polls, one reads an event stream, one holds a WebSocket.",
		Button:      "Run all four",
		Wide:        true,
		Params:      []param{rtEvery()},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			run, err := s.realtimeRun(in.Request)
			if err != nil {
				return demoOutput{}, err
			}
			every := time.Duration(in.Int("every")) * time.Millisecond
			start := time.Now()
			reps := make([]realtime.Report, len(realtime.Transports()))
			var wg sync.WaitGroup
			for i, t := range realtime.Transports() {
				wg.Go(func() { reps[i] = run.Follow(ctx, realtime.Watch{Transport: t, Every: every}) })
			}
			wg.Wait()
			o := rtCompareView(reps, every, time.Since(start))
			return demoOutput{Data: o, View: view.RealtimeCompare(o)}, nil
		},
	}
}
