package watch_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// legalPage is a legal centre: terms, privacy policy and cookie policy on
// one page. Each argument is one document's body text; privacy == ""
// leaves the privacy policy out altogether.
func legalPage(terms, privacy, cookies string) string {
	var b strings.Builder
	b.WriteString(`<!DOCTYPE html><html><head><title>Legal | Example</title></head><body>
<header class="site-header"><a href="/"><img src="/logo.png" alt="Example"></a><nav><a href="/p">Product</a> <a href="/legal">Legal</a></nav></header>
<main><h1>Legal centre</h1>`)
	fmt.Fprintf(&b, `<h2>Terms of Use</h2><p>%s</p><p>You must be 16 or older to open an account with us, and keep your password safe.</p>`, terms)
	if privacy != "" {
		fmt.Fprintf(&b, `<h2>Privacy Policy</h2><p>This policy is issued by Example Ltd, the controller of your personal data.</p>
<h3>Data we collect</h3><p>%s</p><h3>Your rights</h3><p>You may ask us for a copy of your data, or to delete it, at any time.</p>`, privacy)
	}
	fmt.Fprintf(&b, `<h2>Cookie Policy</h2><p>%s</p></main><footer><p>© 2025 Example Ltd</p></footer></body></html>`, cookies)
	return b.String()
}

// pageServer serves one page whose body the test can replace.
type pageServer struct {
	mu   sync.Mutex
	body string
}

func (p *pageServer) set(body string) { p.mu.Lock(); p.body = body; p.mu.Unlock() }

func (p *pageServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	body := p.body
	p.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprint(w, body)
}

// storedDoc reads the document recorded for a version.
func storedDoc(t *testing.T, c *watch.Checker, v store.Version) *extract.Document {
	t.Helper()
	data, err := c.Store.Blob(t.Context(), v.DocSHA256)
	if err != nil {
		t.Fatal(err)
	}
	var doc extract.Document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	return &doc
}

// TestSectionSource: a source with a section records only that document
// of a legal centre; edits to the other documents are no change; an edit
// to it is; a page without it is suspect, with the reason, and nothing is
// recorded.
func TestSectionSource(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	page := &pageServer{}
	const (
		terms   = "These terms govern your use of the service; by using it you agree to them."
		privacy = "We collect your name and e-mail address when you open an account."
		cookies = "We set one session cookie to keep you signed in, and no other cookie."
	)
	page.set(legalPage(terms, privacy, cookies))
	srv := httptest.NewServer(page)
	defer srv.Close()
	c := newChecker(t, clk, fetch.Options{})
	ctx := t.Context()
	src, err := c.Store.AddSource(ctx, store.Source{Name: "example-privacy", URL: srv.URL + "/legal", Supplier: "Example Ltd",
		Section: "Privacy Policy", Origin: "cli", AllowPrivate: true})
	if err != nil {
		t.Fatal(err)
	}

	// The same page read whole, for contrast.
	// (A fragment tells the two sources of one page apart; it is never sent.)
	whole := addSource(t, c, "example-legal", srv.URL+"/legal#whole")
	mustCheck(t, c, whole)

	r := mustCheck(t, c, src)
	if r.Fetch.Outcome != store.OutcomeNew {
		t.Fatalf("first check: %s %s %s", r.Fetch.Outcome, r.Fetch.Reason, r.Fetch.Error)
	}
	versions, _ := c.Store.Versions(ctx, src.ID)
	doc := storedDoc(t, c, versions[0])
	var texts []string
	for _, cl := range doc.Clauses {
		texts = append(texts, cl.Text)
	}
	want := []string{"Privacy Policy", "This policy is issued by Example Ltd, the controller of your personal data.",
		"Data we collect", privacy, "Your rights", "You may ask us for a copy of your data, or to delete it, at any time."}
	if strings.Join(texts, "\n") != strings.Join(want, "\n") {
		t.Errorf("recorded clauses:\n%s\nwant only the privacy policy:\n%s", strings.Join(texts, "\n"), strings.Join(want, "\n"))
	}
	if versions[0].Title != "Privacy Policy" || versions[0].Clauses != len(want) {
		t.Errorf("version: title %q, %d clauses", versions[0].Title, versions[0].Clauses)
	}

	// The terms and the cookie policy change: not this source's document.
	clk.Advance(24 * time.Hour)
	page.set(legalPage("These terms, revised, now include binding arbitration in Delaware.", privacy, "We set two cookies now."))
	if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeUnchanged || r.Change != nil {
		t.Errorf("other documents edited: got %s (change %v), want unchanged", r.Fetch.Outcome, r.Change)
	}
	if r := mustCheck(t, c, whole); r.Fetch.Outcome != store.OutcomeChanged {
		t.Errorf("other documents edited, page read whole: got %s, want changed", r.Fetch.Outcome)
	}

	// The privacy policy changes: a change.
	clk.Advance(24 * time.Hour)
	page.set(legalPage(terms, "We collect your name, e-mail address and precise location when you open an account.", cookies))
	r = mustCheck(t, c, src)
	if r.Fetch.Outcome != store.OutcomeChanged || r.Change == nil || r.Version != 2 {
		t.Fatalf("privacy policy edited: got %s %s, want a change to version 2", r.Fetch.Outcome, r.Fetch.Reason)
	}

	// The privacy policy is gone from the page: suspect, saying why.
	clk.Advance(24 * time.Hour)
	page.set(legalPage(terms, "", cookies))
	r = mustCheck(t, c, src)
	wantReason := `section "Privacy Policy" not found; headings are: "Legal centre", "Terms of Use", "Cookie Policy"`
	if r.Fetch.Outcome != store.OutcomeSuspect || r.Fetch.Reason != wantReason {
		t.Errorf("section gone: got %s %q, want suspect %q", r.Fetch.Outcome, r.Fetch.Reason, wantReason)
	}
	if r.Version != 2 {
		t.Errorf("section gone: at version %d, want still 2", r.Version)
	}
	if vs, _ := c.Store.Versions(ctx, src.ID); len(vs) != 2 {
		t.Errorf("section gone: %d versions, want 2 (nothing recorded)", len(vs))
	}
}

