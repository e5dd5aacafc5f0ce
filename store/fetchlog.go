package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"go.etcd.io/bbolt"
)

// Schema 10 (decision record 0049) keeps every fetch record in one bucket
// in the order fetches are numbered, which is the order they are
// recorded, so an unchanged round appends to the same few pages instead
// of rewriting a page of every source's own fetch bucket:
//
//	fetch_log   <id>                  <src><start> + the record (compact, or JSON before schema 6)
//	fetch_index <src><start><id>      empty: every fetch up to meta "fetch_indexed", by source and time
//	fetch_last  <src>                 <start><id>: the source's latest fetch by start time
//
// The per-source index is written in bulk (flushIndex), not per fetch:
// once the fetches after the watermark, the tail, reach
// FetchIndexOptions' bound. A source's fetches are those the index names
// plus those of the tail, which is scanned by key and the first 8 bytes
// of each value (the source), so reads are right between flushes.
var (
	bucketFetchLog   = []byte("fetch_log")
	bucketFetchIndex = []byte("fetch_index")
	bucketFetchLast  = []byte("fetch_last")
	// keyFetchIndexed is the watermark: every fetch with an ID up to it
	// is in fetch_index. keyFetchMove marks a move from the schema-9
	// per-source buckets that has not finished (migrate10.go).
	keyFetchIndexed = []byte("fetch_indexed")
	keyFetchMove    = []byte("fetch_move")
)

// fetchPrefix is the length of a fetch_log value's source and start.
const fetchPrefix = 16

// FetchIndexOptions bounds the unindexed tail of the fetch log: the index
// is written when the fetches recorded since it was last written reach
// Rounds per source (one round of a daemon checks each source once), or
// MaxTail, whichever is less. Zero values take the defaults.
type FetchIndexOptions struct {
	// Rounds is how many fetches per source the tail may reach. Default 16.
	Rounds int
	// MaxTail is the most fetches the tail may hold, which bounds what a
	// read of one source's fetches scans. Default 131,072.
	MaxTail int
}

func (o FetchIndexOptions) withDefaults() FetchIndexOptions {
	if o.Rounds <= 0 {
		o.Rounds = 16
	}
	if o.MaxTail <= 0 {
		o.MaxTail = 1 << 17
	}
	return o
}

// fetchLogValue is a fetch_log value: source, start, record.
func fetchLogValue(src uint64, start time.Time, rec []byte) []byte {
	v := make([]byte, fetchPrefix, fetchPrefix+len(rec))
	binary.BigEndian.PutUint64(v, src)
	binary.BigEndian.PutUint64(v[8:], uint64(start.UnixNano()))
	return append(v, rec...)
}

// storedFetch is a fetch_log entry taken apart.
type storedFetch struct {
	id, src uint64
	key     []byte // fetchKey(start, id), as the record decoders take it
	rec     []byte
}

// splitFetch takes a fetch_log entry apart; ErrCorrupt when it is too
// short to be one.
func splitFetch(k, v []byte) (storedFetch, error) {
	if len(k) != 8 || len(v) <= fetchPrefix {
		return storedFetch{}, fmt.Errorf("%w: fetch log entry %x: a %d-byte key and a %d-byte value", ErrCorrupt, k, len(k), len(v))
	}
	key := make([]byte, 16)
	copy(key, v[8:fetchPrefix])
	copy(key[8:], k)
	return storedFetch{id: fromU64(k), src: fromU64(v[:8]), key: key, rec: v[fetchPrefix:]}, nil
}

func (s storedFetch) start() time.Time { return time.Unix(0, int64(fromU64(s.key[:8]))).UTC() }

// indexKey is fetch_index's key for a fetch of src at key (fetchKey).
func indexKey(src uint64, key []byte) []byte { return append(u64(src), key...) }

// fetchReaders decodes fetch records of any source in one transaction.
type fetchReaders struct {
	tx *bbolt.Tx
	m  map[uint64]*fetchReader
}

