package web

import "github.com/clausewatch/clausewatch/store"

// WriteRoute is a state-changing route and the role it needs.
type WriteRoute struct {
	Pattern string
	Needs   store.Role
}

// WriteRoutes lists every state-changing route with the role it needs.
func WriteRoutes(s *Server) []WriteRoute {
	var out []WriteRoute
	for _, rt := range s.routeTable() {
		if need := rt.access.role(); need != "" {
			out = append(out, WriteRoute{rt.pattern, need})
		}
	}
	return out
}
