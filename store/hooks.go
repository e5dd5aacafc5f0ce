package store

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Webhook formats.
const (
	HookJSON  = "json"  // clausewatch's JSON payload
	HookSlack = "slack" // {"text": "..."}, for Slack-compatible incoming webhooks
)

// Webhook is a URL that is POSTed every recorded change, in order.
type Webhook struct {
	V      int    `json:"v"`
	ID     uint64 `json:"id"`
	URL    string `json:"url"`
	Format string `json:"format"`
	// Secret keys the HMAC signature of every delivery. It must be kept
	// in the clear to sign with; it is never shown by the API after
	// creation.
	Secret string `json:"secret"`
	// RevetOnly sends only changes that call for re-vetting.
	RevetOnly bool      `json:"revet_only,omitempty"`
	Created   time.Time `json:"created"`
	// Cursor is the ID of the last change this hook is done with
	// (delivered, skipped or given up on); changes recorded before the
	// hook was made are not sent.
	Cursor uint64 `json:"cursor"`
}

// Delivery states.
const (
	DeliveryPending   = "pending"   // failed so far; retried at Next
	DeliveryDelivered = "delivered" // the receiver answered 2xx
	DeliveryFailed    = "failed"    // given up after the last attempt
)

// Delivery is the record of sending one change to one webhook.
type Delivery struct {
	V        int    `json:"v"`
	Hook     uint64 `json:"hook"`
	Change   uint64 `json:"change"`
	State    string `json:"state"`
	Attempts int    `json:"attempts"`
	// Status and Error are the last attempt's HTTP status and error.
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
	First  time.Time `json:"first"`
	Last   time.Time `json:"last"`
	// Next is when a pending delivery is tried again.
	Next time.Time `json:"next,omitzero"`
}

// ID is the delivery's identifier, sent with it so that a receiver can
// drop a repeat.
func (d Delivery) ID() string { return fmt.Sprintf("%d-%d", d.Hook, d.Change) }

func deliveryKey(hook, change uint64) []byte { return append(u64(hook), u64(change)...) }

// AddWebhook registers a webhook; it receives changes recorded from now
// on.
func (d *DB) AddWebhook(ctx context.Context, h Webhook) (Webhook, error) {
	err := prepareWebhook(&h)
	if err != nil {
		return Webhook{}, err
	}
	h.V, h.Created = 1, d.now().UTC()
	err = d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketHooks)
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		h.ID = id
		if k, _ := tx.Bucket(bucketChanges).Cursor().Last(); k != nil {
			h.Cursor = fromU64(k)
		}
		return putJSON(b, u64(id), h)
	})
	if err != nil {
		return Webhook{}, fmt.Errorf("add webhook %s: %w", h.URL, err)
	}
	return h, nil
}

// Webhooks lists the webhooks by ID.
func (d *DB) Webhooks(ctx context.Context) ([]Webhook, error) {
	var out []Webhook
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketHooks).ForEach(func(k, v []byte) error {
			var h Webhook
			if err := decode(v, &h); err != nil {
				return fmt.Errorf("webhook %d: %w", fromU64(k), err)
			}
			out = append(out, h)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list webhooks: %w", err)
	}
	return out, nil
}

// Webhook returns one webhook.
func (d *DB) Webhook(ctx context.Context, id uint64) (Webhook, error) {
	var h Webhook
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketHooks), u64(id), &h) })
	if err != nil {
		return Webhook{}, fmt.Errorf("webhook %d: %w", id, err)
	}
	return h, nil
}

// DeleteWebhook removes a webhook and its delivery records.
func (d *DB) DeleteWebhook(ctx context.Context, id uint64) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketHooks)
		if b.Get(u64(id)) == nil {
			return ErrNotFound
		}
		if err := b.Delete(u64(id)); err != nil {
			return err
		}
		c := tx.Bucket(bucketDeliveries).Cursor()
		prefix := u64(id)
		for k, _ := c.Seek(prefix); k != nil && string(k[:8]) == string(prefix); k, _ = c.Seek(prefix) {
			if err := c.Delete(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete webhook %d: %w", id, err)
	}
	return nil
}

// Delivery returns the record of sending change to hook; ErrNotFound
// before the first attempt.
func (d *DB) Delivery(ctx context.Context, hook, change uint64) (Delivery, error) {
	var dl Delivery
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketDeliveries), deliveryKey(hook, change), &dl) })
	if err != nil {
		return Delivery{}, fmt.Errorf("delivery of change %d to webhook %d: %w", change, hook, err)
	}
	return dl, nil
}

// Deliveries returns a webhook's delivery records, newest change first, at
// most limit (0: all).
func (d *DB) Deliveries(ctx context.Context, hook uint64, limit int) ([]Delivery, error) {
	var out []Delivery
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketDeliveries).Cursor()
		prefix := u64(hook)
		k, v := c.Seek(u64(hook + 1))
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && string(k[:8]) == string(prefix); k, v = c.Prev() {
			if limit > 0 && len(out) >= limit {
				break
			}
			var dl Delivery
			if err := decode(v, &dl); err != nil {
				return fmt.Errorf("delivery %x: %w", k, err)
			}
			out = append(out, dl)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("deliveries of webhook %d: %w", hook, err)
	}
	return out, nil
}

// RecordDelivery writes a delivery attempt's record. When the delivery is
// finished (delivered or failed) the webhook's cursor moves past the
// change in the same transaction, so a restart neither repeats a delivery
// nor skips one.
func (d *DB) RecordDelivery(ctx context.Context, dl Delivery) error {
	dl.V = 1
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		hooks := tx.Bucket(bucketHooks)
		var h Webhook
		if err := getJSON(hooks, u64(dl.Hook), &h); err != nil {
			return fmt.Errorf("webhook %d: %w", dl.Hook, err)
		}
		if err := putJSON(tx.Bucket(bucketDeliveries), deliveryKey(dl.Hook, dl.Change), dl); err != nil {
			return err
		}
		if dl.State != DeliveryPending && dl.Change > h.Cursor {
			h.Cursor = dl.Change
			return putJSON(hooks, u64(h.ID), h)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record delivery of change %d to webhook %d: %w", dl.Change, dl.Hook, err)
	}
	return nil
}

// SkipChange moves a webhook's cursor past a change it does not want
// (a re-vet-only hook and a change that needs none).
func (d *DB) SkipChange(ctx context.Context, hook, change uint64) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		hooks := tx.Bucket(bucketHooks)
		var h Webhook
		if err := getJSON(hooks, u64(hook), &h); err != nil {
			return err
		}
		if change <= h.Cursor {
			return nil
		}
		h.Cursor = change
		return putJSON(hooks, u64(hook), h)
	})
	if err != nil {
		return fmt.Errorf("skip change %d for webhook %d: %w", change, hook, err)
	}
	return nil
}

// prepareWebhook checks a new webhook's URL and format, defaults its
// format, and makes its signing secret when it has none.
func prepareWebhook(h *Webhook) error {
	if err := ValidURL("webhook URL", h.URL); err != nil {
		return err
	}
	switch h.Format {
	case "":
		h.Format = HookJSON
	case HookJSON, HookSlack:
	default:
		return fmt.Errorf("%w: webhook format %q (want json or slack)", ErrInvalid, h.Format)
	}
	if h.Secret == "" {
		var err error
		if h.Secret, err = newSecret("whsec_"); err != nil {
			return err
		}
	}
	return nil
}
