package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
)

// AddSource adds a source to watch (see store.DB.AddSource).
func (d *DB) AddSource(ctx context.Context, s store.Source) (store.Source, error) {
	added, err := d.AddSources(ctx, []store.Source{s})
	if err != nil {
		return store.Source{}, err
	}
	return added[0], nil
}

// AddSources adds sources in one transaction: all of them or none.
func (d *DB) AddSources(ctx context.Context, srcs []store.Source) ([]store.Source, error) {
	out := make([]store.Source, len(srcs))
	for i, s := range srcs {
		if err := store.PrepareSource(&s, nil); err != nil {
			return nil, err
		}
		s.V = 1
		if s.Added.IsZero() {
			s.Added = d.now().UTC()
		}
		out[i] = s
	}
	err := d.tx(ctx, func(tx pgx.Tx) error {
		for i := range out {
			if err := addSource(ctx, tx, &out[i]); err != nil {
				return fmt.Errorf("add source %q: %w", out[i].Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// addSource inserts s with its first state, setting its ID.
func addSource(ctx context.Context, tx pgx.Tx, s *store.Source) error {
	var id uint64
	err := tx.QueryRow(ctx, "SELECT id FROM sources WHERE name = $1 OR url = $2 LIMIT 1", s.Name, s.URL).Scan(&id)
	if err == nil {
		return fmt.Errorf("%w: a source named %q or watching %s (id %d)", store.ErrExists, s.Name, s.URL, id)
	} else if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	if err := tx.QueryRow(ctx, "SELECT nextval('sources_id_seq')").Scan(&s.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, "INSERT INTO sources (id, name, url, supplier, paused, doc) VALUES ($1, $2, $3, $4, $5, $6)",
		s.ID, s.Name, s.URL, s.Supplier, s.Paused, s); err != nil {
		if isUnique(err, "") {
			return fmt.Errorf("%w: %v", store.ErrExists, err)
		}
		return err
	}
	st := store.State{V: 1, SourceID: s.ID, Generation: 1, Health: store.HealthOK}
	_, err = tx.Exec(ctx, "INSERT INTO state (source, rev, health, doc) VALUES ($1, 0, $2, $3)", s.ID, st.Health, st)
	return err
}

// UpdateSource replaces a source's settings (see store.DB.UpdateSource).
func (d *DB) UpdateSource(ctx context.Context, s store.Source) error {
	s.V = 1
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var old store.Source
		if err := tx.QueryRow(ctx, "SELECT doc FROM sources WHERE id = $1 FOR UPDATE", s.ID).Scan(&old); err != nil {
			return fmt.Errorf("source %d: %w", s.ID, notFound(err))
		}
		if err := store.PrepareSource(&s, &old); err != nil {
			return err
		}
		s.Added, s.Origin = old.Added, old.Origin
		s.AllowPrivate = s.AllowPrivate && old.AllowPrivate && s.URL == old.URL
		_, err := tx.Exec(ctx, "UPDATE sources SET name = $2, url = $3, supplier = $4, paused = $5, doc = $6 WHERE id = $1",
			s.ID, s.Name, s.URL, s.Supplier, s.Paused, s)
		if isUnique(err, "sources_name_key") {
			return fmt.Errorf("%w: a source named %q", store.ErrExists, s.Name)
		}
		if isUnique(err, "sources_url_key") {
			return fmt.Errorf("%w: %s is watched already", store.ErrExists, s.URL)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("update source %q: %w", s.Name, err)
	}
	return nil
}

// GrantPrivate lets source id fetch private addresses while its URL is
// still url.
func (d *DB) GrantPrivate(ctx context.Context, id uint64, url string) error {
	err := d.tx(ctx, func(tx pgx.Tx) error {
		var s store.Source
		if err := tx.QueryRow(ctx, "SELECT doc FROM sources WHERE id = $1 FOR UPDATE", id).Scan(&s); err != nil {
			return notFound(err)
		}
		if s.URL != url {
			return fmt.Errorf("%w: its URL is now %s", store.ErrConflict, s.URL)
		}
		if s.AllowPrivate {
			return nil
		}
		s.AllowPrivate = true
		_, err := tx.Exec(ctx, "UPDATE sources SET doc = $2 WHERE id = $1", id, s)
		return err
	})
	if err != nil {
		return fmt.Errorf("allow private addresses for source %d at %s: %w", id, url, err)
	}
	return nil
}

// Source finds a source by name, URL or ID.
func (d *DB) Source(ctx context.Context, ref string) (store.Source, error) {
	return resolve(ctx, d.pool, ref)
}

// resolve finds a source by name, URL or ID; ErrAmbiguous when they
// name different sources.
func resolve(ctx context.Context, q querier, ref string) (store.Source, error) {
	id, _ := strconv.ParseUint(ref, 10, 64)
	rows, err := q.Query(ctx, `SELECT 'name', doc FROM sources WHERE name = $1
		UNION ALL SELECT 'URL', doc FROM sources WHERE url = $1
		UNION ALL SELECT 'ID', doc FROM sources WHERE id = $2`, ref, int64(id))
	if err != nil {
		return store.Source{}, fmt.Errorf("source %q: %w", ref, err)
	}
	type match struct {
		by string
		s  store.Source
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (match, error) {
		var m match
		return m, r.Scan(&m.by, &m.s)
	})
	if err != nil {
		return store.Source{}, fmt.Errorf("source %q: %w", ref, err)
	}
	if len(found) == 0 {
		return store.Source{}, fmt.Errorf("source %q: %w", ref, store.ErrNotFound)
	}
	for _, m := range found[1:] {
		if m.s.ID != found[0].s.ID {
			parts := make([]string, len(found))
			for i, m := range found {
				parts[i] = fmt.Sprintf("source %d by %s", m.s.ID, m.by)
			}
			return store.Source{}, fmt.Errorf("source %q: %w: matches %s", ref, store.ErrAmbiguous, strings.Join(parts, " and "))
		}
	}
	return found[0].s, nil
}

// SourceByID returns source id.
func (d *DB) SourceByID(ctx context.Context, id uint64) (store.Source, error) {
	var s store.Source
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM sources WHERE id = $1", id).Scan(&s); err != nil {
		return store.Source{}, fmt.Errorf("source %d: %w", id, notFound(err))
	}
	return s, nil
}

// Sources lists every source in ID order.
func (d *DB) Sources(ctx context.Context) ([]store.Source, error) {
	out, err := docs[store.Source](ctx, d.pool, "SELECT doc FROM sources ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}

// SourcesByID returns the sources with these IDs that exist.
func (d *DB) SourcesByID(ctx context.Context, ids []uint64) (map[uint64]store.Source, error) {
	list, err := docs[store.Source](ctx, d.pool, "SELECT doc FROM sources WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("read sources: %w", err)
	}
	out := make(map[uint64]store.Source, len(list))
	for _, s := range list {
		out[s.ID] = s
	}
	return out, nil
}

// State returns what the pipeline knows about a source.
func (d *DB) State(ctx context.Context, sourceID uint64) (store.State, error) {
	var st store.State
	if err := d.pool.QueryRow(ctx, "SELECT doc FROM state WHERE source = $1", sourceID).Scan(&st); err != nil {
		return store.State{}, fmt.Errorf("state of source %d: %w", sourceID, notFound(err))
	}
	return st, nil
}

// StatesByID returns the pipeline states of the sources with these IDs
// that have one, in one query.
func (d *DB) StatesByID(ctx context.Context, ids []uint64) (map[uint64]store.State, error) {
	rows, err := d.pool.Query(ctx, "SELECT source, doc FROM state WHERE source = ANY($1)", ids)
	if err != nil {
		return nil, fmt.Errorf("read states: %w", err)
	}
	out := make(map[uint64]store.State, len(ids))
	var id uint64
	var st store.State
	_, err = pgx.ForEachRow(rows, []any{&id, &st}, func() error {
		out[id] = st
		st = store.State{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read states: %w", err)
	}
	return out, nil
}

// querier is a pool, connection or transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// docs runs a query of one json column and decodes each row into a T.
func docs[T any](ctx context.Context, q querier, sql string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) {
		var v T
		return v, r.Scan(&v)
	})
}
