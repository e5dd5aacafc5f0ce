package watch_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render/rendertest"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// renderCapture reads a rendered fetch's capture.
func renderCapture(t *testing.T, c *watch.Checker, f store.Fetch) store.RenderCapture {
	t.Helper()
	if f.RenderSHA256 == "" {
		t.Fatalf("fetch %d (%s, %s) was not rendered", f.ID, f.Outcome, f.Reason)
	}
	data, err := c.Store.Blob(t.Context(), f.RenderSHA256)
	if err != nil {
		t.Fatal(err)
	}
	var rc store.RenderCapture
	if err := json.Unmarshal(data, &rc); err != nil {
		t.Fatal(err)
	}
	return rc
}

// clauseLines is a stored version's clauses, one "kind\ttext" line each.
func clauseLines(t *testing.T, c *watch.Checker, src store.Source) string {
	t.Helper()
	vs, err := c.Store.Versions(t.Context(), src.ID)
	if err != nil || len(vs) == 0 {
		t.Fatalf("versions of %s: %d, %v", src.Name, len(vs), err)
	}
	doc := storedDoc(t, c, vs[len(vs)-1])
	var b strings.Builder
	for _, cl := range doc.Clauses {
		fmt.Fprintf(&b, "%s\t%s\n", cl.Kind, cl.Text)
	}
	return b.String()
}

// golden compares got with testdata/render/name.golden (-update writes it).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "render", name+".golden")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("%s: clauses\n%s\nwant (%s)\n%s", name, got, path, want)
	}
}

// TestRenderFixtures: each page that needs a browser gives its clauses
// (golden) with render: auto and a browser, is remembered as needing one
// (the next check renders directly), and without a browser is suspect
// with a reason that says so — never the marketing frame as version 1.
func TestRenderFixtures(t *testing.T) {
	site := browser.NewSite(300 * time.Millisecond)
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	b := rendertest.Browser(t)
	for _, tc := range []struct {
		name, path  string
		plainReason string // the reason without a browser (render: auto, none available)
	}{
		{"script-app", browser.App, "needs a browser, and none is available here (install chromium): the page is a script app"},
		{"termly", browser.Termly, "needs a browser, and none is available here (install chromium): the page holds a Termly policy embed"},
		{"onetrust", browser.OneTrust, "needs a browser, and none is available here (install chromium): the page holds a OneTrust policy embed"},
		{"walled", browser.Walled, "HTTP 403"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
			c := newChecker(t, clk, fetch.Options{})
			src := addSource(t, c, tc.name, srv.URL+tc.path)

			// No browser: suspect, saying why.
			res := c.Check(t.Context(), src)
			if res.Err != nil || res.Fetch.Outcome.Good() || !strings.HasPrefix(res.Fetch.Reason, tc.plainReason) || res.Version != 0 {
				t.Fatalf("without a browser: %s (%s), version %d, %v; want suspect or failed, %q", res.Fetch.Outcome, res.Fetch.Reason, res.Version, res.Err, tc.plainReason)
			}

			c.Renderer = b
			res = c.Check(t.Context(), src)
			if res.Err != nil || res.Fetch.Outcome != store.OutcomeNew {
				t.Fatalf("with a browser: %s (%s), %v", res.Fetch.Outcome, res.Fetch.Reason, res.Err)
			}
			rc := renderCapture(t, c, res.Fetch)
			if !strings.HasPrefix(rc.Why, "plain fetch: ") || rc.Plain == nil || !rc.Settled || rc.DOMSHA256 != res.Fetch.BodySHA256 || rc.Browser == "" {
				t.Errorf("capture: %+v", rc)
			}
			if rc.DocumentSHA256 != "" {
				if _, err := c.Store.Blob(t.Context(), rc.DocumentSHA256); err != nil {
					t.Errorf("document blob: %v", err)
				}
			}
			golden(t, tc.name, clauseLines(t, c, src))
			st, _ := c.Store.State(t.Context(), src.ID)
			if !st.NeedsRender {
				t.Errorf("the source is not remembered as needing a browser")
			}
			// Later checks render directly.
			res = c.Check(t.Context(), src)
			if res.Err != nil || res.Fetch.Outcome != store.OutcomeUnchanged {
				t.Fatalf("second check: %s (%s), %v", res.Fetch.Outcome, res.Fetch.Reason, res.Err)
			}
			if rc := renderCapture(t, c, res.Fetch); rc.Why != "remembered: the source needs a browser" || rc.Plain != nil {
				t.Errorf("second check rendered because %q (plain %+v), want remembered and no plain fetch", rc.Why, rc.Plain)
			}
		})
	}
}

