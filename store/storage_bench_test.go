package store

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// BenchmarkFetchStorage measures what an unchanged fetch costs on disk
// in steady state, in this build's format and, as the baseline in the
// same run, in the schema-5 format (JSON records, one key per tree hash,
// the two leaf maps, default fill):
//
//   - compact: Record of unchanged fetches of one source (same body, the
//     server's Date header moving on each time, every request header
//     kept), after a warm-up of 500;
//   - schema5: the same fetches, read back, written one transaction each
//     into a fresh file in the old layout.
//
// Figures per fetch: B/file (growth of the file's high-water mark),
// B/pages (pages of the fetch and log buckets), B/inuse (bytes in use in
// those pages), and the log's share of both (B/log-pages, B/log-inuse).
//
//	go test ./store -run '^$' -bench FetchStorage -benchtime 5000x
func BenchmarkFetchStorage(b *testing.B) {
	var fetched []Fetch
	b.Run("compact", func(b *testing.B) {
		db, src := benchDB(b)
		record := benchRecorder(b, db, src)
		for range 500 {
			record()
		}
		before := measure(b, db.bolt, [][]byte{bucketFetchLog, bucketFetchIndex, bucketFetchLast, bucketFetchSets}, [][]byte{bucketLogTiles})
		b.ResetTimer()
		for range b.N {
			record()
		}
		b.StopTimer()
		measure(b, db.bolt, [][]byte{bucketFetchLog, bucketFetchIndex, bucketFetchLast, bucketFetchSets}, [][]byte{bucketLogTiles}).report(b, before, b.N)
		fetched, _ = db.Fetches(b.Context(), src.ID, time.Time{}, time.Time{}, 0)
	})
	b.Run("schema5", func(b *testing.B) {
		if len(fetched) < 500+b.N {
			b.Skip("run compact first, with the same -benchtime")
		}
		bolt, err := bbolt.Open(filepath.Join(b.TempDir(), "old.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer bolt.Close()
		bolt.NoSync = true
		bolt.Update(func(tx *bbolt.Tx) error {
			for _, name := range [][]byte{bucketMeta, bucketFetches, bucketLog, bucketLogLeaves, bucketLogIndex} {
				tx.CreateBucketIfNotExists(name)
			}
			return nil
		})
		for _, f := range fetched[:500] {
			putSchema5(b, bolt, f)
		}
		before := measure(b, bolt, [][]byte{bucketFetches}, [][]byte{bucketLog, bucketLogLeaves, bucketLogIndex})
		b.ResetTimer()
		for _, f := range fetched[500 : 500+b.N] {
			putSchema5(b, bolt, f)
		}
		b.StopTimer()
		measure(b, bolt, [][]byte{bucketFetches}, [][]byte{bucketLog, bucketLogLeaves, bucketLogIndex}).report(b, before, b.N)
	})
}

// benchDB is a database with one source, without fsync.
func benchDB(b *testing.B) (*DB, Source) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"), Options{Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.bolt.NoSync = true
	src, err := db.AddSource(b.Context(), Source{Name: "bench", URL: "https://bench.example/privacy"})
	if err != nil {
		b.Fatal(err)
	}
	return db, src
}

// benchRecorder records the source's first version, then returns a
// function that records one unchanged fetch an hour later each call.
func benchRecorder(b *testing.B, db *DB, src Source) func() {
	ctx := b.Context()
	body := []byte(strings.Repeat("<p>We collect your e-mail address to send the newsletter. ", 500))
	request := map[string][]string{"Host": {"bench.example"}, "User-Agent": {"clausewatch/0.1 (privacy-policy change tracker; +https://github.com/clausewatch/clausewatch)"},
		"Accept": {"text/html,application/xhtml+xml,text/plain;q=0.9,*/*;q=0.5"}, "Accept-Language": {"en"}, "Accept-Encoding": {"gzip, br"}}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	record := func(r Record) {
		st, err := db.State(ctx, src.ID)
		if err != nil {
			b.Fatal(err)
		}
		at = at.Add(time.Hour)
		r.State = st
		f := &r.Fetch
		f.SourceID, f.URL, f.FinalURL, f.Start, f.End, f.Status, f.Attempts, f.Proto = src.ID, src.URL, src.URL, at, at.Add(183*time.Millisecond), 200, 1, "HTTP/2.0"
		f.Header = map[string][]string{"Content-Type": {"text/html; charset=utf-8"}, "Date": {at.Add(time.Second).Format(http.TimeFormat)},
			"Cache-Control": {"max-age=600"}, "Server": {"nginx"}, "Vary": {"Accept-Encoding"}, "Content-Length": {"29500"}}
		f.RequestHeader, f.UserAgent, f.AcceptLanguage, f.RemoteAddr = request, request["User-Agent"][0], "en", "192.0.2.10:443"
		f.TextSHA256, f.Extractor, f.Words = Hash([]byte("text")), "extract/3", 4500
		f.TLS = &TLS{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ServerName: "bench.example", PeerSHA256: Hash([]byte("cert")),
			Subject: "CN=bench.example", Issuer: "CN=R11,O=Let's Encrypt,C=US", NotAfter: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)}
		r.Body, r.Doc = body, []byte(`{"clauses":[]}`)
		if _, _, err := db.Record(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
	record(Record{Fetch: Fetch{Outcome: OutcomeNew}, Start: &Version{TextSHA256: Hash([]byte("text"))}})
	return func() { record(Record{Fetch: Fetch{Outcome: OutcomeUnchanged}, Seen: true}) }
}

// putSchema5 writes a fetch as the schema-5 build did, in a transaction
// of its own: the JSON record, its leaf's stored hashes one per key, and
// the leaf maps.
func putSchema5(b *testing.B, bolt *bbolt.DB, f Fetch) {
	err := bolt.Update(func(tx *bbolt.Tx) error {
		fb, err := tx.Bucket(bucketFetches).CreateBucketIfNotExists(u64(f.SourceID))
		if err != nil {
			return err
		}
		key := fetchKey(f.Start, f.ID)
		if err := putJSON(fb, key, f); err != nil {
			return err
		}
		hashes := tx.Bucket(bucketLog)
		n := int64(fromU64(tx.Bucket(bucketMeta).Get(keyLogSize)))
		stored, err := tlog.StoredHashes(n, LogLeaf(f), hashReader{hashes})
		if err != nil {
			return err
		}
		for i, h := range stored {
			if err := hashes.Put(u64(uint64(tlog.StoredHashIndex(0, n)+int64(i))), h[:]); err != nil {
				return err
			}
		}
		tx.Bucket(bucketLogLeaves).Put(u64(uint64(n)), append(u64(f.SourceID), key...))
		tx.Bucket(bucketLogIndex).Put(u64(f.ID), u64(uint64(n)))
		return tx.Bucket(bucketMeta).Put(keyLogSize, u64(uint64(n+1)))
	})
	if err != nil {
		b.Fatal(err)
	}
}

// usage is a file's size and the pages and bytes in use of the record
// buckets and the log's.
type usage struct {
	file, pages, inuse, logPages, logInuse int64
}

func measure(b *testing.B, bolt *bbolt.DB, records, log [][]byte) usage {
	var u usage
	err := bolt.View(func(tx *bbolt.Tx) error {
		u.file = tx.Size()
		for i, name := range append(append([][]byte{}, log...), records...) {
			s := tx.Bucket(name).Stats()
			pages := int64(s.BranchAlloc + s.LeafAlloc)
			inuse := int64(s.BranchInuse + s.LeafInuse + s.InlineBucketInuse)
			u.pages += pages
			u.inuse += inuse
			if i < len(log) {
				u.logPages += pages
				u.logInuse += inuse
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return u
}

func (u usage) report(b *testing.B, before usage, n int) {
	per := func(x, y int64) float64 { return float64(x-y) / float64(n) }
	b.ReportMetric(per(u.file, before.file), "B/file")
	b.ReportMetric(per(u.pages, before.pages), "B/pages")
	b.ReportMetric(per(u.inuse, before.inuse), "B/inuse")
	b.ReportMetric(per(u.logPages, before.logPages), "B/log-pages")
	b.ReportMetric(per(u.logInuse, before.logInuse), "B/log-inuse")
}
