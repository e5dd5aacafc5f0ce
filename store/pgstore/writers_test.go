package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestManyWriters: several handles on one database, as several processes
// would hold, record at once, some on the same sources. Every fetch that
// Record reports stored is in the log once, in ID order with no gap, and
// a refused one (its state moved on) left nothing behind.
func TestManyWriters(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DB(t)
	key := filepath.Join(t.TempDir(), "log.key")
	const handles, sources, each = 3, 4, 8
	var dbs []*pgstore.DB
	for range handles {
		db, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: key, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs = append(dbs, db)
	}
	var srcs []uint64
	for i := range sources {
		s, err := dbs[0].AddSource(ctx, store.Source{Name: fmt.Sprintf("s%d", i), URL: fmt.Sprintf("https://s%d.example/", i)})
		if err != nil {
			t.Fatal(err)
		}
		srcs = append(srcs, s.ID)
	}
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	stored, refused := 0, 0
	var wg sync.WaitGroup
	errs := make(chan error, handles*sources)
	for h, db := range dbs {
		for _, src := range srcs {
			wg.Go(func() {
				for i := range each {
					st, err := db.State(ctx, src)
					if err != nil {
						errs <- err
						return
					}
					body := fmt.Sprintf("body %d %d %d", h, src, i)
					r := store.Record{State: st, Body: []byte(body), Fetch: store.Fetch{SourceID: src, Start: t0.Add(time.Duration(h*each+i) * time.Minute), URL: "https://x.example/", Status: 200, Outcome: store.OutcomeFailed}}
					_, _, err = db.Record(ctx, r)
					mu.Lock()
					switch {
					case err == nil:
						stored++
					case errors.Is(err, store.ErrConflict):
						refused++
					default:
						errs <- err
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("writer: %v", err)
	}
	n, err := dbs[1].LogSize(ctx)
	if err != nil || n != int64(stored) || stored+refused != handles*sources*each || stored < sources {
		t.Errorf("log size %d (%v), %d stored, %d refused of %d", n, err, stored, refused, handles*sources*each)
	}
	rep, err := dbs[2].CheckLog(ctx)
	if err != nil || !rep.OK() || rep.Fetches != stored {
		t.Errorf("log check: %+v, %v", rep, err)
	}
	if err := dbs[0].Check(ctx); err != nil {
		t.Error(err)
	}
	// Refused records left no body behind: only the stored ones' bodies.
	if count, _, err := dbs[0].BlobStats(ctx); err != nil || count != stored {
		t.Errorf("%d blobs for %d stored fetches, %v", count, stored, err)
	}
	t.Logf("%d records stored, %d refused as stale, by %d handles", stored, refused, handles)
}

// TestTamper: CheckLog finds fetch records edited or deleted behind the
// store's back, and a body that no longer reads back.
func TestTamper(t *testing.T) {
	for _, tt := range []struct {
		name, sql string
		want      string
		leaf      int64
	}{
		{"edited", `UPDATE fetches SET start_ns = start_ns + 1 WHERE id = 2`, store.ProblemEdited, 1},
		{"undecodable", `UPDATE fetches SET rec = rec || '\x00'::bytea WHERE id = 2`, store.ProblemEdited, 1},
		{"deleted", `DELETE FROM fetches WHERE id = 3`, store.ProblemDeleted, 2},
		{"written around the log", `INSERT INTO fetches (id, source, start_ns, rec) SELECT 99, source, start_ns, rec FROM fetches WHERE id = 1`, store.ProblemUnlogged, -1},
		{"body lost", `UPDATE blobs SET value = '\x01'::bytea || substring(value from 2) || '\x00'::bytea WHERE hash = sha256('body 1')`, store.ProblemBody, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			dsn := pgtest.DB(t)
			db, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: filepath.Join(t.TempDir(), "k")})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			s, err := db.AddSource(ctx, store.Source{Name: "a", URL: "https://a.example/"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				st, _ := db.State(ctx, s.ID)
				r := store.Record{State: st, Body: fmt.Appendf(nil, "body %d", i+1), Fetch: store.Fetch{SourceID: s.ID, Start: time.Unix(int64(i)*60, 0).UTC(), URL: s.URL, Status: 200, Outcome: store.OutcomeFailed}}
				if _, _, err := db.Record(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			if rep, err := db.CheckLog(ctx); err != nil || !rep.OK() {
				t.Fatalf("before: %+v, %v", rep.Problems, err)
			}
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if tag, err := conn.Exec(ctx, tt.sql); err != nil || tag.RowsAffected() != 1 {
				t.Fatalf("tamper: %v, %v", tag, err)
			}
			rep, err := db.CheckLog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, p := range rep.Problems {
				found = found || (p.Kind == tt.want && p.Leaf == tt.leaf)
			}
			if !found {
				t.Errorf("want a %q problem at leaf %d, got %v", tt.want, tt.leaf, rep.Problems)
			}
		})
	}
}

// TestReopen: a database opens again with its key, keeps its instance
// and log, and refuses another key and a newer schema.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DB(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "k")
	db, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	id, _ := db.Instance(ctx)
	s, _ := db.AddSource(ctx, store.Source{Name: "a", URL: "https://a.example/"})
	st, _ := db.State(ctx, s.ID)
	if _, _, err := db.Record(ctx, store.Record{State: st, Fetch: store.Fetch{SourceID: s.ID, Start: time.Unix(0, 0), URL: s.URL, Outcome: store.OutcomeFailed}}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: key})
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := db.Instance(ctx); again != id {
		t.Errorf("instance %q, then %q", id, again)
	}
	if n, _ := db.LogSize(ctx); n != 1 {
		t.Errorf("log size %d after reopening", n)
	}
	if v, _ := db.Schema(ctx); v != pgstore.SchemaVersion() {
		t.Errorf("schema %d, want %d", v, pgstore.SchemaVersion())
	}
	db.Close()
	if _, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: filepath.Join(dir, "other")}); !errors.Is(err, store.ErrKey) {
		t.Errorf("another key: %v, want ErrKey", err)
	}
	keyless, err := pgstore.Open(ctx, dsn, pgstore.Options{})
	if err != nil {
		t.Fatalf("no key file (a worker): %v", err)
	}
	if _, err := keyless.SignEvidence([]byte("x")); !errors.Is(err, store.ErrKey) {
		t.Errorf("evidence signed without the key file: %v, want ErrKey", err)
	}
	if _, err := keyless.SignCheckpoint(ctx); !errors.Is(err, store.ErrKey) {
		t.Errorf("checkpoint signed without the key file: %v, want ErrKey", err)
	}
	keyless.Close()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES (99, 'future')"); err != nil {
		t.Fatal(err)
	}
	if _, err := pgstore.Open(ctx, dsn, pgstore.Options{KeyFile: key}); !errors.Is(err, store.ErrSchema) {
		t.Errorf("newer schema: %v, want ErrSchema", err)
	}
}
