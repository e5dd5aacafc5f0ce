package pgstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// SetDue stores a source's next due time.
func (d *DB) SetDue(ctx context.Context, due store.Due) error {
	if err := d.tx(ctx, func(tx pgx.Tx) error { return putDue(ctx, tx, due) }); err != nil {
		return fmt.Errorf("set due time of source %d: %w", due.SourceID, err)
	}
	return nil
}

// SetDues stores many due times in one transaction.
func (d *DB) SetDues(ctx context.Context, dues []store.Due) error {
	err := d.tx(ctx, func(tx pgx.Tx) error {
		for _, due := range dues {
			if err := putDue(ctx, tx, due); err != nil {
				return fmt.Errorf("source %d: %w", due.SourceID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set due times: %w", err)
	}
	return nil
}

// putDue writes a due time in tx.
func putDue(ctx context.Context, tx pgx.Tx, due store.Due) error {
	if due.At.IsZero() {
		return fmt.Errorf("%w: no due time", store.ErrInvalid)
	}
	due.V = 1
	due.Slot, due.At = due.Slot.UTC(), due.At.UTC()
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM sources WHERE id = $1)", due.SourceID).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return fmt.Errorf("source %d: %w", due.SourceID, store.ErrNotFound)
	}
	_, err := tx.Exec(ctx, `INSERT INTO due (source, at_ns, doc) VALUES ($1, $2, $3)
		ON CONFLICT (source) DO UPDATE SET at_ns = EXCLUDED.at_ns, doc = EXCLUDED.doc`, due.SourceID, ns(due.At), due)
	return err
}

// DeleteDue takes a source out of the schedule.
func (d *DB) DeleteDue(ctx context.Context, sourceID uint64) error {
	if _, err := d.pool.Exec(ctx, "DELETE FROM due WHERE source = $1", sourceID); err != nil {
		return fmt.Errorf("delete due time of source %d: %w", sourceID, err)
	}
	return nil
}

// DueOf returns a source's due time.
func (d *DB) DueOf(ctx context.Context, sourceID uint64) (store.Due, error) {
	var due store.Due
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM due WHERE source = $1", sourceID).Scan(&due); err != nil {
		return store.Due{}, fmt.Errorf("due time of source %d: %w", sourceID, notFound(err))
	}
	return due, nil
}

// Dues returns every due time, in source order.
func (d *DB) Dues(ctx context.Context) ([]store.Due, error) {
	return docs[store.Due](ctx, d.pool, "SELECT doc FROM due ORDER BY source")
}

// DueBy returns the due times at or before t, soonest first.
func (d *DB) DueBy(ctx context.Context, t time.Time, limit int) ([]store.Due, error) {
	return d.DueByExcept(ctx, t, limit, nil)
}

// dueBatch is how many due rows DueByExcept reads at a time.
const dueBatch = 256

// DueByExcept is DueBy leaving out the sources skip reports.
func (d *DB) DueByExcept(ctx context.Context, t time.Time, limit int, skip func(sourceID uint64) bool) ([]store.Due, error) {
	var out []store.Due
	after := [2]int64{math.MinInt64, 0}
	for limit <= 0 || len(out) < limit {
		batch, err := docsWithKey(ctx, d.pool, `SELECT at_ns, source, doc FROM due
			WHERE at_ns <= $1 AND (at_ns, source) > ($2, $3) ORDER BY at_ns, source LIMIT $4`, ns(t), after[0], after[1], dueBatch)
		if err != nil {
			return nil, fmt.Errorf("due by %s: %w", t.Format(time.RFC3339), err)
		}
		for _, r := range batch {
			after = r.key
			if skip != nil && skip(r.due.SourceID) {
				continue
			}
			out = append(out, r.due)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		if len(batch) < dueBatch {
			break
		}
	}
	return out, nil
}

type keyedDue struct {
	key [2]int64
	due store.Due
}

func docsWithKey(ctx context.Context, q querier, sql string, args ...any) ([]keyedDue, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (keyedDue, error) {
		var k keyedDue
		return k, r.Scan(&k.key[0], &k.key[1], &k.due)
	})
}
