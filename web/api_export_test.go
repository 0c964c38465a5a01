package web

// RouteTable is the server's route table for the external tests, one
// "METHOD /path/:param" a route.
func RouteTable(s *Server) []string {
	var out []string
	for _, r := range s.echo.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
