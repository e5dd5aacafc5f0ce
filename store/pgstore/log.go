package pgstore

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
)

// tiles reads and writes the log's tiles in one transaction, keeping
// those it has read or written (a record reads and writes a handful).
type tiles struct {
	ctx   context.Context
	q     querier
	cache map[[2]int64][]byte
}

func newTiles(ctx context.Context, q querier) *tiles {
	return &tiles{ctx: ctx, q: q, cache: map[[2]int64][]byte{}}
}

// get returns tile (level, n), nil when it is not stored.
func (t *tiles) get(level int, n int64) ([]byte, error) {
	k := [2]int64{int64(level), n}
	if data, ok := t.cache[k]; ok {
		return data, nil
	}
	var data []byte
	err := t.q.QueryRow(t.ctx, "SELECT data FROM log_tiles WHERE level = $1 AND n = $2", level, n).Scan(&data)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("log tile %d/%d: %w", level, n, err)
	}
	t.cache[k] = data
	return data, nil
}

// reader is a tlog.HashReader over the tiles.
func (t *tiles) reader() tlog.HashReader { return store.TileHashReader(t.get) }

// batchLog is the log as a batch appends to it: its size and the tiles
// it has read or changed, written once at the end of the batch (flush)
// rather than once per record.
type batchLog struct {
	size  int64
	ts    *tiles
	dirty map[[2]int64]bool
}

// newBatchLog reads the log's size in tx, which holds the log's lock.
func newBatchLog(ctx context.Context, tx pgx.Tx) (*batchLog, error) {
	b := &batchLog{ts: newTiles(ctx, tx), dirty: map[[2]int64]bool{}}
	if err := tx.QueryRow(ctx, "SELECT size FROM log_head").Scan(&b.size); err != nil {
		return nil, fmt.Errorf("log size: %w", err)
	}
	return b, nil
}

// appendLeaf adds fetch f as the next record of the log (f.ID is its
// number plus one).
func (b *batchLog) appendLeaf(f store.Fetch) error {
	if f.ID != uint64(b.size)+1 {
		return fmt.Errorf("%w: fetch %d cannot be log record %d (record n is fetch n+1)", store.ErrCorrupt, f.ID, b.size)
	}
	put := func(level int, i int64, data []byte) error {
		k := [2]int64{int64(level), i}
		b.ts.cache[k], b.dirty[k] = data, true
		return nil
	}
	if err := store.AppendToTiles(b.size, store.LogLeaf(f), b.ts.get, put); err != nil {
		return err
	}
	b.size++
	return nil
}

// save returns a copy to restore when a record is rolled back (its
// savepoint): AppendToTiles puts new slices, so a shallow copy will do.
func (b *batchLog) save() batchLog {
	return batchLog{size: b.size, ts: &tiles{ctx: b.ts.ctx, q: b.ts.q, cache: maps.Clone(b.ts.cache)}, dirty: maps.Clone(b.dirty)}
}

func (b *batchLog) restore(s batchLog) { *b = s }

// flush writes the changed tiles and the size in tx.
func (b *batchLog) flush(ctx context.Context, tx pgx.Tx) error {
	for k := range b.dirty {
		_, err := tx.Exec(ctx, `INSERT INTO log_tiles (level, n, data) VALUES ($1, $2, $3)
			ON CONFLICT (level, n) DO UPDATE SET data = EXCLUDED.data`, k[0], k[1], b.ts.cache[k])
		if err != nil {
			return fmt.Errorf("log tile %d/%d: %w", k[0], k[1], err)
		}
	}
	clear(b.dirty)
	_, err := tx.Exec(ctx, "UPDATE log_head SET size = $1", b.size)
	return err
}

// appendLeaf adds fetch f as record n of the log in tx and writes it.
func (d *DB) appendLeaf(ctx context.Context, tx pgx.Tx, n int64, f store.Fetch) error {
	b, err := newBatchLog(ctx, tx)
	if err != nil {
		return err
	}
	if b.size != n {
		return fmt.Errorf("%w: the log has %d records, not %d", store.ErrCorrupt, b.size, n)
	}
	if err := b.appendLeaf(f); err != nil {
		return err
	}
	return b.flush(ctx, tx)
}

// signTree signs a checkpoint of the log of size n as tx has it, stores
// it as the latest, and keeps it for good when keep is set or it is the
// first of its UTC day.
func (d *DB) signTree(ctx context.Context, tx pgx.Tx, n int64, keep bool) error {
	root, err := tlog.TreeHash(n, newTiles(ctx, tx).reader())
	if err != nil {
		return fmt.Errorf("log root at size %d: %w", n, err)
	}
	if err := d.needKey("sign a checkpoint"); err != nil {
		return err
	}
	c := store.Checkpoint{Origin: d.origin, Size: n, Hash: root, Time: d.now().UTC()}
	signed, err := d.key.SignCheckpoint(c)
	if err != nil {
		return fmt.Errorf("sign checkpoint: %w", err)
	}
	if _, err := tx.Exec(ctx, "UPDATE log_head SET checkpoint = $1, checkpoint_size = $2", signed, n); err != nil {
		return err
	}
	if !keep {
		var last []byte
		err := tx.QueryRow(ctx, "SELECT note FROM checkpoints ORDER BY size DESC LIMIT 1").Scan(&last)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		keep = store.KeepCheckpoint(last, c.Time)
	}
	if keep {
		_, err = tx.Exec(ctx, "INSERT INTO checkpoints (size, note) VALUES ($1, $2) ON CONFLICT (size) DO NOTHING", n, signed)
	}
	return err
}

