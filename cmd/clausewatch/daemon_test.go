package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
)

// The daemon tests run the real binary's main in a child process (this
// test binary, re-executed with childEnv set), so that signals, exit
// codes, file locks and SIGKILL are the real thing.
const childEnv = "CLAUSEWATCH_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	stopPG()
	os.Exit(code)
}

// daemon is a child clausewatch process and its log lines.
type daemon struct {
	cmd   *exec.Cmd
	mu    sync.Mutex
	lines []string
	more  chan struct{} // signalled on every new line
	done  chan struct{} // closed when stderr is drained
	exit  error
}

// startDaemon starts "clausewatch args..." in a child process.
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	return startDaemonIn(t, "", args...)
}

// startDaemonIn is startDaemon with dir as the working directory ("":
// the test's own).
func startDaemonIn(t *testing.T, dir string, args ...string) *daemon {
	t.Helper()
	if args[0] == "serve" && !slices.Contains(args, "--listen") {
		// Tests run side by side: never the fixed default port.
		args = append(args, "--listen", "127.0.0.1:0")
	}
	cmd := exec.Command(testBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	d := &daemon{cmd: cmd, more: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			d.mu.Lock()
			d.lines = append(d.lines, sc.Text())
			d.mu.Unlock()
			select {
			case d.more <- struct{}{}:
			default:
			}
		}
		d.exit = cmd.Wait()
		close(d.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-d.done
		if t.Failed() {
			t.Logf("daemon log:\n%s", d.log())
		}
	})
	return d
}

// log is everything the daemon wrote to stderr so far.
func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.lines, "\n")
}

// count is how many log lines contain all of parts.
func (d *daemon) count(parts ...string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for _, l := range d.lines {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			n++
		}
	}
	return n
}

// waitFor waits until n log lines contain all of parts, or fails the test
// after a minute (a generous bound for a loaded machine, not a speed
// check) or when the daemon exits first.
func (d *daemon) waitFor(t *testing.T, n int, parts ...string) {
	t.Helper()
	switch got, exited := d.waitUpTo(time.Minute, n, parts...); {
	case got >= n:
	case exited:
		t.Fatalf("daemon exited (%v) before logging %d× %q", d.exit, n, parts)
	default:
		t.Fatalf("no %d× %q in the daemon's log after a minute", n, parts)
	}
}

// waitUpTo waits until n log lines contain all of parts, the daemon exits
// or bound passes, and says how many such lines there were and whether
// the daemon had exited.
func (d *daemon) waitUpTo(bound time.Duration, n int, parts ...string) (got int, exited bool) {
	deadline := time.After(bound)
	for {
		if got = d.count(parts...); got >= n {
			return got, false
		}
		select {
		case <-d.more:
		case <-d.done:
			return d.count(parts...), true
		case <-deadline:
			return got, false
		}
	}
}

// stop sends sig and waits for the process to exit, returning how long it
// took and its exit error.
func (d *daemon) stop(t *testing.T, sig os.Signal) (time.Duration, error) {
	t.Helper()
	start := time.Now()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-d.done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("daemon still running 2 minutes after %v", sig)
	}
	return time.Since(start), d.exit
}

// addSources adds n sources s<first>… under base+"/p/<i>" with the CLI.
func addSources(t *testing.T, db, base string, first, n int, extra ...string) {
	t.Helper()
	for i := first; i < first+n; i++ {
		args := append([]string{"add", "--db", db, "--name", fmt.Sprintf("s%02d", i), "--supplier", "Supplier", "--allow-private"}, extra...)
		args = append(args, fmt.Sprintf("%s/p/%d", base, i))
		var out, errb bytes.Buffer
		if err := run(t.Context(), args, nil, &out, &errb); err != nil {
			t.Fatalf("add: %v\n%s", err, errb.String())
		}
	}
}

// policyServer serves /p/<i> from the fixture pages on 127.0.0.1;
// page(i, n) picks the file for the n-th request of source i (n from 0),
// "" to hang until the client gives up.
func policyServer(t *testing.T, page func(i, n int) string) (*httptest.Server, func(i int) int) {
	return policyServerOn(t, "127.0.0.1", page)
}

