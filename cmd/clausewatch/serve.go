package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// runServe implements "clausewatch serve": the daemon.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("serve", "serve [--db FILE] [--watchlist FILE] [flags]",
		"Runs the watch daemon: checks every source on its cron schedule until SIGINT or SIGTERM.\n"+
			"When each source is next due is kept in the database, so a restart runs what is overdue once.\n"+
			"SIGHUP re-reads the watchlist. Logs go to stderr, one line per fetch and per change.", false)
	watchlist := c.fs.String("watchlist", "", "declare sources in a YAML `file`; re-read on SIGHUP (sources dropped from it are paused)")
	schedule := c.fs.String("schedule", "@daily", "default cron `spec` for sources without their own")
	zone := c.fs.String("tz", "Local", "time `zone` schedules are read in (IANA name)")
	workers := c.fs.Int("workers", 4, "checks run at once")
	jitter := c.fs.Duration("jitter", 30*time.Minute, "largest fixed per-source offset from the schedule (0: none)")
	grace := c.fs.Duration("grace", 30*time.Second, "on shutdown, how long running checks may finish before they are cancelled")
	poll := c.fs.Duration("poll", time.Minute, "longest sleep between looks at the schedule")
	confirmDelay := c.fs.Duration("confirm-delay", 10*time.Second, "wait before the confirming fetch of a changed page (negative: at the next scheduled check)")
	timeout := c.fs.Duration("timeout", 60*time.Second, "timeout for one fetch attempt")
	noBrowser := c.fs.Bool("no-browser", false, "never render pages in headless Chromium (sources that need it are suspect)")
	rulesFile := c.fs.String("rules", "", "significance rules `file` (YAML) instead of the built-in rules")
	allowPrivate := c.fs.Bool("allow-private", false, "let watchlist sources use local or private addresses (SSRF guard off for them)")
	hooksAllowPrivate := c.fs.Bool("webhooks-allow-private", false, "let webhooks post to local or private addresses (SSRF guard off for webhook delivery)")
	backup := c.fs.String("backup", "", "write a consistent copy of the database to `file` on --backup-schedule")
	backupSpec := c.fs.String("backup-schedule", "@daily", "cron `spec` for --backup")
	logFormat := c.fs.String("log", "text", "log format: text or json")
	listen := c.fs.String("listen", "127.0.0.1:8080", "serve the web feed, API and metrics on this `address` (\"\": no web server)")
	baseURL := c.fs.String("base-url", "", "the `URL` people reach the web server at, for links in feeds and webhooks (default: from each request)")
	urgent := c.fs.String("urgent-schedule", "@every 1h", "cron `spec` for a supplier's sources while its 10-day update window is open")
	openRead := c.fs.Bool("open-read", false, "serve pages, feeds and read-only API calls without sign-in (changes always need a token)")
	smtp := addSMTPFlags(c.fs)
	c.commitFlags()
	c.keyFlag()
	role := c.fs.String("role", roleAll, "with --db postgres://…: what this process does: web, scheduler, worker or all (a database file: all)")
	webOnly := c.fs.Bool("web-only", false, "with --db postgres://…: the same as --role web")
	jobTimeout := c.fs.Duration("job-timeout", 10*time.Minute, "with --db postgres://…: the longest one check job may run before it is cancelled and retried")
	rescueAfter := c.fs.Duration("job-rescue-after", 0, "with --db postgres://…: how long a check job may be running before it is taken for stuck (its worker died) and retried; more than --job-timeout (0: --job-timeout + 1h)")
	queueSpec := c.fs.String("queues", "", "with --db postgres://… on a worker: the job `queues` it takes, checks, render (sources that need headless Chromium) or checks,render (default: both)")
	metricsAt := c.fs.String("metrics-listen", "", "with --db postgres://… in a role without the web server (worker, scheduler): serve /metrics alone on this `address`")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	pg := isPostgres(*c.db)
	if *rescueAfter != 0 && *rescueAfter <= *jobTimeout {
		return usageError("serve: --job-rescue-after (%v) must be more than --job-timeout (%v)", *rescueAfter, *jobTimeout)
	}
	if *webOnly {
		if *role != roleAll && *role != roleWeb {
			return usageError("serve: --web-only and --role %s disagree", *role)
		}
		*role = roleWeb
	}
	if err := checkRole(*role, pg); err != nil {
		return err
	}
	queues, err := parseQueues(*queueSpec, pg, *role)
	if err != nil {
		return err
	}
	if pg && !runs(*role, roleWeb) {
		*listen = "" // no web server in this role: leave the port to one
	}
	if pg && *backup != "" {
		return usageError("serve: --backup is for a database file; back PostgreSQL up with its own tools (pg_dump, base backups)")
	}
	if c.commit.MaxBatch < 1 || c.commit.MaxDelay < 0 {
		return usageError("serve: --commit-batch must be at least 1 and --commit-delay not negative")
	}
	// With PostgreSQL a worker waits for its record's commit, so a commit
	// delay waits for the workers' records, never longer (record 0051).
	// With bbolt the scheduler's workers hand records in without waiting
	// and go on (record 0052): a batch fills past --workers, and the
	// scheduler ends the delay itself when they are idle.
	if pg {
		c.commit.Writers = *workers
	}
	if c.fs.NArg() != 0 {
		return usageError("serve: unexpected argument %q", c.fs.Arg(0))
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		return usageError("serve: --tz: %v", err)
	}
	if _, err := watch.NewSchedule(*schedule, loc); err != nil {
		return usageError("serve: --schedule: %v", err)
	}
	if _, err := watch.NewSchedule(*urgent, loc); err != nil {
		return usageError("serve: --urgent-schedule: %v", err)
	}
	var backupSched watch.Schedule
	if *backup != "" {
		if backupSched, err = watch.NewSchedule(*backupSpec, loc); err != nil {
			return usageError("serve: --backup-schedule: %v", err)
		}
		if err := checkBackupPath(*backup, *c.db); err != nil {
			return usageError("serve: --backup: %v", err)
		}
	}
	var handler slog.Handler
	switch *logFormat {
	case "text":
		handler = slog.NewTextHandler(stderr, nil)
	case "json":
		handler = slog.NewJSONHandler(stderr, nil)
	default:
		return usageError("serve: --log %q (want text or json)", *logFormat)
	}
	log := slog.New(handler)
	rules, err := loadRules(*rulesFile)
	if err != nil {
		return err
	}
	var listed []store.Source
	if *watchlist != "" {
		if listed, err = readWatchlist(*watchlist, *allowPrivate); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
	}

	// The SMTP settings are checked before the database is opened.
	if _, err := smtp.sender(os.Getenv); err != nil {
		return err
	}
	if *baseURL != "" {
		if u, err := url.Parse(*baseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError("serve: --base-url %q: want a base URL like https://cw.example.org", *baseURL)
		}
	}
	metricsLn, err := listenMetrics(*metricsAt, pg, *role)
	if err != nil {
		return err
	}
	if metricsLn != nil {
		defer metricsLn.Close()
	}
	var ln net.Listener
	if *listen != "" {
		if ln, err = net.Listen("tcp", *listen); err != nil {
			return usageError("serve: --listen: %v", err)
		}
		defer ln.Close()
	}

	// A worker needs no key: the key's node signs (decision record 0048).
	c.keyOptional = pg && *role == roleWorker
	// Another daemon (or any command) holding the file: say so at once.
	db, err := c.openStore(ctx, c.storeOptions(100*time.Millisecond))
	if err != nil {
		return fmt.Errorf("serve: %w", explainLocked(*c.db, err))
	}
	where := dbName(*c.db)
	defer func() {
		if !pg {
			removeOwner(*c.db)
		}
		if err := db.Close(); err != nil {
			log.Error("close database", "db", where, "err", err)
			return
		}
		log.Info("database closed", "db", where)
	}()
	if !pg {
		writeOwner(*c.db, "serve")
	}
	log.Info("serving", "db", where, "pid", os.Getpid())
	var plan *pgstore.Plan // the schedule shared through PostgreSQL (plan_pg.go)
	flags := scheduleFlags{spec: schedule, zone: zone, urgent: urgent, jitter: jitter}
	if plan, loc, err = flags.agree(ctx, c.fs, db, *role, log); err != nil {
		return err
	}

	if listed != nil && (!pg || runs(*role, roleScheduler)) {
		if err := applyWatchlist(ctx, log, db, *watchlist, listed); err != nil {
			return err
		}
	}
	delay := *confirmDelay
	if delay == 0 {
		delay = time.Nanosecond // Policy's zero means the default
	}
	metrics := web.NewMetrics(db, time.Now)
	hooks := web.NewDeliverer(web.DelivererOptions{DB: db, BaseURL: *baseURL, AllowPrivate: *hooksAllowPrivate, Metrics: metrics, Logger: log})
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Timeout: *timeout, Logger: log}), Rules: rules,
		Policy: watch.Policy{ConfirmDelay: delay}, Logger: log}
	b, err := browserForQueues(checker, queues, *noBrowser, log)
	if err != nil {
		return err
	}
	if b != nil {
		defer b.Close()
	}
	prog := &vetting.Program{DB: db, Rules: rules, Logger: log}
	mailer, err := smtp.mailer(db, *baseURL, loc, log)
	if err != nil {
		return err
	}
	// newSched is the scheduler of a schedule: the flags' (or the stored
	// plan's, as agree set them) now, a changed stored plan's later (a
	// web server on PostgreSQL follows it).
	newSched := func(spec, urgentSpec string, loc *time.Location, jitter time.Duration) (*watch.Scheduler, error) {
		maxJitter := jitter
		if maxJitter == 0 {
			maxJitter = -1 // SchedulerOptions' zero means the default
		}
		var s *watch.Scheduler
		s, err := watch.NewScheduler(checker, watch.SchedulerOptions{Default: spec, Location: loc, Workers: *workers,
			MaxJitter: maxJitter, Grace: *grace, Poll: *poll, Logger: log,
			UrgentSpec: urgentSpec,
			Urgent:     func(ctx context.Context) (map[uint64]bool, error) { return prog.UrgentSources(ctx, time.Now()) },
			OnResult: func(res watch.Result) {
				observe(metrics, hooks, res)
				observeVetting(ctx, log, prog, s, res)
				if res.Change != nil && mailer != nil {
					mailer.Notify()
				}
			},
			OnRound: func(r watch.Round) { metrics.ObserveRound(r.Start, r.End, r.Checks) }})
		return s, err
	}
	sched, err := newSched(*schedule, *urgent, loc, *jitter)
	if err != nil {
		return usageError("serve: %v", err)
	}
	var server *web.Server
	var followPlan func(pgstore.Plan) error // a web server on PostgreSQL: take a changed stored plan
	if ln != nil {
		var webSched web.Scheduler = sched
		if pg { // checks on demand take the source's lock, as workers do
			locks, err := jobs.NewSourceLocks(ctx, *c.db, 4)
			if err != nil {
				return fmt.Errorf("serve: %w", err)
			}
			defer locks.Close()
			current := newSwitchedScheduler(lockedScheduler{Scheduler: sched, locks: locks})
			webSched = current
			followPlan = func(p pgstore.Plan) error {
				loc, jitter, err := planSettings(p)
				if err != nil {
					return err
				}
				s, err := newSched(p.Schedule, p.Urgent, loc, jitter)
				if err != nil {
					return fmt.Errorf("the stored schedule: %w", err)
				}
				current.set(lockedScheduler{Scheduler: s, locks: locks})
				return nil
			}
		}
		if server, err = web.New(ctx, web.Options{DB: db, Scheduler: webSched, BaseURL: *baseURL, OpenRead: *openRead,
			Metrics: metrics, Webhooks: hooks, Mail: mailer, Logger: log, Program: prog,
			Preview: checker}); err != nil {
			return usageError("serve: %v", err)
		}
	}

	if pg {
		reload := func(ctx context.Context) {
			if *watchlist == "" {
				log.Info("SIGHUP: no --watchlist to re-read; looking at the sources again")
				return
			}
			log.Info("SIGHUP: re-reading the watchlist", "file", *watchlist)
			listed, err := readWatchlist(*watchlist, *allowPrivate)
			if err != nil {
				log.Error("watchlist not reloaded; keeping the sources as they are", "err", err)
				return
			}
			if err := applyWatchlist(ctx, log, db, *watchlist, listed); err != nil {
				log.Error("watchlist applied with errors", "err", err)
			}
		}
		return servePostgres(ctx, pgServe{reload: reload, role: *role, dsn: *c.db, log: log, db: db, sched: sched, server: server, ln: ln,
			hooks: hooks, mailer: mailer, workers: *workers, queues: queues, poll: *poll, grace: *grace,
			jobTimeout: *jobTimeout, rescueAfter: *rescueAfter, plan: plan, flagsPlan: flags.plan(), followPlan: followPlan,
			metrics: metrics, metricsLn: metricsLn})
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	loopCtx, stop := context.WithCancel(ctx)
	defer stop()
	// SIGHUP is always caught: its default action would kill the daemon
	// without a graceful shutdown (systemctl reload sends it).
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	wg.Go(func() {
		for {
			select {
			case <-loopCtx.Done():
				return
			case <-hup:
			}
			if *watchlist == "" {
				log.Info("SIGHUP: no --watchlist to re-read; reading the sources again")
				sched.Resync()
				continue
			}
			log.Info("SIGHUP: re-reading the watchlist", "file", *watchlist)
			listed, err := readWatchlist(*watchlist, *allowPrivate)
			if err != nil {
				log.Error("watchlist not reloaded; keeping the sources as they are", "err", err)
				continue
			}
			if err := applyWatchlist(loopCtx, log, db, *watchlist, listed); err != nil {
				log.Error("watchlist applied with errors", "err", err)
			}
			sched.Resync()
		}
	})
	if *backup != "" {
		fb, ok := db.(store.FileBackup)
		if !ok {
			return usageError("serve: --backup: %s cannot be copied to a file", where)
		}
		wg.Go(func() { backupLoop(loopCtx, log, fb, *backup, backupSched) })
	}
	wg.Go(func() { hooks.Run(loopCtx) })
	if mailer != nil {
		wg.Go(func() { mailer.Run(loopCtx) })
	}
	// The CLI's commands on this database run here while it is held
	// (admin.go, decision record 0031).
	if bolt, ok := db.(*store.DB); !ok {
		log.Info("no admin socket: with PostgreSQL every command opens the database itself")
	} else if adm, err := listenAdmin(*c.db, bolt, adminOptions{Logger: log, Hold: sched.Hold,
		After: func(string) {
			sched.Resync()
			hooks.Notify()
			if mailer != nil {
				mailer.Notify()
			}
		}}); err != nil {
		log.Error("no admin socket: CLI commands on this database will say it is in use", "err", err)
	} else {
		log.Info("admin socket listening", "socket", adm.sock)
		wg.Go(func() { adm.Serve(loopCtx) })
	}
	// Update windows open and close with the clock: resync the schedule
	// when the set of urgent sources changes.
	wg.Go(func() { urgentLoop(loopCtx, log, prog, sched) })
	if server != nil {
		log.Info("web server listening", "url", "http://"+ln.Addr().String()+"/", "open_read", *openRead)
		wg.Go(func() {
			if err := server.Serve(loopCtx, ln); err != nil {
				log.Error("web server stopped", "err", err)
			}
		})
	}
	err = sched.Run(ctx)
	stop()
	return err
}

