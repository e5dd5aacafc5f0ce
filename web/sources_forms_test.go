package web_test

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// legalCentre is a page with two documents, a newsletter box inside the
// text, and a frame.
const legalCentre = `<!DOCTYPE html><html lang="en"><head><title>Acme legal centre</title></head><body>
<nav><a href="/">Home</a> <a href="/pricing">Pricing</a></nav>
<main>
<h1>Legal centre</h1>
<h2>Privacy Policy</h2>
<p>We collect the names and e-mail addresses of teachers who sign up, to run the service for their schools.</p>
<p>We never sell personal data, and we share it only with the processors listed below under contract.</p>
<div class="promo"><p>Subscribe to our newsletter for product news and classroom tips every single week.</p></div>
<h2>Cookie Policy</h2>
<p>We use one session cookie to keep you signed in, and no advertising or tracking cookies at all.</p>
<p>You can clear the cookie at any time from your browser settings without losing any of your work.</p>
</main></body></html>`

// sitePages serve the pages previews and checks read: a policy, a
// script app's empty shell, a bot challenge, and a page that is gone.
func sitePages(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	page := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(status)
			w.Write([]byte(body))
		}
	}
	mux.HandleFunc("/legal", page(200, legalCentre))
	mux.HandleFunc("/app", page(200, `<html><head><title>Privacy</title></head><body><div id="root"></div>
<noscript>You need to enable JavaScript to run this app.</noscript></body></html>`))
	mux.HandleFunc("/challenge", page(200, `<html><head><title>Just a moment...</title></head><body>
<p>Checking your browser before accessing acme.example.</p><script>window._cf_chl_opt={cType:'managed'};</script></body></html>`))
	mux.HandleFunc("/gone", page(404, "<html><head><title>Not found</title></head><body><h1>404</h1></body></html>"))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// localPreview previews through a checker whose client may reach
// 127.0.0.1 (the test's sites); the server's own default refuses it.
func localPreview() *watch.Checker {
	return &watch.Checker{Client: fetch.NewClient(fetch.Options{AllowPrivate: true, Attempts: 1})}
}

// browserSession is a signed-in browser: its cookie and CSRF token.
type browserSession struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
	csrf   string
}

func newSession(t *testing.T, base string, db *store.DB, user string) browserSession {
	t.Helper()
	cookie, csrf := signIn(t, base, token(t, db, user))
	return browserSession{t: t, base: base, cookie: cookie, csrf: csrf}
}

func (b browserSession) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, body := do(b.t, "GET", b.base+path, "", "", map[string]string{"Cookie": b.cookie.String(), "Accept": "text/html"})
	return resp, html.UnescapeString(body)
}

// post sends a form with the session's CSRF token.
func (b browserSession) post(path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	form = cloneForm(form)
	form.Set("csrf", b.csrf)
	resp, body := do(b.t, "POST", b.base+path, "", form.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Cookie": b.cookie.String(), "Accept": "text/html"})
	return resp, html.UnescapeString(body)
}

func cloneForm(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// recordingScheduler records the sources asked to be checked soon (the
// web server's view of the daemon; the store is real).
type recordingScheduler struct {
	mu   sync.Mutex
	soon []uint64
}

func (s *recordingScheduler) CheckSoon(_ context.Context, id uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.soon = append(s.soon, id)
	return nil
}
func (s *recordingScheduler) Resync() {}
func (s *recordingScheduler) CheckNow(context.Context, uint64) (watch.Result, error) {
	return watch.Result{}, watch.ErrBusy
}

func (s *recordingScheduler) asked() []uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint64(nil), s.soon...)
}

