package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/watch"
	"github.com/clausewatch/clausewatch/web"
)

// demoClock is the demo's time: simulated while the history replays,
// then the real clock.
type demoClock struct {
	mu   sync.Mutex
	t    time.Time
	real bool
}

func (c *demoClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now()
	}
	return c.t
}

// Tick is Now that moves simulated time on a second, so that the fetches
// of one simulated moment keep distinct, ordered times.
func (c *demoClock) Tick() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.real {
		return time.Now()
	}
	c.t = c.t.Add(time.Second)
	return c.t
}

func (c *demoClock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *demoClock) goReal() {
	c.mu.Lock()
	c.real = true
	c.mu.Unlock()
}

// The replay: monthly checks on the 1st at 06:00 UTC from December 2002
// (IMS's first policy is dated 10 December 2002) to July 2022, after the
// 1EdTech rewrite of 17 May 2022. COR is added to the watch in March 2016,
// when its policy first appears.
var (
	demoStart  = time.Date(2002, time.December, 15, 6, 0, 0, 0, time.UTC)
	demoEnd    = time.Date(2022, time.July, 1, 6, 0, 0, 0, time.UTC)
	demoCORAdd = time.Date(2016, time.March, 20, 6, 0, 0, 0, time.UTC)
)

const demoSchedule = "0 6 1 * *"

