package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.etcd.io/bbolt"
)

// E-mail subscriptions and their outbox (decision record 0034). The
// buckets are made by the first write that needs them
// (CreateBucketIfNotExists), not by a migration: a database without them
// reads as having no subscriptions and no mail, so the schema version
// stays as it is.
var (
	// bucketMailSubs: <id> → Subscription.
	bucketMailSubs = []byte("mail_subs")
	// bucketMailOutbox: <id> → Mail, every message ever queued, with its
	// delivery state.
	bucketMailOutbox = []byte("mail_outbox")
	// bucketMailKeys: a message's key ("change/3/41") → its ID, so that a
	// message is queued once however often it is planned.
	bucketMailKeys = []byte("mail_keys")
	// bucketMailPending: <id> → nothing, the messages still to send.
	bucketMailPending = []byte("mail_pending")
)

// Significance floors of a subscription.
const (
	FloorRevet = "revet" // only changes that call for re-vetting
	FloorAll   = "all"   // every change (re-extractions never)
)

// Delivery modes of a subscription.
const (
	MailImmediate = "immediate" // a message per change, as it is recorded
	MailDigest    = "digest"    // one message a day listing the day's changes
)

// Kinds of queued mail.
const (
	MailChange   = "change"
	MailDigested = "digest"
	MailReminder = "reminder"
)

// Subscription is one person's e-mail about changes and deadlines.
type Subscription struct {
	V  int    `json:"v"`
	ID uint64 `json:"id"`
	// User is who made it (the signed-in name); Email where mail goes.
	User  string `json:"user"`
	Email string `json:"email"`
	// Owner is the signed-in name (a token's) whose subscription it is:
	// the one user besides the admins who sees and removes it. ""
	// (subscriptions made before owners, or by the CLI without --owner)
	// is the admins': only they see it. A record without the field reads
	// as "", so no migration rewrites the old ones.
	Owner string `json:"owner,omitempty"`
	// Suppliers limits it to these suppliers' sources; empty: all.
	Suppliers []string `json:"suppliers,omitempty"`
	Floor     string   `json:"floor"`
	Mode      string   `json:"mode"`
	// Reminders adds deadline reminders: 60 days before a seal renewal
	// and on day 7 of an update window.
	Reminders bool      `json:"reminders,omitempty"`
	Created   time.Time `json:"created"`
	// Cursor is the last change considered (queued, skipped or put in a
	// digest); changes recorded before the subscription are not sent.
	Cursor uint64 `json:"cursor"`
	// LastDigest is the day (YYYY-MM-DD) of the last digest run.
	LastDigest string `json:"last_digest,omitempty"`
}

// Wants reports whether the subscription covers a change of a source
// with this supplier.
func (s Subscription) Wants(c Change, supplier string) bool {
	if c.Reextracted || (s.Floor == FloorRevet && !c.Revet) {
		return false
	}
	return s.Covers(supplier)
}

// Covers reports whether the subscription covers a supplier.
func (s Subscription) Covers(supplier string) bool {
	return len(s.Suppliers) == 0 || slices.Contains(s.Suppliers, supplier)
}

// Mail is one queued message and the record of sending it. Its state
// and retries follow the webhooks' (Delivery*).
type Mail struct {
	V    int    `json:"v"`
	ID   uint64 `json:"id"`
	Sub  uint64 `json:"subscription"`
	Kind string `json:"kind"`
	// Key names what the message is about, unique: "change/<sub>/<change>",
	// "digest/<sub>/<day>", "reminder/<sub>/<supplier>/<item>".
	Key     string   `json:"key"`
	To      string   `json:"to"`
	Subject string   `json:"subject"`
	Changes []uint64 `json:"changes,omitempty"`
	// Message is the message as built when it was queued: every retry
	// sends the same bytes, Message-ID included.
	Message  []byte    `json:"message,omitempty"`
	State    string    `json:"state"`
	Attempts int       `json:"attempts"`
	Error    string    `json:"error,omitempty"`
	Queued   time.Time `json:"queued"`
	Last     time.Time `json:"last,omitzero"`
	Next     time.Time `json:"next,omitzero"`
}

