package web_test

import (
	"encoding/json"
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

func TestPages(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	rename := h.changeOf(t, h.IMS, 3)

	cases := []struct {
		name, path string
		want       []string
		not        []string
	}{
		{"feed", "/", []string{"1EdTech Consortium", "COR", "ims-privacy", "Re-vet", `/changes/` + itoa(rename.ID)}, nil},
		{"feed re-vet only", "/?revet=1", []string{"<strong>Re-vet: "}, []string{"No re-vet needed"}},
		{"feed by supplier", "/?supplier=COR", []string{"cor-privacy"}, []string{"ims-privacy</a>"}},
		{"change", "/changes/" + itoa(rename.ID), []string{"IMS Global → 1EdTech", "vetting reports", "Substantive (3)",
			"Rename-only changes", "Cosmetic changes", "/sources/" + itoa(h.IMS.ID) + "/versions/2/raw", "<strong>Re-vet: 3 substantive changes (sharing, scope)</strong>; renamed IMS Global → 1EdTech"}, nil},
		// Inside the substantive clauses the rename is marked text, not
		// a deletion and an insertion.
		{"change", "/changes/" + itoa(rename.ID), []string{`<span class="renamed" title="renamed to 1EdTech">IMS Global</span> websites that by their nature`,
			`<span class="renamed" title="renamed from IMS Global">1EdTech</span> websites that by their nature`}, nil},
		{"change inline", "/changes/" + itoa(rename.ID) + "?view=inline", []string{"<ins>", "inline-diff",
			`use collaboration features in the <span class="renamed" title="renamed from IMS Global">1EdTech</span> websites`}, nil},
		{"source", "/sources/" + itoa(h.IMS.ID), []string{"version 3", "version 1", "Tracking: ", "ok", "Recent fetches"}, nil},
		{"version", "/sources/" + itoa(h.IMS.ID) + "/versions/3", []string{"1EdTech"}, nil},
		{"supplier", "/suppliers/COR", []string{"cor-privacy"}, []string{"ims-privacy"}},
		{"suppliers", "/suppliers", []string{"1EdTech Consortium", "COR"}, nil},
		{"sources", "/sources", []string{"ims-privacy", "cor-privacy"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := do(t, "GET", srv.URL+c.path, "", "", map[string]string{"Accept": "text/html"})
			if resp.StatusCode != 200 {
				t.Fatalf("GET %s: %d\n%s", c.path, resp.StatusCode, body)
			}
			text := html.UnescapeString(body)
			for _, w := range c.want {
				if !strings.Contains(text, w) {
					t.Errorf("GET %s: no %q", c.path, w)
				}
			}
			for _, w := range c.not {
				if strings.Contains(text, w) {
					t.Errorf("GET %s: has %q", c.path, w)
				}
			}
			if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP %q", csp)
			}
		})
	}

	// The API gives the rename spans with both forms.
	_, body := do(t, "GET", srv.URL+"/api/changes/"+itoa(rename.ID), "", "", nil)
	var detail struct{ Diff diff.Result }
	if err := json.Unmarshal([]byte(body), &detail); err != nil {
		t.Fatalf("GET /api/changes/%d: %v", rename.ID, err)
	}
	renamed := 0
	for _, c := range detail.Diff.Changes {
		for _, sp := range c.Inline {
			switch {
			case c.Class != diff.Substantive:
			case sp.Op == diff.OpRename && sp.From == "IMS Global" && sp.Text == "1EdTech":
				renamed++
			case sp.Op == diff.OpDelete && strings.Contains(sp.Text, "IMS Global"):
				t.Errorf("API: a substantive change deletes %q", sp.Text)
			}
		}
	}
	if renamed == 0 {
		t.Errorf("API: no rename span IMS Global → 1EdTech in a substantive change")
	}

	// The raw capture is served as sandboxed plain text.
	resp, body := do(t, "GET", srv.URL+"/sources/"+itoa(h.IMS.ID)+"/versions/3/raw", "", "", nil)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") || !strings.Contains(body, "<html") {
		t.Errorf("raw capture: %d %v", resp.StatusCode, resp.Header)
	}
	for _, path := range []string{"/changes/999", "/sources/999", "/suppliers/nobody", "/sources/1/versions/99"} {
		if resp, _ := do(t, "GET", srv.URL+path, "", "", nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	if resp, _ := do(t, "GET", srv.URL+"/?revet=maybe", "", "", nil); resp.StatusCode != 400 {
		t.Errorf("bad filter: %d, want 400", resp.StatusCode)
	}
}

func itoa(n uint64) string { return strconvU(n) }

func TestReadsProtected(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	if resp, _ := do(t, "GET", srv.URL+"/", "", "", map[string]string{"Accept": "text/html"}); resp.StatusCode != http.StatusSeeOther ||
		!strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
		t.Errorf("page without sign-in: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, path := range []string{"/feed.atom", "/api/changes", "/metrics"} {
		if resp, _ := do(t, "GET", srv.URL+path, "", "", nil); resp.StatusCode != 401 {
			t.Errorf("GET %s without a token: %d", path, resp.StatusCode)
		}
		if resp, _ := do(t, "GET", srv.URL+path, "cw_wrong", "", nil); resp.StatusCode != 401 {
			t.Errorf("GET %s with a wrong token: %d", path, resp.StatusCode)
		}
		if resp, _ := do(t, "GET", srv.URL+path, tok, "", nil); resp.StatusCode != 200 {
			t.Errorf("GET %s with a token: %d", path, resp.StatusCode)
		}
	}
	// Feed readers use Basic auth with the token as password.
	req, _ := http.NewRequest("GET", srv.URL+"/feed.atom", nil)
	req.SetBasicAuth("reader", tok)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("basic auth: %v %v", resp.StatusCode, err)
	}
	if resp, _ := do(t, "GET", srv.URL+"/healthz", "", "", nil); resp.StatusCode != 200 {
		t.Errorf("healthz: %d", resp.StatusCode)
	}
}

func TestAPITriage(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	tok := token(t, h.DB, "alice")
	c := h.changeOf(t, h.IMS, 3)
	resp, body := do(t, "POST", srv.URL+"/api/changes/"+itoa(c.ID)+"/triage", tok, `{"state":"revet","note":"sharing widened; ticket PV-12"}`, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("triage: %d %s", resp.StatusCode, body)
	}
	got, err := h.DB.Change(t.Context(), c.ID)
	if err != nil || got.Triage.State != store.TriageRevet || got.Triage.By != "alice" || got.Triage.Note != "sharing widened; ticket PV-12" {
		t.Errorf("triage stored: %+v %v", got.Triage, err)
	}
	for _, bad := range []string{`{"state":"maybe"}`, `{"state":"revet","extra":1}`, `not json`, ``} {
		if resp, body := do(t, "POST", srv.URL+"/api/changes/"+itoa(c.ID)+"/triage", tok, bad, nil); resp.StatusCode != 400 {
			t.Errorf("triage %q: %d %s", bad, resp.StatusCode, body)
		}
	}
	// The change filter by triage state.
	_, body = do(t, "GET", srv.URL+"/api/changes?triage=revet", "", "", nil)
	var list struct{ Changes []struct{ ID uint64 } }
	if err := json.Unmarshal([]byte(body), &list); err != nil || len(list.Changes) != 1 || list.Changes[0].ID != c.ID {
		t.Errorf("changes?triage=revet: %s", body)
	}
}

// TestSupplierAndSourceFilter: filtering by a supplier and one of its
// sources must not change what the supplier filter alone shows (the
// supplier index is cached and shared between requests).
func TestSupplierAndSourceFilter(t *testing.T) {
	h := newHistory(t)
	terms := h.add(t, store.Source{Name: "ims-terms", URL: h.Fixture.URL + "/ims/terms", Supplier: "1EdTech Consortium"})
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	count := func(query string) int {
		t.Helper()
		resp, body := do(t, "GET", srv.URL+"/api/changes?"+query, "", "", nil)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", query, resp.StatusCode, body)
		}
		var list struct{ Changes []struct{ ID uint64 } }
		if err := json.Unmarshal([]byte(body), &list); err != nil {
			t.Fatal(err)
		}
		return len(list.Changes)
	}
	supplier := "supplier=1EdTech+Consortium"
	if n := count(supplier); n != 2 {
		t.Fatalf("supplier filter: %d changes, want 2", n)
	}
	if n := count(supplier + "&source=" + itoa(terms.ID)); n != 0 {
		t.Errorf("supplier and its change-less source: %d changes", n)
	}
	if n := count(supplier + "&source=" + itoa(h.IMS.ID)); n != 2 {
		t.Errorf("supplier and its IMS source: %d changes", n)
	}
	if n := count(supplier); n != 2 {
		t.Errorf("supplier filter after combined filters: %d changes, want 2", n)
	}
}
