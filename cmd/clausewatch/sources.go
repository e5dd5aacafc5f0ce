package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// runAdd implements "clausewatch add".
func runAdd(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("add", "add URL --name NAME --supplier SUPPLIER [flags]\n       clausewatch add --from WATCHLIST.yaml",
		"Adds a page to watch, or every source of a watchlist file.", true)
	name := c.fs.String("name", "", "short unique `name` for the source")
	supplier := c.fs.String("supplier", "", "the `organisation` whose policy it is")
	kind := c.fs.String("kind", "privacy", "privacy or terms")
	schedule := c.fs.String("schedule", "", "cron `spec` for the daemon (e.g. \"0 6 * * *\", @daily, \"@every 6h\")")
	from := c.fs.String("from", "", "add the sources of a watchlist `file` (YAML)")
	allowPrivate := c.fs.Bool("allow-private", false, "allow a local or private address (the SSRF guard is off for this source)")
	var sel, rem stringList
	c.fs.Var(&sel, "select", "CSS `selector` of the policy text (repeatable)")
	c.fs.Var(&rem, "remove", "CSS `selector` of elements to drop (repeatable)")
	section := c.fs.String("section", "", "keep only the document under this `heading` (a page that holds several, such as a legal centre)")
	renderFlag := c.fs.String("render", "", "read the page in a headless browser: auto (when a plain fetch shows it needs one; the default), never or always")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	var srcs []store.Source
	switch {
	case *from != "":
		if c.fs.NArg() != 0 {
			return usageError("add: --from takes no URL")
		}
		if *section != "" {
			return usageError("add: --section is per source; give it as section: in the watchlist entries")
		}
		if *renderFlag != "" {
			return usageError("add: --render is per source; give it as render: in the watchlist entries")
		}
		data, err := e.readFile(*from)
		if err != nil {
			return fmt.Errorf("add: %w", err)
		}
		if srcs, err = watch.ParseWatchlist(data, *from); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
	case c.fs.NArg() != 1:
		return usageError("add: want one URL (or --from FILE), got %d arguments; flags go before it", c.fs.NArg())
	default:
		if *name == "" || *supplier == "" {
			return usageError("add: --name and --supplier are required")
		}
		if *schedule != "" {
			if err := watch.ParseSchedule(*schedule); err != nil {
				return usageError("add: %v", err)
			}
		}
		if err := extract.CheckSelectors(sel, rem); err != nil {
			return usageError("add: %v", err)
		}
		if _, err := store.ParseRenderMode(*renderFlag); err != nil {
			return usageError("add: --render: %v", err)
		}
		srcs = []store.Source{{Name: *name, URL: c.fs.Arg(0), Supplier: *supplier, Kind: store.Kind(*kind), Schedule: *schedule,
			Select: sel, Remove: rem, Section: *section, Render: store.RenderMode(*renderFlag), Origin: "cli", AllowPrivate: *allowPrivate}}
	}
	db, closeDB, err := c.open(ctx, true)
	if err != nil {
		return err
	}
	defer closeDB()
	var added []store.Source
	var errs []error
	for _, s := range srcs {
		if *from != "" {
			s.AllowPrivate = *allowPrivate
		}
		got, err := db.AddSource(ctx, s)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		added = append(added, got)
	}
	if *c.asJSON {
		if err := printJSON(stdout, added); err != nil {
			return err
		}
	} else {
		for _, s := range added {
			fmt.Fprintf(stdout, "added %d %s (%s, %s) %s\n", s.ID, termSafe(s.Name), termSafe(s.Supplier), s.Kind, termSafe(s.URL))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("add: %w", errors.Join(errs...))
	}
	return nil
}

// sourceRow is a source with its state, for listings.
type sourceRow struct {
	store.Source
	State    store.State `json:"state"`
	Versions int         `json:"versions"`
	// Browser says whether the source needs a browser and why (the
	// words the web source page shows).
	Browser watch.BrowserStatus `json:"browser"`
}

// runSources implements "clausewatch sources".
func runSources(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("sources", "sources [--db FILE] [--json]", "Lists the watched sources with their tracking health.", true)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	srcs, err := db.Sources(ctx)
	if err != nil {
		return err
	}
	rows := []sourceRow{}
	for _, s := range srcs {
		st, err := db.State(ctx, s.ID)
		if err != nil {
			return err
		}
		vs, err := db.Versions(ctx, s.ID)
		if err != nil {
			return err
		}
		rows = append(rows, sourceRow{Source: s, State: st, Versions: len(vs), Browser: watch.BrowserStatusOf(s, st)})
	}
	if *c.asJSON {
		return printJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tSUPPLIER\tVERSIONS\tHEALTH\tLAST FETCH\tURL")
	for _, r := range rows {
		// The dashboard's words: "not checked yet", "ok", "bot wall", …
		health := watch.HealthWords(r.Source, r.State, nil)
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, termSafe(r.Name), termSafe(string(r.Kind)), termSafe(r.Supplier), r.Versions, health, stamp(r.State.LastFetch), termSafe(r.URL))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// Why a source is not tracked well, in the words of its last fetch
	// ("scanned PDF, no text layer: …"), so that staff can act on it; and
	// why a source that is tracked well is read in a browser.
	for _, r := range rows {
		switch {
		case r.State.Health != store.HealthOK && r.State.HealthReason != "":
			fmt.Fprintf(stdout, "%s: %s: %s\n", termSafe(r.Name), r.State.Health, termSafe(r.State.HealthReason))
		case r.Browser.Needs:
			fmt.Fprintf(stdout, "%s: read in a browser: %s\n", termSafe(r.Name), termSafe(r.Browser.Why))
		}
	}
	return nil
}

// stamp formats a time for tables; "-" when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}