func newFetchReaders(tx *bbolt.Tx) *fetchReaders {
	return &fetchReaders{tx: tx, m: map[uint64]*fetchReader{}}
}

func (rs *fetchReaders) read(s storedFetch) (Fetch, error) {
	r := rs.m[s.src]
	if r == nil {
		r = newFetchReader(rs.tx, s.src)
		rs.m[s.src] = r
	}
	return r.read(s.key, s.rec)
}

// putFetch stores f (its ID set) in the fetch log as a compact record,
// or as JSON, as before schema 6, when the compact record would not read
// back as f (see compactRecord): a leaf logged is always a leaf the store
// can rebuild. It moves the source's latest fetch on, and adds it to
// tail (nil: none).
func putFetch(tx *bbolt.Tx, tail *fetchTail, f Fetch, versions versionLookup) error {
	data, ok, err := compactRecord(tx, f, versions)
	if err != nil {
		return err
	}
	if !ok {
		if data, err = jsonMarshal(f); err != nil {
			return fmt.Errorf("fetch %d: %w", f.ID, err)
		}
	}
	b := tx.Bucket(bucketFetchLog)
	b.FillPercent = 1 // appended in ID order
	if err := b.Put(u64(f.ID), fetchLogValue(f.SourceID, f.Start, data)); err != nil {
		return err
	}
	if tail != nil && tail.add(tx, f.SourceID, f.ID) {
		// Before the commit, which may remap the file.
		releaseResident(tx)
	}
	return noteLast(tx, f.SourceID, fetchKey(f.Start, f.ID))
}

// noteLast makes key src's latest fetch unless a later one is.
func noteLast(tx *bbolt.Tx, src uint64, key []byte) error {
	b := tx.Bucket(bucketFetchLast)
	if old := b.Get(u64(src)); old != nil && bytes.Compare(old, key) >= 0 {
		return nil
	}
	return b.Put(u64(src), key)
}

// indexedUpTo is the index's watermark.
func indexedUpTo(tx *bbolt.Tx) uint64 { return fromU64(tx.Bucket(bucketMeta).Get(keyFetchIndexed)) }

// sourceFetchKeys returns the keys (fetchKey) of src's fetches that
// started in [from, to), zero times leaving that end open, in key order:
// those the index names and those of the tail, which tail (nil: none)
// names or else a scan of the tail finds.
func sourceFetchKeys(tx *bbolt.Tx, tail *fetchTail, src uint64, from, to time.Time) [][]byte {
	var lo, hi []byte
	if !from.IsZero() {
		lo = timeKey(from)
	}
	if !to.IsZero() {
		hi = timeKey(to)
	}
	in := func(key []byte) bool {
		return (lo == nil || bytes.Compare(key, lo) >= 0) && (hi == nil || bytes.Compare(key, hi) < 0)
	}
	var out [][]byte
	prefix := u64(src)
	c := tx.Bucket(bucketFetchIndex).Cursor()
	k, _ := c.Seek(append(prefix, lo...))
	for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		key := k[8:]
		if hi != nil && bytes.Compare(key, hi) >= 0 {
			break
		}
		if len(key) == 16 {
			out = append(out, bytes.Clone(key))
		}
	}
	indexed := len(out)
	log := tx.Bucket(bucketFetchLog)
	w := indexedUpTo(tx)
	if ids, ok := tail.lookup(src, w, log.Sequence()); ok {
		for _, id := range ids {
			k := u64(id)
			if v := log.Get(k); len(v) >= fetchPrefix && bytes.Equal(v[:8], prefix) {
				if key := append(bytes.Clone(v[8:fetchPrefix]), k...); in(key) {
					out = append(out, key)
				}
			}
		}
	} else {
		c := log.Cursor()
		for k, v := c.Seek(u64(w + 1)); k != nil; k, v = c.Next() {
			if len(v) < fetchPrefix || !bytes.Equal(v[:8], prefix) {
				continue
			}
			if key := append(bytes.Clone(v[8:fetchPrefix]), k...); in(key) {
				out = append(out, key)
			}
		}
	}
	if len(out) > indexed {
		slices.SortFunc(out, bytes.Compare)
	}
	return out
}

