package store

import (
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// A source's current version is last seen by every unchanged fetch. Kept
// in the version record, that moved versions/<src> — a page per source,
// since a bucket that holds a bucket is never inline — on every check.
// Instead the latest sighting is kept in seen/<src> (schema 9), a small
// record that shares its pages with neighbouring sources, and is laid
// over the version it names whenever a version is read. It is folded
// into that version's record when a sighting of another version
// replaces it (decision record 0041).
type seenRecord struct {
	V          int       `json:"v"`
	Generation uint64    `json:"generation"`
	Seq        uint64    `json:"seq"`
	LastSeen   time.Time `json:"last_seen"`
	LastFetch  uint64    `json:"last_fetch"`
}

// seenOf reads src's sighting; ok is false when it has none.
func seenOf(tx *bbolt.Tx, src uint64) (s seenRecord, ok bool, err error) {
	b := tx.Bucket(bucketSeen)
	if b == nil {
		return s, false, nil
	}
	v := b.Get(u64(src))
	if v == nil {
		return s, false, nil
	}
	if err := decode(v, &s); err != nil {
		return s, false, fmt.Errorf("last sighting of source %d: %w", src, err)
	}
	return s, true, nil
}

// over lays s over ver, a version of generation gen: its last-seen
// moves on when s names it and is later.
func (s seenRecord) over(gen uint64, ver *Version) {
	if s.Generation == gen && s.Seq == ver.Seq && s.LastFetch > ver.LastFetch {
		ver.LastSeen, ver.LastFetch = s.LastSeen, s.LastFetch
	}
}

// getVersion reads version seq of src's generation gen with its latest
// sighting laid over it.
func getVersion(tx *bbolt.Tx, src, gen, seq uint64, ver *Version) error {
	if err := getJSON(versionBucket(tx, src, gen), u64(seq), ver); err != nil {
		return err
	}
	s, ok, err := seenOf(tx, src)
	if err != nil {
		return err
	}
	if ok {
		s.over(gen, ver)
	}
	return nil
}

// markSeen records that fetch fid, started at start, saw version seq of
// src's generation gen. A sighting of another version held until now is
// first folded into that version's record, so none is lost.
func markSeen(tx *bbolt.Tx, src, gen, seq, fid uint64, start time.Time) error {
	old, ok, err := seenOf(tx, src)
	if err != nil {
		return err
	}
	if ok && (old.Generation != gen || old.Seq != seq) {
		if err := foldSeen(tx, src, old); err != nil {
			return err
		}
	}
	return putJSON(tx.Bucket(bucketSeen), u64(src), seenRecord{V: 1, Generation: gen, Seq: seq, LastSeen: start, LastFetch: fid})
}

// foldSeen writes sighting s into the version record it names.
func foldSeen(tx *bbolt.Tx, src uint64, s seenRecord) error {
	vb := versionBucket(tx, src, s.Generation)
	var ver Version
	if err := getJSON(vb, u64(s.Seq), &ver); err != nil {
		return fmt.Errorf("version %d/%d of source %d, last seen by fetch %d: %w", s.Generation, s.Seq, src, s.LastFetch, err)
	}
	if s.LastFetch <= ver.LastFetch {
		return nil
	}
	ver.LastSeen, ver.LastFetch = s.LastSeen, s.LastFetch
	return putJSON(vb, u64(s.Seq), ver)
}

// createSeen is migration 9: the bucket of sightings. Version records
// keep the last-seen they hold; sightings start with the next fetch.
func createSeen(tx *bbolt.Tx) error {
	if _, err := tx.CreateBucketIfNotExists(bucketSeen); err != nil {
		return fmt.Errorf("create bucket %s: %w", bucketSeen, err)
	}
	return nil
}
