package web

import (
	"context"
	"fmt"
	"time"

	"github.com/engineroom/engineroom/playground/airline"
	"github.com/engineroom/engineroom/playground/sandbox"
	"github.com/engineroom/engineroom/web/view"
)

// The stampede demo's protections.
const (
	unprotected = "no protection"
	coalesced   = "request coalescing"
)

// demoStampede sends many searches for one cold key at once, with or
// without request coalescing, on the visitor's own cache and database.
func (s *Server) demoStampede() *demo {
	return &demo{
		ID: "cache-stampede", Title: "A hot key expires", Lesson: "cache-stampede",
		Description: "Many travelers search the same route the moment its cache key is gone.",
		Button:      "Send the searches",
		Params: []param{
			{Name: "requests", Label: "Searches at once", Kind: "number", Default: "10", Min: 2, Max: 30, Hint: "2 to 30."},
			{Name: "protection", Label: "Protection", Kind: "select", Options: []string{unprotected, coalesced}, Default: unprotected},
			{Name: "route", Label: "Route", Kind: "select", Options: airline.SearchRoutes, Default: airline.SearchRoutes[1]},
		},
		Run: func(ctx context.Context, in demoInput) (demoOutput, error) {
			var st airline.Stampede
			err := s.sql.With(s.sqlContext(ctx, in.Request), in.Visitor, func(ctx context.Context, db *sandbox.DB) error {
				var err error
				st, err = s.airline.SearchStampede(ctx, s.cache.For(in.Visitor), db, in.Params["route"], in.Int("requests"), 30*time.Second, in.Params["protection"] == coalesced)
				return err
			})
			if err != nil {
				return demoOutput{}, err
			}
			o := view.StampedeOutput{Requests: len(st.Requests), Queries: st.Queries, Misses: st.Misses,
				Coalesced: st.Coalesced, Elapsed: fmt.Sprintf("%.1f ms", st.ElapsedMS), Key: airline.SearchKey(st.Route)}
			for _, r := range st.Requests {
				o.Rows = append(o.Rows, view.StampedeRow{N: r.N, Source: stampedeSource(r.Source), Elapsed: fmt.Sprintf("%.2f ms", r.ElapsedMS)})
			}
			return demoOutput{Data: st, View: view.StampedeResult(o)}, nil
		},
	}
}

// stampedeSource says where one search's answer came from.
func stampedeSource(source string) string {
	switch source {
	case airline.SourceDatabase:
		return "queried the database"
	case airline.SourceShared:
		return "waited for another search's query"
	default:
		return "from the cache"
	}
}
