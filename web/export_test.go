package web

import "github.com/clausewatch/clausewatch/store"

// RoleRoute is a route and the role it needs.
type RoleRoute struct {
	Pattern string
	Needs   store.Role
}

// WriteRoutes lists every state-changing route with the role it needs.
func WriteRoutes(s *Server) []RoleRoute {
	var out []RoleRoute
	for _, rt := range s.routeTable() {
		if need := rt.access.role(); need != "" {
			out = append(out, RoleRoute{rt.pattern, need})
		}
	}
	return out
}

// StaffReadRoutes lists every read that needs sign-in whatever
// OpenRead says, with the role it needs.
func StaffReadRoutes(s *Server) []RoleRoute {
	var out []RoleRoute
	for _, rt := range s.routeTable() {
		if need := rt.access.readRole(); need != "" {
			out = append(out, RoleRoute{rt.pattern, need})
		}
	}
	return out
}
