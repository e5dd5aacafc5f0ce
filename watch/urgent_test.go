package watch_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/watch"
)

// While a source is urgent (its supplier's update window is open) it runs
// on the faster schedule; a source with a faster schedule of its own keeps
// it; when the window closes the source goes back to its own.
func TestUrgentSchedule(t *testing.T) {
	clk := &clock{t: time.Date(2022, 5, 13, 12, 0, 0, 0, time.UTC)}
	srv := httptest.NewServer(fixtures.Handler(clk.Now))
	defer srv.Close()
	c := newChecker(t, clk, fetch.Options{})
	ctx := t.Context()
	daily := addSource(t, c, "daily", srv.URL+"/ims/privacy")
	fast := addSource(t, c, "fast", srv.URL+"/cor/privacy")
	fast.Schedule = "@every 10m"
	if err := c.Store.UpdateSource(ctx, fast); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	urgent := map[uint64]bool{}
	s, err := watch.NewScheduler(c, watch.SchedulerOptions{Default: "@daily", Location: time.UTC, Now: clk.Now, MaxJitter: -1,
		UrgentSpec: "@every 1h",
		Urgent: func(context.Context) (map[uint64]bool, error) {
			mu.Lock()
			defer mu.Unlock()
			return map[uint64]bool{daily.ID: urgent[daily.ID], fast.ID: urgent[fast.ID]}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	specOf := func(id uint64) string {
		t.Helper()
		d, err := c.Store.DueOf(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return d.Schedule
	}
	if _, err := s.Sync(ctx); err != nil { // both new: due now
		t.Fatal(err)
	}
	if _, err := s.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if specOf(daily.ID) != "@daily" || specOf(fast.ID) != "@every 10m" {
		t.Fatalf("before: %s, %s", specOf(daily.ID), specOf(fast.ID))
	}
	mu.Lock()
	urgent[daily.ID], urgent[fast.ID] = true, true
	mu.Unlock()
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	d, _ := c.Store.DueOf(ctx, daily.ID)
	if d.Schedule != "@every 1h" || d.At.Sub(clk.Now()) > time.Hour {
		t.Errorf("urgent daily source: %s due %s, want @every 1h within the hour", d.Schedule, d.At)
	}
	if specOf(fast.ID) != "@every 10m" {
		t.Errorf("a faster own schedule gave way to the urgent one: %s", specOf(fast.ID))
	}
	// Checks on the urgent schedule keep it.
	clk.Set(d.At)
	if _, err := s.RunDue(ctx); err != nil {
		t.Fatal(err)
	}
	if d2, _ := c.Store.DueOf(ctx, daily.ID); d2.Schedule != "@every 1h" || d2.At.Sub(clk.Now()) > time.Hour {
		t.Errorf("after an urgent check: %s due %s", d2.Schedule, d2.At)
	}
	mu.Lock()
	urgent = map[uint64]bool{}
	mu.Unlock()
	if _, err := s.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if specOf(daily.ID) != "@daily" {
		t.Errorf("window closed: %s, want @daily again", specOf(daily.ID))
	}
}

// CheckNow checks at once, moves the due time on, reports to OnResult, and
// refuses (without waiting) while the source is being checked.
func TestCheckNow(t *testing.T) {
	clk := &clock{t: time.Date(2022, 5, 13, 12, 0, 0, 0, time.UTC)}
	release := make(chan struct{})
	entered := make(chan struct{}, 4)
	mux := http.NewServeMux()
	fx := fixtures.Handler(clk.Now)
	mux.HandleFunc("/slow/", func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
		r.URL.Path = "/ims/privacy"
		fx.ServeHTTP(w, r)
	})
	mux.Handle("/", fx)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := newChecker(t, clk, fetch.Options{})
	ctx := t.Context()
	src := addSource(t, c, "slow", srv.URL+"/slow/privacy")
	var results []watch.Result
	s, err := watch.NewScheduler(c, watch.SchedulerOptions{Default: "@daily", Location: time.UTC, Now: clk.Now,
		OnResult: func(r watch.Result) { results = append(results, r) }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan watch.Result)
	go func() {
		res, err := s.CheckNow(ctx, src.ID)
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	<-entered
	if _, err := s.CheckNow(ctx, src.ID); !errors.Is(err, watch.ErrBusy) {
		t.Errorf("second CheckNow during the first: %v, want ErrBusy", err)
	}
	close(release)
	res := <-done
	if res.Fetch.ID == 0 || res.Version != 1 {
		t.Errorf("result %+v, want the first version recorded", res)
	}
	if len(results) != 1 {
		t.Errorf("OnResult saw %d results", len(results))
	}
	d, err := c.Store.DueOf(ctx, src.ID)
	if err != nil || !d.At.After(clk.Now()) || d.LastStart.IsZero() {
		t.Errorf("due after CheckNow: %+v %v", d, err)
	}
}
