package store

import (
	"context"
	"fmt"

	"go.etcd.io/bbolt"
)

// Reads for copying a database into another backend (pgstore.CopyFrom,
// "clausewatch migrate"): what the contract never lists because nothing
// else needs it whole.

// EachSession calls fn with every stored session, expired or not, in
// key order.
func (d *DB) EachSession(ctx context.Context, fn func(Session) error) error {
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSessions).ForEach(func(k, v []byte) error {
			var s Session
			if err := decode(v, &s); err != nil {
				return fmt.Errorf("session %.8x…: %w", k, err)
			}
			return fn(s)
		})
	})
	if err != nil {
		return fmt.Errorf("read sessions: %w", err)
	}
	return nil
}

// EachMail calls fn with every queued message, oldest first, with its
// body (Mails leaves bodies out), and whether it is still to send.
func (d *DB) EachMail(ctx context.Context, fn func(m Mail, pending bool) error) error {
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		_, outbox, _, pending, _ := mailBuckets(tx, false)
		if outbox == nil {
			return nil
		}
		return outbox.ForEach(func(k, v []byte) error {
			var m Mail
			if err := decode(v, &m); err != nil {
				return fmt.Errorf("mail %d: %w", fromU64(k), err)
			}
			return fn(m, pending != nil && pending.Get(k) != nil)
		})
	})
	if err != nil {
		return fmt.Errorf("read mail: %w", err)
	}
	return nil
}
