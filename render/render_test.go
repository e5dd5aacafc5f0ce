package render_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/clausewatch/clausewatch/fetch"
	"github.com/clausewatch/clausewatch/render"
)

// quick are options for tests: short looks, so a test takes little time;
// the assertions count looks, never time.
func quick(exceptions ...netip.AddrPort) render.Options {
	return render.Options{GuardExceptions: exceptions, SettlePoll: 100 * time.Millisecond, SettleQuiet: 3, SettleMaxPolls: 100, Tabs: 2}
}

// TestRenderScriptApp: a script app that fetches its policy as JSON from
// a slow endpoint. The render waits for it (the request in flight keeps
// the text from counting as settled), and images, fonts and media never
// reach the server.
func TestRenderScriptApp(t *testing.T) {
	var blockedHits, jsonHits int
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!doctype html><html><head><title>Privacy</title>
<link rel="preload" href="/font.woff2" as="font" crossorigin></head><body><div id="app"></div>
<img src="/logo.png"><video src="/intro.mp4" autoplay></video>
<script>
fetch("/api/policy.json").then(r => r.json()).then(p => {
  const app = document.getElementById("app");
  for (const c of p.clauses) { const e = document.createElement("p"); e.textContent = c; app.append(e); }
});
</script></body></html>`)
		case "/api/policy.json":
			jsonHits++
			time.Sleep(500 * time.Millisecond) // a slow API: the render must wait for it, whatever the speed
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"clauses":["We collect your email address to run the service.","We never sell personal data."]}`)
		case "/logo.png", "/intro.mp4", "/font.woff2":
			blockedHits++
			http.NotFound(w, r)
		default:
			http.NotFound(w, r)
		}
	}))
	b := newBrowser(t, quick(s.addr()))
	p, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	dom := string(p.DOM)
	if !strings.Contains(dom, "We never sell personal data.") {
		t.Errorf("rendered DOM lacks the policy JSON's text:\n%s", dom)
	}
	if !p.Wait.Settled || p.Wait.Polls < p.Wait.Quiet {
		t.Errorf("wait = %+v, want settled after at least %d looks", p.Wait, p.Wait.Quiet)
	}
	if p.Status != 200 || !strings.Contains(string(p.Body), `id="app"`) || strings.Contains(string(p.Body), "never sell") {
		t.Errorf("document response: status %d, body %q; want 200 and the page as served", p.Status, p.Body)
	}
	if blockedHits != 0 || jsonHits != 1 {
		t.Errorf("server saw %d image/font/media requests and %d JSON requests, want 0 and 1", blockedHits, jsonHits)
	}
	var sawJSON bool
	for _, r := range p.Requests {
		if strings.HasSuffix(r.URL, "/api/policy.json") && r.Status == 200 && r.Type == "Fetch" {
			sawJSON = true
		}
	}
	if !sawJSON || p.Requests[0].Type != "Document" {
		t.Errorf("requests = %+v, want the document first and the JSON fetch", p.Requests)
	}
	if !strings.HasPrefix(p.Browser, "Chrome/") && !strings.Contains(p.Browser, "Chrom") {
		t.Errorf("browser = %q", p.Browser)
	}
}

// TestRenderSSRF: a page on an allowed 127.0.0.1 server reaches for a
// second local server by every means a page has. The guard refuses all
// of it (0 hits) unless the request allows private addresses.
func TestRenderSSRF(t *testing.T) {
	inner := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		fmt.Fprint(w, "// inner")
	}))
	in := inner.URL
	page := `<!doctype html><html><body><p>Our privacy policy.</p>
<script src="` + in + `/script.js"></script>
<link rel="stylesheet" href="` + in + `/style.css">
<iframe src="` + in + `/frame"></iframe>
<img src="` + in + `/pixel.gif">
<script>fetch("` + in + `/fetch").catch(() => {}); new Image().src = "` + in + `/beacon";
const x = new XMLHttpRequest(); x.open("GET", "` + in + `/xhr"); x.send();
try { new WebSocket("` + strings.Replace(in, "http:", "ws:", 1) + `/ws"); } catch (e) {}
navigator.sendBeacon && navigator.sendBeacon("` + in + `/sendbeacon", "x");</script>
</body></html>`
	outer := newServer(t, pages(map[string]string{"/": page, "/redirect": ""}))
	for _, tc := range []struct {
		name         string
		allowPrivate bool
		wantHits     bool
	}{
		{"guarded", false, false},
		{"source allows private addresses", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inner.hits.Store(0)
			b := newBrowser(t, quick(outer.addr()))
			p, err := b.Render(t.Context(), render.Request{URL: outer.URL + "/", AllowPrivate: tc.allowPrivate})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(p.DOM), "Our privacy policy.") {
				t.Errorf("the allowed page did not render: %s", p.DOM)
			}
			hits := inner.hits.Load()
			if got := hits > 0; got != tc.wantHits {
				t.Errorf("the second local server got %d requests; want hits=%v", hits, tc.wantHits)
			}
			if !tc.allowPrivate && len(p.Refused) == 0 {
				t.Errorf("no refusal recorded: %+v", p)
			}
			t.Logf("hits %d, refused %q", hits, p.Refused)
		})
	}
}

