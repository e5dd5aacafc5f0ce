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
