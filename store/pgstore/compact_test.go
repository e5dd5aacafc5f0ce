package pgstore

import (
	"bytes"
	"path/filepath"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/mod/sumdb/tlog"
)

// TestCompactMigration writes a database as schema 2 kept it — fetches
// as JSON, logged and signed — then opens it with this build: migration
// 4 rewrites the records as compact ones, every fetch reads back with
// the same log leaf, CheckLog passes against the checkpoint signed
// before, and a record that cannot be compact stays JSON.
func TestCompactMigration(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DB(t)
	keyFile := filepath.Join(t.TempDir(), "k")
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	codec, err := store.NewBlobCodec()
	if err != nil {
		t.Fatal(err)
	}
	old := &DB{pool: pool, now: time.Now, codec: codec, instance: "0123456789abcdef0123456789abcdef"}
	old.origin = store.LogOrigin(old.instance)
	if err := old.migrateTo(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if old.key, err = store.LoadLogKey(keyFile, old.instance, true); err != nil {
		t.Fatal(err)
	}
	fetches := legacyFetches()
	writeLegacy(t, old, fetches)
	pool.Close()
	codec.Close()

	db, err := Open(ctx, dsn, Options{KeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var jsonRows, rows int
	if err := db.pool.QueryRow(ctx, "SELECT count(*) FILTER (WHERE get_byte(rec, 0) = 123), count(*) FROM fetches").Scan(&jsonRows, &rows); err != nil {
		t.Fatal(err)
	}
	if rows != len(fetches) || jsonRows != 1 {
		t.Errorf("%d rows, %d of them JSON: want %d, 1 (the render hash that is no hash)", rows, jsonRows, len(fetches))
	}
	for _, want := range fetches {
		got, err := db.FetchAt(ctx, want.SourceID, want.Start, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(store.LogLeaf(got), store.LogLeaf(want)) || got.Version != want.Version || got.RenderSHA256 != want.RenderSHA256 {
			t.Errorf("fetch %d after the migration:\n%s\nwant\n%s", want.ID, store.LogLeaf(got), store.LogLeaf(want))
		}
	}
	rep, err := db.CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Fetches != len(fetches) {
		t.Fatalf("log check after the migration: %+v, %v", rep, err)
	}
	if kept, err := db.Checkpoints(ctx); err != nil || len(kept) != len(fetches) || rep.Latest.Size != int64(len(fetches)) {
		t.Errorf("after the migration: %d kept checkpoints, latest %d, %v: want the %d signed before, none new", len(kept), rep.Latest.Size, err, len(fetches))
	}
}

// legacyFetches are fetches of source 1 as a schema-2 database held
// them: two generations with a version 1 each, hashes equal to the
// version's and not, TLS, headers, a failure, a non-hex render hash.
func legacyFetches() []store.Fetch {
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 123456789, time.UTC)
	body, doc, text := store.Hash([]byte("b")), store.Hash([]byte("d")), store.Hash([]byte("t"))
	base := store.Fetch{V: 1, SourceID: 1, URL: "https://a.example/p", FinalURL: "https://a.example/p", Proto: "HTTP/2.0", Status: 200,
		RequestHeader: map[string][]string{"User-Agent": {"cw/1"}, "Accept-Language": {"en"}}, UserAgent: "cw/1", AcceptLanguage: "en",
		Header:     map[string][]string{"Content-Type": {"text/html"}, "Date": {t0.Format(time.RFC1123)}},
		BodySHA256: body, BodySize: 10, DocSHA256: doc, TextSHA256: text, Words: 3,
		TLS: &store.TLS{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: "a.example", NotAfter: t0.Add(90 * 24 * time.Hour)}}
	var out []store.Fetch
	for i := range 6 {
		f := base
		f.ID, f.Start = uint64(i+1), t0.Add(time.Duration(i)*time.Hour)
		f.End = f.Start.Add(1500 * time.Millisecond)
		f.Outcome, f.Version = store.OutcomeUnchanged, 1
		switch i {
		case 0:
			f.Outcome = store.OutcomeNew
		case 2:
			f.Outcome, f.Version, f.Status, f.Error = store.OutcomeFailed, 0, 503, "HTTP 503"
			f.BodySHA256, f.DocSHA256, f.TextSHA256, f.BodySize, f.Words, f.TLS = "", "", "", 0, 0, nil
		case 4:
			f.RenderSHA256 = "not-a-hash"
		case 5:
			f.TextSHA256 = store.Hash([]byte("other"))
		}
		out = append(out, f)
	}
	return out
}

// writeLegacy stores source 1, its versions and fetches as JSON the way
// schema 2 did, each logged with a checkpoint signed after it.
func writeLegacy(t *testing.T, d *DB, fetches []store.Fetch) {
	ctx := t.Context()
	f0 := fetches[0]
	bk, bv, err := d.codec.Encode([]byte("b"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = d.tx(ctx, func(tx pgx.Tx) error {
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO meta (key, value) VALUES ('instance', $1), ('log_vkey', $2)", []any{d.instance, d.key.VerifierKey()}},
			{"INSERT INTO blobs (hash, value) VALUES ($1, $2)", []any{bk, bv}},
			{"INSERT INTO sources (id, name, url, doc) VALUES (1, 'a', $1, $2)", []any{f0.URL, store.Source{ID: 1, Name: "a", URL: f0.URL}}},
			{"INSERT INTO state (source, rev, doc) VALUES (1, 6, $1)", []any{store.State{V: 1, SourceID: 1, Generation: 2, Current: 1, Rev: 6}}},
			{"INSERT INTO versions (source, generation, seq, doc) VALUES (1, 1, 1, $1)", []any{store.Version{V: 1, SourceID: 1, Generation: 1, Seq: 1, BodySHA256: store.Hash([]byte("x"))}}},
			{"INSERT INTO versions (source, generation, seq, doc) VALUES (1, 2, 1, $1)", []any{store.Version{V: 1, SourceID: 1, Generation: 2, Seq: 1,
				BodySHA256: f0.BodySHA256, DocSHA256: f0.DocSHA256, TextSHA256: f0.TextSHA256, FirstFetch: 1, FirstSeen: f0.Start, LastFetch: 6, LastSeen: fetches[5].Start}}},
		} {
			if _, err := tx.Exec(ctx, q.sql, q.args...); err != nil {
				return err
			}
		}
		for i, f := range fetches {
			if _, err := tx.Exec(ctx, "INSERT INTO fetches (id, source, start_ns, doc) VALUES ($1, 1, $2, $3)", f.ID, ns(f.Start), f); err != nil {
				return err
			}
			if err := d.appendLeaf(ctx, tx, int64(i), f); err != nil {
				return err
			}
			root, err := tlog.TreeHash(int64(i)+1, newTiles(ctx, tx).reader())
			if err != nil {
				return err
			}
			note, err := d.key.SignCheckpoint(store.Checkpoint{Origin: d.origin, Size: int64(i) + 1, Hash: root, Time: f.End})
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "UPDATE log_head SET checkpoint = $1", note); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, "INSERT INTO checkpoints (size, note) VALUES ($1, $2)", i+1, note); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("write a schema-2 database: %v", err)
	}
}
