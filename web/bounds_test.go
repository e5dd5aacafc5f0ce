package web_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

var hostileFull = flag.Bool("hostile-full", false, "TestHostilePage checks the full-size hostile page of issue 17 (150,000 clauses, 10 MiB) instead of 30,000 clauses")

// floodPage is a page of n tiny clauses, the shape of issue 17's hostile
// page; edit(i, who) says what clause i shares with.
func floodPage(n int, edit func(i int) string) []byte {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html><html><head><title>Privacy policy</title></head><body><main><h1>Privacy policy</h1>\n")
	for i := range n {
		fmt.Fprintf(&b, "<p>Clause %06d: we may share your data with %s %06d.</p>\n", i, edit(i), i)
	}
	b.WriteString("</main></body></html>")
	return []byte(b.String())
}

// heapPeak samples the heap in use until stop is called, which returns
// the largest sample.
func heapPeak() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

// TestHostilePage is issue 17's hostile page end to end, on a real
// fixture server, checker, bbolt file and web server: a policy page of
// 30,000 tiny clauses (150,000 and 10 MiB with -hostile-full) that
// changes is suspect, never a change; a page at the clause cap whose every
// clause changes is recorded, and its change page, viewed six times at
// once, comes in pages of bounded size that together show every change
// once. The heap stays under a generous bound throughout.
func TestHostilePage(t *testing.T) {
	n := 30_000
	if *hostileFull {
		n = 150_000
	}
	// Generous bounds: before the caps, the 30,000-clause page peaked at
	// 394 MB and its change page was 5,000 changes and 2 MB.
	maxHeap := uint64(256 << 20) // sampled heap in use
	if *hostileFull {
		maxHeap = 400 << 20
	}
	const maxPage = 1 << 20 // bytes of one response
	partner := func(int) string { return "partner" }
	every10th := func(i int) string {
		if i%10 == 0 {
			return "affiliate" // a new recipient: substantive
		}
		return "partner"
	}
	everyOne := func(i int) string {
		if i%10 == 0 {
			return "affiliate"
		}
		return "Partner" // case only: cosmetic
	}
	pages := map[string][]byte{
		"/hostile/1": floodPage(n, partner), "/hostile/2": floodPage(n, every10th),
		"/cap/1": floodPage(4999, partner), "/cap/2": floodPage(4999, everyOne), // with the h1: 5,000 clauses
	}
	var phase atomic.Int32
	phase.Store(1)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(pages[fmt.Sprintf("%s/%d", r.URL.Path, phase.Load())])
	}))
	defer site.Close()

	clk := fixtures.NewClock(time.Date(2026, 1, 1, 6, 0, 0, 0, time.UTC))
	db, err := store.Open(filepath.Join(t.TempDir(), "web.db"), store.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Backoff: time.Millisecond, Now: clk.Tick}),
		Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.Tick}
	add := func(name string) store.Source {
		src, err := db.AddSource(t.Context(), store.Source{Name: name, URL: site.URL + "/" + name, Supplier: "Hostile", Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	hostile, capped := add("hostile"), add("cap")

	stop := heapPeak()
	start := time.Now()
	// The hostile page, twice with a change.
	for p := int32(1); p <= 2; p++ {
		phase.Store(p)
		clk.Set(clk.Now().Add(time.Hour))
		if r := checker.Check(t.Context(), hostile); r.Err != nil || r.Fetch.Outcome != store.OutcomeSuspect || !strings.Contains(r.Fetch.Reason, "clauses") {
			t.Errorf("hostile page, check %d: %s %q %v; want suspect: too many clauses", p, r.Fetch.Outcome, r.Fetch.Reason, r.Err)
		}
	}
	if cs, _ := db.Changes(t.Context(), store.ChangeFilter{SourceID: hostile.ID}); len(cs) != 0 {
		t.Errorf("hostile page: %d changes recorded, want none", len(cs))
	}
	checked := time.Since(start)
	// The page at the cap, twice with every clause changed.
	var change *store.Change
	for p := int32(1); p <= 2; p++ {
		phase.Store(p)
		clk.Set(clk.Now().Add(time.Hour))
		r := checker.Check(t.Context(), capped)
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		change = r.Change
	}
	if change == nil {
		t.Fatal("page at the cap: no change recorded")
	}

	checkedCap := time.Since(start) - checked
	srv := serve(t, web.Options{DB: db, OpenRead: true, Now: clk.Now})
	tok := token(t, db, "reader")
	changePath := fmt.Sprintf("/changes/%d", change.ID)
	// Six views at once: each is a bounded page.
	var wg sync.WaitGroup
	sizes := make([]int, 6)
	for i := range sizes {
		wg.Go(func() {
			resp, body := do(t, "GET", srv.URL+changePath, tok, "", map[string]string{"Accept": "text/html"})
			if resp.StatusCode != http.StatusOK {
				t.Errorf("view %d: %d", i, resp.StatusCode)
			}
			sizes[i] = len(body)
		})
	}
	wg.Wait()
	rendered := time.Since(start) - checked - checkedCap
	peak := stop()
	for i, size := range sizes {
		if size > maxPage {
			t.Errorf("view %d: %d bytes, want at most %d", i, size, maxPage)
		}
	}
	if peak > maxHeap {
		t.Errorf("heap in use peaked at %d MB, want at most %d MB", peak>>20, maxHeap>>20)
	}
	t.Logf("%d clauses: two checks %v; at the cap: two checks %v, six views of the change page %v, %d KB each; heap peak %d MB",
		n, checked.Round(time.Millisecond), checkedCap.Round(time.Millisecond), rendered.Round(time.Millisecond), sizes[0]>>10, peak>>20)

	// Following the next links shows every change exactly once.
	want := change.Counts["substantive"] + change.Counts["editorial"] + change.Counts["rename"] + change.Counts["cosmetic"]
	clause := regexp.MustCompile(`<article class="clause `)
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next"`)
	seen, views := 0, 0
	for path := changePath; path != "" && views < 100; views++ {
		resp, body := do(t, "GET", srv.URL+path, "", "", map[string]string{"Accept": "text/html"})
		if resp.StatusCode != http.StatusOK || len(body) > maxPage {
			t.Fatalf("GET %s: %d, %d bytes", path, resp.StatusCode, len(body))
		}
		seen += len(clause.FindAllString(body, -1))
		if views == 0 && !strings.Contains(body, fmt.Sprintf("1–200 of %d (page 1 of %d)", want, (want+199)/200)) {
			t.Errorf("GET %s: no pager saying 1–200 of %d", path, want)
		}
		path = ""
		if m := next.FindStringSubmatch(body); m != nil {
			path = html.UnescapeString(m[1])
		}
	}
	if seen != want || views < 2 {
		t.Errorf("the change's pages showed %d changes in %d pages, want all %d in several pages", seen, views, want)
	}

	// The JSON API pages the same way.
	resp, body := do(t, "GET", srv.URL+"/api"+changePath, tok, "", nil)
	var api struct {
		Diff struct {
			Changes []json.RawMessage `json:"changes"`
		} `json:"diff"`
		Page struct {
			Truncated bool   `json:"truncated"`
			Next      string `json:"next"`
			Total     int    `json:"total"`
		} `json:"page"`
	}
	if err := json.Unmarshal([]byte(body), &api); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api%s: %d %v", changePath, resp.StatusCode, err)
	}
	if len(body) > maxPage || len(api.Diff.Changes) >= want || !api.Page.Truncated || api.Page.Next == "" || api.Page.Total != want {
		t.Errorf("GET /api%s: %d bytes, %d changes of %d, page %+v; want a bounded first page with a next link", changePath, len(body), len(api.Diff.Changes), want, api.Page)
	}
	// And the version text.
	resp, body = do(t, "GET", fmt.Sprintf("%s/sources/%d/versions/%d", srv.URL, capped.ID, change.To), "", "", map[string]string{"Accept": "text/html"})
	if resp.StatusCode != http.StatusOK || len(body) > maxPage || !strings.Contains(body, `rel="next"`) {
		t.Errorf("version page: %d, %d bytes; want a bounded first page with a next link", resp.StatusCode, len(body))
	}
}

// TestRenderLimit: while every render slot is taken, an anonymous reader
// of a change, a version text or a renewal report is told 503 with
// Retry-After at once; a signed-in reader waits for a slot (and is told
// 503 when the wait runs out).
func TestRenderLimit(t *testing.T) {
	h := newHistory(t)
	change := h.changeOf(t, h.IMS, 3)
	tok := token(t, h.DB, "reader")
	newServer := func(wait time.Duration) (*web.Server, *httptest.Server) {
		s, err := web.New(t.Context(), web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now, MaxRenders: 2, RenderWait: wait})
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s)
		t.Cleanup(srv.Close)
		return s, srv
	}
	s, srv := newServer(10 * time.Minute)
	paths := []string{
		fmt.Sprintf("/changes/%d", change.ID),
		fmt.Sprintf("/api/changes/%d", change.ID),
		fmt.Sprintf("/sources/%d/versions/3", h.IMS.ID),
		"/suppliers/COR/renewal",
		"/api/suppliers/COR/renewal",
	}
	for _, path := range paths {
		// (COR has no seal-program record: its renewal report is a 404.)
		resp, body := do(t, "GET", srv.URL+path, "", "", nil)
		if resp.StatusCode == http.StatusServiceUnavailable {
			t.Errorf("GET %s with free slots: %d %.200s", path, resp.StatusCode, body)
		}
	}

	release := web.HoldRenders(s, 2)
	for _, path := range paths {
		resp, body := do(t, "GET", srv.URL+path, "", "", nil)
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" || !strings.Contains(body, "busy") {
			t.Errorf("anonymous GET %s, all slots taken: %d (Retry-After %q) %.200s; want 503 with Retry-After", path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	// A signed-in reader waits for a slot, and gets the page when one
	// is free.
	got := make(chan int, 1)
	go func() {
		resp, _ := do(t, "GET", srv.URL+paths[0], tok, "", nil)
		got <- resp.StatusCode
	}()
	for deadline := time.Now().Add(time.Minute); web.RenderWaiting(s) == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the signed-in request never waited for a slot")
		}
	}
	release()
	if code := <-got; code != http.StatusOK {
		t.Errorf("signed-in GET after the slots were freed: %d, want 200", code)
	}
	// With no time to wait, a signed-in reader is refused too.
	s2, srv2 := newServer(time.Nanosecond)
	defer web.HoldRenders(s2, 2)()
	if resp, _ := do(t, "GET", srv2.URL+paths[0], tok, "", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("signed-in GET, no slot and no wait: %d, want 503", resp.StatusCode)
	}
}