// runDemo implements "clausewatch demo".
func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("demo", "demo [--listen ADDR] [--db FILE] [--step D] [--replay-only]",
		"Runs clausewatch offline on its built-in fixtures: a local server plays the IMS Global /\n"+
			"1EdTech privacy policy from 2002 to 2022 and the COR policy's 2016 edits, the daemon checks\n"+
			"them monthly on a fast clock, and the web feed shows the changes as they are found.\n"+
			"It also records a seal for 1EdTech (awarded 2019, rubric 1.0; rubric 2.0 released 2022), so\n"+
			"the deadlines page and the renewal report have a story, and prints a token to sign in with\n"+
			"(to triage). The database is a temporary one, deleted on exit, unless --db names a new file.\n"+
			"Nothing is fetched from the internet. After the replay the daemon goes on in real time (the\n"+
			"fixtures stay at their 2022 text) until Ctrl-C; --replay-only stops after the replay.", false)
	listen := c.fs.String("listen", "127.0.0.1:8080", "web server `address`")
	step := c.fs.Duration("step", 40*time.Millisecond, "real time per simulated month")
	replayOnly := c.fs.Bool("replay-only", false, "stop after the replay instead of serving")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return usageError("demo: unexpected argument %q", c.fs.Arg(0))
	}
	if *step < 0 {
		return usageError("demo: --step %v: want 0 or more", *step)
	}
	dbPath := *c.db
	dbSet := false
	c.fs.Visit(func(f *flag.Flag) { dbSet = dbSet || f.Name == "db" })
	if !dbSet {
		dir, err := os.MkdirTemp("", "clausewatch-demo-")
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		defer os.RemoveAll(dir)
		dbPath = filepath.Join(dir, "demo.db")
	}
	if _, err := os.Stat(dbPath); err == nil {
		return usageError("demo: %s exists; the demo writes a new database (pass another --db, or none for a temporary one)", dbPath)
	}

	webLn, err := net.Listen("tcp", *listen)
	if err != nil {
		return usageError("demo: --listen %s: %v (is another demo running? try --listen 127.0.0.1:0)", *listen, err)
	}
	defer webLn.Close()
	fxLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("demo: fixture server: %w", err)
	}
	clock := &demoClock{t: demoStart}
	fx := &http.Server{Handler: fixtures.Handler(clock.Now), ReadHeaderTimeout: 5 * time.Second}
	go fx.Serve(fxLn)
	defer fx.Close()

	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, err := store.Open(dbPath, store.Options{Now: clock.Now, Timeout: 100 * time.Millisecond})
	if err != nil {
		return fmt.Errorf("demo: %w", explainLocked(dbPath, err))
	}
	defer db.Close()
	secret, _, err := db.CreateToken(ctx, "demo", store.RoleAdmin)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fixtureURL := "http://" + fxLn.Addr().String()
	ims := store.Source{Name: "ims-privacy", URL: fixtureURL + "/ims/privacy", Supplier: "1EdTech Consortium",
		Kind: store.Privacy, Origin: "cli", AllowPrivate: true}
	cor := store.Source{Name: "cor-privacy", URL: fixtureURL + "/cor/privacy", Supplier: "COR",
		Kind: store.Privacy, Origin: "cli", AllowPrivate: true}
	if _, err := db.AddSource(ctx, ims); err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	// The seal program's record of 1EdTech, as the seeds tell it: a seal
	// awarded in June 2019 against the first rubric, and a new rubric in
	// 2022, so the deadlines page and the renewal report have a story.
	if _, err := db.PutSupplier(ctx, store.Supplier{Name: ims.Supplier, Awarded: "2019-06-15", Rubric: "1.0", Zone: "America/New_York",
		Products: []store.Product{{Name: "1EdTech website and resources", Sources: []string{ims.Name}}}}); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	for _, r := range []store.Rubric{{Version: "1.0", Released: "2018-09-01"}, {Version: "2.0", Released: "2022-03-01"}} {
		if _, err := db.AddRubric(ctx, r); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	prog := &vetting.Program{DB: db, Now: clock.Now, Logger: log}

	webURL := "http://" + webLn.Addr().String()
	metrics := web.NewMetrics(db, clock.Now)
	hooks := web.NewDeliverer(web.DelivererOptions{DB: db, BaseURL: webURL, Metrics: metrics, Logger: log, Now: clock.Now})
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Now: clock.Tick, Timeout: 10 * time.Second, Logger: log}),
		Policy: watch.Policy{ConfirmDelay: time.Nanosecond}, Logger: log, Now: clock.Tick}
	var found, revet int
	sched, err := watch.NewScheduler(checker, watch.SchedulerOptions{Default: demoSchedule, Location: time.UTC, MaxJitter: -1,
		Workers: 2, Now: clock.Now, Logger: log, Poll: time.Minute,
		OnResult: func(res watch.Result) {
			observe(metrics, hooks, res)
			if _, err := prog.Observe(ctx, res); err != nil {
				log.Error("check tickets", "err", err)
			}
			switch {
			case res.Err != nil:
				fmt.Fprintf(stdout, "  %s  %s: error: %v\n", res.Fetch.Start.Format("2006-01-02"), res.Source.Name, res.Err)
			case res.Fetch.Outcome == store.OutcomeNew:
				fmt.Fprintf(stdout, "  %s  %s: first version recorded\n", res.Fetch.Start.Format("2006-01-02"), res.Source.Name)
			case res.Change != nil:
				found++
				if res.Change.Revet {
					revet++
				}
				fmt.Fprintf(stdout, "  %s  %s changed: %s\n              %s/changes/%d\n", res.Fetch.Start.Format("2006-01-02"),
					res.Source.Name, res.Change.Summary, webURL, res.Change.ID)
			}
		},
		OnRound: func(r watch.Round) { metrics.ObserveRound(r.Start, r.End, r.Checks) }})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	server, err := web.New(ctx, web.Options{DB: db, Scheduler: sched, BaseURL: webURL, OpenRead: true,
		Metrics: metrics, Webhooks: hooks, Logger: log, Now: clock.Now, Program: prog})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	serveCtx, stopServing := context.WithCancel(ctx)
	var wg sync.WaitGroup
	// Stop serving, then wait: two defers in the other order would wait
	// for a server nobody stops (demo --replay-only hung after the replay).
	defer func() { stopServing(); wg.Wait() }()
	wg.Go(func() {
		if err := server.Serve(serveCtx, webLn); err != nil {
			log.Error("web server stopped", "err", err)
		}
	})
	wg.Go(func() { hooks.Run(serveCtx) })

	fmt.Fprintf(stdout, "clausewatch demo — offline, on built-in fixtures (database %s)\n\n", dbPath)
	fmt.Fprintf(stdout, "  Open %s/ to watch the changes arrive.\n", webURL)
	fmt.Fprintf(stdout, "  Sign in with token %s to triage.\n\n", secret)
	fmt.Fprintf(stdout, "Replaying %s → %s, one check a month (fixture server %s):\n",
		demoStart.Format("2006-01"), demoEnd.Format("2006-01"), fixtureURL)

	if _, err := sched.Sync(ctx); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	corAdded := false
	for t := demoStart; !t.After(demoEnd); t = nextMonth(t) {
		clock.set(t)
		if !corAdded && !t.Before(demoCORAdd) {
			if _, err := db.AddSource(ctx, cor); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			if _, err := sched.Sync(ctx); err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			corAdded = true
		}
		roundStart := time.Now()
		results, err := sched.RunDue(ctx)
		if len(results) > 0 {
			// RunDue is one whole round; its length is real time.
			metrics.ObserveRound(roundStart, time.Now(), len(results))
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("demo: %w", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(*step):
		}
	}
	fmt.Fprintf(stdout, "\nReplay done: %d changes found, %d need re-vetting.\n", found, revet)
	fmt.Fprintf(stdout, "Seal program: deadlines %s/deadlines — renewal report (award 2019 → now) %s/suppliers/%s/renewal\n",
		webURL, webURL, url.PathEscape(ims.Supplier))
	if *replayOnly {
		return nil
	}
	clock.goReal()
	fmt.Fprintf(stdout, "The daemon goes on in real time (the fixtures stay at their 2022 text). Feed: %s/ — Ctrl-C to stop.\n", webURL)
	if err := sched.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("demo: %w", err)
	}
	return nil
}

// nextMonth is the first of the month after t, at 06:00 UTC (the demo's
// schedule slot, so every step finds the sources due).
func nextMonth(t time.Time) time.Time {
	y, m, _ := t.Date()
	return time.Date(y, m+1, 1, 6, 0, 0, 0, time.UTC)
}
