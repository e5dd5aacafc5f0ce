package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Due is when the daemon next checks a source. It lives in the database,
// not in a timer list, so a daemon that was down knows on start what is
// overdue.
type Due struct {
	V        int    `json:"v"`
	SourceID uint64 `json:"source"`
	// Schedule is the cron spec Slot was computed from (the source's own
	// or the daemon's default), so a changed spec is noticed.
	Schedule string `json:"schedule"`
	// Zone is the time zone the spec was read in.
	Zone string `json:"zone,omitempty"`
	// Slot is the schedule's time for the next check; At is Slot plus the
	// source's jitter, when the check is due.
	Slot time.Time `json:"slot"`
	At   time.Time `json:"at"`
	// LastStart and LastEnd bound the last check the daemon finished
	// (zero before the first).
	LastStart time.Time `json:"last_start,omitzero"`
	LastEnd   time.Time `json:"last_end,omitzero"`
}

// SetDue stores when a source is next due, replacing what was there. The
// source must exist. A scheduled check writes its due time with its
// Record instead (one commit); SetDue is for checks that failed before
// recording, on-demand checks and tests. (bbolt's Batch was measured
// slower here: each call waits out MaxBatchDelay; decision record 0010.)
func (d *DB) SetDue(ctx context.Context, due Due) error {
	if err := d.update(ctx, func(tx *bbolt.Tx) error { return putDue(tx, due) }); err != nil {
		return fmt.Errorf("set due time of source %d: %w", due.SourceID, err)
	}
	return nil
}

// SetDues stores many due records in one transaction (the daemon's
// start-up sync over every source).
func (d *DB) SetDues(ctx context.Context, dues []Due) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		for _, due := range dues {
			if err := putDue(tx, due); err != nil {
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

// putDue writes a due record and moves its queue entry.
func putDue(tx *bbolt.Tx, due Due) error {
	if due.At.IsZero() {
		return fmt.Errorf("%w: no due time", ErrInvalid)
	}
	due.V = 1
	due.Slot, due.At = due.Slot.UTC(), due.At.UTC()
	key := u64(due.SourceID)
	if tx.Bucket(bucketSources).Get(key) == nil {
		return fmt.Errorf("source %d: %w", due.SourceID, ErrNotFound)
	}
	dues, queue := tx.Bucket(bucketDue), tx.Bucket(bucketQueue)
	var old Due
	if err := getJSON(dues, key, &old); err == nil {
		if err := queue.Delete(queueKey(old.At, old.SourceID)); err != nil {
			return err
		}
	}
	if err := putJSON(dues, key, due); err != nil {
		return err
	}
	return queue.Put(queueKey(due.At, due.SourceID), nil)
}

// DeleteDue takes a source off the schedule (a paused source). Deleting
// what is not there is not an error.
func (d *DB) DeleteDue(ctx context.Context, sourceID uint64) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		key := u64(sourceID)
		dues := tx.Bucket(bucketDue)
		var old Due
		if err := getJSON(dues, key, &old); err != nil {
			return nil
		}
		if err := tx.Bucket(bucketQueue).Delete(queueKey(old.At, old.SourceID)); err != nil {
			return err
		}
		return dues.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("delete due time of source %d: %w", sourceID, err)
	}
	return nil
}

// DueOf returns a source's due record; ErrNotFound when it has none.
func (d *DB) DueOf(ctx context.Context, sourceID uint64) (Due, error) {
	var due Due
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketDue), u64(sourceID), &due) })
	if err != nil {
		return Due{}, fmt.Errorf("due time of source %d: %w", sourceID, err)
	}
	return due, nil
}

// Dues returns every due record, by source ID.
func (d *DB) Dues(ctx context.Context) ([]Due, error) {
	var out []Due
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketDue).ForEach(func(k, v []byte) error {
			var due Due
			if err := decode(v, &due); err != nil {
				return fmt.Errorf("due time of source %d: %w", fromU64(k), err)
			}
			out = append(out, due)
			return nil
		})
	})
	return out, err
}

// DueBy returns the sources due at or before t, earliest first, at most
// limit (0: all). The queue is ordered by due time, so this reads only
// what is due however many sources there are.
func (d *DB) DueBy(ctx context.Context, t time.Time, limit int) ([]Due, error) {
	return d.DueByExcept(ctx, t, limit, nil)
}

// DueByExcept is DueBy leaving out the sources skip names, before their
// records are read: the daemon's loop skips the sources it is checking,
// which are still due until their checks are recorded, without decoding
// a record for each of them every time a check ends.
func (d *DB) DueByExcept(ctx context.Context, t time.Time, limit int, skip func(sourceID uint64) bool) ([]Due, error) {
	var out []Due
	end := queueKey(t, ^uint64(0))
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		dues := tx.Bucket(bucketDue)
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			if len(k) == 16 && skip != nil && skip(fromU64(k[8:16])) {
				continue
			}
			var due Due
			if err := getJSON(dues, k[8:16], &due); err != nil {
				return fmt.Errorf("queue entry %x: %w", k, err)
			}
			out = append(out, due)
		}
		return nil
	})
	return out, err
}

// checkSchedule adds the schedule's invariants to Check: every due record
// decodes, belongs to a source and has exactly its queue entry, and every
// queue entry has its due record.
func checkSchedule(tx *bbolt.Tx, errs *[]error) {
	dues, queue, sources := tx.Bucket(bucketDue), tx.Bucket(bucketQueue), tx.Bucket(bucketSources)
	want := map[string]bool{}
	dues.ForEach(func(k, v []byte) error {
		var due Due
		if err := decode(v, &due); err != nil {
			*errs = append(*errs, fmt.Errorf("due time of source %d: %w", fromU64(k), err))
			return nil
		}
		if due.SourceID != fromU64(k) || sources.Get(k) == nil {
			*errs = append(*errs, fmt.Errorf("due time of source %d: %w: no such source", fromU64(k), ErrCorrupt))
		}
		qk := queueKey(due.At, due.SourceID)
		want[string(qk)] = true
		if !queueHas(queue, qk) {
			*errs = append(*errs, fmt.Errorf("due time of source %d: %w: not in the queue", due.SourceID, ErrCorrupt))
		}
		return nil
	})
	queue.ForEach(func(k, _ []byte) error {
		if !want[string(k)] {
			*errs = append(*errs, fmt.Errorf("queue entry %x: %w: no matching due time", k, ErrCorrupt))
		}
		return nil
	})
}

// queueHas reports whether the queue holds exactly key (values are empty,
// so Get cannot tell a present key from a missing one).
func queueHas(queue *bbolt.Bucket, key []byte) bool {
	k, _ := queue.Cursor().Seek(key)
	return k != nil && bytes.Equal(k, key)
}
