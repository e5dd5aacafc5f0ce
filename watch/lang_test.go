package watch_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// TestLanguageEndToEnd: a German policy served without <html lang> gets
// its language from the Content-Language header (or, with none, from its
// text), the language is kept in every stored document, the change is
// judged by the German rules ("nicht an Dritte" → "an Werbepartner" is a
// re-vet about sharing), and a re-extraction keeps the language, read
// again from the header stored with each fetch.
func TestLanguageEndToEnd(t *testing.T) {
	page, err := os.ReadFile("testdata/lang/datenschutz.html")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(page), "lang=") {
		t.Fatal("the page must not declare its language")
	}
	edited := []byte(strings.Replace(string(page), "Wir geben Ihre Daten nicht an Dritte weiter.", "Wir geben Ihre Daten an Werbepartner weiter.", 1))
	var serveEdited atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if cl := r.URL.Query().Get("cl"); cl != "" {
			w.Header().Set("Content-Language", cl)
		}
		if serveEdited.Load() {
			w.Write(edited)
			return
		}
		w.Write(page)
	}))
	defer srv.Close()

	cases := []struct {
		name, header string
		want         string // the stored documents' language
	}{
		{"Content-Language de", "de", "de"},
		{"Content-Language de-AT, kept as written", "de-AT", "de-AT"},
		{"no header: detected from the text", "", "de"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			serveEdited.Store(false)
			clk := &clock{t: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
			c := newChecker(t, clk, fetch.Options{})
			ctx := t.Context()
			url := srv.URL + "/datenschutz"
			if tc.header != "" {
				url += "?cl=" + tc.header
			}
			src := addSource(t, c, "beispielwerk", url)
			if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeNew {
				t.Fatalf("first check: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
			}
			serveEdited.Store(true)
			clk.Advance(24 * time.Hour)
			r := mustCheck(t, c, src)
			if r.Fetch.Outcome != store.OutcomeChanged || r.Change == nil {
				t.Fatalf("second check: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
			}
			if got := http.Header(r.Fetch.Header).Get("Content-Language"); got != tc.header {
				t.Errorf("stored fetch Content-Language %q, want %q", got, tc.header)
			}
			checkStoredLang(t, c, src, tc.want)

			ch, err := c.Store.Change(ctx, r.Change.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !ch.Revet {
				t.Errorf("stored change: revet false; %s", ch.Summary)
			}
			data, err := c.Store.Blob(ctx, ch.DiffSHA256)
			if err != nil {
				t.Fatal(err)
			}
			var res diff.Result
			if err := json.Unmarshal(data, &res); err != nil {
				t.Fatal(err)
			}
			if res.Lang != "de" || res.Old.Lang != tc.want || res.New.Lang != tc.want {
				t.Errorf("judged in %q, documents %q → %q; want de, %s", res.Lang, res.Old.Lang, res.New.Lang, tc.want)
			}
			var sharing bool
			for _, c := range res.Changes {
				sharing = sharing || c.Class == diff.Substantive && slices.Contains(c.Categories, "sharing")
			}
			if !res.Revet || !sharing {
				t.Errorf("want a re-vet about sharing; got %s", res.Summary)
			}

			// Re-extraction reads the language again from the header kept
			// with each fetch.
			if _, err := c.Reextract(ctx, src); err != nil {
				t.Fatal(err)
			}
			checkStoredLang(t, c, src, tc.want)
		})
	}
}

// checkStoredLang checks the language of every stored version's document.
func checkStoredLang(t *testing.T, c *watch.Checker, src store.Source, want string) {
	t.Helper()
	vs, err := c.Store.Versions(t.Context(), src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("%d versions, want 2", len(vs))
	}
	for _, v := range vs {
		doc, err := watch.Document(t.Context(), c.Store, v.DocSHA256)
		if err != nil {
			t.Fatal(err)
		}
		if doc.Lang != want {
			t.Errorf("version %d: stored document language %q, want %q", v.Seq, doc.Lang, want)
		}
	}
}

// TestExtractorUpgrade: a database whose versions an older extractor read
// (extract/4: documents without a language, another reading hash) meets
// this build. The same bytes fetched again are read again (the reading
// differs) and are unchanged, not a change; their document does not
// replace the version's, so only reextract gives the stored versions a
// language, and that is not a policy change either.
func TestExtractorUpgrade(t *testing.T) {
	page, err := os.ReadFile("testdata/lang/datenschutz.html")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Language", "de")
		w.Write(page)
	}))
	defer srv.Close()
	clk := &clock{t: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	c := newChecker(t, clk, fetch.Options{})
	ctx := t.Context()
	src := addSource(t, c, "beispielwerk", srv.URL+"/datenschutz")
	mustCheck(t, c, src)

	// What the older build left: the same text, read by extract/4 into a
	// document with no language.
	vs, _ := c.Store.Versions(ctx, src.ID)
	doc, err := watch.Document(ctx, c.Store, vs[0].DocSHA256)
	if err != nil {
		t.Fatal(err)
	}
	doc.Lang = ""
	oldDoc, _ := json.Marshal(doc)
	old := vs[0]
	old.Extractor, old.Reading, old.DocSHA256 = "extract/4", "0123456789abcdef", store.Hash(oldDoc)
	st, _ := c.Store.State(ctx, src.ID)
	if _, err := c.Store.ReplaceGeneration(ctx, src.ID, st.Rev, store.Generation{Versions: []store.Version{old}, Blobs: [][]byte{oldDoc}}); err != nil {
		t.Fatal(err)
	}
	feedBefore, _ := c.Store.Changes(ctx, store.ChangeFilter{Reextracted: true})

	clk.Advance(24 * time.Hour)
	if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeUnchanged || r.Change != nil {
		t.Fatalf("check after the upgrade: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
	}
	vs, _ = c.Store.Versions(ctx, src.ID)
	if d, _ := watch.Document(ctx, c.Store, vs[0].DocSHA256); len(vs) != 1 || d.Lang != "" {
		t.Fatalf("a check replaced the stored version: %d versions, language %q", len(vs), d.Lang)
	}

	if _, err := c.Reextract(ctx, src); err != nil {
		t.Fatal(err)
	}
	checkLangs := func(when string) {
		t.Helper()
		vs, _ := c.Store.Versions(ctx, src.ID)
		if len(vs) != 1 {
			t.Fatalf("%s: %d versions", when, len(vs))
		}
		d, _ := watch.Document(ctx, c.Store, vs[0].DocSHA256)
		if d.Lang != "de" || vs[0].Extractor != extract.Version {
			t.Errorf("%s: language %q by %s, want de by %s", when, d.Lang, vs[0].Extractor, extract.Version)
		}
	}
	checkLangs("after reextract")
	clk.Advance(24 * time.Hour)
	if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeUnchanged || r.Change != nil {
		t.Fatalf("check after reextract: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
	}
	checkLangs("after a check")
	if feed, _ := c.Store.Changes(ctx, store.ChangeFilter{}); len(feed) != 0 {
		t.Errorf("the upgrade put %d changes in the feed", len(feed))
	}
	if all, _ := c.Store.Changes(ctx, store.ChangeFilter{Reextracted: true}); len(all) != len(feedBefore) {
		t.Errorf("%d changes with re-extractions, was %d", len(all), len(feedBefore))
	}
}
