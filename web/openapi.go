package web

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes the JSON API (OpenAPI 3.1). It is a
// hand-written file, kept honest by tests: every /api/ route of the route
// table is described and every described operation is in the table, with
// the same access (openapi_test.go); real answers validate against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// openAPI serves the API description. It is public: it describes the
// API's shape, never data, and tools read it before anyone signs in.
func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "public, max-age=300")
	w.Write(openAPIDocument)
}
