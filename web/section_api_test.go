package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/web"
)

// TestAPISourceSection: POST and PATCH /api/sources take a section (the
// heading of the document to keep on a page that holds several); GET
// shows it; an empty one clears it; one that cannot be stored is a 400
// that says why.
func TestAPISourceSection(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	section := func(path string) string {
		t.Helper()
		resp, body := do(t, "GET", srv.URL+path, tok, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		s, _ := got["section"].(string)
		return s
	}

	resp, body := do(t, "POST", srv.URL+"/api/sources", tok,
		`{"name": "legal", "url": "https://legal.example/", "supplier": "Legal", "section": " Privacy Policy "}`, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST with a section: %d %s", resp.StatusCode, body)
	}
	path := resp.Header.Get("Location")
	if got := section(path); got != "Privacy Policy" {
		t.Errorf("after POST: section %q, want %q", got, "Privacy Policy")
	}
	steps := []struct{ patch, want string }{
		{`{"section": "Cookie Policy"}`, "Cookie Policy"},
		{`{"paused": true}`, "Cookie Policy"}, // a PATCH without it keeps it
		{`{"section": ""}`, ""},
	}
	for _, s := range steps {
		if resp, body := do(t, "PATCH", srv.URL+path, tok, s.patch, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", s.patch, resp.StatusCode, body)
		}
		if got := section(path); got != s.want {
			t.Errorf("after PATCH %s: section %q, want %q", s.patch, got, s.want)
		}
	}
	bad := []struct{ name, body, says string }{
		{"escape sequence", `{"section": "Privacy\u001b[2J"}`, "section"},
		{"bidi override", `{"section": "Privacy\u202ePolicy"}`, "format character"},
		{"too long", `{"section": "` + strings.Repeat("s", 201) + `"}`, "more than the 200 allowed"},
		{"not a string", `{"section": ["Privacy"]}`, "section"},
	}
	for _, b := range bad {
		resp, body := do(t, "PATCH", srv.URL+path, tok, b.body, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, b.says) {
			t.Errorf("PATCH %s: %d %.200s; want 400 saying %q", b.name, resp.StatusCode, body, b.says)
		}
	}
}
