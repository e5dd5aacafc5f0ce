package store

import (
	"bytes"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// moveBatch is how many fetch records one transaction of the move to
// schema 10 carries: it bounds the move's memory and each transaction's
// size, whatever the database holds.
const moveBatch = 4096

// createFetchLog is migration 10: it creates the fetch log, its index and
// the latest-fetch bucket and carries the fetch numbering over. A
// database with fetches in per-source buckets is marked for the move,
// which Open does next, in batches (moveFetches); one without has nothing
// to move. Nothing else changes in this transaction, so it stays small.
func createFetchLog(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketFetchLog, bucketFetchIndex, bucketFetchLast} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta, log, old := tx.Bucket(bucketMeta), tx.Bucket(bucketFetchLog), tx.Bucket(bucketFetches)
	if old == nil {
		return nil // moved already: the index and its watermark stay as they are
	}
	if err := log.SetSequence(max(log.Sequence(), old.Sequence())); err != nil {
		return err
	}
	if k, _ := old.Cursor().First(); k != nil {
		return meta.Put(keyFetchMove, []byte{1})
	}
	// No fetches (a new database): the empty tail starts after the
	// numbering carried over.
	if err := tx.DeleteBucket(bucketFetches); err != nil {
		return err
	}
	return meta.Put(keyFetchIndexed, u64(log.Sequence()))
}

// moveFetches moves the fetch records of a database marked by migration
// 10 from the per-source buckets into the fetch log and its index, one
// transaction per size records. Each transaction moves records (it
// writes them to the log and deletes them from their old bucket) and
// commits or not as a whole, so an interrupted move leaves every record
// in exactly one place and the next Open goes on from there. hook, when
// set, runs after each batch but the last; its error stops the move.
func (d *DB) moveFetches(size int, hook func(batch int) error) error {
	pending := false
	if err := d.run(false, func(tx *bbolt.Tx) error {
		pending = tx.Bucket(bucketMeta).Get(keyFetchMove) != nil
		return nil
	}); err != nil || !pending {
		return err
	}
	for batch := 1; ; batch++ {
		done := false
		err := d.run(true, func(tx *bbolt.Tx) error {
			var err error
			done, err = moveSome(tx, size)
			return err
		})
		if err != nil {
			return fmt.Errorf("move fetch records to schema 10 (batch %d): %w", batch, err)
		}
		if done {
			return nil
		}
		if hook != nil {
			if err := hook(batch); err != nil {
				return err
			}
		}
	}
}

// moveSome moves up to limit fetch records, and finishes the move when
// none are left: the old bucket goes, every fetch moved is indexed, the
// mark is removed. It reports whether the move is finished.
func moveSome(tx *bbolt.Tx, limit int) (bool, error) {
	meta := tx.Bucket(bucketMeta)
	old := tx.Bucket(bucketFetches)
	if meta.Get(keyFetchMove) == nil {
		return true, nil
	}
	moved := 0
	for old != nil && moved < limit {
		sk, v := old.Cursor().First()
		if sk == nil {
			break
		}
		if v != nil || len(sk) != 8 {
			return false, fmt.Errorf("%w: fetches holds %x, which is not a source's bucket (left in place)", ErrCorrupt, sk)
		}
		n, err := moveSource(tx, old.Bucket(sk), fromU64(sk), limit-moved)
		if err != nil {
			return false, fmt.Errorf("fetches of source %d: %w", fromU64(sk), err)
		}
		moved += n
		if k, _ := old.Bucket(sk).Cursor().First(); k == nil {
			if err := old.DeleteBucket(sk); err != nil {
				return false, err
			}
		}
	}
	if moved > 0 {
		return false, nil
	}
	if old != nil {
		if err := tx.DeleteBucket(bucketFetches); err != nil {
			return false, err
		}
	}
	if err := meta.Put(keyFetchIndexed, u64(tx.Bucket(bucketFetchLog).Sequence())); err != nil {
		return false, err
	}
	return true, meta.Delete(keyFetchMove)
}

// moveSource moves up to limit of src's records from b. Each record's
// bytes move unchanged; it is read before and after, and the move is
// refused if the two do not make the same log leaf byte for byte, so the
// leaf hashes the log holds still match (CheckLog checks them all).
func moveSource(tx *bbolt.Tx, b *bbolt.Bucket, src uint64, limit int) (int, error) {
	type record struct{ k, v []byte }
	var recs []record
	c := b.Cursor()
	for k, v := c.First(); k != nil && len(recs) < limit; k, v = c.Next() {
		if v == nil {
			return 0, fmt.Errorf("%w: a bucket %x among the fetch records (left in place)", ErrCorrupt, k)
		}
		recs = append(recs, record{bytes.Clone(k), bytes.Clone(v)})
	}
	log, ib := tx.Bucket(bucketFetchLog), tx.Bucket(bucketFetchIndex)
	before, after := newFetchReader(tx, src), newFetchReaders(tx)
	for _, r := range recs {
		if len(r.k) != 16 || fromU64(r.k[8:]) == 0 {
			return 0, fmt.Errorf("%w: fetch key %x (left in place)", ErrCorrupt, r.k)
		}
		id := u64(fromU64(r.k[8:]))
		if log.Get(id) != nil {
			return 0, fmt.Errorf("%w: two records are fetch %d (left in place)", ErrCorrupt, fromU64(id))
		}
		value := append(append(u64(src), r.k[:8]...), r.v...)
		if err := log.Put(id, value); err != nil {
			return 0, err
		}
		if err := ib.Put(indexKey(src, r.k), nil); err != nil {
			return 0, err
		}
		if err := noteLast(tx, src, r.k); err != nil {
			return 0, err
		}
		if err := sameLeaf(before, after, r.k, r.v, id, value); err != nil {
			return 0, fmt.Errorf("fetch %d: %w", fromU64(id), err)
		}
		if err := b.Delete(r.k); err != nil {
			return 0, err
		}
	}
	return len(recs), nil
}

// sameLeaf reads a record as it was stored and as it is moved, and
// reports an error unless both make the same leaf (or neither decodes:
// such a record is moved as it is, and CheckLog reports it).
func sameLeaf(before *fetchReader, after *fetchReaders, k, v, id, value []byte) error {
	was, errWas := before.read(k, v)
	s, err := splitFetch(id, value)
	if err != nil {
		return err
	}
	is, errIs := after.read(s)
	switch {
	case errWas != nil && errIs != nil:
		return nil
	case errWas != nil || errIs != nil:
		return errors.Join(ErrCorrupt, fmt.Errorf("it reads differently once moved (%v, %v)", errWas, errIs))
	case !bytes.Equal(LogLeaf(was), LogLeaf(is)) || !sameFetch(was, is):
		return fmt.Errorf("%w: its log leaf changed in the move", ErrCorrupt)
	}
	return nil
}