// mailBuckets returns the mail buckets, made when create is set; nil
// buckets (read, never written) mean nothing stored.
func mailBuckets(tx *bbolt.Tx, create bool) (subs, outbox, keys, pending *bbolt.Bucket, err error) {
	bs := make([]*bbolt.Bucket, 4)
	for i, name := range [][]byte{bucketMailSubs, bucketMailOutbox, bucketMailKeys, bucketMailPending} {
		if !create {
			bs[i] = tx.Bucket(name)
			continue
		}
		if bs[i], err = tx.CreateBucketIfNotExists(name); err != nil {
			return nil, nil, nil, nil, fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	return bs[0], bs[1], bs[2], bs[3], nil
}

// checkSubscription validates what a caller gives.
func checkSubscription(s *Subscription) error {
	s.Email = strings.TrimSpace(s.Email)
	if at := strings.IndexByte(s.Email, '@'); at <= 0 || at == len(s.Email)-1 || strings.ContainsFunc(s.Email, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return fmt.Errorf("%w: e-mail address %q", ErrInvalid, s.Email)
	}
	switch s.Floor {
	case "":
		s.Floor = FloorRevet
	case FloorRevet, FloorAll:
	default:
		return fmt.Errorf("%w: floor %q (want revet or all)", ErrInvalid, s.Floor)
	}
	switch s.Mode {
	case "":
		s.Mode = MailImmediate
	case MailImmediate, MailDigest:
	default:
		return fmt.Errorf("%w: mode %q (want immediate or digest)", ErrInvalid, s.Mode)
	}
	s.Owner = strings.TrimSpace(s.Owner)
	if s.Owner != "" {
		if err := ValidName(TokenName, s.Owner); err != nil {
			return fmt.Errorf("owner: %w", err)
		}
	}
	for i, name := range s.Suppliers {
		s.Suppliers[i] = strings.TrimSpace(name)
		if err := ValidName(SupplierName, s.Suppliers[i]); err != nil {
			return err
		}
	}
	slices.Sort(s.Suppliers)
	s.Suppliers = slices.Compact(s.Suppliers)
	return nil
}

// AddSubscription stores a subscription; it covers changes recorded from
// now on.
func (d *DB) AddSubscription(ctx context.Context, s Subscription) (Subscription, error) {
	if err := checkSubscription(&s); err != nil {
		return Subscription{}, fmt.Errorf("add subscription: %w", err)
	}
	s.V, s.Created = 1, d.now().UTC()
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		subs, _, _, _, err := mailBuckets(tx, true)
		if err != nil {
			return err
		}
		if s.ID, err = subs.NextSequence(); err != nil {
			return err
		}
		if k, _ := tx.Bucket(bucketChanges).Cursor().Last(); k != nil {
			s.Cursor = fromU64(k)
		}
		return putJSON(subs, u64(s.ID), s)
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("add subscription for %s: %w", s.Email, err)
	}
	return s, nil
}

// Subscriptions lists the subscriptions by ID.
func (d *DB) Subscriptions(ctx context.Context) ([]Subscription, error) {
	out, err := d.subscriptions(ctx, func(Subscription) bool { return true })
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	return out, nil
}

// SubscriptionsOf lists the subscriptions owner owns, by ID ("": the
// admins').
func (d *DB) SubscriptionsOf(ctx context.Context, owner string) ([]Subscription, error) {
	out, err := d.subscriptions(ctx, func(s Subscription) bool { return s.Owner == owner })
	if err != nil {
		return nil, fmt.Errorf("list subscriptions of %q: %w", owner, err)
	}
	return out, nil
}

func (d *DB) subscriptions(ctx context.Context, keep func(Subscription) bool) ([]Subscription, error) {
	var out []Subscription
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		subs, _, _, _, _ := mailBuckets(tx, false)
		if subs == nil {
			return nil
		}
		return subs.ForEach(func(k, v []byte) error {
			var s Subscription
			if err := decode(v, &s); err != nil {
				return fmt.Errorf("subscription %d: %w", fromU64(k), err)
			}
			if keep(s) {
				out = append(out, s)
			}
			return nil
		})
	})
	return out, err
}

