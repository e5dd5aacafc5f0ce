package watch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// batches records the size of every batch the store's writer commits.
type batches struct {
	mu    sync.Mutex
	sizes []int
}

func (b *batches) add(n int) {
	b.mu.Lock()
	b.sizes = append(b.sizes, n)
	b.mu.Unlock()
}

func (b *batches) get() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.sizes)
}

// pipelineChecker is newChecker on a store with the given group commit,
// its batches counted.
func pipelineChecker(t *testing.T, clk *clock, commit store.CommitOptions) (*watch.Checker, *batches) {
	t.Helper()
	b := &batches{}
	commit.OnBatch = b.add
	db, err := store.Open(filepath.Join(t.TempDir(), "watch.db"), store.Options{Now: clk.Now, Commit: commit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("store consistency: %v", err)
		}
		if rep, err := db.CheckLog(context.Background()); err != nil || !rep.OK() {
			t.Errorf("log check: %v %v", rep.Problems, err)
		}
		db.Close()
	})
	return &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Attempts: 1, Backoff: time.Millisecond, Now: clk.tick}),
		Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Now: clk.tick}, b
}

// TestBatchPastWorkers: the scheduler's workers hand their checks'
// records to the group writer and go on, so one transaction holds more
// checks than there are workers (decision record 0052). The writer is
// told to wait up to two minutes for a full batch, a bound never reached:
// what each transaction holds does not depend on the machine's speed.
// The scheduler ends the wait itself once every worker is idle (the last
// batch), and a full queue holds the workers back (MaxBatch below the
// number of sources).
func TestBatchPastWorkers(t *testing.T) {
	tests := []struct {
		name              string
		workers, sources  int
		maxBatch          int
		wantBatches       []int
		wantPerRecordPath bool
	}{
		{"one worker, one batch", 1, 6, 64, []int{6}, false},
		{"four workers, one batch", 4, 16, 64, []int{16}, false},
		{"full batches, then the rest", 2, 12, 5, []int{5, 5, 2}, false},
		{"per-record commit", 2, 4, 1, []int{1, 1, 1, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)}
			srv := httptest.NewServer(fixtures.Handler(clk.Now))
			defer srv.Close()
			c, b := pipelineChecker(t, clk, store.CommitOptions{MaxBatch: tt.maxBatch, MaxDelay: 2 * time.Minute})
			sched, err := watch.NewScheduler(c, watch.SchedulerOptions{Default: "0 6 * * *", Location: time.UTC, MaxJitter: -1,
				Now: clk.Now, Workers: tt.workers})
			if err != nil {
				t.Fatal(err)
			}
			var srcs []store.Source
			for i := range tt.sources {
				srcs = append(srcs, addSource(t, c, fmt.Sprintf("s%02d", i), fmt.Sprintf("%s/ims/privacy?s=%d", srv.URL, i)))
			}
			if _, err := sched.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			res, err := sched.RunDue(t.Context())
			if err != nil || len(res) != tt.sources {
				t.Fatalf("RunDue: %d results, %v; want %d", len(res), err, tt.sources)
			}
			for _, r := range res {
				if r.Err != nil || r.Version != 1 || r.Fetch.ID == 0 {
					t.Errorf("%s: version %d, fetch %d, %v; want version 1 recorded", r.Source.Name, r.Version, r.Fetch.ID, r.Err)
				}
			}
			if got := b.get(); !slices.Equal(got, tt.wantBatches) {
				t.Errorf("records per transaction %v, want %v (workers %d)", got, tt.wantBatches, tt.workers)
			}
			for _, src := range srcs {
				due, err := c.Store.DueOf(t.Context(), src.ID)
				if err != nil || !due.At.After(clk.Now()) {
					t.Errorf("%s: due %v, %v; want its next slot, written with its record", src.Name, due.At, err)
				}
			}
		})
	}
}

