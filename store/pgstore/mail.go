package pgstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// E-mail subscriptions and their outbox (decision record 0034), with the
// bbolt backend's behaviour (store/mail.go): a message's key is queued
// once, the subscription's cursor moves in the transaction that queues.

// AddSubscription stores a subscription; it covers changes recorded from
// now on.
func (d *DB) AddSubscription(ctx context.Context, s store.Subscription) (store.Subscription, error) {
	if err := store.PrepareSubscription(&s); err != nil {
		return store.Subscription{}, fmt.Errorf("add subscription: %w", err)
	}
	s.V, s.Created = 1, d.now().UTC()
	err := d.tx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, "SELECT nextval('mail_subs_id_seq'), (SELECT coalesce(max(id), 0) FROM changes)").Scan(&s.ID, &s.Cursor); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, "INSERT INTO mail_subs (id, owner, doc) VALUES ($1, $2, $3)", s.ID, s.Owner, s)
		return err
	})
	if err != nil {
		return store.Subscription{}, fmt.Errorf("add subscription for %s: %w", s.Email, err)
	}
	return s, nil
}

// Subscriptions lists the subscriptions by ID.
func (d *DB) Subscriptions(ctx context.Context) ([]store.Subscription, error) {
	out, err := docs[store.Subscription](ctx, d.pool, "SELECT doc FROM mail_subs ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return out, nil
}

// SubscriptionsOf lists the subscriptions owner owns, by ID ("": the
// admins').
func (d *DB) SubscriptionsOf(ctx context.Context, owner string) ([]store.Subscription, error) {
	out, err := docs[store.Subscription](ctx, d.pool, "SELECT doc FROM mail_subs WHERE owner = $1 ORDER BY id", owner)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %q: %w", owner, err)
	}
	return out, nil
}

// Subscription returns one subscription.
func (d *DB) Subscription(ctx context.Context, id uint64) (store.Subscription, error) {
	var s store.Subscription
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM mail_subs WHERE id = $1", id).Scan(&s); err != nil {
		return store.Subscription{}, fmt.Errorf("subscription %d: %w", id, notFound(err))
	}
	return s, nil
}

// DeleteSubscription removes a subscription. Its sent mail stays on
// record; what was still to send is marked failed.
func (d *DB) DeleteSubscription(ctx context.Context, id uint64) error {
	if err := d.deleteSubscription(ctx, id, "DELETE FROM mail_subs WHERE id = $1"); err != nil {
		return fmt.Errorf("delete subscription %d: %w", id, err)
	}
	return nil
}

// DeleteOwnSubscription is DeleteSubscription of a subscription owner
// owns; another's is store.ErrNotFound, as one that does not exist.
func (d *DB) DeleteOwnSubscription(ctx context.Context, id uint64, owner string) error {
	if err := d.deleteSubscription(ctx, id, "DELETE FROM mail_subs WHERE id = $1 AND owner = $2", owner); err != nil {
		return fmt.Errorf("delete subscription %d of %q: %w", id, owner, err)
	}
	return nil
}

// deleteSubscription runs del (which deletes subscription id, with args
// after it) and fails the subscription's pending mail.
func (d *DB) deleteSubscription(ctx context.Context, id uint64, del string, args ...any) error {
	return d.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, del, append([]any{id}, args...)...)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return failPending(ctx, tx, []uint64{id})
	})
}

// dropSubscriptionsOf deletes, in tx, every subscription owner owns (a
// revoked token's) and fails their pending mail.
func dropSubscriptionsOf(ctx context.Context, tx pgx.Tx, owner string) error {
	rows, err := tx.Query(ctx, "DELETE FROM mail_subs WHERE owner = $1 RETURNING id", owner)
	if err != nil {
		return err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uint64])
	if err != nil || len(ids) == 0 {
		return err
	}
	return failPending(ctx, tx, ids)
}