// Subscription returns one subscription.
func (d *DB) Subscription(ctx context.Context, id uint64) (Subscription, error) {
	var s Subscription
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		subs, _, _, _, _ := mailBuckets(tx, false)
		return getJSON(subs, u64(id), &s)
	})
	if err != nil {
		return Subscription{}, fmt.Errorf("subscription %d: %w", id, err)
	}
	return s, nil
}

// DeleteSubscription removes a subscription. Its sent mail stays on
// record; what was still to send is marked failed.
func (d *DB) DeleteSubscription(ctx context.Context, id uint64) error {
	if err := d.deleteSubscription(ctx, id, func(Subscription) bool { return true }); err != nil {
		return fmt.Errorf("delete subscription %d: %w", id, err)
	}
	return nil
}

// DeleteOwnSubscription is DeleteSubscription of a subscription owner
// owns; another's is ErrNotFound, as one that does not exist, so that
// trying IDs tells nothing.
func (d *DB) DeleteOwnSubscription(ctx context.Context, id uint64, owner string) error {
	if err := d.deleteSubscription(ctx, id, func(s Subscription) bool { return s.Owner == owner }); err != nil {
		return fmt.Errorf("delete subscription %d of %q: %w", id, owner, err)
	}
	return nil
}

func (d *DB) deleteSubscription(ctx context.Context, id uint64, mine func(Subscription) bool) error {
	return d.update(ctx, func(tx *bbolt.Tx) error {
		subs, _, _, _, err := mailBuckets(tx, true)
		if err != nil {
			return err
		}
		var s Subscription
		if err := getJSON(subs, u64(id), &s); err != nil {
			return err
		}
		if !mine(s) {
			return ErrNotFound
		}
		return dropSubscriptions(tx, map[uint64]bool{id: true})
	})
}

// dropSubscriptionsOf deletes, in tx, every subscription owner owns (a
// revoked token's: its owner can no longer see or remove them).
func dropSubscriptionsOf(tx *bbolt.Tx, owner string) error {
	subs := tx.Bucket(bucketMailSubs)
	if subs == nil {
		return nil
	}
	ids := map[uint64]bool{}
	err := subs.ForEach(func(k, v []byte) error {
		var s Subscription
		if err := decode(v, &s); err != nil {
			return fmt.Errorf("subscription %d: %w", fromU64(k), err)
		}
		if s.Owner == owner {
			ids[fromU64(k)] = true
		}
		return nil
	})
	if err != nil || len(ids) == 0 {
		return err
	}
	return dropSubscriptions(tx, ids)
}

