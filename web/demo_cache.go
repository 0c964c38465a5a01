package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/web/view"
)

// The cache-aside demo's ways to run.
const (
	oneSearch = "one search"
	coldWarm  = "cold, then warm"
)

// demoCacheAside searches flights cache-aside on the visitor's own cache
// namespace and database.
func (s *Server) demoCacheAside() *demo {
	return &demo{
		ID: "cache-aside", Title: "Search flights, cache-aside", Lesson: "cache-aside",
		Description: "The server asks the cache first and the database only on a miss.",
		Button:      "Search",
		Wide:        true,
		Params: []param{
			{Name: "route", Label: "Route", Kind: "select", Options: airline.SearchRoutes, Default: airline.SearchRoutes[0]},
			{Name: "ttl", Label: "TTL (seconds)", Kind: "number", Default: "30", Min: 1, Max: 300, Hint: "How long a miss's answer stays in the cache: 1 to 300."},
			{Name: "mode", Label: "Run", Kind: "select", Options: []string{oneSearch, coldWarm}, Default: oneSearch,
				Hint: "Cold, then warm empties the key first and searches twice."},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			space := s.cache.For(in.Visitor)
			open := s.openSandbox(in)
			route, ttl := in.Params["route"], time.Duration(in.Int("ttl"))*time.Second
			labels := []string{""}
			if in.Params["mode"] == coldWarm {
				if _, err := space.Del(ctx, airline.SearchKey(route)); err != nil {
					return demoOutput{}, err
				}
				labels = []string{"Cold", "Warm"}
			}
			o := view.CacheSearchOutput{Route: route, Key: airline.SearchKey(route), TTL: fmt.Sprintf("%d s", in.Int("ttl"))}
			var data []airline.Search
			for _, label := range labels {
				r, err := s.airline.SearchFlights(ctx, space, open, route, ttl)
				if err != nil {
					return demoOutput{}, err
				}
				data = append(data, r)
				cs := view.CacheSearch{Label: label, Hit: r.Source == airline.SourceCache, Elapsed: fmt.Sprintf("%.2f ms", r.ElapsedMS)}
				for _, f := range r.Flights {
					cs.Rows = append(cs.Rows, []string{f.FlightNo, strings.TrimPrefix(f.DepartsAt, "2026-"), strconv.FormatInt(f.MilesPrice, 10), strconv.FormatInt(f.Seats, 10)})
				}
				o.Searches = append(o.Searches, cs)
			}
			return demoOutput{Data: map[string]any{"searches": data}, View: view.CacheSearchResult(o)}, nil
		},
	}
}
