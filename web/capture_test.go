package web_test

import (
	"html"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	browserfx "github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render"
	"github.com/clausewatch/clausewatch/render/rendertest"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// TestSourceRenderStatus: the source page says how a source is read —
// its render mode, whether it needs a browser and why, in the words of
// watch.BrowserStatusOf ('clausewatch sources' prints the same) — and
// links its last raw capture (the document as served) and its last
// rendered capture (the DOM), served as sandboxed text. A script app
// read in a real headless browser, a source set to render: never that
// needs one, and a plain page.
func TestSourceRenderStatus(t *testing.T) {
	rendertest.Require(t)
	h := newHistory(t)
	site := httptest.NewServer(browserfx.NewSite(100 * time.Millisecond))
	defer site.Close()
	b, err := render.New(render.Options{SettlePoll: 100 * time.Millisecond, Tabs: 1, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	h.Checker.Renderer = b
	app := h.add(t, store.Source{Name: "app", URL: site.URL + browserfx.App, Supplier: "Lumen"})
	never := h.add(t, store.Source{Name: "never", URL: site.URL + browserfx.OneTrust, Supplier: "Lumen", Render: store.RenderNever})
	for _, src := range []store.Source{app, never} {
		if res := h.Checker.Check(t.Context(), src); res.Err != nil {
			t.Fatalf("check %s: %v", src.Name, res.Err)
		}
	}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	page := func(src store.Source) string {
		t.Helper()
		resp, body := do(t, "GET", srv.URL+"/sources/"+itoa(src.ID), "", "", map[string]string{"Accept": "text/html"})
		if resp.StatusCode != 200 {
			t.Fatalf("source page %s: %d %s", src.Name, resp.StatusCode, body)
		}
		return body
	}
	link := func(body, id string) string {
		i := strings.Index(body, `id="`+id+`"`)
		if i < 0 {
			return ""
		}
		j := strings.LastIndex(body[:i], `<a href="`)
		href, _, _ := strings.Cut(body[j+len(`<a href="`):], `"`)
		return html.UnescapeString(href)
	}
	state := func(src store.Source) store.State {
		st, err := h.DB.State(t.Context(), src.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}

	for _, tc := range []struct {
		src           store.Source
		mode          string
		needs         bool
		raw, rendered string // text each capture holds; "" when there is no link
	}{
		{app, "auto", true, `<div id="root"></div>`, "We never sell personal information"},
		{never, "never", true, "onetrust", ""},
		{h.IMS, "auto", false, "1EdTech", ""},
	} {
		t.Run(tc.src.Name, func(t *testing.T) {
			body := page(tc.src)
			st := watch.BrowserStatusOf(tc.src, state(tc.src))
			if st.Needs != tc.needs || string(st.Mode) != tc.mode {
				t.Fatalf("status %+v (state %+v), want mode %s, needs %v", st, state(tc.src), tc.mode, tc.needs)
			}
			text := html.UnescapeString(body)
			want := "no: a plain fetch reads it"
			if tc.needs {
				want = "yes: " + st.Why
			}
			if !strings.Contains(text, `<dd id="render-mode">`+tc.mode+`</dd>`) || !strings.Contains(text, want) {
				t.Errorf("the page does not say render mode %s and %q:\n%.3000s", tc.mode, want, text)
			}
			for _, c := range []struct{ id, want string }{{"last-raw", tc.raw}, {"last-rendered", tc.rendered}} {
				href := link(body, c.id)
				if (href == "") != (c.want == "") {
					t.Errorf("%s link %q, want one: %v", c.id, href, c.want != "")
					continue
				}
				if href == "" {
					continue
				}
				resp, capture := do(t, "GET", srv.URL+href, "", "", nil)
				if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "sandbox") ||
					!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || !strings.Contains(strings.ToLower(capture), strings.ToLower(c.want)) {
					t.Errorf("GET %s: %d %v, want sandboxed text holding %q:\n%.500s", href, resp.StatusCode, resp.Header, c.want, capture)
				}
			}
		})
	}
	if st := watch.BrowserStatusOf(never, state(never)); !strings.Contains(st.Why, "needs a browser (set render: always)") {
		t.Errorf("render: never on a OneTrust embed: %q, want the reason sources prints", st.Why)
	}
	// Captures that do not exist, or are asked for wrongly, are 404s.
	rendered := link(page(app), "last-rendered")
	for _, path := range []string{
		strings.Replace(rendered, "/rendered?", "/other?", 1),
		strings.Replace(rendered, "?at=", "?at=1", 1),
		strings.Replace(rendered, "/sources/"+itoa(app.ID)+"/", "/sources/"+itoa(h.IMS.ID)+"/", 1),
		"/sources/" + itoa(h.IMS.ID) + "/fetches/1/rendered?at=x",
	} {
		if resp, _ := do(t, "GET", srv.URL+path, "", "", nil); resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
}