// failPending marks the unsent mail of subscriptions ids failed: their
// subscriptions are gone.
func failPending(ctx context.Context, tx pgx.Tx, ids []uint64) error {
	pending, err := docs[store.Mail](ctx, tx, "SELECT doc FROM mail_outbox WHERE pending AND sub = ANY($1) ORDER BY id FOR UPDATE", ids)
	if err != nil {
		return err
	}
	for _, m := range pending {
		m.State, m.Next, m.Error = store.DeliveryFailed, time.Time{}, "subscription deleted"
		if _, err := tx.Exec(ctx, "UPDATE mail_outbox SET doc = $2, pending = false WHERE id = $1", m.ID, m); err != nil {
			return err
		}
	}
	return nil
}

// QueueMail queues messages for a subscription and moves its cursor (and
// the day of its last digest, when digest is set) in the same
// transaction. A message whose key was queued before is left out. It
// returns the messages queued.
func (d *DB) QueueMail(ctx context.Context, sub, cursor uint64, digest string, mails []store.Mail) ([]store.Mail, error) {
	var queued []store.Mail
	err := d.tx(ctx, func(tx pgx.Tx) error {
		queued = queued[:0]
		var s store.Subscription
		if err := tx.QueryRow(ctx, "SELECT doc FROM mail_subs WHERE id = $1 FOR UPDATE", sub).Scan(&s); err != nil {
			return notFound(err)
		}
		for _, m := range mails {
			if m.Key == "" {
				continue
			}
			var id uint64
			if err := tx.QueryRow(ctx, "SELECT nextval('mail_outbox_id_seq')").Scan(&id); err != nil {
				return err
			}
			m.V, m.ID, m.Sub, m.State, m.Queued = 1, id, sub, store.DeliveryPending, d.now().UTC()
			tag, err := tx.Exec(ctx, `INSERT INTO mail_outbox (id, sub, key, pending, doc) VALUES ($1, $2, $3, true, $4)
				ON CONFLICT (key) DO NOTHING`, id, sub, m.Key, m)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 1 {
				queued = append(queued, m)
			}
		}
		if cursor > s.Cursor {
			s.Cursor = cursor
		}
		if digest != "" {
			s.LastDigest = digest
		}
		_, err := tx.Exec(ctx, "UPDATE mail_subs SET doc = $2 WHERE id = $1", sub, s)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("queue mail for subscription %d: %w", sub, err)
	}
	return queued, nil
}

// MailQueued reports whether a message with this key was ever queued.
func (d *DB) MailQueued(ctx context.Context, key string) (bool, error) {
	var found bool
	if err := d.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM mail_outbox WHERE key = $1)", key).Scan(&found); err != nil {
		return false, fmt.Errorf("mail %q: %w", key, err)
	}
	return found, nil
}

// PendingMail returns the messages still to send, oldest first.
func (d *DB) PendingMail(ctx context.Context) ([]store.Mail, error) {
	out, err := docs[store.Mail](ctx, d.pool, "SELECT doc FROM mail_outbox WHERE pending ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("pending mail: %w", err)
	}
	return out, nil
}

// RecordMail writes a send attempt's outcome; a finished message leaves
// the pending list in the same statement.
func (d *DB) RecordMail(ctx context.Context, m store.Mail) error {
	tag, err := d.pool.Exec(ctx, "UPDATE mail_outbox SET doc = $2, pending = pending AND $3 WHERE id = $1",
		m.ID, m, m.State == store.DeliveryPending)
	if err == nil && tag.RowsAffected() == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("record mail %d: %w", m.ID, err)
	}
	return nil
}

// Mails returns queued messages, newest first, of one subscription (0:
// all), at most limit (0: all); without their bodies.
func (d *DB) Mails(ctx context.Context, sub uint64, limit int) ([]store.Mail, error) {
	lim := int64(math.MaxInt64)
	if limit > 0 {
		lim = int64(limit)
	}
	out, err := docs[store.Mail](ctx, d.pool, "SELECT doc FROM mail_outbox WHERE $1 = 0 OR sub = $1 ORDER BY id DESC LIMIT $2", sub, lim)
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	for i := range out {
		out[i].Message = nil
	}
	return out, nil
}
