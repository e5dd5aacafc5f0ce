package watch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// TestSchedulerMonth runs the scheduler minute by minute on an injected
// clock through a month that holds a DST change, with the daemon down for
// two and a half days in it (the database closed, then a new scheduler on
// it, as after a restart). Every source must run at each of its slots
// plus its jitter, in the minute it falls due; a source whose slots fell
// in the downtime runs exactly once, at restart; and the slots the clock
// skips or repeats run once.
func TestSchedulerMonth(t *testing.T) {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	windows := []struct {
		name             string
		start            string
		dst              string // the transition day, local
		downFrom, downTo string
	}{
		{"fall-back", "2026-10-15T00:00", "2026-11-01", "2026-10-20T03:40", "2026-10-22T14:47"},
		{"spring-forward", "2026-02-25T00:00", "2026-03-08", "2026-03-02T03:40", "2026-03-04T14:47"},
	}
	specs := []string{"30 1 * * *", "30 2 * * *", "15 */2 * * *", "0 */6 * * *", "@every 8h", ""}
	const def = "0 6 * * *"
	const maxJitter = 10 * time.Minute
	parse := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02T15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, w := range windows {
		t.Run(w.name, func(t *testing.T) {
			start, downFrom, downTo := parse(w.start), parse(w.downFrom), parse(w.downTo)
			end := start.AddDate(0, 0, 30)
			clk := &clock{t: start}
			srv := httptest.NewServer(fixtures.Handler(clk.Now))
			defer srv.Close()
			path := filepath.Join(t.TempDir(), "month.db")

			var db *store.DB
			var sched *watch.Scheduler
			open := func() {
				var err error
				if db, err = store.Open(path, store.Options{Now: clk.Now}); err != nil {
					t.Fatal(err)
				}
				c := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Now: clk.Now, Backoff: time.Millisecond}),
					Policy: watch.Policy{ConfirmDelay: -1}, Now: clk.Now}
				sched, err = watch.NewScheduler(c, watch.SchedulerOptions{Default: def, Location: loc, Workers: 3, MaxJitter: maxJitter, Now: clk.Now})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := sched.Sync(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			open()
			var srcs []store.Source
			for i, spec := range specs {
				s, err := db.AddSource(t.Context(), store.Source{Name: fmt.Sprintf("s%d", i), URL: fmt.Sprintf("%s/ims/privacy?s=%d", srv.URL, i),
					Supplier: "1EdTech", Schedule: spec, AllowPrivate: true})
				if err != nil {
					t.Fatal(err)
				}
				srcs = append(srcs, s)
			}
			if _, err := sched.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}

			runs := map[string][]time.Time{}
			for now := start; now.Before(end); now = now.Add(time.Minute) {
				switch {
				case now.Equal(downFrom):
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
					continue
				case now.After(downFrom) && now.Before(downTo):
					continue
				case now.Equal(downTo):
					clk.Set(now)
					open()
				}
				clk.Set(now)
				results, err := sched.RunDue(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range results {
					if r.Err != nil || !r.Fetch.Outcome.Good() {
						t.Fatalf("%s at %s: %v, outcome %s %s", r.Source.Name, now, r.Err, r.Fetch.Outcome, r.Fetch.Reason)
					}
					runs[r.Source.Name] = append(runs[r.Source.Name], now)
				}
			}
			defer db.Close()

			for _, src := range srcs {
				spec := src.Schedule
				if spec == "" {
					spec = def
				}
				s, err := watch.NewSchedule(spec, loc)
				if err != nil {
					t.Fatal(err)
				}
				var slots []time.Time
				if spec == "@every 8h" {
					for at := start.Add(8 * time.Hour); !at.After(end); at = at.Add(8 * time.Hour) {
						slots = append(slots, at)
					}
				} else {
					slots = watch.BruteForceRuns(t, s, start, end)
				}
				want := []time.Time{start} // new sources run at once
				missed := false
				for _, slot := range slots {
					at := slot.Add(watch.Jitter(src.URL, maxJitter, s.Gap(slot)))
					if slot.Before(downTo) && !at.Before(downTo) {
						t.Fatalf("test set-up: %s's slot %s straddles the restart", src.Name, slot)
					}
					due := at.Truncate(time.Minute)
					if due.Before(at) {
						due = due.Add(time.Minute)
					}
					switch {
					case !due.Before(end):
					case at.Before(downFrom):
						want = append(want, due)
					case at.Before(downTo):
						missed = true
					default:
						if missed {
							want = append(want, downTo)
							missed = false
						}
						want = append(want, due)
					}
				}
				got := runs[src.Name]
				if !slices.EqualFunc(got, want, time.Time.Equal) {
					t.Errorf("%s (%s): %d runs, want %d\n got %s\nwant %s", src.Name, spec, len(got), len(want), diffTimes(got, want, loc), diffTimes(want, got, loc))
				}
				fs, err := db.Fetches(t.Context(), src.ID, time.Time{}, time.Time{}, 0)
				if err != nil || len(fs) != len(got) {
					t.Errorf("%s: %d fetches stored (%v), %d runs", src.Name, len(fs), err, len(got))
				}
				if !slices.Contains(got, downTo) && spec != "30 1 * * *" && spec != "30 2 * * *" && spec != def {
					t.Errorf("%s (%s) did not run at restart", src.Name, spec)
				}
			}
			// The slots the clock skips or repeats ran once on the day.
			day := parse(w.dst + "T00:00")
			for _, name := range []string{"s0", "s1"} { // 01:30 and 02:30
				n := 0
				for _, r := range runs[name] {
					if !r.Before(day) && r.Before(day.AddDate(0, 0, 1)) {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%s ran %d times on %s, want once", name, n, w.dst)
				}
			}
			if err := db.Check(t.Context()); err != nil {
				t.Errorf("store check: %v", err)
			}
		})
	}
}

