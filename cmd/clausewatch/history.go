package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// defaultDB is the database file when --db is not given.
const defaultDB = "clausewatch.db"

// command is the shared set-up of the history commands: a flag set with
// --db (and --json where the output is data), and usage text.
type command struct {
	fs     *flag.FlagSet
	db     *string
	asJSON *bool
	name   string
}

func newCommand(name, usageLine, about string, withJSON bool) *command {
	c := &command{fs: flag.NewFlagSet(name, flag.ContinueOnError), name: name}
	c.db = c.fs.String("db", defaultDB, "database `file`")
	if withJSON {
		c.asJSON = c.fs.Bool("json", false, "print the result as JSON")
	}
	c.fs.Usage = func() {
		w := c.fs.Output()
		fmt.Fprintf(w, "Usage: clausewatch %s\n\n%s\n\nFlags:\n", usageLine, about)
		c.fs.PrintDefaults()
	}
	return c
}

// parse parses args; done is true when -h was asked for and answered.
// Flags may come before, between or after the arguments ("evidence SOURCE
// --notified DATE"); everything after "--" is an argument.
func (c *command) parse(args []string, stdout io.Writer) (done bool, err error) {
	c.fs.SetOutput(io.Discard)
	var positional []string
	for {
		if err := c.fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				c.fs.SetOutput(stdout)
				c.fs.Usage()
				return true, nil
			}
			return false, usageError("%s: %v (see clausewatch %s -h)", c.name, err, c.name)
		}
		rest := c.fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(rest) < len(args) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional, args = append(positional, rest[0]), rest[1:]
	}
	// Parse the arguments once more after "--", so that Args sees them.
	if err := c.fs.Parse(append([]string{"--"}, positional...)); err != nil {
		return false, usageError("%s: %v", c.name, err)
	}
	return false, nil
}

// open opens the database. Commands that only read refuse to create one.
func (c *command) open(create bool) (*store.DB, error) {
	if !create {
		if _, err := os.Stat(*c.db); err != nil {
			return nil, fmt.Errorf("%s: no database at %s (add a source first, or pass --db)", c.name, *c.db)
		}
	}
	db, err := store.Open(*c.db, store.Options{Timeout: 2 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, explainLocked(*c.db, err))
	}
	return db, nil
}

// printJSON writes v indented.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// runAdd implements "clausewatch add".
func runAdd(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("add", "add URL --name NAME --supplier SUPPLIER [flags]\n       clausewatch add --from WATCHLIST.yaml",
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
		data, err := os.ReadFile(*from)
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
		srcs = []store.Source{{Name: *name, URL: c.fs.Arg(0), Supplier: *supplier, Kind: store.Kind(*kind), Schedule: *schedule,
			Select: sel, Remove: rem, Section: *section, Origin: "cli", AllowPrivate: *allowPrivate}}
	}
	db, err := c.open(true)
	if err != nil {
		return err
	}
	defer db.Close()
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
}

