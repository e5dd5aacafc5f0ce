package watch_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// TestHandedPlain: a check given a handed-on plain fetch
// (watch.WithHandedPlain, a render job's) reads it instead of fetching
// the page, once, and only while it holds: of this page, newer than the
// source's last recorded fetch and less than HandOverMaxAge old. The
// requests are counted on a 127.0.0.1 server.
func TestHandedPlain(t *testing.T) {
	page, err := fsRead("pages/ims/2022-05-17.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		url      func(own string) string
		age      time.Duration // before the check
		recorded bool          // a fetch recorded after the handed one was made
		want     int64         // requests to the page
	}{
		{"fresh, this page", func(own string) string { return own }, time.Minute, false, 0},
		{"another page's", func(own string) string { return own + "?other" }, time.Minute, false, 1},
		{"a fetch recorded since", func(own string) string { return own }, time.Minute, true, 1},
		{"too old", func(own string) string { return own }, watch.HandOverMaxAge + time.Minute, false, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.Write(page)
			}))
			defer srv.Close()
			clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
			c := newChecker(t, clk, fetch.Options{})
			src := addSource(t, c, "ims", srv.URL+"/privacy")
			made := clk.Now()
			handed := &fetch.Capture{URL: tt.url(src.URL), FinalURL: tt.url(src.URL), Status: http.StatusOK, Body: page,
				Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Start: made, End: made, Attempts: 1, UserAgent: "clausewatch/test"}
			if tt.recorded {
				mustCheck(t, c, src)
				hits.Store(0)
			}
			clk.Advance(tt.age)
			r := c.Check(watch.WithHandedPlain(t.Context(), handed, nil), src)
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if n := hits.Load(); n != tt.want {
				t.Errorf("page fetched %d times, want %d", n, tt.want)
			}
			if tt.want == 0 && (!r.Fetch.Start.Equal(made) || r.Fetch.Outcome != store.OutcomeNew) {
				t.Errorf("recorded %+v, want the handed fetch of %v, new", r.Fetch, made)
			}
		})
	}
}