// dropSubscriptions deletes the subscriptions ids in tx. Their sent mail
// stays on record; what was still to send is marked failed.
func dropSubscriptions(tx *bbolt.Tx, ids map[uint64]bool) error {
	subs, outbox, _, pending, err := mailBuckets(tx, true)
	if err != nil {
		return err
	}
	for id := range ids {
		if err := subs.Delete(u64(id)); err != nil {
			return err
		}
	}
	var drop [][]byte
	pending.ForEach(func(k, _ []byte) error { drop = append(drop, k); return nil })
	for _, k := range drop {
		var m Mail
		if err := getJSON(outbox, k, &m); err != nil {
			return fmt.Errorf("mail %d: %w", fromU64(k), err)
		}
		if !ids[m.Sub] {
			continue
		}
		m.State, m.Next, m.Error = DeliveryFailed, time.Time{}, "subscription deleted"
		if err := putJSON(outbox, k, m); err != nil {
			return err
		}
		if err := pending.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// QueueMail queues messages for a subscription and moves its cursor (and
// the day of its last digest, when digest is set) in the same
// transaction, so that a restart neither repeats nor skips a change. A
// message whose key was queued before is left out. It returns the
// messages queued.
func (d *DB) QueueMail(ctx context.Context, sub, cursor uint64, digest string, mails []Mail) ([]Mail, error) {
	var queued []Mail
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		queued = queued[:0]
		subs, outbox, keys, pending, err := mailBuckets(tx, true)
		if err != nil {
			return err
		}
		var s Subscription
		if err := getJSON(subs, u64(sub), &s); err != nil {
			return err
		}
		for _, m := range mails {
			if m.Key == "" || keys.Get([]byte(m.Key)) != nil {
				continue
			}
			id, err := outbox.NextSequence()
			if err != nil {
				return err
			}
			m.V, m.ID, m.Sub, m.State, m.Queued = 1, id, sub, DeliveryPending, d.now().UTC()
			if err := putJSON(outbox, u64(id), m); err != nil {
				return err
			}
			if err := keys.Put([]byte(m.Key), u64(id)); err != nil {
				return err
			}
			if err := pending.Put(u64(id), nil); err != nil {
				return err
			}
			queued = append(queued, m)
		}
		if cursor > s.Cursor {
			s.Cursor = cursor
		}
		if digest != "" {
			s.LastDigest = digest
		}
		return putJSON(subs, u64(sub), s)
	})
	if err != nil {
		return nil, fmt.Errorf("queue mail for subscription %d: %w", sub, err)
	}
	return queued, nil
}

// MailQueued reports whether a message with this key was ever queued.
func (d *DB) MailQueued(ctx context.Context, key string) (bool, error) {
	found := false
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		_, _, keys, _, _ := mailBuckets(tx, false)
		found = keys != nil && keys.Get([]byte(key)) != nil
		return nil
	})
	return found, err
}

// PendingMail returns the messages still to send, oldest first.
func (d *DB) PendingMail(ctx context.Context) ([]Mail, error) {
	var out []Mail
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		_, outbox, _, pending, _ := mailBuckets(tx, false)
		if pending == nil {
			return nil
		}
		return pending.ForEach(func(k, _ []byte) error {
			var m Mail
			if err := getJSON(outbox, k, &m); err != nil {
				return fmt.Errorf("mail %d: %w", fromU64(k), err)
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("pending mail: %w", err)
	}
	return out, nil
}

// RecordMail writes a send attempt's outcome; a finished message leaves
// the pending list in the same transaction.
func (d *DB) RecordMail(ctx context.Context, m Mail) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		_, outbox, _, pending, err := mailBuckets(tx, true)
		if err != nil {
			return err
		}
		if outbox.Get(u64(m.ID)) == nil {
			return ErrNotFound
		}
		if err := putJSON(outbox, u64(m.ID), m); err != nil {
			return err
		}
		if m.State != DeliveryPending {
			return pending.Delete(u64(m.ID))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record mail %d: %w", m.ID, err)
	}
	return nil
}

// Mails returns queued messages, newest first, of one subscription (0:
// all), at most limit (0: all); without their bodies.
func (d *DB) Mails(ctx context.Context, sub uint64, limit int) ([]Mail, error) {
	var out []Mail
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		_, outbox, _, _, _ := mailBuckets(tx, false)
		if outbox == nil {
			return nil
		}
		c := outbox.Cursor()
		for k, v := c.Last(); k != nil && (limit <= 0 || len(out) < limit); k, v = c.Prev() {
			var m Mail
			if err := decode(v, &m); err != nil {
				return fmt.Errorf("mail %d: %w", fromU64(k), err)
			}
			if sub == 0 || m.Sub == sub {
				m.Message = nil
				out = append(out, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list mail: %w", err)
	}
	return out, nil
}