// TestNoCheckBeforeCommit runs the daemon's loop and holds one check's
// record uncommitted: the batch it waits in is not full, and another
// worker is busy with a page the server holds, so the scheduler does not
// end the wait. Meanwhile the source must count as being checked:
// CheckNow says it is busy, a CheckSoon is kept for later, and the
// fixture server, which reads the store on every request, never sees a
// source fetched while its previous check is not committed. Once the
// record commits the source is checked again (the CheckSoon), and that
// check sees the first one's state: a conditional request, the same
// version (the page answers 304). The second case commits the held
// records by shutting the loop down: the batch never fills, and shutdown
// writes what was handed in without waiting out the delay.
func TestNoCheckBeforeCommit(t *testing.T) {
	tests := []struct {
		name string
		// maxBatch is the writer's batch: 3 fills with the held page's
		// record; 64 never fills.
		maxBatch int
		// shutdown ends the held record's wait by stopping the loop;
		// otherwise the held page is answered and the batch fills.
		shutdown bool
	}{
		{"the batch fills", 3, false},
		{"shutdown flushes", 64, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Date(2026, 11, 23, 6, 0, 0, 0, time.UTC)}
			pages := fixtures.Handler(clk.Now)
			c, b := pipelineChecker(t, clk, store.CommitOptions{MaxBatch: tt.maxBatch, MaxDelay: 10 * time.Minute})
			var (
				mu          sync.Mutex
				ids         = map[string]uint64{}
				requests    = map[string]int{}
				conditional = map[string]bool{} // the latest request carried If-None-Match
				overlaps    []string
			)
			arrived := map[string]chan struct{}{"held": make(chan struct{}, 8), "s": make(chan struct{}, 8), "u": make(chan struct{}, 8)}
			release := make(chan struct{})
			var releaseOnce sync.Once
			unblock := func() { releaseOnce.Do(func() { close(release) }) }
			defer unblock()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				name := r.URL.Query().Get("n")
				mu.Lock()
				requests[name]++
				n, id := requests[name], ids[name]
				conditional[name] = r.Header.Get("If-None-Match") != ""
				mu.Unlock()
				// Every earlier check of this source must be committed.
				if fs, err := c.Store.Fetches(r.Context(), id, time.Time{}, time.Time{}, 0); err != nil || len(fs) < n-1 {
					mu.Lock()
					overlaps = append(overlaps, fmt.Sprintf("%s: request %d with %d fetches committed (%v)", name, n, len(fs), err))
					mu.Unlock()
				}
				select { // the first few are waited for; never block on more
				case arrived[name] <- struct{}{}:
				default:
				}
				if name == "held" {
					select {
					case <-release:
					case <-r.Context().Done():
						return
					}
				}
				pages.ServeHTTP(w, r)
			}))
			defer srv.Close()
			for _, name := range []string{"held", "s", "u"} { // checked in this order
				ids[name] = addSource(t, c, name, srv.URL+"/ims/privacy?n="+name).ID
			}
			results := make(chan watch.Result, 16)
			sched, err := watch.NewScheduler(c, watch.SchedulerOptions{Default: "0 6 * * *", Location: time.UTC, MaxJitter: -1,
				Now: clk.Now, Workers: 2, Grace: 2 * time.Minute,
				OnResult: func(r watch.Result) { results <- r }})
			if err != nil {
				t.Fatal(err)
			}
			ctx, stop := context.WithCancel(t.Context())
			defer stop()
			ran := make(chan error, 1)
			go func() { ran <- sched.Run(ctx) }()

			// Two workers: one waits on the held page; the other checks
			// s, hands its record in and takes u, which it can only do
			// once s's record is handed in.
			wait(t, arrived["held"], "the held page's request")
			wait(t, arrived["s"], "s's request")
			wait(t, arrived["u"], "u's request")
			if _, err := sched.CheckNow(t.Context(), ids["s"]); !errors.Is(err, watch.ErrBusy) {
				t.Errorf("CheckNow of s while its record waits for the commit: %v, want %v", err, watch.ErrBusy)
			}
			if err := sched.CheckSoon(t.Context(), ids["s"]); err != nil {
				t.Fatal(err)
			}
			if got := b.get(); len(got) != 0 {
				t.Fatalf("batches %v committed while the writer should still wait", got)
			}
			if tt.shutdown {
				stop() // the loop takes no more work; the held page ends
			}
			unblock()
			got := map[string][]watch.Result{}
			want := map[string]int{"s": 2, "u": 1, "held": 1} // s twice: the CheckSoon
			if tt.shutdown {
				want["s"] = 1 // and due again
			}
			for n := 0; n < want["s"]+want["u"]+want["held"]; n++ {
				select {
				case r := <-results:
					got[r.Source.Name] = append(got[r.Source.Name], r)
				case <-time.After(2 * time.Minute):
					t.Fatalf("results so far %v; want %v", got, want)
				}
			}
			stop()
			if err := <-ran; err != nil {
				t.Fatal(err)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, o := range overlaps {
				t.Errorf("a check started before the previous one was committed: %s", o)
			}
			for _, r := range slices.Concat(got["s"], got["u"], got["held"]) {
				if r.Err != nil || r.Version != 1 {
					t.Errorf("%s: version %d, %v; want version 1", r.Source.Name, r.Version, r.Err)
				}
			}
			if tt.shutdown {
				due, err := c.Store.DueOf(t.Context(), ids["s"])
				if err != nil || due.At.After(clk.Now()) {
					t.Errorf("s after shutdown: due %v, %v; want due now (the CheckSoon made during its check)", due.At, err)
				}
				return
			}
			if len(got["s"]) == 2 {
				if second := got["s"][1]; second.Fetch.Outcome != store.OutcomeNotModified || !conditional["s"] {
					t.Errorf("s's second check: outcome %s, conditional request %v; want %s, asked with the first check's ETag", second.Fetch.Outcome, conditional["s"], store.OutcomeNotModified)
				}
			}
		})
	}
}

// wait waits for ch, failing the test after a generous deadline.
func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(2 * time.Minute):
		t.Fatalf("no %s", what)
	}
}
