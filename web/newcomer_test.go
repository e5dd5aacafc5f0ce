package web_test

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/clausewatch/clausewatch/web"
)

// TestTriageVocabulary: the triage words are one vocabulary — each badge
// on the feed is a value of its triage filter, and the menu's "To re-vet"
// link filters with one of those values and finds the untriaged re-vets.
func TestTriageVocabulary(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	resp, body := do(t, "GET", srv.URL+"/", "", "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("feed: %d", resp.StatusCode)
	}
	options := submatches(body, `<option value="([^"]*)"`)
	badges := submatches(body, `<span class="triage t-[^"]*">([^<]*)</span>`)
	link := submatches(body, `href="/\?revet=1&amp;triage=([^"]*)">To re-vet`)
	if len(badges) == 0 || len(link) != 1 {
		t.Fatalf("feed: badges %q, To re-vet link %q", badges, link)
	}
	for _, b := range append(badges, link...) {
		if !slices.Contains(options, b) {
			t.Errorf("triage word %q is not one of the filter's %q", b, options)
		}
	}
	_, revets := do(t, "GET", srv.URL+"/?revet=1&triage="+link[0], "", "", nil)
	if n := len(submatches(revets, `<li class="entry (revet)"`)); n == 0 {
		t.Errorf("the To re-vet list (triage=%s) is empty; the history has untriaged re-vets", link[0])
	}
}

func submatches(s, pattern string) []string {
	var out []string
	for _, m := range regexp.MustCompile(pattern).FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestTriageOpenStillRead: links made with the former word "open" still
// filter the untriaged changes, and the filter shows them as "new".
func TestTriageOpenStillRead(t *testing.T) {
	h := newHistory(t)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	_, old := do(t, "GET", srv.URL+"/?triage=open", "", "", nil)
	_, now := do(t, "GET", srv.URL+"/?triage=new", "", "", nil)
	if a, b := submatches(old, `data-change="(\d+)"`), submatches(now, `data-change="(\d+)"`); len(a) == 0 || !slices.Equal(a, b) {
		t.Errorf("triage=open lists %v, triage=new %v", a, b)
	}
	if got := submatches(old, `<option value="([a-z]+)" selected>`); !slices.Equal(got, []string{"new"}) {
		t.Errorf("triage=open selects %q in the filter, want new", got)
	}
	if resp, _ := do(t, "GET", srv.URL+"/?triage=bogus", "", "", nil); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("triage=bogus: %d, want 400", resp.StatusCode)
	}
}
