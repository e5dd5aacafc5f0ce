package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render/rendertest"
)

// TestPostgresRenderQueue: real processes on PostgreSQL. A worker with
// --queues checks checks the plain page, hands the script app (which
// needs a browser) on to the render queue without recording it, and
// never starts Chromium; a worker with --queues render then renders it.
func TestPostgresRenderQueue(t *testing.T) {
	rendertest.Require(t)
	dsn := pgDB(t)
	key := t.TempDir() + "/log.key"
	srv, _ := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	addSources(t, dsn, srv.URL, 0, 1, "--key", key)
	app := httptest.NewServer(browser.NewSite(100 * time.Millisecond))
	t.Cleanup(app.Close)
	var out, errb bytes.Buffer
	if err := run(t.Context(), []string{"add", "--db", dsn, "--key", key, "--name", "app", "--supplier", "Supplier", "--allow-private", app.URL + browser.App}, nil, &out, &errb); err != nil {
		t.Fatalf("add app: %v\n%s%s", err, out.String(), errb.String())
	}
	common := []string{"--db", dsn, "--jitter", "0", "--schedule", "@daily", "--tz", "UTC", "--log", "json", "--confirm-delay", "1ns"}
	sched := startDaemon(t, append([]string{"serve", "--role", "scheduler", "--poll", "200ms", "--key", key}, common...)...)
	plain := startDaemon(t, append([]string{"worker", "--queues", "checks", "--workers", "2"}, common...)...)
	procs := []*daemon{sched, plain}
	db := openPG(t, dsn, "")
	waitFetched(t, db, 1, procs)
	pool, err := pgxpool.New(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	waitRenderJob(t, pool, procs)
	if n, _ := db.LogSize(t.Context()); n != 1 {
		t.Fatalf("%d fetches logged before a render worker ran, want the plain page's only", n)
	}
	if strings.Contains(plain.log(), "browser started") {
		t.Fatalf("the plain worker started a browser:\n%s", plain.log())
	}
	rend := startDaemon(t, append([]string{"worker", "--queues", "render", "--workers", "1"}, common...)...)
	procs = append(procs, rend)
	waitFetched(t, db, 2, procs)
	rend.waitFor(t, 1, "browser started")
	src, err := db.Source(t.Context(), "app")
	if err != nil {
		t.Fatal(err)
	}
	fs, err := db.Fetches(t.Context(), src.ID, time.Time{}, time.Now().Add(time.Hour), 0)
	if err != nil || len(fs) != 1 || fs[0].RenderSHA256 == "" {
		t.Fatalf("app: fetches %+v, %v; want one, rendered", fs, err)
	}
	for _, d := range procs {
		if _, err := d.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("stop: %v\n%s", err, d.log())
		}
	}
	if strings.Contains(plain.log(), "browser started") {
		t.Errorf("the plain worker started a browser:\n%s", plain.log())
	}
}

// waitRenderJob polls until a check job waits in the render queue.
func waitRenderJob(t *testing.T, pool *pgxpool.Pool, procs []*daemon) {
	t.Helper()
	end := time.Now().Add(3 * time.Minute)
	for {
		var n int
		err := pool.QueryRow(context.Background(), "SELECT count(*) FROM river_job WHERE queue = 'render' AND state = 'available'").Scan(&n)
		if err == nil && n == 1 {
			return
		}
		if time.Now().After(end) {
			for _, d := range procs {
				t.Log(d.log())
			}
			t.Fatalf("no job in the render queue after 3 minutes (%d, %v)", n, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
