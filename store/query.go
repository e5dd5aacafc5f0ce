package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/bbolt"
)

// Fetches returns a source's fetches that started in [from, to), oldest
// first; zero times leave that end open. limit > 0 keeps only the latest
// limit.
func (d *DB) Fetches(ctx context.Context, sourceID uint64, from, to time.Time, limit int) ([]Fetch, error) {
	var out []Fetch
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		var keys [][]byte
		last := lastFetchKey(tx, sourceID)
		if limit == 1 && to.IsZero() && last != nil && (from.IsZero() || bytes.Compare(last, timeKey(from)) >= 0) {
			keys = [][]byte{last} // the latest fetch, without the tail's scan
		} else {
			keys = sourceFetchKeys(tx, d.tail, sourceID, from, to)
		}
		if limit > 0 && len(keys) > limit {
			keys = keys[len(keys)-limit:]
		}
		rs := newFetchReaders(tx)
		for i, k := range keys {
			if i > 0 && i%releaseReads == 0 {
				releaseResident(tx) // a long history is read from all over the log
			}
			f, err := readFetch(tx, rs, sourceID, k)
			if errors.Is(err, ErrNotFound) {
				err = fmt.Errorf("%w: the fetch index names fetch %d, which the log does not hold", ErrCorrupt, fromU64(k[8:]))
			}
			if err != nil {
				return fmt.Errorf("fetch %x: %w", k, err)
			}
			out = append(out, f)
		}
		if len(keys) > releaseReads {
			releaseResident(tx)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("fetches of source %d: %w", sourceID, err)
	}
	return out, nil
}

// FetchAt returns the fetch of a source that started at start with id (a
// version's FirstSeen/FirstFetch or LastSeen/LastFetch).
func (d *DB) FetchAt(ctx context.Context, sourceID uint64, start time.Time, id uint64) (Fetch, error) {
	var f Fetch
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		f, err = readFetch(tx, newFetchReaders(tx), sourceID, fetchKey(start, id))
		return err
	})
	if err != nil {
		return Fetch{}, fmt.Errorf("fetch %d of source %d: %w", id, sourceID, err)
	}
	return f, nil
}

// Versions returns a source's versions in its current generation, oldest
// first.
func (d *DB) Versions(ctx context.Context, sourceID uint64) ([]Version, error) {
	st, err := d.State(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	return d.GenerationVersions(ctx, sourceID, st.Generation)
}

// GenerationVersions returns the versions of one extraction generation.
func (d *DB) GenerationVersions(ctx context.Context, sourceID, gen uint64) ([]Version, error) {
	var out []Version
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		b := versionBucket(tx, sourceID, gen)
		if b == nil {
			return nil
		}
		seen, _, err := seenOf(tx, sourceID)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error {
			var ver Version
			if err := decode(v, &ver); err != nil {
				return fmt.Errorf("version %d: %w", fromU64(k), err)
			}
			seen.over(gen, &ver)
			out = append(out, ver)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("versions of source %d: %w", sourceID, err)
	}
	return out, nil
}

// VersionAt returns the version in force at t: the latest one first seen
// at or before t. ErrNotFound when the source had none yet.
func (d *DB) VersionAt(ctx context.Context, sourceID uint64, t time.Time) (Version, error) {
	vs, err := d.Versions(ctx, sourceID)
	if err != nil {
		return Version{}, err
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].FirstSeen.After(t) {
			return vs[i], nil
		}
	}
	return Version{}, fmt.Errorf("source %d at %s: %w (no version seen by then)", sourceID, t.Format(time.RFC3339), ErrNotFound)
}

// ChangeFilter selects changes.
type ChangeFilter struct {
	// SourceID keeps one source's changes (0: all).
	SourceID uint64
	// Since keeps changes detected at or after it.
	Since time.Time
	// Revet keeps only changes that call for re-vetting.
	Revet bool
	// Reextracted includes changes between versions rebuilt by
	// reextract, which are not policy changes.
	Reextracted bool
}

// Changes returns the changes that pass f, in the order they were recorded.
func (d *DB) Changes(ctx context.Context, f ChangeFilter) ([]Change, error) {
	var out []Change
	keep := func(c Change) error {
		switch {
		case f.SourceID != 0 && c.SourceID != f.SourceID,
			!f.Since.IsZero() && c.Detected.Before(f.Since),
			f.Revet && !c.Revet,
			!f.Reextracted && c.Reextracted:
			return nil
		}
		out = append(out, c)
		return nil
	}
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if f.SourceID != 0 {
			return sourceChanges(tx, f.SourceID, keep)
		}
		return tx.Bucket(bucketChanges).ForEach(func(k, v []byte) error {
			var c Change
			if err := decode(v, &c); err != nil {
				return fmt.Errorf("change %d: %w", fromU64(k), err)
			}
			return keep(c)
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list changes: %w", err)
	}
	return out, nil
}

// Change returns one change.
func (d *DB) Change(ctx context.Context, id uint64) (Change, error) {
	var c Change
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketChanges), u64(id), &c) })
	if err != nil {
		return Change{}, fmt.Errorf("change %d: %w", id, err)
	}
	return c, nil
}

