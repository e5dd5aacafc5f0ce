// Package jobs runs clausewatch's due checks as River jobs in PostgreSQL
// (decision record 0040): a scheduler turns each due slot into one job,
// unique per source and slot, and workers anywhere take them and run
// fetch → extract → diff → record. River keeps its own tables beside the
// store's; Migrate creates them.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// Queue is the River queue plain checks go to; RenderQueue the one for
// checks of sources that need a browser (decision record 0050), which
// only workers with headless Chromium take.
const (
	Queue       = "checks"
	RenderQueue = "render"
)

// Check is the job of checking one source for one slot of its schedule.
// Two jobs with the same arguments are one job (River's unique insert),
// so schedulers that see the same due slot enqueue it once.
//
// Only Source, Slot and Render make a job unique (river:"unique"): a
// hand-over's Plain does not, so a plain job handed on twice (retried
// after its worker died) still makes one render job.
type Check struct {
	Source uint64 `json:"source" river:"unique"`
	// Slot is the schedule's slot, Unix nanoseconds (as the store keeps
	// it: an integer compares and hashes the same in every process).
	Slot int64 `json:"slot" river:"unique"`
	// Render sends the check to RenderQueue. A plain and a rendered job
	// of one slot are two jobs, each unique: the plain one may hand its
	// slot on to the rendered one (decision record 0050).
	Render bool `json:"render,omitempty" river:"unique"`
	// Plain is the plain fetch a worker without the browser handed the
	// check on with: the worker with the browser reads it instead of
	// fetching the page again.
	Plain *Plain `json:"plain,omitempty"`
}

// Plain is a handed-on plain fetch: the capture without its body, which
// is a blob in the store (content-addressed: the check's record stores
// it again at no cost), and the fetch's error.
type Plain struct {
	Capture    fetch.Capture `json:"capture"`
	BodySHA256 string        `json:"body_sha256,omitempty"`
	Err        string        `json:"err,omitempty"`
	Status     bool          `json:"status,omitempty"` // Err is an HTTP error status
}

// Kind is the job's kind in River's tables.
func (Check) Kind() string { return "clausewatch.check" }

