package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// The daemon's side of the admin socket (decision record 0031): while
// serve holds a database, the CLI's commands on it are run by the daemon,
// in-process, against its open handle, for a client of the same user.

const (
	// maxAdmin bounds the commands the daemon runs for clients at once;
	// more wait to be accepted.
	maxAdmin = 8
	// requestTimeout bounds how long a client may take to send its
	// request once connected.
	requestTimeout = 10 * time.Second
	// maxRequest bounds a request's size (arguments and environment).
	maxRequest = 1 << 20
)

// adminOptions configures a daemon's admin socket.
type adminOptions struct {
	// Logger gets a line per command run for a client.
	Logger *slog.Logger
	// Hold keeps the daemon's scheduler off a source while a command
	// checks it (watch.Scheduler.Hold); nil: there is no scheduler.
	Hold func(ctx context.Context, id uint64) (release func(), err error)
	// After runs after every command run for a client that may change
	// the database, so the daemon takes in what it changed (new sources,
	// recorded changes).
	After func(command string)
}

// admin is a daemon's admin socket.
type admin struct {
	ln     *net.UnixListener
	sock   string
	made   fs.FileInfo // the socket as made, so that only it is removed
	shared *sharedDB
	opts   adminOptions
}

// listenAdmin makes the admin socket of the database at dbPath, which the
// caller holds open as db. The socket is made in a private directory,
// given mode 0600 and only then renamed into place, so it is never
// reachable with a looser mode; the rename replaces a socket left by a
// daemon that was killed (none can be alive: the caller holds the
// database's lock). A file there that is not a socket is left alone.
func listenAdmin(dbPath string, db *store.DB, opts adminOptions) (*admin, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.After == nil {
		opts.After = func(string) {}
	}
	sock := adminSocket(dbPath)
	if fi, err := os.Lstat(sock); err == nil && fi.Mode().Type() != fs.ModeSocket {
		return nil, fmt.Errorf("admin socket %s: a %s is in the way (move it, and restart serve)", sock, fi.Mode().Type())
	}
	tmp, err := os.MkdirTemp(filepath.Dir(sock), ".cwsock")
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	defer os.RemoveAll(tmp)
	name := filepath.Join(tmp, "s")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: name, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	ln.SetUnlinkOnClose(false)
	err = os.Chmod(name, 0o600)
	if err == nil {
		err = os.Rename(name, sock)
	}
	var made fs.FileInfo
	if err == nil {
		made, err = os.Lstat(sock)
	}
	if err != nil {
		ln.Close()
		return nil, fmt.Errorf("admin socket %s: %w", sock, err)
	}
	abs, err := filepath.Abs(dbPath)
	if err != nil {
		abs = dbPath
	}
	return &admin{ln: ln, sock: sock, made: made, opts: opts,
		shared: &sharedDB{db: db, path: abs, hold: opts.Hold}}, nil
}

// Serve runs commands for clients until ctx is done, then stops
// accepting, removes the socket, cancels the commands under way (their
// clients are told the daemon stopped) and returns when all have ended.
func (a *admin) Serve(ctx context.Context) {
	log := a.opts.Logger
	closeOnce := sync.OnceFunc(func() {
		a.ln.Close()
		a.remove()
	})
	defer closeOnce()
	stop := context.AfterFunc(ctx, closeOnce)
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, maxAdmin)
	for {
		conn, err := a.ln.AcceptUnix()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and the like: wait a little rather than spin.
			log.ErrorContext(ctx, "admin socket accept", "socket", a.sock, "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			conn.Close()
			return
		}
		wg.Go(func() {
			defer func() { <-sem }()
			a.handle(ctx, conn)
		})
	}
}

// remove removes the socket if it is still the one this daemon made.
func (a *admin) remove() {
	if fi, err := os.Lstat(a.sock); err == nil && os.SameFile(fi, a.made) {
		os.Remove(a.sock)
	}
}

