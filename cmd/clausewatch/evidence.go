package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/vetting"
	"github.com/clausewatch/clausewatch/vetting/evidence"
)

// runKey implements "clausewatch key": the log's public key.
func runKey(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("key", "key [--db FILE] [--json]",
		"Prints the public key of the database's transparency log: publish it, so that anyone can check\n"+
			"evidence bundles and checkpoints with 'clausewatch verify --key'. The private key is in the file\n"+
			"beside the database (FILE.key); keep it with the database's backups.", true)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return usageError("key: no arguments wanted")
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	key, err := db.PublicKey(ctx)
	if err != nil {
		return fmt.Errorf("key: %w", err)
	}
	if *c.asJSON {
		return printJSON(stdout, map[string]string{"key": key, "key_file": c.keyFile(db)})
	}
	fmt.Fprintln(stdout, key)
	return nil
}

// runLog implements "clausewatch log check|checkpoint".
func runLog(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("log", "log check [--db FILE] [--json] | log checkpoint [--db FILE]",
		"'check' recomputes the transparency log from the stored fetch records and reports every record\n"+
			"edited, deleted or written around the log since it was logged, every raw body that no longer\n"+
			"matches its logged hash, and every signed checkpoint that does not verify or match; exit status\n"+
			"1 when anything is wrong. 'checkpoint' prints the latest signed checkpoint, to keep or publish.", true)
	verb, rest, done, err := parseVerb(c, args, stdout)
	if done || err != nil {
		return err
	}
	if len(rest) != 0 || (verb != "check" && verb != "checkpoint") {
		return usageError("log: want 'check' or 'checkpoint' (see clausewatch log -h)")
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	if verb == "checkpoint" {
		cp, err := db.LatestCheckpoint(ctx)
		if err != nil {
			return fmt.Errorf("log checkpoint: %w", err)
		}
		_, err = stdout.Write(cp.Note)
		return err
	}
	rep, err := db.CheckLog(ctx)
	if err != nil {
		return err
	}
	if *c.asJSON {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "log: %d records, %d fetch records, %d signed checkpoints checked\n", rep.Size, rep.Fetches, rep.Checkpoints)
		if rep.Latest != nil {
			fmt.Fprintf(stdout, "latest checkpoint: %d records, root %s, signed %s\n", rep.Latest.Size, rep.Latest.Hash, rep.Latest.Time.Format(time.RFC3339))
		}
		for _, p := range rep.Problems {
			fmt.Fprintln(stdout, termSafe(p.String()))
		}
		if rep.OK() {
			fmt.Fprintln(stdout, "ok: every fetch record is in the log as logged, and every checkpoint matches")
		}
	}
	if !rep.OK() {
		return &exitError{code: 1, msg: fmt.Sprintf("log check: %d problems in %s", len(rep.Problems), dbName(*c.db))}
	}
	return nil
}

