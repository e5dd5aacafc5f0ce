package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// PutSupplier adds or replaces a supplier record, keeping its token.
func (d *DB) PutSupplier(ctx context.Context, s store.Supplier) (store.Supplier, error) {
	if err := store.PrepareSupplier(&s); err != nil {
		return store.Supplier{}, fmt.Errorf("save supplier: %w", err)
	}
	s.V, s.Updated = 1, d.now().UTC()
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var old store.Supplier
		err := tx.QueryRow(ctx, "SELECT doc FROM suppliers WHERE name = $1 FOR UPDATE", s.Name).Scan(&old)
		if err == nil {
			s.TokenHash, s.TokenCreated = old.TokenHash, old.TokenCreated
		} else if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		for _, p := range s.Products {
			for _, ref := range p.Sources {
				src, err := resolve(ctx, tx, ref)
				if err != nil {
					return fmt.Errorf("product %q: %w", p.Name, err)
				}
				if src.Supplier != s.Name {
					return fmt.Errorf("%w: product %q: source %q belongs to supplier %q", store.ErrInvalid, p.Name, ref, src.Supplier)
				}
			}
		}
		_, err = tx.Exec(ctx, `INSERT INTO suppliers (name, token_hash, doc) VALUES ($1, $2, $3)
			ON CONFLICT (name) DO UPDATE SET token_hash = EXCLUDED.token_hash, doc = EXCLUDED.doc`, s.Name, nullable(s.TokenHash), s)
		return err
	})
	if err != nil {
		return store.Supplier{}, fmt.Errorf("save supplier %q: %w", s.Name, err)
	}
	return s, nil
}

// nullable is s, or NULL when empty.
func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Supplier returns a supplier record.
func (d *DB) Supplier(ctx context.Context, name string) (store.Supplier, error) {
	var s store.Supplier
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM suppliers WHERE name = $1", name).Scan(&s); err != nil {
		return store.Supplier{}, fmt.Errorf("supplier %q: %w", name, notFound(err))
	}
	return s, nil
}

// Suppliers lists the supplier records by name (byte order).
func (d *DB) Suppliers(ctx context.Context) ([]store.Supplier, error) {
	out, err := docs[store.Supplier](ctx, d.pool, `SELECT doc FROM suppliers ORDER BY name COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list suppliers: %w", err)
	}
	return out, nil
}

// CreateSupplierToken makes a new capture token for a supplier,
// replacing the old one, and returns its secret.
func (d *DB) CreateSupplierToken(ctx context.Context, name string) (string, error) {
	secret, err := store.NewSupplierSecret()
	if err != nil {
		return "", err
	}
	err = d.tx(ctx, func(tx pgx.Tx) error {
		var s store.Supplier
		if err := tx.QueryRow(ctx, "SELECT doc FROM suppliers WHERE name = $1 FOR UPDATE", name).Scan(&s); err != nil {
			return notFound(err)
		}
		s.TokenHash, s.TokenCreated = store.SecretHash(secret), d.now().UTC()
		_, err := tx.Exec(ctx, "UPDATE suppliers SET token_hash = $2, doc = $3 WHERE name = $1", name, s.TokenHash, s)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("capture token for supplier %q: %w", name, err)
	}
	return secret, nil
}

// SupplierForToken returns the supplier whose capture token is secret.
func (d *DB) SupplierForToken(ctx context.Context, secret string) (store.Supplier, error) {
	if !store.IsSupplierSecret(secret) {
		return store.Supplier{}, store.ErrNotFound
	}
	var s store.Supplier
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM suppliers WHERE token_hash = $1", store.SecretHash(secret)).Scan(&s); err != nil {
		return store.Supplier{}, notFound(err)
	}
	return s, nil
}

// AddNotification records a supplier's notification.
func (d *DB) AddNotification(ctx context.Context, n store.Notification) (store.Notification, error) {
	if err := store.PrepareNotification(&n); err != nil {
		return store.Notification{}, err
	}
	n.V, n.Created = 1, d.now().UTC()
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var have bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM suppliers WHERE name = $1)", n.Supplier).Scan(&have); err != nil {
			return err
		}
		if !have {
			return fmt.Errorf("%w: supplier %q has no record (add it first)", store.ErrNotFound, n.Supplier)
		}
		if err := tx.QueryRow(ctx, "SELECT nextval('notifications_id_seq')").Scan(&n.ID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO notifications (id, supplier, doc) VALUES ($1, $2, $3)", n.ID, n.Supplier, n)
		return err
	})
	if err != nil {
		return store.Notification{}, fmt.Errorf("add notification for %q: %w", n.Supplier, err)
	}
	return n, nil
}

// Notification returns notification id.
func (d *DB) Notification(ctx context.Context, id uint64) (store.Notification, error) {
	var n store.Notification
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM notifications WHERE id = $1", id).Scan(&n); err != nil {
		return store.Notification{}, fmt.Errorf("notification %d: %w", id, notFound(err))
	}
	return n, nil
}

// Notifications lists notifications in ID order, of one supplier or all
// ("").
func (d *DB) Notifications(ctx context.Context, supplier string) ([]store.Notification, error) {
	out, err := docs[store.Notification](ctx, d.pool, "SELECT doc FROM notifications WHERE $1 = '' OR supplier = $1 ORDER BY id", supplier)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// UpdateNotification applies fn to a notification in one transaction;
// only outcomes may change.
func (d *DB) UpdateNotification(ctx context.Context, id uint64, fn func(*store.Notification) error) (store.Notification, error) {
	var n store.Notification
	err := d.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT doc FROM notifications WHERE id = $1 FOR UPDATE", id).Scan(&n); err != nil {
			return notFound(err)
		}
		before := n
		before.Tickets = slices.Clone(n.Tickets)
		if err := fn(&n); err != nil {
			return err
		}
		if err := store.CheckNotificationEdit(before, n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "UPDATE notifications SET doc = $2 WHERE id = $1", id, n)
		return err
	})
	if err != nil {
		return store.Notification{}, fmt.Errorf("update notification %d: %w", id, err)
	}
	return n, nil
}

// AddRubric records a rubric release; versions and release days are
// unique.
func (d *DB) AddRubric(ctx context.Context, r store.Rubric) (store.Rubric, error) {
	if err := store.PrepareRubric(&r); err != nil {
		return store.Rubric{}, err
	}
	r.V, r.Recorded = 1, d.now().UTC()
	_, err := d.pool.Exec(ctx, "INSERT INTO rubrics (released, version, doc) VALUES ($1, $2, $3)", r.Released, r.Version, r)
	switch {
	case isUnique(err, "rubrics_version_key"):
		err = fmt.Errorf("%w: rubric %s", store.ErrExists, r.Version)
	case isUnique(err, "rubrics_released_key"):
		err = fmt.Errorf("%w: a rubric was released on %s; releases are ordered by date", store.ErrExists, r.Released)
	}
	if err != nil {
		return store.Rubric{}, fmt.Errorf("add rubric %s: %w", r.Version, err)
	}
	return r, nil
}

// Rubrics lists the rubric releases, oldest first.
func (d *DB) Rubrics(ctx context.Context) ([]store.Rubric, error) {
	out, err := docs[store.Rubric](ctx, d.pool, `SELECT doc FROM rubrics ORDER BY released COLLATE "C", version COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("list rubrics: %w", err)
	}
	return out, nil
}