// runSources implements "clausewatch sources".
func runSources(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("sources", "sources [--db FILE] [--json]", "Lists the watched sources with their tracking health.", true)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	db, err := c.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
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
		rows = append(rows, sourceRow{Source: s, State: st, Versions: len(vs)})
	}
	if *c.asJSON {
		return printJSON(stdout, rows)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tSUPPLIER\tVERSIONS\tHEALTH\tLAST FETCH\tURL")
	for _, r := range rows {
		health := string(r.State.Health)
		if r.Paused {
			health += " (paused)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.ID, termSafe(r.Name), termSafe(string(r.Kind)), termSafe(r.Supplier), r.Versions, health, stamp(r.State.LastFetch), termSafe(r.URL))
	}
	return tw.Flush()
}

// stamp formats a time for tables; "-" when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04Z")
}

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
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := newCommand("check", "check [--db FILE] [--json] [SOURCE…]",
		"Fetches sources now (all unpaused ones when none are named) and records what changed.\n"+
			"A changed text is fetched a second time, after --confirm-delay, before it is recorded.", true)
	workers := c.fs.Int("workers", 4, "sources checked at once")
	confirmDelay := c.fs.Duration("confirm-delay", 10*time.Second, "wait before the confirming fetch of a changed page")
	timeout := c.fs.Duration("timeout", 60*time.Second, "timeout for one fetch attempt")
	rulesFile := c.fs.String("rules", "", "significance rules `file` (YAML) instead of the built-in rules")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	rules, err := loadRules(*rulesFile)
	if err != nil {
		return err
	}
	db, err := c.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	srcs, err := pickSources(ctx, db, c.fs.Args(), true)
	if err != nil {
		return err
	}
	delay := *confirmDelay
	if delay == 0 {
		delay = time.Nanosecond // Policy's zero means the default
	}
	checker := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{Timeout: *timeout}), Rules: rules,
		Policy: watch.Policy{ConfirmDelay: delay}}
	var lines []checkLine
	var failed []error
	results := checker.CheckAll(ctx, srcs, *workers, func(r watch.Result) {
		if r.Err != nil {
			failed = append(failed, r.Err)
			fmt.Fprintf(stderr, "%s: %s\n", termSafe(r.Source.Name), termSafeText(r.Err.Error()))
			return
		}
		if !*c.asJSON {
			fmt.Fprintln(stdout, describe(r))
		}
	})
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
func pickSources(ctx context.Context, db *store.DB, refs []string, skipPaused bool) ([]store.Source, error) {
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

// historyOut is "history --json".
type historyOut struct {
	Source   store.Source    `json:"source"`
	State    store.State     `json:"state"`
	Versions []store.Version `json:"versions"`
	Changes  []store.Change  `json:"changes"`
	Fetches  map[string]int  `json:"fetches_by_outcome"`
}

// runHistory implements "clausewatch history".
func runHistory(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("history", "history [--db FILE] [--json] SOURCE", "Shows a source's versions, with the interval each was seen, and its changes.", true)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("history: want one SOURCE (ID, name or URL)")
	}
	db, err := c.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	src, err := db.Source(ctx, c.fs.Arg(0))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	out := historyOut{Source: src, Fetches: map[string]int{}}
	if out.State, err = db.State(ctx, src.ID); err != nil {
		return err
	}
	if out.Versions, err = db.Versions(ctx, src.ID); err != nil {
		return err
	}
	if out.Changes, err = db.Changes(ctx, store.ChangeFilter{SourceID: src.ID, Reextracted: true}); err != nil {
		return err
	}
	fetches, err := db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
	if err != nil {
		return err
	}
	for _, f := range fetches {
		out.Fetches[string(f.Outcome)]++
	}
	if *c.asJSON {
		return printJSON(stdout, out)
	}
	fmt.Fprintf(stdout, "%s — %s (%s, %s)\ntracking %s", termSafe(src.Name), termSafe(src.Supplier), termSafe(string(src.Kind)), termSafe(src.URL), out.State.Health)
	if out.State.HealthReason != "" {
		fmt.Fprintf(stdout, ": %s", termSafe(out.State.HealthReason))
	}
	fmt.Fprintf(stdout, "\n%d fetches:", len(fetches))
	for _, o := range []store.Outcome{store.OutcomeNew, store.OutcomeChanged, store.OutcomeUnchanged, store.OutcomeNotModified, store.OutcomePending, store.OutcomeFlip, store.OutcomeSuspect, store.OutcomeFailed} {
		if n := out.Fetches[string(o)]; n > 0 {
			fmt.Fprintf(stdout, " %d %s", n, o)
		}
	}
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, "\nVersions (generation", out.State.Generation, ")")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SEQ\tFIRST SEEN\tLAST SEEN\tCLAUSES\tWORDS\tUPDATED\tEXTRACTOR")
	for _, v := range out.Versions {
		ex := v.Extractor
		if v.Reextracted {
			ex += " (re-extracted)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%s\n", v.Seq, stamp(v.FirstSeen), stamp(v.LastSeen), v.Clauses, v.Words, termSafe(orDash(v.Updated)), termSafe(ex))
	}
	tw.Flush()
	if len(out.Changes) > 0 {
		fmt.Fprintln(stdout, "\nChanges")
		for _, ch := range out.Changes {
			fmt.Fprintln(stdout, changeLine(ch, src.Name))
		}
	}
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// changeLine is one change in a listing, escaped for a terminal.
func changeLine(ch store.Change, source string) string {
	flag := " "
	if ch.Revet {
		flag = "!"
	}
	re := ""
	if ch.Reextracted {
		re = " [re-extraction, not a policy change]"
	}
	return fmt.Sprintf("%s %d  %s  %s v%d→v%d  between %s and %s  [%s]  %s%s", flag, ch.ID, stamp(ch.Detected), termSafe(source), ch.From, ch.To,
		stamp(ch.After), stamp(ch.Detected), termSafe(string(ch.Triage.State)), termSafe(ch.Summary), re)
}

