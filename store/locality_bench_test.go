package store

import (
	"context"
	"flag"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"
)

var (
	localitySources = flag.Int("locality-sources", 2000, "sources in BenchmarkRoundPages")
	localityWarmup  = flag.Int("locality-warmup", 12, "unchanged rounds BenchmarkRoundPages records before it measures (a source's fetches spill out of its bucket's inline page after about 8)")
)

// BenchmarkRoundPages measures the locality of an unchanged round: every
// one of -locality-sources sources records an unchanged fetch (its
// current version's last-seen moved on, its next due time written), from
// 64 goroutines through group commit, as the daemon does. Before and
// after each round it walks the page tree and counts, per top-level
// bucket, the pages the round rewrote (bbolt copies every page a
// transaction changes to a new place, so a page in use after the round
// and not before it was written by the round). One op is one round.
//
//	go test ./store -run '^$' -bench RoundPages -benchtime 3x
//
// It reports pages/check per bucket (×4 KiB is what the disk is
// written per check for it, sync aside) and all-pages/check.
func BenchmarkRoundPages(b *testing.B) {
	n := *localitySources
	db, err := Open(filepath.Join(b.TempDir(), "round.db"), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	// The pages written are the same without fsync; the syncs are the
	// harness's business. A large first map keeps bbolt from remapping
	// while the walk's reader holds the old pages (a remap waits for
	// every reader).
	path := db.bolt.Path()
	db.bolt.Close()
	if db.bolt, err = bbolt.Open(path, 0o600, &bbolt.Options{InitialMmapSize: 1 << 30, NoSync: true}); err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	var srcs []Source
	for i := range n {
		srcs = append(srcs, Source{Name: fmt.Sprintf("s%05d", i), URL: fmt.Sprintf("https://site%d.example/privacy/%d", i%64, i)})
	}
	if srcs, err = db.AddSources(ctx, srcs); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	round := func(first bool) {
		at = at.Add(time.Hour)
		jobs := make(chan Source)
		var wg sync.WaitGroup
		for range 64 {
			wg.Go(func() {
				for src := range jobs {
					if err := recordRound(db, src, at, first); err != nil {
						b.Error(err)
					}
				}
			})
		}
		for _, s := range srcs {
			jobs <- s
		}
		close(jobs)
		wg.Wait()
	}
	round(true)
	for range *localityWarmup {
		round(false)
	}
	total := map[string]int{}
	var writes, txs int64
	b.ResetTimer()
	for range b.N {
		// A reader open across the round keeps every page the round frees
		// from being used again within it, so each page in use after the
		// round and not before is one it wrote (and still uses).
		held, err := db.bolt.Begin(false)
		if err != nil {
			b.Fatal(err)
		}
		before := pageOwners(b, db)
		s0, t0 := db.bolt.Stats(), db.commits.txs.Load()
		round(false)
		s1 := db.bolt.Stats()
		writes += s1.TxStats.GetWrite() - s0.TxStats.GetWrite()
		txs += db.commits.txs.Load() - t0
		after := pageOwners(b, db)
		held.Rollback()
		for page, bucket := range after {
			if before[page] == "" {
				total[bucket]++
			}
		}
	}
	b.StopTimer()
	all := 0
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range total {
			if !yield(k) {
				return
			}
		}
	})
	for _, name := range names {
		all += total[name]
		b.ReportMetric(float64(total[name])/float64(b.N*n), name+"-pages/check")
	}
	b.ReportMetric(float64(all)/float64(b.N*n), "all-pages/check")
	b.ReportMetric(float64(writes)/float64(b.N*n), "page-writes/check")
	b.ReportMetric(float64(b.N*n)/float64(max(txs, 1)), "checks/commit")
	b.ReportMetric(0, "ns/op")
}

// recordRound records one fetch of src at the given time: its first
// version, or an unchanged fetch.
func recordRound(db *DB, src Source, at time.Time, first bool) error {
	ctx := context.Background()
	st, err := db.State(ctx, src.ID)
	if err != nil {
		return err
	}
	r := Record{State: st, Fetch: Fetch{SourceID: src.ID, URL: src.URL, Start: at, End: at.Add(80 * time.Millisecond), Status: 200,
		Proto: "HTTP/1.1", Extractor: "extract/3", TextSHA256: Hash([]byte("text")), Words: 4500,
		Header: map[string][]string{"Content-Type": {"text/html; charset=utf-8"}, "Date": {at.Format(http.TimeFormat)}}},
		Body: []byte(strings.Repeat("<p>We collect your e-mail address. ", 100)),
		Due:  &Due{Schedule: "@every 1h", Slot: at.Add(time.Hour), At: at.Add(time.Hour), LastStart: at}}
	if first {
		r.Fetch.Outcome, r.Start = OutcomeNew, &Version{TextSHA256: r.Fetch.TextSHA256}
	} else {
		r.Fetch.Outcome, r.Seen = OutcomeUnchanged, true
	}
	_, _, err = db.Record(ctx, r)
	return err
}

// pageOwners maps every page in use to the top-level bucket it belongs
// to ("" is the root: the top-level buckets' own page).
func pageOwners(b *testing.B, db *DB) map[uint64]string {
	owners := map[uint64]string{}
	err := db.bolt.View(func(tx *bbolt.Tx) error {
		f, err := openPages(db.path)
		if err != nil {
			return err
		}
		defer f.Close()
		ps := int64(tx.DB().Info().PageSize)
		w := newWalker(f, ps, uint64(tx.Size()/ps))
		w.visited = func(bucket string, page uint64) {
			top, _, _ := strings.Cut(bucket, "/")
			owners[page] = "root"
			if top != "" {
				owners[page] = top
			}
		}
		if found := w.walk(uint64(tx.Cursor().Bucket().Root())); len(found) > 0 {
			return fmt.Errorf("page walk: %v", found[0])
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return owners
}
