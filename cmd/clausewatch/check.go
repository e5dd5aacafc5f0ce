package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// checkLine is one source's result, for --json.
type checkLine struct {
	Source  string        `json:"source"`
	Outcome store.Outcome `json:"outcome"`
	Reason  string        `json:"reason,omitempty"`
	Error   string        `json:"error,omitempty"`
	Status  int           `json:"status,omitempty"`
	Version uint64        `json:"version"`
	Health  store.Health  `json:"health"`
	Notice  string        `json:"notice,omitempty"`
	Change  *store.Change `json:"change,omitempty"`
}

// runCheck implements "clausewatch check".
func runCheck(ctx context.Context, e *env, args []string) error {
	stdout, stderr := e.stdout, e.stderr
	c := e.command("check", "check [--db FILE] [--json] [SOURCE…]",
		"Fetches sources now (all unpaused ones when none are named) and records what changed.\n"+
			"A changed text is fetched a second time, after --confirm-delay, before it is recorded.", true)
	workers := c.fs.Int("workers", 4, "sources checked at once")
	confirmDelay := c.fs.Duration("confirm-delay", 10*time.Second, "wait before the confirming fetch of a changed page")
	timeout := c.fs.Duration("timeout", 60*time.Second, "timeout for one fetch attempt")
	rulesFile := c.fs.String("rules", "", "significance rules `file` (YAML) instead of the built-in rules")
	c.commitFlags()
	noBrowser := c.fs.Bool("no-browser", false, "never render pages in headless Chromium (sources that need it are suspect)")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.commit.MaxBatch < 1 || c.commit.MaxDelay < 0 {
		return usageError("check: --commit-batch must be at least 1 and --commit-delay not negative")
	}
	// A commit delay waits for the workers' records, never longer: none
	// comes from a worker whose record is still waiting (record 0051).
	c.commit.Writers = *workers
	rules, err := e.loadRules(*rulesFile)
	if err != nil {
		return err
	}
	db, srcs, done, err := c.openHeld(ctx, true)
	if err != nil {
		return err
	}
	defer done()
	delay := *confirmDelay
	if delay == 0 {
		delay = time.Nanosecond // Policy's zero means the default
	}
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Timeout: *timeout}), Rules: rules,
		Policy: watch.Policy{ConfirmDelay: delay}}
	if b := newBrowser(*noBrowser, nil); b != nil {
		defer b.Close()
		checker.Renderer = b
	}
	var lines []checkLine
	var failed []error
	progress := func(r watch.Result) {
		if r.Err != nil {
			failed = append(failed, r.Err)
			fmt.Fprintf(stderr, "%s: %s\n", termSafe(r.Source.Name), termSafeText(r.Err.Error()))
			return
		}
		if !*c.asJSON {
			fmt.Fprintln(stdout, describe(r))
		}
	}
	var results []watch.Result
	if isPostgres(*c.db) {
		// Workers may be checking the same sources: take their locks.
		if results, err = checkAllLocked(ctx, *c.db, checker, srcs, *workers, stderr, progress); err != nil {
			return fmt.Errorf("check: %w", err)
		}
	} else {
		results = checker.CheckAll(ctx, srcs, *workers, progress)
	}
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		lines = append(lines, checkLine{Source: r.Source.Name, Outcome: r.Fetch.Outcome, Reason: r.Fetch.Reason, Error: r.Fetch.Error,
			Status: r.Fetch.Status, Version: r.Version, Health: r.Health, Notice: r.Notice, Change: r.Change})
	}
	if *c.asJSON {
		if err := printJSON(stdout, lines); err != nil {
			return err
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("check: %d of %d sources could not be checked", len(failed), len(srcs))
	}
	return nil
}

// describe is the progress line for one checked source, its text
// escaped for a terminal.
func describe(r watch.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", termSafe(r.Source.Name), r.Fetch.Outcome)
	if r.Fetch.Reason != "" {
		fmt.Fprintf(&b, " (%s)", termSafe(r.Fetch.Reason))
	}
	if r.Version != 0 {
		fmt.Fprintf(&b, ", version %d", r.Version)
	}
	if r.Change != nil {
		fmt.Fprintf(&b, "\n  change %d: %s", r.Change.ID, termSafe(r.Change.Summary))
	}
	if r.Health != store.HealthOK {
		fmt.Fprintf(&b, "\n  tracking %s: %s", r.Health, termSafe(r.HealthReason))
	}
	if r.Notice != "" {
		fmt.Fprintf(&b, "\n  note: %s", termSafe(r.Notice))
	}
	return b.String()
}

// pickSources resolves references, or returns every source (unpaused
// ones when skipPaused) when there are none.
func pickSources(ctx context.Context, db store.Store, refs []string, skipPaused bool) ([]store.Source, error) {
	if len(refs) == 0 {
		all, err := db.Sources(ctx)
		if err != nil {
			return nil, err
		}
		var out []store.Source
		for _, s := range all {
			if !skipPaused || !s.Paused {
				out = append(out, s)
			}
		}
		return out, nil
	}
	var out []store.Source
	for _, ref := range refs {
		s, err := db.Source(ctx, ref)
		if err != nil {
			return nil, &exitError{code: 2, msg: err.Error()}
		}
		out = append(out, s)
	}
	return out, nil
}

// openHeld opens the database, picks the sources the arguments name (see
// pickSources for skipPaused) and holds them from the daemon's scheduler
// when the command runs in it; done releases both.
func (c *command) openHeld(ctx context.Context, skipPaused bool) (store.Store, []store.Source, func(), error) {
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return nil, nil, nil, err
	}
	srcs, err := pickSources(ctx, db, c.fs.Args(), skipPaused)
	if err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	release, err := c.hold(ctx, srcs)
	if err != nil {
		closeDB()
		return nil, nil, nil, err
	}
	return db, srcs, func() { release(); closeDB() }, nil
}

// runReextract implements "clausewatch reextract".
func runReextract(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("reextract", "reextract [--db FILE] [--json] [SOURCE…]",
		"Reads every stored page again with this build's extractor ("+extract.Version+") and rebuilds the\n"+
			"version history as a new generation. Rebuilt versions are marked as re-extractions and\n"+
			"never appear as policy changes; the old generation is kept. Nothing is fetched.", true)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	db, srcs, done, err := c.openHeld(ctx, false)
	if err != nil {
		return err
	}
	defer done()
	checker := &watch.Checker{Store: db}
	var out []watch.Rebuilt
	var errs []error
	for _, s := range srcs {
		rb, err := checker.Reextract(ctx, s)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name, err))
			continue
		}
		out = append(out, rb)
		if !*c.asJSON {
			if rb.Versions == 0 {
				fmt.Fprintf(stdout, "%s: no stored policy pages, nothing to rebuild\n", termSafe(s.Name))
				continue
			}
			fmt.Fprintf(stdout, "%s: %d pages read again → %d versions (was %d), generation %d\n", termSafe(s.Name), rb.Fetches, rb.Versions, rb.Before, rb.Generation)
		}
	}
	if *c.asJSON {
		if err := printJSON(stdout, out); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("reextract: %w", errors.Join(errs...))
	}
	return nil
}
