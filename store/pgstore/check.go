package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
)

// Check reports what the schema's constraints cannot: states, versions
// and due times that point at nothing, fetch IDs that do not run 1…n
// with the log, blobs missing behind fetches, versions and changes.
func (d *DB) Check(ctx context.Context) error {
	var errs []error
	checks := []struct{ what, sql string }{
		{"sources without a state", "SELECT count(*) FROM sources s WHERE NOT EXISTS (SELECT 1 FROM state WHERE source = s.id)"},
		{"states whose current version is missing", `SELECT count(*) FROM state st WHERE (st.doc->>'current')::bigint <> 0 AND NOT EXISTS
			(SELECT 1 FROM versions v WHERE v.source = st.source AND v.generation = (st.doc->>'generation')::bigint AND v.seq = (st.doc->>'current')::bigint)`},
		{"fetches past the log's end", "SELECT count(*) FROM fetches WHERE id > (SELECT size FROM log_head)"},
		{"log records without a fetch", "SELECT (SELECT size FROM log_head) - count(*) FROM fetches WHERE id <= (SELECT size FROM log_head)"},
		{"versions whose document is missing", `SELECT count(*) FROM versions v WHERE coalesce(v.doc->>'doc_sha256', '') <> ''
			AND NOT EXISTS (SELECT 1 FROM blobs WHERE hash = decode(v.doc->>'doc_sha256', 'hex'))`},
		{"changes whose diff is missing", `SELECT count(*) FROM changes c WHERE coalesce(c.doc->>'diff_sha256', '') <> ''
			AND NOT EXISTS (SELECT 1 FROM blobs WHERE hash = decode(c.doc->>'diff_sha256', 'hex'))`},
		{"changes whose versions are missing", `SELECT count(*) FROM changes c WHERE NOT EXISTS (SELECT 1 FROM versions v
			WHERE v.source = c.source AND v.generation = (c.doc->>'generation')::bigint AND v.seq = (c.doc->>'to')::bigint)`},
		{"versions last seen before first seen", "SELECT count(*) FROM versions WHERE (doc->>'last_seen')::timestamptz < (doc->>'first_seen')::timestamptz"},
		{"changes whose columns disagree with their record", `SELECT count(*) FROM changes WHERE triage <> doc->'triage'->>'state'
			OR revet <> coalesce((doc->>'revet')::boolean, false) OR reextracted <> coalesce((doc->>'reextracted')::boolean, false)`},
	}
	err := pgx.BeginTxFunc(ctx, d.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		for _, c := range checks {
			var n int64
			if err := tx.QueryRow(ctx, c.sql).Scan(&n); err != nil {
				return fmt.Errorf("%s: %w", c.what, err)
			}
			if n != 0 {
				errs = append(errs, fmt.Errorf("%w: %d %s", store.ErrCorrupt, n, c.what))
			}
		}
		n, err := missingBodies(ctx, tx)
		if err != nil {
			return fmt.Errorf("fetches whose body is missing: %w", err)
		}
		if n != 0 {
			errs = append(errs, fmt.Errorf("%w: %d fetches whose body is missing", store.ErrCorrupt, n))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("check database: %w", err)
	}
	return errors.Join(errs...)
}

// missingBodies counts the fetches whose body blob is not stored. The
// body's hash is inside the compact record (or the version's), so the
// records are decoded here, not queried.
func missingBodies(ctx context.Context, tx pgx.Tx) (int, error) {
	fs, err := readFetches(ctx, tx, "SELECT id, source, start_ns, rec FROM fetches ORDER BY source, id")
	if err != nil {
		return 0, err
	}
	bodies := map[string]int{}
	var keys [][]byte
	for _, f := range fs {
		if f.BodySHA256 == "" {
			continue
		}
		if bodies[f.BodySHA256]++; bodies[f.BodySHA256] == 1 {
			k, err := store.BlobKey(f.BodySHA256)
			if err != nil {
				return 0, fmt.Errorf("fetch %d: %w", f.ID, err)
			}
			keys = append(keys, k)
		}
	}
	rows, err := tx.Query(ctx, "SELECT encode(h, 'hex') FROM unnest($1::bytea[]) h WHERE NOT EXISTS (SELECT 1 FROM blobs WHERE hash = h)", keys)
	if err != nil {
		return 0, err
	}
	missing, err := pgx.CollectRows(rows, pgx.RowTo[string])
	n := 0
	for _, h := range missing {
		n += bodies[h]
	}
	return n, err
}

// CheckLog recomputes the log from the stored fetches and reports where
// it differs from the stored tree and the signed checkpoints (see
// store.DB.CheckLog; the same problems, the same report).
func (d *DB) CheckLog(ctx context.Context) (store.LogReport, error) {
	var rep store.LogReport
	if d.key != nil {
		if _, err := d.SignCheckpoint(ctx); err != nil {
			return rep, fmt.Errorf("check the transparency log: %w", err)
		}
	}
	err := pgx.BeginTxFunc(ctx, d.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var n int64
		var latest []byte
		if err := tx.QueryRow(ctx, "SELECT size, checkpoint FROM log_head").Scan(&n, &latest); err != nil {
			return err
		}
		rep.Size = n
		ts := newTiles(ctx, tx)
		leaves, err := d.checkLeaves(ctx, tx, ts, n, &rep)
		if err != nil {
			return err
		}
		rebuilt, err := store.RebuildTree(leaves)
		if err != nil {
			return err
		}
		differ := 0
		for level := 1; n>>(store.LogTileHeight*level) > 0; level++ {
			for i := range n >> (store.LogTileHeight * level) {
				h, err := ts.reader().ReadHashes([]int64{tlog.StoredHashIndex(store.LogTileHeight*level, i)})
				if err != nil || h[0] != rebuilt[tlog.StoredHashIndex(store.LogTileHeight*level, i)] {
					differ++
				}
			}
		}
		if differ > 0 && len(rep.Problems) == 0 {
			rep.Problems = append(rep.Problems, store.LogProblem{Kind: store.ProblemTree, Leaf: -1, Detail: fmt.Sprintf("%d stored interior hashes differ from the tree recomputed from the fetch records", differ)})
		}
		return d.checkCheckpoints(ctx, tx, n, latest, rebuilt, &rep)
	})
	if err != nil {
		return rep, fmt.Errorf("check the transparency log: %w", err)
	}
	return rep, nil
}

