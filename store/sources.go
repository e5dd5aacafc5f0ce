package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.etcd.io/bbolt"
)

// validate checks a source before it is stored: its name, supplier,
// section and URL (ValidName, ValidURL) and its kind. was is the stored source when
// s replaces one (nil for a new one): a name, supplier or URL it keeps
// unchanged is not checked again, so a source stored before a check
// existed can still be paused, or edited in other ways.
func (s *Source) validate(was *Source) error {
	s.Name = strings.TrimSpace(s.Name)
	s.Supplier = strings.TrimSpace(s.Supplier)
	var old Source
	if was != nil {
		old = *was
	}
	if was == nil || s.Name != old.Name {
		if err := ValidName(SourceName, s.Name); err != nil {
			return err
		}
	}
	if s.Supplier != "" && (was == nil || s.Supplier != old.Supplier) {
		if err := ValidName(SupplierName, s.Supplier); err != nil {
			return fmt.Errorf("source %q: %w", s.Name, err)
		}
	}
	if was == nil || s.URL != old.URL {
		if err := ValidURL("URL", s.URL); err != nil {
			return fmt.Errorf("source %q: %w", s.Name, err)
		}
	}
	s.Section = strings.TrimSpace(s.Section)
	if s.Section != "" && (was == nil || s.Section != old.Section) {
		if err := ValidName(SectionName, s.Section); err != nil {
			return fmt.Errorf("source %q: %w", s.Name, err)
		}
	}
	if err := s.Render.valid(); err != nil {
		return fmt.Errorf("source %q: %w", s.Name, err)
	}
	tags, err := ValidTags(s.Tags)
	if err != nil {
		return fmt.Errorf("source %q: %w", s.Name, err)
	}
	s.Tags = tags
	if s.Archived {
		s.Paused = true
	}
	switch s.Kind {
	case "":
		s.Kind = Privacy
	case Privacy, Terms:
	default:
		return fmt.Errorf("%w: source %q: kind %q (want privacy or terms)", ErrInvalid, s.Name, s.Kind)
	}
	return nil
}

// AddSource stores a new source and its initial state, and returns it
// with its ID. A name or URL already watched is ErrExists.
func (d *DB) AddSource(ctx context.Context, s Source) (Source, error) {
	added, err := d.AddSources(ctx, []Source{s})
	if err != nil {
		return Source{}, err
	}
	return added[0], nil
}

// AddSources stores new sources in one transaction: all or none (a
// watchlist of thousands costs one commit, not thousands).
func (d *DB) AddSources(ctx context.Context, srcs []Source) ([]Source, error) {
	out := make([]Source, len(srcs))
	for i, s := range srcs {
		if err := s.validate(nil); err != nil {
			return nil, err
		}
		s.V = 1
		if s.Added.IsZero() {
			s.Added = d.now().UTC()
		}
		out[i] = s
	}
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		for i := range out {
			if err := addSource(tx, &out[i]); err != nil {
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

// addSource writes s with a new ID, its initial state and index entries.
func addSource(tx *bbolt.Tx, s *Source) error {
	names, urls := tx.Bucket(bucketNames), tx.Bucket(bucketURLs)
	if id := names.Get([]byte(s.Name)); id != nil {
		return fmt.Errorf("%w: a source named %q (id %d)", ErrExists, s.Name, fromU64(id))
	}
	if id := urls.Get([]byte(s.URL)); id != nil {
		return fmt.Errorf("%w: %s is watched already (source %d)", ErrExists, s.URL, fromU64(id))
	}
	sources := tx.Bucket(bucketSources)
	id, err := sources.NextSequence()
	if err != nil {
		return err
	}
	s.ID = id
	if err := putJSON(sources, u64(id), s); err != nil {
		return err
	}
	st := State{V: 1, SourceID: id, Generation: 1, Health: HealthOK}
	if err := putJSON(tx.Bucket(bucketState), u64(id), st); err != nil {
		return err
	}
	if err := names.Put([]byte(s.Name), u64(id)); err != nil {
		return err
	}
	if err := indexSupplier(tx, nil, s); err != nil {
		return err
	}
	return urls.Put([]byte(s.URL), u64(id))
}

// UpdateSource replaces a source's settings (name, URL, selectors,
// schedule, paused). Its history is kept.
//
// UpdateSource never switches the SSRF guard off: AllowPrivate belongs
// to the URL it was granted for (by AddSource or GrantPrivate), so it is
// kept only while s keeps both it and that URL, and is cleared otherwise
// (decision record 0016).
func (d *DB) UpdateSource(ctx context.Context, s Source) error {
	s.V = 1
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		sources, names, urls := tx.Bucket(bucketSources), tx.Bucket(bucketNames), tx.Bucket(bucketURLs)
		var old Source
		if err := getJSON(sources, u64(s.ID), &old); err != nil {
			return fmt.Errorf("source %d: %w", s.ID, err)
		}
		if err := s.validate(&old); err != nil {
			return err
		}
		if id := names.Get([]byte(s.Name)); id != nil && fromU64(id) != s.ID {
			return fmt.Errorf("%w: a source named %q", ErrExists, s.Name)
		}
		if id := urls.Get([]byte(s.URL)); id != nil && fromU64(id) != s.ID {
			return fmt.Errorf("%w: %s is watched already", ErrExists, s.URL)
		}
		if err := names.Delete([]byte(old.Name)); err != nil {
			return err
		}
		if err := urls.Delete([]byte(old.URL)); err != nil {
			return err
		}
		s.Added, s.Origin = old.Added, old.Origin
		s.AllowPrivate = s.AllowPrivate && old.AllowPrivate && s.URL == old.URL
		if err := names.Put([]byte(s.Name), u64(s.ID)); err != nil {
			return err
		}
		if err := urls.Put([]byte(s.URL), u64(s.ID)); err != nil {
			return err
		}
		if err := indexSupplier(tx, &old, &s); err != nil {
			return err
		}
		return putJSON(sources, u64(s.ID), s)
	})
	if err != nil {
		return fmt.Errorf("update source %s: %w", quoteShort(s.Name), err)
	}
	return nil
}

// GrantPrivate switches the SSRF guard off for a source while its URL is
// url: the operator's grant (the command line, the watchlist), never
// the web API's. It is refused (ErrConflict) when the source's URL is
// no longer url, so a grant cannot land on a URL it was not meant for.
func (d *DB) GrantPrivate(ctx context.Context, id uint64, url string) error {
	err := d.update(ctx, func(tx *bbolt.Tx) error {
		sources := tx.Bucket(bucketSources)
		var s Source
		if err := getJSON(sources, u64(id), &s); err != nil {
			return err
		}
		if s.URL != url {
			return fmt.Errorf("%w: its URL is now %s", ErrConflict, s.URL)
		}
		if s.AllowPrivate {
			return nil
		}
		s.AllowPrivate = true
		return putJSON(sources, u64(id), s)
	})
	if err != nil {
		return fmt.Errorf("allow private addresses for source %d at %s: %w", id, url, err)
	}
	return nil
}

// Source finds a source by ID, name or URL. A reference that matches
// two sources (a database written before names were checked could hold
// a source named like another's URL) is ErrAmbiguous, never a guess.
func (d *DB) Source(ctx context.Context, ref string) (Source, error) {
	var s Source
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		id, err := resolve(tx, ref)
		if err != nil {
			return err
		}
		return getJSON(tx.Bucket(bucketSources), u64(id), &s)
	})
	if err != nil {
		return Source{}, fmt.Errorf("source %s: %w", quoteShort(ref), err)
	}
	return s, nil
}

