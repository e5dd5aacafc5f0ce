package jobs

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
	"github.com/clausewatch/clausewatch/watch"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// deadline bounds every wait: a safety net, never a measure of speed.
const deadline = 3 * time.Minute

// site serves a policy page per path and counts, per path, the requests
// made and the most in flight at once; a page can be made to block
// until released, to interrupt a check mid-fetch.
type site struct {
	mu       sync.Mutex
	inFlight map[string]int
	maxSeen  map[string]int
	hits     map[string]int
	block    map[string]chan struct{} // closed to let requests through
	entered  chan string              // a blocked request arrived
}

func newSite() *site {
	return &site{inFlight: map[string]int{}, maxSeen: map[string]int{}, hits: map[string]int{},
		block: map[string]chan struct{}{}, entered: make(chan string, 16)}
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	s.mu.Lock()
	s.hits[p]++
	s.inFlight[p]++
	s.maxSeen[p] = max(s.maxSeen[p], s.inFlight[p])
	gate := s.block[p]
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.inFlight[p]--; s.mu.Unlock() }()
	if gate != nil {
		s.entered <- p
		select {
		case <-gate:
		case <-r.Context().Done():
			return
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<html><head><title>Privacy policy</title></head><body><main><h1>Privacy policy %s</h1>"+
		"<h2>What we collect</h2><p>We collect your name and email address to run the service %s.</p>"+
		"<h2>Sharing</h2><p>We do not sell personal information to third parties.</p></main></body></html>", p, p)
}

// world is one PostgreSQL database with n sources on the site, every
// one due now.
type world struct {
	dsn, key string
	srv      *httptest.Server
	site     *site
	srcs     []store.Source
}