// checkLeaves recomputes the leaf of every fetch and compares it with
// the leaf hash logged, and reads every logged body back once.
func (d *DB) checkLeaves(ctx context.Context, tx pgx.Tx, ts *tiles, n int64, rep *store.LogReport) ([]tlog.Hash, error) {
	add := func(p store.LogProblem) { rep.Problems = append(rep.Problems, p) }
	leaves := make([]tlog.Hash, n)
	found := make([]bool, n)
	bodies := map[string]bool{}
	rows, err := fetchRows(ctx, tx, "SELECT id, source, start_ns, rec FROM fetches ORDER BY id")
	if err != nil {
		return nil, err
	}
	fr := newFetchReader(ctx, tx)
	for _, row := range rows {
		rep.Fetches++
		at := store.LogProblem{Leaf: int64(row.id) - 1, Fetch: row.id, Source: row.src, Start: time.Unix(0, row.start).UTC()}
		problem := func(kind, detail string) { p := at; p.Kind, p.Detail = kind, detail; add(p) }
		id := row.id
		if id == 0 || id > uint64(n) {
			p := at
			p.Leaf, p.Kind, p.Detail = -1, store.ProblemUnlogged, "the fetch record is not in the log (it was written around it)"
			add(p)
			continue
		}
		i := id - 1
		found[i] = true
		f, err := fr.decode(row.src, row.start, row.id, row.rec)
		if err != nil {
			problem(store.ProblemEdited, fmt.Sprintf("the fetch record no longer decodes: %v", err))
			continue
		}
		leaf := tlog.RecordHash(store.LogLeaf(f))
		leaves[i] = leaf
		stored, err := ts.reader().ReadHashes([]int64{tlog.StoredHashIndex(0, int64(i))})
		switch {
		case err != nil:
			problem(store.ProblemTree, "the log has no leaf hash for this record")
		case stored[0] != leaf:
			problem(store.ProblemEdited, "the fetch record was edited after it was logged (it no longer hashes to its leaf)")
		}
		if f.ID != id || f.SourceID != row.src {
			problem(store.ProblemEdited, fmt.Sprintf("the record stored there is fetch %d of source %d", f.ID, f.SourceID))
		}
		if f.BodySHA256 != "" && !bodies[f.BodySHA256] {
			bodies[f.BodySHA256] = true
			if key, err := store.BlobKey(f.BodySHA256); err == nil {
				if _, err := d.blob(ctx, tx, key); err != nil {
					problem(store.ProblemBody, fmt.Sprintf("the raw body %s cannot be read back intact: %v", f.BodySHA256, err))
				}
			}
		}
	}
	for i, ok := range found {
		if !ok {
			add(store.LogProblem{Kind: store.ProblemDeleted, Leaf: int64(i), Fetch: uint64(i) + 1,
				Detail: fmt.Sprintf("no fetch record with ID %d remains: it was deleted after it was logged", i+1)})
		}
	}
	return leaves, nil
}

