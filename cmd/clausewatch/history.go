package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// defaultDB is the database file when --db is not given.
const defaultDB = "clausewatch.db"

// historyOut is "history --json".
type historyOut struct {
	Source   store.Source    `json:"source"`
	State    store.State     `json:"state"`
	Versions []store.Version `json:"versions"`
	Changes  []store.Change  `json:"changes"`
	Fetches  map[string]int  `json:"fetches_by_outcome"`
}

// runHistory implements "clausewatch history".
func runHistory(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("history", "history [--db FILE] [--json] SOURCE", "Shows a source's versions, with the interval each was seen, and its changes.", true)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("history: want one SOURCE (ID, name or URL)")
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
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
func runChanges(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("changes", "changes [--db FILE] [--json] [--since TIME] [--revet] [--all]",
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
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
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
func runShow(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("show", "show [--db FILE] [--json] [--at TIME] SOURCE", "Prints a source's clauses as they were at TIME (default: now).", true)
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
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
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
func storedDoc(ctx context.Context, db store.Store, v store.Version) (*extract.Document, error) {
	doc, err := watch.Document(ctx, db, v.DocSHA256)
	if err != nil {
		return nil, fmt.Errorf("version %d: %w", v.Seq, err)
	}
	return doc, nil
}

// runStoredDiff implements "clausewatch diff SOURCE": the clause diff
// between two stored versions.
func runStoredDiff(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("diff", "diff [--db FILE] [--json|--html] [--from TIME | --baseline NAME] [--to TIME] SOURCE",
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
	rules, err := e.loadRules(*rulesFile)
	if err != nil {
		return err
	}
	if _, err := e.stat(*c.db); err != nil && !isPostgres(*c.db) {
		return usageError("diff: one argument is a stored SOURCE, and there is no database at %s; to compare two pages, want OLD and NEW", *c.db)
	}
	db, closeDB, err := c.open(ctx, false)
	if vd := (*viaDaemon)(nil); errors.As(err, &vd) {
		return err
	} else if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	defer closeDB()
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
