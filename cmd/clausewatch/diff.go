package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/clausewatch/clausewatch/diff"
	"github.com/clausewatch/clausewatch/extract"
)

// runDiff implements "clausewatch diff": exit status 0 when the clause
// text is the same, 1 when it differs, 2 on error, as diff(1) does.
func runDiff(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	asHTML := fs.Bool("html", false, "print a self-contained HTML report")
	all := fs.Bool("all", false, "list rename-only and cosmetic changes instead of counting them")
	rulesFile := fs.String("rules", "", "significance rules `file` (YAML) to use instead of the built-in rules")
	color := fs.String("color", "auto", "colour the text report: auto (when a terminal and NO_COLOR is unset), always or never")
	var sel, rem stringList
	fs.Var(&sel, "select", "CSS `selector` of the policy text to keep, in both inputs (repeatable)")
	fs.Var(&rem, "remove", "CSS `selector` of elements to drop first, in both inputs (repeatable)")
	section := fs.String("section", "", "compare only the document under this `heading`, in both inputs")
	timeout := fs.Duration("timeout", 30*time.Second, "timeout for fetching a URL")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage: clausewatch diff [--json|--html] [--all] [--rules FILE] [--select CSS] [--remove CSS] [--section HEADING] OLD NEW")
		fmt.Fprintln(w, "       clausewatch diff [--db FILE] [--from TIME | --baseline NAME] [--to TIME] SOURCE  (stored versions; see diff SOURCE -h)")
		fmt.Fprintln(w, "\nCompares two versions of a policy clause by clause and says whether they need re-vetting.")
		fmt.Fprintln(w, "OLD and NEW are files (HTML, text or Markdown), URLs or - (standard input, for one of them).")
		fmt.Fprintln(w, "Each is read as a watched page is (its main text, or --select/--remove/--section), its clauses")
		fmt.Fprintln(w, "are paired, and each change is classed substantive (calls for re-vetting), editorial, rename-only")
		fmt.Fprintln(w, "or cosmetic. The report gives the verdict (\"Re-vet: …\" or not), the gist and ranked changes,")
		fmt.Fprintln(w, "the renames, and the substantive and editorial changes word by word; rename-only and cosmetic")
		fmt.Fprintln(w, "ones are counted (--all lists them). A rename inside a substantive or editorial change reads as")
		fmt.Fprintln(w, "unchanged text, with a \"renamed here: OLD → NEW\" line under the clause; --json gives it as a")
		fmt.Fprintln(w, "span {\"op\": \"~\", \"text\": NEW, \"from\": OLD}. With one SOURCE it compares a watched source's")
		fmt.Fprintln(w, "stored versions.")
		fmt.Fprintln(w, "Exit status: 0 when the clause text is the same, 1 when it differs, 2 on error.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		return usageError("diff: %v (see clausewatch diff -h)", err)
	}
	if fs.NArg() != 2 {
		return usageError("diff: want OLD and NEW, got %d arguments; flags go before them (see clausewatch diff -h)", fs.NArg())
	}
	if *asJSON && *asHTML {
		return usageError("diff: --json and --html cannot be used together")
	}
	if fs.Arg(0) == "-" && fs.Arg(1) == "-" {
		return usageError("diff: only one of OLD and NEW can be standard input")
	}
	useColor, err := colorWanted(*color, stdout)
	if err != nil {
		return err
	}
	rules, err := loadRules(*rulesFile)
	if err != nil {
		return err
	}
	opts := extract.Options{Select: sel, Remove: rem, Section: *section}
	var docs [2]*extract.Document
	for i, input := range fs.Args() {
		data, contentType, err := readInput(ctx, input, stdin, *timeout)
		if err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		o := opts
		o.ContentType = contentType
		if docs[i], err = extract.Bytes(data, o); err != nil {
			return &exitError{code: 2, msg: fmt.Sprintf("%s: %v", input, err)}
		}
	}
	if !*asJSON && !*asHTML {
		// Escaped before diff colours the text with escapes of its own.
		docs[0], docs[1] = termSafeDoc(docs[0]), termSafeDoc(docs[1])
	}
	res := diff.Compare(docs[0], docs[1], rules)
	switch {
	case *asJSON:
		err = diff.WriteJSON(stdout, res)
	case *asHTML:
		err = diff.WriteHTML(stdout, res, diff.HTMLOptions{OldName: fs.Arg(0), NewName: fs.Arg(1)})
	default:
		err = diff.WriteText(stdout, res, diff.TextOptions{All: *all, Color: useColor, OldName: termSafe(fs.Arg(0)), NewName: termSafe(fs.Arg(1))})
	}
	if err != nil {
		return &exitError{code: 2, msg: err.Error()}
	}
	if !res.Same() {
		return &exitError{code: 1}
	}
	return nil
}

// loadRules reads a rules file, or returns the built-in rules for "".
// A bad file is exit status 2 with the error naming its line.
func loadRules(path string) (*diff.Rules, error) {
	if path == "" {
		return diff.DefaultRules(), nil
	}
	rules, err := diff.LoadRules(path)
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	return rules, nil
}

// colorWanted decides whether to colour the text report.
func colorWanted(mode string, stdout io.Writer) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
		if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
			return false, nil
		}
		f, ok := stdout.(*os.File)
		if !ok {
			return false, nil
		}
		st, err := f.Stat()
		return err == nil && st.Mode()&os.ModeCharDevice != 0, nil
	default:
		return false, usageError("diff: --color must be auto, always or never, not %q", mode)
	}
}

// runRules implements "clausewatch rules": print the built-in significance
// rules, or check a rules file.
func runRules(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("rules", flag.ContinueOnError)
	check := fs.String("check", "", "check a rules `file` and report its first problem")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintln(w, "Usage: clausewatch rules [--check FILE]")
		fmt.Fprintln(w, "\nPrints the built-in significance rules (YAML), the starting point for a deployment's own")
		fmt.Fprintln(w, "file given to clausewatch diff --rules. With --check, validates a rules file instead.\n\nFlags:")
		fs.PrintDefaults()
	}
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		return usageError("rules: %v (see clausewatch rules -h)", err)
	}
	if fs.NArg() != 0 {
		return usageError("rules: unexpected argument %q (see clausewatch rules -h)", fs.Arg(0))
	}
	if *check != "" {
		if _, err := diff.LoadRules(*check); err != nil {
			return &exitError{code: 2, msg: err.Error()}
		}
		_, err := fmt.Fprintf(stdout, "%s: ok\n", *check)
		return err
	}
	_, err := stdout.Write(diff.DefaultRulesYAML())
	return err
}
