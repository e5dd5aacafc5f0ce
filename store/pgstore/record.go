package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// blob is a compressed blob ready to insert.
type blob struct{ key, value []byte }

// Record writes one fetch and all it adds to the history, all or nothing,
// and appends the fetch to the transparency log in the same transaction
// (see store.DB.Record). Blobs are compressed before the transaction;
// the record then goes to the group writer (commit.go), which writes
// it in a batch with others under the log's advisory lock, so records
// from every process are logged one after the other. When Record returns
// nil, the record is committed.
func (d *DB) Record(ctx context.Context, r store.Record) (store.Fetch, *store.Change, error) {
	f, blobs, err := d.prepare(ctx, r)
	p := &pending{r: r, f: f, blobs: blobs}
	if err == nil {
		if err = d.commits.Commit(ctx, p); err == nil {
			err = p.err
		}
	}
	if err != nil {
		return store.Fetch{}, nil, fmt.Errorf("record fetch of source %d: %w", r.Fetch.SourceID, err)
	}
	return p.fetch, p.change, nil
}

// prepare checks r against the stored state and compresses its blobs
// that are not stored yet: a new body against the current version's.
func (d *DB) prepare(ctx context.Context, r store.Record) (store.Fetch, []blob, error) {
	f := r.Fetch
	f.V = 1
	var st store.State
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM state WHERE source = $1", f.SourceID).Scan(&st); err != nil {
		return f, nil, fmt.Errorf("state: %w", notFound(err))
	}
	if st.Rev != r.State.Rev {
		return f, nil, store.ErrConflict
	}
	var blobs []blob
	add := func(content, dictKey, dict []byte) error {
		if content == nil {
			return nil
		}
		key, err := store.BlobKey(store.Hash(content))
		if err != nil {
			return err
		}
		var have bool
		if err := d.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM blobs WHERE hash = $1)", key).Scan(&have); err != nil || have {
			return err
		}
		if dict == nil && dictKey != nil {
			dictKey, dict = d.dictionaryFor(ctx, st)
		}
		k, v, err := d.codec.Encode(content, dictKey, dict)
		blobs = append(blobs, blob{k, v})
		return err
	}
	if err := add(r.Body, []byte{}, nil); err != nil {
		return f, nil, fmt.Errorf("body: %w", err)
	}
	if err := add(r.Doc, nil, nil); err != nil {
		return f, nil, fmt.Errorf("document: %w", err)
	}
	if err := add(r.Diff, nil, nil); err != nil {
		return f, nil, fmt.Errorf("diff: %w", err)
	}
	if r.Body != nil {
		f.BodySHA256, f.BodySize = store.Hash(r.Body), len(r.Body)
	}
	if r.Doc != nil {
		f.DocSHA256 = store.Hash(r.Doc)
	}
	return f, blobs, nil
}

// dictionaryFor is the plain blob a new body of a source is compressed
// against: its current version's body, or the dictionary that body was
// compressed against. Nil when there is none.
func (d *DB) dictionaryFor(ctx context.Context, st store.State) (key, content []byte) {
	if st.Current == 0 {
		return nil, nil
	}
	var cur store.Version
	err := d.pool.QueryRow(ctx, "SELECT doc FROM versions WHERE source = $1 AND generation = $2 AND seq = $3",
		st.SourceID, st.Generation, st.Current).Scan(&cur)
	if err != nil {
		return nil, nil
	}
	k, err := store.BlobKey(cur.BodySHA256)
	if err != nil {
		return nil, nil
	}
	v, err := d.blobValue(ctx, d.pool, k)
	if err != nil {
		return nil, nil
	}
	if dk := store.DictionaryOf(v); dk != nil {
		k = dk
	}
	content, err = d.blob(ctx, d.pool, k)
	if err != nil {
		return nil, nil
	}
	return k, content
}

// write writes a prepared record in tx, which holds the log's lock:
// blobs, fetch, version, change, due time, state, and its leaf into bl.
// It sets p's fetch and change, and p.keep when the checkpoint that
// first covers it is to be kept for good (it starts a version or first
// sees a text).
func (d *DB) write(ctx context.Context, tx pgx.Tx, bl *batchLog, p *pending) error {
	f, err := d.writeRecord(ctx, tx, bl, p)
	if err == nil {
		p.fetch = f
	}
	return err
}

