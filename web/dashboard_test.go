package web_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

// dashboardHistory is the history with sources in every state: one whose
// page is gone (checked twice), one behind a bot challenge, one that
// needs a browser, one never checked, one archived.
func dashboardHistory(t *testing.T) *history {
	t.Helper()
	h := newHistory(t)
	site := sitePages(t)
	ctx := t.Context()
	for _, s := range []struct {
		name, path string
		kind       store.Kind
		tags       []string
		checks     int
	}{
		{"acme-gone", "/gone", store.Privacy, []string{"k12"}, 2},
		{"acme-wall", "/challenge", store.Terms, []string{"k12", "lti"}, 1},
		{"acme-app", "/app", store.Privacy, nil, 1},
		{"acme-new", "/legal", store.Privacy, []string{"lti"}, 0},
		{"acme-old", "/legal?old", store.Privacy, nil, 0},
	} {
		src, err := h.DB.AddSource(ctx, store.Source{Name: s.name, URL: site.URL + s.path, Supplier: "Acme Learning", Kind: s.kind, Tags: s.tags,
			Origin: "cli", AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		for range s.checks {
			if res := h.Checker.Check(ctx, src); res.Err != nil {
				t.Fatalf("check %s: %v", s.name, res.Err)
			}
		}
	}
	old, err := h.DB.Source(ctx, "acme-old")
	if err != nil {
		t.Fatal(err)
	}
	old.Archived = true
	if err := h.DB.UpdateSource(ctx, old); err != nil {
		t.Fatal(err)
	}
	return h
}

// TestDashboard reads the sources dashboard with its filters and sorts,
// in HTML, JSON and CSV: the same rows, and the health in words.
func TestDashboard(t *testing.T) {
	h := dashboardHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	cases := []struct {
		name, query string
		want        []string // names, in order
	}{
		{"default: all but archived, by name", "", []string{"acme-app", "acme-gone", "acme-new", "acme-wall", "cor-privacy", "ims-privacy"}},
		{"by name, descending", "sort=-name", []string{"ims-privacy", "cor-privacy", "acme-wall", "acme-new", "acme-gone", "acme-app"}},
		{"broken", "health=broken", []string{"acme-gone"}},
		{"failing", "health=failing", []string{"acme-app", "acme-wall"}},
		{"never checked", "health=unchecked", []string{"acme-new"}},
		{"ok", "health=ok", []string{"cor-privacy", "ims-privacy"}},
		{"search", "q=IMS", []string{"ims-privacy"}},
		{"search the words", "q=bot+wall", []string{"acme-wall"}},
		{"supplier", "supplier=cor", []string{"cor-privacy"}},
		{"kind", "kind=terms", []string{"acme-wall"}},
		{"tag", "tag=LTI", []string{"acme-new", "acme-wall"}},
		{"archived", "status=archived", []string{"acme-old"}},
		{"all", "status=all&supplier=Acme+Learning", []string{"acme-app", "acme-gone", "acme-new", "acme-old", "acme-wall"}},
		{"worst first", "sort=health&supplier=Acme+Learning", []string{"acme-gone", "acme-app", "acme-wall", "acme-new"}},
		{"last changed, latest first", "sort=-changed&health=ok", []string{"ims-privacy", "cor-privacy"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The API's view.
			resp, body := do(t, "GET", srv.URL+"/api/sources?view=dashboard&"+c.query, "", "", nil)
			if resp.StatusCode != 200 {
				t.Fatalf("API: %d %s", resp.StatusCode, body)
			}
			var got struct {
				Sources []struct {
					Name        string    `json:"name"`
					Words       string    `json:"health_words"`
					LastChanged time.Time `json:"last_changed"`
				} `json:"sources"`
			}
			if err := json.Unmarshal([]byte(body), &got); err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range got.Sources {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, c.want) {
				t.Errorf("API: %v, want %v", names, c.want)
			}
			// The CSV: the same rows, in the same order.
			resp, body = do(t, "GET", srv.URL+"/sources.csv?"+c.query, "", "", nil)
			recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
			if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
				t.Fatalf("CSV: %d %v %v", resp.StatusCode, resp.Header, err)
			}
			names = nil
			for _, rec := range recs[1:] {
				names = append(names, rec[1])
			}
			if !slices.Equal(names, c.want) {
				t.Errorf("CSV: %v, want %v", names, c.want)
			}
			// The page: the rows in the same order.
			_, page := do(t, "GET", srv.URL+"/sources?"+c.query, "", "", map[string]string{"Accept": "text/html"})
			names = nil
			for _, row := range strings.Split(page, `<tr id="source-`)[1:] {
				names = append(names, strings.TrimSpace(tags.ReplaceAllString(between(row, `<a href="/sources/`, "</a>")+"</a>", "")))
			}
			for i := range names {
				_, names[i], _ = strings.Cut(names[i], `">`)
			}
			if !slices.Equal(names, c.want) {
				t.Errorf("page: %v, want %v", names, c.want)
			}
		})
	}

	// Health in words, on the page, in the API and in the CSV alike.
	words := map[string]string{
		"acme-gone":   "404 twice — page moved?",
		"acme-wall":   "bot wall",
		"acme-app":    "needs a browser (none installed)",
		"acme-new":    "not checked yet",
		"ims-privacy": "ok",
	}
	_, body := do(t, "GET", srv.URL+"/sources.csv?status=all", "", "", nil)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(recs[0], "health_words")
	for _, rec := range recs[1:] {
		if w, ok := words[rec[1]]; ok && rec[col] != w {
			t.Errorf("%s: health in words %q, want %q", rec[1], rec[col], w)
		}
	}
	_, page := do(t, "GET", srv.URL+"/sources", "", "", map[string]string{"Accept": "text/html"})
	for name, w := range words {
		if !strings.Contains(page, w) {
			t.Errorf("page: no %q for %s", w, name)
		}
	}
	// The order menu shows the order, for phones that hide the headers.
	_, page = do(t, "GET", srv.URL+"/sources?sort=-changed", "", "", map[string]string{"Accept": "text/html"})
	if !strings.Contains(page, `<option value="-changed" selected>`) || !strings.Contains(page, `aria-sort="descending"`) {
		t.Errorf("sorted by -changed: the menu or the header does not say so")
	}
	// IMS last changed when its version 3 was first seen.
	vs, err := h.DB.Versions(t.Context(), h.IMS.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, body = do(t, "GET", srv.URL+"/api/sources?view=dashboard&q=ims", "", "", nil)
	if want := vs[2].FirstSeen.UTC().Format(time.RFC3339); !strings.Contains(body, `"last_changed": "`+want) {
		t.Errorf("IMS last changed: want %s in %s", want, body)
	}

	// Bad parameters are refused by name, in every form.
	for _, q := range []string{"sort=bogus", "health=sick", "kind=cookies", "status=deleted"} {
		param, _, _ := strings.Cut(q, "=")
		for _, path := range []string{"/sources?", "/sources.csv?", "/api/sources?view=dashboard&"} {
			resp, body := do(t, "GET", srv.URL+path+q, "", "", nil)
			if resp.StatusCode != 400 || !strings.Contains(body, param+":") {
				t.Errorf("%s%s: %d %s", path, q, resp.StatusCode, body)
			}
		}
	}
}

// TestDashboardCSVInjection: names, suppliers and URLs a user or a site
// chose cannot become formulas in a spreadsheet.
func TestDashboardCSVInjection(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	cases := []struct{ name, supplier string }{
		{"=HYPERLINK(\"https://evil.example\",\"x\")", "+cmd"},
		{"-2+3", "@SUM(A1:A9)"},
		{"plain-name", "Plain Supplier"},
	}
	for i, c := range cases {
		h.add(t, store.Source{Name: c.name, URL: h.Fixture.URL + "/x" + itoa(uint64(i)), Supplier: c.supplier})
	}
	_, body := do(t, "GET", srv.URL+"/sources.csv", "", "", nil)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, rec := range recs[1:] {
		for i, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Errorf("column %s: formula-like cell %q", recs[0][i], cell)
			}
		}
		for _, c := range cases {
			if strings.TrimPrefix(rec[1], "'") == c.name {
				found++
				if want := c.supplier; strings.TrimPrefix(rec[3], "'") != want {
					t.Errorf("supplier %q, want %q", rec[3], want)
				}
				if strings.ContainsRune("=+-@", rune(c.name[0])) && rec[1] != "'"+c.name {
					t.Errorf("name %q not prefixed: %q", c.name, rec[1])
				}
			}
		}
	}
	if found != len(cases) {
		t.Errorf("found %d of %d sources in the CSV", found, len(cases))
	}
}