// SourceByID returns the source with this ID. Callers that hold an ID
// from the store's own records (a change's, a schedule's) use it rather
// than Source, whose reference may also read as a name.
func (d *DB) SourceByID(ctx context.Context, id uint64) (Source, error) {
	var s Source
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketSources).Get(u64(id)) == nil {
			return ErrNotFound
		}
		return getJSON(tx.Bucket(bucketSources), u64(id), &s)
	})
	if err != nil {
		return Source{}, fmt.Errorf("source %d: %w", id, err)
	}
	return s, nil
}

// resolve turns a reference (ID, name or URL) into a source ID. Every
// reading is tried; all that match must agree.
func resolve(tx *bbolt.Tx, ref string) (uint64, error) {
	type match struct {
		by string
		id uint64
	}
	var found []match
	if id := tx.Bucket(bucketNames).Get([]byte(ref)); id != nil {
		found = append(found, match{"name", fromU64(id)})
	}
	if id := tx.Bucket(bucketURLs).Get([]byte(ref)); id != nil {
		found = append(found, match{"URL", fromU64(id)})
	}
	if n, err := strconv.ParseUint(ref, 10, 64); err == nil && tx.Bucket(bucketSources).Get(u64(n)) != nil {
		found = append(found, match{"ID", n})
	}
	if len(found) == 0 {
		return 0, ErrNotFound
	}
	for _, m := range found[1:] {
		if m.id != found[0].id {
			parts := make([]string, len(found))
			for i, m := range found {
				parts[i] = fmt.Sprintf("source %d by %s", m.id, m.by)
			}
			return 0, fmt.Errorf("%w: matches %s", ErrAmbiguous, strings.Join(parts, " and "))
		}
	}
	return found[0].id, nil
}

// Sources returns every source, by ID.
func (d *DB) Sources(ctx context.Context) ([]Source, error) {
	var out []Source
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketSources).ForEach(func(k, v []byte) error {
			var s Source
			if err := getJSON(tx.Bucket(bucketSources), k, &s); err != nil {
				return fmt.Errorf("source %d: %w", fromU64(k), err)
			}
			out = append(out, s)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list sources: %w", err)
	}
	return out, nil
}

// State returns a source's pipeline state.
func (d *DB) State(ctx context.Context, sourceID uint64) (State, error) {
	var st State
	err := d.view(ctx, func(tx *bbolt.Tx) error { return getJSON(tx.Bucket(bucketState), u64(sourceID), &st) })
	if err != nil {
		return State{}, fmt.Errorf("state of source %d: %w", sourceID, err)
	}
	return st, nil
}

// StatesByID returns the pipeline states of the sources with the given
// IDs, in one transaction; IDs with no state are left out of the map.
func (d *DB) StatesByID(ctx context.Context, ids []uint64) (map[uint64]State, error) {
	out := make(map[uint64]State, len(ids))
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketState)
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			var st State
			if err := getJSON(b, u64(id), &st); err != nil {
				if errors.Is(err, ErrNotFound) {
					continue
				}
				return fmt.Errorf("state of source %d: %w", id, err)
			}
			out[id] = st
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read states: %w", err)
	}
	return out, nil
}

// SourcesByID returns the sources with the given IDs, in one transaction;
// IDs with no source are left out of the map.
func (d *DB) SourcesByID(ctx context.Context, ids []uint64) (map[uint64]Source, error) {
	out := make(map[uint64]Source, len(ids))
	err := d.view(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketSources)
		for _, id := range ids {
			if _, ok := out[id]; ok {
				continue
			}
			var s Source
			if err := getJSON(b, u64(id), &s); err != nil {
				if errors.Is(err, ErrNotFound) {
					continue
				}
				return fmt.Errorf("source %d: %w", id, err)
			}
			out[id] = s
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read sources: %w", err)
	}
	return out, nil
}
