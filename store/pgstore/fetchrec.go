package pgstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// Fetches are stored as the bbolt store's compact records (decision
// record 0048; store.EncodeFetch) in fetches.rec, the sets they refer to
// in fetch_sets, one row per set and source. A record that would not
// read back as its fetch is stored as JSON, as bbolt does.

// sets is store.FetchSets over fetch_sets for one source. Add needs tx
// (the log's lock held: sets are numbered max+1 under it).
type sets struct {
	ctx context.Context
	q   querier
	tx  pgx.Tx
	src uint64
}

func (s sets) Set(seq uint64) ([]byte, error) {
	var v []byte
	err := s.q.QueryRow(s.ctx, "SELECT value FROM fetch_sets WHERE source = $1 AND seq = $2", s.src, seq).Scan(&v)
	if err != nil {
		return nil, fmt.Errorf("set %d of source %d: %w", seq, s.src, notFound(err))
	}
	return v, nil
}

func (s sets) Find(value []byte) (uint64, error) {
	sum := sha256.Sum256(value)
	var seq uint64
	var have []byte
	err := s.q.QueryRow(s.ctx, "SELECT seq, value FROM fetch_sets WHERE source = $1 AND hash = $2", s.src, sum[:]).Scan(&seq, &have)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("sets of source %d: %w", s.src, err)
	case !bytes.Equal(have, value):
		return 0, fmt.Errorf("%w: set %d of source %d does not hash to its key", store.ErrCorrupt, seq, s.src)
	}
	return seq, nil
}

func (s sets) Add(value []byte) (uint64, error) {
	if s.tx == nil {
		return 0, errors.New("add a fetch set outside a write")
	}
	sum := sha256.Sum256(value)
	var seq uint64
	err := s.tx.QueryRow(s.ctx, `INSERT INTO fetch_sets (source, seq, hash, value)
		SELECT $1, coalesce(max(seq), 0) + 1, $2, $3 FROM fetch_sets WHERE source = $1 RETURNING seq`, s.src, sum[:], value).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("add a set to source %d: %w", s.src, err)
	}
	return seq, nil
}

func (s sets) LatestHeaderSets(n int) ([]store.NumberedSet, error) {
	rows, err := s.q.Query(s.ctx, `SELECT seq, value FROM fetch_sets WHERE source = $1 AND get_byte(value, 0) = 104
		ORDER BY seq DESC LIMIT $2`, s.src, n)
	if err != nil {
		return nil, fmt.Errorf("header sets of source %d: %w", s.src, err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.NumberedSet, error) {
		var ns store.NumberedSet
		return ns, r.Scan(&ns.Seq, &ns.Value)
	})
}

// encodeFetch is f's record: compact, its sets added in tx, or JSON when
// the compact one would not read back as f. ver is the version f saw in
// generation gen (nil: none). asJSON stores JSON whatever the fetch.
func encodeFetch(ctx context.Context, tx pgx.Tx, f store.Fetch, gen uint64, ver *store.Version, asJSON bool) ([]byte, error) {
	var data []byte
	ok, err := false, error(nil)
	if !asJSON {
		data, ok, err = store.EncodeFetch(f, sets{ctx: ctx, q: tx, tx: tx, src: f.SourceID}, gen, ver)
	}
	if err != nil {
		return nil, fmt.Errorf("fetch %d: %w", f.ID, err)
	}
	if !ok {
		if data, err = store.JSONFetch(f); err != nil {
			return nil, fmt.Errorf("fetch %d: %w", f.ID, err)
		}
	}
	return data, nil
}

// fetchReader decodes fetch rows, one decoder per source.
type fetchReader struct {
	ctx      context.Context
	q        querier
	decoders map[uint64]*store.FetchDecoder
}

func newFetchReader(ctx context.Context, q querier) *fetchReader {
	return &fetchReader{ctx: ctx, q: q, decoders: map[uint64]*store.FetchDecoder{}}
}

