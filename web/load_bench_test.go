package web_test

import (
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/web"
)

var (
	loadChanges = flag.Int("load-changes", 10000, "changes in the database for BenchmarkLoad")
	loadClients = flag.Int("load-clients", 8, "concurrent loopback clients for BenchmarkLoad")
)

// seedChanges records n changes over 50 sources straight into the store
// (versions alternating between two texts, each change with a real
// diff-sized blob), as a daemon would have over the years.
func seedChanges(b *testing.B, n int) (*store.DB, func()) {
	b.Helper()
	dir := b.TempDir()
	db, err := store.Open(filepath.Join(dir, "load.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := b.Context()
	const nSources = 50
	var srcs []store.Source
	for i := range nSources {
		s, err := db.AddSource(ctx, store.Source{Name: fmt.Sprintf("policy-%02d", i), URL: fmt.Sprintf("https://s%02d.example/privacy", i),
			Supplier: fmt.Sprintf("Supplier %d", i%17), Kind: store.Privacy, Origin: "cli"})
		if err != nil {
			b.Fatal(err)
		}
		srcs = append(srcs, s)
	}
	diffBlob := []byte(`{"revet":true,"summary":"Re-vet: 1 substantive change (sharing).","changes":[]}`)
	t0 := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n+nSources; i++ {
		src := srcs[i%nSources]
		st, err := db.State(ctx, src.ID)
		if err != nil && err != store.ErrNotFound {
			b.Fatal(err)
		}
		st.SourceID = src.ID
		at := t0.Add(time.Duration(i) * time.Hour)
		text := fmt.Sprintf("text-%d", (i/nSources)%2)
		r := store.Record{Fetch: store.Fetch{SourceID: src.ID, Start: at, End: at.Add(time.Second), Outcome: store.OutcomeNew, TextSHA256: text},
			State: st, Body: fmt.Appendf(nil, "<p>%s %d</p>", text, i), Start: &store.Version{TextSHA256: text, Extractor: "extract/test"}}
		if i >= nSources {
			r.Fetch.Outcome = store.OutcomeChanged
			r.Change = &store.Change{Revet: i%3 == 0, Summary: "Re-vet: 1 substantive change (sharing); 4 editorial, 2 cosmetic.",
				Reasons: []string{`widens a list about who it is shared with: adds "vetting reports"`}, Categories: []string{"sharing"}}
			r.Diff = diffBlob
		}
		if _, _, err := db.Record(ctx, r); err != nil {
			b.Fatalf("record %d: %v", i, err)
		}
	}
	return db, func() { db.Close() }
}

// BenchmarkLoad measures the feed page, the Atom feed and the changes
// API with -load-changes changes (10,000) in the database, under
// -load-clients concurrent loopback clients, against /healthz in the same
// run as the floor. It reports requests per second and the p50 and p99
// latencies. Run:
//
//	go test ./web -run '^$' -bench Load -benchtime 2000x
func BenchmarkLoad(b *testing.B) {
	db, done := seedChanges(b, *loadChanges)
	defer done()
	s, err := web.New(b.Context(), web.Options{DB: db, OpenRead: true})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *loadClients}}
	for _, path := range []string{"/healthz", "/", "/feed.atom", "/feed.json", "/api/changes", "/?revet=1&supplier=Supplier%203"} {
		b.Run(path, func(b *testing.B) {
			var mu sync.Mutex
			var lat []time.Duration
			next := make(chan struct{})
			var wg sync.WaitGroup
			start := time.Now()
			for range *loadClients {
				wg.Go(func() {
					var mine []time.Duration
					for range next {
						t := time.Now()
						resp, err := client.Get(srv.URL + path)
						if err != nil {
							b.Error(err)
							continue
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("GET %s: %d", path, resp.StatusCode)
						}
						mine = append(mine, time.Since(t))
					}
					mu.Lock()
					lat = append(lat, mine...)
					mu.Unlock()
				})
			}
			b.ResetTimer()
			for range b.N {
				next <- struct{}{}
			}
			close(next)
			wg.Wait()
			elapsed := time.Since(start)
			slices.Sort(lat)
			if len(lat) == 0 {
				return
			}
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
