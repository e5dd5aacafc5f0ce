package store

import (
	"bytes"
	"fmt"

	"go.etcd.io/bbolt"
)

// fetchStored reports whether the fetch log holds src's fetch at key
// (fetchKey).
func fetchStored(tx *bbolt.Tx, src uint64, key []byte) bool {
	v := tx.Bucket(bucketFetchLog).Get(key[8:])
	s, err := splitFetch(key[8:], v)
	return err == nil && s.src == src && bytes.Equal(s.key, key)
}

// checkFetchLog checks the fetch log and what is derived from it: every
// record decodes, belongs to a source and has its blobs; every record up
// to the watermark is in the index, and the index names only records the
// log holds; each source's latest fetch is the one fetch_last names. A
// move to schema 10 left unfinished is reported too.
func checkFetchLog(tx *bbolt.Tx, hasBlob func(what, hash string), errs *[]error) {
	bad := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...))
	}
	if tx.Bucket(bucketMeta).Get(keyFetchMove) != nil || tx.Bucket(bucketFetches) != nil {
		bad("the move of fetch records to the fetch log (schema 10) is unfinished")
	}
	log, index := tx.Bucket(bucketFetchLog), tx.Bucket(bucketFetchIndex)
	w := indexedUpTo(tx)
	if w > log.Sequence() {
		bad("the fetch index claims fetches up to %d, but only %d were numbered", w, log.Sequence())
	}
	sources := tx.Bucket(bucketSources)
	rs := newFetchReaders(tx)
	latest := map[uint64][]byte{}
	indexed := 0
	log.ForEach(func(k, v []byte) error {
		s, err := splitFetch(k, v)
		if err != nil {
			*errs = append(*errs, err)
			return nil
		}
		what := fmt.Sprintf("source %d fetch %d", s.src, s.id)
		if sources.Get(u64(s.src)) == nil {
			bad("%s: no such source", what)
		}
		if s.id <= w {
			indexed++
			if index.Get(indexKey(s.src, s.key)) == nil {
				bad("%s: missing from the fetch index", what)
			}
		}
		if bytes.Compare(s.key, latest[s.src]) > 0 {
			latest[s.src] = s.key
		}
		f, err := rs.read(s)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s: %w", what, err))
			return nil
		}
		hasBlob(what+" body", f.BodySHA256)
		hasBlob(what+" document", f.DocSHA256)
		return nil
	})
	entries := 0
	index.ForEach(func(k, _ []byte) error {
		entries++
		if len(k) != 24 || fromU64(k[16:]) > w || !fetchStored(tx, fromU64(k), k[8:]) {
			bad("the fetch index entry %x names no fetch the log holds up to %d", k, w)
		}
		return nil
	})
	if entries != indexed && len(*errs) == 0 {
		bad("the fetch index has %d entries for %d fetches", entries, indexed)
	}
	last := tx.Bucket(bucketFetchLast)
	last.ForEach(func(k, v []byte) error {
		if !bytes.Equal(v, latest[fromU64(k)]) {
			bad("source %d's latest fetch is %x, not %x", fromU64(k), latest[fromU64(k)], v)
		}
		return nil
	})
	for src := range latest {
		if last.Get(u64(src)) == nil {
			bad("source %d's latest fetch is not noted", src)
		}
	}
}