// SetTriage records the staff's decision on a change.
func (d *DB) SetTriage(ctx context.Context, id uint64, t Triage) error {
	switch t.State {
	case TriageNew, TriageReviewed, TriageRevet, TriageDismissed:
	default:
		return fmt.Errorf("%w: triage state %q (want new, reviewed, revet or dismissed)", ErrInvalid, t.State)
	}
	if t.At.IsZero() {
		t.At = d.now().UTC()
	}
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketChanges)
		var c Change
		if err := getJSON(b, u64(id), &c); err != nil {
			return err
		}
		old := c
		ApplyTriage(&c, t)
		if err := putJSON(b, u64(id), c); err != nil {
			return err
		}
		return indexChange(tx, &old, &c)
	})
	if err != nil {
		return fmt.Errorf("triage change %d: %w", id, err)
	}
	return nil
}

// decode is getJSON for a value already read.
func decode(data []byte, v any) error {
	if err := jsonUnmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}

// BlobStats counts the stored blobs and the bytes their values take
// (compressed, with the codec header).
func (d *DB) BlobStats(ctx context.Context) (count int, stored int64, err error) {
	err = d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketBlobs).ForEach(func(k, v []byte) error {
			count++
			stored += int64(len(v))
			return nil
		})
	})
	return count, stored, err
}

// ChangeQuery selects a page of changes, newest first. The filters
// combine: a change must pass each one set.
type ChangeQuery struct {
	// Sources keeps only changes of these sources (nil: all).
	Sources []uint64
	// Supplier keeps only changes of the sources whose supplier it is
	// now ("": all).
	Supplier string
	// Revet keeps only changes that call for re-vetting.
	Revet bool
	// Triage keeps only changes in these states (nil: any).
	Triage []TriageState
	// Reextracted includes changes between rebuilt versions.
	Reextracted bool
	// Before starts the page below this change ID (0: at the newest).
	Before uint64
	// Limit is the page size (0: 50).
	Limit int
}

// ChangePage returns up to q.Limit changes that pass q, newest first, and
// the Before of the next page (0 when there is none). A query by source,
// supplier, triage state or re-vetting walks the change index's lists
// for it and decodes only the changes it returns (decision record 0026);
// any other walks the changes backwards from q.Before and stops when the
// page is full. Either way the first page costs about the same however
// many changes are stored.
func (d *DB) ChangePage(ctx context.Context, q ChangeQuery) ([]Change, uint64, error) {
	if q.Limit <= 0 {
		q.Limit = 50
	}
	var out []Change
	var next uint64
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		s := selectionOf(tx, q)
		var err error
		if lists, ok := s.lists(tx); ok {
			out, next, err = indexedPage(tx, lists, s, q.Before, q.Limit)
		} else {
			out, next, err = scanPage(tx, s, q.Before, q.Limit)
		}
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list changes: %w", err)
	}
	return out, next, nil
}

// ChangesAfter returns up to limit changes with IDs above id, oldest
// first (0: all): what a webhook has still to send.
func (d *DB) ChangesAfter(ctx context.Context, id uint64, limit int) ([]Change, error) {
	var out []Change
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketChanges).Cursor()
		for k, v := c.Seek(u64(id + 1)); k != nil; k, v = c.Next() {
			if limit > 0 && len(out) >= limit {
				break
			}
			var ch Change
			if err := decode(v, &ch); err != nil {
				return fmt.Errorf("change %d: %w", fromU64(k), err)
			}
			out = append(out, ch)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list changes after %d: %w", id, err)
	}
	return out, nil
}

// Counts is a cheap census of the database for metrics and the health
// check.
type Counts struct {
	Sources, Paused, Changes int
	// Due is the number of sources due at the time asked for.
	Due    int
	Health map[Health]int
}

// Census counts sources, unpaused ones by health, paused sources, changes, and the
// sources due at t.
func (d *DB) Census(ctx context.Context, t time.Time) (Counts, error) {
	n := Counts{Health: map[Health]int{}}
	end := queueKey(t, ^uint64(0))
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
			var s Source
			if err := decode(v, &s); err != nil {
				return fmt.Errorf("source %d: %w", fromU64(k), err)
			}
			n.Sources++
			if s.Paused {
				n.Paused++
				return nil
			}
			var st State
			if getJSON(tx.Bucket(bucketState), k, &st) == nil && st.Health != "" {
				n.Health[st.Health]++
			}
			return nil
		})
		if err != nil {
			return err
		}
		n.Changes = tx.Bucket(bucketChanges).Stats().KeyN
		c := tx.Bucket(bucketQueue).Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k, end) <= 0; k, _ = c.Next() {
			n.Due++
		}
		return nil
	})
	if err != nil {
		return Counts{}, fmt.Errorf("census: %w", err)
	}
	return n, nil
}
