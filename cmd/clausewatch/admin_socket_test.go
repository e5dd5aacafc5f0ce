package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// TestAdminSocketLifecycle: serve makes its admin socket with mode 0600
// and removes it on stop; after a SIGKILL the socket is left, a command
// runs on the freed database by itself, and the next serve replaces the
// stale socket; a file in the socket's place that is not a socket is
// left alone, and commands then say the database is in use, as before.
func TestAdminSocketLifecycle(t *testing.T) {
	srv, _ := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	db := filepath.Join(t.TempDir(), "cw.db")
	sock := adminSocket(db)
	addSources(t, db, srv.URL, 0, 1)
	serve := []string{"serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0"}
	sources := func() (string, error) {
		var out bytes.Buffer
		err := run(t.Context(), []string{"sources", "--db", db}, nil, &out, io.Discard)
		return out.String(), err
	}

	d := startDaemon(t, serve...)
	d.waitFor(t, 1, `"msg":"checked"`)
	fi, err := os.Lstat(sock)
	if err != nil {
		t.Fatalf("no admin socket: %v", err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin socket mode %v, want a socket with 0600", fi.Mode())
	}
	if out, err := sources(); err != nil || !strings.Contains(out, "s00") {
		t.Fatalf("sources through the daemon: %v\n%s", err, out)
	}
	d.waitFor(t, 1, `"msg":"admin command"`)

	// SIGKILL: no clean-up; the socket stays, nobody listens on it.
	if _, err := d.stop(t, syscall.SIGKILL); err == nil {
		t.Fatal("a killed daemon exited 0")
	}
	stale, err := os.Lstat(sock)
	if err != nil {
		t.Fatalf("after SIGKILL the socket is gone (%v); the test needs it stale", err)
	}
	if _, err := dialAdmin(t.Context(), sock); !errors.Is(err, errNoDaemon) {
		t.Errorf("dial a stale socket: %v, want errNoDaemon", err)
	}
	if out, err := sources(); err != nil || !strings.Contains(out, "s00") {
		t.Errorf("sources beside a stale socket: %v\n%s", err, out)
	}

	d = startDaemon(t, serve...)
	d.waitFor(t, 1, `"msg":"admin socket listening"`)
	if fi, err := os.Lstat(sock); err != nil || os.SameFile(fi, stale) || fi.Mode().Perm() != 0o600 {
		t.Errorf("the stale socket was not replaced by a 0600 one: %v", err)
	}
	if out, err := sources(); err != nil || !strings.Contains(out, "s00") {
		t.Errorf("sources through the new daemon: %v\n%s", err, out)
	}
	d.waitFor(t, 1, `"msg":"admin command"`)
	if _, err := d.stop(t, syscall.SIGTERM); err != nil {
		t.Errorf("exit after SIGTERM: %v", err)
	}
	if _, err := os.Lstat(sock); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("admin socket left after SIGTERM: %v", err)
	}

	// A regular file where the socket goes: kept, and serve runs without
	// a socket.
	os.WriteFile(sock, []byte("mine"), 0o644)
	d = startDaemon(t, serve...)
	d.waitFor(t, 1, `"msg":"no admin socket`)
	d.waitFor(t, 1, `"msg":"schedule synced"`)
	if _, err := sources(); err == nil || !strings.Contains(err.Error(), "in use by another process (clausewatch serve") {
		t.Errorf("sources beside a daemon without a socket: %v; want the database in use", err)
	}
	d.stop(t, syscall.SIGTERM)
	if data, _ := os.ReadFile(sock); string(data) != "mine" {
		t.Errorf("the file in the socket's place now holds %q", data)
	}
}

