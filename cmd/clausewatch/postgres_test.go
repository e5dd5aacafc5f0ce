package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// pgShared is one throwaway PostgreSQL for every test of this binary
// that needs it, started by the first (so that the other tests do not
// pay for it) and stopped by TestMain.
var pgShared struct {
	once    sync.Once
	cluster *pgtest.Cluster
	err     error
}

// pgDB is the connection string of a new, empty database in the shared
// cluster; without PostgreSQL it skips t (fails it under CI=true).
func pgDB(t testing.TB) string {
	t.Helper()
	pgShared.once.Do(func() { pgShared.cluster, pgShared.err = pgtest.Start() })
	if pgShared.err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", pgShared.err)
		}
		t.Skipf("PostgreSQL tests skipped: %v (install Debian's postgresql package; under CI=true this fails)", pgShared.err)
	}
	dsn, err := pgShared.cluster.NewDatabase(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// stopPG stops the shared cluster, if a test started it.
func stopPG() {
	if pgShared.cluster != nil {
		pgShared.cluster.Stop()
	}
}

// TestPostgresCommands runs the CLI on --db postgres://… end to end: add
// a source on the fixture server, check, the page changes, check again;
// then changes shows the one re-vet change, log check passes, and an
// evidence bundle verifies against the published key; export and
// renewal read it as they read a file. Without --key
// (or $CLAUSEWATCH_KEY) a command refuses, naming what is missing.
func TestPostgresCommands(t *testing.T) {
	dsn := pgDB(t)
	var mu sync.Mutex
	served := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(fixtures.Handler(func() time.Time { mu.Lock(); defer mu.Unlock(); return served }))
	defer srv.Close()
	dir := t.TempDir()
	key := filepath.Join(dir, "log.key")
	must := func(code int, args ...string) string {
		t.Helper()
		out, errOut, got := runCLI(t, "", append(args, "--db", dsn, "--key", key)...)
		if got != code {
			t.Fatalf("%v: exit %d, want %d\n%s%s", args, got, code, out, errOut)
		}
		return out + errOut
	}

	if _, errOut, code := runCLI(t, "", "sources", "--db", dsn); code != 2 || !strings.Contains(errOut, "--key FILE or $"+keyEnv) {
		t.Errorf("sources without a key: exit %d, %q", code, errOut)
	}
	if out := must(0, "add", "--name", "ims", "--supplier", "1EdTech", "--allow-private", srv.URL+"/ims/privacy"); !strings.Contains(out, "added 1 ims") {
		t.Fatalf("add:\n%s", out)
	}
	if out := must(0, "check"); !strings.Contains(out, "ims: new, version 1") {
		t.Fatalf("first check:\n%s", out)
	}
	mu.Lock()
	served = time.Date(2022, 6, 1, 0, 0, 0, 0, time.UTC)
	mu.Unlock()
	if out := must(0, "check", "--confirm-delay", "0", "ims"); !strings.Contains(out, "ims: changed, version 2") || !strings.Contains(out, "Re-vet") {
		t.Fatalf("check after the change:\n%s", out)
	}
	var changes []store.Change
	if out := must(0, "changes", "--json"); json.Unmarshal([]byte(out), &changes) != nil || len(changes) != 1 || !changes[0].Revet {
		t.Errorf("changes --json: want one re-vet change, got\n%s", out)
	}
	t.Setenv(keyEnv, key) // the key from the environment from here on
	if out, errOut, code := runCLI(t, "", "sources", "--db", dsn); code != 0 || !strings.Contains(out, "ims") {
		t.Errorf("sources with $%s: exit %d\n%s%s", keyEnv, code, out, errOut)
	}
	for _, args := range [][]string{{"history", "ims"}, {"show", "ims"}, {"deadlines"}, {"key"}} {
		must(0, args...)
	}
	if out := must(1, "diff", "ims"); !strings.Contains(out, "Re-vet") {
		t.Errorf("diff SOURCE:\n%s", out)
	}
	if out := must(0, "log", "check"); !strings.Contains(out, "ok: every fetch record is in the log") || !strings.Contains(out, "3 fetch records") {
		t.Errorf("log check:\n%s", out)
	}
	pub := strings.TrimSpace(must(0, "key"))
	bundle := filepath.Join(dir, "ims.zip")
	// Both captures are from today: notified tomorrow, the bundle holds
	// the latest capture, its proofs and the checkpoint.
	notified := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if out := must(0, "evidence", "ims", "--notified", notified, "-o", bundle); !strings.Contains(out, "ims") {
		t.Errorf("evidence:\n%s", out)
	}
	if out, errOut, code := runCLI(t, "", "verify", bundle, "--key", pub); code != 0 || !strings.HasSuffix(out, bundle+": verified\n") {
		t.Errorf("verify: exit %d\n%s%s", code, out, errOut)
	}
	warc := filepath.Join(dir, "ims.warc")
	if out := must(0, "export", "--warc", "-o", warc, "ims"); !strings.Contains(out, "wrote 3 captures") {
		t.Errorf("export --warc:\n%s", out)
	}
	must(0, "supplier", "set", "--award", "2019-06-15", "--zone", "UTC", "--product", "Website=ims", "1EdTech")
	if out := must(0, "renewal", "1EdTech"); !strings.Contains(out, "ims") {
		t.Errorf("renewal:\n%s", out)
	}
	if _, errOut, code := runCLI(t, "", "backup", "--db", dsn, filepath.Join(dir, "copy.db")); code != 2 || !strings.Contains(errOut, "pg_dump") {
		t.Errorf("backup of PostgreSQL: exit %d, %q", code, errOut)
	}
}

// TestPostgresWorkers runs the processes of a PostgreSQL deployment:
// two schedulers (serve --role scheduler), two workers (worker) and two
// web servers (serve --role web), all on one database. Every source is
// checked once for its slot (each page fetched once: no slot enqueued
// twice, no source checked by two workers), both web servers show the
// same dashboard, and log check passes. The workers have no key file:
// the schedulers, which hold it, sign checkpoints covering what the
// workers logged (decision record 0048).
func TestPostgresWorkers(t *testing.T) {
	const n = 12
	dsn := pgDB(t)
	key := filepath.Join(t.TempDir(), "log.key")
	srv, hits := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	addSources(t, dsn, srv.URL, 0, n, "--key", key)
	common := []string{"--db", dsn, "--key", key, "--jitter", "0", "--schedule", "@daily", "--tz", "UTC", "--no-browser", "--log", "json"}
	var procs []*daemon
	for range 2 {
		procs = append(procs, startDaemon(t, append([]string{"serve", "--role", "scheduler", "--poll", "200ms"}, common...)...))
	}
	keyless := []string{"--db", dsn, "--jitter", "0", "--schedule", "@daily", "--tz", "UTC", "--no-browser", "--log", "json"}
	for range 2 {
		procs = append(procs, startDaemon(t, append([]string{"worker", "--workers", "3", "--confirm-delay", "1ns"}, keyless...)...))
	}
	var webs []*daemon
	for range 2 {
		webs = append(webs, startDaemon(t, append([]string{"serve", "--role", "web", "--open-read"}, common...)...))
	}
	procs = append(procs, webs...)
	db := openPG(t, dsn, "") // without the key: it signs nothing itself
	waitFetched(t, db, n, procs)
	waitSigned(t, db, n, procs)
	// Both web servers show the same dashboard, every source checked.
	var pages []string
	for _, d := range webs {
		d.waitFor(t, 1, `"msg":"web server listening"`)
		m := regexp.MustCompile(`"url":"(http://[^"]+)"`).FindStringSubmatch(d.log())
		if m == nil {
			t.Fatalf("no URL in the web server's log:\n%s", d.log())
		}
		resp, err := http.Get(m[1] + "sources.csv")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf("s%02d", n-1)) {
			t.Fatalf("GET /sources.csv: %d %v\n%s", resp.StatusCode, err, body)
		}
		pages = append(pages, string(body))
	}
	if pages[0] != pages[1] {
		t.Errorf("the two web servers differ:\n%s\n---\n%s", pages[0], pages[1])
	}
	// SIGHUP reloads (a scheduler) or is ignored (a worker): neither
	// dies of it, and both still stop cleanly below.
	// Each says it is running (a worker that got no job may still be
	// starting) before it is sent one.
	procs[1].waitFor(t, 1, "scheduling checks as jobs")
	procs[2].waitFor(t, 1, "working check jobs")
	for _, d := range procs[1:3] {
		if err := d.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		d.waitFor(t, 1, "SIGHUP")
	}
	for _, d := range procs {
		if _, err := d.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("stop: %v\n%s", err, d.log())
		}
	}
	for i := range n {
		if h := hits(i); h != 1 {
			t.Errorf("source s%02d: page fetched %d times, want once", i, h)
		}
	}
	if out, errOut, code := runCLI(t, "", "log", "check", "--db", dsn, "--key", key); code != 0 || !strings.Contains(out, fmt.Sprintf("%d fetch records", n)) {
		t.Errorf("log check: exit %d\n%s%s", code, out, errOut)
	}
}

