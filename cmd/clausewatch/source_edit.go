package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// runSource implements "clausewatch source": edit for now.
func runSource(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "edit" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprintln(e.stdout, "Usage: clausewatch source edit NAME [flags]  (see clausewatch source edit -h)")
			return nil
		}
		return usageError("source: want 'source edit NAME [flags]'")
	}
	return runSourceEdit(ctx, e, args[1:])
}

// runSourceEdit implements "clausewatch source edit": the flags of a
// watched source, as the web form edits them. A source that is not paused
// is due at once afterwards, so the new settings' reading comes with the
// daemon's next round (or the next `check`).
func runSourceEdit(ctx context.Context, e *env, args []string) error {
	c := e.command("source edit", "source edit [--db FILE] [--json] NAME [--url URL] [--select CSS]… [--remove CSS]… [--section HEADING] [--render MODE] [--schedule SPEC] [--allow-private] …",
		"Changes a watched source's settings; only the flags given change. --select and --remove replace\n"+
			"the lists (give --select '' to clear). A source that is not paused is due at once afterwards.\n"+
			"--allow-private lets it fetch a local or private address (the SSRF guard is off for it) while\n"+
			"its URL stays the one granted; a new URL without it goes through the guard again.", true)
	name := c.fs.String("name", "", "new `name`")
	u := c.fs.String("url", "", "new `URL`")
	supplier := c.fs.String("supplier", "", "new `organisation`")
	kind := c.fs.String("kind", "", "privacy or terms")
	schedule := c.fs.String("schedule", "", "cron `spec` (e.g. \"0 6 * * *\", @daily, \"@every 6h\"; '' for the daemon's default)")
	section := c.fs.String("section", "", "keep only the document under this `heading` ('' for the whole page)")
	renderFlag := c.fs.String("render", "", "auto, never or always")
	allowPrivate := c.fs.Bool("allow-private", false, "allow a local or private address for this source's URL")
	var sel, rem stringList
	c.fs.Var(&sel, "select", "CSS `selector` of the policy text (repeatable; replaces the list)")
	c.fs.Var(&rem, "remove", "CSS `selector` of elements to drop (repeatable; replaces the list)")
	if done, err := c.parse(args, e.stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("source edit: want one source NAME, got %d arguments", c.fs.NArg())
	}
	set := map[string]bool{}
	c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	db, closeDB, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer closeDB()
	src, err := db.Source(ctx, c.fs.Arg(0))
	if err != nil {
		return &exitError{code: 2, msg: "source edit: " + err.Error()}
	}
	for _, f := range []struct {
		flag     string
		dst, val *string
	}{{"name", &src.Name, name}, {"url", &src.URL, u}, {"supplier", &src.Supplier, supplier},
		{"schedule", &src.Schedule, schedule}, {"section", &src.Section, section}} {
		if set[f.flag] {
			*f.dst = strings.TrimSpace(*f.val)
		}
	}
	if set["kind"] {
		src.Kind = store.Kind(*kind)
	}
	if set["render"] {
		mode, err := store.ParseRenderMode(*renderFlag)
		if err != nil {
			return usageError("source edit: --render: %v", err)
		}
		src.Render = mode
	}
	if set["select"] {
		src.Select = nonEmpty(sel)
	}
	if set["remove"] {
		src.Remove = nonEmpty(rem)
	}
	if src.Schedule != "" {
		if err := watch.ParseSchedule(src.Schedule); err != nil {
			return usageError("source edit: %v", err)
		}
	}
	if err := extract.CheckSelectors(src.Select, src.Remove); err != nil {
		return usageError("source edit: %v", err)
	}
	if err := db.UpdateSource(ctx, src); err != nil {
		return fmt.Errorf("source edit: %w", err)
	}
	if *allowPrivate {
		if err := db.GrantPrivate(ctx, src.ID, src.URL); err != nil {
			return fmt.Errorf("source edit: %w", err)
		}
	}
	if err := dueNow(ctx, db, src); err != nil {
		return fmt.Errorf("source edit: %w", err)
	}
	if src, err = db.SourceByID(ctx, src.ID); err != nil {
		return fmt.Errorf("source edit: %w", err)
	}
	if *c.asJSON {
		return printJSON(e.stdout, src)
	}
	fmt.Fprintf(e.stdout, "edited %d %s (%s, %s) %s\n", src.ID, termSafe(src.Name), termSafe(src.Supplier), src.Kind, termSafe(src.URL))
	if src.Paused {
		fmt.Fprintln(e.stdout, "  paused: not checked until resumed")
	} else {
		fmt.Fprintln(e.stdout, "  due now: the daemon checks it in its next round (or run clausewatch check "+termSafe(src.Name)+")")
	}
	return nil
}

// dueNow makes a scheduled source due at once (as watch.Scheduler.
// CheckSoon does inside the daemon). A source with no due time yet needs
// nothing: the daemon's next sync schedules a new one now anyway.
func dueNow(ctx context.Context, db store.Store, src store.Source) error {
	if src.Paused {
		return nil
	}
	d, err := db.DueOf(ctx, src.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	now := time.Now()
	d.Slot, d.At = now, now
	return db.SetDue(ctx, d)
}

// nonEmpty drops empty values: "--select ”" clears a list.
func nonEmpty(l stringList) []string {
	var out []string
	for _, v := range l {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}
