package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Check verifies the database: bbolt's own page checks, then that every
// record decodes and every reference resolves — each source has a state
// and index entries; versions are numbered without gaps, the state's
// current version is the generation's latest, and each version's first-
// and last-seen fetches exist; each fetch, version and change points at
// blobs and versions that exist; the schedule's due records and queue
// agree; and every blob decompresses to content that hashes to its key.
// It returns all problems found, joined.
//
// It first walks the page tree from the file (decision record 0018): when
// a page is damaged it reports that, each as a *CorruptError naming the
// bucket, and reads no further, since bbolt's check runs in a goroutine
// of its own, where a fault on a damaged page would end the process.
func (d *DB) Check(ctx context.Context) error {
	var errs []error
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if errs = d.walkTx(tx); len(errs) > 0 {
			return nil
		}
		for err := range tx.Check() {
			errs = append(errs, fmt.Errorf("bbolt: %w", err))
		}
		blobs := tx.Bucket(bucketBlobs)
		hasBlob := func(what, hash string) {
			if hash == "" {
				return
			}
			k, err := blobKey(hash)
			if err == nil && blobs.Get(k) == nil {
				err = fmt.Errorf("%w: blob %s missing", ErrCorrupt, hash)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", what, err))
			}
		}
		checkFetchLog(tx, hasBlob, &errs)
		sources := tx.Bucket(bucketSources)
		sources.ForEach(func(k, v []byte) error {
			var s Source
			if err := decode(v, &s); err != nil {
				errs = append(errs, fmt.Errorf("source %d: %w", fromU64(k), err))
				return nil
			}
			if id := tx.Bucket(bucketNames).Get([]byte(s.Name)); fromU64(id) != s.ID {
				errs = append(errs, fmt.Errorf("source %d: %w: name index", s.ID, ErrCorrupt))
			}
			if id := tx.Bucket(bucketURLs).Get([]byte(s.URL)); fromU64(id) != s.ID {
				errs = append(errs, fmt.Errorf("source %d: %w: URL index", s.ID, ErrCorrupt))
			}
			var st State
			if err := getJSON(tx.Bucket(bucketState), k, &st); err != nil {
				errs = append(errs, fmt.Errorf("state of source %d: %w", s.ID, err))
				return nil
			}
			if st.Current != 0 {
				if vb := versionBucket(tx, s.ID, st.Generation); vb == nil || vb.Get(u64(st.Current)) == nil {
					errs = append(errs, fmt.Errorf("source %d: %w: current version %d/%d missing", s.ID, ErrCorrupt, st.Generation, st.Current))
				}
			}
			hasFetch := func(what string, at time.Time, id uint64) {
				if id != 0 && !fetchStored(tx, s.ID, fetchKey(at, id)) {
					errs = append(errs, fmt.Errorf("%s: %w: fetch %d at %s missing", what, ErrCorrupt, id, at.Format(time.RFC3339Nano)))
				}
			}
			seen, haveSeen, err := seenOf(tx, s.ID)
			if err != nil {
				errs = append(errs, fmt.Errorf("source %d: %w", s.ID, err))
			}
			if haveSeen {
				if vb := versionBucket(tx, s.ID, seen.Generation); vb == nil || vb.Get(u64(seen.Seq)) == nil {
					errs = append(errs, fmt.Errorf("source %d: %w: last sighting names version %d/%d, which is missing", s.ID, ErrCorrupt, seen.Generation, seen.Seq))
				}
			}
			if sv := tx.Bucket(bucketVersions).Bucket(k); sv != nil {
				sv.ForEachBucket(func(gk []byte) error {
					var seq uint64 // versions of a generation are numbered 1, 2, 3 …
					sv.Bucket(gk).ForEach(func(vk, vv []byte) error {
						seq++
						var ver Version
						if err := decode(vv, &ver); err != nil {
							errs = append(errs, fmt.Errorf("source %d version %d/%d: %w", s.ID, fromU64(gk), fromU64(vk), err))
							return nil
						}
						seen.over(fromU64(gk), &ver)
						what := fmt.Sprintf("source %d version %d/%d", s.ID, ver.Generation, ver.Seq)
						if ver.Seq != fromU64(vk) || ver.Seq != seq || ver.Generation != fromU64(gk) {
							errs = append(errs, fmt.Errorf("%s: %w: stored as %d/%d, expected seq %d", what, ErrCorrupt, fromU64(gk), fromU64(vk), seq))
						}
						hasBlob(what+" document", ver.DocSHA256)
						hasBlob(what+" body", ver.BodySHA256)
						hasFetch(what+" first seen", ver.FirstSeen, ver.FirstFetch)
						hasFetch(what+" last seen", ver.LastSeen, ver.LastFetch)
						if ver.LastSeen.Before(ver.FirstSeen) {
							errs = append(errs, fmt.Errorf("%s: %w: last seen before first seen", what, ErrCorrupt))
						}
						return nil
					})
					if fromU64(gk) == st.Generation && seq != st.Current {
						errs = append(errs, fmt.Errorf("source %d: %w: current version %d, but generation %d has %d", s.ID, ErrCorrupt, st.Current, st.Generation, seq))
					}
					return nil
				})
			}
			return nil
		})
		tx.Bucket(bucketChanges).ForEach(func(k, v []byte) error {
			var c Change
			if err := decode(v, &c); err != nil {
				errs = append(errs, fmt.Errorf("change %d: %w", fromU64(k), err))
				return nil
			}
			hasBlob(fmt.Sprintf("change %d diff", c.ID), c.DiffSHA256)
			if c.From >= c.To {
				errs = append(errs, fmt.Errorf("change %d: %w: from version %d to %d", c.ID, ErrCorrupt, c.From, c.To))
			}
			vb := versionBucket(tx, c.SourceID, c.Generation)
			for _, seq := range []uint64{c.From, c.To} {
				if vb == nil || vb.Get(u64(seq)) == nil {
					errs = append(errs, fmt.Errorf("change %d: %w: version %d/%d missing", c.ID, ErrCorrupt, c.Generation, seq))
				}
			}
			return nil
		})
		checkSchedule(tx, &errs)
		checkSets(tx, &errs)
		checkIndexes(tx, &errs)
		blobs.ForEach(func(k, v []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := d.getBlob(tx, k); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
		return ctx.Err()
	})
	if err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// checkSets checks every source's fetch sets: each decodes, and the hash
// index names each set by the SHA-256 of its content.
func checkSets(tx *bbolt.Tx, errs *[]error) {
	all := tx.Bucket(bucketFetchSets)
	all.ForEachBucket(func(sk []byte) error {
		b := all.Bucket(sk)
		return b.ForEach(func(k, v []byte) error {
			what := fmt.Sprintf("source %d fetch set %x", fromU64(sk), k)
			var err error
			switch {
			case len(k) == 9 && k[0] == setSeqPrefix && len(v) > 0 && v[0] == setContext:
				_, err = decodeContext(v)
			case len(k) == 9 && k[0] == setSeqPrefix && len(v) > 0 && v[0] == setHeader:
				_, err = decodeHeaderSet(v)
			case len(k) == 33 && k[0] == setHashPrefix && len(v) == 8:
				if set := b.Get(setSeqKey(fromU64(v))); set == nil || sha256.Sum256(set) != [32]byte(k[1:]) {
					err = fmt.Errorf("the index names set %d, which is not this content", fromU64(v))
				}
			default:
				err = fmt.Errorf("neither a set nor an index entry")
			}
			if err != nil {
				*errs = append(*errs, fmt.Errorf("%s: %w: %v", what, ErrCorrupt, err))
			}
			return nil
		})
	})
}
