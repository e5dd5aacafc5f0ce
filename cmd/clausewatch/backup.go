package main

import (
	"context"
	"fmt"

	"github.com/clausewatch/clausewatch/store"
)

// runBackup implements "clausewatch backup".
func runBackup(ctx context.Context, e *env, args []string) error {
	stdout := e.stdout
	c := e.command("backup", "backup [--db FILE] OUT", "Writes a consistent copy of the database to OUT (atomically: OUT appears complete or not at all).", false)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("backup: want the OUT file")
	}
	if isPostgres(*c.db) {
		return usageError("backup: a PostgreSQL database is backed up with PostgreSQL's own tools (pg_dump, base backups), not clausewatch backup")
	}
	if err := e.checkBackup(c.fs.Arg(0), *c.db); err != nil {
		return usageError("backup: %v", err)
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	fb, ok := db.(store.FileBackup)
	if !ok {
		return fmt.Errorf("backup: %s cannot be copied to a file", *c.db)
	}
	n, err := fb.BackupFile(ctx, e.path(c.fs.Arg(0)))
	if err != nil {
		return e.localErr(err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes), its log key to %s.key\n", *c.db, c.fs.Arg(0), n, c.fs.Arg(0))
	return nil
}