// TestAdminClientGone: a client that goes away (Ctrl-C) cancels its
// command in the daemon — here a check whose fetch hangs — and the
// daemon goes on serving.
func TestAdminClientGone(t *testing.T) {
	fetching, cancelled := make(chan struct{}), make(chan struct{})
	page, err := fs.ReadFile(fixtures.FS(), "pages/ims/2022-05-17.html")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	requests := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		switch n {
		case 1: // the daemon's own first check
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(page)
		case 2: // the client's check
			close(fetching)
			<-r.Context().Done()
			close(cancelled)
		default: // a retry: the check went on
			<-r.Context().Done()
		}
	}))
	defer srv.Close()
	db := filepath.Join(t.TempDir(), "cw.db")
	addSources(t, db, srv.URL, 0, 1)
	d := startDaemon(t, "serve", "--db", db, "--log", "json", "--schedule", "@every 1h", "--jitter", "0")
	d.waitFor(t, 1, `"msg":"checked"`)

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"check", "--db", db, "--timeout", "10m", "s00"}, nil, io.Discard, io.Discard)
	}()
	select {
	case <-fetching:
	case <-time.After(time.Minute):
		t.Fatal("the check through the daemon never fetched")
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("the client's run: %v, want context.Canceled", err)
	}
	select {
	case <-cancelled:
	case <-time.After(time.Minute):
		t.Fatal("the daemon's fetch went on after its client left")
	}
	d.waitFor(t, 1, `"msg":"admin command"`, `"client_gone":true`)
	mu.Lock()
	if requests != 2 {
		t.Errorf("%d requests; the check went on fetching after its client left", requests)
	}
	mu.Unlock()
	// The source is free again: the daemon runs the next command on it.
	var out bytes.Buffer
	if err := run(t.Context(), []string{"history", "--db", db, "s00"}, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "s00") {
		t.Errorf("history after the cancelled check: %v\n%s", err, out.String())
	}
	d.stop(t, syscall.SIGTERM)
}

// adminAt runs an admin socket in this process on a new database with one
// source, and returns the database's path and handle.
func adminAt(t *testing.T, opts adminOptions) (string, *store.DB) {
	t.Helper()
	return adminAtIn(t, t.TempDir(), opts)
}