// TestSectionReextract: a section set on a source that was read whole
// takes effect on its history when it is re-extracted.
func TestSectionReextract(t *testing.T) {
	clk := &clock{t: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	page := &pageServer{}
	page.set(legalPage("These terms govern your use of the service; by using it you agree to them.",
		"We collect your name and e-mail address when you open an account.", "We set one session cookie to keep you signed in."))
	srv := httptest.NewServer(page)
	defer srv.Close()
	c := newChecker(t, clk, fetch.Options{})
	ctx := t.Context()
	src := addSource(t, c, "legal", srv.URL+"/legal")
	mustCheck(t, c, src)
	before, _ := c.Store.Versions(ctx, src.ID)

	src.Section = "privacy policy"
	if err := c.Store.UpdateSource(ctx, src); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Reextract(ctx, src); err != nil {
		t.Fatal(err)
	}
	after, _ := c.Store.Versions(ctx, src.ID)
	if len(after) != 1 || after[0].Title != "Privacy Policy" || after[0].Clauses != 6 || after[0].Words >= before[0].Words {
		t.Errorf("rebuilt version: title %q, %d clauses, %d words (was %d); want the privacy policy's 6 clauses", after[0].Title, after[0].Clauses, after[0].Words, before[0].Words)
	}
	// The next check reads the page the same way: unchanged.
	clk.Advance(time.Hour)
	src, _ = c.Store.Source(ctx, "legal")
	if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeUnchanged {
		t.Errorf("check after reextract: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
	}
}

// TestWatchlistSection: a watchlist entry's section is parsed, checked
// like a name (errors name the file and line), and a changed section is a
// change of the source's settings when the list is applied again.
func TestWatchlistSection(t *testing.T) {
	list := func(section string) string {
		return "sources:\n  - name: a\n    url: https://a.example/legal\n    supplier: A\n" + section
	}
	srcs, err := watch.ParseWatchlist([]byte(list(`    section: "Privacy Policy"`+"\n")), "list.yaml")
	if err != nil || srcs[0].Section != "Privacy Policy" {
		t.Fatalf("parsed %+v, %v", srcs, err)
	}
	bad := []struct{ name, yaml, want string }{
		{"control character", list(`    section: "Privacy\u001b[2J"` + "\n"), `list.yaml:2: source 1: "a": section "Privacy\x1b[2J": control character`},
		{"too long", list("    section: " + strings.Repeat("s", 201) + "\n"), `list.yaml:2: source 1: "a": section "sss`},
		{"a list", list("    section: [a, b]\n"), "list.yaml"},
	}
	for _, tt := range bad {
		if _, err := watch.ParseWatchlist([]byte(tt.yaml), "list.yaml"); !errors.Is(err, watch.ErrWatchlist) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want an error containing %q", tt.name, err, tt.want)
		}
	}

	db, err := store.Open(filepath.Join(t.TempDir(), "wl.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	apply := func(y string) watch.WatchlistReport {
		t.Helper()
		srcs, err := watch.ParseWatchlist([]byte(y), "list.yaml")
		if err != nil {
			t.Fatal(err)
		}
		rep, err := watch.ApplyWatchlist(ctx, db, srcs)
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	steps := []struct {
		name, yaml, want, section string
	}{
		{"added with a section", list("    section: Privacy Policy\n"), "[a] [] 0", "Privacy Policy"},
		{"same again", list("    section: Privacy Policy\n"), "[] [] 1", "Privacy Policy"},
		{"section changed", list("    section: Cookie Policy\n"), "[] [a] 0", "Cookie Policy"},
		{"section dropped", list(""), "[] [a] 0", ""},
		{"section back", list("    section: Privacy Policy\n"), "[] [a] 0", "Privacy Policy"},
	}
	for _, s := range steps {
		rep := apply(s.yaml)
		if got := fmt.Sprintf("%v %v %d", rep.Added, rep.Updated, rep.Unchanged); got != s.want {
			t.Errorf("%s: added, updated, unchanged = %s, want %s", s.name, got, s.want)
		}
		if src, _ := db.Source(ctx, "a"); src.Section != s.section {
			t.Errorf("%s: stored section %q, want %q", s.name, src.Section, s.section)
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}
