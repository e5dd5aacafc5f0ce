package jobs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render/rendertest"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// queueWorker starts a worker on some queues only, with a browser
// (renderer set) or leaving renders to others.
func (w *world) queueWorker(t *testing.T, queues []string, renderer watch.Renderer) {
	t.Helper()
	checker := &watch.Checker{Store: w.store(t), Client: fetch.NewClient(fetch.Options{Timeout: time.Minute}),
		// The plain site's pages are short: not a sign of a script page here.
		Policy: watch.Policy{ConfirmDelay: time.Nanosecond, RenderBelow: 10}, Renderer: renderer, RenderElsewhere: renderer == nil}
	sched, err := watch.NewScheduler(checker, watch.SchedulerOptions{Default: "@daily", Location: time.UTC, MaxJitter: -1})
	if err != nil {
		t.Fatal(err)
	}
	client, err := NewClient(w.pool(t), Options{Workers: 2, Scheduler: sched, Store: checker.Store, Queues: queues, Timeout: deadline,
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
}

// queueStates counts check jobs by queue and state ("render/available").
func queueStates(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT queue || '/' || state::text, count(*) FROM river_job WHERE kind = $1 GROUP BY 1", Check{}.Kind())
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (kv struct {
		k string
		n int
	}, err error) {
		err = r.Scan(&kv.k, &kv.n)
		return kv, err
	})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int{}
	for _, kv := range out {
		m[kv.k] = kv.n
	}
	return m
}

// waitStates polls until the jobs are in the states want says.
func waitStates(t *testing.T, pool *pgxpool.Pool, want map[string]int) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		got := queueStates(t, pool)
		same := len(got) == len(want)
		for k, n := range want {
			same = same && got[k] == n
		}
		if same {
			return
		}
		if total(got) > total(want) || time.Now().After(end) {
			rows, _ := pool.Query(t.Context(), "SELECT queue, state::text, args::text, attempt FROM river_job")
			all, _ := pgx.CollectRows(rows, pgx.RowToMap)
			t.Fatalf("jobs %v, want %v: %v", got, want, all)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRenderQueue: the scheduler sends a source set to render to the
// render queue; a plain worker checks the plain page, hands on the page
// it finds needs a browser (a script app) without recording it, and
// never takes a render job; a worker with Chromium then renders both;
// the script app, remembered, goes to the render queue from then on.
func TestRenderQueue(t *testing.T) {
	b := rendertest.Browser(t)
	w := newWorld(t, 1) // s000: a plain page
	// The script app's plain fetches (clausewatch's own client, not the
	// browser) are counted: one per check, the hand-over included.
	site := browser.NewSite(100 * time.Millisecond)
	var plainHits atomic.Int64
	app := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.URL.Path == browser.App && strings.HasPrefix(r.UserAgent(), "clausewatch/") {
			plainHits.Add(1)
		}
		site.ServeHTTP(rw, r)
	}))
	t.Cleanup(app.Close)
	db := w.store(t)
	var extra []store.Source
	for _, s := range []store.Source{
		{Name: "app", URL: app.URL + browser.App},
		{Name: "always", URL: app.URL + browser.Termly, Render: store.RenderAlways},
	} {
		s.Supplier, s.Kind, s.Origin, s.AllowPrivate = "S", store.Privacy, "cli", true
		src, err := db.AddSource(t.Context(), s)
		if err != nil {
			t.Fatal(err)
		}
		extra = append(extra, src)
	}
	if _, err := w.sched(t, db).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	pool := w.pool(t)
	enq, err := NewClient(pool, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := Enqueue(t.Context(), enq, db, time.Now()); err != nil || n != 3 {
		t.Fatalf("enqueue: %d, %v; want 3", n, err)
	}
	waitStates(t, pool, map[string]int{"checks/available": 2, "render/available": 1})

	w.queueWorker(t, []string{Queue}, nil)
	waitStates(t, pool, map[string]int{"checks/completed": 2, "render/available": 2})
	for _, src := range extra {
		if fs, err := db.Fetches(t.Context(), src.ID, time.Time{}, time.Now().Add(time.Hour), 0); err != nil || len(fs) != 0 {
			t.Fatalf("%s after the plain worker: %d fetches recorded, %v; want none", src.Name, len(fs), err)
		}
	}
	if s := b.Stats(); s.Starts != 0 {
		t.Fatalf("browser started %d times before a render worker ran", s.Starts)
	}
	if n := plainHits.Load(); n != 1 {
		t.Fatalf("script app fetched plainly %d times by the plain worker, want once", n)
	}
	var handed bool
	err = pool.QueryRow(t.Context(), "SELECT args->'plain'->>'body_sha256' <> '' FROM river_job WHERE queue = $1 AND (args->>'source')::bigint = $2",
		RenderQueue, int64(extra[0].ID)).Scan(&handed)
	if err != nil || !handed {
		t.Fatalf("the script app's render job carries no plain fetch: %v, %v", handed, err)
	}

	w.queueWorker(t, []string{RenderQueue}, b)
	waitStates(t, pool, map[string]int{"checks/completed": 2, "render/completed": 2})
	for _, src := range extra {
		fs, err := db.Fetches(t.Context(), src.ID, time.Time{}, time.Now().Add(time.Hour), 0)
		if err != nil || len(fs) != 1 || fs[0].Outcome != store.OutcomeNew || fs[0].RenderSHA256 == "" {
			t.Fatalf("%s: fetches %+v, %v; want one rendered, new", src.Name, fs, err)
		}
	}
	if s := b.Stats(); s.Starts == 0 {
		t.Fatal("the render worker rendered without starting the browser")
	}
	if n := plainHits.Load(); n != 1 {
		t.Errorf("script app fetched plainly %d times in all, want once: the render worker reads the handed-on fetch", n)
	}
	var rc store.RenderCapture
	fs, _ := db.Fetches(t.Context(), extra[0].ID, time.Time{}, time.Now().Add(time.Hour), 0)
	if data, err := db.Blob(t.Context(), fs[0].RenderSHA256); err != nil || json.Unmarshal(data, &rc) != nil || rc.Plain == nil || rc.Plain.BodySHA256 == "" {
		t.Errorf("the script app's render capture keeps no plain fetch: %+v, %v", rc.Plain, err)
	}
	// The next slots: the script app is remembered as needing a browser.
	if _, err := Enqueue(t.Context(), enq, db, time.Now().Add(49*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var queue string
	err = pool.QueryRow(t.Context(), "SELECT queue FROM river_job WHERE (args->>'source')::bigint = $1 AND state IN ('available', 'scheduled')",
		int64(extra[0].ID)).Scan(&queue)
	if err != nil || queue != RenderQueue {
		t.Fatalf("the script app's next job: queue %q, %v; want %q", queue, err, RenderQueue)
	}
}

func total(m map[string]int) (n int) {
	for _, k := range m {
		n += k
	}
	return n
}
