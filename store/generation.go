package store

import (
	"context"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
)

// Generation is a rebuilt version history of one source: what reextract
// makes from the stored raw bodies with the current extractor.
type Generation struct {
	// Versions in order; their Seq must be 1, 2, 3, …
	Versions []Version
	// Changes between consecutive Versions (From/To are their Seqs).
	Changes []Change
	// Blobs are contents the versions and changes point at (documents,
	// diffs); those already stored are skipped.
	Blobs [][]byte
}

// ReplaceGeneration stores g as the source's new current generation and
// returns its number. The old generations stay, so nothing is lost. rev
// must be the state's Rev when g was computed. Every version and change
// is marked Reextracted.
func (d *DB) ReplaceGeneration(ctx context.Context, sourceID, rev uint64, g Generation) (uint64, error) {
	for i, v := range g.Versions {
		if v.Seq != uint64(i+1) {
			return 0, fmt.Errorf("%w: version %d has seq %d", ErrInvalid, i, v.Seq)
		}
	}
	var blobs []pendingBlob
	for _, b := range g.Blobs {
		pb, err := d.encodeBlob(b, nil, nil)
		if err != nil {
			return 0, err
		}
		blobs = append(blobs, pb)
	}
	var gen uint64
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		var st State
		if err := getJSON(tx.Bucket(bucketState), u64(sourceID), &st); err != nil {
			return fmt.Errorf("state: %w", err)
		}
		if st.Rev != rev {
			return ErrConflict
		}
		for _, pb := range blobs {
			if tx.Bucket(bucketBlobs).Get(pb.key) == nil {
				if err := tx.Bucket(bucketBlobs).Put(pb.key, pb.value); err != nil {
					return err
				}
			}
		}
		gen = st.Generation + 1
		if src := tx.Bucket(bucketVersions).Bucket(u64(sourceID)); src != nil {
			src.ForEachBucket(func(k []byte) error {
				gen = max(gen, fromU64(k)+1)
				return nil
			})
		}
		vb, err := createVersionBucket(tx, sourceID, gen)
		if err != nil {
			return err
		}
		for _, v := range g.Versions {
			v.V, v.SourceID, v.Generation, v.Reextracted = 1, sourceID, gen, true
			if _, err := vb.NextSequence(); err != nil {
				return err
			}
			if err := putJSON(vb, u64(v.Seq), v); err != nil {
				return err
			}
		}
		changes := tx.Bucket(bucketChanges)
		for _, c := range g.Changes {
			if !slices.ContainsFunc(g.Versions, func(v Version) bool { return v.Seq == c.To }) {
				return fmt.Errorf("%w: change to version %d, which is not in the generation", ErrInvalid, c.To)
			}
			c.V, c.SourceID, c.Generation, c.Reextracted = 1, sourceID, gen, true
			if c.Recorded.IsZero() {
				c.Recorded = d.now().UTC()
			}
			if c.Triage.State == "" {
				c.Triage.State = TriageNew
			}
			if c.ID, err = changes.NextSequence(); err != nil {
				return err
			}
			if err := putJSON(changes, u64(c.ID), c); err != nil {
				return err
			}
			if err := indexChange(tx, nil, &c); err != nil {
				return err
			}
		}
		st.Generation, st.Current, st.Pending = gen, uint64(len(g.Versions)), nil
		st.Unconfirmed, st.Reported, st.Flips = nil, nil, 0
		st.Rev++
		return putJSON(tx.Bucket(bucketState), u64(sourceID), st)
	})
	if err != nil {
		return 0, fmt.Errorf("replace generation of source %d: %w", sourceID, err)
	}
	return gen, nil
}
