package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// The roles of serve on PostgreSQL (decision record 0040): the web
// server, the scheduler that enqueues due checks as River jobs, the
// worker that runs them, or all three in one process.
const (
	roleAll       = "all"
	roleWeb       = "web"
	roleScheduler = "scheduler"
	roleWorker    = "worker"
)

// hooksLock and mailLock are the advisory lock keys of webhook and
// e-mail delivery.
const (
	hooksLock = 0x636c6177_686f6f6b // "clawhook"
	mailLock  = 0x636c6177_6d61696c // "clawmail"
)

// signEvery is how often the signer looks at the log when no batch
// has notified it (a notification lost with a connection).
const signEvery = 10 * time.Second

// checkRole refuses an unknown role, and any but all on a database file
// (one process holds it: there is no one to share the work with).
func checkRole(role string, pg bool) error {
	switch role {
	case roleAll:
		return nil
	case roleWeb, roleScheduler, roleWorker:
		if !pg {
			return usageError("serve: --role %s needs --db postgres://… (a database file is served by one process doing everything)", role)
		}
		return nil
	}
	return usageError("serve: --role %q (want web, scheduler, worker or all)", role)
}

// runs reports whether a process in role does part's work.
func runs(role, part string) bool { return role == roleAll || role == part }

// runWorker implements "clausewatch worker": serve on PostgreSQL doing
// nothing but check jobs.
func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runServe(ctx, append([]string{"--role", roleWorker, "--listen", ""}, args...), stdout, stderr)
}

// pgServe is what serve set up, for servePostgres.
type pgServe struct {
	role, dsn   string
	log         *slog.Logger
	db          store.Store
	sched       *watch.Scheduler
	server      *web.Server
	ln          net.Listener
	hooks       *web.Deliverer
	mailer      *web.Mailer // nil without --smtp
	workers     int
	queues      []string // nil: both
	poll        time.Duration
	grace       time.Duration
	jobTimeout  time.Duration
	rescueAfter time.Duration
	// reload re-reads the watchlist (SIGHUP, on a scheduler).
	reload func(context.Context)
	// metricsLn, when set, serves metrics alone (a role without the web
	// server: --metrics-listen).
	metrics   *web.Metrics
	metricsLn net.Listener
	// plan is the stored schedule this process runs by (nil: its own
	// flags, none being stored); a worker stops when it changes.
	plan *pgstore.Plan
	// flagsPlan is the plan in force (the stored one, or the flags' when
	// none was); followPlan, on a web server, takes a changed one.
	flagsPlan  pgstore.Plan
	followPlan func(pgstore.Plan) error
}

