package pgstore

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/store/pgstore/pgtest"
)

// BenchmarkFetchBytes records unchanged checks of one source as a real
// fetcher sees them (a dozen response headers, Date moving, request
// headers, TLS) with fetches stored as JSON (schema 2) and as compact
// records, in one process, and reports what the tables grew by per
// check: pg_total_relation_size (heap, TOAST, indexes) of the fetch
// tables, and of every table, each measured after VACUUM (which makes
// the dead row versions of the state, version and log head updates
// reusable, as autovacuum does), vacuuming every 200 checks.
func BenchmarkFetchBytes(b *testing.B) {
	for _, format := range []string{"json", "compact"} {
		b.Run(format, func(b *testing.B) {
			ctx := context.Background()
			db, err := Open(ctx, pgtest.DB(b), Options{KeyFile: filepath.Join(b.TempDir(), "k")})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.jsonFetches = format == "json"
			rec := unchangedRecorder(b, db)
			for i := range 50 {
				rec(i)
			}
			fetch0, all0 := tableBytes(b, db)
			b.ResetTimer()
			for i := range b.N {
				rec(50 + i)
				if i%200 == 199 {
					vacuum(b, db)
				}
			}
			b.StopTimer()
			fetch1, all1 := tableBytes(b, db)
			b.ReportMetric(float64(fetch1-fetch0)/float64(b.N), "fetch-bytes/check")
			b.ReportMetric(float64(all1-all0)/float64(b.N), "table-bytes/check")
		})
	}
}

// unchangedRecorder returns a func that records check i of one source:
// the first starts a version, the others see it again.
func unchangedRecorder(b *testing.B, db *DB) func(i int) {
	ctx := context.Background()
	src, err := db.AddSource(ctx, store.Source{Name: "a", URL: "https://www.example.com/legal/privacy-policy"})
	if err != nil {
		b.Fatal(err)
	}
	page := []byte(fmt.Sprintf("<html><body>%02000d</body></html>", 7))
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	return func(i int) {
		st, err := db.State(ctx, src.ID)
		if err != nil {
			b.Fatal(err)
		}
		start := t0.Add(time.Duration(i)*time.Hour + time.Duration(i%7)*time.Millisecond)
		f := store.Fetch{SourceID: src.ID, Start: start, End: start.Add(420 * time.Millisecond), URL: src.URL, FinalURL: src.URL,
			Proto: "HTTP/2.0", RemoteAddr: "93.184.215.14:443", Extractor: "generic/3", Status: 200, Outcome: store.OutcomeUnchanged,
			TextSHA256: store.Hash([]byte("text")), Words: 2400, UserAgent: "clausewatch/1.0 (+https://clausewatch.example)", AcceptLanguage: "en",
			RequestHeader: map[string][]string{"User-Agent": {"clausewatch/1.0 (+https://clausewatch.example)"}, "Accept-Language": {"en"},
				"Accept": {"text/html,application/xhtml+xml"}, "If-None-Match": {`"5f2a-61b"`}},
			Header: map[string][]string{"Content-Type": {"text/html; charset=utf-8"}, "Date": {start.Format(time.RFC1123)},
				"Etag": {`"5f2a-61b"`}, "Cache-Control": {"max-age=600"}, "Server": {"ECAcc (nyd/D144)"}, "Vary": {"Accept-Encoding"},
				"Strict-Transport-Security": {"max-age=31536000"}, "X-Content-Type-Options": {"nosniff"}, "Age": {"312"},
				"Last-Modified": {"Mon, 02 Dec 2024 10:00:00 GMT"}, "Content-Security-Policy": {"default-src 'self'"}},
			TLS: &store.TLS{Version: "TLS 1.3", CipherSuite: "TLS_AES_256_GCM_SHA384", ServerName: "www.example.com",
				PeerSHA256: store.Hash([]byte("cert")), Subject: "CN=www.example.com", Issuer: "CN=R3,O=Let's Encrypt", NotAfter: t0.AddDate(0, 3, 0)}}
		r := store.Record{State: st, Body: page, Doc: []byte(`{"d":1}`), Seen: i > 0, Fetch: f}
		if i == 0 {
			r.Fetch.Outcome, r.Start = store.OutcomeNew, &store.Version{TextSHA256: f.TextSHA256}
		}
		if _, _, err := db.Record(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}

func vacuum(b *testing.B, db *DB) {
	if _, err := db.pool.Exec(context.Background(), "VACUUM"); err != nil {
		b.Fatal(err)
	}
}

// tableBytes vacuums and returns the total relation size of the fetch
// tables (fetches, fetch_sets) and of every table of the schema.
func tableBytes(b *testing.B, db *DB) (fetch, all int64) {
	vacuum(b, db)
	err := db.pool.QueryRow(context.Background(), `SELECT
		coalesce(sum(pg_total_relation_size(c.oid)) FILTER (WHERE c.relname IN ('fetches', 'fetch_sets')), 0),
		sum(pg_total_relation_size(c.oid))
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&fetch, &all)
	if err != nil {
		b.Fatal(err)
	}
	return fetch, all
}
