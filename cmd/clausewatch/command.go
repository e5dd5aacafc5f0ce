package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/clausewatch/clausewatch/store"
)

// command is the shared set-up of the history commands: a flag set with
// --db (and --json where the output is data), and usage text.
type command struct {
	fs     *flag.FlagSet
	db     *string
	asJSON *bool
	name   string
	// env is where the command runs (see command.open); nil for serve and
	// demo, which open their database themselves.
	env *env
	// key is --key, the log's signing key file (see keyPath); nil for
	// commands without it.
	key *string
	// commit is set by commitFlags, for the commands that record checks.
	commit *store.CommitOptions
	// keyOptional lets a PostgreSQL database open without the key: a
	// worker records and the key's node signs (decision record 0048).
	keyOptional bool
}

// commitFlags adds --commit-batch and --commit-delay, which bound group
// commit (decision record 0029), to the commands that record checks.
func (c *command) commitFlags() {
	c.commit = &store.CommitOptions{}
	c.fs.IntVar(&c.commit.MaxBatch, "commit-batch", 64, "most checks committed in one transaction (1: each check in its own, one disk sync per check)")
	c.fs.DurationVar(&c.commit.MaxDelay, "commit-delay", 10*time.Millisecond, "how long a batch waits for more checks before it commits; check's workers, and serve's with PostgreSQL, wait for their commits, so the wait ends once the batch holds --workers checks (0: commit what queued during the last commit; decision records 0051, 0052)")
}

// storeOptions are the options the command opens its database with.
func (c *command) storeOptions(timeout time.Duration) store.Options {
	opts := store.Options{Timeout: timeout}
	if c.commit != nil {
		opts.Commit = *c.commit
	}
	return opts
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

// printJSON writes v indented.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