// TestRenderRefusedURL: what the guard refuses is fetch.ErrBlocked, a URL
// that is not http(s) fetch.ErrURL, before or after a redirect.
func TestRenderRefusedURL(t *testing.T) {
	inner := newServer(t, pages(map[string]string{"/": "<p>inside</p>"}))
	outer := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-inner":
			http.Redirect(w, r, inner.URL+"/", http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		default:
			fmt.Fprint(w, "<p>outer</p>")
		}
	}))
	b := newBrowser(t, quick(outer.addr()))
	for _, tc := range []struct {
		url  string
		want error
	}{
		{"file:///etc/passwd", fetch.ErrURL},
		{"javascript:alert(1)", fetch.ErrURL},
		{inner.URL + "/", fetch.ErrBlocked},
		{"http://169.254.169.254/latest/meta-data/", fetch.ErrBlocked},
		{outer.URL + "/to-inner", fetch.ErrBlocked},
		{outer.URL + "/to-file", render.ErrNavigation},
	} {
		_, err := b.Render(t.Context(), render.Request{URL: tc.url})
		if !errors.Is(err, tc.want) {
			t.Errorf("Render(%s) = %v, want %v", tc.url, err, tc.want)
		}
	}
	if n := inner.hits.Load(); n != 0 {
		t.Errorf("the refused server got %d requests", n)
	}
}

// TestRenderNoLocalFiles: a page cannot read a local file through the
// browser, by iframe, fetch, script or object.
func TestRenderNoLocalFiles(t *testing.T) {
	dir := t.TempDir()
	secret := "secret-" + fmt.Sprint(time.Now().UnixNano())
	file := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(file, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	page := `<!doctype html><html><body><p>policy</p><iframe id=f src="file://` + file + `"></iframe>
<object data="file://` + file + `"></object>
<div id=out></div><script>
fetch("file://` + file + `").then(r => r.text()).then(t => { document.getElementById("out").textContent = t; }).catch(() => {});
try { const f = document.getElementById("f"); f.onload = () => { try { document.getElementById("out").textContent += f.contentDocument.body.innerText } catch (e) {} } } catch (e) {}
</script></body></html>`
	s := newServer(t, pages(map[string]string{"/": page}))
	b := newBrowser(t, quick(s.addr()))
	p, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(p.DOM), secret) {
		t.Errorf("the page read a local file: %s", p.DOM)
	}
}

// TestRenderFreshContext: what one render leaves (cookies, storage) the
// next does not see.
func TestRenderFreshContext(t *testing.T) {
	page := `<!doctype html><html><body><p id=o></p><script>
document.getElementById("o").textContent = "cookie=[" + document.cookie + "] stored=[" + (localStorage.getItem("k") || "") + "]";
document.cookie = "visit=1; max-age=3600"; localStorage.setItem("k", "v");
</script></body></html>`
	s := newServer(t, pages(map[string]string{"/": page}))
	b := newBrowser(t, quick(s.addr()))
	for i := range 2 {
		p, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(p.DOM), "cookie=[] stored=[]") {
			t.Errorf("render %d saw an earlier render's state: %s", i, p.DOM)
		}
	}
}

// TestRenderSettleBound: a page whose text never stops moving is taken
// after SettleMaxPolls looks, not settled.
func TestRenderSettleBound(t *testing.T) {
	page := `<!doctype html><html><body><p>Policy</p><p id=c>0</p><script>
let n = 0; setInterval(() => { document.getElementById("c").textContent = ++n; }, 10);
</script></body></html>`
	s := newServer(t, pages(map[string]string{"/": page}))
	opts := quick(s.addr())
	opts.SettleMaxPolls = 5
	b := newBrowser(t, opts)
	p, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Wait.Settled || p.Wait.Polls != 5 {
		t.Errorf("wait = %+v, want 5 looks, not settled", p.Wait)
	}
	if !strings.Contains(p.Wait.String(), "without the text settling") {
		t.Errorf("wait says %q", p.Wait)
	}
}

// TestRenderNavigationTimeout: a page that never finishes loading fails
// with ErrNavigation after the navigation timeout.
func TestRenderNavigationTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			fmt.Fprint(w, `<html><body><p>x</p><script src="/hang.js"></script></body></html>`)
			return
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer close(release)
	opts := quick(s.addr())
	opts.NavigationTimeout = 2 * time.Second
	b := newBrowser(t, opts)
	_, err := b.Render(t.Context(), render.Request{URL: s.URL + "/"})
	if !errors.Is(err, render.ErrNavigation) {
		t.Fatalf("Render = %v, want ErrNavigation", err)
	}
}
