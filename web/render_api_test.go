package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/web"
)

// TestAPISourceRender: POST and PATCH /api/sources take a render mode
// (auto, never, always); GET shows it; anything else is a 400 that says
// why.
func TestAPISourceRender(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	mode := func(path string) string {
		t.Helper()
		resp, body := do(t, "GET", srv.URL+path, tok, "", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatal(err)
		}
		s, _ := got["render"].(string)
		return s
	}
	resp, body := do(t, "POST", srv.URL+"/api/sources", tok,
		`{"name": "widget", "url": "https://widget.example/privacy", "supplier": "Widget", "render": "always"}`, nil)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("POST with render: %d %s", resp.StatusCode, body)
	}
	path := resp.Header.Get("Location")
	if got := mode(path); got != "always" {
		t.Errorf("after POST: render %q, want always", got)
	}
	for _, s := range []struct{ patch, want string }{
		{`{"render": "never"}`, "never"},
		{`{"paused": true}`, "never"},
		{`{"render": ""}`, ""},
	} {
		if resp, body := do(t, "PATCH", srv.URL+path, tok, s.patch, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("PATCH %s: %d %s", s.patch, resp.StatusCode, body)
		}
		if got := mode(path); got != s.want {
			t.Errorf("after PATCH %s: render %q, want %q", s.patch, got, s.want)
		}
	}
	if resp, body := do(t, "PATCH", srv.URL+path, tok, `{"render": "sometimes"}`, nil); resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "auto, never or always") {
		t.Errorf("PATCH render sometimes: %d %.200s; want 400 naming the modes", resp.StatusCode, body)
	}
}
