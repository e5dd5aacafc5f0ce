package pgstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// BenchmarkUnchangedCommit records unchanged checks from 8 goroutines at
// once (each its own source, as a daemon's or a worker's checks are) on
// bbolt and on PostgreSQL, each committing per check (MaxBatch 1, the
// baseline) and through group commit (MaxBatch 64), in one run so that
// the ratios compare like with like on a busy machine. PostgreSQL runs
// in a cluster of its own with fsync on (the shared test cluster has it
// off), as bbolt syncs every commit.
func BenchmarkUnchangedCommit(b *testing.B) {
	const workers = 8
	newDB := durableDB(b)
	for _, backend := range []string{"bbolt", "postgres"} {
		for _, batch := range []int{1, 64} {
			b.Run(fmt.Sprintf("%s/batch=%d", backend, batch), func(b *testing.B) {
				ctx := context.Background()
				key := filepath.Join(b.TempDir(), "k")
				commit := store.CommitOptions{MaxBatch: batch}
				var db store.Store
				var err error
				if backend == "bbolt" {
					db, err = store.Open(filepath.Join(b.TempDir(), "b.db"), store.Options{KeyFile: key, Commit: commit})
				} else {
					db, err = pgstore.Open(ctx, newDB(b), pgstore.Options{KeyFile: key, Commit: commit, MaxConns: workers + 2})
				}
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				recs := make([]func(i int), workers)
				for w := range recs {
					recs[w] = unchanged(b, db, w)
					for i := range 20 {
						recs[w](i)
					}
				}
				size0, _ := db.LogSize(ctx)
				var next atomic.Int64
				b.ResetTimer()
				var wg sync.WaitGroup
				for w := range workers {
					wg.Go(func() {
						for i := int(next.Add(1)); i <= b.N; i = int(next.Add(1)) {
							recs[w](20 + i)
						}
					})
				}
				wg.Wait()
				b.StopTimer()
				size1, _ := db.LogSize(ctx)
				if size1-size0 != int64(b.N) {
					b.Fatalf("%d records logged, want %d", size1-size0, b.N)
				}
			})
		}
	}
}

// unchanged returns a func recording check i of a new source w: the
// first starts a version, the others see it again.
func unchanged(b *testing.B, db store.Store, w int) func(i int) {
	ctx := context.Background()
	src, err := db.AddSource(ctx, store.Source{Name: fmt.Sprintf("s%d", w), URL: fmt.Sprintf("https://s%d.example/privacy", w)})
	if err != nil {
		b.Fatal(err)
	}
	page := fmt.Appendf(nil, "<html><body>%0500d</body></html>", w)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return func(i int) {
		st, err := db.State(ctx, src.ID)
		if err != nil {
			b.Fatal(err)
		}
		start := t0.Add(time.Duration(i) * time.Hour)
		r := store.Record{State: st, Body: page, Doc: []byte(`{"d":1}`), Seen: i > 0,
			Fetch: store.Fetch{SourceID: src.ID, Start: start, End: start.Add(time.Second), URL: src.URL, Status: 200, Outcome: store.OutcomeUnchanged,
				TextSHA256: store.Hash(page), Proto: "HTTP/1.1", RequestHeader: map[string][]string{"User-Agent": {"clausewatch"}},
				Header: map[string][]string{"Content-Type": {"text/html"}, "Etag": {`"abc"`}, "Date": {start.Format(time.RFC1123)}}}}
		if i == 0 {
			r.Fetch.Outcome, r.Start = store.OutcomeNew, &store.Version{TextSHA256: r.Fetch.TextSHA256}
		}
		if _, _, err := db.Record(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

// durableDB returns a database in a cluster of its own with fsync on
// (the shared test cluster has it off), stopped when the benchmark ends.
func durableDB(b *testing.B) func(b *testing.B) string {
	c, err := pgtest.StartDurable()
	if err != nil {
		b.Skipf("PostgreSQL: %v", err)
	}
	b.Cleanup(func() { c.Stop() })
	return func(b *testing.B) string {
		dsn, err := c.NewDatabase(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		return dsn
	}
}
