package store

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// BenchmarkRecordLog measures what the transparency log adds to a
// capture's commit: Record of an unchanged fetch (the common case: a
// deduplicated body, the current version's last-seen moved on), with and
// without the log, on a real bbolt file — with the fsync every commit
// makes, and without it (NoSync) to show the CPU cost alone. B/fetch is
// the file's growth per fetch, averaged over b.N (run with -benchtime
// 2000x or more: bbolt grows in pages).
//
//	go test ./store -run '^$' -bench RecordLog -benchtime 2000x
func BenchmarkRecordLog(b *testing.B) {
	for _, sync := range []string{"fsync", "nosync"} {
		for _, mode := range []string{"without-log", "with-log"} {
			b.Run(sync+"/"+mode, func(b *testing.B) {
				now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
				db, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{Now: func() time.Time { return now }})
				if err != nil {
					b.Fatal(err)
				}
				defer db.Close()
				db.skipLog = mode == "without-log"
				db.bolt.NoSync = sync == "nosync"
				ctx := b.Context()
				src, err := db.AddSource(ctx, Source{Name: "bench", URL: "https://bench.example/privacy"})
				if err != nil {
					b.Fatal(err)
				}
				body := []byte(strings.Repeat("<p>We collect your e-mail address to send the newsletter. ", 500))
				header := map[string][]string{"Content-Type": {"text/html; charset=utf-8"}, "Date": {"Thu, 01 Jan 2026 00:00:00 GMT"},
					"Cache-Control": {"max-age=600"}, "Server": {"nginx"}, "Vary": {"Accept-Encoding"}}
				request := map[string][]string{"Host": {"bench.example"}, "User-Agent": {"clausewatch/0.1 (privacy-policy change tracker; +https://github.com/clausewatch/clausewatch)"},
					"Accept": {"text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}, "Accept-Language": {"en"}, "Accept-Encoding": {"gzip, br"}}
				record := func(r Record) {
					st, err := db.State(ctx, src.ID)
					if err != nil {
						b.Fatal(err)
					}
					now = now.Add(time.Hour)
					r.State = st
					r.Fetch.SourceID, r.Fetch.URL, r.Fetch.Start, r.Fetch.End, r.Fetch.Status = src.ID, src.URL, now, now.Add(time.Second), 200
					r.Fetch.Header, r.Fetch.RequestHeader, r.Fetch.TextSHA256, r.Fetch.Extractor = header, request, Hash([]byte("text")), "extract/3"
					r.Body = body
					if _, _, err := db.Record(ctx, r); err != nil {
						b.Fatal(err)
					}
				}
				record(Record{Fetch: Fetch{Outcome: OutcomeNew}, Start: &Version{TextSHA256: Hash([]byte("text"))}})
				size0, _ := db.Size(ctx)
				b.ResetTimer()
				for range b.N {
					record(Record{Fetch: Fetch{Outcome: OutcomeUnchanged}, Seen: true})
				}
				b.StopTimer()
				size1, _ := db.Size(ctx)
				b.ReportMetric(float64(size1-size0)/float64(b.N), "B/fetch")
			})
		}
	}
}
