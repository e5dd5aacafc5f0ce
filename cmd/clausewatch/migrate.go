package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/jobs"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
)

// runMigrate implements "clausewatch migrate": it copies a bbolt
// database into an empty PostgreSQL one (decision record 0036).
func runMigrate(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("migrate", "migrate [--db FILE] --to postgres://… [--key FILE]",
		"Copies the database FILE (stop serve first) into an empty PostgreSQL database: every source, fetch, version, change,\n"+
			"blob, due time, token, live browser session, webhook, supplier record, notification, rubric, baseline, signed checkpoint,\n"+
			"e-mail subscription and message (sent ones with their bodies), keeping every ID.\n"+
			"The log is rebuilt from the fetches and must have the root FILE's latest checkpoint signed. The PostgreSQL database\n"+
			"goes on signing with FILE's key (--key, default FILE.key): keep that file with it. People stay signed in.", true)
	c.fs.StringVar(c.db, "from", *c.db, "the database `file` to copy (the same as --db)")
	to := c.fs.String("to", "", "the PostgreSQL database to copy into (`postgres://user@host/db`), which must be empty")
	key := c.key
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 0 {
		return usageError("migrate: unexpected argument %q", c.fs.Arg(0))
	}
	if !strings.HasPrefix(*to, "postgres://") && !strings.HasPrefix(*to, "postgresql://") {
		return usageError("migrate: --to wants a postgres:// URL, got %q", *to)
	}
	from := e.path(*c.db)
	if *key == "" {
		*key = from + ".key"
	} else {
		*key = e.path(*key)
	}
	src, err := store.Open(from, store.Options{ReadOnly: true, KeyFile: *key, Timeout: 2 * time.Second})
	if err != nil {
		return fmt.Errorf("migrate: %w", explainLocked(from, err))
	}
	defer src.Close()
	dst, err := pgstore.Open(ctx, *to, pgstore.Options{KeyFile: *key})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer dst.Close()
	n, err := dst.CopyFrom(ctx, src)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := migrateJobs(ctx, *to); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if *c.asJSON {
		return printJSON(stdout, n)
	}
	fmt.Fprintf(stdout, "copied %s into PostgreSQL: %d sources, %d fetches, %d versions, %d changes, %d blobs, %d checkpoints, %d sessions, %d e-mails\n",
		*c.db, n.Sources, n.Fetches, n.Versions, n.Changes, n.Blobs, n.Checkpoints, n.Sessions, n.Mails)
	fmt.Fprintf(stdout, "log: %d records, root %v (as %s's latest checkpoint signed); signing key %s\n", n.LogSize, n.Root, *c.db, *key)
	return nil
}

// migrateJobs creates River's tables beside the store's, so that the
// database is ready for serve's roles and workers.
func migrateJobs(ctx context.Context, dsn string) error {
	pool, err := jobs.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer pool.Close()
	return jobs.Migrate(ctx, pool)
}
