package pgstore

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// Changes lists changes in ID order, filtered (see store.ChangeFilter).
func (d *DB) Changes(ctx context.Context, f store.ChangeFilter) ([]store.Change, error) {
	since := int64(math.MinInt64)
	if !f.Since.IsZero() {
		since = ns(f.Since)
	}
	out, err := docs[store.Change](ctx, d.pool, `SELECT doc FROM changes
		WHERE ($1::bigint = 0 OR source = $1) AND detected_ns >= $2 AND (NOT $3 OR revet) AND ($4 OR NOT reextracted)
		ORDER BY id`, f.SourceID, since, f.Revet, f.Reextracted)
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return out, nil
}

// Change returns change id.
func (d *DB) Change(ctx context.Context, id uint64) (store.Change, error) {
	var c store.Change
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM changes WHERE id = $1", id).Scan(&c); err != nil {
		return store.Change{}, fmt.Errorf("change %d: %w", id, notFound(err))
	}
	return c, nil
}

// SetTriage records the staff's decision on a change.
func (d *DB) SetTriage(ctx context.Context, id uint64, t store.Triage) error {
	if err := store.CheckTriage(t); err != nil {
		return fmt.Errorf("triage change %d: %w", id, err)
	}
	if t.At.IsZero() {
		t.At = d.now().UTC()
	}
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var c store.Change
		if err := tx.QueryRow(ctx, "SELECT doc FROM changes WHERE id = $1 FOR UPDATE", id).Scan(&c); err != nil {
			return notFound(err)
		}
		store.ApplyTriage(&c, t)
		_, err := tx.Exec(ctx, "UPDATE changes SET triage = $2, doc = $3 WHERE id = $1", id, string(t.State), c)
		return err
	})
	if err != nil {
		return fmt.Errorf("triage change %d: %w", id, err)
	}
	return nil
}

// ChangePage returns up to q.Limit changes that pass q, newest first, and
// the Before of the next page (0 when there is none).
func (d *DB) ChangePage(ctx context.Context, q store.ChangeQuery) ([]store.Change, uint64, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	if (q.Sources != nil && len(q.Sources) == 0) || (q.Triage != nil && len(q.Triage) == 0) {
		return nil, 0, nil
	}
	where := []string{"($1::bigint = 0 OR id < $1)", "(NOT $2 OR revet)", "($3 OR NOT reextracted)"}
	args := []any{q.Before, q.Revet, q.Reextracted}
	if q.Sources != nil {
		args = append(args, q.Sources)
		where = append(where, fmt.Sprintf("source = ANY($%d)", len(args)))
	}
	if q.Supplier != "" {
		args = append(args, q.Supplier)
		where = append(where, fmt.Sprintf("source IN (SELECT id FROM sources WHERE supplier = $%d)", len(args)))
	}
	if q.Triage != nil {
		states := make([]string, len(q.Triage))
		for i, s := range q.Triage {
			states[i] = string(s)
		}
		args = append(args, states)
		where = append(where, fmt.Sprintf("triage = ANY($%d)", len(args)))
	}
	args = append(args, q.Limit+1)
	sql := fmt.Sprintf("SELECT doc FROM changes WHERE %s ORDER BY id DESC LIMIT $%d", strings.Join(where, " AND "), len(args))
	out, err := docs[store.Change](ctx, d.pool, sql, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list changes: %w", err)
	}
	if len(out) > q.Limit {
		out = out[:q.Limit]
		return out, out[len(out)-1].ID, nil
	}
	return out, 0, nil
}

// ChangesAfter returns up to limit changes with IDs above id, oldest
// first.
func (d *DB) ChangesAfter(ctx context.Context, id uint64, limit int) ([]store.Change, error) {
	lim := int64(math.MaxInt64)
	if limit > 0 {
		lim = int64(limit)
	}
	out, err := docs[store.Change](ctx, d.pool, "SELECT doc FROM changes WHERE id > $1 ORDER BY id LIMIT $2", id, lim)
	if err != nil {
		return nil, fmt.Errorf("list changes after %d: %w", id, err)
	}
	return out, nil
}

// Census counts sources, paused ones, changes, checks due by t and the
// unpaused sources' health.
func (d *DB) Census(ctx context.Context, t time.Time) (store.Counts, error) {
	n := store.Counts{Health: map[store.Health]int{}}
	err := pgx.BeginTxFunc(ctx, d.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM sources WHERE paused),
			(SELECT count(*) FROM changes), (SELECT count(*) FROM due WHERE at_ns <= $1)`, ns(t)).Scan(&n.Sources, &n.Paused, &n.Changes, &n.Due)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, "SELECT st.health, count(*) FROM state st JOIN sources s ON s.id = st.source WHERE NOT s.paused AND st.health <> '' GROUP BY st.health")
		if err != nil {
			return err
		}
		var h string
		var c int
		_, err = pgx.ForEachRow(rows, []any{&h, &c}, func() error { n.Health[store.Health(h)] = c; return nil })
		return err
	})
	if err != nil {
		return store.Counts{}, fmt.Errorf("census: %w", err)
	}
	return n, nil
}
