package pgstore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
)

// Copied counts what CopyFrom copied, and the log it rebuilt.
type Copied struct {
	Sources, Fetches, Versions, Changes, Blobs, Dues int
	Tokens, Webhooks, Deliveries, Suppliers          int
	Notifications, Rubrics, Baselines, Checkpoints   int
	Subscriptions, Mails, Sessions                   int
	LogSize                                          int64
	Root                                             tlog.Hash
}

// CopyFrom copies a bbolt database into this one, which must be empty
// and opened with the bbolt database's key file: every source, state,
// fetch, version, change, blob (its stored bytes as they are), due time,
// token, webhook and delivery, supplier, notification, rubric, baseline
// and signed checkpoint, e-mail subscription and queued message (with
// its body, sent or not), and live browser session, keeping every ID.
// The database takes on the
// source's instance ID, so its log is the same log: the tree is rebuilt
// from the fetches and its root must be the one the source's latest
// checkpoint signed. It is all one transaction: a copy that fails leaves
// the target empty.
func (d *DB) CopyFrom(ctx context.Context, src *store.DB) (Copied, error) {
	var n Copied
	vkey, err := src.PublicKey(ctx)
	if err != nil {
		return n, fmt.Errorf("copy: %w", err)
	}
	if err := d.needKey("copy"); err != nil {
		return n, err
	}
	if vkey != d.key.VerifierKey() {
		return n, fmt.Errorf("copy: %w: the source's log is signed by %s; open the target with the source's key file (%s), not %s", store.ErrKey, vkey, src.KeyFile(), d.keyFile)
	}
	instance, err := src.Instance(ctx)
	if err != nil {
		return n, fmt.Errorf("copy: %w", err)
	}
	err = d.tx(ctx, func(tx pgx.Tx) error {
		if err := refuseNonEmpty(ctx, tx); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "UPDATE meta SET value = $1 WHERE key = 'instance'", instance); err != nil {
			return err
		}
		b := &batcher{ctx: ctx, tx: tx}
		steps := []func(context.Context, *batcher, *store.DB, *Copied) error{copySources, copyHistory, copyBlobs, copyRest, copySessions, copyMail, copyVetting}
		for _, step := range steps {
			if err := step(ctx, b, src, &n); err != nil {
				return err
			}
			if err := b.flush(); err != nil {
				return err
			}
		}
		if err := compactFetches(ctx, tx); err != nil {
			return err
		}
		if err := d.copyLog(ctx, tx, src, &n); err != nil {
			return err
		}
		return resetSequences(ctx, tx)
	})
	if err != nil {
		return Copied{}, fmt.Errorf("copy %s into PostgreSQL: %w", src.Path(), err)
	}
	d.instance, d.origin = instance, store.LogOrigin(instance)
	return n, nil
}

// refuseNonEmpty fails unless the target holds nothing yet.
func refuseNonEmpty(ctx context.Context, tx pgx.Tx) error {
	var rows int64
	err := tx.QueryRow(ctx, `SELECT (SELECT count(*) FROM sources) + (SELECT size FROM log_head) + (SELECT count(*) FROM blobs)
		+ (SELECT count(*) FROM tokens) + (SELECT count(*) FROM suppliers) + (SELECT count(*) FROM webhooks) + (SELECT count(*) FROM rubrics)`).Scan(&rows)
	if err != nil {
		return err
	}
	if rows != 0 {
		return fmt.Errorf("%w: the target database is not empty (%d rows); migrate only into a new database", store.ErrExists, rows)
	}
	return nil
}

// batcher queues statements and sends them a few hundred at a time.
type batcher struct {
	ctx   context.Context
	tx    pgx.Tx
	batch pgx.Batch
}

func (b *batcher) queue(sql string, args ...any) error {
	b.batch.Queue(sql, args...)
	if b.batch.Len() >= 500 {
		return b.flush()
	}
	return nil
}

func (b *batcher) flush() error {
	if b.batch.Len() == 0 {
		return nil
	}
	err := b.tx.SendBatch(b.ctx, &b.batch).Close()
	b.batch = pgx.Batch{}
	return err
}

// copySources copies sources and their states.
func copySources(ctx context.Context, b *batcher, src *store.DB, n *Copied) error {
	srcs, err := src.Sources(ctx)
	if err != nil {
		return err
	}
	for _, s := range srcs {
		st, err := src.State(ctx, s.ID)
		if err != nil {
			return err
		}
		if err := b.queue("INSERT INTO sources (id, name, url, supplier, paused, doc) VALUES ($1, $2, $3, $4, $5, $6)", s.ID, s.Name, s.URL, s.Supplier, s.Paused, s); err != nil {
			return err
		}
		if err := b.queue("INSERT INTO state (source, rev, health, doc) VALUES ($1, $2, $3, $4)", s.ID, st.Rev, st.Health, st); err != nil {
			return err
		}
		n.Sources++
	}
	return nil
}

