package pgstore_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// BenchmarkRecordUnchanged records an unchanged check (the same page
// again: a fetch, the version's last-seen, the state, a log leaf and a
// checkpoint) on each backend, one at a time, and reports the bytes the
// database grew by per check. The test cluster runs with fsync off
// (pgtest), bbolt syncs every commit: the time ratio flatters PostgreSQL;
// the bytes do not depend on it.
func BenchmarkRecordUnchanged(b *testing.B) {
	page := []byte(fmt.Sprintf("<html><body>%0500d</body></html>", 7))
	for _, backend := range []string{"bbolt", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			ctx := context.Background()
			var db store.Store
			var err error
			key := filepath.Join(b.TempDir(), "k")
			if backend == "bbolt" {
				db, err = store.Open(filepath.Join(b.TempDir(), "b.db"), store.Options{KeyFile: key, Commit: store.CommitOptions{MaxBatch: 1}})
			} else {
				db, err = pgstore.Open(ctx, pgtest.DB(b), pgstore.Options{KeyFile: key})
			}
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			src, err := db.AddSource(ctx, store.Source{Name: "a", URL: "https://a.example/"})
			if err != nil {
				b.Fatal(err)
			}
			t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
			rec := func(i int, start bool) {
				st, err := db.State(ctx, src.ID)
				if err != nil {
					b.Fatal(err)
				}
				r := store.Record{State: st, Body: page, Doc: []byte(`{"d":1}`), Seen: !start,
					Fetch: store.Fetch{SourceID: src.ID, Start: t0.Add(time.Duration(i) * time.Hour), End: t0.Add(time.Duration(i)*time.Hour + time.Second),
						URL: src.URL, Status: 200, Outcome: store.OutcomeUnchanged, TextSHA256: store.Hash([]byte("t")), Proto: "HTTP/1.1",
						Header: map[string][]string{"Content-Type": {"text/html"}, "Etag": {`"abc"`}}, RequestHeader: map[string][]string{"User-Agent": {"clausewatch"}}}}
				if start {
					r.Start = &store.Version{TextSHA256: r.Fetch.TextSHA256}
				}
				if _, _, err := db.Record(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
			rec(0, true)
			for i := 1; i <= 50; i++ { // past the first pages and tiles
				rec(i, false)
			}
			before, _ := db.Size(ctx)
			b.ResetTimer()
			for i := range b.N {
				rec(51+i, false)
			}
			b.StopTimer()
			after, _ := db.Size(ctx)
			b.ReportMetric(float64(after-before)/float64(b.N), "bytes/check")
		})
	}
}
