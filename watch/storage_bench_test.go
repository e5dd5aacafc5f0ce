package watch_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

// BenchmarkStorage measures what history costs on disk for a real page
// (GitHub's privacy statement from the corpus, 282 KB of HTML), checked
// through the whole pipeline into a real bbolt file:
//
//   - B/unchanged: bytes added per unchanged fetch of a byte-identical page
//     (no ETag, so the body is fetched and deduplicated);
//   - B/churned: per unchanged fetch of a page whose markup changes on
//     every request (a nonce), stored as a zstd delta against the
//     version's body;
//   - B/version: bytes added by one changed version (GitHub's next
//     snapshot), with its document and diff;
//   - ratio: raw body bytes over stored blob bytes, for the distinct
//     bodies of the churned run.
//
// The bbolt file grows in pages, so the per-fetch figures average over
// b.N fetches: run with -benchtime=200x or more.
//
//	go test ./watch -run XXX -bench Storage -benchtime 300x
func BenchmarkStorage(b *testing.B) {
	v1, err := fsRead("corpus/github/privacy-policy/2023-10-17T123002Z.html")
	if err != nil {
		b.Fatal(err)
	}
	v2, _ := fsRead("corpus/github/privacy-policy/2023-12-06T003002Z.html")
	for _, mode := range []string{"unchanged", "churned"} {
		b.Run(mode, func(b *testing.B) {
			var n atomic.Int64
			var body atomic.Value
			body.Store(v1)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				page := body.Load().([]byte)
				if mode == "churned" {
					page = bytes.Replace(page, []byte("<head>"), fmt.Appendf(nil, `<head><meta name="csrf-token" content="%032x">`, n.Add(1)), 1)
				}
				w.Write(page)
			}))
			defer srv.Close()
			db, err := store.Open(filepath.Join(b.TempDir(), "bench.db"), store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			ctx := context.Background()
			c := &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{AllowPrivate: true}), Policy: watch.Policy{ConfirmDelay: -1}}
			src, _ := db.AddSource(ctx, store.Source{Name: "github", URL: srv.URL + "/privacy", Supplier: "GitHub", Origin: "cli"})
			if r := c.Check(ctx, src); r.Fetch.Outcome != store.OutcomeNew {
				b.Fatalf("first check: %s %s", r.Fetch.Outcome, r.Fetch.Error)
			}
			size0, _ := db.Size(ctx)
			b.ResetTimer()
			for range b.N {
				if r := c.Check(ctx, src); r.Fetch.Outcome != store.OutcomeUnchanged {
					b.Fatalf("check: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
				}
			}
			b.StopTimer()
			size1, _ := db.Size(ctx)
			b.ReportMetric(float64(size1-size0)/float64(b.N), "B/"+mode)
			fetches, _ := db.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
			raw := map[string]int{}
			for _, f := range fetches {
				raw[f.BodySHA256] = f.BodySize
			}
			var rawBytes int
			for _, s := range raw {
				rawBytes += s
			}
			count, stored, _ := db.BlobStats(ctx)
			b.ReportMetric(float64(rawBytes)/float64(stored), "ratio")
			b.ReportMetric(float64(count), "blobs")

			// One changed version on top.
			body.Store(v2)
			c.Check(ctx, src) // pending (no confirmation wait in benchmarks)
			if r := c.Check(ctx, src); r.Fetch.Outcome != store.OutcomeChanged {
				b.Fatalf("change: %s %s", r.Fetch.Outcome, r.Fetch.Reason)
			}
			size2, _ := db.Size(ctx)
			b.ReportMetric(float64(size2-size1), "B/version")
		})
	}
}