// lastFetchKey is src's latest fetch's key, nil when it has none.
func lastFetchKey(tx *bbolt.Tx, src uint64) []byte {
	if k := tx.Bucket(bucketFetchLast).Get(u64(src)); len(k) == 16 {
		return k
	}
	return nil
}

// readFetch reads src's fetch at key (fetchKey); ErrNotFound when the
// log holds no such fetch of src.
func readFetch(tx *bbolt.Tx, rs *fetchReaders, src uint64, key []byte) (Fetch, error) {
	id := key[8:]
	v := tx.Bucket(bucketFetchLog).Get(id)
	if v == nil {
		return Fetch{}, ErrNotFound
	}
	s, err := splitFetch(id, v)
	if err != nil {
		return Fetch{}, err
	}
	if s.src != src || !bytes.Equal(s.key, key) {
		return Fetch{}, ErrNotFound
	}
	return rs.read(s)
}

// indexDue reports whether the tail has reached its bound.
func indexDue(tx *bbolt.Tx, o FetchIndexOptions) bool {
	tail := tx.Bucket(bucketFetchLog).Sequence() - indexedUpTo(tx)
	sources := max(tx.Bucket(bucketSources).Sequence(), 1)
	return tail >= min(uint64(o.MaxTail), uint64(o.Rounds)*sources)
}

// flushIndex adds the tail to fetch_index, sorted so each source's
// entries go in together, and moves the watermark to the last fetch
// numbered. It returns how many entries it wrote. An entry too damaged to
// name its source gets none (Check reports it).
func flushIndex(tx *bbolt.Tx) (int, error) {
	log := tx.Bucket(bucketFetchLog)
	var keys [][]byte
	c := log.Cursor()
	for k, v := c.Seek(u64(indexedUpTo(tx) + 1)); k != nil; k, v = c.Next() {
		if s, err := splitFetch(k, v); err == nil {
			keys = append(keys, indexKey(s.src, s.key))
		}
	}
	slices.SortFunc(keys, bytes.Compare)
	ib := tx.Bucket(bucketFetchIndex)
	// Each source's entries go in after its earlier ones, in order: pages
	// split full, as in an append-only bucket.
	ib.FillPercent = 1
	for _, k := range keys {
		if err := ib.Put(k, nil); err != nil {
			return 0, fmt.Errorf("fetch index: %w", err)
		}
	}
	return len(keys), tx.Bucket(bucketMeta).Put(keyFetchIndexed, u64(log.Sequence()))
}

// eachFetch calls fn with every fetch record, wherever it is: in the
// fetch log, and in the per-source buckets of schema 9 and before, which
// the migrations and the log's backfill read before the move to the log.
func eachFetch(tx *bbolt.Tx, fn func(s storedFetch, rs *fetchReaders) error) error {
	rs := newFetchReaders(tx)
	if old := tx.Bucket(bucketFetches); old != nil {
		err := old.ForEachBucket(func(sk []byte) error {
			return old.Bucket(sk).ForEach(func(k, v []byte) error {
				if len(k) != 16 {
					return fmt.Errorf("%w: fetch key %x of source %d", ErrCorrupt, k, fromU64(sk))
				}
				return fn(storedFetch{id: fromU64(k[8:]), src: fromU64(sk), key: k, rec: v}, rs)
			})
		})
		if err != nil {
			return err
		}
	}
	if log := tx.Bucket(bucketFetchLog); log != nil {
		return log.ForEach(func(k, v []byte) error {
			s, err := splitFetch(k, v)
			if err != nil {
				return err
			}
			return fn(s, rs)
		})
	}
	return nil
}