// runChanges implements "clausewatch changes".
func runChanges(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("changes", "changes [--db FILE] [--json] [--since TIME] [--revet] [--all]",
		"Lists recorded policy changes, oldest first; '!' marks those that need re-vetting.\n"+
			"TIME is RFC 3339, a date (YYYY-MM-DD, UTC) or an age such as 72h or 30d.", true)
	since := c.fs.String("since", "", "only changes detected at or after `TIME`")
	revet := c.fs.Bool("revet", false, "only changes that need re-vetting")
	all := c.fs.Bool("all", false, "include changes between re-extracted versions (not policy changes)")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return usageError("changes: unexpected argument %q", c.fs.Arg(0))
	}
	f := store.ChangeFilter{Revet: *revet, Reextracted: *all}
	if *since != "" {
		t, err := parseWhen(*since, false, time.Now())
		if err != nil {
			return usageError("changes: --since: %v", err)
		}
		f.Since = t
	}
	db, err := c.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	changes, err := db.Changes(ctx, f)
	if err != nil {
		return err
	}
	if *c.asJSON {
		if changes == nil {
			changes = []store.Change{}
		}
		return printJSON(stdout, changes)
	}
	names := map[uint64]string{}
	srcs, _ := db.Sources(ctx)
	for _, s := range srcs {
		names[s.ID] = s.Name
	}
	for _, ch := range changes {
		fmt.Fprintln(stdout, changeLine(ch, names[ch.SourceID]))
	}
	if len(changes) == 0 {
		fmt.Fprintln(stdout, "no changes")
	}
	return nil
}

// parseWhen reads a time: RFC 3339, a date (the start of that day UTC, or
// its end when end is set), or an age ("72h", "30d") before now.
func parseWhen(s string, end bool, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			return t.Add(24*time.Hour - time.Nanosecond), nil
		}
		return t, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if days, err := strconv.Atoi(n); err == nil && days >= 0 {
			return now.Add(-time.Duration(days) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time (want RFC 3339, YYYY-MM-DD, or an age like 72h or 30d)", s)
}

// runShow implements "clausewatch show".
func runShow(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("show", "show [--db FILE] [--json] [--at TIME] SOURCE", "Prints a source's clauses as they were at TIME (default: now).", true)
	at := c.fs.String("at", "", "the `TIME` to show (RFC 3339, YYYY-MM-DD meaning the end of that day, or an age like 30d)")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("show: want one SOURCE (ID, name or URL)")
	}
	when := time.Now()
	if *at != "" {
		var err error
		if when, err = parseWhen(*at, true, time.Now()); err != nil {
			return usageError("show: --at: %v", err)
		}
	}
	db, err := c.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	src, err := db.Source(ctx, c.fs.Arg(0))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	v, err := db.VersionAt(ctx, src.ID, when)
	if err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("show: %s: %v", src.Name, err)}
	}
	doc, err := storedDoc(ctx, db, v)
	if err != nil {
		return err
	}
	if *c.asJSON {
		return writeJSON(stdout, doc)
	}
	fmt.Fprintf(stdout, "# %s version %d, seen %s to %s\n", termSafe(src.Name), v.Seq, stamp(v.FirstSeen), stamp(v.LastSeen))
	return writeText(stdout, doc)
}

// storedDoc reads a version's extracted document.
func storedDoc(ctx context.Context, db *store.DB, v store.Version) (*extract.Document, error) {
	doc, err := watch.Document(ctx, db, v.DocSHA256)
	if err != nil {
		return nil, fmt.Errorf("version %d: %w", v.Seq, err)
	}
	return doc, nil
}

