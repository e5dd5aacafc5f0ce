package pgstore

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// Fetches returns a source's fetches that started in [from, to) (zero:
// unbounded), oldest first; with limit > 0, the newest limit of them.
func (d *DB) Fetches(ctx context.Context, sourceID uint64, from, to time.Time, limit int) ([]store.Fetch, error) {
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	if !from.IsZero() {
		lo = ns(from)
	}
	if !to.IsZero() {
		hi = ns(to)
	}
	lim := int64(math.MaxInt64)
	if limit > 0 {
		lim = int64(limit)
	}
	out, err := readFetches(ctx, d.pool, `SELECT id, source, start_ns, rec FROM (
		SELECT id, source, start_ns, rec FROM fetches WHERE source = $1 AND start_ns >= $2 AND start_ns < $3
		ORDER BY start_ns DESC, id DESC LIMIT $4) newest ORDER BY start_ns, id`, sourceID, lo, hi, lim)
	if err != nil {
		return nil, fmt.Errorf("fetches of source %d: %w", sourceID, err)
	}
	return out, nil
}

// FetchAt returns fetch id of a source, which started at start.
func (d *DB) FetchAt(ctx context.Context, sourceID uint64, start time.Time, id uint64) (store.Fetch, error) {
	fs, err := readFetches(ctx, d.pool, "SELECT id, source, start_ns, rec FROM fetches WHERE id = $1 AND source = $2 AND start_ns = $3", id, sourceID, ns(start))
	if err == nil && len(fs) == 0 {
		err = store.ErrNotFound
	}
	if err != nil {
		return store.Fetch{}, fmt.Errorf("fetch %d of source %d: %w", id, sourceID, err)
	}
	return fs[0], nil
}

// Versions returns the versions of a source's current generation.
func (d *DB) Versions(ctx context.Context, sourceID uint64) ([]store.Version, error) {
	st, err := d.State(ctx, sourceID)
	if err != nil {
		return nil, err
	}
	return d.GenerationVersions(ctx, sourceID, st.Generation)
}

// GenerationVersions returns the versions of one generation, in order.
func (d *DB) GenerationVersions(ctx context.Context, sourceID, gen uint64) ([]store.Version, error) {
	out, err := docs[store.Version](ctx, d.pool, "SELECT doc FROM versions WHERE source = $1 AND generation = $2 ORDER BY seq", sourceID, gen)
	if err != nil {
		return nil, fmt.Errorf("versions of source %d: %w", sourceID, err)
	}
	return out, nil
}

// VersionAt returns the version a source showed at t.
func (d *DB) VersionAt(ctx context.Context, sourceID uint64, t time.Time) (store.Version, error) {
	vs, err := d.Versions(ctx, sourceID)
	if err != nil {
		return store.Version{}, err
	}
	for i := len(vs) - 1; i >= 0; i-- {
		if !vs[i].FirstSeen.After(t) {
			return vs[i], nil
		}
	}
	return store.Version{}, fmt.Errorf("source %d at %s: %w (no version seen by then)", sourceID, t.Format(time.RFC3339), store.ErrNotFound)
}

// Blob returns the content stored under hash (a hex SHA-256).
func (d *DB) Blob(ctx context.Context, hash string) ([]byte, error) {
	key, err := store.BlobKey(hash)
	if err != nil {
		return nil, err
	}
	return d.blob(ctx, d.pool, key)
}

// PutBlobs stores each of data as a blob and returns their keys.
func (d *DB) PutBlobs(ctx context.Context, data ...[]byte) ([]string, error) {
	keys := make([]string, len(data))
	var blobs []blob
	for i, b := range data {
		keys[i] = store.Hash(b)
		k, v, err := d.codec.Encode(b, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("put blobs: %w", err)
		}
		blobs = append(blobs, blob{k, v})
	}
	err := d.tx(ctx, func(tx pgx.Tx) error {
		for _, b := range blobs {
			if _, err := tx.Exec(ctx, "INSERT INTO blobs (hash, value) VALUES ($1, $2) ON CONFLICT DO NOTHING", b.key, b.value); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("put blobs: %w", err)
	}
	return keys, nil
}

// BlobStats returns the number of blobs and the bytes their values take.
func (d *DB) BlobStats(ctx context.Context) (count int, stored int64, err error) {
	err = d.pool.QueryRow(ctx, "SELECT count(*), coalesce(sum(length(value)), 0) FROM blobs").Scan(&count, &stored)
	return count, stored, err
}

// ReplaceGeneration stores a rebuilt generation of a source's versions
// and changes (see store.DB.ReplaceGeneration).
func (d *DB) ReplaceGeneration(ctx context.Context, sourceID, rev uint64, g store.Generation) (uint64, error) {
	for i, v := range g.Versions {
		if v.Seq != uint64(i+1) {
			return 0, fmt.Errorf("replace generation of source %d: %w: version %d has seq %d", sourceID, store.ErrInvalid, i, v.Seq)
		}
	}
	var gen uint64
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var st store.State
		if err := tx.QueryRow(ctx, "SELECT doc FROM state WHERE source = $1 FOR UPDATE", sourceID).Scan(&st); err != nil {
			return fmt.Errorf("state: %w", notFound(err))
		}
		if st.Rev != rev {
			return store.ErrConflict
		}
		for _, b := range g.Blobs {
			k, v, err := d.codec.Encode(b, nil, nil)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO blobs (hash, value) VALUES ($1, $2) ON CONFLICT DO NOTHING", k, v); err != nil {
				return err
			}
		}
		if err := tx.QueryRow(ctx, "SELECT greatest($2::bigint, coalesce(max(generation), 0)) + 1 FROM versions WHERE source = $1", sourceID, st.Generation).Scan(&gen); err != nil {
			return err
		}
		for _, v := range g.Versions {
			v.V, v.SourceID, v.Generation, v.Reextracted = 1, sourceID, gen, true
			if _, err := tx.Exec(ctx, "INSERT INTO versions (source, generation, seq, doc) VALUES ($1, $2, $3, $4)", sourceID, gen, v.Seq, v); err != nil {
				return err
			}
		}
		for _, c := range g.Changes {
			if !slices.ContainsFunc(g.Versions, func(v store.Version) bool { return v.Seq == c.To }) {
				return fmt.Errorf("%w: change to version %d, which is not in the generation", store.ErrInvalid, c.To)
			}
			c.V, c.SourceID, c.Generation, c.Reextracted = 1, sourceID, gen, true
			if c.Recorded.IsZero() {
				c.Recorded = d.now().UTC()
			}
			if c.Triage.State == "" {
				c.Triage.State = store.TriageNew
			}
			if err := insertChange(ctx, tx, &c); err != nil {
				return err
			}
		}
		st.Generation, st.Current, st.Pending = gen, uint64(len(g.Versions)), nil
		st.Unconfirmed, st.Reported, st.Flips = nil, nil, 0
		st.Rev++
		_, err := tx.Exec(ctx, "UPDATE state SET rev = $2, health = $3, doc = $4 WHERE source = $1", sourceID, st.Rev, st.Health, st)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("replace generation of source %d: %w", sourceID, err)
	}
	return gen, nil
}
