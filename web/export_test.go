package web

// WriteRoutes lists the patterns of every state-changing route.
func WriteRoutes(s *Server) []string {
	var out []string
	for _, rt := range s.routeTable() {
		if rt.access == writes {
			out = append(out, rt.pattern)
		}
	}
	return out
}
