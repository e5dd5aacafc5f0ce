package render_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/fixtures/browser"
	"github.com/clausewatch/clausewatch/render"
)

// BenchmarkRender renders fixture pages and fetches the same pages
// plainly in the same process: x-fetch is the render's time as a
// multiple of the plain fetch's (the figure that holds across machines).
// The app's API answers at once here, so the figure is the browser's own
// cost; a real app adds its API's time.
func BenchmarkRender(b *testing.B) {
	site := browser.NewSite(0)
	srv := httptest.NewServer(site)
	defer srv.Close()
	br := newBrowser(b, render.Options{AllowPrivate: true, Tabs: 1})
	client := fetch.NewClient(fetch.Options{AllowPrivate: true, Attempts: 1})
	for _, page := range []struct{ name, path string }{{"static", browser.Walled}, {"app", browser.App}} {
		b.Run(page.name, func(b *testing.B) {
			url := srv.URL + page.path
			if _, err := br.Render(b.Context(), render.Request{URL: url}); err != nil { // warm: the browser starts
				b.Fatal(err)
			}
			var renderTime, fetchTime time.Duration
			var polls int
			for b.Loop() {
				t0 := time.Now()
				p, err := br.Render(b.Context(), render.Request{URL: url})
				if err != nil {
					b.Fatal(err)
				}
				renderTime += time.Since(t0)
				polls += p.Wait.Polls
				t0 = time.Now()
				if _, err := client.Fetch(b.Context(), fetch.Request{URL: url}); err != nil && page.path != browser.Walled {
					b.Fatal(err)
				}
				fetchTime += time.Since(t0)
			}
			b.ReportMetric(float64(renderTime.Milliseconds())/float64(b.N), "ms/render")
			b.ReportMetric(float64(fetchTime.Microseconds())/1000/float64(b.N), "ms/fetch")
			b.ReportMetric(float64(renderTime)/float64(fetchTime), "x-fetch")
			b.ReportMetric(float64(polls)/float64(b.N), "looks/render")
		})
	}
}

// BenchmarkBrowserMemory reports the browser's memory (PSS of all its
// processes) idle after a render, and per tab with tabs renders held
// open at once (their API answers only when released).
func BenchmarkBrowserMemory(b *testing.B) {
	const tabs = 2
	for b.Loop() {
		release := make(chan struct{})
		var asked sync.WaitGroup
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/hold":
				fmt.Fprint(w, `<html><body><p id=p>Privacy policy</p><script>fetch("/api").then(r => r.text()).then(t => { document.getElementById("p").textContent = t })</script></body></html>`)
			case "/api":
				asked.Done()
				<-release
				fmt.Fprint(w, "We never sell personal data.")
			default:
				fmt.Fprint(w, `<html><body><p>Privacy policy</p></body></html>`)
			}
		}))
		br := newBrowser(b, render.Options{AllowPrivate: true, Tabs: tabs, SettleMaxPolls: 1000})
		if _, err := br.Render(b.Context(), render.Request{URL: srv.URL + "/"}); err != nil {
			b.Fatal(err)
		}
		idle := br.Stats().Memory
		asked.Add(tabs)
		var wg sync.WaitGroup
		for range tabs {
			wg.Go(func() { br.Render(b.Context(), render.Request{URL: srv.URL + "/hold"}) })
		}
		asked.Wait() // every tab has loaded its page and asked its API
		busy := br.Stats().Memory
		close(release)
		wg.Wait()
		br.Close()
		b.ReportMetric(float64(idle)/(1<<20), "MiB-idle")
		b.ReportMetric(float64(busy-idle)/tabs/(1<<20), "MiB/tab")
		srv.Close()
	}
}
