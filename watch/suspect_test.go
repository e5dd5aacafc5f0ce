package watch_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// softErrorPage is a 200 answer that is an error page with a lot of text
// around it: a site's navigation, a search box, recent posts and the
// footer, as a CMS serves for a missing page. words is about how many
// words it holds.
func softErrorPage(lang, title, h1 string, words int) []byte {
	filler := map[string][]string{
		"en": strings.Fields("Recent posts from our blog about reading lamps garden furniture and the best way to store winter clothes in a small flat without losing your mind or your favourite jumper"),
		"de": strings.Fields("Neueste Beiträge aus unserem Blog über Leselampen Gartenmöbel und die beste Art Winterkleidung in einer kleinen Wohnung zu lagern ohne den Lieblingspullover zu verlieren"),
		"fr": strings.Fields("Articles récents de notre blog sur les lampes de lecture les meubles de jardin et la meilleure façon de ranger les vêtements d hiver dans un petit appartement"),
	}[lang]
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html><html lang=%q><head><meta charset=utf-8><title>%s</title></head><body>", lang, title)
	b.WriteString(`<header><nav><a href="/">Home</a> <a href="/shop">Shop</a> <a href="/blog">Blog</a></nav></header><main>`)
	fmt.Fprintf(&b, "<h1>%s</h1><p>It looks like nothing was found at this location. Maybe try one of the links below or a search?</p><form><input name=s></form>", h1)
	n := 0
	for i := 0; n < words; i++ {
		b.WriteString("<h2>Post ")
		fmt.Fprint(&b, i+1)
		b.WriteString("</h2><p>")
		for j := range 28 {
			b.WriteString(filler[(i+j)%len(filler)])
			b.WriteString(" ")
		}
		b.WriteString("</p>")
		n += 30
	}
	b.WriteString("</main><footer><p>© Example Shop Ltd</p></footer></body></html>")
	return []byte(b.String())
}

// TestSoftNotFound: after a real policy is recorded, the server answers
// 200 with an error page of 300 words or more (a soft 404 with a site's
// posts around it). Every such fetch is suspect, whatever its length:
// nothing is recorded as a version or a change, and the health says why.
// A real policy that merely talks about pages not found is recorded as
// the change it is.
func TestSoftNotFound(t *testing.T) {
	policy, err := fsRead("pages/cor/2016-03-17.html")
	if err != nil {
		t.Fatal(err)
	}
	// The real policy, changed by a paragraph and a heading (not the
	// first) about pages not found.
	mentions := bytes.Replace(policy, []byte("<h2>Changes</h2>"), []byte(`<h2>Page not found errors</h2><p>If a page is not found, our servers log a 404 error with the address you asked for and your IP address, and delete the log after 30 days.</p><h2>Changes</h2>`), 1)
	if bytes.Equal(mentions, policy) {
		t.Fatal("the paragraph was not added")
	}
	cases := []struct {
		name   string
		page   []byte
		reason string // part of the fetches' reason; "" for a real change
	}{
		{"wordpress 404, 631 words", softErrorPage("en", "Page not found – Example Shop", "Oops! That page can’t be found.", 631), `error page ("Page not found")`},
		{"title is the site's, h1 says 404", softErrorPage("en", "Example Shop", "Error 404", 631), `error page ("Error 404")`},
		{"german", softErrorPage("de", "Seite nicht gefunden | Beispiel GmbH", "Hoppla!", 631), `error page ("Seite nicht gefunden")`},
		{"french", softErrorPage("fr", "Exemple SARL", "Erreur 404 : page introuvable", 631), `error page ("Erreur 404")`},
		{"access denied", softErrorPage("en", "Access denied", "Access denied", 631), `error page ("Access denied")`},
		{"503 with a long apology", softErrorPage("en", "503 Service Unavailable", "We’ll be back soon", 900), `error page ("503 Service Unavailable")`},
		{"real policy mentioning not found", mentions, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var swapped atomic.Bool
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				if swapped.Load() {
					w.Write(tc.page)
					return
				}
				w.Write(policy)
			}))
			defer srv.Close()
			clk := &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
			c := newChecker(t, clk, fetch.Options{})
			ctx := t.Context()
			src := addSource(t, c, "cor", srv.URL+"/privacy")
			if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeNew {
				t.Fatalf("first check: got %s %q, want %s", r.Fetch.Outcome, r.Fetch.Reason, store.OutcomeNew)
			}
			swapped.Store(true)
			var last store.State
			for i := range 3 {
				clk.Advance(time.Hour)
				r := mustCheck(t, c, src)
				last, _ = c.Store.State(ctx, src.ID)
				if tc.reason == "" {
					if i == 0 && (r.Fetch.Outcome != store.OutcomeChanged || r.Change == nil) {
						t.Fatalf("a real policy's change: got %s %q, want %s", r.Fetch.Outcome, r.Fetch.Reason, store.OutcomeChanged)
					}
					continue
				}
				if r.Fetch.Outcome != store.OutcomeSuspect || !strings.Contains(r.Fetch.Reason, tc.reason) {
					t.Errorf("check %d: got %s %q (%d words), want %s with %q", i+1, r.Fetch.Outcome, r.Fetch.Reason, r.Fetch.Words, store.OutcomeSuspect, tc.reason)
				}
				if r.Fetch.Words != 0 && r.Fetch.Words < 300 {
					t.Errorf("check %d: the page has %d words; the case needs 300 or more", i+1, r.Fetch.Words)
				}
				if i == 0 && (last.Health != store.HealthFailing || !strings.Contains(last.HealthReason, tc.reason)) {
					t.Errorf("health after one soft error page: got %s %q, want %s naming %q", last.Health, last.HealthReason, store.HealthFailing, tc.reason)
				}
			}
			versions, _ := c.Store.Versions(ctx, src.ID)
			changes, _ := c.Store.Changes(ctx, store.ChangeFilter{SourceID: src.ID})
			if tc.reason == "" {
				if len(versions) != 2 || len(changes) != 1 || last.Health != store.HealthOK {
					t.Errorf("got %d versions, %d changes, health %s; want 2, 1, ok", len(versions), len(changes), last.Health)
				}
				return
			}
			if len(versions) != 1 || len(changes) != 0 {
				t.Errorf("got %d versions and %d changes, want the real policy's version only", len(versions), len(changes))
			}
			if last.Health != store.HealthBroken || last.Current != 1 {
				t.Errorf("after three soft error pages: health %s (%s), version %d; want broken with version 1 kept", last.Health, last.HealthReason, last.Current)
			}
		})
	}
}

