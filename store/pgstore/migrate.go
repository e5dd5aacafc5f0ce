package pgstore

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// The schema is SQL files in migrations/, NNNN_what.sql, applied in
// order, each once, each in the one transaction that also records it in
// schema_migrations. Open applies the missing ones under an advisory
// lock, so that processes starting together migrate once. Decision
// record 0036 says why this is not goose or golang-migrate.

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrateLock is the advisory lock key migrations run under ("cwmg").
const migrateLock = 0x63776d67

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

// goSteps are the migrations that rewrite rows in Go after their SQL,
// in the same transaction.
func goStep(version int) func(context.Context, pgx.Tx) error {
	switch version {
	case 4:
		return compactFetches
	}
	return nil
}

// migrations returns the embedded migrations in order of their numbers,
// which must be unique and rise. A number may be missing: migrations
// made on two branches at once take numbers apart (0003 and 0004), and
// migrate applies whichever a database lacks, so a database that has 4
// still gets 3 once a build has it.
func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out []migration
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || (len(out) > 0 && v <= out[len(out)-1].version) {
			return nil, fmt.Errorf("migration %s: want a number NNNN above the last one's", base)
		}
		data, err := migrationFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: base, sql: string(data)})
	}
	return out, nil
}

// SchemaVersion is the schema this build writes: its last migration.
func SchemaVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// migrate brings the database to SchemaVersion, refusing one written by
// a newer build.
func (d *DB) migrate(ctx context.Context) error { return d.migrateTo(ctx, math.MaxInt) }

// migrateTo applies the migrations the database lacks up to version to.
func (d *DB) migrateTo(ctx context.Context, to int) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", int64(migrateLock)); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", int64(migrateLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version int PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("schema_migrations: %w", err)
	}
	rows, err := conn.Query(ctx, "SELECT version FROM schema_migrations")
	if err != nil {
		return err
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return err
	}
	for _, v := range applied {
		if !slices.ContainsFunc(ms, func(m migration) bool { return m.version == v }) {
			return fmt.Errorf("%w: schema %d is not one this build knows (it has up to %d); upgrade clausewatch", store.ErrSchema, v, SchemaVersion())
		}
	}
	for _, m := range ms {
		if m.version > to || slices.Contains(applied, m.version) {
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			if step := goStep(m.version); step != nil {
				if err := step(ctx, tx); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", m.version, m.name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate to schema %d (%s): %w", m.version, m.name, err)
		}
	}
	return nil
}
