package store

import (
	"bytes"
	"crypto/sha256"
	"fmt"

	"go.etcd.io/bbolt"
)

// Sets are kept in fetch_sets/<src>: key 0x00 + u64 seq → the set (first
// byte its kind), key 0x01 + SHA-256 of the set → u64 seq, so a set is
// stored once per source and records refer to it by a one-byte number.
const (
	setSeqPrefix  = 0x00
	setHashPrefix = 0x01
	// headerCandidates is how many of a source's latest header sets a new
	// fetch's headers are compared with (a site that alternates between
	// a few servers reuses each one's set).
	headerCandidates = 4
)

func setSeqKey(seq uint64) []byte { return append([]byte{setSeqPrefix}, u64(seq)...) }

// fetchReader decodes a source's fetch records in one transaction,
// keeping the sets and versions it has read.
type fetchReader struct {
	*setResolver
	tx  *bbolt.Tx
	src uint64
}

func newFetchReader(tx *bbolt.Tx, src uint64) *fetchReader {
	r := &fetchReader{tx: tx, src: src}
	r.setResolver = newSetResolver(r.set, r.readVersion)
	return r
}

// read decodes the record stored at key: a compact record, or a JSON one
// written before schema 6. Errors wrap ErrCorrupt.
func (r *fetchReader) read(key, value []byte) (Fetch, error) {
	if len(value) > 0 && value[0] == '{' {
		var f Fetch
		err := decode(value, &f)
		return f, err
	}
	f, err := decodeFetch(value, r.src, key, r)
	if err != nil {
		return Fetch{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return f, nil
}

func (r *fetchReader) set(seq uint64) ([]byte, error) {
	b := tx2sets(r.tx, r.src)
	if b == nil {
		return nil, fmt.Errorf("source %d has no sets", r.src)
	}
	v := b.Get(setSeqKey(seq))
	if v == nil {
		return nil, fmt.Errorf("missing")
	}
	return v, nil
}

func (r *fetchReader) readVersion(gen, seq uint64) (Version, error) {
	var v Version
	err := getJSON(versionBucket(r.tx, r.src, gen), u64(seq), &v)
	return v, err
}

// tx2sets is fetch_sets/<src>, or nil.
func tx2sets(tx *bbolt.Tx, src uint64) *bbolt.Bucket {
	b := tx.Bucket(bucketFetchSets)
	if b == nil {
		return nil
	}
	return b.Bucket(u64(src))
}

// versionLookup finds the version a fetch saw (seq) and its generation;
// nil when there is none to refer to.
type versionLookup func(seq uint64) (uint64, *Version)

// inGeneration looks versions up in one generation.
func inGeneration(tx *bbolt.Tx, src, gen uint64) versionLookup {
	return func(seq uint64) (uint64, *Version) {
		var v Version
		if getJSON(versionBucket(tx, src, gen), u64(seq), &v) != nil {
			return 0, nil
		}
		return gen, &v
	}
}

// compactRecord is f's compact record, its sets added to the source's as
// needed. It decodes the record and compares it with f — the log leaf
// byte for byte and every field outside it — and reports whether they
// are the same.
func compactRecord(tx *bbolt.Tx, f Fetch, versions versionLookup) ([]byte, bool, error) {
	sets, err := tx.Bucket(bucketFetchSets).CreateBucketIfNotExists(u64(f.SourceID))
	if err != nil {
		return nil, false, fmt.Errorf("sets of source %d: %w", f.SourceID, err)
	}
	w := newFetchReader(tx, f.SourceID)
	var refs fetchRefs
	if f.Version != 0 {
		refs.gen, refs.version = versions(f.Version)
		if refs.version != nil {
			w.versions[[2]uint64{refs.gen, f.Version}] = *refs.version
		}
	}
	if c := contextOf(f); !c.empty() {
		if refs.context, err = putSet(sets, encodeContext(c)); err != nil {
			return nil, false, err
		}
		w.contexts[refs.context] = c
	}
	if refs.header, refs.base, err = headerBase(sets, w, f); err != nil {
		return nil, false, err
	}
	data := encodeFetch(f, refs)
	got, err := decodeFetch(data, f.SourceID, fetchKey(f.Start, f.ID), w)
	return data, err == nil && sameFetch(got, f), nil
}

// putSet stores a set unless the source has it, and returns its number.
func putSet(sets *bbolt.Bucket, value []byte) (uint64, error) {
	sum := sha256.Sum256(value)
	hk := append([]byte{setHashPrefix}, sum[:]...)
	if seq := sets.Get(hk); len(seq) == 8 {
		if bytes.Equal(sets.Get(setSeqKey(fromU64(seq))), value) {
			return fromU64(seq), nil
		}
	}
	seq, err := sets.NextSequence()
	if err != nil {
		return 0, err
	}
	if err := sets.Put(setSeqKey(seq), value); err != nil {
		return 0, err
	}
	return seq, sets.Put(hk, u64(seq))
}

// headerBase picks the header set f's headers are stored against: the
// latest few of the source's header sets, the one the delta is smallest
// against, unless that delta is over half a set of f's own headers, when
// those become a set of their own.
func headerBase(sets *bbolt.Bucket, w *fetchReader, f Fetch) (uint64, map[string][]string, error) {
	if len(f.Header) == 0 {
		return 0, nil, nil
	}
	own := encodeHeaderSet(f.Header)
	var best uint64
	var bestBase map[string][]string
	bestSize := len(own) / 2
	c := sets.Cursor()
	c.Seek([]byte{setHashPrefix})
	found := 0
	for k, v := c.Prev(); k != nil && k[0] == setSeqPrefix && found < headerCandidates; k, v = c.Prev() {
		if len(v) == 0 || v[0] != setHeader {
			continue
		}
		found++
		h, err := decodeHeaderSet(v)
		if err != nil {
			continue // Check reports it; it is not a base to use
		}
		e := &encoder{}
		e.headerDelta(f.Header, h, &f.Start)
		if len(e.b) <= bestSize {
			best, bestBase, bestSize = fromU64(k[1:]), h, len(e.b)
		}
	}
	if best == 0 {
		seq, err := putSet(sets, own)
		if err != nil {
			return 0, nil, err
		}
		best, bestBase = seq, cloneHeader(f.Header)
	}
	w.headerz[best] = bestBase
	return best, bestBase, nil
}

// sameFetch reports whether b is a as stored: the same log leaf, and the
// same fields outside it.
func sameFetch(a, b Fetch) bool {
	return a.V == b.V && a.Reason == b.Reason && a.Error == b.Error && a.Attempts == b.Attempts && a.DocSHA256 == b.DocSHA256 &&
		a.Words == b.Words && a.Version == b.Version && a.UserAgent == b.UserAgent && a.AcceptLanguage == b.AcceptLanguage &&
		a.RenderSHA256 == b.RenderSHA256 &&
		bytes.Equal(LogLeaf(a), LogLeaf(b))
}