// TestSourcePreview previews pages through the add form: the clauses
// kept, what remove and section leave out, the section picker's
// headings, and the reason a check would give a page that is not a
// policy. Nothing is stored by a preview.
func TestSourcePreview(t *testing.T) {
	site := sitePages(t)
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now, Preview: localPreview()})
	guarded := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	b := newSession(t, srv.URL, h.DB, "alice")
	bg := newSession(t, guarded.URL, h.DB, "bob")
	before := countSources(t, h.DB)
	form := func(path string, extra ...string) url.Values {
		v := url.Values{"name": {"acme-privacy"}, "url": {site.URL + path}, "supplier": {"Acme"}, "kind": {"privacy"}, "do": {"preview"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	cases := []struct {
		name   string
		b      browserSession
		form   url.Values
		status int
		want   []string
		not    []string
	}{
		{"whole page", b, form("/legal"), 200,
			[]string{"The page reads as a policy", "Title: ", "We never sell personal data", "Subscribe to our newsletter", `<datalist id="sections"><option value="Legal centre">`},
			[]string{"Left out by your settings", "Pricing"}},
		{"remove", b, form("/legal", "remove", ".promo"), 200,
			[]string{"leave out 1 clause", `id="dropped"><li class="dropped paragraph">Subscribe to our newsletter`, "We never sell personal data"},
			nil},
		{"section picker", b, form("/legal", "section", "Cookie Policy"), 200,
			[]string{`id="kept"><li class="heading">Cookie Policy</li>`, "one session cookie", `<li class="dropped paragraph">We never sell personal data`, `<option value="Privacy Policy">`},
			[]string{`<li class="paragraph">We never sell personal data`}},
		{"section not on the page", b, form("/legal", "section", "Terms of Use"), 200,
			[]string{"A check would not record this page (suspect)", `section "Terms of Use" not found`, `"Privacy Policy"`}, nil},
		{"script app", b, form("/app"), 200,
			[]string{"A check would not record this page", "needs a browser, and none is available here"}, nil},
		{"bot challenge", b, form("/challenge"), 200, []string{"A check would not record this page", "bot challenge (Cloudflare challenge)"}, nil},
		{"gone", b, form("/gone"), 200, []string{"A check would not record this page (failed)", "HTTP 404"}, nil},
		{"bad selector", b, form("/legal", "select", "main[["), 400, []string{"Not saved:", "main[["}, []string{`id="preview"`}},
		{"bad URL", b, form("", "url", "ftp://acme.example/privacy"), 400, []string{"Not saved:", "URL"}, []string{`id="preview"`}},
		{"SSRF guard of the server's own client", bg, form("/legal"), 200,
			[]string{"A check would not record this page (failed)", "address refused by the SSRF guard"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := c.b.post("/sources/new", c.form)
			if resp.StatusCode != c.status {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, c.status, body)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("no %q in\n%s", w, mainOf(body))
				}
			}
			for _, w := range c.not {
				if strings.Contains(body, w) {
					t.Errorf("has %q", w)
				}
			}
			// The form comes back filled in, to save as previewed.
			if !strings.Contains(body, `name="name" value="acme-privacy"`) {
				t.Errorf("the form lost its values")
			}
			if n := countSources(t, h.DB); n != before {
				t.Errorf("a preview stored a source: %d sources, want %d", n, before)
			}
		})
	}

	// Saving what was previewed stores it as the API would: never
	// allowed a private address, from the web.
	resp, body := b.post("/sources/new", form("/legal", "remove", ".promo", "tags", "k12, lti, K12", "do", "save"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", resp.StatusCode, body)
	}
	src, err := h.DB.Source(t.Context(), "acme-privacy")
	if err != nil {
		t.Fatal(err)
	}
	if src.AllowPrivate || src.Origin != "web" || strings.Join(src.Remove, "|") != ".promo" || strings.Join(src.Tags, "|") != "k12|lti" {
		t.Errorf("saved %+v", src)
	}
	if loc := resp.Header.Get("Location"); loc != "/sources/"+itoa(src.ID)+"?done=added" {
		t.Errorf("redirect to %q", loc)
	}
	if _, page := b.get(resp.Header.Get("Location")); !strings.Contains(page, "Source added.") || !strings.Contains(tags.ReplaceAllString(page, ""), "Tracking: not checked yet") {
		t.Errorf("the new source's page lacks the notice or says it was checked:\n%s", mainOf(page))
	}
	// The same name again is refused by name, and nothing else is saved.
	resp, body = b.post("/sources/new", form("/app", "do", "save"))
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, `a source named "acme-privacy"`) {
		t.Errorf("duplicate: %d %s", resp.StatusCode, mainOf(body))
	}
}