// copyHistory copies every source's fetches and versions (of every
// generation), and the changes.
func copyHistory(ctx context.Context, b *batcher, src *store.DB, n *Copied) error {
	srcs, err := src.Sources(ctx)
	if err != nil {
		return err
	}
	if err := b.flush(); err != nil { // sources first: fetches refer to them
		return err
	}
	for _, s := range srcs {
		fs, err := src.Fetches(ctx, s.ID, time.Time{}, time.Time{}, 0)
		if err != nil {
			return err
		}
		for _, f := range fs {
			rec, err := store.JSONFetch(f) // made compact by compactFetches once the versions are in
			if err != nil {
				return err
			}
			if err := b.queue("INSERT INTO fetches (id, source, start_ns, rec) VALUES ($1, $2, $3, $4)", f.ID, f.SourceID, ns(f.Start), rec); err != nil {
				return err
			}
			n.Fetches++
		}
		st, err := src.State(ctx, s.ID)
		if err != nil {
			return err
		}
		for gen := uint64(1); gen <= st.Generation; gen++ {
			vs, err := src.GenerationVersions(ctx, s.ID, gen)
			if err != nil {
				return err
			}
			for _, v := range vs {
				if err := b.queue("INSERT INTO versions (source, generation, seq, doc) VALUES ($1, $2, $3, $4)", v.SourceID, v.Generation, v.Seq, v); err != nil {
					return err
				}
				n.Versions++
			}
		}
	}
	cs, err := src.Changes(ctx, store.ChangeFilter{Reextracted: true})
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := b.queue("INSERT INTO changes (id, source, detected_ns, revet, reextracted, triage, doc) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			c.ID, c.SourceID, ns(c.Detected), c.Revet, c.Reextracted, string(c.Triage.State), c); err != nil {
			return err
		}
		n.Changes++
	}
	return nil
}

// copyBlobs copies every blob's stored bytes as they are.
func copyBlobs(ctx context.Context, b *batcher, src *store.DB, n *Copied) error {
	return src.EachBlob(ctx, func(key, value []byte) error {
		n.Blobs++
		return b.queue("INSERT INTO blobs (hash, value) VALUES ($1, $2)", key, value)
	})
}

// copyRest copies due times, tokens, webhooks and their deliveries.
func copyRest(ctx context.Context, b *batcher, src *store.DB, n *Copied) error {
	dues, err := src.Dues(ctx)
	if err != nil {
		return err
	}
	for _, due := range dues {
		if err := b.queue("INSERT INTO due (source, at_ns, doc) VALUES ($1, $2, $3)", due.SourceID, ns(due.At), due); err != nil {
			return err
		}
		n.Dues++
	}
	toks, err := src.Tokens(ctx)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if err := b.queue("INSERT INTO tokens (hash, name, doc) VALUES ($1, $2, $3)", t.Hash, t.Name, t); err != nil {
			return err
		}
		n.Tokens++
	}
	hooks, err := src.Webhooks(ctx)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		if err := b.queue("INSERT INTO webhooks (id, doc) VALUES ($1, $2)", h.ID, h); err != nil {
			return err
		}
		n.Webhooks++
		dls, err := src.Deliveries(ctx, h.ID, 0)
		if err != nil {
			return err
		}
		for _, dl := range dls {
			if err := b.queue("INSERT INTO deliveries (hook, change, doc) VALUES ($1, $2, $3)", dl.Hook, dl.Change, dl); err != nil {
				return err
			}
			n.Deliveries++
		}
	}
	return nil
}

// copyMail copies e-mail subscriptions and their outbox, every message
// with the bytes it was (or will be) sent as.
func copyMail(ctx context.Context, b *batcher, src *store.DB, n *Copied) error {
	subs, err := src.Subscriptions(ctx)
	if err != nil {
		return err
	}
	for _, s := range subs {
		if err := b.queue("INSERT INTO mail_subs (id, owner, doc) VALUES ($1, $2, $3)", s.ID, s.Owner, s); err != nil {
			return err
		}
		n.Subscriptions++
	}
	return src.EachMail(ctx, func(m store.Mail, pending bool) error {
		n.Mails++
		return b.queue("INSERT INTO mail_outbox (id, sub, key, pending, doc) VALUES ($1, $2, $3, $4, $5)", m.ID, m.Sub, m.Key, pending, m)
	})
}

// copySessions copies the browser sessions still live at now (an
// expired one could never be used again), after the tokens they belong
// to: people stay signed in across the move.
func copySessions(ctx context.Context, b *batcher, src *store.DB, n *Copied) error {
	now := time.Now()
	return src.EachSession(ctx, func(s store.Session) error {
		if !s.Expires.After(now) {
			return nil
		}
		n.Sessions++
		return b.queue("INSERT INTO sessions (hash, token_hash, expires_ns, doc) VALUES ($1, $2, $3, $4)", s.Hash, s.TokenHash, ns(s.Expires), s)
	})
}