func newWorld(t testing.TB, n int) *world {
	t.Helper()
	w := &world{dsn: pgtest.DB(t), key: filepath.Join(t.TempDir(), "log.key"), site: newSite()}
	w.srv = httptest.NewServer(w.site)
	t.Cleanup(w.srv.Close)
	db := w.store(t)
	for i := range n {
		src, err := db.AddSource(t.Context(), store.Source{Name: fmt.Sprintf("s%03d", i), URL: fmt.Sprintf("%s/p%03d", w.srv.URL, i),
			Supplier: "S", Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
		if err != nil {
			t.Fatal(err)
		}
		w.srcs = append(w.srcs, src)
	}
	if _, err := w.sched(t, db).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	return w
}

// store opens a handle of its own on the database, as a process would.
func (w *world) store(t testing.TB) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(t.Context(), w.dsn, pgstore.Options{KeyFile: w.key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func (w *world) sched(t testing.TB, db store.Store) *watch.Scheduler {
	t.Helper()
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Timeout: time.Minute}),
		Policy: watch.Policy{ConfirmDelay: time.Nanosecond}}
	s, err := watch.NewScheduler(checker, watch.SchedulerOptions{Default: "@daily", Location: time.UTC, MaxJitter: -1})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (w *world) pool(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := Connect(t.Context(), w.dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := Migrate(t.Context(), pool); err != nil {
		t.Fatal(err)
	}
	return pool
}

// retryNow tries a failed job again at once.
type retryNow struct{}

func (retryNow) NextRetry(*rivertype.JobRow) time.Time { return time.Now() }

// worker starts a process-like worker: its own pool, store handle,
// scheduler and River client.
func (w *world) worker(t testing.TB, n int) *river.Client[pgx.Tx] {
	t.Helper()
	db := w.store(t)
	client, err := NewClient(w.pool(t), Options{Workers: n, Scheduler: w.sched(t, db), Store: db, Timeout: deadline,
		Retry: retryNow{}, Poll: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		client.Stop(ctx)
	})
	return client
}

// jobStates counts check jobs by state.
func jobStates(t testing.TB, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT state::text, count(*) FROM river_job WHERE kind = $1 GROUP BY state", Check{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			t.Fatal(err)
		}
		out[s] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitCompleted polls until n check jobs are completed.
func waitCompleted(t testing.TB, pool *pgxpool.Pool, n int) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		st := jobStates(t, pool)
		if st["completed"] == n {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("after %v: jobs %v, want %d completed", deadline, st, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkLog asserts one fetch per source, a log with one record per
// fetch and no problem.
func (w *world) checkLog(t testing.TB, db store.Store, fetchesPer int) {
	t.Helper()
	ctx := t.Context()
	total := 0
	for _, src := range w.srcs {
		fs, err := db.Fetches(ctx, src.ID, time.Time{}, time.Now().Add(time.Hour), 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != fetchesPer {
			t.Errorf("%s: %d fetches recorded, want %d", src.Name, len(fs), fetchesPer)
		}
		total += len(fs)
	}
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Size != int64(total) {
		t.Errorf("log check: size %d for %d fetches, problems %v, err %v", rep.Size, total, rep.Problems, err)
	}
}

// TestTwoSchedulersEnqueueOnce: two schedulers, each with its own
// connection pool, enqueue the same due slots at once, twice over:
// there is one job per source.
func TestTwoSchedulersEnqueueOnce(t *testing.T) {
	const n = 30
	w := newWorld(t, n)
	ctx := t.Context()
	var wg sync.WaitGroup
	news := make([]int, 4)
	errs := make([]error, 4)
	for i := range 4 {
		pool := w.pool(t)
		client, err := NewClient(pool, Options{})
		if err != nil {
			t.Fatal(err)
		}
		db := w.store(t)
		wg.Go(func() { news[i], errs[i] = Enqueue(ctx, client, db, time.Now()) })
	}
	wg.Wait()
	total := 0
	for i := range news {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		total += news[i]
	}
	if st := jobStates(t, w.pool(t)); total != n || st["available"] != n || len(st) != 1 {
		t.Errorf("enqueued %d new jobs (%v), states %v; want %d available", total, news, st, n)
	}
}

// TestWorkersCheckEachOnce: two workers take the jobs of N due sources:
// each source is checked once for its slot, never by two at once, and
// the log has one record per fetch. Enqueueing the same slots again
// does nothing, and a job for a stale slot completes without a check.
func TestWorkersCheckEachOnce(t *testing.T) {
	const n = 40
	w := newWorld(t, n)
	pool := w.pool(t)
	enq, err := NewClient(pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := w.store(t)
	w.worker(t, 3)
	w.worker(t, 3)
	if k, err := Enqueue(t.Context(), enq, db, time.Now()); err != nil || k != n {
		t.Fatalf("enqueue: %d new, %v; want %d", k, err, n)
	}
	waitCompleted(t, pool, n)
	if k, err := Enqueue(t.Context(), enq, db, time.Now()); err != nil || k != 0 {
		t.Errorf("enqueue after the round: %d new, %v; want none (next slots are tomorrow)", k, err)
	}
	// A job for a slot that is not the source's due slot (an old one)
	// completes without a check.
	if _, err := enq.Insert(t.Context(), Check{Source: w.srcs[0].ID, Slot: 1}, nil); err != nil {
		t.Fatal(err)
	}
	waitCompleted(t, pool, n+1)
	w.site.mu.Lock()
	for p, m := range w.site.maxSeen {
		if m > 1 || w.site.hits[p] != 1 {
			t.Errorf("%s: fetched %d times, %d at once", p, w.site.hits[p], m)
		}
	}
	w.site.mu.Unlock()
	w.checkLog(t, db, 1)
	for _, src := range w.srcs {
		due, err := db.DueOf(t.Context(), src.ID)
		if err != nil || !due.Slot.After(time.Now()) {
			t.Errorf("%s: next due %v (%v), want a slot to come", src.Name, due.Slot, err)
		}
	}
}

// TestCancelledCheckRetried: the worker running a check is stopped with
// its jobs' contexts cancelled while the page is being fetched; the job
// is retried by another worker, the source checked once, and the log has
// no gap.
func TestCancelledCheckRetried(t *testing.T) {
	w := newWorld(t, 3)
	pool := w.pool(t)
	gate := make(chan struct{})
	w.site.mu.Lock()
	w.site.block["/p001"] = gate
	w.site.mu.Unlock()
	enq, err := NewClient(pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db := w.store(t)
	a := w.worker(t, 2)
	if _, err := Enqueue(t.Context(), enq, db, time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.site.entered:
	case <-time.After(deadline):
		t.Fatal("the blocked page was never fetched")
	}
	stopCtx, cancel := context.WithTimeout(t.Context(), deadline)
	defer cancel()
	if err := a.StopAndCancel(stopCtx); err != nil {
		t.Fatal(err)
	}
	// The interrupted job is to be tried again (River puts a job its
	// stopping client cancelled back as available, or records the error
	// and makes it retryable).
	var state string
	var errs int
	blocked := fmt.Sprint(w.srcs[1].ID)
	q := "SELECT state::text, coalesce(array_length(errors, 1), 0) FROM river_job WHERE args->>'source' = $1"
	if err := pool.QueryRow(t.Context(), q, blocked).Scan(&state, &errs); err != nil || (state != "available" && state != "retryable") || errs > 1 {
		t.Fatalf("after the cancelled check: job %s with %d errors (%v), want it to be retried", state, errs, err)
	}
	if fs, err := db.Fetches(t.Context(), w.srcs[1].ID, time.Time{}, time.Now().Add(time.Hour), 0); err != nil || len(fs) != 0 {
		t.Fatalf("the cancelled check left %d fetches (%v)", len(fs), err)
	}
	close(gate)
	w.worker(t, 2)
	waitCompleted(t, pool, 3)
	if err := pool.QueryRow(t.Context(), q, blocked).Scan(&state, &errs); err != nil || state != "completed" || errs > 1 {
		t.Errorf("the retried job: %s with %d errors (%v), want completed", state, errs, err)
	}
	w.site.mu.Lock()
	if h := w.site.hits["/p001"]; h != 2 {
		t.Errorf("the interrupted page was fetched %d times, want 2 (the cancelled attempt and the retry)", h)
	}
	w.site.mu.Unlock()
	w.checkLog(t, db, 1)
}
