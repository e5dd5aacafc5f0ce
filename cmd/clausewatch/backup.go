package main

import (
	"context"
	"fmt"
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
	if err := e.checkBackup(c.fs.Arg(0), *c.db); err != nil {
		return usageError("backup: %v", err)
	}
	db, closeDB, err := c.open(ctx, false)
	if err != nil {
		return err
	}
	defer closeDB()
	n, err := db.BackupFile(ctx, e.path(c.fs.Arg(0)))
	if err != nil {
		return e.localErr(err)
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes), its log key to %s.key\n", *c.db, c.fs.Arg(0), n, c.fs.Arg(0))
	return nil
}
