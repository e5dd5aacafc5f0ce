package watch_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// floodPage is a page of n tiny clauses, the shape of issue 17's hostile
// page (150,000 clauses in 10 MiB); the clauses i with changed(i) name
// an affiliate instead of a partner.
func floodPage(n int, changed func(i int) bool) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>Privacy policy</title></head><body><main><h1>Privacy policy</h1>\n")
	for i := range n {
		who := "partner"
		if changed(i) {
			who = "affiliate"
		}
		fmt.Fprintf(&b, "<p>Clause %06d: we may share your data with %s %06d.</p>\n", i, who, i)
	}
	b.WriteString("</main></body></html>")
	return []byte(b.String())
}

// TestClauseFlood: a policy page that turns into 30,000 tiny clauses
// (changing between checks) is suspect, not a new version: nothing is
// recorded as a change, the version is kept, the health says why, and
// the checks allocate a bounded multiple of the page.
func TestClauseFlood(t *testing.T) {
	good, err := fsRead("pages/ims/2019-05-06.html")
	if err != nil {
		t.Fatal(err)
	}
	var round atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		n := int(round.Load())
		if n == 0 {
			w.Write(good)
			return
		}
		w.Write(floodPage(30_000, func(i int) bool { return i%10 == n%10 }))
	}))
	defer srv.Close()

	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	c := newChecker(t, clk, fetch.Options{Attempts: 1})
	src := addSource(t, c, "flood", srv.URL+"/privacy")
	if r := mustCheck(t, c, src); r.Fetch.Outcome != store.OutcomeNew {
		t.Fatalf("first check: %s, want new", r.Fetch.Outcome)
	}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var last string
	for n := 1; n <= 3; n++ {
		round.Store(int32(n))
		clk.Advance(time.Hour)
		r := mustCheck(t, c, src)
		if r.Fetch.Outcome != store.OutcomeSuspect || !strings.Contains(r.Fetch.Reason, "more than 5000 clauses") {
			t.Errorf("check %d: %s %q, want suspect: more than 5000 clauses", n, r.Fetch.Outcome, r.Fetch.Reason)
		}
		last = r.HealthReason
	}
	runtime.ReadMemStats(&after)
	st, err := c.Store.State(t.Context(), src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Current != 1 || st.Health != store.HealthBroken || !strings.Contains(last, "clauses") {
		t.Errorf("got version %d, health %s (%q); want version 1 kept, broken, saying why", st.Current, st.Health, last)
	}
	if changes, _ := c.Store.Changes(t.Context(), store.ChangeFilter{SourceID: src.ID}); len(changes) != 0 {
		t.Errorf("recorded %d changes, want none", len(changes))
	}
	// Three checks of a 2 MB page, each fetched once: the DOM, the
	// clauses up to twice the cap, and the stored capture.
	const page = 2 << 20
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 3*100*page {
		t.Errorf("three checks allocated %d MB, want at most %d MB", alloc>>20, 3*100*page>>20)
	}
	t.Logf("three checks of a %d-clause page allocated %d MB", 30_000, (after.TotalAlloc-before.TotalAlloc)>>20)
}
