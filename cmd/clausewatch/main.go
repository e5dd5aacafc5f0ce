// Command clausewatch watches privacy-policy pages and reports the
// clause-level changes that matter. Each job is a subcommand; run
// "clausewatch help" for the list.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // --tz works on machines without a zoneinfo database
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "clausewatch:", termSafeText(ee.msg))
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "clausewatch:", termSafeText(err.Error()))
		os.Exit(1)
	}
}

// exitError carries an exit status other than 1 (2 for bad input, as
// diff(1) does), with the one-line message to print.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is a wrong flag or argument: exit status 2.
func usageError(format string, a ...any) error {
	return &exitError{code: 2, msg: fmt.Sprintf(format, a...)}
}

const usage = `clausewatch watches privacy-policy pages and reports clause-level changes.

Usage:
  clausewatch <command> [flags] [arguments]

Commands:
  extract   print the clauses of a policy page (file, URL or -)
  diff      compare two versions of a policy (files/URLs, or a stored SOURCE) and say whether it needs re-vetting
  rules     print (or --check) the significance rules diff uses

History (all take --db FILE, default clausewatch.db; while serve holds it, they run through serve;
or --db postgres://… --key KEYFILE):
  add       watch a page (or every source of a watchlist: add --from FILE)
  sources   list the watched sources and their tracking health
  source    source edit NAME: change a source's URL, selectors, section, render mode, schedule (then due now)
  check     fetch sources now and record what changed
  history   a source's versions and changes
  show      a source's clauses as they were at a time
  changes   the recorded changes (--since, --revet)
  reextract read every stored page again with this build's extractor
  backup    write a consistent copy of the database
  migrate   copy the database into an empty PostgreSQL one (migrate --to postgres://…)
  export    write a source's captures as a WARC 1.1 archive (export --warc SOURCE)

Evidence (transparency log of every capture, with signed checkpoints):
  key       print the log's public key, to publish
  log       check the log against the stored captures (log check), print the latest checkpoint
  evidence  write an evidence bundle for a source and a notification date (--notified DATE)
  verify    check an evidence bundle offline (--key KEY); exit 0 only when everything holds against
            the key (3: no --key, so integrity ok but origin not checked)

Seal program (all take --db FILE):
  supplier  a supplier's record: award date, rubric, last review, zone, products; its capture token
  notify    record a vetting notification and the changes it requires (tickets)
  rubric    record a rubric release (every supplier vetted against an older one is re-vetted)
  baseline  pin a version under a name to take reports and diffs against
  deadlines update windows, renewals and re-vets: due, overdue, met (--json, --ics)
  renewal   the annual renewal report of a supplier (--html, --json)

Daemon and web:
  serve     check every source on its cron schedule and serve the feed, API and metrics (--listen);
            on PostgreSQL, --role web, scheduler, worker or all
  worker    on PostgreSQL: run the check jobs the schedulers enqueue (serve --role worker)
  token     add, list or revoke the web server's API tokens
  subscription  list, add or remove e-mail subscriptions (--owner NAME: a user's; default the admins')
  webhook   list, add or remove webhooks (the secret is shown once)
  demo      replay the built-in IMS/1EdTech and COR policy history offline and serve the feed

  help      show this help

Run "clausewatch <command> -h" for a command's flags.
`

// run is the whole program, minus process exit: it parses args and
// dispatches to a subcommand. A command on a database that a daemon
// holds is run by the daemon, through its admin socket.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	e := processEnv(stdin, stdout, stderr)
	err := dispatch(ctx, e, args)
	if vd := (*viaDaemon)(nil); errors.As(err, &vd) {
		return forward(ctx, e, vd.conn, args)
	}
	return err
}

// dispatch runs the subcommand args[0] in e.
func dispatch(ctx context.Context, e *env, args []string) error {
	stdin, stdout, stderr := e.stdin, e.stdout, e.stderr
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "extract":
		return runExtract(ctx, args[1:], stdin, stdout, stderr)
	case "diff":
		if storedDiff(args[1:]) {
			return runStoredDiff(ctx, e, args[1:])
		}
		return runDiff(ctx, args[1:], stdin, stdout, stderr)
	case "add":
		return runAdd(ctx, e, args[1:])
	case "sources":
		return runSources(ctx, e, args[1:])
	case "source":
		return runSource(ctx, e, args[1:])
	case "check":
		return runCheck(ctx, e, args[1:])
	case "history":
		return runHistory(ctx, e, args[1:])
	case "show":
		return runShow(ctx, e, args[1:])
	case "changes":
		return runChanges(ctx, e, args[1:])
	case "reextract":
		return runReextract(ctx, e, args[1:])
	case "backup":
		return runBackup(ctx, e, args[1:])
	case "migrate":
		return runMigrate(ctx, e, args[1:])
	case "key":
		return runKey(ctx, e, args[1:])
	case "log":
		return runLog(ctx, e, args[1:])
	case "evidence":
		return runEvidence(ctx, e, args[1:])
	case "verify":
		return runVerify(ctx, args[1:], stdout)
	case "export":
		return runExport(ctx, e, args[1:])
	case "serve":
		return runServe(ctx, args[1:], stdout, stderr)
	case "worker":
		return runWorker(ctx, args[1:], stdout, stderr)
	case "token":
		return runToken(ctx, e, args[1:])
	case "subscription":
		return runSubscription(ctx, e, args[1:])
	case "webhook":
		return runWebhook(ctx, e, args[1:])
	case "demo":
		return runDemo(ctx, args[1:], stdout, stderr)
	case "rules":
		return runRules(args[1:], stdout)
	case "supplier":
		return runSupplier(ctx, e, args[1:])
	case "notify":
		return runNotify(ctx, e, args[1:])
	case "rubric":
		return runRubric(ctx, e, args[1:])
	case "baseline":
		return runBaseline(ctx, e, args[1:])
	case "deadlines":
		return runDeadlines(ctx, e, args[1:])
	case "renewal":
		return runRenewal(ctx, e, args[1:])
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError("unknown command %q", args[0])
	}
}

// storedDiff reports whether diff's arguments ask for stored versions
// (--db, --from, --to, or a single SOURCE) rather than two files or URLs.
func storedDiff(args []string) bool {
	positional := 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case a == "--":
			positional += len(args) - i - 1
			i = len(args)
		case strings.HasPrefix(a, "-") && a != "-":
			switch name {
			case "db", "from", "to", "baseline":
				return true
			case "rules", "color", "select", "remove", "section", "timeout", "render", "key":
				if !strings.Contains(a, "=") {
					i++ // the flag's value
				}
			}
		default:
			positional++
		}
	}
	return positional == 1
}
