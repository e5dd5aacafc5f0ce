package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// pgConfig is the PostgreSQL benchmark's flags (-pg-procs): one round
// of every source per count of "clausewatch worker" processes, each with
// --workers checks at once, on one database (decision record 0050).
type pgConfig struct {
	dsn   string // "": a cluster of its own (pgtest)
	procs []int
}

// parseProcs reads "1,2,4".
func parseProcs(s string) ([]int, error) {
	var out []int
	for item := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(item))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-pg-procs: %q: want a count of worker processes of at least 1", item)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchPG adds the sources to PostgreSQL, runs a first round (first
// versions, with the most processes) and then, rounds times, an
// unchanged round per process count, and prints seconds per round and
// the ratio to the first count's.
func benchPG(ctx context.Context, c config, pc pgConfig, fx *fixtureProcess, stdout io.Writer) error {
	if pc.dsn == "" {
		cl, err := pgtest.Start()
		if err != nil {
			return fmt.Errorf("start PostgreSQL: %w", err)
		}
		defer cl.Stop()
		if pc.dsn, err = cl.NewDatabase(ctx); err != nil {
			return err
		}
	}
	db, err := pgstore.Open(ctx, pc.dsn, pgstore.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	pool, err := jobs.Connect(ctx, pc.dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := jobs.Migrate(ctx, pool); err != nil {
		return err
	}
	enq, err := jobs.NewClient(pool, jobs.Options{})
	if err != nil {
		return err
	}
	var srcs []store.Source
	for i := range c.sources {
		srcs = append(srcs, store.Source{Name: fmt.Sprintf("s%05d", i), URL: fmt.Sprintf("%s/p/%d", fx.urls[i%len(fx.urls)], i),
			Supplier: fmt.Sprintf("Supplier %d", i%50), Kind: store.Privacy, Origin: "cli", AllowPrivate: true})
	}
	if srcs, err = db.AddSources(ctx, srcs); err != nil {
		return fmt.Errorf("add sources: %w", err)
	}
	fmt.Fprintf(stdout, "bench: PostgreSQL, %d sources on %d loopback hosts, worker processes %v with --workers %d each; load average %s\n",
		c.sources, len(fx.urls), pc.procs, c.workers, loadAverage())
	round := func(procs int) (time.Duration, error) {
		if err := makeDuePG(ctx, db, srcs); err != nil {
			return 0, err
		}
		return roundPG(ctx, c, pc.dsn, procs, func() error {
			_, err := jobs.Enqueue(ctx, enq, db, time.Now())
			return err
		}, func() (bool, error) { return roundDone(ctx, pool) })
	}
	first, err := round(pc.procs[len(pc.procs)-1])
	if err != nil {
		return fmt.Errorf("first round: %w", err)
	}
	fmt.Fprintf(stdout, "first round (new versions, %d processes): %.1f s\n", pc.procs[len(pc.procs)-1], first.Seconds())
	secs := make([][]float64, len(pc.procs))
	for range c.rounds {
		for i, n := range pc.procs {
			d, err := round(n)
			if err != nil {
				return fmt.Errorf("%d processes: %w", n, err)
			}
			secs[i] = append(secs[i], d.Seconds())
		}
	}
	fmt.Fprintf(stdout, "%-10s %12s %10s %14s\n", "processes", "s/round", "ratio", "checks/s")
	base := mean(secs[0])
	for i, n := range pc.procs {
		m := mean(secs[i])
		fmt.Fprintf(stdout, "%-10d %12.2f %10.2f %14.0f\n", n, m, m/base, float64(c.sources)/m)
	}
	fmt.Fprintf(stdout, "load average after: %s\n", loadAverage())
	return nil
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// makeDuePG makes every source due now, with a new slot.
func makeDuePG(ctx context.Context, db *pgstore.DB, srcs []store.Source) error {
	now := time.Now()
	dues := make([]store.Due, len(srcs))
	for i, s := range srcs {
		dues[i] = store.Due{SourceID: s.ID, Schedule: "@daily", Zone: "UTC", Slot: now, At: now}
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

// roundDone reports whether no check job is left to run.
func roundDone(ctx context.Context, pool *pgxpool.Pool) (bool, error) {
	var left int
	err := pool.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')").Scan(&left)
	if err != nil {
		return false, fmt.Errorf("count the jobs left: %w", err)
	}
	return left == 0, nil
}

// roundPG starts procs worker processes, waits until each works jobs,
// enqueues the round and times it until done says no job is left; then
// stops the workers with SIGTERM.
func roundPG(ctx context.Context, c config, dsn string, procs int, enqueue func() error, done func() (bool, error)) (time.Duration, error) {
	var cmds []*exec.Cmd
	defer func() {
		for _, cmd := range cmds {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	}()
	for range procs {
		cmd := exec.CommandContext(ctx, c.bin, "worker", "--db", dsn, "--workers", strconv.Itoa(c.workers), "--queues", jobs.Queue, "--tz", "UTC")
		cmd.Env = append(os.Environ(), "CLAUSEWATCH_KEY=")
		errs, err := cmd.StderrPipe()
		if err != nil {
			return 0, err
		}
		if err := cmd.Start(); err != nil {
			return 0, fmt.Errorf("start a worker: %w", err)
		}
		cmds = append(cmds, cmd)
		if err := waitLine(errs, "working check jobs"); err != nil {
			return 0, fmt.Errorf("worker %d: %w", cmd.Process.Pid, err)
		}
	}
	start := time.Now()
	if err := enqueue(); err != nil {
		return 0, err
	}
	for {
		ok, err := done()
		if err != nil {
			return 0, err
		}
		if ok {
			return time.Since(start), nil
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitLine reads a worker's log until a line holds want, then drains
// the rest in the background; the last lines read are in the error when
// the worker exits first.
func waitLine(r io.Reader, want string) error {
	sc := bufio.NewScanner(r)
	var last []string
	for sc.Scan() {
		if strings.Contains(sc.Text(), want) {
			go io.Copy(io.Discard, r)
			return nil
		}
		last = append(last[max(0, len(last)-9):], sc.Text())
	}
	return fmt.Errorf("exited before %q: %s", want, strings.Join(last, "\n"))
}