// runEvidence implements "clausewatch evidence SOURCE --notified DATE".
func runEvidence(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("evidence", "evidence SOURCE --notified DATE [-o FILE] [--zone ZONE] [--rules FILE] [--db FILE]",
		"Writes an evidence bundle (a zip file) for a source and a vetting notification date: the last\n"+
			"capture before the notification and the first showing the change (or the latest showing none),\n"+
			"with raw bodies, headers, the clause diff, the deadline and whether it was met, inclusion and\n"+
			"consistency proofs in the transparency log, and a summary page. Anyone can check it offline\n"+
			"with 'clausewatch verify FILE --key KEY'.", false)
	notified := c.fs.String("notified", "", "notification `date` (YYYY-MM-DD), day 0 of the update window")
	out := c.fs.String("o", "", "output `file` (default evidence-SOURCE-DATE.zip)")
	zone := c.fs.String("zone", "", "IANA time `zone` to count days in, when no notification is recorded for the date (default: the supplier's, else UTC)")
	rulesFile := c.fs.String("rules", "", "significance rules `file` for the diff (default: the built-in rules)")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 || *notified == "" {
		return usageError("evidence: want SOURCE and --notified DATE (see clausewatch evidence -h)")
	}
	date, err := vetting.ParseDate(*notified)
	if err != nil {
		return usageError("evidence: --notified: %v", err)
	}
	req := evidence.Request{Source: c.fs.Arg(0), Notified: date}
	if *zone != "" {
		if req.Zone, err = time.LoadLocation(*zone); err != nil {
			return usageError("evidence: --zone %q: %v", *zone, err)
		}
	}
	if *rulesFile != "" {
		if req.RulesYAML, err = e.readFile(*rulesFile); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		if req.Rules, err = diff.ParseRules(req.RulesYAML); err != nil {
			return fmt.Errorf("evidence: rules %s: %w", *rulesFile, err)
		}
	}
	if *out != "" {
		if err := e.checkOutput(*out, guarded(*c.db)...); err != nil {
			return usageError("evidence: -o: %v", err)
		}
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	b, err := evidence.Build(ctx, db, req)
	if err != nil {
		return err
	}
	path := *out
	if path == "" {
		path = b.FileName()
		if err := e.checkOutput(path, guarded(*c.db)...); err != nil {
			return usageError("evidence: %v", err)
		}
	}
	if err := e.writeAtomic(path, func(w io.Writer) error { _, err := w.Write(b.Data); return err }); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	m := b.Manifest
	fmt.Fprintf(stdout, "%s: %s\n%s\n", strings.ToUpper(m.Deadline.Outcome), termSafe(m.Source.Name), termSafe(m.Deadline.Statement))
	if m.Diff != nil {
		fmt.Fprintf(stdout, "change: %s\n", termSafe(m.Diff.Summary))
	}
	fmt.Fprintf(stdout, "wrote %s (%d bytes); check it with:\n  clausewatch verify %s --key '%s'\n", path, len(b.Data), path, m.Log.Key)
	return nil
}

// runVerify implements "clausewatch verify FILE".
func runVerify(_ context.Context, args []string, stdout io.Writer) error {
	c := newCommand("verify", "verify FILE [--key KEY] [--json]",
		"Checks an evidence bundle offline — every hash, signature and proof in it — and names each check\n"+
			"that fails. --key is the operator's published key (as 'clausewatch key' prints it) or a file\n"+
			"holding it; without it the bundle's own key is used, which proves only that the bundle is\n"+
			"consistent (its integrity), not who made it (its origin).\n"+
			"Exit status: 0 verified (everything holds, against --key); 1 a check failed; 2 bad usage or\n"+
			"a file that cannot be read;\n"+
			"3 everything holds but no --key was given: integrity ok, origin not checked.", true)
	key := c.fs.String("key", "", "the log's public `key`, or a file holding it")
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("verify: want the bundle FILE (see clausewatch verify -h)")
	}
	k := *key
	if k != "" && !strings.Contains(k, "+") {
		data, err := os.ReadFile(k)
		if err != nil {
			return usageError("verify: --key %q is neither a key nor a readable file: %v", k, err)
		}
		k = strings.TrimSpace(string(data))
	}
	name := c.fs.Arg(0)
	data, err := readLimited(name, evidence.MaxBundle)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		// A file that cannot be read was not checked: not status 1, a
		// failed check.
		return &exitError{code: 2, msg: fmt.Sprintf("verify: %s", termSafe(err.Error()))}
	} else if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	rep := evidence.Verify(data, evidence.VerifyOptions{Key: k})
	if *c.asJSON {
		if err := printJSON(stdout, rep); err != nil {
			return err
		}
	} else {
		// Everything in a bundle is the bundle's say: escape it.
		if m := rep.Manifest; m != nil {
			fmt.Fprintf(stdout, "%s: %s notified %s (%s), %s\n\n", termSafe(name), termSafe(m.Source.Name), termSafe(m.Notification.Date),
				termSafe(m.Notification.Zone), termSafe(strings.ToUpper(m.Deadline.Outcome)))
		}
		for _, ch := range rep.Checks {
			mark := "ok  "
			if !ch.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(stdout, "%s  %s: %s\n", mark, termSafe(ch.Name), termSafe(ch.Detail))
		}
		fmt.Fprintln(stdout, "\nWhat this cannot prove:")
		for _, l := range rep.Limits {
			fmt.Fprintf(stdout, "  - %s\n", l)
		}
	}
	if !rep.OK() {
		failed, first := 0, ""
		for _, ch := range rep.Checks {
			if !ch.OK {
				if failed++; failed == 1 {
					first = ch.Name + ": " + ch.Detail
				}
			}
		}
		return &exitError{code: 1, msg: fmt.Sprintf("verify %s: %d of %d checks failed, first %s", name, failed, len(rep.Checks), first)}
	}
	if !rep.Verified {
		// Any key signs a consistent bundle: without a trusted one, the
		// exit status must not say "verified".
		const unchecked = "integrity ok; origin NOT checked: pass --key with the operator's published key (clausewatch key)"
		if !*c.asJSON {
			fmt.Fprintf(stdout, "\n%s: %s\n", name, unchecked)
		}
		return &exitError{code: exitUnverified, msg: fmt.Sprintf("verify %s: %s", name, unchecked)}
	}
	if !*c.asJSON {
		fmt.Fprintf(stdout, "\n%s: verified\n", name)
	}
	return nil
}

// exitUnverified is verify's exit status for a bundle whose checks all
// hold against its own key, because no --key was given.
const exitUnverified = 3

// readLimited reads a file of at most limit bytes, refusing a larger
// one before reading it.
func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, fmt.Errorf("%s: %d bytes, larger than %d bytes, not an evidence bundle", name, st.Size(), limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes, not an evidence bundle", name, limit)
	}
	return data, nil
}