// TestSourceEditAndStates edits a source through the form (then it is
// due now), and pauses, archives, restores and resumes it: nothing is
// deleted, and archive only hides.
func TestSourceEditAndStates(t *testing.T) {
	h := newHistory(t)
	sched := &recordingScheduler{}
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now, Scheduler: sched, Preview: localPreview()})
	b := newSession(t, srv.URL, h.DB, "alice")
	id := itoa(h.COR.ID)
	_, page := b.get("/sources/" + id + "/edit")
	if !strings.Contains(page, `name="url" value="`+h.COR.URL+`"`) || !strings.Contains(page, `action="/sources/`+id+`/edit"`) {
		t.Fatalf("edit form not filled in:\n%s", mainOf(page))
	}
	edit := url.Values{"name": {"cor-privacy"}, "url": {h.COR.URL}, "supplier": {"COR"}, "kind": {"privacy"}, "do": {"save"}}
	steps := []struct {
		name   string
		path   string
		form   url.Values
		status int
		check  func(store.Source) bool
		listed bool // on the default dashboard
	}{
		{"bad schedule", "/edit", with(edit, "schedule", "every tuesday"), 400, func(s store.Source) bool { return s.Schedule == "" }, true},
		{"edit", "/edit", with(edit, "schedule", "@daily", "tags", "k12"), 303,
			func(s store.Source) bool { return s.Schedule == "@daily" && len(s.Tags) == 1 && s.AllowPrivate }, true},
		{"pause", "/pause", nil, 303, func(s store.Source) bool { return s.Paused && !s.Archived }, true},
		{"archive", "/archive", nil, 303, func(s store.Source) bool { return s.Paused && s.Archived }, false},
		{"restore", "/restore", nil, 303, func(s store.Source) bool { return s.Paused && !s.Archived }, true},
		{"resume", "/resume", nil, 303, func(s store.Source) bool { return !s.Paused && !s.Archived }, true},
		{"archive again", "/archive", nil, 303, func(s store.Source) bool { return s.Archived }, false},
		{"resume from the archive", "/resume", nil, 303, func(s store.Source) bool { return !s.Paused && !s.Archived }, true},
	}
	for _, st := range steps {
		resp, body := b.post("/sources/"+id+st.path, st.form)
		if resp.StatusCode != st.status {
			t.Fatalf("%s: %d, want %d\n%s", st.name, resp.StatusCode, st.status, mainOf(body))
		}
		src, err := h.DB.SourceByID(t.Context(), h.COR.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !st.check(src) {
			t.Errorf("%s: stored %+v", st.name, src)
		}
		_, dash := b.get("/sources")
		if listed := strings.Contains(dash, `id="source-`+id+`"`); listed != st.listed {
			t.Errorf("%s: on the dashboard %v, want %v", st.name, listed, st.listed)
		}
		if vs, err := h.DB.Versions(t.Context(), h.COR.ID); err != nil || len(vs) != 2 {
			t.Errorf("%s: versions %d, %v: history lost", st.name, len(vs), err)
		}
	}
	// The edit of an active source made it due now; the bad one did not.
	if got := sched.asked(); len(got) != 1 || got[0] != h.COR.ID {
		t.Errorf("check soon asked for %v, want [%d]", got, h.COR.ID)
	}
	_, dash := b.get("/sources?status=archived")
	if strings.Contains(dash, `id="source-`+id+`"`) {
		t.Errorf("resumed source listed as archived")
	}
	if resp, _ := b.post("/sources/999/pause", nil); resp.StatusCode != 404 {
		t.Errorf("pause of no source: %d", resp.StatusCode)
	}
}