// PublicKey returns the verifier key of the log's signing key.
func (d *DB) PublicKey(ctx context.Context) (string, error) {
	v, err := d.meta(ctx, "log_vkey")
	if err == nil && v == "" {
		err = fmt.Errorf("%w: the database has no log key yet", store.ErrKey)
	}
	return v, err
}

// LogSize returns the number of records in the log.
func (d *DB) LogSize(ctx context.Context) (int64, error) {
	var n int64
	err := d.pool.QueryRow(ctx, "SELECT size FROM log_head").Scan(&n)
	return n, err
}

// LogIndex returns the log record number of a fetch: its ID less one.
func (d *DB) LogIndex(ctx context.Context, fetchID uint64) (int64, error) {
	n, err := d.LogSize(ctx)
	if err != nil {
		return 0, err
	}
	if fetchID == 0 || fetchID > uint64(n) {
		return 0, fmt.Errorf("fetch %d in the log: %w", fetchID, store.ErrNotFound)
	}
	return int64(fetchID) - 1, nil
}

// LatestCheckpoint returns the newest signed checkpoint. A handle that
// holds the key first signs one covering every record logged so far,
// when the latest does not (writers without the key leave the log ahead
// of it): evidence, built only where the key is, always gets a
// checkpoint that covers its leaves (decision record 0048). Without the
// key it is the newest the key's node signed, which may lag the log.
func (d *DB) LatestCheckpoint(ctx context.Context) (store.SignedCheckpoint, error) {
	if d.key != nil {
		if _, err := d.SignCheckpoint(ctx); err != nil {
			return store.SignedCheckpoint{}, err
		}
	}
	var signed []byte
	if err := d.pool.QueryRow(ctx, "SELECT checkpoint FROM log_head").Scan(&signed); err != nil {
		return store.SignedCheckpoint{}, err
	}
	if signed == nil {
		return store.SignedCheckpoint{}, fmt.Errorf("checkpoint: %w (the log is empty)", store.ErrNotFound)
	}
	c, err := store.ParseSignedCheckpoint(signed)
	if err != nil {
		return store.SignedCheckpoint{}, fmt.Errorf("%w: latest checkpoint: %v", store.ErrCorrupt, err)
	}
	return store.SignedCheckpoint{Checkpoint: c, Note: signed}, nil
}

// Checkpoints returns the kept checkpoints, smallest tree first.
func (d *DB) Checkpoints(ctx context.Context) ([]store.SignedCheckpoint, error) {
	rows, err := d.pool.Query(ctx, "SELECT size, note FROM checkpoints ORDER BY size")
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.SignedCheckpoint, error) {
		var size int64
		var note []byte
		if err := r.Scan(&size, &note); err != nil {
			return store.SignedCheckpoint{}, err
		}
		c, err := store.ParseSignedCheckpoint(note)
		if err != nil {
			return store.SignedCheckpoint{}, fmt.Errorf("%w: checkpoint of size %d: %v", store.ErrCorrupt, size, err)
		}
		return store.SignedCheckpoint{Checkpoint: c, Note: note}, nil
	})
}

// ProveRecord returns the inclusion proof of record n in the tree of the
// given size.
func (d *DB) ProveRecord(ctx context.Context, size, n int64) (tlog.RecordProof, error) {
	var p tlog.RecordProof
	err := d.readLog(ctx, func(tx pgx.Tx, have int64) error {
		if size > have || n < 0 || n >= size {
			return fmt.Errorf("%w: record %d of a tree of %d (the log has %d)", store.ErrInvalid, n, size, have)
		}
		var err error
		p, err = tlog.ProveRecord(size, n, newTiles(ctx, tx).reader())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("prove log record %d: %w", n, err)
	}
	return p, nil
}

// ProveTree returns the consistency proof from the tree of size old to
// the tree of size size.
func (d *DB) ProveTree(ctx context.Context, size, old int64) (tlog.TreeProof, error) {
	var p tlog.TreeProof
	err := d.readLog(ctx, func(tx pgx.Tx, have int64) error {
		if size > have || old < 1 || old > size {
			return fmt.Errorf("%w: tree %d from %d (the log has %d)", store.ErrInvalid, size, old, have)
		}
		var err error
		p, err = tlog.ProveTree(size, old, newTiles(ctx, tx).reader())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("prove log consistency %d→%d: %w", old, size, err)
	}
	return p, nil
}

// readLog runs fn in a read-only snapshot of the log with its size.
func (d *DB) readLog(ctx context.Context, fn func(tx pgx.Tx, size int64) error) error {
	return pgx.BeginTxFunc(ctx, d.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var n int64
		if err := tx.QueryRow(ctx, "SELECT size FROM log_head").Scan(&n); err != nil {
			return err
		}
		return fn(tx, n)
	})
}

// SignEvidence signs evidence text with the log's key.
func (d *DB) SignEvidence(text []byte) ([]byte, error) {
	if err := d.needKey("sign evidence"); err != nil {
		return nil, err
	}
	return d.key.SignEvidence(text)
}

// needKey fails, saying what wanted it, when this handle has no key.
func (d *DB) needKey(what string) error {
	if d.key == nil {
		return fmt.Errorf("%s: %w: this process was opened without the log's key file (only the key's node signs)", what, store.ErrKey)
	}
	return nil
}
