// Package pgtest starts a throwaway PostgreSQL for tests: Debian's
// initdb and pg_ctl make a cluster in a temp dir that listens only on a
// unix socket in that dir (no TCP port to race for), and each test gets a
// fresh database in it. One cluster serves a whole test binary (Main, from
// TestMain); it is stopped and removed when the tests end.
//
// Without PostgreSQL installed, tests that need it skip with a message
// saying so, except under CI=true, where Main fails the binary: CI
// installs PostgreSQL (.ci/run), so its absence there is a broken build.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Cluster is a running throwaway PostgreSQL.
type Cluster struct {
	dir    string // holds data/, the socket and the log
	bin    string // the directory of initdb, pg_ctl
	runAs  *user.User
	serial atomic.Int64
}

// cluster is the one Main started (nil when PostgreSQL is missing), and
// missing why it is not there. Test binaries have one TestMain, so a
// package variable is the simplest place for what it starts.
var (
	cluster *Cluster
	missing string
)

// Main starts a cluster, runs the tests and stops it; call it from
// TestMain as os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	c, err := Start()
	switch {
	case err == nil:
		cluster = c
		defer c.Stop()
	case os.Getenv("CI") == "true":
		fmt.Fprintf(os.Stderr, "pgtest: PostgreSQL is required under CI=true: %v\n", err)
		return 1
	default:
		missing = err.Error()
	}
	return m.Run()
}

// DB returns the connection string of a new, empty database for t in
// the cluster Main started; it skips t when there is none.
func DB(t testing.TB) string {
	t.Helper()
	if cluster == nil {
		t.Skipf("PostgreSQL tests skipped: %s (install Debian's postgresql package; under CI=true this fails)", missing)
	}
	dsn, err := cluster.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}

// FindBin returns the directory of Debian's PostgreSQL programs
// (/usr/lib/postgresql/<version>/bin), the newest version when several
// are installed, or the one holding initdb on PATH.
func FindBin() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no initdb in /usr/lib/postgresql/*/bin or on PATH")
}

// version is the major version in a /usr/lib/postgresql/<v>/bin path.
func version(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// Start initdb's a cluster in a new temp dir and starts it on a unix
// socket there. As root (initdb refuses to run as root) it runs the
// server as the postgres user Debian's package creates.
func Start() (*Cluster, error) { return start(false) }

// StartDurable is Start with PostgreSQL's durability on (fsync,
// synchronous commit, full page writes), for benchmarks that compare
// commits with bbolt's, which syncs each.
func StartDurable() (*Cluster, error) { return start(true) }

func start(durable bool) (*Cluster, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "cwpg")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		if c.runAs, err = user.Lookup("postgres"); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(c.runAs.Uid)
		gid, _ := strconv.Atoi(c.runAs.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if err := c.run("initdb", "-D", c.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	// No TCP, the socket in dir; fsync off: a test cluster is thrown
	// away, and durability is PostgreSQL's to test, not ours.
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c max_connections=200", dir)
	if !durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if err := c.run("pg_ctl", "-D", c.data(), "-l", filepath.Join(dir, "log"), "-o", opts, "-w", "-t", "300", "start"); err != nil {
		logText, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\nserver log:\n%s", err, logText)
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// run runs one of the cluster's programs, as the postgres user when root.
func (c *Cluster) run(prog string, args ...string) error {
	path := filepath.Join(c.bin, prog)
	var cmd *exec.Cmd
	if c.runAs != nil {
		cmd = exec.Command("runuser", append([]string{"-u", c.runAs.Username, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", prog, strings.Join(args, " "), err, out)
	}
	return nil
}

// DSN is the connection string of database name in the cluster.
func (c *Cluster) DSN(name string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&sslmode=disable", name, c.dir)
}

// NewDatabase creates a new, empty database and returns its connection
// string.
func (c *Cluster) NewDatabase(ctx context.Context) (string, error) {
	name := fmt.Sprintf("t%d", c.serial.Add(1))
	conn, err := pgx.Connect(ctx, c.DSN("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect to the test cluster: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name+" STRATEGY FILE_COPY"); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return c.DSN(name), nil
}

// Stop stops the server and removes its files.
func (c *Cluster) Stop() error {
	err := c.run("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
	if rerr := os.RemoveAll(c.dir); err == nil {
		err = rerr
	}
	return err
}

// Standalone starts a cluster for t alone, stopped in t.Cleanup, and
// returns the connection string of a new database in it: for a package
// that needs PostgreSQL in one test only, where a cluster per test
// binary (Main) would slow every other test. It skips t without
// PostgreSQL, and fails it under CI=true.
func Standalone(t testing.TB) string {
	t.Helper()
	c, err := Start()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL is required under CI=true: %v", err)
		}
		t.Skipf("PostgreSQL tests skipped: %v (install Debian's postgresql package; under CI=true this fails)", err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop the test cluster: %v", err)
		}
	})
	dsn, err := c.NewDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return dsn
}