// observe feeds a check's result to the metrics and, when it recorded a
// change, wakes the webhook deliverer.
func observe(m *web.Metrics, hooks *web.Deliverer, res watch.Result) {
	if res.Fetch.Outcome != "" {
		m.ObserveFetch(res.Fetch.Outcome)
	}
	if res.Change != nil {
		m.ObserveChange(res.Change.Revet)
		hooks.Notify()
	}
}

// observeVetting holds a check that recorded a change against the open
// tickets of its supplier; when one closes, the supplier's sources go
// back to their own schedule.
func observeVetting(ctx context.Context, log *slog.Logger, prog *vetting.Program, sched *watch.Scheduler, res watch.Result) {
	closed, err := prog.Observe(ctx, res)
	if err != nil {
		log.ErrorContext(ctx, "check tickets", "source", res.Source.Name, "err", err)
	}
	if len(closed) > 0 {
		sched.Resync()
	}
}

// urgentLoop resyncs the schedule whenever the sources on the urgent
// schedule change (a window opened over the API, or closed by time).
func urgentLoop(ctx context.Context, log *slog.Logger, prog *vetting.Program, sched *watch.Scheduler) {
	var last map[uint64]bool
	tick := time.NewTicker(5 * time.Minute)
	defer tick.Stop()
	for {
		ids, err := prog.UrgentSources(ctx, time.Now())
		if err != nil {
			log.ErrorContext(ctx, "sources with an open window", "err", err)
		} else if last != nil && !maps.Equal(ids, last) {
			sched.Resync()
		}
		if err == nil {
			last = ids
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// readWatchlist reads and validates a watchlist file.
func readWatchlist(path string, allowPrivate bool) ([]store.Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("watchlist: %w", err)
	}
	srcs, err := watch.ParseWatchlist(data, path)
	if err != nil {
		return nil, err
	}
	for i := range srcs {
		srcs[i].AllowPrivate = allowPrivate
	}
	return srcs, nil
}

// applyWatchlist applies a parsed watchlist and logs what changed.
func applyWatchlist(ctx context.Context, log *slog.Logger, db store.Store, path string, listed []store.Source) error {
	rep, err := watch.ApplyWatchlist(ctx, db, listed)
	log.Info("watchlist applied", "file", path, "added", len(rep.Added), "updated", len(rep.Updated), "paused", len(rep.Paused), "unchanged", rep.Unchanged)
	for _, name := range rep.Paused {
		log.Info("source paused: no longer in the watchlist", "source", name)
	}
	if err != nil {
		return fmt.Errorf("serve: watchlist %s: %w", path, err)
	}
	return nil
}

// backupLoop writes a backup on its schedule until ctx is done.
func backupLoop(ctx context.Context, log *slog.Logger, db store.FileBackup, path string, sched watch.Schedule) {
	var last time.Time
	for {
		next := sched.Next(last, time.Now())
		t := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		last = next
		n, err := db.BackupFile(ctx, path)
		if err != nil {
			log.Error("backup failed", "file", path, "err", err)
			continue
		}
		log.Info("backup written", "file", path, "bytes", n)
	}
}

// owner is who holds a database, written beside it by serve so that
// whoever finds it locked can be told by whom.
type owner struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

func ownerPath(db string) string { return db + ".owner" }

func writeOwner(db, command string) {
	host, _ := os.Hostname()
	data, _ := json.Marshal(owner{PID: os.Getpid(), Host: host, Command: command, Since: time.Now().UTC().Truncate(time.Second)})
	_ = os.WriteFile(ownerPath(db), data, 0o644) // informative only
}

func removeOwner(db string) { _ = os.Remove(ownerPath(db)) }

// explainLocked turns store.ErrLocked into a message that says who holds
// the database and what to do; other errors pass through.
func explainLocked(db string, err error) error {
	if !errors.Is(err, store.ErrLocked) {
		return err
	}
	var who strings.Builder
	if data, rerr := os.ReadFile(ownerPath(db)); rerr == nil {
		var o owner
		if json.Unmarshal(data, &o) == nil && o.PID != 0 {
			fmt.Fprintf(&who, " (clausewatch %s, pid %d on %s, since %s)", o.Command, o.PID, o.Host, o.Since.Format(time.RFC3339))
		}
	}
	return fmt.Errorf("%s is in use by another process%s; stop it first, or pass another --db "+
		"(a running daemon writes its own backups: serve --backup FILE)", db, who.String())
}
