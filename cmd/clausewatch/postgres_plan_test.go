package main

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
)

// TestWorkerSchedulePlan: a scheduler stores its schedule in the database
// (decision record 0047); a worker started with none of the flags checks
// by it (the next slot it records is the scheduler's, not the default
// @daily); a worker given another schedule refuses to start, naming both;
// and a running worker stops when a scheduler stores another schedule.
func TestWorkerSchedulePlan(t *testing.T) {
	dsn := pgDB(t)
	key := filepath.Join(t.TempDir(), "log.key")
	srv, hits := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	addSources(t, dsn, srv.URL, 0, 1, "--key", key)
	db := []string{"--db", dsn, "--key", key, "--no-browser", "--log", "json"}
	sched := startDaemon(t, append([]string{"serve", "--role", "scheduler", "--poll", "200ms", "--schedule", "@every 7h", "--tz", "UTC", "--jitter", "0"}, db...)...)
	sched.waitFor(t, 1, "scheduling checks as jobs")

	for _, tt := range []struct{ flag, value, want string }{
		{"--schedule", "@daily", `--schedule "@daily" differs from the schedulers' "@every 7h"`},
		{"--tz", "Europe/Paris", `--tz "Europe/Paris" differs from the schedulers' "UTC"`},
		{"--jitter", "1m", `--jitter "1m0s" differs from the schedulers' "0s"`},
	} {
		_, errOut, code := runCLI(t, "", append([]string{"worker", tt.flag, tt.value}, db...)...)
		if code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("worker %s %s: exit %d, %q; want exit 2 saying %q", tt.flag, tt.value, code, errOut, tt.want)
		}
	}

	// The same values given again are no conflict.
	w := startDaemon(t, append([]string{"worker", "--confirm-delay", "1ns", "--poll", "200ms", "--jitter", "0s"}, db...)...)
	w.waitFor(t, 1, "schedule taken from the database", "@every 7h")
	waitFetched(t, openPG(t, dsn, key), 1, []*daemon{sched, w})
	due, err := openPG(t, dsn, key).Dues(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Schedule != "@every 7h" || due[0].Zone != "UTC" || due[0].At.Sub(due[0].LastStart) > 7*time.Hour {
		t.Errorf("after the worker's check: due %+v, want the next slot of @every 7h in UTC", due)
	}
	if hits(0) != 1 {
		t.Errorf("page fetched %d times, want once", hits(0))
	}

	// Another scheduler stores another schedule: the worker stops, to be
	// started again with it.
	if _, err := sched.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("stop the scheduler: %v", err)
	}
	startDaemon(t, append([]string{"serve", "--role", "scheduler", "--poll", "200ms", "--schedule", "@every 5h", "--tz", "UTC", "--jitter", "0"}, db...)...)
	w.waitFor(t, 1, "the schedulers' schedule changed")
	<-w.done
	if w.exit == nil || !strings.Contains(w.log(), `@every 5h`) {
		t.Errorf("worker after the schedule changed: exit %v\n%s", w.exit, w.log())
	}
}