// checkCheckpoints checks every kept checkpoint and the latest against
// the rebuilt tree and the log's key.
func (d *DB) checkCheckpoints(ctx context.Context, tx pgx.Tx, n int64, latest []byte, rebuilt store.TreeHashes, rep *store.LogReport) error {
	add := func(p store.LogProblem) { rep.Problems = append(rep.Problems, p) }
	vkey, err := d.PublicKey(ctx)
	if err != nil {
		return err
	}
	check := func(what string, signed []byte) *store.Checkpoint {
		rep.Checkpoints++
		c, err := store.OpenCheckpoint(signed, vkey)
		if err != nil {
			add(store.LogProblem{Kind: store.ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s: %v", what, err)})
			return nil
		}
		what = fmt.Sprintf("%s (size %d, signed %s)", what, c.Size, c.Time.Format(time.RFC3339))
		switch {
		case c.Origin != d.origin:
			add(store.LogProblem{Kind: store.ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s names the log %q, not %q", what, c.Origin, d.origin)})
		case c.Size > n:
			add(store.LogProblem{Kind: store.ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s covers %d records, but the log now has %d: records were removed from the log", what, c.Size, n)})
		default:
			if root, err := tlog.TreeHash(c.Size, rebuilt); err != nil || root != c.Hash {
				add(store.LogProblem{Kind: store.ProblemCheckpoint, Leaf: -1, Detail: fmt.Sprintf("%s does not match the tree recomputed from the stored fetch records (%v)", what, err)})
			}
		}
		return &c
	}
	rows, err := tx.Query(ctx, "SELECT size, note FROM checkpoints ORDER BY size")
	if err != nil {
		return err
	}
	var size int64
	var note []byte
	_, err = pgx.ForEachRow(rows, []any{&size, &note}, func() error {
		check(fmt.Sprintf("kept checkpoint %d", size), note)
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case latest != nil:
		if c := check("latest checkpoint", latest); c != nil {
			rep.Latest = c
			// It may cover fewer records than the log has: writers
			// without the key log records the key's node signs after
			// them (decision record 0048). More is a problem (above).
		}
	case n > 0:
		add(store.LogProblem{Kind: store.ProblemCheckpoint, Leaf: -1, Detail: "the log has records but no signed checkpoint"})
	}
	return nil
}
