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
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "clausewatch:", ee.msg)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "clausewatch:", err)
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
  diff      compare two versions of a policy and say whether it needs re-vetting
  rules     print (or --check) the significance rules diff uses
  help      show this help

Run "clausewatch <command> -h" for a command's flags.
`

// run is the whole program, minus process exit: it parses args and
// dispatches to a subcommand.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return &exitError{code: 2}
	}
	switch args[0] {
	case "extract":
		return runExtract(ctx, args[1:], stdin, stdout, stderr)
	case "diff":
		return runDiff(ctx, args[1:], stdin, stdout, stderr)
	case "rules":
		return runRules(args[1:], stdout)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError("unknown command %q", args[0])
	}
}
