package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/vetting"
)

// The seal program's commands: supplier records, notifications, rubric
// releases, baselines, deadlines and renewal reports. While serve holds
// the database, serve runs them (admin.go).

// parseVerb parses "VERB [flags] ARGS..." (or "[flags] VERB ARGS..."):
// the verb, then the flags, then the arguments.
func parseVerb(c *command, args []string, stdout io.Writer) (verb string, rest []string, done bool, err error) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if done, err = c.parse(args, stdout); done || err != nil {
		return "", nil, done, err
	}
	rest = c.fs.Args()
	if verb == "" && len(rest) > 0 {
		verb, rest = rest[0], rest[1:]
	}
	return verb, rest, false, nil
}

// runSupplier implements "clausewatch supplier set|list|show|token".
func runSupplier(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("supplier", "supplier set NAME [flags] | supplier list | supplier show NAME | supplier token NAME",
		"Keeps the seal program's record of a supplier: award date, rubric version, last review, the\n"+
			"time zone its dates are counted in, and its products' sources (a source belongs to the supplier\n"+
			"named when it was added). 'set' changes only the fields given. 'token' issues the supplier's\n"+
			"capture token for POST /api/capture (shown once; a new one replaces the old).", true)
	award := c.fs.String("award", "", "seal award `date` (YYYY-MM-DD)")
	rubric := c.fs.String("rubric", "", "rubric `version` the supplier was vetted against")
	reviewed := c.fs.String("reviewed", "", "`date` of the last annual review (YYYY-MM-DD)")
	zone := c.fs.String("zone", "", "IANA time `zone` the program's dates are counted in (default UTC)")
	note := c.fs.String("note", "", "free-text `note`")
	var products stringList
	c.fs.Var(&products, "product", "a product and its sources, `NAME=SOURCE,SOURCE` (repeatable; replaces the list)")
	verb, rest, done, err := parseVerb(c, args, stdout)
	if done || err != nil {
		return err
	}
	switch {
	case verb == "set" && len(rest) == 1, verb == "show" && len(rest) == 1, verb == "token" && len(rest) == 1, verb == "list" && len(rest) == 0:
	default:
		return usageError("supplier: want 'set NAME', 'list', 'show NAME' or 'token NAME' (see clausewatch supplier -h)")
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	prog := &vetting.Program{DB: db}
	switch verb {
	case "set":
		sup, err := db.Supplier(ctx, rest[0])
		if errors.Is(err, store.ErrNotFound) {
			sup, err = store.Supplier{Name: rest[0]}, nil
		}
		if err != nil {
			return fmt.Errorf("supplier: %w", err)
		}
		set := map[string]bool{}
		c.fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if set["award"] {
			sup.Awarded = *award
		}
		if set["rubric"] {
			sup.Rubric = *rubric
		}
		if set["reviewed"] {
			sup.LastReview = *reviewed
		}
		if set["zone"] {
			sup.Zone = *zone
		}
		if set["note"] {
			sup.Note = *note
		}
		if set["product"] {
			sup.Products = nil
			for _, p := range products {
				prod, err := vetting.ParseProduct(p)
				if err != nil {
					return usageError("supplier: --product: %v", err)
				}
				sup.Products = append(sup.Products, prod)
			}
		}
		sup, err = prog.SaveSupplier(ctx, sup)
		if nosrc := (*vetting.NoSourcesError)(nil); errors.As(err, &nosrc) {
			return usageError("supplier: %v", err)
		}
		if err != nil {
			return fmt.Errorf("supplier: %w", err)
		}
		if *c.asJSON {
			sup.TokenHash = ""
			return printJSON(stdout, sup)
		}
		fmt.Fprintf(stdout, "supplier %q saved: awarded %s, rubric %s, last review %s, zone %s, %d product(s)\n",
			sup.Name, dash(sup.Awarded), dash(sup.Rubric), dash(sup.LastReview), dash(sup.Zone), len(sup.Products))
	case "list":
		sups, err := db.Suppliers(ctx)
		if err != nil {
			return fmt.Errorf("supplier: %w", err)
		}
		if *c.asJSON {
			for i := range sups {
				sups[i].TokenHash = ""
			}
			return printJSON(stdout, sups)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SUPPLIER\tAWARDED\tRUBRIC\tLAST REVIEW\tZONE\tPRODUCTS")
		for _, s := range sups {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", termSafe(s.Name), dash(s.Awarded), dash(s.Rubric), dash(s.LastReview), dash(s.Zone), len(s.Products))
		}
		return tw.Flush()
	case "show":
		return showSupplier(ctx, prog, rest[0], *c.asJSON, stdout)
	case "token":
		secret, err := db.CreateSupplierToken(ctx, rest[0])
		if err != nil {
			return fmt.Errorf("supplier: %w", err)
		}
		fmt.Fprintf(stdout, "%s\n(capture token of %q: shown this once; it replaces any earlier one)\n", secret, rest[0])
	}
	return nil
}

// dash is s escaped for a terminal, or "-" when empty.
func dash(s string) string {
	if s == "" {
		return "-"
	}
	return termSafe(s)
}

// showSupplier prints a supplier's record, notifications with their
// tickets, and baselines.
func showSupplier(ctx context.Context, prog *vetting.Program, name string, asJSON bool, stdout io.Writer) error {
	sup, err := prog.DB.Supplier(ctx, name)
	if err != nil {
		return fmt.Errorf("supplier: %w", err)
	}
	sup.TokenHash = ""
	ns, err := prog.DB.Notifications(ctx, name)
	if err != nil {
		return err
	}
	now := time.Now()
	var sts []vetting.Status
	for _, n := range ns {
		if n, err = prog.Evaluate(ctx, n); err != nil {
			return err
		}
		st, err := prog.Status(ctx, n, now)
		if err != nil {
			return err
		}
		sts = append(sts, st)
	}
	srcs, err := prog.SupplierSources(ctx, name)
	if err != nil {
		return err
	}
	var bases []store.Baseline
	for _, s := range srcs {
		bs, err := prog.DB.Baselines(ctx, s.ID)
		if err != nil {
			return err
		}
		bases = append(bases, bs...)
	}
	if asJSON {
		return printJSON(stdout, map[string]any{"supplier": sup, "notifications": sts, "baselines": bases})
	}
	fmt.Fprintf(stdout, "%s\n  awarded %s, rubric %s, last review %s, zone %s\n", termSafe(sup.Name), dash(sup.Awarded), dash(sup.Rubric), dash(sup.LastReview), dash(sup.Zone))
	for _, p := range sup.Products {
		fmt.Fprintf(stdout, "  product %s: %s\n", termSafe(p.Name), termSafe(strings.Join(p.Sources, ", ")))
	}
	for _, s := range srcs {
		fmt.Fprintf(stdout, "  source %s (%s) %s\n", termSafe(s.Name), termSafe(string(s.Kind)), termSafe(s.URL))
	}
	for _, st := range sts {
		n := st.Notification
		fmt.Fprintf(stdout, "\nnotification %d of %s: %s\n  %s\n", n.ID, termSafe(n.Date), termSafe(st.Summary), termSafe(st.Window.Rule))
		if n.Must != "" {
			fmt.Fprintf(stdout, "  must change: %s\n", termSafe(n.Must))
		}
		if n.Concerns != "" {
			fmt.Fprintf(stdout, "  concerns: %s\n", termSafe(n.Concerns))
		}
		for _, t := range st.Tickets {
			fmt.Fprintf(stdout, "  ticket %d [%s] %s %q", t.N, t.State, t.Kind, t.Text)
			if t.Met != nil {
				fmt.Fprintf(stdout, " — met by fetch %d of %s (version %d): %s", t.Met.Fetch, t.Met.Seen.UTC().Format(time.RFC3339), t.Met.Version, termSafe(t.Met.Why))
			}
			fmt.Fprintln(stdout)
		}
	}
	for _, b := range bases {
		fmt.Fprintf(stdout, "baseline %q: source %d version %d (pinned %s)\n", b.Name, b.Source, b.Version, b.Pinned.Format(time.DateOnly))
	}
	return nil
}

// runNotify implements "clausewatch notify".
func runNotify(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("notify", "notify SUPPLIER --on DATE [--must TEXT] [--concern TEXT] [--appear TEXT] [--disappear TEXT] [--reword TEXT] [--remove TEXT] [--source SOURCE]",
		"Records a vetting notification: day 0 of the supplier's 10-day update window, counted in the\n"+
			"supplier's zone. Each --appear/--disappear/--reword/--remove opens a ticket that closes itself\n"+
			"when a captured version meets it: text must appear, must no longer appear, the clause containing\n"+
			"the text must be reworded (more than punctuation or a rename) or removed.", true)
	on := c.fs.String("on", "", "notification `date` (YYYY-MM-DD) or time (RFC 3339)")
	must := c.fs.String("must", "", "what must change, in words")
	concern := c.fs.String("concern", "", "free-text concerns")
	source := c.fs.String("source", "", "the `source` the tickets are about (default: any of the supplier's)")
	by := c.fs.String("by", e.getenv("USER"), "who notified")
	var appear, disappear, reword, remove stringList
	c.fs.Var(&appear, "appear", "`text` that must appear (repeatable)")
	c.fs.Var(&disappear, "disappear", "`text` that must no longer appear (repeatable)")
	c.fs.Var(&reword, "reword", "`text` picking out a clause that must be reworded (repeatable)")
	c.fs.Var(&remove, "remove", "`text` picking out a clause that must be removed (repeatable)")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 || *on == "" {
		return usageError("notify: want SUPPLIER and --on DATE (see clausewatch notify -h)")
	}
	req := vetting.NotifyRequest{Supplier: c.fs.Arg(0), When: *on, Must: *must, Concerns: *concern, By: *by}
	req.Tickets = vetting.Tickets(*source, map[store.TicketKind][]string{
		store.TicketAppear: appear, store.TicketDisappear: disappear, store.TicketReword: reword, store.TicketRemove: remove})
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	prog := &vetting.Program{DB: db}
	n, err := prog.Notify(ctx, req)
	if err != nil {
		return &exitError{code: 2, msg: "notify: " + err.Error()}
	}
	st, err := prog.Status(ctx, n, time.Now())
	if err != nil {
		return err
	}
	if *c.asJSON {
		return printJSON(stdout, st)
	}
	fmt.Fprintf(stdout, "notification %d recorded for %s: %s\n  %s\n", n.ID, termSafe(n.Supplier), termSafe(st.Summary), termSafe(st.Window.Rule))
	for _, t := range st.Tickets {
		fmt.Fprintf(stdout, "  ticket %d [%s] %s %q\n", t.N, t.State, t.Kind, t.Text)
	}
	return nil
}

// runRubric implements "clausewatch rubric add|list".
func runRubric(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("rubric", "rubric add VERSION --released DATE [--revet-days N] | rubric list",
		"Records releases of the vetting rubric. Every supplier vetted against an older release needs\n"+
			"re-vetting; 'add' lists them, and 'deadlines' shows them until their record names the new one.", true)
	released := c.fs.String("released", "", "release `date` (YYYY-MM-DD)")
	note := c.fs.String("note", "", "free-text `note`")
	revetDays := c.fs.Int("revet-days", 0, "re-vets against this release are due `N` days after it (default: 60)")
	verb, rest, done, err := parseVerb(c, args, stdout)
	if done || err != nil {
		return err
	}
	switch {
	case verb == "add" && len(rest) == 1 && *released != "", verb == "list" && len(rest) == 0:
	default:
		return usageError("rubric: want 'add VERSION --released DATE' or 'list'")
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	prog := &vetting.Program{DB: db}
	if verb == "add" {
		r, needs, err := prog.AddRubric(ctx, store.Rubric{Version: rest[0], Released: *released, Note: *note, RevetDays: *revetDays})
		if err != nil {
			return &exitError{code: 2, msg: "rubric: " + err.Error()}
		}
		if *c.asJSON {
			return printJSON(stdout, map[string]any{"rubric": r, "revet": needs})
		}
		fmt.Fprintf(stdout, "rubric %s (released %s) recorded; %d supplier(s) to vet again: %s\n", termSafe(r.Version), termSafe(r.Released), len(needs), termSafe(strings.Join(needs, ", ")))
		return nil
	}
	rs, err := db.Rubrics(ctx)
	if err != nil {
		return err
	}
	if *c.asJSON {
		return printJSON(stdout, rs)
	}
	for _, r := range rs {
		days := vetting.RubricDays
		if r.RevetDays > 0 {
			days = r.RevetDays
		}
		fmt.Fprintf(stdout, "%s\t%s\tre-vet within %d days\t%s\n", termSafe(r.Released), termSafe(r.Version), days, termSafe(r.Note))
	}
	return nil
}

// runBaseline implements "clausewatch baseline pin|list|rm".
func runBaseline(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("baseline", "baseline pin SOURCE NAME [--at TIME | --version N] | baseline list [SOURCE] | baseline rm SOURCE NAME",
		"Pins a version of a source under a name, to take reports and diffs against it\n"+
			"(clausewatch renewal --baseline NAME, clausewatch diff SOURCE --baseline NAME). The built-in\n"+
			"baselines seal-awarded and last-review come from the supplier's record.", true)
	at := c.fs.String("at", "", "pin the version in force at `TIME` (default now)")
	version := c.fs.Uint64("version", 0, "pin version `N`")
	note := c.fs.String("note", "", "free-text `note`")
	by := c.fs.String("by", e.getenv("USER"), "who pinned it")
	verb, rest, done, err := parseVerb(c, args, stdout)
	if done || err != nil {
		return err
	}
	switch {
	case verb == "pin" && len(rest) == 2, verb == "rm" && len(rest) == 2, verb == "list" && len(rest) <= 1:
	default:
		return usageError("baseline: want 'pin SOURCE NAME', 'list [SOURCE]' or 'rm SOURCE NAME'")
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	var src store.Source
	if len(rest) > 0 {
		if src, err = db.Source(ctx, rest[0]); err != nil {
			return &exitError{code: 2, msg: "baseline: " + err.Error()}
		}
	}
	switch verb {
	case "pin":
		req := vetting.PinRequest{Source: rest[0], Name: rest[1], Version: *version, Note: *note, By: *by}
		if *at != "" {
			if req.At, err = parseWhen(*at, true, time.Now()); err != nil {
				return usageError("baseline: --at: %v", err)
			}
		}
		b, _, err := (&vetting.Program{DB: db}).PinBaseline(ctx, req)
		if err != nil {
			return &exitError{code: 2, msg: "baseline: " + err.Error()}
		}
		if *c.asJSON {
			return printJSON(stdout, b)
		}
		fmt.Fprintf(stdout, "baseline %q of %s: version %d\n", b.Name, termSafe(src.Name), b.Version)
	case "rm":
		if err := db.DeleteBaseline(ctx, src.ID, rest[1]); err != nil {
			return &exitError{code: 2, msg: "baseline: " + err.Error()}
		}
		fmt.Fprintf(stdout, "baseline %q of %s removed\n", rest[1], termSafe(src.Name))
	case "list":
		bs, err := db.Baselines(ctx, src.ID)
		if err != nil {
			return err
		}
		if *c.asJSON {
			return printJSON(stdout, bs)
		}
		for _, b := range bs {
			fmt.Fprintf(stdout, "%d\t%s\tversion %d\tpinned %s by %s\t%s\n", b.Source, termSafe(b.Name), b.Version, b.Pinned.Format(time.RFC3339), dash(b.By), termSafe(b.Note))
		}
	}
	return nil
}

// runDeadlines implements "clausewatch deadlines".
func runDeadlines(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("deadlines", "deadlines [--json | --ics] [--at TIME]",
		"Lists every supplier's deadlines: each notification's 10-day update window (open, met, missed,\n"+
			"overdue, no change found), the annual renewals with their notice dates, and the re-vets a rubric\n"+
			"release calls for, in due-date order. --ics writes an iCalendar feed of the same dates.", true)
	asICS := c.fs.Bool("ics", false, "write an iCalendar (.ics) feed")
	atFlag := c.fs.String("at", "", "as of `TIME` (default now)")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return usageError("deadlines: takes no arguments")
	}
	now := time.Now()
	if *atFlag != "" {
		t, err := parseWhen(*atFlag, false, now)
		if err != nil {
			return usageError("deadlines: --at: %v", err)
		}
		now = t
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	prog := &vetting.Program{DB: db}
	items, err := prog.Deadlines(ctx, now)
	if err != nil {
		return fmt.Errorf("deadlines: %w", err)
	}
	switch {
	case *asICS:
		inst, err := db.Instance(ctx)
		if err != nil {
			return err
		}
		return vetting.WriteCalendar(stdout, items, vetting.CalendarOptions{Instance: inst, Now: now})
	case *c.asJSON:
		if items == nil {
			items = []vetting.Item{}
		}
		return printJSON(stdout, items)
	}
	if len(items) == 0 {
		fmt.Fprintln(stdout, "no deadlines: no supplier has an award date, a notification or an outdated rubric on record")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DATE\tSTATE\tWHAT\tDETAIL")
	for _, it := range items {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", it.Day, termSafe(it.State), termSafe(it.Title), termSafe(it.Detail))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	rules := map[string]bool{}
	fmt.Fprintln(stdout, "\nRules:")
	for _, it := range items {
		if !rules[it.Rule] {
			rules[it.Rule] = true
			fmt.Fprintf(stdout, "  %s: %s\n", termSafe(it.Supplier), termSafe(it.Rule))
		}
	}
	return nil
}

// runRenewal implements "clausewatch renewal".
func runRenewal(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("renewal", "renewal SUPPLIER [--baseline NAME] [--to TIME] [--html | --json] [-o FILE]",
		"The annual renewal report: for each of the supplier's sources, the version in force at the\n"+
			"baseline (default seal-awarded: the end of the award day) and now, the cumulative clause diff\n"+
			"between them, every change in between with its triage state and the policy's stated dates, and\n"+
			"the re-vet verdict.", true)
	baseline := c.fs.String("baseline", vetting.BaselineAwarded, "baseline `name`: seal-awarded, last-review or a pinned one")
	to := c.fs.String("to", "", "end of the period, `TIME` (default now)")
	asHTML := c.fs.Bool("html", false, "write a self-contained HTML page")
	out := c.fs.String("o", "", "write to `file` instead of standard output")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("renewal: want SUPPLIER")
	}
	opt := vetting.ReportOptions{Baseline: *baseline}
	if *to != "" {
		t, err := parseWhen(*to, true, time.Now())
		if err != nil {
			return usageError("renewal: --to: %v", err)
		}
		opt.To = t
	}
	if *out != "" {
		if err := e.checkOutput(*out, guarded(*c.db)...); err != nil {
			return usageError("renewal: -o: %v", err)
		}
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	rep, err := (&vetting.Program{DB: db}).Renewal(ctx, c.fs.Arg(0), opt)
	if err != nil {
		return &exitError{code: 2, msg: "renewal: " + err.Error()}
	}
	write := func(w io.Writer) error {
		switch {
		case *c.asJSON:
			return rep.WriteJSON(w)
		case *asHTML:
			return rep.WriteHTML(w, vetting.HTMLOptions{})
		default:
			return writeReportText(w, rep)
		}
	}
	if *out == "" {
		return write(stdout)
	}
	if err := e.writeAtomic(*out, write); err != nil {
		return fmt.Errorf("renewal: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %s\n", *out, termSafe(rep.Verdict))
	return nil
}

// baselineFlagVersion resolves diff's --baseline for a stored source.
func baselineFlagVersion(ctx context.Context, db store.Store, src store.Source, name string) (store.Version, string, error) {
	v, note, err := (&vetting.Program{DB: db}).BaselineVersion(ctx, src, name)
	if err != nil {
		return store.Version{}, "", fmt.Errorf("baseline %s: %w", strconv.Quote(name), err)
	}
	return v, note, nil
}