// TestPageParam: the page of a change or a version must be a page it has.
func TestPageParam(t *testing.T) {
	h := newHistory(t)
	change := h.changeOf(t, h.IMS, 3)
	srv := serve(t, web.Options{DB: h.DB, OpenRead: true, Now: h.Clock.Now})
	tests := []struct {
		path string
		want int
	}{
		{fmt.Sprintf("/changes/%d?page=1", change.ID), http.StatusOK},
		{fmt.Sprintf("/changes/%d?page=2", change.ID), http.StatusNotFound},
		{fmt.Sprintf("/changes/%d?page=0", change.ID), http.StatusBadRequest},
		{fmt.Sprintf("/changes/%d?page=x", change.ID), http.StatusBadRequest},
		{fmt.Sprintf("/api/changes/%d?page=2", change.ID), http.StatusNotFound},
		{fmt.Sprintf("/sources/%d/versions/3?page=1", h.IMS.ID), http.StatusOK},
		{fmt.Sprintf("/sources/%d/versions/3?page=9", h.IMS.ID), http.StatusNotFound},
	}
	for _, tt := range tests {
		if resp, body := do(t, "GET", srv.URL+tt.path, "", "", nil); resp.StatusCode != tt.want {
			t.Errorf("GET %s: got %d, want %d (%.200s)", tt.path, resp.StatusCode, tt.want, body)
		}
	}
}
