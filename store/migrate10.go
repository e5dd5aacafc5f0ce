package store

import (
	"bytes"
	"cmp"
	"container/heap"
	"errors"
	"fmt"
	"slices"

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
//
// The records go in ID order across sources (the next limit smallest IDs
// of all the per-source buckets), so the log is written as recording
// writes it, appended, its pages packed full; moved source by source, the
// IDs of each batch would fall all over the log and split its pages half
// full (TestMoveFill; decision record 0054).
func moveSome(tx *bbolt.Tx, limit int) (bool, error) {
	meta := tx.Bucket(bucketMeta)
	old := tx.Bucket(bucketFetches)
	if meta.Get(keyFetchMove) == nil {
		return true, nil
	}
	if old != nil {
		recs, err := nextByID(old, limit)
		if err != nil {
			return false, err
		}
		if len(recs) > 0 {
			return false, moveRecords(tx, old, recs)
		}
		if err := tx.DeleteBucket(bucketFetches); err != nil {
			return false, err
		}
	}
	if err := meta.Put(keyFetchIndexed, u64(tx.Bucket(bucketFetchLog).Sequence())); err != nil {
		return false, err
	}
	return true, meta.Delete(keyFetchMove)
}

// oldRecord is a record in a schema-9 per-source bucket.
type oldRecord struct {
	src  uint64
	k, v []byte // fetchKey(start, id) and the record
}

func (r oldRecord) id() uint64 { return fromU64(r.k[8:]) }

// oldCursor walks one source's schema-9 bucket, a few records ahead:
// the bucket is in (start, ID) order, and a fetch backdated past earlier
// ones comes before lower IDs; the window hands those out first.
type oldCursor struct {
	c      *bbolt.Cursor
	src    uint64
	window []oldRecord // sorted by ID
	// started: First was called; done: Next found no more.
	started, done bool
}

// lookahead is how many records a source's cursor reads ahead.
const lookahead = 16

// fill reads up to lookahead records ahead.
func (o *oldCursor) fill() error {
	for !o.done && len(o.window) < lookahead {
		var k, v []byte
		if !o.started {
			k, v = o.c.First()
			o.started = true
		} else {
			k, v = o.c.Next()
		}
		if k == nil {
			o.done = true
			break
		}
		if v == nil {
			return fmt.Errorf("%w: a bucket %x among the fetch records (left in place)", ErrCorrupt, k)
		}
		if len(k) != 16 || fromU64(k[8:]) == 0 {
			return fmt.Errorf("%w: fetch key %x (left in place)", ErrCorrupt, k)
		}
		r := oldRecord{src: o.src, k: k, v: v}
		i, _ := slices.BinarySearchFunc(o.window, r, func(a, b oldRecord) int { return cmp.Compare(a.id(), b.id()) })
		o.window = slices.Insert(o.window, i, r)
	}
	return nil
}

// nextByID returns up to limit records of old's source buckets, those
// with the smallest IDs, in ID order (a merge of the sources' buckets),
// copied out of the transaction's pages.
func nextByID(old *bbolt.Bucket, limit int) ([]oldRecord, error) {
	h := &cursorHeap{}
	err := old.ForEach(func(sk, v []byte) error {
		if v != nil || len(sk) != 8 {
			return fmt.Errorf("%w: fetches holds %x, which is not a source's bucket (left in place)", ErrCorrupt, sk)
		}
		o := &oldCursor{c: old.Bucket(sk).Cursor(), src: fromU64(sk)}
		if err := o.fill(); err != nil {
			return err
		}
		if len(o.window) > 0 {
			h.items = append(h.items, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	heap.Init(h)
	var out []oldRecord
	for h.Len() > 0 && len(out) < limit {
		o := h.items[0]
		r := o.window[0]
		out = append(out, oldRecord{src: r.src, k: bytes.Clone(r.k), v: bytes.Clone(r.v)})
		o.window = o.window[1:]
		if err := o.fill(); err != nil {
			return nil, err
		}
		if len(o.window) > 0 {
			heap.Fix(h, 0)
		} else {
			heap.Pop(h)
		}
	}
	return out, nil
}

// cursorHeap orders source cursors by the lowest ID in their window.
type cursorHeap struct{ items []*oldCursor }

func (h *cursorHeap) Len() int { return len(h.items) }
func (h *cursorHeap) Less(i, j int) bool {
	return h.items[i].window[0].id() < h.items[j].window[0].id()
}
func (h *cursorHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *cursorHeap) Push(x any)    { h.items = append(h.items, x.(*oldCursor)) }
func (h *cursorHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// moveRecords moves recs (in ID order) from old's source buckets to the
// log and its index, and deletes the source buckets they empty. Each
// record's bytes move unchanged; it is read before and after, and the
// move is refused if the two do not make the same log leaf byte for byte,
// so the leaf hashes the log holds still match (CheckLog checks them all).
func moveRecords(tx *bbolt.Tx, old *bbolt.Bucket, recs []oldRecord) error {
	log, ib := tx.Bucket(bucketFetchLog), tx.Bucket(bucketFetchIndex)
	log.FillPercent = 1 // appended in ID order, as recording appends
	before, after := map[uint64]*fetchReader{}, newFetchReaders(tx)
	slices.SortFunc(recs, func(a, b oldRecord) int { return cmp.Compare(a.id(), b.id()) })
	for _, r := range recs {
		id := u64(r.id())
		if log.Get(id) != nil {
			return fmt.Errorf("%w: two records are fetch %d (left in place)", ErrCorrupt, r.id())
		}
		value := append(append(u64(r.src), r.k[:8]...), r.v...)
		if err := log.Put(id, value); err != nil {
			return err
		}
		if before[r.src] == nil {
			before[r.src] = newFetchReader(tx, r.src)
		}
		if err := sameLeaf(before[r.src], after, r.k, r.v, id, value); err != nil {
			return fmt.Errorf("fetch %d: %w", r.id(), err)
		}
		if err := noteLast(tx, r.src, r.k); err != nil {
			return err
		}
		if err := old.Bucket(u64(r.src)).Delete(r.k); err != nil {
			return err
		}
	}
	// The index gets each source's entries together, after its earlier
	// ones, as a flush of the tail writes them.
	keys := make([][]byte, len(recs))
	for i, r := range recs {
		keys[i] = indexKey(r.src, r.k)
	}
	slices.SortFunc(keys, bytes.Compare)
	for _, k := range keys {
		if err := ib.Put(k, nil); err != nil {
			return err
		}
	}
	for src := range before {
		if k, _ := old.Bucket(u64(src)).Cursor().First(); k == nil {
			if err := old.DeleteBucket(u64(src)); err != nil {
				return err
			}
		}
	}
	return nil
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
