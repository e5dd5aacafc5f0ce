package main

import (
	"context"
	"fmt"
	"io"
)

// runBackup implements "clausewatch backup".
func runBackup(ctx context.Context, args []string, stdout io.Writer) error {
	c := newCommand("backup", "backup [--db FILE] OUT", "Writes a consistent copy of the database to OUT (atomically: OUT appears complete or not at all).", false)
	if done, err := c.parse(args, stdout); done || err != nil {
		return err
	}
	if c.fs.NArg() != 1 {
		return usageError("backup: want the OUT file")
	}
	if err := checkBackupPath(c.fs.Arg(0), *c.db); err != nil {
		return usageError("backup: %v", err)
	}
	db, err := c.open(false)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.BackupFile(ctx, c.fs.Arg(0))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (%d bytes), its log key to %s.key\n", *c.db, c.fs.Arg(0), n, c.fs.Arg(0))
	return nil
}