// adminAtIn is adminAt with the database in dir.
func adminAtIn(t *testing.T, dir string, opts adminOptions) (string, *store.DB) {
	t.Helper()
	path := filepath.Join(dir, "cw.db")
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSource(t.Context(), store.Source{Name: "s00", URL: "http://127.0.0.1:1/p/0", Supplier: "S", Kind: store.Privacy, Origin: "cli", AllowPrivate: true}); err != nil {
		t.Fatal(err)
	}
	adm, err := listenAdmin(path, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { adm.Serve(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if _, err := os.Lstat(adminSocket(path)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("socket left after Serve: %v", err)
		}
		db.Close()
	})
	return path, db
}

// ask sends one raw request frame to a daemon and returns its exit frame.
func ask(t *testing.T, sock string, kind byte, payload []byte) adminExit {
	t.Helper()
	conn, err := net.Dial("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := writeFrame(conn, kind, payload); err != nil {
		t.Fatal(err)
	}
	for {
		k, p, err := readFrame(conn)
		if err != nil {
			t.Fatalf("reading the answer: %v", err)
		}
		if k == frameExit {
			var x adminExit
			if err := json.Unmarshal(p, &x); err != nil {
				t.Fatal(err)
			}
			return x
		}
	}
}

// TestAdminRefuses: the daemon runs only the commands on its database,
// for a client of its protocol, and says why it will not.
func TestAdminRefuses(t *testing.T) {
	path, _ := adminAt(t, adminOptions{})
	dir := t.TempDir()
	req := func(args ...string) []byte {
		data, _ := json.Marshal(adminRequest{Version: adminVersion, Args: args, Dir: dir})
		return data
	}
	other := filepath.Join(t.TempDir(), "other.db")
	os.WriteFile(other, nil, 0o600)
	for _, tt := range []struct {
		name    string
		kind    byte
		payload []byte
		code    int
		want    string
	}{
		{"serve", frameRequest, req("serve", "--db", path), 2, "cannot run inside it"},
		{"demo", frameRequest, req("demo"), 2, "demo writes a database of its own"},
		{"extract", frameRequest, req("extract", "x.html"), 2, `"extract" does not run through the daemon`},
		{"diff of files", frameRequest, req("diff", "a.html", "b.html"), 2, "does not use the database"},
		{"no command", frameRequest, req(), 2, "no command"},
		{"other version", frameRequest, []byte(`{"version":99,"args":["sources"],"dir":"/"}`), 2, "admin protocol 1, this clausewatch 99"},
		{"relative dir", frameRequest, []byte(`{"version":1,"args":["sources"],"dir":"."}`), 2, "not absolute"},
		{"not a request", frameStdout, []byte("hello"), 2, "want a request frame"},
		{"bad JSON", frameRequest, []byte("{"), 2, "request:"},
		{"another database", frameRequest, req("sources", "--db", other), 1, "is not the database this daemon serves"},
		{"its database", frameRequest, req("sources", "--db", path), 0, ""},
	} {
		x := ask(t, adminSocket(path), tt.kind, tt.payload)
		if x.Code != tt.code || !strings.Contains(x.Msg, tt.want) {
			t.Errorf("%s: exit %d %q, want %d with %q", tt.name, x.Code, x.Msg, tt.code, tt.want)
		}
	}
}

// TestAdminConcurrent: clients at once, reading and checking, against
// the daemon's one handle (run with -race); checks of one source never
// overlap, held against the scheduler.
func TestAdminConcurrent(t *testing.T) {
	srv, hits := policyServer(t, func(i, n int) string { return "pages/ims/2022-05-17.html" })
	path := filepath.Join(t.TempDir(), "cw.db")
	addSources(t, path, srv.URL, 0, 2)
	db, err := store.Open(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sched, err := watch.NewScheduler(&watch.Checker{Store: db}, watch.SchedulerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	adm, err := listenAdmin(path, db, adminOptions{Hold: sched.Hold})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var served sync.WaitGroup
	served.Go(func() { adm.Serve(ctx) })
	defer func() { cancel(); served.Wait() }()

	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, 2*n)
	for i := range n {
		wg.Go(func() {
			errs[i] = run(t.Context(), []string{"check", "--db", path, "--confirm-delay", "1ms", "s00", "s01"}, nil, io.Discard, io.Discard)
		})
		wg.Go(func() {
			errs[n+i] = run(t.Context(), []string{"history", "--db", path, "--json", fmt.Sprintf("s%02d", i%2)}, nil, io.Discard, io.Discard)
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	if hits(0) < n || hits(1) < n {
		t.Errorf("fetches: %d and %d, want at least %d each", hits(0), hits(1), n)
	}
	if err := db.Check(t.Context()); err != nil {
		t.Errorf("database check: %v", err)
	}
}

// TestAdminOtherUser: a client of another user is refused by the daemon
// even when the socket's mode would let it in (root only: it runs the
// client as nobody).
func TestAdminOtherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root, to run a client as another user")
	}
	const nobody = 65534
	dir, err := os.MkdirTemp("", "cw-admin-user-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	path, _ := adminAtIn(t, dir, adminOptions{})
	os.Chmod(adminSocket(path), 0o666) // as if the mode had been loosened
	exe := filepath.Join(dir, "clausewatch")
	data, err := os.ReadFile(testBinary(t))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(exe, data, 0o755)
	cmd := exec.CommandContext(t.Context(), exe, "sources", "--db", path)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	out, err := cmd.CombinedOutput()
	ee := (*exec.ExitError)(nil)
	if err != nil && !errors.As(err, &ee) {
		t.Skipf("cannot run a client as uid %d here: %v", nobody, err) // no CAP_SETUID, a noexec /tmp
	}
	if ee == nil || ee.ExitCode() != 2 || !strings.Contains(string(out), "runs commands only for that user") {
		t.Errorf("a client of another user: %v\n%s", err, out)
	}
}

// BenchmarkAdmin compares a command run through a daemon's admin socket
// (in this process) with the same command on a stopped copy of the
// database, which opens the file each time as the CLI does: sources (a
// small answer) and export --warc to standard output (about 1 MB).
func BenchmarkAdmin(b *testing.B) {
	src := evidenceHistory(b)
	held := filepath.Join(b.TempDir(), "held.db")
	stopped := filepath.Join(b.TempDir(), "stopped.db")
	for _, p := range []string{held, stopped} {
		data, err := os.ReadFile(src)
		if err != nil {
			b.Fatal(err)
		}
		key, _ := os.ReadFile(src + ".key")
		os.WriteFile(p, data, 0o600)
		os.WriteFile(p+".key", key, 0o600)
	}
	db, err := store.Open(held, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	adm, err := listenAdmin(held, db, adminOptions{})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var served sync.WaitGroup
	served.Go(func() { adm.Serve(ctx) })
	defer func() { cancel(); served.Wait() }()
	for _, cmd := range [][]string{{"sources"}, {"export", "--warc", "ims"}} {
		for _, where := range []struct{ name, db string }{{"stopped", stopped}, {"daemon", held}} {
			b.Run(cmd[0]+"/"+where.name, func(b *testing.B) {
				args := append(append([]string{}, cmd...), "--db", where.db)
				var out countWriter
				for b.Loop() {
					if err := run(b.Context(), args, nil, &out, io.Discard); err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(out.n / int64(b.N))
			})
		}
	}
}

// countWriter counts what is written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }
