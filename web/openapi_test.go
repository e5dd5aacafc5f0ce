package web_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	vErrors "github.com/pb33f/libopenapi-validator/errors"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// The API description (web/openapi.json) is tested three ways: against
// the route table (TestOpenAPIRouteTable), as an OpenAPI 3.1 document
// (TestOpenAPIDocument), and against real answers of a real server
// (TestOpenAPIResponses, openapi_responses_test.go).

// apiOperation is one operation of the document, as the route table
// would name it.
type apiOperation struct {
	Access   string
	Role     string
	Security []map[string][]string
}

// documentOperations reads the document's operations by "METHOD /path".
func documentOperations(t *testing.T, doc []byte) map[string]apiOperation {
	t.Helper()
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	methods := []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}
	ops := map[string]apiOperation{}
	for path, item := range d.Paths {
		for key, raw := range item {
			if !slices.Contains(methods, key) {
				continue
			}
			var op struct {
				Access   string                `json:"x-clausewatch-access"`
				Role     string                `json:"x-clausewatch-role"`
				Security []map[string][]string `json:"security"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("openapi.json: %s %s: %v", key, path, err)
			}
			ops[strings.ToUpper(key)+" "+path] = apiOperation{Access: op.Access, Role: op.Role, Security: op.Security}
		}
	}
	return ops
}

// securityFor is what each access level of the route table means in the
// document's terms: reads may be anonymous (with --open-read), writes by
// session need the CSRF header, POST /api/capture takes a supplier token.
func securityFor(pattern, access string) []map[string][]string {
	bearer, cookie := map[string][]string{"bearerToken": {}}, map[string][]string{"sessionCookie": {}}
	switch {
	case pattern == "POST /api/capture":
		return []map[string][]string{{"supplierToken": {}}}
	case access == "public":
		return []map[string][]string{}
	case access == "reads":
		return []map[string][]string{bearer, cookie, {}}
	case access == "staff":
		return []map[string][]string{bearer, cookie}
	case access == "writes":
		return []map[string][]string{bearer, {"sessionCookie": {}, "csrfHeader": {}}}
	}
	return nil
}

func newTestServer(t *testing.T) *web.Server {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "openapi.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s, err := web.New(t.Context(), web.Options{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOpenAPIRouteTable: every /api/ route of the route table is in the
// document with the same access, and every operation of the document is
// a route of the table; so a new route cannot go undescribed.
func TestOpenAPIRouteTable(t *testing.T) {
	routes, roles := map[string]string{}, map[string]string{}
	for _, rt := range web.Routes(newTestServer(t)) {
		if _, path, _ := strings.Cut(rt.Pattern, " "); strings.HasPrefix(path, "/api/") {
			routes[rt.Pattern], roles[rt.Pattern] = rt.Access, rt.Role
		}
	}
	ops := documentOperations(t, web.OpenAPIDocument())
	if len(routes) < 30 {
		t.Fatalf("only %d /api/ routes in the route table: is the test reading it?", len(routes))
	}
	for _, pattern := range slices.Sorted(maps.Keys(routes)) {
		t.Run(pattern, func(t *testing.T) {
			op, ok := ops[pattern]
			if !ok {
				t.Fatalf("route %q is not described in web/openapi.json", pattern)
			}
			if op.Access != routes[pattern] {
				t.Errorf("x-clausewatch-access = %q, the route table says %q", op.Access, routes[pattern])
			}
			if op.Role != roles[pattern] {
				t.Errorf("x-clausewatch-role = %q, the route table says %q", op.Role, roles[pattern])
			}
			if want := securityFor(pattern, routes[pattern]); !securityEqual(op.Security, want) {
				t.Errorf("security = %v, want %v for a %s route", op.Security, want, routes[pattern])
			}
		})
	}
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		if _, ok := routes[key]; !ok {
			t.Errorf("web/openapi.json describes %q, which is not in the route table", key)
		}
	}
}

func securityEqual(a, b []map[string][]string) bool {
	if a == nil || len(a) != len(b) {
		return false // absent security would inherit a default: each operation says its own
	}
	for i := range a {
		if !slices.Equal(slices.Sorted(maps.Keys(a[i])), slices.Sorted(maps.Keys(b[i]))) {
			return false
		}
	}
	return true
}

// TestOpenAPIDocument checks the document against the OpenAPI 3.1 schema
// (libopenapi-validator), and that broken variants of it are refused, so
// the check is known to bite.
func TestOpenAPIDocument(t *testing.T) {
	doc := string(web.OpenAPIDocument())
	tests := []struct {
		name  string
		doc   string
		valid bool
	}{
		{"as served", doc, true},
		{"no info", strings.Replace(doc, `"info": {`, `"infox": {`, 1), false},
		{"bad response code", strings.Replace(doc, `"202": {"description": "Queued."`, `"2x2": {"description": "Queued."`, 1), false},
		{"security scheme of an unknown type", strings.Replace(doc, `"bearerToken": {"type": "http"`, `"bearerToken": {"type": "magic"`, 1), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.doc == doc && !tc.valid {
				t.Fatal("the mutation did not apply: the test needs updating")
			}
			errs := validateDocument(tc.doc)
			if tc.valid && len(errs) > 0 {
				t.Errorf("invalid OpenAPI 3.1 document:\n%s", strings.Join(errs, "\n"))
			}
			if !tc.valid && len(errs) == 0 {
				t.Error("a broken document passed")
			}
		})
	}
}

// validateDocument returns what is wrong with doc as OpenAPI 3.1.
func validateDocument(doc string) []string {
	d, err := libopenapi.NewDocument([]byte(doc))
	if err != nil {
		return []string{err.Error()}
	}
	if d.GetSpecInfo().VersionNumeric != 3.1 {
		return []string{fmt.Sprintf("openapi version %q, want 3.1.x", d.GetVersion())}
	}
	if _, err := d.BuildV3Model(); err != nil {
		return []string{err.Error()}
	}
	v, errs := validator.NewValidator(d, config.WithFormatAssertions())
	if len(errs) > 0 {
		out := make([]string, len(errs))
		for i, e := range errs {
			out[i] = e.Error()
		}
		return out
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		return describe(verrs)
	}
	return nil
}

// describe lists validation errors with their schema details.
func describe(errs []*vErrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		s := e.Message + ": " + e.Reason
		for _, se := range e.SchemaValidationErrors {
			s += fmt.Sprintf("\n    at %s (%s): %s", se.FieldPath, se.KeywordLocation, se.Reason)
		}
		out = append(out, s)
	}
	return out
}