// TestEditPreviewKeepsTheGuard: a source the operator allowed a private
// address previews at that address, but an edit's preview of another
// URL goes through the SSRF guard (the grant belongs to the URL).
func TestEditPreviewKeepsTheGuard(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now}) // the server's own, guarded client
	b := newSession(t, srv.URL, h.DB, "alice")
	edit := url.Values{"name": {"cor-privacy"}, "supplier": {"COR"}, "kind": {"privacy"}, "do": {"preview"}}
	cases := []struct {
		name, url string
		want      string
	}{
		{"the granted URL", h.COR.URL, "The page reads as a policy"},
		{"another local URL", h.Fixture.URL + "/ims/privacy", "address refused by the SSRF guard"},
	}
	for _, c := range cases {
		resp, body := b.post("/sources/"+itoa(h.COR.ID)+"/edit", with(edit, "url", c.url))
		if resp.StatusCode != 200 || !strings.Contains(body, c.want) {
			t.Errorf("%s: %d, want %q in\n%s", c.name, resp.StatusCode, c.want, mainOf(body))
		}
	}
	if src, err := h.DB.SourceByID(t.Context(), h.COR.ID); err != nil || src.URL != h.COR.URL || !src.AllowPrivate {
		t.Errorf("a preview changed the source: %+v %v", src, err)
	}
}

// TestAPISourceTagsAndArchive: the API takes tags and archived as the
// forms do, with the store's checks.
func TestAPISourceTagsAndArchive(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	tok := token(t, h.DB, "api")
	path := srv.URL + "/api/sources/" + itoa(h.COR.ID)
	cases := []struct {
		body   string
		status int
		want   string
	}{
		{`{"tags": ["k12", " lti ", "K12", ""]}`, 200, `"tags": [
    "k12",
    "lti"
  ]`},
		{`{"tags": ["a,b"]}`, 400, `tag \"a,b\": contains a comma`},
		{`{"tags": ["\u202eevil"]}`, 400, "tag"},
		{`{"archived": true}`, 200, `"archived": true`},
		{`{"paused": false}`, 200, `"paused": true`}, // still archived: still paused
		{`{"archived": false, "paused": false}`, 200, `"current_version": 2`},
	}
	for _, c := range cases {
		resp, body := do(t, "PATCH", path, tok, c.body, nil)
		if resp.StatusCode != c.status || !strings.Contains(body, c.want) {
			t.Errorf("PATCH %s: %d, want %d with %q:\n%s", c.body, resp.StatusCode, c.status, c.want, body)
		}
	}
	src, err := h.DB.SourceByID(t.Context(), h.COR.ID)
	if err != nil || src.Paused || src.Archived || strings.Join(src.Tags, ",") != "k12,lti" {
		t.Errorf("stored %+v %v", src, err)
	}
}

