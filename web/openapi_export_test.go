package web

// APIRoute is a route table entry as the OpenAPI tests see it.
type APIRoute struct {
	Pattern string // "GET /api/sources/{id}"
	Access  string // public, reads, staff or writes
	Role    string // the least role it needs: viewer, reviewer, admin ("" public)
}

// Routes lists every route of the table with its access.
func Routes(s *Server) []APIRoute {
	names := map[access]string{public: "public", reads: "reads", staffReads: "staff", adminReads: "staff",
		ownWrites: "writes", reviewWrites: "writes", adminWrites: "writes"}
	roles := map[access]string{reads: "viewer", staffReads: "viewer", adminReads: "admin",
		ownWrites: "viewer", reviewWrites: "reviewer", adminWrites: "admin"}
	var out []APIRoute
	for _, rt := range s.routeTable() {
		out = append(out, APIRoute{Pattern: rt.pattern, Access: names[rt.access], Role: roles[rt.access]})
	}
	return out
}

// OpenAPIDocument is the embedded API description.
func OpenAPIDocument() []byte { return openAPIDocument }