// diffTimes lists the times of a that b lacks.
func diffTimes(a, b []time.Time, loc *time.Location) string {
	out := ""
	for _, t := range a {
		if !slices.ContainsFunc(b, t.Equal) {
			out += " " + t.In(loc).Format("01-02T15:04MST")
		}
	}
	if out == "" {
		return "(same times, different counts)"
	}
	return out
}

// TestSchedulerIsolation: in one step, a source whose server errors and
// one whose server hangs past the fetch timeout do not hold up or stop a
// good one; all three move to their next slot; a paused source is taken
// off the schedule; CheckSoon makes a source due at once.
func TestSchedulerIsolation(t *testing.T) {
	clk := &clock{t: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)}
	good := httptest.NewServer(fixtures.Handler(clk.Now))
	defer good.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	}))
	defer failing.Close()
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hanging.Close()
	c := newChecker(t, clk, fetch.Options{Attempts: 1, HeaderTimeout: 200 * time.Millisecond})
	c.Now = clk.Now
	sched, err := watch.NewScheduler(c, watch.SchedulerOptions{Default: "0 6 * * *", Location: time.UTC, MaxJitter: -1, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	srcs := []store.Source{addSource(t, c, "good", good.URL+"/ims/privacy"), addSource(t, c, "failing", failing.URL+"/p"),
		addSource(t, c, "hanging", hanging.URL+"/p"), addSource(t, c, "paused", good.URL+"/cor/privacy")}
	paused := srcs[3]
	paused.Paused = true
	if err := c.Store.UpdateSource(t.Context(), paused); err != nil {
		t.Fatal(err)
	}
	rep, err := sched.Sync(t.Context())
	if err != nil || rep.Scheduled != 3 {
		t.Fatalf("sync: %+v, %v", rep, err)
	}
	results, err := sched.RunDue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]store.Outcome{}
	for _, r := range results {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Source.Name, r.Err)
		}
		got[r.Source.Name] = r.Fetch.Outcome
	}
	if fmt.Sprint(got) != "map[failing:failed good:new hanging:failed]" {
		t.Errorf("outcomes %v", got)
	}
	tomorrow := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	for _, s := range srcs[:3] {
		due, err := c.Store.DueOf(t.Context(), s.ID)
		if err != nil || !due.At.Equal(tomorrow) || due.LastEnd.IsZero() {
			t.Errorf("%s next due %v (last end %v), %v; want %v", s.Name, due.At, due.LastEnd, err, tomorrow)
		}
	}
	if _, err := c.Store.DueOf(t.Context(), paused.ID); err == nil {
		t.Errorf("paused source scheduled")
	}
	if err := sched.CheckSoon(t.Context(), srcs[0].ID); err != nil {
		t.Fatal(err)
	}
	results, _ = sched.RunDue(t.Context())
	if len(results) != 1 || results[0].Source.Name != "good" || results[0].Fetch.Outcome != store.OutcomeNotModified {
		t.Errorf("after CheckSoon: %d results %+v", len(results), results)
	}
	if due, _ := c.Store.DueOf(t.Context(), srcs[0].ID); !due.At.Equal(tomorrow) {
		t.Errorf("after an on-demand check the next due is %v, want the regular %v", due.At, tomorrow)
	}
}

// TestSchedulerRunSlowResults: many fast-failing sources, two workers and
// a slow consumer of results — the shape that once deadlocked Run (a
// worker that had released its source still waiting to hand in its
// result). Run must check every source once and stop when asked.
func TestSchedulerRunSlowResults(t *testing.T) {
	refused := httptest.NewServer(http.NotFoundHandler())
	refused.Close() // connection refused: fails at once
	clk := &clock{t: time.Now()}
	c := newChecker(t, clk, fetch.Options{Attempts: 1})
	c.Now = time.Now
	const n = 60
	for i := range n {
		addSource(t, c, fmt.Sprintf("s%02d", i), fmt.Sprintf("%s/p/%d", refused.URL, i))
	}
	var mu sync.Mutex
	seen := map[string]int{}
	all := make(chan struct{})
	sched, err := watch.NewScheduler(c, watch.SchedulerOptions{Default: "@every 1h", MaxJitter: -1, Workers: 2, Poll: 50 * time.Millisecond,
		OnResult: func(r watch.Result) {
			time.Sleep(5 * time.Millisecond) // a slow consumer
			mu.Lock()
			defer mu.Unlock()
			if seen[r.Source.Name]++; len(seen) == n {
				select {
				case <-all:
				default:
					close(all)
				}
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan error)
	go func() { stopped <- sched.Run(ctx) }()
	select {
	case <-all:
	case <-time.After(time.Minute):
		t.Fatalf("Run stalled: %d of %d sources checked", len(seen), n)
	}
	cancel()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("Run did not return after cancel")
	}
	for name, k := range seen {
		if k != 1 {
			t.Errorf("%s checked %d times in one round", name, k)
		}
	}
}