func with(v url.Values, kv ...string) url.Values {
	out := cloneForm(v)
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

// TestBulkAdd adds from a pasted list and from an uploaded watchlist:
// each good line is added, each bad one is listed by line number with
// its reason and nothing is saved for it.
func TestBulkAdd(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	b := newSession(t, srv.URL, h.DB, "alice")
	pasted := strings.Join([]string{
		"# name, URL, supplier, kind",
		"acme-privacy, https://acme.example/privacy",
		"acme-terms\thttps://acme.example/terms\t\tterms",
		"",
		"bad-url, ftp://acme.example/x",
		"bad-kind, https://acme.example/k, Acme, cookies",
		"ims-privacy, https://ims.example/privacy",
		"just-a-name",
		`"quoted, name", https://other.example/p, "Other, Inc"`,
		`"unclosed, https://x.example`,
		"acme-dup, https://acme.example/privacy",
	}, "\n")
	resp, body := b.post("/sources/bulk", url.Values{"lines": {pasted}, "supplier": {"Acme Learning"}, "kind": {"privacy"}, "tags": {"bulk"}})
	if resp.StatusCode != 400 {
		t.Fatalf("status %d\n%s", resp.StatusCode, mainOf(body))
	}
	rows := []struct{ line, want string }{
		{"2", "added acme-privacy"},
		{"3", "added acme-terms"},
		{"5", `URL "ftp://acme.example/x"`},
		{"6", `kind "cookies" (want privacy or terms)`},
		{"7", `a source named "ims-privacy"`},
		{"8", "want name, URL[, supplier[, kind]]"},
		{"9", "added quoted, name"},
		{"10", "cannot read the line"},
		{"11", "https://acme.example/privacy is watched already"},
	}
	for _, r := range rows {
		if !strings.Contains(body, "<tr") || !strings.Contains(rowOf(body, r.line), r.want) {
			t.Errorf("line %s: want %q in %q", r.line, r.want, rowOf(body, r.line))
		}
	}
	if !strings.Contains(body, "3 sources added; 6 lines were refused") {
		t.Errorf("summary missing:\n%s", mainOf(body))
	}
	// The refused lines come back in the box, the added ones do not.
	box := between(body, `<textarea id="lines" name="lines" rows="10"`, "</textarea>")
	if !strings.Contains(box, "bad-url, ftp://acme.example/x") || strings.Contains(box, "acme-terms") {
		t.Errorf("box holds %q", box)
	}
	for name, want := range map[string]store.Source{
		"acme-privacy": {Supplier: "Acme Learning", Kind: store.Privacy},
		"acme-terms":   {Supplier: "Acme Learning", Kind: store.Terms},
		"quoted, name": {Supplier: "Other, Inc", Kind: store.Privacy},
	} {
		got, err := h.DB.Source(t.Context(), name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.Supplier != want.Supplier || got.Kind != want.Kind || got.Origin != "web" || got.AllowPrivate || strings.Join(got.Tags, ",") != "bulk" {
			t.Errorf("%s stored as %+v", name, got)
		}
	}
	for _, name := range []string{"bad-url", "bad-kind", "just-a-name", "acme-dup"} {
		if _, err := h.DB.Source(t.Context(), name); err == nil {
			t.Errorf("%s was saved", name)
		}
	}

	// An uploaded watchlist: entries checked one by one, by line.
	watchlist := `sources:
  - name: wl-good
    url: https://wl.example/privacy
    supplier: WL
    tags: [lti]
  - name: wl-bad-schedule
    url: https://wl.example/terms
    supplier: WL
    schedule: every tuesday
  - name: wl-no-url
    supplier: WL
`
	resp, body = b.upload("/sources/bulk", "list.yaml", watchlist)
	if resp.StatusCode != 400 {
		t.Fatalf("upload: %d\n%s", resp.StatusCode, mainOf(body))
	}
	for line, want := range map[string]string{"2": "added wl-good", "6": `list.yaml:6: source 2: "wl-bad-schedule"`, "10": `"wl-no-url" has no url`} {
		if !strings.Contains(rowOf(body, line), want) {
			t.Errorf("watchlist line %s: want %q in %q", line, want, rowOf(body, line))
		}
	}
	if got, err := h.DB.Source(t.Context(), "wl-good"); err != nil || got.Origin != "web" || strings.Join(got.Tags, ",") != "lti" {
		t.Errorf("wl-good: %+v %v", got, err)
	}
	// A file that is not a watchlist is refused whole, by name.
	resp, body = b.upload("/sources/bulk", "notes.yaml", "hello: [")
	if resp.StatusCode != 400 || !strings.Contains(body, "notes.yaml") {
		t.Errorf("bad file: %d %s", resp.StatusCode, mainOf(body))
	}
	resp, body = b.post("/sources/bulk", url.Values{"lines": {"  \n"}})
	if resp.StatusCode != 400 || !strings.Contains(body, "nothing to add") {
		t.Errorf("empty: %d %s", resp.StatusCode, mainOf(body))
	}
}

// upload posts a multipart form with a watchlist file.
func (b browserSession) upload(path, filename, content string) (*http.Response, string) {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf", b.csrf)
	fw, err := mw.CreateFormFile("watchlist", filename)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write([]byte(content))
	mw.Close()
	resp, body := do(b.t, "POST", b.base+path, "", buf.String(),
		map[string]string{"Content-Type": mw.FormDataContentType(), "Cookie": b.cookie.String(), "Accept": "text/html"})
	return resp, html.UnescapeString(body)
}

// rowOf is the result row of a line on the bulk page, as text.
func rowOf(body, line string) string {
	return tags.ReplaceAllString(between(body, "<td>"+line+"</td>", "</tr>"), "")
}

var tags = regexp.MustCompile(`<[^>]*>`)

func between(s, from, to string) string {
	_, after, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	in, _, _ := strings.Cut(after, to)
	return in
}

// mainOf is a page's main element, for messages.
func mainOf(page string) string {
	if m := between(page, "<main>", "</main>"); m != "" {
		return m
	}
	return page
}

func countSources(t *testing.T, db *store.DB) int {
	t.Helper()
	srcs, err := db.Sources(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return len(srcs)
}
