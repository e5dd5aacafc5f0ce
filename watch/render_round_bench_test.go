package watch_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures"
	browserfx "github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render"
	"github.com/clausewatch/clausewatch/render/rendertest"
	"github.com/clausewatch/clausewatch/store"
	"github.com/clausewatch/clausewatch/watch"
)

var (
	renderRoundSources = flag.Int("render-round-sources", 1000, "sources in BenchmarkRenderRound")
	renderRoundEvery   = flag.Int("render-round-every", 10, "one source in this many needs a browser in BenchmarkRenderRound (10: 10 %)")
	renderRoundWorkers = flag.Int("render-round-workers", 8, "checks at once in BenchmarkRenderRound")
)

// BenchmarkRenderRound is the round cost of rendering: -render-round-sources
// sources on a loopback fixture server, one in -render-round-every of
// them a script app that only a browser reads (the fixture site's app,
// its policy JSON answered after 100 ms), the others IMS's 2022 policy
// (34 KB; half answer 304 to their ETag, half 200 with the same bytes).
// The same sources are checked twice over in the same run: once all
// plain (the app pages too: a database of the same size with no browser
// wanted), once with the script apps rendered in one headless Chromium
// (render.Options defaults: tabs half the CPUs, 250 ms settle looks).
// A round is every source checked by -render-round-workers workers
// (Checker.Check; the scheduler's own cost is BenchmarkRound's). The
// first round of each records first versions and, for the apps, finds
// they need a browser (a plain fetch, then a render); the rounds timed
// are the steady ones after it: apps rendered directly, the rest
// unchanged. Run it alone, with -benchtime=1x:
//
//	go test ./watch -run '^$' -bench BenchmarkRenderRound -benchtime=1x
//
// It reports:
//
//	s/round-plain, s/round-mixed   the steady rounds' wall time
//	x-plain                        mixed ÷ plain: the round cost of rendering
//	s/round-mixed-first            the mixed first round (plain fetch + render)
//	s/render                       mixed round time spent per rendered source
//	browser-MB                     Chromium's memory (PSS) after the rounds
//	load1-start, load1-end         the 1-minute load average around the run
func BenchmarkRenderRound(b *testing.B) {
	rendertest.Require(b)
	n, every := *renderRoundSources, max(1, *renderRoundEvery)
	page, err := fs.ReadFile(fixtures.FS(), "pages/ims/2022-05-17.html")
	if err != nil {
		b.Fatal(err)
	}
	sum := sha256.Sum256(page)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`
	site := browserfx.NewSite(100 * time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rest, ok := strings.CutPrefix(r.URL.Path, "/p/")
		if !ok {
			site.ServeHTTP(w, r) // the app, its script and its API
			return
		}
		i, err := strconv.Atoi(rest)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if i%2 == 0 {
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		w.Write(page)
	}))
	defer srv.Close()
	srcs := make([]store.Source, n)
	apps := 0
	for i := range srcs {
		u := fmt.Sprintf("%s/p/%d", srv.URL, i)
		if i%every == 0 {
			u, apps = fmt.Sprintf("%s%s?i=%d", srv.URL, browserfx.App, i), apps+1
		}
		srcs[i] = store.Source{Name: fmt.Sprintf("s%05d", i), URL: u, Supplier: "Supplier", AllowPrivate: true}
	}
	ctx := context.Background()
	setup := func(name string, renderer watch.Renderer, mode store.RenderMode) (*watch.Checker, []store.Source) {
		db, err := store.Open(filepath.Join(b.TempDir(), name+".db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { db.Close() })
		these := make([]store.Source, len(srcs))
		for i, s := range srcs {
			s.Render = mode
			these[i] = s
		}
		if these, err = db.AddSources(ctx, these); err != nil {
			b.Fatal(err)
		}
		return &watch.Checker{Store: db, Client: fetch.NewClient(fetch.Options{}), Renderer: renderer}, these
	}
	browser, err := render.New(render.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer browser.Close()
	plainC, plainSrcs := setup("plain", nil, store.RenderNever)
	mixedC, mixedSrcs := setup("mixed", browser, store.RenderAuto)

	// round checks every source with the workers; it returns the wall
	// time and how many fetches were rendered.
	round := func(c *watch.Checker, these []store.Source) (time.Duration, int) {
		jobs := make(chan store.Source)
		var mu sync.Mutex
		rendered := 0
		var wg sync.WaitGroup
		start := time.Now()
		for range *renderRoundWorkers {
			wg.Go(func() {
				for s := range jobs {
					r := c.Check(ctx, s)
					if r.Err != nil {
						b.Errorf("%s: %v", s.Name, r.Err)
					}
					if r.Fetch.RenderSHA256 != "" {
						mu.Lock()
						rendered++
						mu.Unlock()
					}
				}
			})
		}
		for _, s := range these {
			jobs <- s
		}
		close(jobs)
		wg.Wait()
		return time.Since(start), rendered
	}
	load1 := func() float64 {
		data, _ := os.ReadFile("/proc/loadavg")
		f, _ := strconv.ParseFloat(strings.Fields(string(data) + " 0")[0], 64)
		return f
	}
	loadStart := load1()
	round(plainC, plainSrcs)
	first, firstRendered := round(mixedC, mixedSrcs)
	if firstRendered != apps {
		b.Fatalf("first mixed round rendered %d sources, want the %d apps", firstRendered, apps)
	}
	var plainT, mixedT time.Duration
	b.ResetTimer()
	for range b.N {
		p, pr := round(plainC, plainSrcs)
		m, mr := round(mixedC, mixedSrcs)
		if pr != 0 || mr != apps {
			b.Fatalf("rendered %d in the plain round and %d in the mixed, want 0 and %d", pr, mr, apps)
		}
		plainT += p
		mixedT += m
	}
	b.StopTimer()
	plainPer, mixedPer := plainT/time.Duration(b.N), mixedT/time.Duration(b.N)
	b.ReportMetric(plainPer.Seconds(), "s/round-plain")
	b.ReportMetric(mixedPer.Seconds(), "s/round-mixed")
	b.ReportMetric(float64(mixedPer)/float64(plainPer), "x-plain")
	b.ReportMetric(first.Seconds(), "s/round-mixed-first")
	b.ReportMetric((mixedPer-plainPer).Seconds()/float64(apps), "s/render")
	b.ReportMetric(float64(browser.Stats().Memory)/(1<<20), "browser-MB")
	b.ReportMetric(loadStart, "load1-start")
	b.ReportMetric(load1(), "load1-end")
	b.ReportMetric(0, "ns/op")
}
