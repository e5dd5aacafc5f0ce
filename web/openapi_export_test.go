package web

// APIRoute is a route table entry as the OpenAPI tests see it.
type APIRoute struct {
	Pattern string // "GET /api/sources/{id}"
	Access  string // public, reads, staff or writes
}

// Routes lists every route of the table with its access.
func Routes(s *Server) []APIRoute {
	names := map[access]string{public: "public", reads: "reads", staffReads: "staff", writes: "writes"}
	var out []APIRoute
	for _, rt := range s.routeTable() {
		out = append(out, APIRoute{Pattern: rt.pattern, Access: names[rt.access]})
	}
	return out
}

// OpenAPIDocument is the embedded API description.
func OpenAPIDocument() []byte { return openAPIDocument }