// TestCheckWaitsForWorker: "clausewatch check SOURCE" on PostgreSQL
// takes the source's lock, the one a worker holds while it checks: it
// waits for the worker's check (seen in pg_locks, not by timing), then
// checks, and both checks are recorded, one after the other. The
// worker's metrics (--metrics-listen) count its check.
func TestCheckWaitsForWorker(t *testing.T) {
	dsn := pgDB(t)
	key := filepath.Join(t.TempDir(), "log.key")
	release := make(chan struct{})
	var once sync.Once
	srv, hits := policyServer(t, func(i, n int) string {
		if n == 0 {
			<-release // the worker's fetch waits here
		}
		return "pages/ims/2022-05-17.html"
	})
	t.Cleanup(func() { once.Do(func() { close(release) }) })
	addSources(t, dsn, srv.URL, 0, 1, "--key", key)
	db := []string{"--db", dsn, "--key", key, "--no-browser", "--log", "json"}
	sched := startDaemon(t, append([]string{"serve", "--role", "scheduler", "--poll", "200ms", "--schedule", "@daily", "--tz", "UTC", "--jitter", "0"}, db...)...)
	w := startDaemon(t, append([]string{"worker", "--confirm-delay", "1ns", "--metrics-listen", "127.0.0.1:0"}, db...)...)
	end := time.Now().Add(3 * time.Minute)
	for hits(0) == 0 {
		if time.Now().After(end) {
			t.Fatalf("the worker never fetched the page\n%s\n%s", sched.log(), w.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	type result struct {
		out, errOut string
		code        int
	}
	done := make(chan result, 1)
	go func() {
		out, errOut, code := runCLI(t, "", append([]string{"check", "--confirm-delay", "0", "s00"}, db[:4]...)...)
		done <- result{out, errOut, code}
	}()
	pool, err := jobs.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for waiting := 0; waiting == 0; time.Sleep(20 * time.Millisecond) {
		if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(end) {
			t.Fatal("the CLI's check never waited for the worker's lock")
		}
	}
	if h := hits(0); h != 1 {
		t.Fatalf("page fetched %d times while the worker held the source, want once", h)
	}
	once.Do(func() { close(release) })
	r := <-done
	if r.code != 0 || !strings.Contains(r.errOut, "s00: a worker is checking it; waiting") || !strings.Contains(r.out, "s00: unchanged") {
		t.Errorf("check: exit %d\n%s%s", r.code, r.out, r.errOut)
	}
	if h := hits(0); h != 2 {
		t.Errorf("page fetched %d times, want twice (the worker's check, then the CLI's)", h)
	}
	// The worker's own check is in its metrics (--metrics-listen).
	w.waitFor(t, 1, "metrics listening")
	m := regexp.MustCompile(`"url":"(http://[^"]+/metrics)"`).FindStringSubmatch(w.log())
	if m == nil {
		t.Fatalf("no metrics URL in the worker's log:\n%s", w.log())
	}
	if body := httpGet(t, m[1]); !strings.Contains(body, `clausewatch_fetches_total{outcome="new"} 1`) {
		t.Errorf("worker metrics: want the one new fetch it recorded\n%s", body)
	}
	for _, d := range []*daemon{sched, w} {
		if _, err := d.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("stop: %v\n%s", err, d.log())
		}
	}
	if out, errOut, code := runCLI(t, "", "log", "check", "--db", dsn, "--key", key); code != 0 || !strings.Contains(out, "2 fetch records") {
		t.Errorf("log check: exit %d\n%s%s", code, out, errOut)
	}
}

// TestPostgresWebCheckNowLock: "check now" on a web server on PostgreSQL
// (POST /api/sources/{id}/check) takes the source's lock, the one a
// worker holds while it checks (held here by the test): the request
// waits for it (seen in pg_locks), then makes the source due.
func TestPostgresWebCheckNowLock(t *testing.T) {
	dsn := pgDB(t)
	key := filepath.Join(t.TempDir(), "log.key")
	addSources(t, dsn, "http://127.0.0.1:9", 0, 1, "--key", key)
	db := openPG(t, dsn, key)
	secret, _, err := db.CreateToken(t.Context(), "office", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	w := startDaemon(t, "serve", "--role", "web", "--db", dsn, "--key", key, "--log", "json", "--schedule", "@daily", "--tz", "UTC")
	w.waitFor(t, 1, `"msg":"web server listening"`)
	m := regexp.MustCompile(`"url":"(http://[^"]+)/"`).FindStringSubmatch(w.log())
	if m == nil {
		t.Fatalf("no URL in the web server's log:\n%s", w.log())
	}
	locks, err := jobs.NewSourceLocks(t.Context(), dsn, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer locks.Close()
	release, err := locks.Lock(t.Context(), 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(t.Context(), "POST", m[1]+"/api/sources/1/check", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	pool, err := jobs.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	for waiting, end := 0, time.Now().Add(3*time.Minute); waiting == 0; time.Sleep(20 * time.Millisecond) {
		if err := pool.QueryRow(t.Context(), "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(end) {
			t.Fatal("check now never waited for the source's lock")
		}
	}
	if _, err := db.DueOf(t.Context(), 1); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the source was made due while the lock was held: %v", err)
	}
	release()
	if code := <-status; code != http.StatusAccepted {
		t.Fatalf("POST /api/sources/1/check: %d, want 202", code)
	}
	if d, err := db.DueOf(t.Context(), 1); err != nil || d.At.After(time.Now()) {
		t.Errorf("after check now: due %+v, %v; want due now", d, err)
	}
}

// TestWebServersFollowSchedulePlan: two web servers started by the
// schedule stored in the database (decision record 0047) take a schedule
// a scheduler stores later, without a restart: a check on demand of a
// source with no due time yet is given the new schedule by either, as
// the schedulers would give it.
func TestWebServersFollowSchedulePlan(t *testing.T) {
	dsn := pgDB(t)
	key := filepath.Join(t.TempDir(), "log.key")
	addSources(t, dsn, "http://127.0.0.1:9", 0, 3, "--key", key)
	db := openPG(t, dsn, key)
	secret, _, err := db.CreateToken(t.Context(), "office", store.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	// The test stores the plans as a scheduler does when it starts (no
	// scheduler runs, so no source is made due behind the test's back).
	plan := func(spec string) {
		t.Helper()
		if _, err := db.SetPlan(t.Context(), pgstore.Plan{Schedule: spec, Zone: "UTC", Jitter: "0s", Urgent: "@every 1h", By: "the test"}); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
	}
	plan("@every 7h")
	var urls []string
	var webs []*daemon
	for range 2 {
		w := startDaemon(t, "serve", "--role", "web", "--listen", "127.0.0.1:0", "--poll", "200ms", "--db", dsn, "--key", key, "--log", "json")
		w.waitFor(t, 1, `"msg":"web server listening"`)
		w.waitFor(t, 1, "schedule taken from the database", "@every 7h")
		m := regexp.MustCompile(`"url":"(http://[^"]+)/"`).FindStringSubmatch(w.log())
		if m == nil {
			t.Fatalf("no URL in the web server's log:\n%s", w.log())
		}
		urls, webs = append(urls, m[1]), append(webs, w)
	}
	checkSoon := func(web string, id uint64, want string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), "POST", fmt.Sprintf("%s/api/sources/%d/check", web, id), nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST %s: %d, want 202", req.URL, resp.StatusCode)
		}
		if d, err := db.DueOf(t.Context(), id); err != nil || d.Schedule != want {
			t.Errorf("source %d checked on demand by %s: due %+v, %v; want schedule %q", id, web, d, err, want)
		}
	}
	checkSoon(urls[0], 1, "@every 7h")

	plan("@every 5h")
	for _, w := range webs {
		w.waitFor(t, 1, "the web server's checks on demand follow it", "@every 5h")
	}
	checkSoon(urls[0], 2, "@every 5h")
	checkSoon(urls[1], 3, "@every 5h")
	for _, w := range webs {
		if strings.Contains(w.log(), `"level":"ERROR"`) {
			t.Errorf("web server logged an error:\n%s", w.log())
		}
	}
}
