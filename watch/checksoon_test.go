package watch_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/watch"
)

// TestCheckSoonDuringCheck: a check on demand asked for while the source
// is being checked is not lost. The running check's record writes the
// source's next regular slot; the request made meanwhile must leave the
// source due at once after it, so the next step checks it again.
func TestCheckSoonDuringCheck(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)}
	pages := fixtures.Handler(clk.Now)
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	var hold atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hold.Load() {
			arrived <- struct{}{}
			<-release
		}
		pages.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c := newChecker(t, clk, fetch.Options{Attempts: 1})
	c.Now = clk.Now
	sched, err := watch.NewScheduler(c, watch.SchedulerOptions{Default: "0 6 * * *", Location: time.UTC, MaxJitter: -1, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	src := addSource(t, c, "good", srv.URL+"/ims/privacy")
	if _, err := sched.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := sched.RunDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := sched.CheckSoon(t.Context(), src.ID); err != nil {
		t.Fatal(err)
	}
	hold.Store(true) // set before the check starts: the server sees it after
	done := make(chan []watch.Result, 1)
	go func() {
		res, _ := sched.RunDue(t.Context())
		done <- res
	}()
	<-arrived // the check is under way, its fetch held
	if err := sched.CheckSoon(t.Context(), src.ID); err != nil {
		t.Fatal(err)
	}
	close(release)
	if res := <-done; len(res) != 1 || res[0].Err != nil {
		t.Fatalf("the held check: %+v", res)
	}
	hold.Store(false)
	due, err := c.Store.DueOf(t.Context(), src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if due.At.After(clk.Now()) {
		t.Errorf("after a check asked for during a check, the source is due %v, not now (%v): the request was lost", due.At, clk.Now())
	}
	res, err := sched.RunDue(t.Context())
	if err != nil || len(res) != 1 {
		t.Errorf("the step after: %d checks, %v; want the one asked for", len(res), err)
	}
	if due, _ := c.Store.DueOf(t.Context(), src.ID); due.At.Before(clk.Now()) || due.At.Equal(clk.Now()) {
		t.Errorf("after the asked-for check the source is still due now (%v)", due.At)
	}
}
