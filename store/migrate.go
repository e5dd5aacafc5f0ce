package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// compactFetches is migration 6: every JSON fetch record is rewritten as
// a compact one when that decodes to the same fetch and the same log leaf
// byte for byte (compactRecord checks each); any other is left as it was,
// and read as JSON. Around the rewrite it runs the log's leaf check twice
// — how many fetch records do not hash to the leaf logged for them — and
// refuses the migration, rolling it back, if the count moved: the proof
// that no leaf changed.
func compactFetches(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketFetchSets); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketFetchSets, err)
	}
	leafAt := legacyLeaf(tx)
	before, err := leafMismatches(tx, leafAt)
	if err != nil {
		return err
	}
	fetches := tx.Bucket(bucketFetches)
	var sources [][]byte
	fetches.ForEachBucket(func(k []byte) error {
		sources = append(sources, bytes.Clone(k))
		return nil
	})
	for _, sk := range sources {
		if err := compactSource(tx, fetches.Bucket(sk), fromU64(sk)); err != nil {
			return fmt.Errorf("fetches of source %d: %w", fromU64(sk), err)
		}
	}
	after, err := leafMismatches(tx, leafAt)
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("%w: %d fetch records did not match their log leaves before the rewrite, %d after", ErrCorrupt, before, after)
	}
	return nil
}

// compactSource rewrites one source's JSON fetch records.
func compactSource(tx *bbolt.Tx, b *bbolt.Bucket, src uint64) error {
	type record struct{ k, v []byte }
	var old []record
	b.ForEach(func(k, v []byte) error {
		if len(v) > 0 && v[0] == '{' {
			old = append(old, record{bytes.Clone(k), bytes.Clone(v)})
		}
		return nil
	})
	for _, r := range old {
		var f Fetch
		if decode(r.v, &f) != nil || f.SourceID != src || !bytes.Equal(fetchKey(f.Start, f.ID), r.k) {
			continue // kept as it is: the log check reports it
		}
		data, ok, err := compactRecord(tx, f, anyGeneration(tx, src, f))
		if err != nil {
			return fmt.Errorf("fetch %d: %w", f.ID, err)
		}
		if ok {
			b.FillPercent = 1
			if err := b.Put(r.k, data); err != nil {
				return err
			}
		}
	}
	return nil
}

// anyGeneration finds the version a fetch of a database older than
// schema 6 saw (its records name the version but not its generation): of
// the generations that have it, the one whose hashes match the fetch's
// most, newest first.
func anyGeneration(tx *bbolt.Tx, src uint64, f Fetch) versionLookup {
	return func(seq uint64) (uint64, *Version) {
		sv := tx.Bucket(bucketVersions).Bucket(u64(src))
		if sv == nil {
			return 0, nil
		}
		var gen uint64
		var best *Version
		score := -1
		c := sv.Cursor()
		for k, _ := c.Last(); k != nil; k, _ = c.Prev() {
			var v Version
			if getJSON(sv.Bucket(k), u64(seq), &v) != nil {
				continue
			}
			s := 0
			for _, p := range [][2]string{{v.BodySHA256, f.BodySHA256}, {v.DocSHA256, f.DocSHA256}, {v.TextSHA256, f.TextSHA256}} {
				if p[0] != "" && p[0] == p[1] {
					s++
				}
			}
			if s > score {
				gen, best, score = fromU64(k), &v, s
			}
		}
		return gen, best
	}
}

// legacyLeaf reads the leaf hash logged for a fetch from the schema-5
// log (log_index, then the hash at its stored index).
func legacyLeaf(tx *bbolt.Tx) func(id uint64) (tlog.Hash, bool) {
	index, hashes := tx.Bucket(bucketLogIndex), tx.Bucket(bucketLog)
	return func(id uint64) (tlog.Hash, bool) {
		var h tlog.Hash
		if index == nil || hashes == nil {
			return h, false
		}
		n := index.Get(u64(id))
		if n == nil {
			return h, false
		}
		v := hashes.Get(u64(uint64(tlog.StoredHashIndex(0, int64(fromU64(n))))))
		copy(h[:], v)
		return h, len(v) == tlog.HashSize
	}
}

// leafMismatches counts the fetch records that do not decode, or whose
// log leaf is not the one logged for them (leafAt), or that are not in
// the log.
func leafMismatches(tx *bbolt.Tx, leafAt func(id uint64) (tlog.Hash, bool)) (int, error) {
	bad := 0
	fetches := tx.Bucket(bucketFetches)
	err := fetches.ForEachBucket(func(sk []byte) error {
		r := newFetchReader(tx, fromU64(sk))
		return fetches.Bucket(sk).ForEach(func(k, v []byte) error {
			f, err := r.read(k, v)
			want, ok := leafAt(fromU64(k[8:]))
			if err != nil || !ok || tlog.RecordHash(LogLeaf(f)) != want {
				bad++
			}
			return nil
		})
	})
	return bad, err
}