// decode reads the record of fetch id of source src, started at start.
func (r *fetchReader) decode(src uint64, start int64, id uint64, rec []byte) (store.Fetch, error) {
	d := r.decoders[src]
	if d == nil {
		d = store.NewFetchDecoder(src, sets{ctx: r.ctx, q: r.q, src: src}, func(gen, seq uint64) (store.Version, error) {
			var v store.Version
			err := r.q.QueryRow(r.ctx, "SELECT doc FROM versions WHERE source = $1 AND generation = $2 AND seq = $3", src, gen, seq).Scan(&v)
			return v, notFound(err)
		})
		r.decoders[src] = d
	}
	return d.Decode(rec, start, id)
}

// fetchRow is a fetch's stored row.
type fetchRow struct {
	id, src uint64
	start   int64
	rec     []byte
}

// fetchRows runs a query of (id, source, start_ns, rec) rows.
func fetchRows(ctx context.Context, q querier, sql string, args ...any) ([]fetchRow, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (fetchRow, error) {
		var fr fetchRow
		return fr, r.Scan(&fr.id, &fr.src, &fr.start, &fr.rec)
	})
}

// readFetches decodes the fetches a query of (id, source, start_ns, rec)
// returns, in its order.
func readFetches(ctx context.Context, q querier, sql string, args ...any) ([]store.Fetch, error) {
	rows, err := fetchRows(ctx, q, sql, args...)
	if err != nil {
		return nil, err
	}
	r := newFetchReader(ctx, q)
	out := make([]store.Fetch, 0, len(rows))
	for _, row := range rows {
		f, err := r.decode(row.src, row.start, row.id, row.rec)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// compactFetches is the Go step of migration 4: every JSON fetch record
// is rewritten as a compact one when that reads back as the same fetch
// and the same log leaf byte for byte (store.EncodeFetch checks each);
// any other stays JSON. A record that does not decode stays as it is for
// CheckLog to report.
func compactFetches(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(logLock)); err != nil {
		return fmt.Errorf("log lock: %w", err)
	}
	rows, err := fetchRows(ctx, tx, "SELECT id, source, start_ns, rec FROM fetches WHERE get_byte(rec, 0) = 123 ORDER BY source, id")
	if err != nil {
		return err
	}
	for _, row := range rows {
		var f store.Fetch
		if err := json.Unmarshal(row.rec, &f); err != nil || f.ID != row.id || f.SourceID != row.src || ns(f.Start) != row.start {
			continue
		}
		gen, ver, err := versionSeen(ctx, tx, f)
		if err != nil {
			return err
		}
		data, ok, err := store.EncodeFetch(f, sets{ctx: ctx, q: tx, tx: tx, src: f.SourceID}, gen, ver)
		if err != nil {
			return fmt.Errorf("fetch %d: %w", f.ID, err)
		}
		if !ok {
			continue
		}
		if _, err := tx.Exec(ctx, "UPDATE fetches SET rec = $2 WHERE id = $1", f.ID, data); err != nil {
			return fmt.Errorf("fetch %d: %w", f.ID, err)
		}
	}
	return nil
}

// versionSeen finds the version a JSON fetch saw (it names the version
// but not its generation): of the generations that have it, the one whose
// hashes match the fetch's most, newest first. Nil when none has it.
func versionSeen(ctx context.Context, tx pgx.Tx, f store.Fetch) (uint64, *store.Version, error) {
	if f.Version == 0 {
		return 0, nil, nil
	}
	vs, err := docs[store.Version](ctx, tx, "SELECT doc FROM versions WHERE source = $1 AND seq = $2 ORDER BY generation DESC", f.SourceID, f.Version)
	if err != nil {
		return 0, nil, fmt.Errorf("versions of fetch %d: %w", f.ID, err)
	}
	var best *store.Version
	score := -1
	for i, v := range vs {
		s := 0
		for _, p := range [][2]string{{v.BodySHA256, f.BodySHA256}, {v.DocSHA256, f.DocSHA256}, {v.TextSHA256, f.TextSHA256}} {
			if p[0] != "" && p[0] == p[1] {
				s++
			}
		}
		if s > score {
			best, score = &vs[i], s
		}
	}
	if best == nil {
		return 0, nil, nil
	}
	return best.Generation, best, nil
}