// PinBaseline pins a version of a source's current generation under a
// name.
func (d *DB) PinBaseline(ctx context.Context, b store.Baseline) (store.Baseline, error) {
	if err := store.PrepareBaseline(&b); err != nil {
		return store.Baseline{}, err
	}
	b.V, b.Pinned = 1, d.now().UTC()
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var st store.State
		if err := tx.QueryRow(ctx, "SELECT doc FROM state WHERE source = $1", b.Source).Scan(&st); err != nil {
			return fmt.Errorf("source %d: %w", b.Source, notFound(err))
		}
		var have bool
		if err := tx.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM versions WHERE source = $1 AND generation = $2 AND seq = $3)", b.Source, st.Generation, b.Version).Scan(&have); err != nil {
			return err
		}
		if !have {
			return fmt.Errorf("%w: source %d has no version %d", store.ErrNotFound, b.Source, b.Version)
		}
		_, err := tx.Exec(ctx, `INSERT INTO baselines (source, name, doc) VALUES ($1, $2, $3)
			ON CONFLICT (source, name) DO UPDATE SET doc = EXCLUDED.doc`, b.Source, b.Name, b)
		return err
	})
	if err != nil {
		return store.Baseline{}, fmt.Errorf("pin baseline %q: %w", b.Name, err)
	}
	return b, nil
}

// Baselines lists the baselines of a source (0: all), by source and name.
func (d *DB) Baselines(ctx context.Context, source uint64) ([]store.Baseline, error) {
	out, err := docs[store.Baseline](ctx, d.pool, `SELECT doc FROM baselines WHERE $1::bigint = 0 OR source = $1 ORDER BY source, name COLLATE "C"`, source)
	if err != nil {
		return nil, fmt.Errorf("list baselines: %w", err)
	}
	return out, nil
}

// DeleteBaseline unpins a baseline.
func (d *DB) DeleteBaseline(ctx context.Context, source uint64, name string) error {
	tag, err := d.pool.Exec(ctx, "DELETE FROM baselines WHERE source = $1 AND name = $2", source, name)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete baseline %q of source %d: %w", name, source, err)
	}
	return nil
}