func (d *DB) writeRecord(ctx context.Context, tx pgx.Tx, bl *batchLog, p *pending) (store.Fetch, error) {
	r, f, blobs := p.r, p.f, p.blobs
	id := f.SourceID
	var st store.State
	if err := tx.QueryRow(ctx, "SELECT doc FROM state WHERE source = $1 FOR UPDATE", id).Scan(&st); err != nil {
		return f, fmt.Errorf("state: %w", notFound(err))
	}
	if st.Rev != r.State.Rev {
		return f, store.ErrConflict
	}
	for _, b := range blobs {
		if _, err := tx.Exec(ctx, "INSERT INTO blobs (hash, value) VALUES ($1, $2) ON CONFLICT DO NOTHING", b.key, b.value); err != nil {
			return f, fmt.Errorf("put blob: %w", err)
		}
	}
	f.ID = uint64(bl.size) + 1
	gen := r.State.Generation
	var prev *store.Version
	if st.Current != 0 && st.Generation == gen {
		prev = &store.Version{}
		if err := tx.QueryRow(ctx, "SELECT doc FROM versions WHERE source = $1 AND generation = $2 AND seq = $3", id, gen, st.Current).Scan(prev); err != nil {
			return f, fmt.Errorf("current version %d: %w", st.Current, notFound(err))
		}
	}
	newState := r.State
	seen := prev // the version the fetch saw, for its compact record
	switch {
	case r.Start != nil:
		v, err := d.startVersion(ctx, tx, r, f)
		if err != nil {
			return f, err
		}
		f.Version, newState.Current, seen = v.Seq, v.Seq, &v
		if r.Change != nil {
			if prev == nil {
				return f, fmt.Errorf("%w: a change needs a previous version", store.ErrInvalid)
			}
			if p.change, err = d.addChange(ctx, tx, r, prev, v); err != nil {
				return f, err
			}
		}
	case r.Seen:
		if prev == nil {
			return f, fmt.Errorf("%w: seen, but the source has no current version", store.ErrInvalid)
		}
		prev.LastFetch, prev.LastSeen = f.ID, f.Start
		if _, err := tx.Exec(ctx, "UPDATE versions SET doc = $4 WHERE source = $1 AND generation = $2 AND seq = $3", id, gen, prev.Seq, prev); err != nil {
			return f, err
		}
		f.Version = prev.Seq
	}
	if seen == nil || seen.Seq != f.Version {
		seen = nil
		var v store.Version
		if f.Version != 0 && tx.QueryRow(ctx, "SELECT doc FROM versions WHERE source = $1 AND generation = $2 AND seq = $3", id, gen, f.Version).Scan(&v) == nil {
			seen = &v
		}
	}
	rec, err := encodeFetch(ctx, tx, f, gen, seen, d.jsonFetches)
	if err != nil {
		return f, fmt.Errorf("put fetch: %w", err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO fetches (id, source, start_ns, rec) VALUES ($1, $2, $3, $4)", f.ID, id, ns(f.Start), rec); err != nil {
		return f, fmt.Errorf("put fetch: %w", err)
	}
	firstSight := false
	if newState.Pending != nil && newState.Pending.FetchID == 0 {
		pend := *newState.Pending
		pend.FetchID, pend.Seen = f.ID, f.Start
		newState.Pending, firstSight = &pend, true
	}
	if err := bl.appendLeaf(f); err != nil {
		return f, fmt.Errorf("transparency log: %w", err)
	}
	newState.V, newState.SourceID, newState.Rev = 1, id, st.Rev+1
	if r.Due != nil {
		due := *r.Due
		due.SourceID, due.LastEnd = id, f.End
		if err := putDue(ctx, tx, due); err != nil {
			return f, fmt.Errorf("due time: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, "UPDATE state SET rev = $2, health = $3, doc = $4 WHERE source = $1", id, newState.Rev, newState.Health, newState); err != nil {
		return f, err
	}
	p.keep = r.Start != nil || firstSight
	return f, nil
}

// startVersion stores the version r starts with fetch f.
func (d *DB) startVersion(ctx context.Context, tx pgx.Tx, r store.Record, f store.Fetch) (store.Version, error) {
	v := *r.Start
	v.V, v.SourceID, v.Generation = 1, f.SourceID, r.State.Generation
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(seq), 0) + 1 FROM versions WHERE source = $1 AND generation = $2", f.SourceID, v.Generation).Scan(&v.Seq); err != nil {
		return v, err
	}
	if v.FirstFetch == 0 {
		v.FirstFetch, v.FirstSeen = f.ID, f.Start
	}
	v.LastFetch, v.LastSeen = f.ID, f.Start
	if v.BodySHA256 == "" {
		v.BodySHA256 = f.BodySHA256
	}
	if v.DocSHA256 == "" {
		v.DocSHA256 = f.DocSHA256
	}
	_, err := tx.Exec(ctx, "INSERT INTO versions (source, generation, seq, doc) VALUES ($1, $2, $3, $4)", v.SourceID, v.Generation, v.Seq, v)
	return v, err
}

// addChange stores the change from prev to v that r describes.
func (d *DB) addChange(ctx context.Context, tx pgx.Tx, r store.Record, prev *store.Version, v store.Version) (*store.Change, error) {
	c := *r.Change
	c.V, c.SourceID, c.Generation = 1, v.SourceID, v.Generation
	c.From, c.To = prev.Seq, v.Seq
	c.After, c.Detected, c.Recorded = prev.LastSeen, v.FirstSeen, d.now().UTC()
	if r.Diff != nil {
		c.DiffSHA256 = store.Hash(r.Diff)
	}
	if c.Triage.State == "" {
		c.Triage.State = store.TriageNew
	}
	if err := insertChange(ctx, tx, &c); err != nil {
		return nil, err
	}
	return &c, nil
}

// insertChange gives c the next change ID and stores it.
func insertChange(ctx context.Context, tx pgx.Tx, c *store.Change) error {
	if err := tx.QueryRow(ctx, "SELECT nextval('changes_id_seq')").Scan(&c.ID); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, "INSERT INTO changes (id, source, detected_ns, revet, reextracted, triage, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		c.ID, c.SourceID, ns(c.Detected), c.Revet, c.Reextracted, string(c.Triage.State), c)
	return err
}

// blobValue reads a blob's stored value.
func (d *DB) blobValue(ctx context.Context, q querier, key []byte) ([]byte, error) {
	var v []byte
	if err := q.QueryRow(ctx, "SELECT value FROM blobs WHERE hash = $1", key).Scan(&v); err != nil {
		return nil, fmt.Errorf("blob %x: %w", key, notFound(err))
	}
	return v, nil
}

// blob reads and decompresses a blob, checking it hashes to its key.
func (d *DB) blob(ctx context.Context, q querier, key []byte) ([]byte, error) {
	v, err := d.blobValue(ctx, q, key)
	if err != nil {
		return nil, err
	}
	return d.codec.Decode(key, v, func(k []byte) ([]byte, error) {
		dv, err := d.blobValue(ctx, q, k)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return dv, err
	})
}