// waitSigned polls until the latest checkpoint covers want records
// (a safety-net deadline of minutes).
func waitSigned(t *testing.T, db store.Store, want int64, procs []*daemon) {
	t.Helper()
	end := time.Now().Add(3 * time.Minute)
	for {
		c, err := db.LatestCheckpoint(t.Context())
		if err == nil && c.Size >= want {
			return
		}
		if time.Now().After(end) {
			for _, d := range procs {
				t.Log(d.log())
			}
			t.Fatalf("latest checkpoint %+v, %v after 3 minutes: want one covering %d records", c.Checkpoint, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openPG opens a handle on the database for the test's own reads.
func openPG(t *testing.T, dsn, key string) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(t.Context(), dsn, pgstore.Options{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// waitFetched polls until want fetches are logged (a safety-net
// deadline of minutes), showing the processes' logs if they never are.
func waitFetched(t *testing.T, db store.Store, want int, procs []*daemon) {
	t.Helper()
	end := time.Now().Add(3 * time.Minute)
	for {
		size, err := db.LogSize(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if size >= int64(want) {
			return
		}
		if time.Now().After(end) {
			for _, d := range procs {
				t.Log(d.log())
			}
			t.Fatalf("%d fetches logged after 3 minutes, want %d", size, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var long = flag.Bool("long", false, "run the long tests (TestWorkerKill9: about a minute, River's rescuer runs every 30s)")

// TestWorkerKill9: a worker killed with SIGKILL in the middle of a check
// (its page hangs) leaves the job running with no one working it; River
// takes it for stuck after --job-rescue-after, another worker retries
// it, and the source is checked once, with no gap in the log. Slow by
// River's design (its rescuer looks every 30 seconds): behind -long.
func TestWorkerKill9(t *testing.T) {
	if !*long {
		t.Skip("about a minute: run with -long")
	}
	dsn := pgDB(t)
	key := filepath.Join(t.TempDir(), "log.key")
	srv, hits := policyServer(t, func(i, n int) string {
		if n == 0 {
			return "" // hang until the client gives up (or is killed)
		}
		return "pages/ims/2022-05-17.html"
	})
	addSources(t, dsn, srv.URL, 0, 1, "--key", key)
	common := []string{"--db", dsn, "--key", key, "--jitter", "0", "--schedule", "@daily", "--tz", "UTC", "--no-browser", "--log", "json"}
	sched := startDaemon(t, append([]string{"serve", "--role", "scheduler", "--poll", "200ms"}, common...)...)
	a := startDaemon(t, append([]string{"worker", "--confirm-delay", "1ns", "--job-timeout", "10m"}, common...)...)
	end := time.Now().Add(3 * time.Minute)
	for hits(0) == 0 {
		if time.Now().After(end) {
			t.Fatalf("the page was never fetched\n%s\n%s", sched.log(), a.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := a.stop(t, syscall.SIGKILL); err == nil {
		t.Fatal("the killed worker exited cleanly")
	}
	b := startDaemon(t, append([]string{"worker", "--confirm-delay", "1ns", "--job-timeout", "2s", "--job-rescue-after", "3s"}, common...)...)
	db := openPG(t, dsn, key)
	waitFetched(t, db, 1, []*daemon{sched, a, b})
	for _, d := range []*daemon{sched, b} {
		if _, err := d.stop(t, syscall.SIGTERM); err != nil {
			t.Errorf("stop: %v\n%s", err, d.log())
		}
	}
	if h := hits(0); h != 2 {
		t.Errorf("page fetched %d times, want 2 (the killed check and its retry)", h)
	}
	if out, errOut, code := runCLI(t, "", "log", "check", "--db", dsn, "--key", key); code != 0 || !strings.Contains(out, "1 fetch records") {
		t.Errorf("log check: exit %d\n%s%s", code, out, errOut)
	}
}

// TestDBName: a PostgreSQL URL in a message has its password masked.
func TestDBName(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"cw.db", "cw.db"},
		{"postgres://cw:s3cret@db.example/cw", "postgres://cw:xxxxx@db.example/cw"},
		{"postgresql://cw@db.example/cw?sslmode=require", "postgresql://cw@db.example/cw?sslmode=require"},
		{"postgres://cw:s3cret@db.example:bad/cw", "postgres://…"},
	} {
		if got := dbName(tt.in); got != tt.want {
			t.Errorf("dbName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestServeRoleRefusals: serve's PostgreSQL flags refuse what cannot
// work, naming the flag, before anything is opened.
func TestServeRoleRefusals(t *testing.T) {
	file := filepath.Join(t.TempDir(), "cw.db")
	const pg = "postgres://nobody@127.0.0.1:1/none"
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--db", file, "--role", "web"}, "--role web needs --db postgres://"},
		{[]string{"worker", "--db", file}, "--role worker needs --db postgres://"},
		{[]string{"serve", "--db", file, "--web-only"}, "--role web needs --db postgres://"},
		{[]string{"serve", "--db", pg, "--web-only", "--role", "worker"}, "--web-only and --role worker disagree"},
		{[]string{"serve", "--db", pg, "--role", "janitor"}, `--role "janitor"`},
		{[]string{"serve", "--db", pg, "--backup", file}, "pg_dump"},
		{[]string{"serve", "--db", pg, "--job-timeout", "2s", "--job-rescue-after", "1s"}, "--job-rescue-after"},
		{[]string{"backup", "--db", pg, file}, "pg_dump"},
		{[]string{"serve", "--db", pg, "--metrics-listen", "127.0.0.1:0"}, "--metrics-listen is for a worker or scheduler"},
		{[]string{"serve", "--db", file, "--metrics-listen", "127.0.0.1:0"}, "--metrics-listen is for a worker or scheduler"},
	} {
		if _, errOut, code := runCLI(t, "", tt.args...); code != 2 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, %q; want exit 2 saying %q", tt.args, code, errOut, tt.want)
		}
	}
}
