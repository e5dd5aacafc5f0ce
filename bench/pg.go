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
	meter, err := newPGMeter(ctx, pool)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench: PostgreSQL, %d sources on %d loopback hosts, worker processes %v with --workers %d each; load average %s\n",
		c.sources, len(fx.urls), pc.procs, c.workers, loadAverage())
	if meter.postmaster == 0 {
		fmt.Fprintln(stdout, "bench: PostgreSQL is not on this machine: no server CPU figures")
	}
	round := func(procs int) (pgRound, error) {
		if err := makeDuePG(ctx, db, srcs); err != nil {
			return pgRound{}, err
		}
		return roundPG(ctx, c, pc.dsn, procs, meter, func() error {
			_, err := jobs.Enqueue(ctx, enq, db, time.Now())
			return err
		}, func() (bool, error) { return roundDone(ctx, pool) })
	}
	first, err := round(pc.procs[len(pc.procs)-1])
	if err != nil {
		return fmt.Errorf("first round: %w", err)
	}
	fmt.Fprintf(stdout, "first round (new versions, %d processes): %.1f s, %.0f B/fetch in the store's tables; load average %s\n",
		pc.procs[len(pc.procs)-1], first.dur.Seconds(), float64(first.store)/float64(c.sources), first.load)
	rounds := make([][]pgRound, len(pc.procs))
	for range c.rounds {
		for i, n := range pc.procs {
			r, err := round(n)
			if err != nil {
				return fmt.Errorf("%d processes: %w", n, err)
			}
			fmt.Fprintf(stdout, "round: %d processes, %.1f s, load average %s\n", n, r.dur.Seconds(), r.load)
			rounds[i] = append(rounds[i], r)
		}
	}
	printPGTable(stdout, c.sources, pc.procs, rounds)
	fmt.Fprintf(stdout, "load average after: %s\n", loadAverage())
	return nil
}

// printPGTable prints one line per process count, each figure the mean
// over its rounds: seconds per round and its ratio to the first count's,
// checks per second, CPU per check in the workers and in PostgreSQL,
// and bytes per fetch in the store's tables and in all (River's job
// rows too).
func printPGTable(w io.Writer, sources int, procs []int, rounds [][]pgRound) {
	fmt.Fprintf(w, "%-10s %9s %7s %9s %15s %12s %13s %11s\n", "processes", "s/round", "ratio", "checks/s",
		"worker-cpu-ms", "pg-cpu-ms", "store-B/fetch", "all-B/fetch")
	n := float64(sources)
	var base float64
	for i, p := range procs {
		var secs, wcpu, pcpu, st, all []float64
		for _, r := range rounds[i] {
			secs = append(secs, r.dur.Seconds())
			wcpu = append(wcpu, float64(r.workerCPU.Microseconds())/1000/n)
			pcpu = append(pcpu, float64(r.pgCPU.Microseconds())/1000/n)
			st, all = append(st, float64(r.store)/n), append(all, float64(r.all)/n)
		}
		m := mean(secs)
		if i == 0 {
			base = m
		}
		fmt.Fprintf(w, "%-10d %9.1f %7.2f %9.0f %15.2f %12.2f %13.0f %11.0f\n", p, m, m/base, n/m, mean(wcpu), mean(pcpu), mean(st), mean(all))
	}
	fmt.Fprintln(w, "(CPU per check: the worker processes' user+system time, and PostgreSQL's server processes'; B/fetch: table and index growth over the round)")
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

// pgRound is one round's figures.
type pgRound struct {
	dur              time.Duration
	workerCPU, pgCPU time.Duration
	store, all       int64 // bytes the tables grew by
	load             string
}

// roundPG starts procs worker processes, waits until each works jobs,
// enqueues the round and times it until done says no job is left,
// measuring the workers' and PostgreSQL's CPU time and the tables'
// growth over it; then stops the workers with SIGTERM.
func roundPG(ctx context.Context, c config, dsn string, procs int, meter *pgMeter, enqueue func() error, done func() (bool, error)) (pgRound, error) {
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
			return pgRound{}, err
		}
		if err := cmd.Start(); err != nil {
			return pgRound{}, fmt.Errorf("start a worker: %w", err)
		}
		cmds = append(cmds, cmd)
		if err := waitLine(errs, "working check jobs"); err != nil {
			return pgRound{}, fmt.Errorf("worker %d: %w", cmd.Process.Pid, err)
		}
	}
	workersCPU := func() (time.Duration, error) {
		var sum time.Duration
		for _, cmd := range cmds {
			t, err := procCPU(cmd.Process.Pid)
			if err != nil {
				return 0, err
			}
			sum += t
		}
		return sum, nil
	}
	cpu0, err := workersCPU()
	if err != nil {
		return pgRound{}, err
	}
	pg0, err := meter.sample(ctx)
	if err != nil {
		return pgRound{}, err
	}
	start := time.Now()
	if err := enqueue(); err != nil {
		return pgRound{}, err
	}
	for {
		ok, err := done()
		if err != nil {
			return pgRound{}, err
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return pgRound{}, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	r := pgRound{dur: time.Since(start), load: loadAverage()}
	cpu1, err := workersCPU()
	if err != nil {
		return pgRound{}, err
	}
	pg1, err := meter.sample(ctx)
	if err != nil {
		return pgRound{}, err
	}
	r.workerCPU, r.pgCPU = cpu1-cpu0, pg1.cpuSince(pg0)
	r.store, r.all = pg1.store-pg0.store, pg1.all-pg0.all
	return r, nil
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
