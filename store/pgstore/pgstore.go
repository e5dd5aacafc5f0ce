// Package pgstore keeps clausewatch's history in PostgreSQL: the second
// backend of store.Store beside the embedded bbolt one, for programmes
// that outgrow one machine (issue 22, decision record 0036).
//
// The schema is SQL migrations (migrations/, applied by Open). Values are
// the JSON the bbolt store keeps, in json columns beside the columns
// that key, order and constrain them; blobs are the bbolt store's bytes
// (codec byte, zstd frame, dictionary against the source's current body)
// in bytea, keyed by their SHA-256. Every fetch joins the transparency
// log in the transaction that stores it: Record takes a transaction-level
// advisory lock, so the log has one writer at a time however many
// processes record, hands the fetch the next log position as its ID,
// adds its leaf to the tiles and signs a checkpoint, and commits it all
// at once ("stored means logged").
package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// logLock is the advisory lock key the log's writer holds ("cwlg").
const logLock = 0x63776c67

// Options configures Open.
type Options struct {
	// KeyFile is the log's signing key. Open creates it when the
	// database has no log key yet, and refuses a key that is not the one
	// the log was signed with. Empty: this process records fetches and
	// their leaves but signs nothing; the process that holds the key
	// signs checkpoints (RunSigner; decision record 0048).
	KeyFile string
	// Commit bounds group commit (store.CommitOptions; decision record
	// 0048): how many records one transaction holds, how long the writer
	// waits for them.
	Commit store.CommitOptions
	// Now is the clock for recorded times. Default time.Now.
	Now func() time.Time
	// MaxConns bounds the connection pool. Default pgxpool's.
	MaxConns int32
}

// DB is an open clausewatch database in PostgreSQL.
type DB struct {
	pool     *pgxpool.Pool
	now      func() time.Time
	codec    *store.BlobCodec
	key      *store.LogKey
	keyFile  string
	instance string
	origin   string
	commits  *store.GroupCommit[pending]
	// jsonFetches stores fetches as JSON, as schema 2 did: the baseline
	// the compact records are measured against (BenchmarkFetchBytes).
	jsonFetches bool
}

// The whole contract, as the bbolt store keeps it.
var _ store.Store = (*DB)(nil)

// Open connects to the database at dsn (a postgres:// URL or key=value
// connection string), migrates it to SchemaVersion, and loads the log's
// key.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	codec, err := store.NewBlobCodec()
	if err != nil {
		pool.Close()
		return nil, err
	}
	d := &DB{pool: pool, now: opts.Now, codec: codec, keyFile: opts.KeyFile}
	d.commits = store.NewGroupCommit(opts.Commit, d.commitBatch)
	if err := d.setUp(ctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("open %s: %w", redact(dsn), err)
	}
	return d, nil
}

// setUp migrates, makes the instance ID once, and loads the log key
// (making it when the log has none).
func (d *DB) setUp(ctx context.Context) error {
	if err := d.migrate(ctx); err != nil {
		return err
	}
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return err
	}
	if _, err := d.pool.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('instance', $1) ON CONFLICT DO NOTHING", hex.EncodeToString(b)); err != nil {
		return err
	}
	if err := d.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = 'instance'").Scan(&d.instance); err != nil {
		return err
	}
	d.origin = store.LogOrigin(d.instance)
	want, err := d.meta(ctx, "log_vkey")
	if err != nil || d.keyFile == "" {
		return err
	}
	key, err := store.LoadLogKey(d.keyFile, d.instance, want == "")
	if err != nil {
		if want != "" {
			return fmt.Errorf("%w (the log is signed by %s; restore its key file)", err, want)
		}
		return err
	}
	if want == "" {
		if _, err := d.pool.Exec(ctx, "INSERT INTO meta (key, value) VALUES ('log_vkey', $1) ON CONFLICT DO NOTHING", key.VerifierKey()); err != nil {
			return err
		}
		if want, err = d.meta(ctx, "log_vkey"); err != nil {
			return err
		}
	}
	if key.VerifierKey() != want {
		return fmt.Errorf("%w: %s holds the key %s, but the log is signed by %s", store.ErrKey, d.keyFile, key.VerifierKey(), want)
	}
	d.key = key
	return nil
}

// meta reads a meta value ("" when absent).
func (d *DB) meta(ctx context.Context, key string) (string, error) {
	var v string
	err := d.pool.QueryRow(ctx, "SELECT value FROM meta WHERE key = $1", key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// Close writes the records queued for the group writer, then closes
// the connection pool.
func (d *DB) Close() error {
	d.commits.Close()
	d.pool.Close()
	d.codec.Close()
	return nil
}

// Instance returns the database's instance ID (32 hex digits).
func (d *DB) Instance(ctx context.Context) (string, error) { return d.instance, nil }

// Schema returns the schema version: the last migration applied.
func (d *DB) Schema(ctx context.Context) (int, error) {
	var v int
	err := d.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	return v, err
}

// Size returns the database's size in bytes as PostgreSQL counts it.
func (d *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	err := d.pool.QueryRow(ctx, "SELECT pg_database_size(current_database())").Scan(&n)
	return n, err
}

// KeyFile returns the path of the log's signing key.
func (d *DB) KeyFile() string { return d.keyFile }

// tx runs fn in a transaction, committed when fn returns nil.
func (d *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, d.pool, fn)
}

// notFound turns pgx.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// isUnique reports whether err is a unique violation, on constraint
// name when one is given.
func isUnique(err error, name string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (name == "" || pe.ConstraintName == name)
}

// ns is t as Unix nanoseconds, the order columns' unit.
func ns(t time.Time) int64 { return t.UnixNano() }

// redact hides the password in a connection string for messages.
func redact(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "the PostgreSQL database"
	}
	return fmt.Sprintf("postgres database %s on %s", cfg.Database, cfg.Host)
}