// runStoredDiff implements "clausewatch diff SOURCE": the clause diff
// between two stored versions.
func runStoredDiff(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("diff", "diff [--db FILE] [--json|--html] [--from TIME | --baseline NAME] [--to TIME] SOURCE",
		"Compares two stored versions of a source: the one in force at --from (default: the version\n"+
			"before the one at --to) and the one in force at --to (default: now).\n"+
			"Exit status: 0 when the clause text is the same, 1 when it differs, 2 on error.", true)
	asHTML := c.fs.Bool("html", false, "print a self-contained HTML report")
	all := c.fs.Bool("all", false, "list rename-only and cosmetic changes instead of counting them")
	from := c.fs.String("from", "", "the older `TIME`")
	baseline := c.fs.String("baseline", "", "the older version is the baseline `NAME` (seal-awarded, last-review or pinned)")
	to := c.fs.String("to", "", "the newer `TIME`")
	rulesFile := c.fs.String("rules", "", "significance rules `file` (YAML)")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("diff: want SOURCE (stored versions) or OLD NEW (files or URLs)")
	}
	rules, err := loadRules(*rulesFile)
	if err != nil {
		return err
	}
	if _, err := os.Stat(*c.db); err != nil {
		return usageError("diff: one argument is a stored SOURCE, and there is no database at %s; to compare two pages, want OLD and NEW", *c.db)
	}
	db, err := c.open(false)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	defer db.Close()
	src, err := db.Source(ctx, c.fs.Arg(0))
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	now := time.Now()
	toT := now
	if *to != "" {
		if toT, err = parseWhen(*to, true, now); err != nil {
			return usageError("diff: --to: %v", err)
		}
	}
	newV, err := db.VersionAt(ctx, src.ID, toT)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	var oldV store.Version
	if *from != "" && *baseline != "" {
		return usageError("diff: --from and --baseline both name the older version; give one")
	}
	if *baseline != "" {
		var note string
		if oldV, note, err = baselineFlagVersion(ctx, db, src, *baseline); err != nil {
			return &exitError{code: 2, msg: "diff: " + err.Error()}
		}
		if note != "" && !*c.asJSON && !*asHTML {
			fmt.Fprintf(stdout, "# %s\n", termSafe(note))
		}
	} else if *from != "" {
		fromT, err := parseWhen(*from, false, now)
		if err != nil {
			return usageError("diff: --from: %v", err)
		}
		if oldV, err = db.VersionAt(ctx, src.ID, fromT); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
	} else {
		vs, err := db.Versions(ctx, src.ID)
		if err != nil {
			return err
		}
		oldV = newV
		for _, v := range vs {
			if v.Seq+1 == newV.Seq {
				oldV = v
			}
		}
	}
	oldDoc, err := storedDoc(ctx, db, oldV)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	newDoc, err := storedDoc(ctx, db, newV)
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if !*c.asJSON && !*asHTML {
		oldDoc, newDoc = termSafeDoc(oldDoc), termSafeDoc(newDoc)
	}
	res := diff.Compare(oldDoc, newDoc, rules)
	name := src.Name
	if !*asHTML {
		name = termSafe(name)
	}
	oldName := fmt.Sprintf("%s v%d (seen %s to %s)", name, oldV.Seq, stamp(oldV.FirstSeen), stamp(oldV.LastSeen))
	newName := fmt.Sprintf("%s v%d (seen %s to %s)", name, newV.Seq, stamp(newV.FirstSeen), stamp(newV.LastSeen))
	switch {
	case *c.asJSON:
		err = diff.WriteJSON(stdout, res)
	case *asHTML:
		err = diff.WriteHTML(stdout, res, diff.HTMLOptions{OldName: oldName, NewName: newName})
	default:
		err = diff.WriteText(stdout, res, diff.TextOptions{All: *all, OldName: oldName, NewName: newName})
	}
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if !res.Same() {
		return &exitError{code: 1}
	}
	return nil
}

// runReextract implements "clausewatch reextract".
func runReextract(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("reextract", "reextract [--db FILE] [--json] [SOURCE…]",
		"Reads every stored page again with this build's extractor ("+extract.Version+") and rebuilds the\n"+
			"version history as a new generation. Rebuilt versions are marked as re-extractions and\n"+
			"never appear as policy changes; the old generation is kept. Nothing is fetched.", true)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	db, err := c.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	srcs, err := pickSources(ctx, db, c.fs.Args(), false)
	if err != nil {
		return err
	}
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
