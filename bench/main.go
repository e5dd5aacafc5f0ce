package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// config is the harness's flags.
type config struct {
	sources, rounds, workers, hosts int
	modes                           []mode
	bin, dir                        string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fixture := fs.Bool("fixture", false, "run as the fixture server (the harness starts itself so)")
	fs.IntVar(&c.sources, "sources", 1000, "sources to watch")
	fs.IntVar(&c.rounds, "rounds", 2, "unchanged rounds per mode")
	fs.IntVar(&c.workers, "workers", 16, "the daemon's --workers")
	fs.IntVar(&c.hosts, "hosts", 64, "loopback hosts the sources are spread over")
	modes := fs.String("modes", "1,64", "commit settings to compare: BATCH or BATCH/DELAY, comma-separated")
	fs.StringVar(&c.bin, "bin", "", "a clausewatch binary (default: built from this tree)")
	fs.StringVar(&c.dir, "dir", "", "where the database goes (default: a temporary directory, removed after)")
	pgProcs := fs.String("pg-procs", "", "on PostgreSQL: compare rounds with these counts of worker processes, e.g. 1,2,4 (-modes is then unused)")
	var pc pgConfig
	fs.StringVar(&pc.dsn, "pg", "", "with -pg-procs: the PostgreSQL database `dsn` (default: a cluster of its own, removed after)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *fixture {
		return serveFixtures(ctx, c.hosts, stdout)
	}
	var err error
	if c.modes, err = parseModes(*modes); err != nil {
		return err
	}
	if *pgProcs != "" {
		if pc.procs, err = parseProcs(*pgProcs); err != nil {
			return err
		}
	}
	if c.sources < 1 || c.rounds < 1 || c.workers < 1 {
		return fmt.Errorf("-sources, -rounds and -workers must be at least 1")
	}
	if c.dir == "" {
		if c.dir, err = os.MkdirTemp("", "clausewatch-bench"); err != nil {
			return err
		}
		defer os.RemoveAll(c.dir)
	}
	return bench(ctx, c, pc, stdout)
}

// parseModes reads "1,64,64/20ms".
func parseModes(s string) ([]mode, error) {
	var out []mode
	for _, item := range strings.Split(s, ",") {
		b, d, _ := strings.Cut(strings.TrimSpace(item), "/")
		m := mode{name: strings.TrimSpace(item)}
		var err error
		if m.batch, err = strconv.Atoi(b); err != nil || m.batch < 1 {
			return nil, fmt.Errorf("-modes: %q: want a batch size of at least 1", item)
		}
		if d != "" {
			if m.delay, err = time.ParseDuration(d); err != nil || m.delay < 0 {
				return nil, fmt.Errorf("-modes: %q: want BATCH/DELAY like 64/20ms", item)
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// bench builds the daemon, starts the fixture server, adds the sources,
// runs the first round (every source's first version) and then the
// unchanged rounds, mode after mode, and prints the table.
func bench(ctx context.Context, c config, pc pgConfig, stdout io.Writer) error {
	if c.bin == "" {
		c.bin = filepath.Join(c.dir, "clausewatch")
		build := exec.CommandContext(ctx, "go", "build", "-o", c.bin, "github.com/clausewatch/clausewatch/cmd/clausewatch")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build clausewatch: %w", err)
		}
	}
	fx, err := startFixtures(ctx, c.hosts)
	if err != nil {
		return err
	}
	defer fx.stop()
	if pc.procs != nil {
		return benchPG(ctx, c, pc, fx, stdout)
	}
	db := filepath.Join(c.dir, "bench.db")
	if err := addSources(ctx, db, fx.urls, c.sources); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench: %d sources on %d loopback hosts (fixture server pid %d), daemon --workers %d; load average %s\n",
		c.sources, len(fx.urls), fx.pid(), c.workers, loadAverage())
	first, err := runRound(ctx, c.bin, db, fx.pid(), c.sources, c.workers, c.modes[len(c.modes)-1])
	if err != nil {
		return fmt.Errorf("first round: %w", err)
	}
	var rounds []round
	for range c.rounds {
		for _, m := range c.modes {
			if err := makeDue(ctx, db); err != nil {
				return err
			}
			r, err := runRound(ctx, c.bin, db, fx.pid(), c.sources, c.workers, m)
			if err != nil {
				return fmt.Errorf("mode %s: %w", m.name, err)
			}
			rounds = append(rounds, r)
		}
	}
	printTable(stdout, first, rounds, c.modes)
	fmt.Fprintf(stdout, "load average after: %s\n", loadAverage())
	return nil
}

// addSources makes the database with n sources spread over the hosts.
func addSources(ctx context.Context, path string, hosts []string, n int) error {
	db, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	for i := 0; i < n; i += 1000 {
		var srcs []store.Source
		for j := i; j < min(n, i+1000); j++ {
			srcs = append(srcs, store.Source{Name: fmt.Sprintf("s%05d", j), URL: fmt.Sprintf("%s/p/%d", hosts[j%len(hosts)], j),
				Supplier: fmt.Sprintf("Supplier %d", j%50), AllowPrivate: true})
		}
		if _, err := db.AddSources(ctx, srcs); err != nil {
			return fmt.Errorf("add sources: %w", err)
		}
	}
	return nil
}

// makeDue makes every source due now, as a new slot would.
func makeDue(ctx context.Context, path string) error {
	db, err := store.Open(path, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	dues, err := db.Dues(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	for i := range dues {
		dues[i].Slot, dues[i].At = now, now
	}
	for len(dues) > 0 {
		k := min(len(dues), 1000)
		if err := db.SetDues(ctx, dues[:k]); err != nil {
			return fmt.Errorf("make sources due: %w", err)
		}
		dues = dues[k:]
	}
	return nil
}