// handle runs one client's command. The command's context ends when the
// client closes its end (or sends more than its request), or when the
// daemon stops; then the connection is closed, which also unblocks a
// write to a client that stopped reading.
func (a *admin) handle(ctx context.Context, conn *net.UnixConn) {
	defer conn.Close()
	var reader sync.WaitGroup
	defer reader.Wait() // after the close below
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	context.AfterFunc(ctx, func() { conn.Close() })

	var mu sync.Mutex
	send := func(kind byte, p []byte) error {
		mu.Lock()
		defer mu.Unlock()
		return writeFrame(conn, kind, p)
	}
	exit := func(code int, msg string) {
		data, _ := json.Marshal(adminExit{Code: code, Msg: msg})
		_ = send(frameExit, data) // a client that is gone is not told
	}
	log := a.opts.Logger
	if err := checkPeer(conn); err != nil {
		log.WarnContext(ctx, "admin socket: client refused", "err", err)
		exit(2, err.Error())
		return
	}
	req, err := readRequest(conn)
	if err != nil {
		exit(2, fmt.Sprintf("the daemon could not read the request: %v", err))
		return
	}
	if msg := refuse(req, a.shared.path); msg != "" {
		log.InfoContext(ctx, "admin command refused", "args", req.Args, "reason", msg)
		exit(2, msg)
		return
	}
	reader.Go(func() {
		var b [1]byte
		conn.Read(b[:]) // returns when the client closes its end
		cancel()
	})
	e := &env{stdin: strings.NewReader(""), dir: req.Dir, getenv: lookupEnv(req.Env), shared: a.shared,
		stdout: frameWriter{send: send, kind: frameStdout}, stderr: frameWriter{send: send, kind: frameStderr}}
	start := time.Now()
	err = a.runSafely(ctx, e, req.Args)
	code, msg := exitOf(err)
	exit(code, msg)
	if changesDB(req.Args[0]) {
		a.opts.After(req.Args[0])
	}
	log.InfoContext(ctx, "admin command", "args", req.Args, "dir", req.Dir, "exit", code,
		"elapsed", time.Since(start).Round(time.Millisecond), "client_gone", ctx.Err() != nil)
}

// runSafely runs a client's command, a panic turned into its error so
// that a bug in one command cannot stop the daemon.
func (a *admin) runSafely(ctx context.Context, e *env, args []string) (err error) {
	defer func() {
		if p := recover(); p != nil {
			a.opts.Logger.ErrorContext(ctx, "admin command panicked", "args", args, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("%s: internal error in the daemon: %v", args[0], p)
		}
	}()
	return dispatch(ctx, e, args)
}

// readRequest reads the client's request, which must come within
// requestTimeout.
func readRequest(conn *net.UnixConn) (adminRequest, error) {
	var req adminRequest
	conn.SetReadDeadline(time.Now().Add(requestTimeout))
	defer conn.SetReadDeadline(time.Time{})
	kind, payload, err := readFrame(conn)
	if err != nil {
		return req, err
	}
	if kind != frameRequest || len(payload) > maxRequest {
		return req, fmt.Errorf("want a request frame of at most %d bytes, got %q of %d", maxRequest, kind, len(payload))
	}
	if err := json.Unmarshal(payload, &req); err != nil {
		return req, fmt.Errorf("request: %w", err)
	}
	return req, nil
}

// refuse says why the daemon will not run req, or "" when it will: it
// runs the commands that work on the database, for a client of its own
// protocol in a directory it names.
func refuse(req adminRequest, db string) string {
	switch {
	case req.Version != adminVersion:
		return fmt.Sprintf("the daemon holding %s speaks admin protocol %d, this clausewatch %d: use the same build as the daemon", db, adminVersion, req.Version)
	case len(req.Args) == 0:
		return "no command"
	case !filepath.IsAbs(req.Dir):
		return fmt.Sprintf("the client's working directory %q is not absolute", req.Dir)
	}
	switch cmd := req.Args[0]; cmd {
	case "add", "source", "sources", "check", "history", "show", "changes", "reextract", "backup", "key", "log",
		"evidence", "export", "token", "subscription", "webhook", "supplier", "notify", "rubric", "baseline", "deadlines", "renewal":
		return ""
	case "diff":
		if storedDiff(req.Args[1:]) {
			return ""
		}
		return "diff of two files or URLs does not use the database: run it without the daemon"
	case "serve":
		return fmt.Sprintf("a daemon already serves %s: clausewatch serve cannot run inside it (stop it first, or pass another --db)", db)
	case "demo":
		return "demo writes a database of its own: it does not run through a daemon"
	default:
		return fmt.Sprintf("%q does not run through the daemon (only commands on its database do)", cmd)
	}
}

// changesDB reports whether a command may change the database (so the
// daemon should read its sources again afterwards).
func changesDB(cmd string) bool {
	switch cmd {
	case "add", "source", "check", "reextract", "token", "supplier", "notify", "rubric", "baseline":
		return true
	}
	return false
}

// exitOf is how run's error ends the process: the status, and the message
// main prints.
func exitOf(err error) (code int, msg string) {
	if err == nil {
		return 0, ""
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code, ee.msg
	}
	return 1, err.Error()
}

// lookupEnv is getenv over a client's environment.
func lookupEnv(environ []string) func(string) string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return func(k string) string { return m[k] }
}

// frameWriter writes to one of a client's streams, as frames.
type frameWriter struct {
	send func(kind byte, p []byte) error
	kind byte
}

func (w frameWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxFrame)]
		if err := w.send(w.kind, chunk); err != nil {
			return n, fmt.Errorf("the client: %w", err)
		}
		n += len(chunk)
		p = p[len(chunk):]
	}
	return n, nil
}