// TestDashboardPages: a list of hundreds comes a page at a time, by
// rows and by the bytes of long URLs, each source on exactly one page,
// every page under the page cap.
func TestDashboardPages(t *testing.T) {
	cases := []struct {
		name     string
		n, extra int // sources, and bytes of path added to each URL
		pages    int
	}{
		{"many short rows", 450, 0, 3},
		{"long URLs", 300, 7000, 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db, err := store.Open(filepath.Join(t.TempDir(), "pages.db"), store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			var srcs []store.Source
			for i := range c.n {
				srcs = append(srcs, store.Source{Name: fmt.Sprintf("s-%04d", i), Supplier: "Acme", Origin: "cli",
					URL: fmt.Sprintf("https://x%d.example/%s", i, strings.Repeat("p", c.extra))})
			}
			if _, err := db.AddSources(t.Context(), srcs); err != nil {
				t.Fatal(err)
			}
			srv := serve(t, web.Options{DB: db, OpenRead: true})
			seen := map[string]int{}
			for page := 1; page <= c.pages; page++ {
				resp, body := do(t, "GET", srv.URL+"/sources?page="+strconv.Itoa(page), "", "", map[string]string{"Accept": "text/html"})
				if resp.StatusCode != 200 || len(body) > 4<<20 {
					t.Fatalf("page %d: %d, %d bytes", page, resp.StatusCode, len(body))
				}
				for _, row := range strings.Split(body, `<tr id="source-`)[1:] {
					id, _, _ := strings.Cut(row, `"`)
					seen[id]++
				}
				if next := strings.Contains(body, `rel="next"`); next != (page < c.pages) {
					t.Errorf("page %d: a next link %v", page, next)
				}
			}
			if len(seen) != c.n {
				t.Errorf("%d sources over the pages, want %d", len(seen), c.n)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("source %s on %d pages", id, n)
				}
			}
			if resp, _ := do(t, "GET", srv.URL+"/sources?page="+strconv.Itoa(c.pages+1), "", "", nil); resp.StatusCode != 404 {
				t.Errorf("page past the end: %d", resp.StatusCode)
			}
		})
	}
}
