package watch_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/store"
)

// hostileCase is a server misbehaviour. Until the test switches the
// servers hostile, every path serves the good policy, so each source has
// a version to lose.
type hostileCase struct {
	name string
	// serve misbehaves; n counts the hostile requests to this path.
	serve func(w http.ResponseWriter, r *http.Request, n int)
	// want is the outcome every hostile-phase fetch must have, and
	// reason a part of its reason or error.
	want   []store.Outcome
	reason string
}

// TestHostileServers: after a good version is recorded, each server
// misbehaves in one way for several checks. Nothing is ever recorded as a
// policy change, the good source beside them goes on being checked (and
// its real change is recorded), and memory stays bounded.
func TestHostileServers(t *testing.T) {
	good, err := fsRead("pages/ims/2019-05-06.html")
	if err != nil {
		t.Fatal(err)
	}
	good = bytes.Replace(good, []byte("May 6, 2019</p>"), []byte("May 6, 2019</p><p>Contact our Délégué à la protection des données, José Müller, for questions about this policy.</p>"), 1)
	if !bytes.Contains(good, []byte("Délégué")) {
		t.Fatal("the non-ASCII paragraph was not added")
	}
	changed, _ := fsRead("pages/ims/2022-05-17.html")
	variant := bytes.Replace(good, []byte("Délégué"), []byte("Data Protection Officer"), 1)
	shrunk := shrink(good, 10)
	const page = "text/html; charset=utf-8"
	writePage := func(w http.ResponseWriter, ctype string, body []byte) {
		w.Header().Set("Content-Type", ctype)
		w.Write(body)
	}

	cases := []hostileCase{
		{name: "flapping-5xx", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			switch n % 3 {
			case 0:
				http.Error(w, "unavailable", http.StatusServiceUnavailable)
			case 1:
				http.Error(w, "boom", http.StatusInternalServerError)
			default:
				writePage(w, page, good)
			}
		}, want: []store.Outcome{store.OutcomeFailed, store.OutcomeUnchanged}},
		{name: "error-200", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			writePage(w, page, []byte("<html><head><title>Error</title></head><body><h1>Something went wrong</h1><p>We are sorry, an unexpected error occurred. Please try again later.</p></body></html>"))
		}, want: []store.Outcome{store.OutcomeSuspect}, reason: "error page"},
		{name: "bot-challenge", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			writePage(w, page, []byte(`<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><div class="main-wrapper"><h1>www.example.com</h1><p>Verifying you are human. This may take a few seconds.</p></div><script>(function(){window._cf_chl_opt={cvId: '3',cZone: "example.com"};}());</script></body></html>`))
		}, want: []store.Outcome{store.OutcomeSuspect}, reason: "bot challenge (Cloudflare challenge)"},
		{name: "empty-200", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", page)
			w.WriteHeader(http.StatusOK)
		}, want: []store.Outcome{store.OutcomeSuspect}, reason: "empty page"},
		{name: "endless-body", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", page)
			chunk := bytes.Repeat([]byte("<p>We may share your data with anyone. </p>"), 1000)
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, want: []store.Outcome{store.OutcomeFailed}, reason: "too large"},
		{name: "trickle", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", page)
			for i := 0; ; i++ {
				if _, err := w.Write(good[i : i+1]); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-time.After(time.Second):
				case <-r.Context().Done():
					return
				}
			}
		}, want: []store.Outcome{store.OutcomeFailed}, reason: "timed out"},
		{name: "redirect-loop", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			http.Redirect(w, r, r.URL.Path+"?hop="+fmt.Sprint(n), http.StatusFound)
		}, want: []store.Outcome{store.OutcomeFailed}, reason: "redirect"},
		{name: "gzip-bomb", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			w.Header().Set("Content-Type", page)
			w.Header().Set("Content-Encoding", "gzip")
			zw, _ := gzip.NewWriterLevel(w, gzip.BestCompression)
			defer zw.Close()
			zeros := make([]byte, 64<<10)
			for range (1 << 30) / len(zeros) {
				if _, err := zw.Write(zeros); err != nil {
					return
				}
			}
		}, want: []store.Outcome{store.OutcomeFailed}, reason: "too large"},
		{name: "wrong-charset", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			writePage(w, "text/html; charset=iso-8859-1", good) // UTF-8 bytes, declared Latin-1
		}, want: []store.Outcome{store.OutcomeUnchanged}},
		{name: "reset-mid-body", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				return
			}
			fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", page, len(good))
			buf.Write(good[:len(good)/3])
			buf.Flush()
			if tc, ok := conn.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			conn.Close()
		}, want: []store.Outcome{store.OutcomeFailed}, reason: "connection broken mid-response"},
		{name: "drops-to-10-percent", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			writePage(w, page, shrunk)
		}, want: []store.Outcome{store.OutcomeSuspect}, reason: "shrank"},
		{name: "login-wall", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			writePage(w, page, []byte(`<html><head><title>Sign in</title></head><body><h1>Sign in to continue</h1><form method="post"><label>E-mail <input name="email"></label><label>Password <input type="password" name="pw"></label><button>Sign in</button></form><p>Forgot your password? Reset it here.</p></body></html>`))
		}, want: []store.Outcome{store.OutcomeSuspect}, reason: "login wall"},
		{name: "redirect-home", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			if r.URL.Path != "/" {
				http.Redirect(w, r, "/", http.StatusMovedPermanently)
				return
			}
		}, want: []store.Outcome{store.OutcomeSuspect}, reason: "redirected to the home page"},
		{name: "ab-flip", serve: func(w http.ResponseWriter, r *http.Request, n int) {
			if n%2 == 0 {
				writePage(w, page, variant)
			} else {
				writePage(w, page, good)
			}
		}, want: []store.Outcome{store.OutcomePending, store.OutcomeFlip, store.OutcomeUnchanged}},
	}

	var hostile atomic.Bool
	servers := map[string]*httptest.Server{}
	for _, hc := range cases {
		var n atomic.Int32
		mux := http.NewServeMux()
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			if hc.name == "redirect-home" && r.URL.Path == "/" {
				writePage(w, page, []byte("<html><body><h1>Welcome to Example</h1><p>Our products make learning better for everyone. Learn more about our products, our members and our events, and join us at our next conference this spring.</p></body></html>"))
				return
			}
			if !hostile.Load() {
				w.Header().Set("Content-Type", page)
				w.Write(good)
				return
			}
			hc.serve(w, r, int(n.Add(1))-1)
		})
		srv := httptest.NewUnstartedServer(mux)
		srv.Config.ErrorLog = log.New(discard{}, "", 0)
		srv.Start()
		defer srv.Close()
		servers[hc.name] = srv
	}
	// TLS error: a server whose certificate no one trusts.
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", page)
		w.Write(good)
	}))
	tlsSrv.Config.ErrorLog = log.New(discard{}, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	// The good source beside them: its policy really changes while the
	// others misbehave.
	var goodChanged atomic.Bool
	goodSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", page)
		if goodChanged.Load() {
			w.Write(changed)
			return
		}
		w.Write(good)
	}))
	defer goodSrv.Close()

	clk := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	const maxBytes = 1 << 20
	c := newChecker(t, clk, fetch.Options{MaxBytes: maxBytes, Attempts: 2, BodyTimeout: time.Second, HeaderTimeout: 2 * time.Second})
	ctx := t.Context()
	var srcs []store.Source
	for _, hc := range cases {
		srcs = append(srcs, addSource(t, c, hc.name, servers[hc.name].URL+"/privacy"))
	}
	goodSrc := addSource(t, c, "good", goodSrv.URL+"/privacy")
	all := append(append([]store.Source{}, srcs...), goodSrc)

	// Before: every source has its first version. (The TLS source never
	// gets one; it is checked in the hostile phase only.)
	for _, r := range c.CheckAll(ctx, all, 4, nil) {
		if r.Err != nil || r.Fetch.Outcome != store.OutcomeNew {
			t.Fatalf("%s before: %s %s %v", r.Source.Name, r.Fetch.Outcome, r.Fetch.Error, r.Err)
		}
	}
	tlsSource := addSource(t, c, "tls-error", tlsSrv.URL+"/privacy")
	all = append(all, tlsSource)

	hostile.Store(true)
	goodChanged.Store(true)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	notices := map[string][]string{}
	for round := range 3 {
		clk.Advance(time.Hour)
		for _, r := range c.CheckAll(ctx, all, 4, nil) {
			if r.Err != nil {
				t.Errorf("round %d %s: %v", round, r.Source.Name, r.Err)
			}
			if r.Notice != "" {
				notices[r.Source.Name] = append(notices[r.Source.Name], r.Notice)
			}
		}
	}
	runtime.ReadMemStats(&after)

	for i, hc := range cases {
		t.Run(hc.name, func(t *testing.T) {
			src := srcs[i]
			versions, _ := c.Store.Versions(ctx, src.ID)
			changes, _ := c.Store.Changes(ctx, store.ChangeFilter{SourceID: src.ID})
			if len(versions) != 1 || len(changes) != 0 {
				t.Errorf("recorded %d versions and %d changes; want the first version only", len(versions), len(changes))
			}
			fetches, _ := c.Store.Fetches(ctx, src.ID, time.Time{}, time.Time{}, 0)
			if len(fetches) < 4 {
				t.Fatalf("only %d fetches recorded", len(fetches))
			}
			for _, f := range fetches[1:] {
				ok := false
				for _, w := range hc.want {
					ok = ok || f.Outcome == w
				}
				if !ok || !strings.Contains(f.Reason+" "+f.Error, hc.reason) {
					t.Errorf("fetch %d: %s %q %q; want one of %v with %q", f.ID, f.Outcome, f.Reason, f.Error, hc.want, hc.reason)
				}
			}
		})
	}
	// Tracking health: always-junk sources are broken after three checks,
	// with their version kept; the flapping and charset ones are fine.
	for _, name := range []string{"error-200", "bot-challenge", "empty-200", "redirect-loop", "gzip-bomb", "drops-to-10-percent", "redirect-home"} {
		src, _ := c.Store.Source(ctx, name)
		st, _ := c.Store.State(ctx, src.ID)
		if st.Health != store.HealthBroken || st.Current != 1 {
			t.Errorf("%s: health %s (%s), current version %d; want broken with version 1 kept", name, st.Health, st.HealthReason, st.Current)
		}
		if n := len(notices[name]); n != 1 || !strings.HasPrefix(notices[name][0], "tracking broken") {
			t.Errorf("%s: notices %q; want one 'tracking broken'", name, notices[name])
		}
	}
	if n := notices["ab-flip"]; len(n) != 1 || !strings.Contains(n[0], "alternates") {
		t.Errorf("ab-flip notices: %q; want the alternation reported once", n)
	}
	tlsFetches, _ := c.Store.Fetches(ctx, tlsSource.ID, time.Time{}, time.Time{}, 0)
	tlsVersions, _ := c.Store.Versions(ctx, tlsSource.ID)
	if len(tlsFetches) != 3 || len(tlsVersions) != 0 || tlsFetches[0].Reason != "TLS error" {
		t.Errorf("tls source: %d fetches (%v, %q), %d versions", len(tlsFetches), outcomes(tlsFetches), tlsFetches[0].Reason, len(tlsVersions))
	}
	// The good source's real change was recorded alongside.
	goodChanges, _ := c.Store.Changes(ctx, store.ChangeFilter{SourceID: goodSrc.ID})
	if len(goodChanges) != 1 || !goodChanges[0].Revet {
		t.Errorf("good source: %d changes, want its one real change", len(goodChanges))
	}
	// A gigabyte bomb and an endless body, fetched three times each with
	// a 1 MiB cap: the process allocates a bounded multiple of the cap.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 400*maxBytes {
		t.Errorf("hostile rounds allocated %d MiB", alloc>>20)
	}
	t.Logf("hostile rounds allocated %d MiB in all", (after.TotalAlloc-before.TotalAlloc)>>20)
}

// shrink keeps about pct percent of a page's paragraphs and list items.
func shrink(page []byte, pct int) []byte {
	parts := bytes.Split(page, []byte("<p"))
	keep := max(1, len(parts)*pct/100)
	return append(bytes.Join(parts[:keep], []byte("<p")), []byte("</body></html>")...)
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
