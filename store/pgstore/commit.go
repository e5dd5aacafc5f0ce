package pgstore

import (
	"context"
	"fmt"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// Group commit on PostgreSQL (decision record 0048), through the bbolt
// store's writer (store.GroupCommit, decision record 0029): Record
// prepares a record on the caller's goroutine, the writer takes what is
// queued (up to Options.Commit.MaxBatch, waiting up to MaxDelay) and
// writes it in one transaction under the log's advisory lock, each record
// in a savepoint of its own, then one checkpoint for the batch. A record
// that fails (decided on a stale state, invalid) is rolled back to its
// savepoint and refused alone; the others commit. Callers are woken only
// after the commit, so a crash loses only records nobody was told about.

// pending is a prepared record and, once written, its outcome.
type pending struct {
	r     store.Record
	f     store.Fetch
	blobs []blob
	// Set by write.
	fetch  store.Fetch
	change *store.Change
	keep   bool
	err    error
}

// logNotify is the channel a committed batch notifies, so that a signer
// waiting on it (RunSigner) signs promptly.
const logNotify = "clausewatch_log"

// commitBatch writes a batch in one transaction. A failure of the
// transaction itself (the lock, signing, the commit, a lost connection)
// fails every record in it that had not failed alone.
func (d *DB) commitBatch(batch []*pending) {
	ctx := context.Background() // a queued record is written whatever its caller does (0029)
	err := d.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(logLock)); err != nil {
			return fmt.Errorf("log lock: %w", err)
		}
		bl, err := newBatchLog(ctx, tx)
		if err != nil {
			return err
		}
		written, keep := 0, false
		for _, p := range batch {
			ok, err := d.writeInSavepoint(ctx, tx, bl, p)
			if err != nil {
				return err
			}
			if ok {
				written++
				keep = keep || p.keep
			}
		}
		if written == 0 {
			return nil
		}
		if err := bl.flush(ctx, tx); err != nil {
			return fmt.Errorf("transparency log: %w", err)
		}
		if err := d.batchCheckpoint(ctx, tx, keep); err != nil {
			return fmt.Errorf("transparency log: %w", err)
		}
		_, err = tx.Exec(ctx, "SELECT pg_notify($1, '')", logNotify)
		return err
	})
	if err != nil {
		for _, p := range batch {
			if p.err == nil {
				p.err = err
			}
			p.fetch, p.change = store.Fetch{}, nil
		}
	}
}

// writeInSavepoint writes p in a savepoint of tx, its leaf into bl, and
// reports whether it was written; when it was not, p.err says why, and
// the savepoint and bl are rolled back. An error means tx itself cannot
// go on.
func (d *DB) writeInSavepoint(ctx context.Context, tx pgx.Tx, bl *batchLog, p *pending) (bool, error) {
	sp, err := tx.Begin(ctx)
	if err != nil {
		return false, err
	}
	saved := bl.save()
	if err := d.write(ctx, sp, bl, p); err != nil {
		bl.restore(saved)
		p.err, p.fetch, p.change = err, store.Fetch{}, nil
		if rerr := sp.Rollback(ctx); rerr != nil {
			return false, fmt.Errorf("roll back record of source %d: %w", p.r.Fetch.SourceID, rerr)
		}
		return false, nil
	}
	return true, sp.Commit(ctx)
}

// batchCheckpoint signs one checkpoint after a batch when this process
// holds the key (kept for good when keep, or when a keyless writer asked
// for the next one to be kept). Without the key it leaves the signing to
// the key's node (RunSigner), asking it to keep the next one when keep.
func (d *DB) batchCheckpoint(ctx context.Context, tx pgx.Tx, keep bool) error {
	if d.key == nil {
		if !keep {
			return nil
		}
		_, err := tx.Exec(ctx, "UPDATE log_head SET keep_next = true")
		return err
	}
	var size int64
	var keepNext bool
	if err := tx.QueryRow(ctx, "SELECT size, keep_next FROM log_head").Scan(&size, &keepNext); err != nil {
		return err
	}
	if err := d.signTree(ctx, tx, size, keep || keepNext); err != nil {
		return err
	}
	if keepNext {
		_, err := tx.Exec(ctx, "UPDATE log_head SET keep_next = false")
		return err
	}
	return nil
}