// TestSuspectCorpus: no real policy page of the corpus is taken for an
// error page or a cookie wall by the junk rules (its title, its first heading as extracted
// and its first <h1>), and the corpus's one error page is not read as a
// policy. Pages suspect for other reasons are logged: the rules for those
// are not this test's.
func TestSuspectCorpus(t *testing.T) {
	dir := os.Getenv("CLAUSEWATCH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus", "otarchive")
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "*", "*.html"))
	if err != nil || len(files) == 0 {
		t.Skipf("corpus not found at %s: %v", dir, err)
	}
	const ctype = "text/html; charset=utf-8"
	var suspect []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, f)
		errorPage := strings.HasPrefix(rel, filepath.Join("hily", "terms-of-service", "2026-07-23"))
		doc, err := extract.Bytes(data, extract.Options{ContentType: ctype})
		reason := "cannot read the page"
		if err == nil {
			reason = watch.Junk(&fetch.Capture{Body: data, Header: http.Header{"Content-Type": {ctype}}}, doc)
		}
		if errorPage && reason == "" {
			t.Errorf("%s (the corpus's error page): read as a policy", rel)
		}
		if !errorPage && (strings.HasPrefix(reason, "error page") || strings.HasPrefix(reason, "cookie wall")) {
			t.Errorf("%s (a real policy): got %q, want it read as a policy", rel, reason)
		}
		if reason != "" {
			suspect = append(suspect, rel+": "+reason)
		}
	}
	t.Logf("checked %d corpus pages; %d not read as policies:\n%s", len(files), len(suspect), strings.Join(suspect, "\n"))
	if len(files) < 200 {
		t.Errorf("read %d corpus pages, want over 200", len(files))
	}
}

// TestCookieWall: a page that is only a consent prompt is suspect; a
// short policy that explains its cookies among other things is not.
func TestCookieWall(t *testing.T) {
	const ctype = "text/html; charset=utf-8"
	policy := `<html><head><title>Privacy Policy</title></head><body><main><h1>Privacy Policy</h1>
<p>We collect your email address when you subscribe, to notify you of changes.</p>
<p>The data is kept for at most five years after the last email we send.</p>
<p>You may ask us to erase your data by writing to privacy@example.org.</p>
<h2>Cookies</h2>
<p>We leave a cookie to count visits; it is exempt from consent. You can manage it in your browser or reject it.</p>
<p>The controller is Example Ltd, 1 Example Street, Exampletown.</p></main></body></html>`
	banner := `<html><head><title>Privacy Policy</title></head><body><main>
<p>We value your privacy. We and our partners use cookies to store and access information on your device.</p>
<p>By clicking Accept all you consent to our use of cookies. You can reject non-essential cookies or manage your preferences.</p>
<p><button>Accept all</button> <button>Reject all</button> <button>Manage preferences</button></p></main></body></html>`
	for _, tc := range []struct {
		name, page string
		wall       bool
	}{
		{"short policy that explains its cookies", policy, false},
		{"consent prompt only", banner, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := extract.Bytes([]byte(tc.page), extract.Options{ContentType: ctype})
			if err != nil {
				t.Fatal(err)
			}
			reason := watch.Junk(&fetch.Capture{Body: []byte(tc.page), Header: http.Header{"Content-Type": {ctype}}}, doc)
			if got := strings.HasPrefix(reason, "cookie wall"); got != tc.wall {
				t.Errorf("got %q, want cookie wall %v", reason, tc.wall)
			}
		})
	}
}