// servePostgres runs serve's role on PostgreSQL until ctx is done: due
// checks go through River's queue, so any number of schedulers, workers
// and web servers can run, on any machines.
func servePostgres(ctx context.Context, p pgServe) error {
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	// SIGHUP is always caught (its default action kills the process
	// without a graceful stop): a scheduler re-reads the watchlist and
	// looks at the sources again; other roles have nothing to reload.
	// Caught from here on, before the role says it is running.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	pool, err := jobs.Connect(ctx, p.dsn)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	defer pool.Close()
	if err := jobs.Migrate(ctx, pool); err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	opts := jobs.Options{Timeout: p.jobTimeout, RescueAfter: p.rescueAfter, Logger: p.log}
	if runs(p.role, roleWorker) {
		opts.Workers, opts.Scheduler, opts.Store, opts.Queues = p.workers, p.sched, p.db, p.queues
		// A lock per running check, on connections of their own.
		if opts.Locks, err = jobs.NewSourceLocks(ctx, p.dsn, p.workers); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
		defer opts.Locks.Close()
	}
	client, err := jobs.NewClient(pool, opts)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	if opts.Workers > 0 {
		// Not ctx: a signal stops the client gracefully, below.
		if err := client.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("serve: start the job workers: %w", err)
		}
		defer stopClient(p, client.Stop, client.StopAndCancel)
		p.log.Info("working check jobs", "workers", opts.Workers, "queues", opts.Queues)
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wake := make(chan struct{}, 1)
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
			}
			if !runs(p.role, roleScheduler) {
				p.log.Info("SIGHUP: nothing to reload in this role", "role", p.role)
				continue
			}
			p.reload(ctx)
			select {
			case wake <- struct{}{}:
			default:
			}
		}
	})
	if runs(p.role, roleScheduler) {
		s := &jobs.Scheduler{Client: client, Watch: p.sched, DB: p.db, Poll: p.poll, Logger: p.log}
		wg.Go(func() { s.Run(ctx, wake) })
		// Webhooks go out from one scheduler at a time, whichever holds
		// the lock: two would post the same change twice.
		wg.Go(func() {
			jobs.Exclusive(ctx, pool, hooksLock, 10*time.Second, p.log, func(ctx context.Context) {
				if err := p.hooks.Run(ctx); err != nil && ctx.Err() == nil {
					p.log.Error("webhook delivery stopped", "err", err)
				}
			})
		})
		// So does e-mail: two would send each message twice.
		if p.mailer != nil {
			wg.Go(func() {
				jobs.Exclusive(ctx, pool, mailLock, 10*time.Second, p.log, func(ctx context.Context) {
					if err := p.mailer.Run(ctx); err != nil && ctx.Err() == nil {
						p.log.Error("e-mail delivery stopped", "err", err)
					}
				})
			})
		}
		p.log.Info("scheduling checks as jobs", "poll", p.poll)
	}
	// Where the key is, checkpoints are signed for the workers that
	// record without it (decision record 0048).
	if pdb, ok := p.db.(*pgstore.DB); ok && pdb.KeyFile() != "" {
		wg.Go(func() { pdb.RunSigner(ctx, signEvery, p.log) })
		p.log.Info("signing checkpoints of the log", "key", pdb.KeyFile())
	}
	if runs(p.role, roleWeb) && p.server != nil {
		p.log.Info("web server listening", "url", "http://"+p.ln.Addr().String()+"/")
		wg.Go(func() {
			if err := p.server.Serve(ctx, p.ln); err != nil {
				p.log.Error("web server stopped", "err", err)
			}
		})
	}
	if p.metricsLn != nil {
		p.log.Info("metrics listening", "url", "http://"+p.metricsLn.Addr().String()+"/metrics")
		wg.Go(func() { serveMetrics(ctx, p.metricsLn, p.metrics, p.log) })
	}
	if pg, ok := p.db.(*pgstore.DB); ok {
		switch {
		case p.plan != nil && p.role == roleWorker:
			wg.Go(func() { watchPlan(ctx, pg, *p.plan, p.poll, p.log, stopOnPlanChange(*p.plan, p.log, stop)) })
		case p.role == roleWeb && p.followPlan != nil:
			// The web server's checks on demand reckon the next slot
			// as the schedulers do, whatever they store later.
			wg.Go(func() {
				watchPlan(ctx, pg, p.flagsPlan, p.poll, p.log, followPlanChange(p.flagsPlan, p.log, p.followPlan))
			})
		}
	}
	<-ctx.Done()
	if err := context.Cause(ctx); errors.Is(err, errPlanChanged) {
		return err
	}
	return nil
}

// stopClient lets running checks finish for up to grace, then cancels
// them: their jobs are retried by another worker.
func stopClient(p pgServe, stop, cancel func(context.Context) error) {
	ctx, done := context.WithTimeout(context.Background(), p.grace)
	defer done()
	if err := stop(ctx); err == nil {
		return
	}
	p.log.Warn("checks still running after the grace period: cancelling them (their jobs will be retried)")
	ctx, done = context.WithTimeout(context.Background(), p.grace)
	defer done()
	if err := cancel(ctx); err != nil {
		p.log.Error("stop the job workers", "err", err)
	}
}

// listenMetrics opens --metrics-listen's address: only on PostgreSQL, in
// a role without the web server (which serves /metrics itself).
func listenMetrics(addr string, pg bool, role string) (net.Listener, error) {
	if addr == "" {
		return nil, nil
	}
	if !pg || runs(role, roleWeb) {
		return nil, usageError("serve: --metrics-listen is for a worker or scheduler on PostgreSQL; the web server serves /metrics itself")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, usageError("serve: --metrics-listen: %v", err)
	}
	return ln, nil
}

// serveMetrics serves GET /metrics on ln until ctx is done: the checks
// this process ran (a worker's fetches and changes) and the database's
// gauges.
func serveMetrics(ctx context.Context, ln net.Listener, m *web.Metrics, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("metrics server stopped", "err", err)
	}
}
