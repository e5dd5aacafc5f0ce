package watch_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// TestNonceUnstable: a page that embeds a fresh random token in its text
// on every request never shows the same text twice, so every fetch is
// "pending" and no change can be confirmed. From the third such fetch in
// a row the source's health is unstable and names the clauses that
// differ; a notice reports it once; when the page settles, its change is
// recorded and the health is ok again.
func TestNonceUnstable(t *testing.T) {
	policy, err := fsRead("pages/cor/2016-03-17.html")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		// volatile is the HTML the page adds for request n with token.
		volatile func(n int, token string) string
		// want are the clauses the health must name for the last request.
		want func(n int, token string) []string
	}{
		{"one clause with a token",
			func(n int, token string) string {
				return "<p>Your support reference for this visit is " + token + "; quote it when you contact us.</p>"
			},
			func(n int, token string) []string {
				return []string{"Your support reference for this visit is " + token + "; quote it when you contact us."}
			}},
		{"a token and a clock in two clauses",
			func(n int, token string) string {
				return fmt.Sprintf("<p>Session %s.</p><p>Page generated in %d ms at 12:%02d:07.</p>", token, 40+n, n%60)
			},
			func(n int, token string) []string {
				return []string{"Session " + token + ".", fmt.Sprintf("Page generated in %d ms at 12:%02d:07.", 40+n, n%60)}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var (
				mu      sync.Mutex
				n       int
				token   string
				settled atomic.Bool
			)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				if settled.Load() {
					w.Write(policy)
					return
				}
				b := make([]byte, 8)
				rand.Read(b)
				mu.Lock()
				n++
				token = hex.EncodeToString(b)
				extra := tc.volatile(n, token)
				mu.Unlock()
				w.Write(bytes.Replace(policy, []byte("<h2>Changes</h2>"), []byte(extra+"<h2>Changes</h2>"), 1))
			}))
			defer srv.Close()
			clk := &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
			c := newChecker(t, clk, fetch.Options{})
			ctx := t.Context()
			src := addSource(t, c, "cor", srv.URL+"/privacy")
			if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeNew {
				t.Fatalf("first check: got %s, want %s", r.Fetch.Outcome, store.OutcomeNew)
			}
			// Each check is a fetch and its confirming fetch: two new
			// texts. After the second check (two in a row) the health is
			// still ok; the third new text in a row makes it unstable.
			var notices []string
			var last store.State
			for i := range 3 {
				clk.Advance(time.Hour)
				r := mustCheck(t, c, src)
				if r.Fetch.Outcome != store.OutcomePending {
					t.Errorf("check %d: got %s %q, want %s", i+2, r.Fetch.Outcome, r.Fetch.Reason, store.OutcomePending)
				}
				if r.Notice != "" {
					notices = append(notices, r.Notice)
				}
				last, _ = c.Store.State(ctx, src.ID)
				if i == 0 && last.Health != store.HealthOK {
					t.Errorf("after two new texts: health %s %q, want ok", last.Health, last.HealthReason)
				}
			}
			mu.Lock()
			want := tc.want(n, token)
			mu.Unlock()
			if last.Health != store.HealthUnstable || !strings.Contains(last.HealthReason, "differs on every fetch") {
				t.Errorf("health after 6 new texts in a row: got %s %q, want %s", last.Health, last.HealthReason, store.HealthUnstable)
			}
			for _, cl := range want {
				if !strings.Contains(last.HealthReason, fmt.Sprintf("%q", cl)) {
					t.Errorf("health reason %q does not name the clause %q", last.HealthReason, cl)
				}
			}
			if len(notices) != 1 || !strings.HasPrefix(notices[0], "tracking unstable") {
				t.Errorf("notices: got %q, want one 'tracking unstable'", notices)
			}
			if versions, _ := c.Store.Versions(ctx, src.ID); len(versions) != 1 {
				t.Errorf("got %d versions, want 1 (no token recorded as a change)", len(versions))
			}

			// The page settles: its text (without the volatile clauses)
			// is confirmed and recorded, and the health is ok again.
			settled.Store(true)
			clk.Advance(time.Hour)
			r := mustCheck(t, c, src)
			last, _ = c.Store.State(ctx, src.ID)
			if r.Fetch.Outcome != store.OutcomeChanged || last.Health != store.HealthOK || last.HealthReason != "" || last.Unsettled != 0 {
				t.Errorf("after the page settled: got %s, health %s %q, unsettled %d; want %s, ok, 0", r.Fetch.Outcome, last.Health, last.HealthReason, last.Unsettled, store.OutcomeChanged)
			}
		})
	}
}

// TestFlakyConfirm: a new text whose confirming fetches keep landing on
// an error page or a failure is still confirmed by its next sighting, and
// the source is never called unstable: the same text was seen each time.
func TestFlakyConfirm(t *testing.T) {
	policy, err := fsRead("pages/cor/2016-03-17.html")
	if err != nil {
		t.Fatal(err)
	}
	changed := bytes.Replace(policy, []byte("<h2>Changes</h2>"), []byte(`<h2>Advertising</h2><p>We sell your contact details to our advertising partners.</p><h2>Changes</h2>`), 1)
	if bytes.Equal(changed, policy) {
		t.Fatal("the paragraph was not added")
	}
	for _, tc := range []struct {
		name  string
		other func(w http.ResponseWriter)
	}{
		{"error page", func(w http.ResponseWriter) {
			w.Write(softErrorPage("en", "Page not found", "Page not found", 631))
		}},
		{"server error", func(w http.ResponseWriter) { http.Error(w, "try later", http.StatusBadGateway) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var n atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				switch i := n.Add(1) - 1; {
				case i == 0:
					w.Write(policy)
				case i%2 == 1:
					w.Write(changed)
				default:
					tc.other(w)
				}
			}))
			defer srv.Close()
			clk := &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
			c := newChecker(t, clk, fetch.Options{Attempts: 1})
			src := addSource(t, c, "flaky", srv.URL+"/privacy")
			mustCheck(t, c, src)
			var outcomes []store.Outcome
			for range 4 {
				clk.Advance(time.Hour)
				r := mustCheck(t, c, src)
				outcomes = append(outcomes, r.Fetch.Outcome)
			}
			st, _ := c.Store.State(t.Context(), src.ID)
			changes, _ := c.Store.Changes(t.Context(), store.ChangeFilter{SourceID: src.ID})
			if len(changes) != 1 {
				t.Errorf("got %d changes after checks %v, want the one change recorded", len(changes), outcomes)
			}
			if st.Health == store.HealthUnstable {
				t.Errorf("health %s (%s): the same new text was seen every time", st.Health, st.HealthReason)
			}
		})
	}
}