// copyVetting copies suppliers, notifications, rubrics and baselines.
func copyVetting(ctx context.Context, b *batcher, src *store.DB, n *Copied) error {
	sups, err := src.Suppliers(ctx)
	if err != nil {
		return err
	}
	for _, s := range sups {
		if err := b.queue("INSERT INTO suppliers (name, token_hash, doc) VALUES ($1, $2, $3)", s.Name, nullable(s.TokenHash), s); err != nil {
			return err
		}
		n.Suppliers++
	}
	if err := b.flush(); err != nil { // suppliers first: notifications refer to them
		return err
	}
	notes, err := src.Notifications(ctx, "")
	if err != nil {
		return err
	}
	for _, x := range notes {
		if err := b.queue("INSERT INTO notifications (id, supplier, doc) VALUES ($1, $2, $3)", x.ID, x.Supplier, x); err != nil {
			return err
		}
		n.Notifications++
	}
	rubrics, err := src.Rubrics(ctx)
	if err != nil {
		return err
	}
	for _, r := range rubrics {
		if err := b.queue("INSERT INTO rubrics (released, version, doc) VALUES ($1, $2, $3)", r.Released, r.Version, r); err != nil {
			return err
		}
		n.Rubrics++
	}
	bases, err := src.Baselines(ctx, 0)
	if err != nil {
		return err
	}
	for _, x := range bases {
		if err := b.queue("INSERT INTO baselines (source, name, doc) VALUES ($1, $2, $3)", x.Source, x.Name, x); err != nil {
			return err
		}
		n.Baselines++
	}
	return nil
}

// copyLog rebuilds the log's tiles from the copied fetches, checks the
// root is the one the source signed last, and copies the checkpoints.
func (d *DB) copyLog(ctx context.Context, tx pgx.Tx, src *store.DB, n *Copied) error {
	size, err := src.LogSize(ctx)
	if err != nil {
		return err
	}
	fs, err := readFetches(ctx, tx, "SELECT id, source, start_ns, rec FROM fetches ORDER BY id")
	if err != nil {
		return err
	}
	slices.SortFunc(fs, func(a, b store.Fetch) int { return cmp.Compare(a.ID, b.ID) })
	if int64(len(fs)) != size {
		return fmt.Errorf("%w: the source has %d fetches and a log of %d", store.ErrCorrupt, len(fs), size)
	}
	var hashes store.TreeHashes
	for i, f := range fs {
		if f.ID != uint64(i)+1 {
			return fmt.Errorf("%w: fetch %d where log record %d wants fetch %d", store.ErrCorrupt, f.ID, i, i+1)
		}
		more, err := tlog.StoredHashes(int64(i), store.LogLeaf(f), hashes)
		if err != nil {
			return err
		}
		hashes = append(hashes, more...)
	}
	for _, t := range tlog.NewTiles(store.LogTileHeight, 0, size) {
		data, err := tlog.ReadTileData(t, hashes)
		if err != nil {
			return fmt.Errorf("tile %d/%d: %w", t.L, t.N, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO log_tiles (level, n, data) VALUES ($1, $2, $3)", t.L, t.N, data); err != nil {
			return err
		}
	}
	n.LogSize = size
	if size == 0 {
		return nil
	}
	if n.Root, err = tlog.TreeHash(size, hashes); err != nil {
		return err
	}
	latest, err := src.LatestCheckpoint(ctx)
	if err != nil {
		return err
	}
	if latest.Size != size || latest.Hash != n.Root {
		return fmt.Errorf("%w: the rebuilt log's root at size %d is %v, the source's latest checkpoint signs %v at size %d", store.ErrCorrupt, size, n.Root, latest.Hash, latest.Size)
	}
	if _, err := tx.Exec(ctx, "UPDATE log_head SET size = $1, checkpoint = $2, checkpoint_size = $3", size, latest.Note, latest.Size); err != nil {
		return err
	}
	kept, err := src.Checkpoints(ctx)
	if err != nil {
		return err
	}
	for _, c := range kept {
		if _, err := tx.Exec(ctx, "INSERT INTO checkpoints (size, note) VALUES ($1, $2)", c.Size, c.Note); err != nil {
			return err
		}
		n.Checkpoints++
	}
	return nil
}

// resetSequences moves the ID sequences past the copied IDs.
func resetSequences(ctx context.Context, tx pgx.Tx) error {
	for _, t := range []string{"sources", "changes", "webhooks", "notifications", "mail_subs", "mail_outbox"} {
		if _, err := tx.Exec(ctx, fmt.Sprintf("SELECT setval('%s_id_seq', coalesce(max(id), 0) + 1, false) FROM %s", t, t)); err != nil {
			return fmt.Errorf("sequence of %s: %w", t, err)
		}
	}
	return nil
}