// policyServerOn is policyServer on another loopback address: a host of
// its own, as far as the fetch client's per-host limit is concerned.
func policyServerOn(t *testing.T, ip string, page func(i, n int) string) (*httptest.Server, func(i int) int) {
	t.Helper()
	var mu sync.Mutex
	hits := map[int]int{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var i int
		if _, err := fmt.Sscanf(r.URL.Path, "/p/%d", &i); err != nil {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		n := hits[i]
		hits[i]++
		mu.Unlock()
		name := page(i, n)
		if name == "" {
			<-r.Context().Done() // hang until the client gives up
			return
		}
		b, err := fixtures.FS().Open(name)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer b.Close()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.Copy(w, b)
	}))
	l, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", ip, err)
	}
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, func(i int) int {
		mu.Lock()
		defer mu.Unlock()
		return hits[i]
	}
}

// TestServeSecondInstance: a second serve on a database a daemon holds
// exits at once with a message that names the holder, and leaves the
// first daemon's admin socket alone: a command on the database still
// runs, through the daemon (admin.go).
func TestServeSecondInstance(t *testing.T) {
	srv, _ := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	db := filepath.Join(t.TempDir(), "cw.db")
	addSources(t, db, srv.URL, 0, 2)
	d := startDaemon(t, "serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0")
	d.waitFor(t, 2, `"msg":"checked"`)

	sock, err := os.Lstat(adminSocket(db))
	if err != nil {
		t.Fatalf("no admin socket: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	start := time.Now()
	err = run(ctx, []string{"serve", "--db", db, "--listen", "127.0.0.1:0"}, nil, io.Discard, io.Discard)
	elapsed := time.Since(start)
	gaveUp := ctx.Err() != nil
	cancel()
	want := fmt.Sprintf("in use by another process (clausewatch serve, pid %d", d.cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("serve on a held database: %v; want an error containing %q", err, want)
	}
	if gaveUp {
		t.Errorf("serve waited for the lock until the test gave up (%v)", elapsed)
	}
	if now, err := os.Lstat(adminSocket(db)); err != nil || !os.SameFile(now, sock) {
		t.Errorf("the second serve touched the first one's admin socket: %v", err)
	}
	var out bytes.Buffer
	if err := run(t.Context(), []string{"sources", "--db", db}, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "s01") {
		t.Errorf("sources beside the daemon: %v\n%s", err, out.String())
	}
	d.waitFor(t, 1, `"msg":"admin command"`, `"args":["sources"`)
	if _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("daemon exit after SIGTERM: %v", err)
	}
	if !strings.Contains(d.log(), `"msg":"database closed"`) {
		t.Errorf("no \"database closed\" line in the log")
	}
	if _, err := os.Stat(db + ".owner"); !os.IsNotExist(err) {
		t.Errorf("owner file left behind: %v", err)
	}
	if _, err := os.Lstat(adminSocket(db)); !os.IsNotExist(err) {
		t.Errorf("admin socket left behind: %v", err)
	}
}

// TestServeGracefulShutdown: SIGTERM during a round with slow servers.
// The daemon stops taking work, cancels the hung fetches when --grace is
// over, exits 0 having closed the database, and the interrupted sources
// are due again on restart (the finished ones are not).
func TestServeGracefulShutdown(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	const nFast, nSlow = 3, 3
	page := func(i, n int) string {
		if i >= nFast && slow.Load() {
			return "" // hangs
		}
		return "pages/ims/2022-05-17.html"
	}
	// The slow sources each have their own host, as different sites
	// would: the client's per-host limit would otherwise queue the fast
	// ones behind them.
	srv, _ := policyServer(t, page)
	db := filepath.Join(t.TempDir(), "cw.db")
	addSources(t, db, srv.URL, 0, nFast)
	var slowHits []func(int) int
	for i := nFast; i < nFast+nSlow; i++ {
		slowSrv, hits := policyServerOn(t, fmt.Sprintf("127.0.0.%d", 2+i-nFast), page)
		addSources(t, db, slowSrv.URL, i, 1)
		slowHits = append(slowHits, hits)
	}
	const grace = 2 * time.Second
	args := []string{"serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0", "--workers", "8",
		"--grace", grace.String(), "--timeout", "10m"}
	d := startDaemon(t, args...)
	d.waitFor(t, nFast, `"msg":"checked"`, `"outcome":"new"`)
	for k, hits := range slowHits { // every slow fetch is in flight
		for hits(nFast+k) == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	took, err := d.stop(t, syscall.SIGTERM)
	if err != nil {
		t.Fatalf("exit after SIGTERM: %v", err)
	}
	// The fetches would hang for 10 minutes; the daemon must not wait
	// for them beyond the grace period (plus a loaded machine's slack).
	if took > grace+30*time.Second {
		t.Errorf("took %v to exit with --grace %v", took, grace)
	}
	// (The fast checks may still be writing their next due time when
	// the signal comes: they finish, and count as finished.)
	for _, want := range [][]string{{`"msg":"shutting down"`}, {`"msg":"scheduler stopped"`, `"interrupted":3`}, {`"msg":"database closed"`}} {
		if d.count(want...) != 1 {
			t.Errorf("log lacks a line with %s", want)
		}
	}
	if n := d.count(`check interrupted; due again on restart`); n != nSlow {
		t.Errorf("%d interrupted checks logged, want %d", n, nSlow)
	}

	// The database is closed and consistent; slow sources are still due,
	// fast ones are scheduled an hour on.
	s, err := store.Open(db, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatalf("reopen after shutdown: %v", err)
	}
	if err := s.Check(t.Context()); err != nil {
		t.Errorf("check after shutdown: %v", err)
	}
	now := time.Now()
	for i := range nFast + nSlow {
		src, _ := s.Source(t.Context(), fmt.Sprintf("s%02d", i))
		due, err := s.DueOf(t.Context(), src.ID)
		if err != nil {
			t.Fatal(err)
		}
		overdue := !due.At.After(now)
		if wantDue := i >= nFast; overdue != wantDue {
			t.Errorf("%s: due %v (overdue %v), want overdue %v", src.Name, due.At, overdue, wantDue)
		}
		fs, _ := s.Fetches(t.Context(), src.ID, time.Time{}, time.Time{}, 0)
		if want := map[bool]int{true: 1, false: 0}[i < nFast]; len(fs) != want {
			t.Errorf("%s: %d fetches recorded, want %d", src.Name, len(fs), want)
		}
	}
	s.Close()

	// Restart with the slow servers answering: exactly the interrupted
	// sources are checked.
	slow.Store(false)
	d2 := startDaemon(t, args...)
	d2.waitFor(t, nSlow, `"msg":"checked"`, `"outcome":"new"`)
	if _, err := d2.stop(t, syscall.SIGINT); err != nil {
		t.Errorf("exit after SIGINT: %v", err)
	}
	for i := range nFast + nSlow {
		want := 0
		if i >= nFast {
			want = 1
		}
		if got := d2.count(`"msg":"checked"`, fmt.Sprintf(`"source":"s%02d"`, i)); got != want {
			t.Errorf("after restart, s%02d checked %d times, want %d", i, got, want)
		}
	}
}

// logLine is the part of a daemon's JSON log line the tests read.
type logLine struct {
	Msg    string `json:"msg"`
	Source string `json:"source"`
	Fetch  uint64 `json:"fetch"`
}

func parseLog(t *testing.T, text string) []logLine {
	var out []logLine
	for _, l := range strings.Split(text, "\n") {
		var ll logLine
		if json.Unmarshal([]byte(l), &ll) == nil {
			out = append(out, ll)
		}
	}
	return out
}

// TestServeWatchlistReload: serve --watchlist adds the listed sources; on
// SIGHUP it re-reads the file — a new entry is added and checked, a
// dropped one paused; a broken file is logged with its line and the
// daemon carries on with the sources it has.
func TestServeWatchlistReload(t *testing.T) {
	srv, _ := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	dir := t.TempDir()
	db, list := filepath.Join(dir, "cw.db"), filepath.Join(dir, "watchlist.yaml")
	entry := func(i int) string {
		return fmt.Sprintf("  - name: s%02d\n    url: %s/p/%d\n    supplier: Supplier %d\n", i, srv.URL, i, i)
	}
	write := func(text string) {
		if err := os.WriteFile(list, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sources:\n" + entry(0) + entry(1))
	d := startDaemon(t, "serve", "--db", db, "--watchlist", list, "--allow-private", "--log", "json", "--schedule", "@every 1h", "--jitter", "0")
	d.waitFor(t, 1, `"msg":"watchlist applied"`, `"added":2`)
	d.waitFor(t, 2, `"msg":"checked"`, `"outcome":"new"`)

	write("sources:\n" + entry(1) + entry(2))
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitFor(t, 1, `"msg":"watchlist applied"`, `"added":1`, `"paused":1`)
	d.waitFor(t, 1, `"msg":"checked"`, `"source":"s02"`, `"outcome":"new"`)
	d.waitFor(t, 1, `"msg":"source paused: no longer in the watchlist"`, `"source":"s00"`)

	write("sources:\n" + entry(1) + "  - name: s03\n    supplier: X\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitFor(t, 1, `"msg":"watchlist not reloaded; keeping the sources as they are"`, `watchlist.yaml:5: source 2: \"s03\" has no url`)
	if _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	s, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for name, paused := range map[string]bool{"s00": true, "s01": false, "s02": false} {
		src, err := s.Source(t.Context(), name)
		if err != nil || src.Paused != paused {
			t.Errorf("%s: paused %v (%v), want %v", name, src.Paused, err, paused)
		}
	}
	if _, err := s.DueOf(t.Context(), 1); err == nil {
		t.Errorf("paused s00 is still on the schedule")
	}
}

// TestServeBadFlags: wrong flags and files fail before anything starts,
// naming what was wrong.
func TestServeBadFlags(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("sources:\n  - name: a\n    url: ftp://x\n    supplier: A\n"), 0o644)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--schedule", "every day"}, `--schedule: schedule "every day"`},
		{[]string{"--tz", "Mars/Olympus"}, "--tz: unknown time zone Mars/Olympus"},
		{[]string{"--log", "xml"}, `--log "xml"`},
		{[]string{"--watchlist", bad}, "bad.yaml:2: source 1"},
		{[]string{"--watchlist", filepath.Join(dir, "missing.yaml")}, "missing.yaml: no such file"},
		{[]string{"--backup", "x.db", "--backup-schedule", "@every -1h"}, "--backup-schedule"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--listen", "256.0.0.1:1"}, "--listen"},
		{[]string{"--base-url", "ftp://x", "--listen", "127.0.0.1:0"}, "--base-url"},
	}
	for _, tt := range tests {
		args := append([]string{"serve", "--db", filepath.Join(dir, "cw.db")}, tt.args...)
		err := run(t.Context(), args, nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("serve %v: %v; want an error containing %q", tt.args, err, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "cw.db")); !os.IsNotExist(err) {
		t.Errorf("a failed start created the database")
	}
}

// TestServeBackup: while the daemon holds the database, its own
// --backup writes a consistent copy that opens and checks clean.
func TestServeBackup(t *testing.T) {
	srv, _ := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	dir := t.TempDir()
	db, backup := filepath.Join(dir, "cw.db"), filepath.Join(dir, "copy.db")
	addSources(t, db, srv.URL, 0, 2)
	d := startDaemon(t, "serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0",
		"--backup", backup, "--backup-schedule", "@every 1s")
	d.waitFor(t, 2, `"msg":"checked"`)
	d.waitFor(t, 2, `"msg":"backup written"`) // the second one holds both checks
	if _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit: %v", err)
	}
	s, err := store.Open(backup, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer s.Close()
	if err := s.Check(t.Context()); err != nil {
		t.Errorf("backup check: %v", err)
	}
	if srcs, _ := s.Sources(t.Context()); len(srcs) != 2 {
		t.Errorf("backup has %d sources, want 2", len(srcs))
	}
}
