package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/store"
)

// env is what one run of a command works with: its standard streams, the
// directory its relative paths are read against, its environment, and —
// when a daemon runs the command for a client — the daemon's open
// database. Commands reach files and the database only through it, so
// that the daemon can run the very same code for a client in another
// directory (decision record 0031).
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// dir is the client's working directory when the daemon runs the
	// command for it; "" means this process's own.
	dir string
	// getenv reads the invoking environment: the client's, through the
	// daemon.
	getenv func(string) string
	// shared is the daemon's database; nil in a process of its own.
	shared *sharedDB
}

// sharedDB is the daemon's side of an env: the database it holds open,
// which commands use and never close, and the hold on sources that keeps
// its scheduler off a source a command checks.
type sharedDB struct {
	db *store.DB
	// path is the database file as the daemon opened it.
	path string
	// hold keeps the daemon from checking a source until release is
	// called, waiting while it is being checked; nil: no scheduler.
	hold func(ctx context.Context, id uint64) (release func(), err error)
}

// processEnv is the env of a command run by this process for itself.
func processEnv(stdin io.Reader, stdout, stderr io.Writer) *env {
	return &env{stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.Getenv}
}

// command is newCommand for a command that runs in e.
func (e *env) command(name, usageLine, about string, withJSON bool) *command {
	c := newCommand(name, usageLine, about, withJSON)
	c.env = e
	c.keyFlag()
	return c
}

// path is p read against the invoking directory.
func (e *env) path(p string) string {
	if e.dir == "" || p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(e.dir, p)
}

// readFile reads the file name, which is relative to the invoking
// directory; an error names it as the caller did.
func (e *env) readFile(name string) ([]byte, error) {
	data, err := os.ReadFile(e.path(name))
	return data, e.localErr(err)
}

// stat is os.Stat of name, relative to the invoking directory.
func (e *env) stat(name string) (fs.FileInfo, error) {
	fi, err := os.Stat(e.path(name))
	return fi, e.localErr(err)
}

// localErr names the files in err as the client would: relative to its
// directory when they are under it. (A daemon reads a client's "x.zip"
// as "/home/u/x.zip"; the message should say "x.zip", as it does when
// the command runs in the client's own process.)
func (e *env) localErr(err error) error {
	if err == nil || e.dir == "" {
		return err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		pe.Path = e.local(pe.Path)
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		le.Old, le.New = e.local(le.Old), e.local(le.New)
	}
	return err
}

// local is path p relative to the invoking directory when it is under it.
func (e *env) local(p string) string {
	if e.dir == "" || !filepath.IsAbs(p) {
		return p
	}
	if rel, err := filepath.Rel(e.dir, p); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return rel
	}
	return p
}

// checkOutput is checkOutputPath with every path read against the
// invoking directory; its message names them as given.
func (e *env) checkOutput(out string, protected ...string) error {
	if e.dir == "" {
		return checkOutputPath(out, protected...)
	}
	o := identify(e.path(out))
	for _, p := range protected {
		if p != "" && o.same(identify(e.path(p))) {
			return fmt.Errorf("refusing to write %s: it is %s, which must not be overwritten (choose another output file)", out, p)
		}
	}
	return nil
}

// checkBackup is checkBackupPath with every path read against the
// invoking directory.
func (e *env) checkBackup(out, db string) error {
	if err := e.checkOutput(out, guarded(db)...); err != nil {
		return err
	}
	return e.checkOutput(out+".key", guarded(db)...)
}

// writeAtomic is writeAtomic at a path relative to the invoking
// directory.
func (e *env) writeAtomic(path string, write func(io.Writer) error) error {
	return writeAtomicAs(e.path(path), path, write)
}

// loadRules reads a rules file (relative to the invoking directory), or
// returns the built-in rules for "". A bad file is exit status 2 with
// the error naming its line. The messages are diff.LoadRules's.
func (e *env) loadRules(path string) (*diff.Rules, error) {
	if path == "" {
		return diff.DefaultRules(), nil
	}
	data, err := e.readFile(path)
	if err != nil {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("reading rules: %v", err)}
	}
	rules, err := diff.ParseRules(data)
	if err != nil {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("rules file %s: %v", path, err)}
	}
	return rules, nil
}

// open gives the command its database, and the function that lets it go.
// Commands that only read refuse to create one. In the daemon it is the
// daemon's own handle, which is not closed. In a process of its own, when
// a daemon holds the database and answers on its admin socket, open
// returns a *viaDaemon error instead: run then sends the whole command to
// the daemon. So a command must write nothing before it opens the
// database (it would be written twice).
func (c *command) open(ctx context.Context, create bool) (store.Store, func(), error) {
	e := c.env
	if e == nil {
		e = processEnv(nil, io.Discard, io.Discard)
	}
	if isPostgres(*c.db) {
		// No file lock and no daemon to forward to: every process talks
		// to PostgreSQL itself (decision record 0040).
		db, err := c.openStore(ctx, store.Options{})
		if err != nil {
			return nil, nil, err
		}
		return db, func() { db.Close() }, nil
	}
	if e.shared != nil {
		if err := e.shared.serves(e.path(*c.db)); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", c.name, err)
		}
		return e.shared.db, func() {}, nil
	}
	if !create {
		if _, err := os.Stat(*c.db); err != nil {
			return nil, nil, fmt.Errorf("%s: no database at %s (add a source first, or pass --db)", c.name, *c.db)
		}
	}
	conn, dialErr := dialAdmin(ctx, adminSocket(*c.db))
	if dialErr == nil {
		return nil, nil, &viaDaemon{conn: conn}
	}
	db, err := c.openStore(ctx, c.storeOptions(2*time.Second))
	if err != nil {
		locked := errors.Is(err, store.ErrLocked)
		err = explainLocked(*c.db, err)
		if locked && !errors.Is(dialErr, errNoDaemon) {
			// A daemon may hold it, but its socket did not answer: say why.
			err = fmt.Errorf("%w; %w", err, dialErr)
		}
		return nil, nil, fmt.Errorf("%s: %w", c.name, err)
	}
	return db, func() { db.Close() }, nil
}

// serves checks that the client's database file is the daemon's.
func (s *sharedDB) serves(path string) error {
	want, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("the daemon's database %s: %w", s.path, err)
	}
	got, err := os.Stat(path)
	if err != nil || !os.SameFile(got, want) {
		return fmt.Errorf("%s is not the database this daemon serves (%s)", path, s.path)
	}
	return nil
}

// keyFile is the log key file of the command's database as the command
// names it: the key beside the database (store's default, which serve and
// the CLI keep).
func (c *command) keyFile(db store.Store) string {
	if c.env != nil && c.env.shared != nil && !isPostgres(*c.db) {
		return *c.db + ".key"
	}
	return db.KeyFile()
}

// hold keeps a daemon that runs the command from checking srcs until
// release is called; in a process of its own it does nothing. Sources
// are held in ID order, so two commands never wait on each other.
func (c *command) hold(ctx context.Context, srcs []store.Source) (release func(), err error) {
	if c.env == nil || c.env.shared == nil || c.env.shared.hold == nil {
		return func() {}, nil
	}
	ids := make([]uint64, 0, len(srcs))
	for _, s := range srcs {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var releases []func()
	release = func() {
		for _, r := range slices.Backward(releases) {
			r()
		}
	}
	for _, id := range ids {
		r, err := c.env.shared.hold(ctx, id)
		if err != nil {
			release()
			return nil, fmt.Errorf("%s: waiting for the daemon's check of source %d: %w", c.name, id, err)
		}
		releases = append(releases, r)
	}
	return release, nil
}
