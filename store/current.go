package store

import (
	"context"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
)

// Current returns what a check reads before it fetches: the source's
// state and the current version of its generation (nil when it has
// none), with its latest sighting laid over it, in one read transaction.
// It decodes that one version, where State and GenerationVersions
// together decode every version of the generation: an unchanged check
// needs no other (decision record 0053).
func (d *DB) Current(ctx context.Context, sourceID uint64) (State, *Version, error) {
	var st State
	var cur *Version
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if err := getJSON(tx.Bucket(bucketState), u64(sourceID), &st); err != nil {
			return fmt.Errorf("state: %w", err)
		}
		if st.Current == 0 {
			return nil
		}
		var v Version
		switch err := getVersion(tx, sourceID, st.Generation, st.Current, &v); {
		case errors.Is(err, ErrNotFound):
			// As GenerationVersions finds it: no current version. Check
			// reports the missing record.
		case err != nil:
			return fmt.Errorf("current version %d/%d: %w", st.Generation, st.Current, err)
		default:
			cur = &v
		}
		return nil
	})
	if err != nil {
		return State{}, nil, fmt.Errorf("current of source %d: %w", sourceID, err)
	}
	return st, cur, nil
}

// stateHead is the part of a stored State a record's transaction checks
// and builds on: decoding only these fields skips the strings, times and
// lists of the rest.
type stateHead struct {
	Rev        uint64 `json:"rev"`
	Generation uint64 `json:"generation"`
	Current    uint64 `json:"current"`
}
