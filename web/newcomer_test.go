package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
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

// TestCaptureFlipSaysSeen: a supplier's capture of a page that went back
// to an earlier text (a flip, which takes 3 sightings in a row) says how
// far it is and when to look again — "seen 1 of 3, check again in …" —
// instead of an unexplained capture with no change.
func TestCaptureFlipSaysSeen(t *testing.T) {
	h := newHistory(t)
	ctx := t.Context()
	var which atomic.Int32
	texts := []string{
		"<p>We never sell your data to anyone for any purpose, and we delete it after thirty days.</p>",
		"<p>We may share your data with our partners for marketing, and we keep it for five years.</p>",
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><head><title>Privacy</title></head><body><main><h1>Privacy Policy</h1>
<p>Acme Learning collects your name and e-mail address when you register for an account on our website.</p>%s</main></body></html>`, texts[which.Load()])
	}))
	defer site.Close()
	src := h.add(t, store.Source{Name: "acme-privacy", URL: site.URL + "/privacy", Supplier: "Acme"})
	// Version 1, then version 2 (confirmed by the checker's second fetch).
	for i := range texts {
		which.Store(int32(i))
		if res := h.Checker.Check(ctx, src); res.Err != nil {
			t.Fatal(res.Err)
		}
	}
	if vs, _ := h.DB.Versions(ctx, src.ID); len(vs) != 2 {
		t.Fatalf("set-up: %d versions, want 2", len(vs))
	}
	if _, err := h.DB.PutSupplier(ctx, store.Supplier{Name: "Acme", Awarded: "2021-03-01"}); err != nil {
		t.Fatal(err)
	}
	sched, err := watch.NewScheduler(h.Checker, watch.SchedulerOptions{Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	staff := token(t, h.DB, "staff")
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now, Scheduler: sched, CaptureEvery: time.Hour, CaptureBurst: 1})
	resp, body := do(t, "POST", srv.URL+"/api/suppliers/Acme/token", staff, "", nil)
	var issued struct{ Token string }
	if json.Unmarshal([]byte(body), &issued); resp.StatusCode != http.StatusCreated {
		t.Fatalf("supplier token: %d %s", resp.StatusCode, body)
	}

	which.Store(0) // back to version 1's text: a flip
	resp, body = do(t, "POST", srv.URL+"/api/capture", issued.Token, "", nil)
	var ans struct {
		Captures []struct {
			Fetch  store.Fetch
			Change *store.Change
			Note   string
		}
	}
	if err := json.Unmarshal([]byte(body), &ans); err != nil || resp.StatusCode != http.StatusOK || len(ans.Captures) != 1 {
		t.Fatalf("capture: %d %s", resp.StatusCode, body)
	}
	c := ans.Captures[0]
	if c.Fetch.Outcome != store.OutcomeFlip || c.Change != nil {
		t.Fatalf("capture of the earlier text: outcome %s, change %v; want a flip and no change", c.Fetch.Outcome, c.Change)
	}
	// The burst of 1 is spent: the next capture is up to an hour away
	// (the check's fetches moved the test clock on a little).
	m := regexp.MustCompile(`^seen 1 of 3, check again in ([0-9hms]+):`).FindStringSubmatch(c.Note)
	var wait time.Duration
	if m != nil {
		wait, _ = time.ParseDuration(m[1])
	}
	if m == nil || wait < 50*time.Minute || wait > time.Hour || !strings.Contains(c.Note, "alternates") {
		t.Errorf("capture note %q, want \"seen 1 of 3, check again in <about 1h>: …alternates…\"", c.Note)
	}
}

// TestAPIDatesAreDays: the JSON API's date-only fields are YYYY-MM-DD
// strings — a deadline's date and notice, and its update window's
// notified and last days — never objects.
func TestAPIDatesAreDays(t *testing.T) {
	h := newHistory(t)
	if _, err := h.DB.PutSupplier(t.Context(), store.Supplier{Name: "COR", Awarded: "2016-03-01"}); err != nil {
		t.Fatal(err)
	}
	staff := token(t, h.DB, "staff")
	srv := serve(t, web.Options{DB: h.DB, Now: h.Clock.Now})
	if resp, body := do(t, "POST", srv.URL+"/api/suppliers/COR/notifications", staff, `{"when":"2022-06-01","tickets":[{"kind":"appear","text":"a sentence no policy holds yet"}]}`, nil); resp.StatusCode != http.StatusCreated {
		t.Fatalf("notify: %d %s", resp.StatusCode, body)
	}
	resp, body := do(t, "GET", srv.URL+"/api/deadlines", staff, "", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("deadlines: %d %s", resp.StatusCode, body)
	}
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	day := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	seen := map[string]int{}
	var walk func(key string, v any)
	walk = func(key string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				walk(k, e)
			}
		case []any:
			for _, e := range v {
				walk(key, e)
			}
		default:
			switch key {
			case "date", "notice", "notified", "last_day":
				seen[key]++
				if s, ok := v.(string); !ok || !day.MatchString(s) {
					t.Errorf("%s is %v (%T), want a YYYY-MM-DD string", key, v, v)
				}
			}
		}
		if m, ok := v.(map[string]any); ok && (key == "notified" || key == "last_day") {
			t.Errorf("%s is an object %v, want a YYYY-MM-DD string", key, m)
		}
	}
	walk("", v)
	for _, k := range []string{"date", "notified", "last_day"} {
		if seen[k] == 0 {
			t.Errorf("no %q field in the deadlines: %.600s", k, body)
		}
	}
}