// TestRenderNever: a source set to render: never is suspect with the
// reason staff can act on, even with a browser at hand.
func TestRenderNever(t *testing.T) {
	site := browser.NewSite(0)
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	clk := &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	c := newChecker(t, clk, fetch.Options{})
	src, err := c.Store.AddSource(t.Context(), store.Source{Name: "t", URL: srv.URL + browser.Termly, Supplier: "S", AllowPrivate: true, Render: store.RenderNever})
	if err != nil {
		t.Fatal(err)
	}
	res := c.Check(t.Context(), src)
	if want := "needs a browser (set render: always): the page holds a Termly policy embed"; !strings.HasPrefix(res.Fetch.Reason, want) || res.Fetch.RenderSHA256 != "" {
		t.Errorf("render: never: %s (%s), want %q and no render", res.Fetch.Outcome, res.Fetch.Reason, want)
	}
	if !strings.Contains(res.HealthReason, "needs a browser (set render: always)") {
		t.Errorf("health reason %q", res.HealthReason)
	}
}

// TestRenderBotWall: a page that walls off the browser too says so.
func TestRenderBotWall(t *testing.T) {
	site := browser.NewSite(0)
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	clk := &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	c := newChecker(t, clk, fetch.Options{Attempts: 1})
	c.Renderer = rendertest.Browser(t)
	src := addSource(t, c, "wall", srv.URL+browser.WalledAll)
	res := c.Check(t.Context(), src)
	if !strings.HasPrefix(res.Fetch.Reason, "bot wall even in the browser") || res.Fetch.RenderSHA256 == "" {
		t.Errorf("walled: %s (%s), render %q; want a bot wall even in the browser, with the browser's capture", res.Fetch.Outcome, res.Fetch.Reason, res.Fetch.RenderSHA256)
	}
}

// TestRenderChanges: a rendered page whose scripts, trackers and ad slot
// change is unchanged; a material edit of its rendered text is exactly
// one re-vet change.
func TestRenderChanges(t *testing.T) {
	site := browser.NewSite(100 * time.Millisecond)
	srv := httptest.NewServer(site)
	t.Cleanup(srv.Close)
	clk := &clock{t: time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC)}
	c := newChecker(t, clk, fetch.Options{})
	c.Renderer = rendertest.Browser(t)
	src := addSource(t, c, "app", srv.URL+browser.App)
	if res := c.Check(t.Context(), src); res.Fetch.Outcome != store.OutcomeNew {
		t.Fatalf("first check: %s (%s)", res.Fetch.Outcome, res.Fetch.Reason)
	}
	site.SetBuild(2)
	res := c.Check(t.Context(), src)
	if res.Fetch.Outcome != store.OutcomeUnchanged || res.Change != nil {
		t.Fatalf("scripts and ads changed: %s (%s), want unchanged", res.Fetch.Outcome, res.Fetch.Reason)
	}
	first := renderCapture(t, c, res.Fetch)
	policy := browser.Policy()
	for i, cl := range policy {
		if strings.HasPrefix(cl.Text, "We never sell") {
			policy[i].Text = "We may sell personal information to advertising partners, and share it with third parties for their own marketing."
		}
	}
	site.SetClauses(policy)
	res = c.Check(t.Context(), src) // sees the new text and confirms it
	if res.Err != nil || res.Change == nil || !res.Change.Revet || res.Fetch.Outcome != store.OutcomeChanged {
		t.Fatalf("material edit: %s (%s), change %+v, %v; want one re-vet change", res.Fetch.Outcome, res.Fetch.Reason, res.Change, res.Err)
	}
	if res := c.Check(t.Context(), src); res.Fetch.Outcome != store.OutcomeUnchanged {
		t.Errorf("after the change: %s (%s)", res.Fetch.Outcome, res.Fetch.Reason)
	}
	changes, err := c.Store.Changes(t.Context(), store.ChangeFilter{SourceID: src.ID})
	if err != nil || len(changes) != 1 {
		t.Errorf("%d changes, %v; want exactly 1", len(changes), err)
	}
	var sawTracker bool
	for _, r := range first.Requests {
		sawTracker = sawTracker || strings.Contains(r.URL, "/t/gtag.js?id=G-15838")
	}
	if !sawTracker {
		t.Errorf("the request list lacks the new build's tracker: %+v", first.Requests)
	}
}
