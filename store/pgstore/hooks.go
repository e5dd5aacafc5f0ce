package pgstore

import (
	"context"
	"fmt"
	"math"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// AddWebhook adds a webhook that starts after the newest change.
func (d *DB) AddWebhook(ctx context.Context, h store.Webhook) (store.Webhook, error) {
	if err := store.PrepareWebhook(&h); err != nil {
		return store.Webhook{}, err
	}
	h.V, h.Created = 1, d.now().UTC()
	err := d.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT nextval('webhooks_id_seq'), (SELECT coalesce(max(id), 0) FROM changes)").Scan(&h.ID, &h.Cursor); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO webhooks (id, doc) VALUES ($1, $2)", h.ID, h)
		return err
	})
	if err != nil {
		return store.Webhook{}, fmt.Errorf("add webhook %s: %w", h.URL, err)
	}
	return h, nil
}

// Webhooks lists the webhooks in ID order.
func (d *DB) Webhooks(ctx context.Context) ([]store.Webhook, error) {
	out, err := docs[store.Webhook](ctx, d.pool, "SELECT doc FROM webhooks ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// Webhook returns webhook id.
func (d *DB) Webhook(ctx context.Context, id uint64) (store.Webhook, error) {
	var h store.Webhook
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM webhooks WHERE id = $1", id).Scan(&h); err != nil {
		return store.Webhook{}, fmt.Errorf("webhook %d: %w", id, notFound(err))
	}
	return h, nil
}

// DeleteWebhook deletes a webhook and its deliveries.
func (d *DB) DeleteWebhook(ctx context.Context, id uint64) error {
	tag, err := d.pool.Exec(ctx, "DELETE FROM webhooks WHERE id = $1", id)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	return nil
}

// Delivery returns the delivery of a change to a webhook.
func (d *DB) Delivery(ctx context.Context, hook, change uint64) (store.Delivery, error) {
	var dl store.Delivery
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM deliveries WHERE hook = $1 AND change = $2", hook, change).Scan(&dl); err != nil {
		return store.Delivery{}, fmt.Errorf("delivery of change %d to webhook %d: %w", change, hook, notFound(err))
	}
	return dl, nil
}

// Deliveries returns a webhook's deliveries, newest change first.
func (d *DB) Deliveries(ctx context.Context, hook uint64, limit int) ([]store.Delivery, error) {
	lim := int64(math.MaxInt64)
	if limit > 0 {
		lim = int64(limit)
	}
	out, err := docs[store.Delivery](ctx, d.pool, "SELECT doc FROM deliveries WHERE hook = $1 ORDER BY change DESC LIMIT $2", hook, lim)
	if err != nil {
		return nil, fmt.Errorf("deliveries of webhook %d: %w", hook, err)
	}
	return out, nil
}

// RecordDelivery stores a delivery and, once it is settled, moves the
// webhook's cursor past its change.
func (d *DB) RecordDelivery(ctx context.Context, dl store.Delivery) error {
	dl.V = 1
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var h store.Webhook
		if err := tx.QueryRow(ctx, "SELECT doc FROM webhooks WHERE id = $1 FOR UPDATE", dl.Hook).Scan(&h); err != nil {
			return fmt.Errorf("webhook %d: %w", dl.Hook, notFound(err))
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deliveries (hook, change, doc) VALUES ($1, $2, $3)
			ON CONFLICT (hook, change) DO UPDATE SET doc = EXCLUDED.doc`, dl.Hook, dl.Change, dl); err != nil {
			return err
		}
		if dl.State != store.DeliveryPending && dl.Change > h.Cursor {
			h.Cursor = dl.Change
			_, err := tx.Exec(ctx, "UPDATE webhooks SET doc = $2 WHERE id = $1", h.ID, h)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record delivery of change %d to webhook %d: %w", dl.Change, dl.Hook, err)
	}
	return nil
}

// SkipChange moves a webhook's cursor to change (never backwards).
func (d *DB) SkipChange(ctx context.Context, hook, change uint64) error {
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var h store.Webhook
		if err := tx.QueryRow(ctx, "SELECT doc FROM webhooks WHERE id = $1 FOR UPDATE", hook).Scan(&h); err != nil {
			return notFound(err)
		}
		if change <= h.Cursor {
			return nil
		}
		h.Cursor = change
		_, err := tx.Exec(ctx, "UPDATE webhooks SET doc = $2 WHERE id = $1", hook, h)
		return err
	})
	if err != nil {
		return fmt.Errorf("skip change %d for webhook %d: %w", change, hook, err)
	}
	return nil
}
