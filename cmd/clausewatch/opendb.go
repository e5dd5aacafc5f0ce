package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
)

// keyEnv names the log's signing key file when --key is not given: the
// way to give it to every command on a PostgreSQL database at once.
const keyEnv = "CLAUSEWATCH_KEY"

// isPostgres reports whether a --db value names a PostgreSQL database
// rather than a bbolt file (decision record 0040).
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// dbName is a --db value fit for messages and logs: a PostgreSQL URL
// with its password masked.
func dbName(db string) string {
	if !isPostgres(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…" // unparsable: show none of it
	}
	return u.Redacted()
}

// keyFlag adds --key, the log's signing key file, to the command.
func (c *command) keyFlag() {
	c.key = c.fs.String("key", "", "the log's signing key `file` (default: the database file's name + .key; required with --db postgres://…, or $"+keyEnv+")")
}

// keyPath is the signing key file the command opens its database with,
// read against the invoking directory: --key, else "" (bbolt's default
// beside the file). PostgreSQL has no file to keep it beside, so there it
// must be given, by --key or $CLAUSEWATCH_KEY, except to a worker, which
// records without signing ("").
func (c *command) keyPath() (string, error) {
	e := c.env
	if e == nil {
		e = processEnv(nil, nil, nil)
	}
	k := ""
	if c.key != nil {
		k = *c.key
	}
	if k == "" && isPostgres(*c.db) {
		k = e.getenv(keyEnv)
	}
	if k == "" && isPostgres(*c.db) && c.keyOptional {
		return "", nil
	}
	if k == "" && isPostgres(*c.db) {
		return "", usageError("%s: --db postgres://… needs the log's signing key file: --key FILE or $%s", c.name, keyEnv)
	}
	return e.path(k), nil
}

// openStore opens the database the command names: PostgreSQL for a
// postgres:// URL, else the bbolt file (with opts). It is the one place
// the CLI chooses a backend; optional capabilities (store.FileBackup)
// are asked of the result by type assertion.
func (c *command) openStore(ctx context.Context, opts store.Options) (store.Store, error) {
	key, err := c.keyPath()
	if err != nil {
		return nil, err
	}
	if isPostgres(*c.db) {
		db, err := pgstore.Open(ctx, *c.db, pgstore.Options{KeyFile: key, Commit: opts.Commit})
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.name, err)
		}
		return db, nil
	}
	path := *c.db
	if c.env != nil {
		path = c.env.path(path)
	}
	opts.KeyFile = key
	db, err := store.Open(path, opts)
	if err != nil {
		return nil, err
	}
	return db, nil
}