// InsertOpts make every check job unique by its arguments in every
// state but cancelled and discarded (River's default states), in its
// queue.
func (c Check) InsertOpts() river.InsertOpts {
	q := Queue
	if c.Render {
		q = RenderQueue
	}
	return river.InsertOpts{Queue: q, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// migrateLock is the advisory lock key processes that start together
// take to run River's migrations once.
const migrateLock = 0x636c6177_72697672 // "clawrivr"

// Connect opens a connection pool to the database at dsn.
func Connect(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("jobs: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("jobs: connect: %w", err)
	}
	return pool, nil
}

// Migrate brings River's tables up to this build's version, under an
// advisory lock so that processes starting together migrate once.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
		return fmt.Errorf("jobs: migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLock))
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate River's tables: %w", err)
	}
	return nil
}

// Options configure a River client.
type Options struct {
	// Workers is how many checks this process runs at once; 0 makes a
	// client that only enqueues (a scheduler, the web).
	Workers int
	// Scheduler runs the checks (CheckSlot); required with Workers.
	Scheduler *watch.Scheduler
	// Store keeps the body of a plain fetch handed on to the render
	// queue (and reads it there); required with Workers.
	Store store.History
	// Queues are the queues worked, Queue and RenderQueue when empty. A
	// worker without RenderQueue should have its Scheduler's checker
	// leave renders elsewhere (watch.Checker.RenderElsewhere): a check
	// that finds it needs the browser then moves to RenderQueue.
	Queues []string
	// Timeout bounds one check; 0 means River's default (1 minute), -1
	// none.
	Timeout time.Duration
	// RescueAfter is how long a job may be running before it is taken
	// for stuck (its worker killed) and tried again; it must exceed
	// Timeout. Default River's (1 hour, or Timeout + 1 hour).
	RescueAfter time.Duration
	// Retry, when set, says when a failed check is tried again. Default
	// River's (exponential backoff).
	Retry river.ClientRetryPolicy
	// Poll is the longest a worker waits before it looks for jobs again
	// when no notification came. Default River's (1s).
	Poll time.Duration
	// Locks, when set, are taken around every check (one source is
	// never checked by two processes at once: a worker and the CLI).
	Locks *SourceLocks
	// Logger receives River's own log lines. Default: warnings and worse
	// are dropped too (the checks log through the Scheduler).
	Logger *slog.Logger
}

// NewClient returns a River client on pool: one that works check jobs
// when opts.Workers > 0, else one that only enqueues them.
func NewClient(pool *pgxpool.Pool, opts Options) (*river.Client[pgx.Tx], error) {
	cfg := &river.Config{Logger: opts.Logger, RetryPolicy: opts.Retry, FetchPollInterval: opts.Poll, RescueStuckJobsAfter: opts.RescueAfter}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Workers > 0 {
		if opts.Scheduler == nil || opts.Store == nil {
			return nil, errors.New("jobs: a client with workers needs a Scheduler and a Store")
		}
		workers := river.NewWorkers()
		if err := river.AddWorkerSafely(workers, &checkWorker{sched: opts.Scheduler, store: opts.Store, timeout: opts.Timeout, locks: opts.Locks, log: cfg.Logger}); err != nil {
			return nil, fmt.Errorf("jobs: %w", err)
		}
		cfg.Workers = workers
		queues := opts.Queues
		if len(queues) == 0 {
			queues = []string{Queue, RenderQueue}
		}
		cfg.Queues = map[string]river.QueueConfig{}
		for _, q := range queues {
			if q != Queue && q != RenderQueue {
				return nil, fmt.Errorf("jobs: no queue %q (want %s or %s)", q, Queue, RenderQueue)
			}
			cfg.Queues[q] = river.QueueConfig{MaxWorkers: opts.Workers}
		}
		cfg.JobTimeout = opts.Timeout
	}
	client, err := river.NewClient(riverpgxv5.New(pool), cfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return client, nil
}

// checkWorker runs check jobs.
type checkWorker struct {
	river.WorkerDefaults[Check]
	sched   *watch.Scheduler
	store   store.History
	timeout time.Duration
	locks   *SourceLocks
	log     *slog.Logger
}

// Work checks the job's source for its slot. An interrupted check (the
// worker shutting down, its context cancelled) returns an error and
// River tries the job again; the half-done check left nothing behind, as
// a check's record is one transaction.
func (w *checkWorker) Work(ctx context.Context, job *river.Job[Check]) error {
	if w.locks != nil {
		release, err := w.locks.Lock(ctx, job.Args.Source, nil)
		if err != nil {
			return err
		}
		defer release()
	}
	if p := job.Args.Plain; p != nil && job.Args.Render {
		ctx = w.handed(ctx, job.Args.Source, p)
	}
	res, _, err := w.sched.CheckSlot(ctx, job.Args.Source, time.Unix(0, job.Args.Slot))
	if errors.Is(err, watch.ErrRenderElsewhere) && !job.Args.Render {
		return w.toRenderQueue(ctx, job.Args, res.Err)
	}
	return err
}

// handed is ctx carrying a handed-on plain fetch for the check to read
// (watch.WithHandedPlain); without its body (not found, a read error)
// the check fetches the page itself, as it would have anyway.
func (w *checkWorker) handed(ctx context.Context, source uint64, p *Plain) context.Context {
	c := p.Capture
	if p.BodySHA256 != "" {
		body, err := w.store.Blob(ctx, p.BodySHA256)
		if err != nil {
			w.log.WarnContext(ctx, "handed-on plain fetch unreadable: fetching the page again", "source", source, "err", err)
			return ctx
		}
		c.Body = body
	}
	var ferr error
	if p.Err != "" {
		ferr = &watch.HandedError{Text: p.Err, Status: p.Status}
	}
	return watch.WithHandedPlain(ctx, &c, ferr)
}

// toRenderQueue hands a plain check's slot on to a worker with the
// browser: the same slot as a job in RenderQueue, with the plain fetch
// it made (checkErr's, when it has one). Done twice (this job retried
// after its worker died) it is still one job.
func (w *checkWorker) toRenderQueue(ctx context.Context, args Check, checkErr error) error {
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return fmt.Errorf("jobs: check of source %d to the render queue: %w", args.Source, err)
	}
	args.Render = true
	if re := (*watch.RenderElsewhereError)(nil); errors.As(checkErr, &re) && re.Plain != nil {
		p := &Plain{Capture: *re.Plain}
		p.Capture.Body = nil
		p.Err, p.Status = watch.HandedErrorOf(re.Err)
		if len(re.Plain.Body) > 0 {
			hashes, err := w.store.PutBlobs(ctx, re.Plain.Body)
			if err != nil {
				return fmt.Errorf("jobs: check of source %d to the render queue: %w", args.Source, err)
			}
			p.BodySHA256 = hashes[0]
		}
		args.Plain = p
	}
	if _, err := client.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("jobs: check of source %d to the render queue: %w", args.Source, err)
	}
	return nil
}

// Timeout is the limit of one check.
func (w *checkWorker) Timeout(*river.Job[Check]) time.Duration { return w.timeout }
